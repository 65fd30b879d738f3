//! The codec of a model declared by a Rust type: data fits when serde deserializes it into the
//! type (unknown fields refused unless the schema allows them); its normal form is the type's
//! serialization, defaults filled in.

use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::Value;

use super::validation::{UNKNOWN_FIELD, push_schema_error};
use super::{Codec, Model};
use crate::error::{FieldError, FieldErrors};
use crate::json::json_path;

pub(super) struct TypedCodec<T> {
    allow_unknown_fields: bool,
    /// The model's JSON Schema, compiled: run only when serde refuses the data, to list every
    /// field that does not fit rather than serde's first one.
    validator: Option<Arc<jsonschema::Validator>>,
    model: PhantomData<fn() -> T>,
}

impl<T> TypedCodec<T> {
    /// The codec of `T`, whose JSON Schema is `schema`.
    pub(super) fn new(allow_unknown_fields: bool, schema: &Value) -> Self {
        // A schema the validator cannot compile only costs the fuller error list, never a write.
        let validator = jsonschema::validator_for(schema).ok().map(Arc::new);
        Self {
            allow_unknown_fields,
            validator,
            model: PhantomData,
        }
    }
}

impl<T: Model> Codec for TypedCodec<T> {
    fn normalize(&self, data: Value) -> std::result::Result<Value, FieldErrors> {
        let mut unknown = Vec::new();
        let mut note_unknown = |path: serde_ignored::Path<'_>| unknown.push(ignored_path(&path));
        let tracked = serde_ignored::Deserializer::new(&data, &mut note_unknown);
        let typed: std::result::Result<T, _> = serde_path_to_error::deserialize(tracked);
        let unknown = if self.allow_unknown_fields {
            Vec::new()
        } else {
            unknown
        };
        let unknown = unknown.into_iter().map(|path| FieldError {
            path,
            reason: UNKNOWN_FIELD.into(),
        });
        let typed = match typed {
            Ok(typed) => typed,
            Err(e) => {
                let first = FieldError {
                    path: json_path(&e.path().to_string()),
                    reason: e.inner().to_string(),
                };
                let mut errors = self.schema_errors(&data);
                if !errors.iter().any(|known| known.path == first.path) {
                    errors.push(first);
                }
                for field in unknown {
                    if !errors.iter().any(|known| known.path == field.path) {
                        errors.push(field);
                    }
                }
                return Err(FieldErrors(errors));
            }
        };
        let unknown: Vec<FieldError> = unknown.collect();
        if !unknown.is_empty() {
            return Err(FieldErrors(unknown));
        }
        crate::json::to_json(&typed)
    }
}

impl<T> TypedCodec<T> {
    /// Every place where `data` breaks the model's JSON Schema, as JSON paths.
    fn schema_errors(&self, data: &Value) -> Vec<FieldError> {
        let Some(validator) = &self.validator else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        for error in validator.iter_errors(data) {
            push_schema_error(data, &error, &mut errors);
        }
        errors
    }
}

/// The JSON path of a field serde_ignored reports (it marks `Option`s and newtypes as steps of
/// their own, which a JSON path does not have).
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => "$".into(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => format!("{}.{key}", ignored_path(parent)),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// `schema` as the codec enforces it when unknown fields are refused: every object schema that
/// lists its properties and says nothing of others gets `additionalProperties: false`, so that
/// what the schema tells clients (the OpenAPI document, the admin UI's editor) is what a write
/// is checked against. Maps (`additionalProperties` given) and free values are left as they are.
pub(super) fn closed(mut schema: Value) -> Value {
    close(&mut schema);
    schema
}

fn close(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".into(), Value::Bool(false));
            }
            object.values_mut().for_each(close);
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}
