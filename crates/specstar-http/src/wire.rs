//! The records as they go on the wire: the core's fields plus the reference's keys that its
//! clients read, derived from ours.
//!
//! The reference's revisions can be drafts rewritten in place, so its revision info has a
//! `status` and `updated_*` besides `created_*`, and its meta mirrors the current revision as
//! `rev_*`. Here a revision never changes once written: `status` is always `"stable"`,
//! `updated_*` equal `created_*`, and the `rev_*` mirrors are the current revision's (the
//! meta's `updated_*`). Sending them costs nothing and keeps the reference's clients working.

use serde_json::{Map, Value, json};
use specstar_core::{ResourceMeta, RevisionInfo};

use crate::problem::Problem;
use crate::shape::to_value;

/// The status every revision has: revisions are immutable, never drafts.
pub(crate) const STABLE: &str = "stable";

/// A revision info with the reference's `status`, `updated_time` and `updated_by`.
///
/// # Errors
/// A 500 problem if the record cannot be written as JSON (it always can).
pub(crate) fn revision_info(info: &RevisionInfo) -> Result<Value, Problem> {
    let mut value = to_value(info)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("status".into(), json!(STABLE));
        object.insert("updated_time".into(), json!(info.created_time));
        object.insert("updated_by".into(), json!(info.created_by));
    }
    Ok(value)
}

/// A resource meta with the reference's `rev_*` mirrors of the current revision.
///
/// # Errors
/// A 500 problem if the record cannot be written as JSON (it always can).
pub(crate) fn meta(meta: &ResourceMeta) -> Result<Value, Problem> {
    let mut value = to_value(meta)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("rev_status".into(), json!(STABLE));
        object.insert("rev_created_time".into(), json!(meta.updated_time));
        object.insert("rev_created_by".into(), json!(meta.updated_by));
        object.insert("rev_updated_time".into(), json!(meta.updated_time));
        object.insert("rev_updated_by".into(), json!(meta.updated_by));
    }
    Ok(value)
}

/// Adds the keys [`revision_info`] and [`meta`] send to the JSON Schemas of the two records,
/// so that the OpenAPI document describes what is sent.
pub(crate) fn describe_extra_keys(schemas: &mut Map<String, Value>) {
    let time = json!({ "type": "string", "format": "date-time" });
    let text = json!({ "type": "string" });
    let status =
        json!({ "const": STABLE, "description": "Always `stable`: revisions never change." });
    let extras = [
        (
            "RevisionInfo",
            vec![
                ("status", status.clone()),
                ("updated_time", time.clone()),
                ("updated_by", text.clone()),
            ],
        ),
        (
            "ResourceMeta",
            vec![
                ("rev_status", status),
                ("rev_created_time", time.clone()),
                ("rev_created_by", text.clone()),
                ("rev_updated_time", time),
                ("rev_updated_by", text),
            ],
        ),
    ];
    for (record, keys) in extras {
        let Some(properties) = schemas
            .get_mut(record)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (key, schema) in keys {
            properties.insert(key.into(), schema);
        }
    }
}
