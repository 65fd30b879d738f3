//! `GET /_models` in the document, and the `ModelInfo` record it answers.

use serde_json::{Map, Value, json};

use super::{errors, schema_ref};
use crate::handlers::models::PATH;

/// The path item of `/_models`.
pub(super) fn path() -> (String, Value) {
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "The registered models the caller may read, in registration order.",
            "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["models"],
                "properties": { "models": { "type": "array", "items": schema_ref("ModelInfo") } }
            } } }
        }),
    );
    responses.extend(errors(&[500]));
    let operation = json!({
        "operationId": "models",
        "summary": "The models: schema version, indexed fields, JSON Schema, the caller's actions",
        "tags": ["Store"],
        "responses": responses,
    });
    (PATH.to_owned(), json!({ "get": operation }))
}

/// The `ModelInfo` record.
pub(super) fn schemas(schemas: &mut Map<String, Value>) {
    let actions: Vec<&str> = specstar_core::Access::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    schemas.insert(
        "ModelInfo".into(),
        json!({
            "type": "object",
            "required": ["name", "schema_version", "indexed_fields", "json_schema", "actions"],
            "properties": {
                "name": { "type": "string" },
                "schema_version": { "type": "string" },
                "indexed_fields": { "type": "array", "items": {
                    "type": "object",
                    "required": ["path", "array", "time"],
                    "properties": {
                        "path": { "type": "string", "description": "The field's dotted path, as searches name it." },
                        "array": { "type": "boolean", "description": "An array field: tested element by element, never sorted on." },
                        "time": { "type": "boolean", "description": "A `date-time` string, compared as an instant." }
                    }
                } },
                "json_schema": { "type": "object", "description": "The model's JSON Schema (draft 2020-12)." },
                "actions": { "type": "array", "items": { "enum": actions }, "description": "What the caller's roles may do to the model's resources (on some of them, under a row scope)." }
            }
        }),
    );
}
