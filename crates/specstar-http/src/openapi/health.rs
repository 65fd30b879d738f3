//! `GET /healthz` and `GET /readyz` in the document.

use serde_json::{Map, Value, json};

use super::errors;
use crate::handlers::health::{HEALTH, READY};

/// The path items of both routes.
pub(super) fn paths() -> Vec<(String, Value)> {
    let status = |value: &str| json!({ "type": "object", "required": ["status"], "properties": { "status": { "const": value } } });
    let answer = |description: &str, value: &str| json!({ "description": description, "content": { "application/json": { "schema": status(value) } } });
    let mut health = Map::new();
    health.insert("200".into(), answer("The process serves requests.", "ok"));
    let mut ready = Map::new();
    ready.insert(
        "200".into(),
        answer(
            "The store answered within 2 s and the server is not shutting down.",
            "ready",
        ),
    );
    ready.extend(errors(&[503]));
    vec![
        (
            HEALTH.to_owned(),
            json!({ "get": { "operationId": "healthz", "summary": "Liveness: the process answers", "tags": ["Operations"], "responses": health } }),
        ),
        (
            READY.to_owned(),
            json!({ "get": { "operationId": "readyz", "summary": "Readiness: the store answers and the server is not shutting down", "tags": ["Operations"], "responses": ready } }),
        ),
    ]
}
