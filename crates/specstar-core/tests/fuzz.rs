//! Bounded fuzzing of what the core reads from outside: ids, keyset cursors, and JSON bodies
//! against a model (typed and JSON Schema). No input may panic; every refusal is an error.
//! `FUZZ_CASES` sets the cases per property (256 by default; CI runs more).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use specstar_core::{Cursor, JsonSchemaModel, ModelDef, ResourceId, RevisionId, Schema};

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

/// Text that looks like ids and cursors as often as it looks like noise.
fn id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[a-z:_0-9-]{0,40}",
        "[a-z]{1,8}:[a-zA-Z0-9:._~-]{0,30}:[0-9]{0,25}",
        "[A-Za-z0-9_-]{0,200}",
    ]
}

#[test]
fn ids_and_cursors_never_panic() {
    runner()
        .run(&id_like(), |text| {
            if let Ok(id) = ResourceId::parse(&text) {
                prop_assert_eq!(ResourceId::parse(id.as_str()).unwrap(), id);
            }
            if let Ok(revision) = RevisionId::parse(&text) {
                prop_assert_eq!(RevisionId::parse(&revision.to_string()).unwrap(), revision);
            }
            let _ = Cursor::parse(&text);
            Ok(())
        })
        .unwrap();
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z]{0,6}|.{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                "title|status|severity|assignee|tags|due|[a-z]{1,5}",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Issue {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    due: Option<specstar_core::Timestamp>,
}

fn models() -> Vec<ModelDef> {
    let schema = json!({
        "type": "object",
        "required": ["title"],
        "additionalProperties": false,
        "properties": {
            "title": { "type": "string", "minLength": 1 },
            "status": { "enum": ["open", "closed"], "default": "open" },
            "severity": { "type": "integer", "minimum": 0, "maximum": 5 },
            "tags": { "type": "array", "items": { "type": "string" } },
            "due": { "type": ["string", "null"], "format": "date-time" },
            "assignee": { "type": "object", "properties": { "name": { "type": "string" } } }
        }
    });
    vec![
        Schema::<Issue>::new("v1")
            .index("tags")
            .index("due")
            .build()
            .unwrap(),
        JsonSchemaModel::new("ticket", "v1", schema)
            .index("status")
            .index("severity")
            .index("tags")
            .index("assignee.name")
            .build()
            .unwrap(),
    ]
}

#[test]
fn json_bodies_against_a_model_never_panic() {
    let models = models();
    runner()
        .run(&any_json(), |body| {
            for model in &models {
                // Accepted data is stable: encoding what was accepted gives the same bytes.
                if let Ok(encoded) = model.encode(body.clone()) {
                    let again: Value = serde_json::from_slice(&encoded.bytes).unwrap();
                    let twice = model.encode(again).unwrap();
                    prop_assert_eq!(twice.bytes, encoded.bytes);
                }
            }
            Ok(())
        })
        .unwrap();
}
