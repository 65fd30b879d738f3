//! Models declared by a JSON Schema alone, without a Rust type (the model files of the
//! `specstar` binary, or a Rust program that reads its models at run time).
//!
//! [`JsonSchemaModel`] checks the declaration (the name, the version, the schema against the
//! draft 2020-12 meta-schema, an object at the top, the indexed paths, read from the schema
//! exactly as for typed models) and builds a [`ModelDef`] whose codec, `JsonSchemaCodec`,
//! fills in `default`s and then validates with a compiled [`jsonschema::Validator`], reporting
//! every failing path. Data that passes is stored as canonical JSON, as for typed models.

use std::cell::Cell;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::field::{indexed_fields, resolve_ref};
use super::migration::{Migrations, Step};
use super::policy::ModelPolicy;
use super::validation::{pointer_path, push_schema_error};
use super::{Codec, ModelDef};
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::hooks::Hooks;
use crate::id::check_model_name;
use crate::permission::Permissions;
use crate::retention::Retention;

/// The `$schema` of draft 2020-12, the only dialect a model's schema may name.
const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// How many meta-schema errors a refusal lists (the rest are counted).
const LISTED_SCHEMA_ERRORS: usize = 5;

/// The declaration of a model by a JSON Schema (draft 2020-12), without a Rust type.
///
/// ```
/// # use specstar_core::JsonSchemaModel;
/// let schema = serde_json::json!({
///     "type": "object",
///     "additionalProperties": false,
///     "required": ["title", "author"],
///     "properties": {
///         "title": {"type": "string", "minLength": 1},
///         "state": {"enum": ["draft", "published"], "default": "draft"},
///         "author": {"type": "object", "properties": {"name": {"type": "string"}}}
///     }
/// });
/// let model = JsonSchemaModel::new("document", "v1", schema)
///     .index("state")
///     .index("author.name")
///     .build()
///     .unwrap();
/// assert_eq!(model.name(), "document");
/// assert!(model.type_id().is_none());
/// let encoded = model.encode(serde_json::json!({"title": "t", "author": {"name": "ann"}})).unwrap();
/// assert_eq!(encoded.indexed["state"], "draft"); // the default, filled in
/// assert_eq!(encoded.indexed["author.name"], "ann");
/// ```
#[derive(Clone, Debug)]
pub struct JsonSchemaModel {
    name: String,
    version: String,
    schema: Value,
    indexed: Vec<String>,
    steps: Vec<Step>,
    policy: ModelPolicy,
}

impl JsonSchemaModel {
    /// A model named `name` (ASCII letters, digits, `-` and `_`: the prefix of its ids and its
    /// URL path), of schema version `version`, whose data is what `schema` accepts.
    pub fn new(name: impl Into<String>, version: impl Into<String>, schema: Value) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            schema,
            indexed: Vec::new(),
            steps: Vec::new(),
            policy: ModelPolicy::default(),
        }
    }

    /// Bounds the model's history (see [retention](crate::retention)): what a prune keeps.
    #[must_use]
    pub fn retention(mut self, policy: Retention) -> Self {
        self.policy.retention = policy;
        self
    }

    /// Who may do what to the model (see [permission](crate::permission)): without, everyone
    /// may do everything; with, whatever no rule allows is denied.
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.policy.permissions = Some(Arc::new(permissions));
        self
    }

    /// Runs `hooks` around every write of the model (see [hooks](crate::hooks)).
    #[must_use]
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.policy.hooks = Arc::new(hooks);
        self
    }

    /// Declares a migration step on raw JSON, from version `from` to version `to` (see
    /// [`Schema::migrate_json`](super::Schema::migrate_json)).
    #[must_use]
    pub fn migrate_json<E: std::fmt::Display>(
        mut self,
        from: impl Into<String>,
        to: impl Into<String>,
        step: impl Fn(Value) -> std::result::Result<Value, E> + Send + Sync + 'static,
    ) -> Self {
        self.steps.push(Step::json(from.into(), to.into(), step));
        self
    }

    /// Declares an indexed field, by name or dotted path (`"state"`, `"author.name"`).
    #[must_use]
    pub fn index(mut self, field: impl Into<String>) -> Self {
        self.indexed.push(field.into());
        self
    }

    /// Checks the declaration and turns it into a model definition.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`], naming the JSON path in the schema where there is one, for a
    /// bad name, an empty version, a schema that is not a valid JSON Schema 2020-12 (or names
    /// another dialect in `$schema`), whose top level is not `type: object`, or that the
    /// validator cannot compile (a `$ref` it cannot resolve), and for an indexed field the
    /// schema does not define or one declared twice.
    pub fn build(self) -> Result<ModelDef> {
        let name = self.name;
        let invalid = |reason: String| Error::InvalidSchema {
            model: name.clone(),
            reason,
        };
        check_model_name(&name).map_err(|reason| invalid(format!("bad model name: {reason}")))?;
        if self.version.trim().is_empty() {
            return Err(invalid("the schema version is empty".into()));
        }
        check_schema(&self.schema).map_err(invalid)?;
        let indexed_fields = indexed_fields(&self.schema, self.indexed).map_err(invalid)?;
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&self.schema)
            .map_err(|e| invalid(format!("the schema cannot be compiled: {e}")))?;
        let fingerprint = super::fingerprint::fingerprint(&self.schema).into();
        let schema = Arc::new(self.schema);
        let version: Arc<str> = self.version.into();
        let migrations = Migrations::new(version.clone(), self.steps).map_err(invalid)?;
        ModelDef {
            name: name.as_str().into(),
            schema_version: version,
            indexed_fields,
            json_schema: Value::clone(&schema),
            type_id: None,
            codec: Arc::new(JsonSchemaCodec {
                schema,
                validator: Arc::new(validator),
            }),
            migrations: Arc::new(migrations),
            fingerprint,
            policy: self.policy,
        }
        .with_checked_scopes()
    }
}

