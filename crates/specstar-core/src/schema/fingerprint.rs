//! A schema's fingerprint: what a store records of each version it registered, so that a
//! changed schema under an unchanged version is refused (its data would change meaning without
//! a migration).
//!
//! The fingerprint is `sha256:` and 64 hex digits over the canonical JSON of the JSON Schema
//! with its annotations left out (`title`, `description`, `examples`, `$comment`,
//! `deprecated`, `readOnly`, `writeOnly`): editing a doc comment changes no data, so it is no
//! new version. Everything that decides which data fits, and its defaults, is covered.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::hash::canonical_json;

/// The keywords that only annotate.
const ANNOTATIONS: [&str; 7] = [
    "title",
    "description",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords whose value is a map of names to schemas.
const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is a schema, or an array of schemas.
const SUBSCHEMAS: [&str; 16] = [
    "items",
    "prefixItems",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "contentSchema",
];

/// The fingerprint of `schema`.
pub(crate) fn fingerprint(schema: &Value) -> String {
    let digest = Sha256::digest(canonical_json(&without_annotations(schema)));
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// `schema` without its annotation keywords, at every level that is a schema.
fn without_annotations(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        return schema.clone();
    };
    let mut kept = Map::new();
    for (key, value) in object {
        if ANNOTATIONS.contains(&key.as_str()) {
            continue;
        }
        let value = if SCHEMA_MAPS.contains(&key.as_str()) {
            match value {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(name, sub)| (name.clone(), without_annotations(sub)))
                        .collect(),
                ),
                other => other.clone(),
            }
        } else if SUBSCHEMAS.contains(&key.as_str()) {
            match value {
                Value::Array(items) => {
                    Value::Array(items.iter().map(without_annotations).collect())
                }
                other => without_annotations(other),
            }
        } else {
            value.clone()
        };
        kept.insert(key.clone(), value);
    }
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn annotations_do_not_count_and_everything_else_does() {
        let schema = json!({
            "type": "object",
            "description": "an issue",
            "properties": {
                "title": {"type": "string", "description": "a summary", "minLength": 1},
                "description": {"type": "string"}
            }
        });
        let edited = json!({
            "type": "object",
            "title": "Issue",
            "properties": {
                "title": {"type": "string", "minLength": 1, "examples": ["x"]},
                "description": {"type": "string", "$comment": "free text"}
            }
        });
        assert_eq!(fingerprint(&schema), fingerprint(&edited));
        let fewer = json!({
            "type": "object",
            "properties": {"title": {"type": "string", "minLength": 1}}
        });
        assert_ne!(
            fingerprint(&schema),
            fingerprint(&fewer),
            "a property named description counts"
        );
        let stricter = json!({
            "type": "object",
            "properties": {
                "title": {"type": "string", "minLength": 2},
                "description": {"type": "string"}
            }
        });
        assert_ne!(fingerprint(&schema), fingerprint(&stricter));
        assert!(fingerprint(&schema).starts_with("sha256:"));
        assert_eq!(fingerprint(&schema).len(), "sha256:".len() + 64);
    }
}
