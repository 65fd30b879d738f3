//! Schemas: how a Rust type becomes a registered model.
//!
//! [`Schema`] is what users write (`Schema::<Issue>::new("v1").index("status")`); registering it
//! turns it into a [`ModelDef`], the type-erased model every other layer works with. A model
//! definition knows how to check untyped JSON against the model (deserialize it into the type,
//! refusing unknown fields by default) and how to turn data into what a store keeps: canonical
//! bytes, their hash and the values of the indexed fields.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use heck::ToKebabCase;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::Domain;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::hash::{DataHash, canonical_json};
use crate::id::check_model_name;
use crate::json::json_path;
use crate::meta::IndexedValues;
use crate::query::canonical_timestamp;
use crate::revision::RevisionInfo;
use crate::time::Timestamp;

/// What a Rust type needs to be a model: serde both ways and a JSON Schema.
///
/// The traits are serde 1's and schemars 1's; a derive of another major version (schemars 0.8)
/// does not count, which the compiler error says rather than hinting at a missing derive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a specstar model: it needs serde 1's `Serialize` and \
               `Deserialize` and schemars 1's `JsonSchema`",
    note = "derive them from the versions specstar uses: depend on `serde = {{ version = \"1\", \
            features = [\"derive\"] }}` and `schemars = \"1\"` (a schemars 0.8 derive does not \
            count), or derive `specstar::Serialize`, `specstar::Deserialize` and \
            `specstar::JsonSchema` with `#[serde(crate = \"specstar::serde\")]` and \
            `#[schemars(crate = \"specstar::schemars\")]`"
)]
pub trait Model: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static> Model for T {}

/// The declaration of a model: its type, schema version, name and indexed fields.
///
/// ```
/// # use specstar_core::Schema;
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// struct BlogPost { title: String, author: String }
///
/// let schema = Schema::<BlogPost>::new("v1").index("author");
/// let model = schema.build().unwrap();
/// assert_eq!(model.name(), "blog-post");
/// ```
pub struct Schema<T> {
    version: String,
    name: Option<String>,
    indexed: Vec<String>,
    allow_unknown_fields: bool,
    model: PhantomData<fn() -> T>,
}

// `new` bounds `T` on the function rather than on the impl, so that a type that is not a
// `Model` gets the trait's own message (E0277, naming the versions) instead of E0599's
// "method exists but its trait bounds were not satisfied".
impl<T> Schema<T> {
    /// A schema of version `version` (e.g. `"v1"`), named after the type in kebab case.
    pub fn new(version: impl Into<String>) -> Self
    where
        T: Model,
    {
        Self {
            version: version.into(),
            name: None,
            indexed: Vec::new(),
            allow_unknown_fields: false,
            model: PhantomData,
        }
    }
}

impl<T: Model> Schema<T> {
    /// Names the model (the prefix of its ids and its URL path) instead of the type's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Declares an indexed field, by name or dotted path (`"assignee"`, `"owner.team"`): its
    /// value is stored with the resource's head, ready to search.
    #[must_use]
    pub fn index(mut self, field: impl Into<String>) -> Self {
        self.indexed.push(field.into());
        self
    }

    /// Drops fields the model does not have instead of refusing the data (the reference's
    /// default, which it warns is unsafe).
    #[must_use]
    pub fn allow_unknown_fields(mut self) -> Self {
        self.allow_unknown_fields = true;
        self
    }

