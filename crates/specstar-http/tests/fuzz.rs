//! Bounded fuzzing of the `qb` parser (searches' and row scopes'): any text, and token soups of
//! its own vocabulary that reach deep into the grammar, parse or are refused with a position
//! inside the text, never a panic; a parsed search is checked by the model without a panic.
//! `FUZZ_CASES` sets the cases per property (256 by default; CI runs more).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn runner() -> TestRunner {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// The grammar's pieces, strung together at random (with some noise).
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "QB",
        "QB['status']",
        "QB[\"severity\"]",
        "QB['x.y']",
        ".",
        "(",
        ")",
        "[",
        "]",
        ",",
        "&",
        "|",
        "~",
        "==",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "eq",
        "ne",
        "gt",
        "in_",
        "not_in",
        "contains",
        "starts_with",
        "is_null",
        "exists",
        "all",
        "any",
        "sort",
        "limit",
        "offset",
        "asc",
        "desc",
        "created_time",
        "updated_by",
        "resource_id",
        "is_deleted",
        "True",
        "False",
        "None",
        "USER",
        "USER.id",
        "USER.roles",
        "'open'",
        "\"a\\\"b\"",
        "'",
        "1",
        "-2",
        "3.5",
        "1e400",
        "18446744073709551616",
        "\"-created_time\"",
        " ",
        "\\",
    ]);
    prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

fn input() -> impl Strategy<Value = String> {
    prop_oneof![".{0,80}", token_soup()]
}

#[test]
fn qb_and_scopes_parse_or_refuse_never_panic() {
    let model = specstar_conformance::fixtures::issue_schema()
        .build()
        .unwrap();
    runner()
        .run(&input(), |text| {
            match specstar_http::parse_qb(&text) {
                Ok(parsed) => {
                    let _ = parsed.into_query().checked(&model);
                }
                Err(error) => prop_assert!(error.position <= text.len(), "{error} in {text:?}"),
            }
            if let Err(error) = specstar_http::parse_scope(&text) {
                prop_assert!(error.position <= text.len(), "{error} in {text:?}");
            }
            Ok(())
        })
        .unwrap();
}
