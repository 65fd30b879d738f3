//! What the served OpenAPI document says holds: answers match the schemas it documents for
//! them (a `partial` read's data too), the constraints it states on parameters are the
//! server's (the id pattern), and what it leaves open the server takes (an empty `qb` beside
//! `conditions`).

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use common::Server;
use serde_json::{Value, json};

/// A validator of the document's schema at `pointer`, its references resolved in the document.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    jsonschema::draft202012::new(&root).expect("the documented schema compiles")
}

/// The schema of the 200 answer of `GET path`.
fn answer_schema(document: &Value, path: &str) -> Value {
    document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        .clone()
}

#[tokio::test]
async fn partial_reads_match_their_documented_schemas() {
    let server = Server::start().await;
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = server.create(json!({"title": "t", "status": "open"})).await;
    let id = created["resource_id"].as_str().unwrap();
    for (path, route) in [
        (
            format!("/issue/{id}/data?partial=/status"),
            "/issue/{resource_id}/data",
        ),
        (
            format!("/issue/{id}?partial=/status"),
            "/issue/{resource_id}",
        ),
        (format!("/issue/{id}/data"), "/issue/{resource_id}/data"),
        ("/issue/data?partial=/status".to_owned(), "/issue/data"),
    ] {
        let body: Value = server
            .get(&path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let schema = validator(&document, &answer_schema(&document, route));
        let errors: Vec<String> = schema.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "GET {path} answered {body}, against its schema: {errors:?}"
        );
    }
}

#[tokio::test]
async fn the_documented_id_pattern_is_the_servers() {
    let server = Server::start().await;
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pattern = validator(&document, &document["components"]["schemas"]["IssueId"]);
    for key in ["abc", "issue:abd", "a.b~c-d_e", "é€", "issue:01a2-3"] {
        assert!(pattern.is_valid(&json!(key)), "{key} fits the pattern");
        let created = server
            .request(
                reqwest::Method::PUT,
                &format!("/issue/{}", key.trim_start_matches("issue:")),
            )
            .header("if-none-match", "*")
            .json(&json!({"title": key}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{key} is taken as the document says");
    }
    for key in ["", "a:b:c", "a\tb", "a\u{7f}b", ".", "..", "issue:.."] {
        assert!(
            !pattern.is_valid(&json!(key)),
            "{key:?} does not fit the pattern"
        );
    }
}

#[tokio::test]
async fn an_empty_qb_combines_with_conditions() {
    let server = Server::start().await;
    server.create(json!({"title": "t", "status": "open"})).await;
    let conditions = r#"[{"field_path":"status","operator":"eq","value":"open"}]"#;
    let answer = server
        .get("/issue")
        .query(&[("qb", ""), ("conditions", conditions)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