    /// Checks the declaration and turns it into a model definition.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`] for a bad name, an empty version, an indexed field the model
    /// does not have, or one declared twice.
    pub fn build(self) -> Result<ModelDef> {
        let name = self.name.unwrap_or_else(default_model_name::<T>);
        let invalid = |reason: String| Error::InvalidSchema {
            model: name.clone(),
            reason,
        };
        check_model_name(&name).map_err(|reason| invalid(format!("bad model name: {reason}")))?;
        if self.version.trim().is_empty() {
            return Err(invalid("the schema version is empty".into()));
        }
        let json_schema = serde_json::to_value(schemars::schema_for!(T))
            .map_err(|e| invalid(format!("its JSON Schema cannot be written: {e}")))?;
        let mut indexed_fields: Vec<IndexedField> = Vec::new();
        for path in self.indexed {
            if indexed_fields.iter().any(|f| f.path == path) {
                return Err(invalid(format!("field {path:?} is indexed twice")));
            }
            let mut field = IndexedField::new(&path)
                .ok_or_else(|| invalid(format!("indexed field path {path:?} is malformed")))?;
            field.shape = field_shape(&json_schema, &json_schema, &field.segments);
            field.timestamp = match field.shape {
                FieldShape::Array => {
                    items_are_timestamps(&json_schema, &json_schema, &field.segments)
                }
                _ => field_is_timestamp(&json_schema, &json_schema, &field.segments),
            };
            field.domain = Domain::of_path(&json_schema, &field.segments);
            if !schema_has_field(&json_schema, &json_schema, &field.segments) {
                return Err(invalid(format!(
                    "indexed field {path:?} is not a field of the model"
                )));
            }
            indexed_fields.push(field);
        }
        // A schema the validator cannot compile only costs the fuller error list, never a write.
        let validator = jsonschema::validator_for(&json_schema).ok().map(Arc::new);
        Ok(ModelDef {
            name: name.into(),
            schema_version: self.version.into(),
            indexed_fields,
            json_schema,
            type_id: Some(TypeId::of::<T>()),
            codec: Arc::new(TypedCodec::<T> {
                allow_unknown_fields: self.allow_unknown_fields,
                validator,
                model: PhantomData,
            }),
        })
    }
}

/// The kebab-case name of a type without its module path or generics (`BlogPost` → `blog-post`).
fn default_model_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_kebab_case()
}

/// An indexed field: its dotted path, kept whole and split, and what its values are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedField {
    path: String,
    segments: Vec<String>,
    timestamp: bool,
    domain: Domain,
    shape: FieldShape,
}

/// What an indexed field holds, as the model's JSON Schema says: it decides what conditions
/// mean on the field (see [the query model](crate::query#arrays)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FieldShape {
    /// One value (a string, number, boolean or null, or anything the schema leaves open):
    /// conditions compare the value.
    #[default]
    Scalar,
    /// An array of scalars (or null), such as `Vec<String>` or `Option<Vec<i64>>`: stores
    /// index it element by element, and `eq`, `contains` and `in` test its elements.
    Array,
    /// An array of objects or arrays: no element compares with a scalar, so only `is_null`
    /// and `exists` apply.
    NestedArray,
}

impl IndexedField {
    /// A field at a dotted path (`"status"`, `"owner.team"`), indexed as plain JSON, or as
    /// times in canonical form when `timestamp`; `None` for a malformed path (an empty
    /// segment). [`Schema`] makes these from the model; this is for stores' own tests.
    pub fn at(path: &str, timestamp: bool) -> Option<Self> {
        let mut field = Self::new(path)?;
        field.timestamp = timestamp;
        Some(field)
    }

    /// The same field with another shape (for arrays; with `timestamp`, its elements are times).
    /// [`Schema`] reads the shape from the model; this is for stores and their tests.
    #[must_use]
    pub fn with_shape(mut self, shape: FieldShape) -> Self {
        self.shape = shape;
        self
    }

    /// What the field holds, as the model's JSON Schema says.
    pub fn shape(&self) -> FieldShape {
        self.shape
    }

    /// Whether the field is an array of scalars, indexed element by element.
    pub fn is_array(&self) -> bool {
        self.shape == FieldShape::Array
    }

    fn new(path: &str) -> Option<Self> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return None;
        }
        Some(Self {
            path: path.to_owned(),
            segments,
            timestamp: false,
            domain: Domain::Any,
            shape: FieldShape::Scalar,
        })
    }

    /// Whether the field holds times (its JSON Schema says `format: date-time`; for an
    /// array, its elements do): its values are indexed in
    /// [canonical form](crate::query::canonical_timestamp), so that they compare as instants.
    pub fn is_timestamp(&self) -> bool {
        self.timestamp
    }

    /// The values the field can hold, from the model's JSON Schema ([`Domain::Any`] for a
    /// field made by [`at`](Self::at)): conditions no such value could satisfy are refused.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The dotted path, as declared.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The field's value in `data` as it is indexed; `Null` where the path is absent. A time
    /// (or each time of an array of times) is indexed in
    /// [canonical form](crate::query::canonical_timestamp).
    pub fn value_in(&self, data: &Value) -> Value {
        let mut node = data;
        for segment in &self.segments {
            match node.get(segment) {
                Some(next) => node = next,
                None => return Value::Null,
            }
        }
        match node {
            Value::Array(elements) if self.timestamp && self.is_array() => {
                Value::Array(elements.iter().map(canonical_time_value).collect())
            }
            _ if self.timestamp => canonical_time_value(node),
            _ => node.clone(),
        }
    }
}