/// Checks that `schema` is a draft 2020-12 JSON Schema of objects; the reason names the JSON
/// path in the schema.
fn check_schema(schema: &Value) -> std::result::Result<(), String> {
    if let Some(dialect) = schema.get("$schema")
        && dialect.as_str().map(|d| d.trim_end_matches('#')) != Some(DRAFT_2020_12)
    {
        return Err(format!(
            "at $.$schema: the schema must be draft 2020-12 ({DRAFT_2020_12:?}), not {dialect}"
        ));
    }
    let meta = jsonschema::draft202012::meta::validator();
    let errors: Vec<String> = meta
        .iter_errors(schema)
        .map(|e| {
            format!(
                "at {}: {e}",
                pointer_path(schema, e.instance_path().as_str())
            )
        })
        .collect();
    if !errors.is_empty() {
        let more = errors.len().saturating_sub(LISTED_SCHEMA_ERRORS);
        let mut reason = format!(
            "not a valid JSON Schema 2020-12: {}",
            errors[..errors.len().min(LISTED_SCHEMA_ERRORS)].join("; ")
        );
        if more > 0 {
            reason.push_str(&format!(" (and {more} more)"));
        }
        return Err(reason);
    }
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        let found = schema
            .get("type")
            .map_or_else(|| "none".to_owned(), Value::to_string);
        return Err(format!(
            "at $.type: a model's schema must say `type: object` at its top level, not {found}"
        ));
    }
    Ok(())
}

/// The codec of a model declared by a JSON Schema: defaults, then the validator.
struct JsonSchemaCodec {
    /// The schema as given, the root `$ref`s resolve in.
    schema: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
}

