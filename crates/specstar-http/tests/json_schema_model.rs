//! A model declared by a JSON Schema alone (no Rust type), served by a real server on
//! 127.0.0.1: defaults applied on create, a 422 naming every failing path (a nested unknown
//! field among them), search and sort on a nested indexed field with `qb`, and the OpenAPI
//! document carrying the schema as given.

#[allow(
    dead_code,
    reason = "the shared helpers serve the Issue tests; this one brings its own model"
)]
mod common;

use std::sync::Arc;

use common::{Server, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use specstar_core::{JsonSchemaModel, ModelDescriptor, Registry, Store};
use specstar_http::HttpConfig;

/// The model file of issue 13's example, with a `$defs` reference for the OpenAPI document.
fn document_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "author"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
            "state": {"enum": ["draft", "review", "published"], "default": "draft"},
            "word_count": {"type": "integer", "minimum": 0, "default": 0},
            "author": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]}}
            },
            "due": {"type": ["string", "null"], "format": "date-time"},
            "source": {"$ref": "#/$defs/source"}
        },
        "$defs": {
            "source": {"type": "object", "properties": {"url": {"type": "string"}}}
        }
    })
}

async fn start() -> Server {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let model = JsonSchemaModel::new("document", "v1", document_schema())
        .index("state")
        .index("word_count")
        .index("author.name")
        .build()
        .unwrap();
    let model = registry.add(model).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    Server::serve(registry, store, HttpConfig::new()).await
}

async fn post(s: &Server, body: Value) -> Response {
    s.request(Method::POST, "/document")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn qb(s: &Server, path: &str, expression: &str) -> Value {
    let response = s
        .get(path)
        .query(&[("qb", expression)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{expression}");
    response.json().await.unwrap()
}

fn titles(found: &Value) -> Vec<&str> {
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|data| data["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_json_schema_model_is_served_validated_searched_and_documented() {
    let s = start().await;
    let created = post(&s, json!({"title": "Intro", "author": {"name": "ann"}})).await;
    assert_eq!(created.status(), 201);
    let info: Value = created.json().await.unwrap();
    let id = info["resource_id"].as_str().unwrap();
    assert!(id.starts_with("document:"), "{info}");
    let data: Value = s
        .get(&format!("/document/{id}/data"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        data,
        json!({"title": "Intro", "author": {"name": "ann"}, "tags": [], "state": "draft", "word_count": 0}),
        "the defaults are applied before storing"
    );

    let refused = post(
        &s,
        json!({"title": "", "author": {"name": "bob", "nick": "b"}}),
    )
    .await;
    let body = problem(refused, 422, "validation_failed").await;
    let mut paths: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["$.author.nick", "$.title"], "{body}");

    for (title, author, words) in [("B", "bob", 10), ("C", "ann", 30), ("D", "cy", 20)] {
        let response = post(
            &s,
            json!({"title": title, "author": {"name": author}, "word_count": words}),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let by_ann = qb(
        &s,
        "/document/data",
        "QB['author.name'].eq('ann').sort(QB['word_count'].desc())",
    )
    .await;
    assert_eq!(titles(&by_ann), ["C", "Intro"]);
    let sorted = qb(
        &s,
        "/document/data",
        "QB.all().sort(QB['author.name'].desc(), QB['word_count'].asc())",
    )
    .await;
    assert_eq!(titles(&sorted), ["D", "B", "Intro", "C"]);
    let count = qb(&s, "/document/count", "QB['author.name'] != 'ann'").await;
    assert_eq!(count, json!(2));

    let document: Value = s
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &document["components"]["schemas"];
    let mut expected = document_schema();
    let given = expected.as_object_mut().unwrap();
    given.remove("$schema");
    let defs = given.remove("$defs").unwrap();
    given["properties"]["source"] = json!({"$ref": "#/components/schemas/Document_source"});
    assert_eq!(schemas["Document"], expected, "the schema as given");
    assert_eq!(schemas["Document_source"], defs["source"]);
    assert_eq!(
        document["paths"]["/document"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/Document"
    );
}