/// A time value in canonical form; any other value as it is.
fn canonical_time_value(value: &Value) -> Value {
    value
        .as_str()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .and_then(canonical_timestamp)
        .map_or_else(|| value.clone(), Value::String)
}

/// The schemas the property path `segments` of the JSON Schema `node` may have (through
/// `anyOf`, `oneOf` and `allOf`), `$ref`s resolved.
fn leaf_schemas<'a>(
    root: &'a Value,
    node: &'a Value,
    segments: &[String],
    out: &mut Vec<&'a Value>,
) {
    let node = resolve_ref(root, node);
    match segments.split_first() {
        None => out.push(node),
        Some((first, rest)) => {
            if let Some(property) = node.get("properties").and_then(|p| p.get(first)) {
                leaf_schemas(root, property, rest, out);
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alternatives) = node.get(key).and_then(Value::as_array) {
            for alt in alternatives {
                leaf_schemas(root, alt, segments, out);
            }
        }
    }
}

/// The JSON types a schema names in `type` (none when it names none).
fn schema_types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a schema allows only scalars (strings, numbers, booleans, null): by its `type`, its
/// `enum` or `const`, or alternatives that all do.
fn is_scalar_schema(root: &Value, node: &Value) -> bool {
    let node = resolve_ref(root, node);
    let types = schema_types(node);
    if !types.is_empty() {
        return types
            .iter()
            .all(|t| matches!(*t, "string" | "number" | "integer" | "boolean" | "null"));
    }
    let scalar = |v: &Value| !v.is_array() && !v.is_object();
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values.iter().all(scalar);
    }
    if let Some(value) = node.get("const") {
        return scalar(value);
    }
    ["anyOf", "oneOf"].iter().any(|key| {
        node.get(key)
            .and_then(Value::as_array)
            .is_some_and(|alts| !alts.is_empty() && alts.iter().all(|a| is_scalar_schema(root, a)))
    })
}

/// The shape of the property path `segments`: an array when every schema it may have is an
/// array (or null), of scalars when its items are.
fn field_shape(root: &Value, node: &Value, segments: &[String]) -> FieldShape {
    let mut leaves = Vec::new();
    leaf_schemas(root, node, segments, &mut leaves);
    // Alternatives (`anyOf: [{$ref}, {type: null}]`) count by the arrays among them.
    let typed: Vec<&Value> = leaves
        .into_iter()
        .filter(|n| !schema_types(n).is_empty())
        .filter(|n| schema_types(n) != ["null"])
        .collect();
    let arrays = |n: &&Value| {
        schema_types(n)
            .iter()
            .all(|t| matches!(*t, "array" | "null"))
    };
    if typed.is_empty() || !typed.iter().all(arrays) {
        return FieldShape::Scalar;
    }
    let scalar_items = typed.iter().all(|n| {
        n.get("items")
            .is_some_and(|items| items.is_object() && is_scalar_schema(root, items))
            && n.get("prefixItems").is_none()
    });
    if scalar_items {
        FieldShape::Array
    } else {
        FieldShape::NestedArray
    }
}

/// Whether the items of the array at the property path `segments` are `date-time` strings.
fn items_are_timestamps(root: &Value, node: &Value, segments: &[String]) -> bool {
    let mut leaves = Vec::new();
    leaf_schemas(root, node, segments, &mut leaves);
    leaves
        .iter()
        .filter_map(|n| n.get("items"))
        .any(|items| is_date_time(root, items))
}

