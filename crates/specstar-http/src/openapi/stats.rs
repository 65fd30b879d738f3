//! `GET /_stats` in the document, and the `ModelStats` record it answers.

use serde_json::{Map, Value, json};

use super::{errors, schema_ref};
use crate::handlers::stats::PATH;

/// The path item of `/_stats`.
pub(super) fn path() -> (String, Value) {
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Per registered model, by name: its resources, the deleted among them, its revisions and the bytes of their data.",
            "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["models"],
                "properties": { "models": { "type": "array", "items": schema_ref("ModelStats") } }
            } } }
        }),
    );
    responses.extend(errors(&[500]));
    let operation = json!({
        "operationId": "stats",
        "summary": "What the store holds per model: resources, revisions, bytes of history",
        "tags": ["Store"],
        "responses": responses,
    });
    (PATH.to_owned(), json!({ "get": operation }))
}

/// The `ModelStats` record.
pub(super) fn schemas(schemas: &mut Map<String, Value>) {
    let count = json!({ "type": "integer", "minimum": 0 });
    schemas.insert(
        "ModelStats".into(),
        json!({
            "type": "object",
            "required": ["model", "resources", "deleted", "revisions", "history_bytes"],
            "properties": {
                "model": { "type": "string" },
                "resources": count, "deleted": count, "revisions": count,
                "history_bytes": { "type": "integer", "minimum": 0, "description": "The bytes of the revisions' data (canonical JSON)." }
            }
        }),
    );
}
