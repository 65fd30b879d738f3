//! The change feed's part of the document: `GET /_changes` and the records it answers.

use serde_json::{Map, Value, json};

use super::{errors, schema_ref};
use crate::handlers::feed::{DEFAULT_LIMIT, MAX_WAIT_SECONDS, PATH};

/// The path item of `/_changes`, whose `model` names one of `models`.
pub(super) fn path(models: &[&str]) -> (String, Value) {
    let query = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema });
    let max = specstar_core::MAX_FEED_LIMIT;
    let parameters = json!([
        query("since", "Events after this sequence number: the `last_seq` of the previous page (0, the default, for the whole feed); `now` for the events that commit from now on.", json!({ "oneOf": [{ "type": "integer", "minimum": 0, "maximum": i64::MAX }, { "const": "now" }], "default": 0 })),
        query("limit", &format!("Events per page, 1 to {max}."), json!({ "type": "integer", "minimum": 1, "maximum": max, "default": DEFAULT_LIMIT })),
        query("model", "Only the events of this model; repeatable. An unknown model is 400.", json!({ "type": "array", "items": { "enum": models } })),
        query("include_data", "Add each revision's `data`.", json!({ "type": "boolean", "default": false })),
        query("wait", &format!("When no event follows `since`: wait up to this many seconds ({MAX_WAIT_SECONDS} at most) and answer as soon as one commits (a long poll); empty when the time is up. Pages only."), json!({ "type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS, "default": 0 })),
        { "name": "Last-Event-ID", "in": "header", "required": false,
          "description": "With `Accept: text/event-stream`: resume after this event (its sequence); wins over `since`.",
          "schema": { "type": "string" } }
    ]);
    let mut responses = Map::new();
    responses.insert("200".into(), json!({
        "description": "A page of the feed; or, asked with `Accept: text/event-stream`, a stream of server-sent events that stays open: `id: <sequence>`, `event: change`, `data: <FeedEvent JSON>` for each event as it commits, an `error` event (a Problem) when a read fails, and a comment every 15 s.",
        "content": {
            "application/json": { "schema": schema_ref("FeedPage") },
            "text/event-stream": { "schema": { "type": "string", "description": "Server-sent events, each `data` a FeedEvent." } }
        }
    }));
    responses.extend(errors(&[400, 500]));
    let operation = json!({
        "operationId": "changes",
        "summary": "The change feed: every revision and permanent delete of every model, in sequence order",
        "tags": ["Change feed"],
        "parameters": parameters,
        "responses": responses,
    });
    (PATH.to_owned(), json!({ "get": operation }))
}

/// The records of the feed: `FeedEvent`, `FeedPage`.
pub(super) fn schemas(schemas: &mut Map<String, Value>) {
    let text = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let purge = json!({
        "type": "object",
        "description": "A permanent delete: the resource and all its revisions are gone.",
        "required": ["sequence", "resource_id", "model", "action", "created_time", "created_by"],
        "properties": {
            "sequence": { "type": "integer", "minimum": 0 },
            "resource_id": text, "model": text,
            "action": { "const": "purge" },
            "created_time": time, "created_by": text
        }
    });
    let revision = json!({
        "description": "A revision appended: its revision info, with `model` and, with `include_data=true`, its `data`.",
        "allOf": [
            schema_ref("RevisionInfo"),
            { "type": "object", "required": ["model"], "properties": { "model": text, "data": { "description": "The revision's data (with `include_data=true`); `null` when retention pruned it." }, "pruned": { "const": true, "description": "Present when retention dropped the revision's data (its info stays)." } } }
        ]
    });
    schemas.insert("FeedEvent".into(), json!({ "oneOf": [revision, purge] }));
    schemas.insert("FeedPage".into(), json!({
        "type": "object",
        "required": ["changes", "last_seq", "has_more"],
        "properties": {
            "changes": { "type": "array", "items": schema_ref("FeedEvent") },
            "last_seq": { "type": "integer", "minimum": 0, "description": "The sequence of the last event returned, or `since` when none: the `since` of the next page." },
            "has_more": { "type": "boolean", "description": "Whether more events followed when the page was read." }
        }
    }));
}