/// Whether the JSON Schema `node` (inside document `root`) has the property path `segments`.
fn schema_has_field(root: &Value, node: &Value, segments: &[String]) -> bool {
    let node = resolve_ref(root, node);
    let Some((first, rest)) = segments.split_first() else {
        return true;
    };
    if let Some(property) = node.get("properties").and_then(|p| p.get(first))
        && schema_has_field(root, property, rest)
    {
        return true;
    }
    ["anyOf", "oneOf", "allOf"].iter().any(|key| {
        node.get(key)
            .and_then(Value::as_array)
            .is_some_and(|alternatives| {
                alternatives
                    .iter()
                    .any(|alt| schema_has_field(root, alt, segments))
            })
    })
}

/// Whether the property path `segments` of the JSON Schema `node` is a `date-time` string (or
/// an optional one).
fn field_is_timestamp(root: &Value, node: &Value, segments: &[String]) -> bool {
    let node = resolve_ref(root, node);
    let Some((first, rest)) = segments.split_first() else {
        return is_date_time(root, node);
    };
    if let Some(property) = node.get("properties").and_then(|p| p.get(first))
        && field_is_timestamp(root, property, rest)
    {
        return true;
    }
    ["anyOf", "oneOf", "allOf"].iter().any(|key| {
        node.get(key).and_then(Value::as_array).is_some_and(|alts| {
            alts.iter()
                .any(|alt| field_is_timestamp(root, alt, segments))
        })
    })
}

fn is_date_time(root: &Value, node: &Value) -> bool {
    let node = resolve_ref(root, node);
    node.get("format").and_then(Value::as_str) == Some("date-time")
        || ["anyOf", "oneOf"].iter().any(|key| {
            node.get(key)
                .and_then(Value::as_array)
                .is_some_and(|alts| alts.iter().any(|alt| is_date_time(root, alt)))
        })
}

fn resolve_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(node),
        None => node,
    }
}

/// Checks untyped data against a model and brings it to the model's normal form.
pub trait Codec: Send + Sync + 'static {
    /// Validates `data` and returns it as the model writes it (defaults filled in).
    ///
    /// # Errors
    /// The field errors when the data does not fit.
    fn normalize(&self, data: Value) -> std::result::Result<Value, FieldErrors>;
}

struct TypedCodec<T> {
    allow_unknown_fields: bool,
    /// The model's JSON Schema, compiled: run only when serde refuses the data, to list every
    /// field that does not fit rather than serde's first one.
    validator: Option<Arc<jsonschema::Validator>>,
    model: PhantomData<fn() -> T>,
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
            reason: "unknown field: the model has no such field".into(),
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
                errors.extend(unknown);
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

/// Adds `error` to `out`, or, for an `anyOf`/`oneOf` (an `Option`, an enum) where exactly one
/// alternative fits the value's shape and fails only deeper inside it, that alternative's own
/// errors: `$.owner.team` rather than "`$.owner` fits none of the alternatives".
fn push_schema_error(
    data: &Value,
    error: &jsonschema::ValidationError<'_>,
    out: &mut Vec<FieldError>,
) {
    use jsonschema::error::ValidationErrorKind;
    let at = error.instance_path().as_str();
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } =
        error.kind()
    {
        let deeper = |alternative: &&Vec<jsonschema::ValidationError<'static>>| {
            alternative
                .iter()
                .all(|e| e.instance_path().as_str().len() > at.len())
        };
        let mut fitting = context.iter().filter(deeper);
        if let (Some(only), None) = (fitting.next(), fitting.next()) {
            for inner in only {
                push_schema_error(data, inner, out);
            }
            return;
        }
    }
    out.push(FieldError {
        path: pointer_path(data, at),
        reason: error.to_string(),
    });
}

/// Turns a JSON Pointer into `data` (`/tags/2`) into a JSON path (`$.tags[2]`): a segment is an
/// index where `data` has an array, else a key.
fn pointer_path(data: &Value, pointer: &str) -> String {
    let mut path = String::from("$");
    let mut node = Some(data);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        node = match node {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{segment}]"));
                segment.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            other => {
                path.push('.');
                path.push_str(&segment);
                other.and_then(|n| n.get(&segment))
            }
        };
    }
    path
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

/// Data ready for a store: canonical JSON bytes, their hash and the indexed values.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedData {
    /// Canonical JSON (see [`crate::hash`]).
    pub bytes: Bytes,
    /// The hash of `bytes`.
    pub hash: DataHash,
    /// The values of the model's indexed fields.
    pub indexed: IndexedValues,
}