impl Codec for JsonSchemaCodec {
    fn normalize(&self, mut data: Value) -> std::result::Result<Value, FieldErrors> {
        let defaults = Defaults {
            root: &self.schema,
            left: Cell::new(MAX_DEFAULTS),
            overflow: Cell::new(false),
        };
        defaults.apply(&self.schema, &mut data, &mut Vec::new(), 0);
        if defaults.overflow.get() {
            return Err(FieldErrors(vec![FieldError {
                path: "$".into(),
                reason: format!(
                    "the schema's defaults nest without end (more than {MAX_DEFAULTS} to fill \
                     in, or deeper than {MAX_DEFAULTS_DEPTH} levels)"
                ),
            }]));
        }
        let mut errors: Vec<FieldError> = Vec::new();
        for error in self.validator.iter_errors(&data) {
            push_schema_error(&data, &error, &mut errors);
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// How many defaults one document may receive: a bound for schemas whose defaults nest
/// without end (a property referring to its own object, with an object as its default).
const MAX_DEFAULTS: usize = 10_000;

/// How deep in the document defaults are filled in (as deep as serde_json parses).
const MAX_DEFAULTS_DEPTH: usize = 128;

/// Fills in the `default`s of absent properties, walking the schema beside the data.
struct Defaults<'a> {
    root: &'a Value,
    /// Defaults still allowed.
    left: Cell<usize>,
    /// Set when a default was due beyond `left` or `MAX_DEFAULTS_DEPTH`: the document is refused.
    overflow: Cell<bool>,
}

impl<'a> Defaults<'a> {
    /// Fills in the defaults `node` (a schema, `$ref`s resolved) gives `value`: each absent
    /// property whose schema has a `default` gets it, and each present object property (one
    /// just defaulted too) and array item is filled in likewise. `allOf` parts all apply;
    /// `anyOf`/`oneOf` alternatives do not (which one applies is not known before validation).
    /// `seen` holds the schemas already applied to this value, so that a schema referring to
    /// itself through `allOf` ends. `depth` is how deep `value` is in the document.
    fn apply(&self, node: &'a Value, value: &mut Value, seen: &mut Vec<&'a Value>, depth: usize) {
        let node = resolve_ref(self.root, node);
        if self.overflow.get() || seen.iter().any(|done| std::ptr::eq(*done, node)) {
            return;
        }
        seen.push(node);
        if let Some(parts) = node.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.apply(part, value, seen, depth);
            }
        }
        match value {
            Value::Object(object) => {
                if let Some(Value::Object(properties)) = node.get("properties") {
                    self.fill_properties(properties, object, depth + 1);
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = node.get("items").filter(|s| s.is_object()) {
                    for item in items {
                        self.apply(item_schema, item, &mut Vec::new(), depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn fill_properties(
        &self,
        properties: &'a Map<String, Value>,
        object: &mut Map<String, Value>,
        depth: usize,
    ) {
        for (key, property) in properties {
            if !object.contains_key(key) {
                // A `default` beside a `$ref` wins over the referenced schema's own.
                let default = property
                    .get("default")
                    .or_else(|| resolve_ref(self.root, property).get("default"));
                let Some(default) = default else { continue };
                match self.left.get().checked_sub(1) {
                    Some(left) if depth <= MAX_DEFAULTS_DEPTH => self.left.set(left),
                    _ => {
                        self.overflow.set(true);
                        return;
                    }
                }
                object.insert(key.clone(), default.clone());
            }
            if let Some(present) = object.get_mut(key) {
                self.apply(property, present, &mut Vec::new(), depth);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document_schema() -> Value {
        json!({
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
                    "properties": {
                        "name": {"type": "string"},
                        "email": {"type": ["string", "null"]},
                        "role": {"type": "string", "default": "writer"}
                    }
                },
                "meta": {"$ref": "#/$defs/meta", "default": {}},
                "due": {"type": ["string", "null"], "format": "date-time"}
            },
            "$defs": {
                "meta": {
                    "type": "object",
                    "properties": {"source": {"type": "string", "default": "web"}}
                }
            }
        })
    }

    fn document() -> ModelDef {
        JsonSchemaModel::new("document", "v1", document_schema())
            .index("state")
            .index("author.name")
            .index("due")
            .index("tags")
            .build()
            .unwrap()
    }

    fn reason(result: Result<ModelDef>) -> String {
        match result {
            Err(Error::InvalidSchema { reason, .. }) => reason,
            Err(other) => panic!("not an invalid schema: {other}"),
            Ok(model) => panic!("built: {model:?}"),
        }
    }

    fn paths(result: Result<crate::schema::EncodedData>) -> Vec<String> {
        let Err(Error::Validation { errors, .. }) = result else {
            panic!("not a validation error: {result:?}")
        };
        let mut paths: Vec<String> = errors.0.into_iter().map(|e| e.path).collect();
        paths.sort_unstable();
        paths
    }

    #[test]
    fn indexed_fields_read_the_schema_like_typed_models() {
        let model = document();
        assert!(model.type_id().is_none());
        assert_eq!(
            model.json_schema(),
            &document_schema(),
            "the schema as given"
        );
        let found: Vec<(&str, crate::FieldShape, bool)> = model
            .indexed_fields()
            .iter()
            .map(|f| (f.path(), f.shape(), f.is_timestamp()))
            .collect();
        use crate::FieldShape::{Array, Scalar};
        assert_eq!(
            found,
            [
                ("state", Scalar, false),
                ("author.name", Scalar, false),
                ("due", Scalar, true),
                ("tags", Array, false)
            ]
        );
        assert!(
            model.indexed_fields()[0]
                .domain()
                .refuses_value(&json!("gone"))
                .is_some(),
            "the enum is the field's domain"
        );
    }

    #[test]
    fn defaults_are_filled_in_nested_and_through_refs() {
        let encoded = document()
            .encode(json!({"title": "t", "author": {"name": "ann"}}))
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&encoded.bytes).unwrap(),
            r#"{"author":{"name":"ann","role":"writer"},"meta":{"source":"web"},"state":"draft","tags":[],"title":"t","word_count":0}"#
        );
        assert_eq!(encoded.indexed["author.name"], json!("ann"));
        assert_eq!(encoded.indexed["due"], Value::Null);
        let given = document()
            .encode(json!({"title": "t", "state": "review", "author": {"name": "b", "role": "editor"}, "meta": {"source": "api"}}))
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&given.bytes).unwrap(),
            r#"{"author":{"name":"b","role":"editor"},"meta":{"source":"api"},"state":"review","tags":[],"title":"t","word_count":0}"#,
            "values given are kept"
        );
    }

    #[test]
    fn every_failing_path_is_reported_unknown_fields_nested_too() {
        let model = document();
        assert_eq!(
            paths(model.encode(json!({
                "title": "",
                "word_count": -1,
                "tags": ["a", 2],
                "author": {"name": "ann", "nick": "a"},
                "bogus": true,
                "due": "yesterday"
            }))),
            [
                "$.author.nick",
                "$.bogus",
                "$.due",
                "$.tags[1]",
                "$.title",
                "$.word_count"
            ]
        );
        let missing = model.encode(json!({"title": "t"})).unwrap_err();
        let Error::Validation { errors, .. } = &missing else {
            panic!("{missing}")
        };
        assert_eq!(errors.0.len(), 1, "{missing}");
        assert_eq!(errors.0[0].path, "$");
        assert!(errors.0[0].reason.contains("author"), "{missing}");
        let Err(Error::Validation { errors, .. }) =
            model.encode(json!({"title": "t", "author": {"name": "a", "x": 1}}))
        else {
            panic!()
        };
        assert_eq!(
            errors.0[0].reason,
            "unknown field: the model has no such field"
        );
        assert!(model.encode(json!([1])).is_err(), "not an object");
        assert!(
            model
                .encode(
                    json!({"title": "t", "author": {"name": "a"}, "due": "2026-01-01T00:00:00Z"})
                )
                .is_ok()
        );
    }

    #[test]
    fn bad_declarations_are_refused_naming_the_path() {
        let schema = document_schema;
        assert!(
            reason(JsonSchemaModel::new("my doc", "v1", schema()).build())
                .contains("bad model name")
        );
        assert!(
            reason(JsonSchemaModel::new("document", " ", schema()).build()).contains("version")
        );
        let bad_type = json!({"type": "object", "properties": {"a": {"type": "text"}}});
        let why = reason(JsonSchemaModel::new("d", "v1", bad_type).build());
        assert!(why.contains("$.properties.a.type"), "{why}");
        let bad_min = json!({"type": "object", "properties": {"a": {"minLength": -1}}});
        let why = reason(JsonSchemaModel::new("d", "v1", bad_min).build());
        assert!(why.contains("$.properties.a.minLength"), "{why}");
        let why = reason(JsonSchemaModel::new("d", "v1", json!({"type": "string"})).build());
        assert!(why.contains("$.type") && why.contains("object"), "{why}");
        let why = reason(JsonSchemaModel::new("d", "v1", json!({"properties": {}})).build());
        assert!(why.contains("$.type"), "{why}");
        let why = reason(JsonSchemaModel::new("d", "v1", json!(true)).build());
        assert!(why.contains("object"), "{why}");
        let old = json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"});
        let why = reason(JsonSchemaModel::new("d", "v1", old).build());
        assert!(why.contains("$.$schema"), "{why}");
        let named = json!({"$schema": DRAFT_2020_12, "type": "object"});
        assert!(JsonSchemaModel::new("d", "v1", named).build().is_ok());
        let dangling = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}});
        let why = reason(JsonSchemaModel::new("d", "v1", dangling).build());
        assert!(why.contains("compiled"), "{why}");
        for (index, expect) in [
            ("nope", "not a field"),
            ("author.nope", "not a field"),
            ("author..name", "malformed"),
            ("state", "twice"),
        ] {
            let why = reason(
                JsonSchemaModel::new("d", "v1", schema())
                    .index("state")
                    .index(index)
                    .build(),
            );
            assert!(why.contains(expect), "{index}: {why}");
        }
    }

    #[test]
    fn schemas_that_refer_to_themselves_terminate() {
        let recursive = json!({
            "type": "object",
            "allOf": [{"$ref": "#"}, {"$ref": "#"}],
            "properties": {
                "child": {"$ref": "#"},
                "n": {"type": "integer", "default": 1}
            }
        });
        let model = JsonSchemaModel::new("tree", "v1", recursive)
            .build()
            .unwrap();
        let encoded = model.encode(json!({"child": {"child": {}}})).unwrap();
        assert_eq!(
            std::str::from_utf8(&encoded.bytes).unwrap(),
            r#"{"child":{"child":{"n":1},"n":1},"n":1}"#
        );
    }
}
