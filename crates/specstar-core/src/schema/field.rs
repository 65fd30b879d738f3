//! Indexed fields, and what a model's JSON Schema says of them: whether a path exists, its
//! shape (a scalar, an array of scalars, a nested array), whether it holds times, and the
//! values it can hold. Typed models and models declared by a JSON Schema share these readings.

use serde_json::Value;

use crate::domain::Domain;
use crate::query::canonical_timestamp;
use crate::time::Timestamp;

/// The indexed fields at `paths` of a model whose JSON Schema is `schema`, each with its shape,
/// time-ness and domain read from the schema.
///
/// # Errors
/// The reason, for a malformed path, one the schema does not define, or one given twice.
pub(crate) fn indexed_fields(
    schema: &Value,
    paths: Vec<String>,
) -> std::result::Result<Vec<IndexedField>, String> {
    let mut fields: Vec<IndexedField> = Vec::new();
    for path in paths {
        if fields.iter().any(|f| f.path == path) {
            return Err(format!("field {path:?} is indexed twice"));
        }
        let mut field = IndexedField::new(&path)
            .ok_or_else(|| format!("indexed field path {path:?} is malformed"))?;
        if !schema_has_field(schema, schema, &field.segments) {
            return Err(format!(
                "indexed field {path:?} is not a field of the model"
            ));
        }
        field.shape = field_shape(schema, schema, &field.segments);
        field.timestamp = match field.shape {
            FieldShape::Array => items_are_timestamps(schema, schema, &field.segments),
            _ => field_is_timestamp(schema, schema, &field.segments),
        };
        field.domain = Domain::of_path(schema, &field.segments);
        fields.push(field);
    }
    Ok(fields)
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
    /// segment). [`Schema`](super::Schema) makes these from the model; this is for stores' own tests.
    pub fn at(path: &str, timestamp: bool) -> Option<Self> {
        let mut field = Self::new(path)?;
        field.timestamp = timestamp;
        Some(field)
    }

    /// The same field with another shape (for arrays; with `timestamp`, its elements are times).
    /// [`Schema`](super::Schema) reads the shape from the model; this is for stores and their tests.
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

pub(crate) fn resolve_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(node),
        None => node,
    }
}