/// A registered model, type erased: what stores, resource managers and the HTTP layer share.
#[derive(Clone)]
pub struct ModelDef {
    name: Arc<str>,
    schema_version: Arc<str>,
    indexed_fields: Vec<IndexedField>,
    json_schema: Value,
    type_id: Option<TypeId>,
    codec: Arc<dyn Codec>,
}

impl ModelDef {
    /// The model's name: the prefix of its ids and its URL path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The schema version new revisions are written with.
    pub fn schema_version(&self) -> &Arc<str> {
        &self.schema_version
    }

    /// The indexed fields, in declaration order.
    pub fn indexed_fields(&self) -> &[IndexedField] {
        &self.indexed_fields
    }

    /// The model's JSON Schema (draft 2020-12, as schemars writes it).
    pub fn json_schema(&self) -> &Value {
        &self.json_schema
    }

    /// The Rust type the model was declared with, if any.
    pub fn type_id(&self) -> Option<TypeId> {
        self.type_id
    }

    /// Validates untyped data and encodes its normal form.
    ///
    /// # Errors
    /// [`Error::Validation`] when the data does not fit the model.
    pub fn encode(&self, data: Value) -> Result<EncodedData> {
        let normal = self
            .codec
            .normalize(data)
            .map_err(|errors| Error::Validation {
                model: self.name.to_string(),
                errors,
            })?;
        Ok(self.encode_valid(&normal))
    }

    /// Checks a stored revision's data against the model as declared now and encodes its normal
    /// form: what revert and restore write, so that they never write data the model cannot read.
    ///
    /// # Errors
    /// [`Error::DoesNotFitModel`] naming the revision, its schema version and the fields.
    pub fn encode_stored(&self, info: &RevisionInfo, data: Value) -> Result<EncodedData> {
        self.encode(data).map_err(|error| match error {
            Error::Validation { errors, .. } => self.does_not_fit(info, errors),
            other => other,
        })
    }

    /// The error for a stored revision whose data does not fit the model as declared now.
    pub fn does_not_fit(&self, info: &RevisionInfo, errors: FieldErrors) -> Error {
        Error::DoesNotFitModel {
            model: self.name.to_string(),
            revision_id: info.revision_id.clone(),
            stored_schema_version: info.schema_version.clone(),
            current_schema_version: self.schema_version.clone(),
            errors,
        }
    }

    /// Encodes data already known to fit (it came from the model's own type).
    pub fn encode_valid(&self, data: &Value) -> EncodedData {
        let bytes = canonical_json(data);
        EncodedData {
            hash: DataHash::of(&bytes),
            bytes: bytes.into(),
            indexed: self.indexed_values(data),
        }
    }

    /// The values of the indexed fields in `data`.
    pub fn indexed_values(&self, data: &Value) -> IndexedValues {
        self.indexed_fields
            .iter()
            .map(|field| (field.path.clone(), field.value_in(data)))
            .collect()
    }
}

