//! The `qb` expression parameter over HTTP: what it finds, how it sorts and pages, its
//! refusals with the byte position, and, on generated and random expressions, that it never
//! panics and never answers 500.

mod common;

use common::{Server, problem};
use proptest::prelude::*;
use reqwest::Response;
use serde_json::{Value, json};

async fn seed(s: &Server) {
    for (title, status, severity, assignee) in [
        ("a", "open", "high", "alice"),
        ("b", "open", "low", "bob"),
        ("c", "resolved", "high", "bob"),
        ("d", "in_progress", "medium", "alice"),
    ] {
        s.create(
            json!({"title": title, "status": status, "severity": severity, "assignee": assignee}),
        )
        .await;
    }
}

async fn qb(s: &Server, path: &str, expression: &str, extra: &[(&str, &str)]) -> Response {
    let mut query = vec![("qb", expression)];
    query.extend_from_slice(extra);
    s.get(path).query(&query).send().await.unwrap()
}

async fn titles(response: Response) -> Vec<String> {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_owned())
        .collect()
}

/// `qb` combines with the other parameters: their filters and its own are and-ed, `sorts`
/// follow its sorts (the reference refuses the combination; taking it refuses nothing).
#[tokio::test]
async fn qb_combines_with_the_other_parameters() {
    let s = Server::start().await;
    seed(&s).await;
    let both = qb(
        &s,
        "/issue/data",
        "QB['severity'].eq('high')",
        &[(
            "conditions",
            r#"[{"field_path":"assignee","operator":"eq","value":"bob"}]"#,
        )],
    )
    .await;
    assert_eq!(titles(both).await, ["c"]);
    let sorted = qb(
        &s,
        "/issue/data",
        "QB['status'].eq('open').sort(QB['severity'].asc())",
        &[(
            "sorts",
            r#"[{"type":"data","field_path":"assignee","direction":"-"}]"#,
        )],
    )
    .await;
    assert_eq!(titles(sorted).await, ["a", "b"]);
}

#[tokio::test]
async fn qb_filters_sorts_and_pages() {
    let s = Server::start().await;
    seed(&s).await;
    let by_time = ".sort(QB.created_time().asc())";
    let got = titles(
        qb(
            &s,
            "/issue/data",
            &format!("((QB['severity'].eq('high') & (QB[\"status\"] == 'open')) | QB['assignee'].in_(['bob'])){by_time}"),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(got, ["a", "b", "c"]);
    let got = titles(
        qb(
            &s,
            "/issue/data",
            &format!("(~QB['status'].starts_with('op')){by_time}"),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(got, ["c", "d"]);
    let got = titles(
        qb(
            &s,
            "/issue/data",
            "QB.all().sort(QB['assignee'].desc(), '-created_time').limit(2).offset(1)",
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(got, ["b", "d"]);
    let response = qb(
        &s,
        "/issue/data",
        "QB.all().sort('created_time').limit(2)",
        &[("offset", "3")],
    )
    .await;
    assert_eq!(response.headers()["x-has-more"], "false");
    assert_eq!(titles(response).await, ["d"]);
    let count = qb(
        &s,
        "/issue/count",
        "QB.all(QB.created_by().eq('anonymous'), QB['assignee'] != 'bob')",
        &[],
    )
    .await;
    assert_eq!(count.json::<Value>().await.unwrap(), json!(2));
}

#[tokio::test]
async fn qb_refusals() {
    let s = Server::start().await;
    let body = problem(
        qb(&s, "/issue", "QB['status'].eq('open'", &[]).await,
        400,
        "invalid_query",
    )
    .await;
    assert_eq!(body["detail"], "qb: expected `)` at 22");
    assert_eq!(body["position"], 22);
    assert_eq!(body["parameter"], "qb");
    let body = problem(
        qb(&s, "/issue", "QB.created_time().desc()", &[]).await,
        400,
        "invalid_query",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("sort"), "{body}");
    let body = problem(
        qb(&s, "/issue", "QB['title'].eq('x')", &[]).await,
        400,
        "unindexed_field",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("title"), "{body}");
}

/// A generated valid expression over the Issue model's indexed fields (each with values it
/// can hold: the enums' own, free text elsewhere).
fn expression() -> impl Strategy<Value = String> {
    let free = || vec!["open", "high", "alice", "b", "it's", "é"];
    let field = prop_oneof![
        Just(("QB['status']", vec!["open", "in_progress", "resolved"])),
        Just(("QB[\"severity\"]", vec!["low", "medium", "high"])),
        Just(("QB['assignee']", free())),
        Just(("QB.created_by()", free())),
        Just(("QB.resource_id()", free())),
    ]
    .prop_flat_map(|(f, values)| (Just(f), prop::sample::select(values)))
    .prop_map(|(f, t)| (f, format!("{t:?}")));
    let leaf = (field, 0..10usize).prop_map(|((f, v), op)| match op {
        0 => format!("{f}.eq({v})"),
        1 => format!("{f}.ne({v})"),
        2 => format!("{f} > {v}"),
        3 => format!("{v} <= {f}"),
        4 => format!("{f}.in_([{v}, {v}])"),
        5 => format!("{f}.not_in([])"),
        6 => format!("{f}.contains({v})"),
        7 => format!("{f}.starts_with({v})"),
        8 => format!("{f}.is_null()"),
        _ => format!("{f}.exists(False)"),
    });
    let tree = leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) & ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) | ({b})")),
            inner.clone().prop_map(|a| format!("~({a})")),
            prop::collection::vec(inner, 0..3)
                .prop_map(|all| format!("QB.all({})", all.join(", "))),
        ]
    });
    (tree, any::<bool>(), 1..5u32).prop_map(|(t, sorted, limit)| {
        if sorted {
            format!("({t}).sort(QB.updated_time().desc(), QB['status'].asc(), '-resource_id').limit({limit})")
        } else {
            t
        }
    })
}

/// Strings made mostly of the expression language's pieces, so that many get far in.
fn near_expression() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("QB"),
        Just("["),
        Just("]"),
        Just("("),
        Just(")"),
        Just("."),
        Just(","),
        Just("'status'"),
        Just("\""),
        Just("'"),
        Just("eq"),
        Just("in_"),
        Just("sort"),
        Just("limit"),
        Just("created_time"),
        Just("all"),
        Just("desc"),
        Just("&"),
        Just("|"),
        Just("~"),
        Just("=="),
        Just("<="),
        Just("-"),
        Just("1"),
        Just("2.5e3"),
        Just("99999999999999999999"),
        Just("True"),
        Just("None"),
        Just(" "),
        Just("é"),
        Just("\\"),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_parser_never_panics(text in any::<String>(), near in near_expression()) {
        let _ = specstar_http::parse_qb(&text);
        let _ = specstar_http::parse_qb(&near);
    }

    #[test]
    fn generated_expressions_parse(text in expression()) {
        prop_assert!(specstar_http::parse_qb(&text).is_ok(), "{}", text);
    }
}

#[test]
fn over_http_never_a_500() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s = runtime.block_on(async {
        let s = Server::start().await;
        seed(&s).await;
        s
    });
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(96));
    let strategy = (expression(), near_expression(), any::<String>());
    runner
        .run(&strategy, |(valid, near, random)| {
            runtime.block_on(async {
                let response = qb(&s, "/issue", &valid, &[]).await;
                assert_eq!(response.status(), 200, "{valid}");
                for text in [&near, &random] {
                    for path in ["/issue", "/issue/count"] {
                        let status = qb(&s, path, text, &[]).await.status();
                        assert!(
                            status == 200 || status == 400,
                            "{path} qb={text:?}: {status}"
                        );
                    }
                }
            });
            Ok(())
        })
        .unwrap();
}