impl fmt::Debug for ModelDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelDef")
            .field("name", &self.name)
            .field("schema_version", &self.schema_version)
            .field("indexed_fields", &self.indexed_fields)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct BlogPost {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
        owner: Option<Owner>,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Owner {
        team: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Reading {
        level: f32,
    }

    #[test]
    fn untyped_data_that_overflows_a_float_field_is_refused_not_stored_as_null() {
        let model = Schema::<Reading>::new("v1").build().unwrap();
        let err = model.encode(json!({"level": 1e39})).unwrap_err();
        let Error::Validation { errors, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(errors.0[0].path, "$.level", "{err}");
        assert!(errors.0[0].reason.contains("finite"), "{err}");
        assert!(model.encode(json!({"level": 1.5})).is_ok());
    }

    #[derive(Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(rename_all = "snake_case")]
    enum Level {
        /// Documented, so that schemars writes `oneOf` of consts.
        Low,
        High,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Shapes {
        plain: String,
        maybe: Option<String>,
        owner: Option<Owner>,
        any: Value,
        tags: Vec<String>,
        scores: Option<Vec<i64>>,
        levels: std::collections::BTreeSet<Level>,
        maybe_levels: Option<Vec<Level>>,
        holes: Vec<Option<String>>,
        times: Option<Vec<Timestamp>>,
        owners: Vec<Owner>,
        nested: Vec<Vec<String>>,
        pairs: Vec<(String, i64)>,
        either: Either,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }

    #[test]
    fn shapes_come_from_the_json_schema() {
        let fields = [
            ("plain", FieldShape::Scalar, false),
            ("maybe", FieldShape::Scalar, false),
            ("owner", FieldShape::Scalar, false),
            ("any", FieldShape::Scalar, false),
            ("tags", FieldShape::Array, false),
            ("scores", FieldShape::Array, false),
            ("levels", FieldShape::Array, false),
            ("maybe_levels", FieldShape::Array, false),
            ("holes", FieldShape::Array, false),
            ("times", FieldShape::Array, true),
            ("owners", FieldShape::NestedArray, false),
            ("nested", FieldShape::NestedArray, false),
            ("pairs", FieldShape::NestedArray, false),
            ("either", FieldShape::Scalar, false),
        ];
        let schema = fields
            .iter()
            .fold(Schema::<Shapes>::new("v1"), |s, (path, _, _)| {
                s.index(*path)
            });
        let model = schema.build().unwrap();
        let found: Vec<(&str, FieldShape, bool)> = model
            .indexed_fields()
            .iter()
            .map(|f| (f.path(), f.shape(), f.is_timestamp()))
            .collect();
        assert_eq!(found, fields, "{:#}", model.json_schema());
        let times = &model.indexed_fields()[9];
        assert_eq!(
            times.value_in(&json!({"times": ["2026-01-01T01:00:00+01:00", "later"]})),
            json!(["2026-01-01T00:00:00.000000Z", "later"]),
            "an array of times is indexed in canonical form, element by element"
        );
    }

    #[test]
    fn names_are_kebab_case_of_the_type() {
        assert_eq!(
            Schema::<BlogPost>::new("v1").build().unwrap().name(),
            "blog-post"
        );
        let named = Schema::<BlogPost>::new("v1").name("post").build().unwrap();
        assert_eq!(named.name(), "post");
    }

    #[test]
    fn indexed_fields_must_exist_nested_ones_too() {
        assert!(
            Schema::<BlogPost>::new("v1")
                .index("title")
                .index("owner.team")
                .build()
                .is_ok()
        );
        for bad in ["nope", "owner.nope", "owner..team", "title"] {
            let schema = Schema::<BlogPost>::new("v1").index("title");
            let schema = if bad == "title" {
                schema.index("title")
            } else {
                schema.index(bad)
            };
            let err = schema.build().unwrap_err();
            assert!(matches!(err, Error::InvalidSchema { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn encode_validates_fills_defaults_and_refuses_unknown_fields() {
        let model = Schema::<BlogPost>::new("v1")
            .index("owner.team")
            .build()
            .unwrap();
        let encoded = model
            .encode(json!({"title": "t", "owner": {"team": "a"}}))
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&encoded.bytes).unwrap(),
            r#"{"owner":{"team":"a"},"tags":[],"title":"t"}"#
        );
        assert_eq!(encoded.indexed["owner.team"], json!("a"));

        let err = model.encode(json!({"title": 3})).unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        assert_eq!(errors.0[0].path, "$.title");

        let err = model.encode(json!({"tags": []})).unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        assert_eq!(errors.0[0].path, "$");
        assert!(errors.0[0].reason.contains("title"), "{errors}");

        let err = model
            .encode(json!({"title": "t", "bogus": 1, "owner": {"team": "a", "x": 2}}))
            .unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        let paths: Vec<_> = errors.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["$.bogus", "$.owner.x"]);

        let err = model
            .encode(json!({"title": 3, "tags": [1, "x", 2], "owner": {"team": false}}))
            .unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        let mut paths: Vec<_> = errors.0.iter().map(|e| e.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            ["$.owner.team", "$.tags[0]", "$.tags[2]", "$.title"],
            "every failing path at once: {errors}"
        );

        let lenient = Schema::<BlogPost>::new("v1")
            .allow_unknown_fields()
            .build()
            .unwrap();
        assert!(lenient.encode(json!({"title": "t", "bogus": 1})).is_ok());
    }
}
