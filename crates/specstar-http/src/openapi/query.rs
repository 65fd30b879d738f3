//! The schemas of one model's search parameters, exact enough that a generator that follows
//! them writes only queries the server takes: `conditions` names the model's indexed fields and
//! the meta fields, each with the operators its shape allows and values of its kind (an enum's
//! values, a time's RFC 3339 form); `sorts` names the fields that can be sorted on. Both travel
//! as JSON (`content: application/json`), and a resource's id and revision ids have the model's
//! own patterns.

use serde_json::{Map, Value, json};
use specstar_core::domain::{Domain, Strings};
use specstar_core::{FieldShape, MAX_QUERY_CONDITIONS, MAX_QUERY_SORTS, MetaField, ModelDef};

/// The characters of a key: all but `:`, `/`, `\`, whitespace and control characters
/// (Unicode's `White_Space` and `Cc`, spelled out: validators differ on what `\s` means).
const KEY_CHAR: &str =
    r"[^:/\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// Those and not `.`.
const KEY_CHAR_NOT_DOT: &str =
    r"[^.:/\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// A key as it can travel in a header: visible ASCII but `"`, `,`, `/`, `:`, `@` and `\`.
const HEADER_KEY_CHAR: &str = r"[!#-+\-.0-9;-?A-\[\]-~]";
const HEADER_KEY_CHAR_NOT_DOT: &str = r"[!#-+\-0-9;-?A-\[\]-~]";
/// A revision number: from 1, without leading zeros, within 64 bits.
const NUMBER: &str = "[1-9][0-9]{0,17}";

/// Adds `{C}Id`, `{C}RevisionRef`, `{C}Condition`, `{C}ConditionGroup`, `{C}Conditions` and
/// `{C}Sorts` for `model`, whose component name is `c`.
pub(super) fn schemas(schemas: &mut Map<String, Value>, model: &ModelDef, c: &str) {
    let name = model.name();
    let key = key_pattern(KEY_CHAR, KEY_CHAR_NOT_DOT);
    let header_key = key_pattern(HEADER_KEY_CHAR, HEADER_KEY_CHAR_NOT_DOT);
    schemas.insert(
        format!("{c}Id"),
        json!({
            "type": "string",
            "description": format!("A `{name}` id (`{name}:<key>`) or its key alone."),
            "pattern": format!("^({name}:)?{key}$")
        }),
    );
    schemas.insert(format!("{c}RevisionRef"), json!({
        "type": "string",
        "description": format!("A revision of the resource: its number (`3`) or its full id (`{name}:<key>:3`); a revision of another resource is not found (404)."),
        "pattern": format!("^({NUMBER}|{name}:{key}:{NUMBER})$")
    }));
    let revision = format!("({NUMBER}|{name}:{header_key}:{NUMBER})");
    schemas.insert(format!("{c}IfMatch"), json!({
        "type": "string",
        "description": "`*`, or one entity tag (`\"<revision_id>@<data_hash>\"`, `W/` allowed) or revision id (number or full id).",
        "pattern": format!("^(\\*|(W/)?\"{revision}(@[!#-+\\--~]*)?\"|{revision})$")
    }));
    let mut leaves: Vec<Value> = MetaField::ALL
        .into_iter()
        .flat_map(meta_conditions)
        .collect();
    for field in model.indexed_fields() {
        leaves.extend(data_conditions(
            field.path(),
            field.domain(),
            field.shape(),
            field.is_timestamp(),
        ));
    }
    let item = json!({ "anyOf": [
        { "$ref": format!("#/components/schemas/{c}Condition") },
        { "$ref": format!("#/components/schemas/{c}ConditionGroup") } ] });
    schemas.insert(format!("{c}Condition"), json!({ "anyOf": leaves }));
    schemas.insert(
        format!("{c}ConditionGroup"),
        json!({
            "type": "object", "required": ["operator", "conditions"], "additionalProperties": false,
            "properties": {
                "operator": { "enum": ["and", "or", "not"] },
                "conditions": { "type": "array", "items": item.clone() }
            }
        }),
    );
    schemas.insert(format!("{c}Conditions"), json!({
        "description": "Conditions and groups, and-ed; one alone may be given without the array.",
        "anyOf": [{ "type": "array", "maxItems": MAX_QUERY_CONDITIONS, "items": item.clone() }, item]
    }));
    schemas.insert(format!("{c}Sorts"), sorts(model));
}

/// 1 to 256 characters of class `k` but not `.` or `..` (URLs drop those path segments),
/// written without a lookahead (which not every validator has); `d` is `k` without `.`.
fn key_pattern(k: &str, d: &str) -> String {
    format!(r"({d}{k}{{0,255}}|\.{d}{k}{{0,254}}|\.\.{k}{{1,254}})")
}

/// The conditions on a meta field: its operators and the kind of value each takes.
fn meta_conditions(field: MetaField) -> Vec<Value> {
    let string = json!({ "type": "string" });
    let (value, ordered, text) = match field {
        MetaField::CreatedTime | MetaField::UpdatedTime => (
            json!({ "type": "string", "format": "date-time" }),
            true,
            false,
        ),
        MetaField::IsDeleted => (json!({ "type": "boolean" }), false, false),
        MetaField::TotalRevisionCount => (json!({ "type": "number" }), true, false),
        MetaField::ResourceId
        | MetaField::CreatedBy
        | MetaField::UpdatedBy
        | MetaField::SchemaVersion => (string.clone(), true, true),
    };
    let mut conditions = vec![
        condition(field.name(), &["eq", "ne"], &value),
        condition(field.name(), &["in", "not_in"], &array_of(&value)),
        condition(
            field.name(),
            &["is_null", "exists"],
            &json!({ "type": "boolean" }),
        ),
    ];
    if ordered {
        conditions.push(condition(field.name(), &["gt", "gte", "lt", "lte"], &value));
    }
    if text {
        conditions.push(condition(
            field.name(),
            &["contains", "starts_with", "ends_with"],
            &string,
        ));
    }
    conditions
}

/// The conditions on an indexed data field, by its shape and the values its schema allows.
fn data_conditions(path: &str, domain: &Domain, shape: FieldShape, timestamp: bool) -> Vec<Value> {
    let flag = json!({ "type": "boolean" });
    let presence = condition(path, &["is_null", "exists"], &flag);
    let Some(value) = values_of(domain, timestamp) else {
        return vec![presence];
    };
    match shape {
        FieldShape::NestedArray => vec![presence],
        FieldShape::Array => vec![
            presence,
            condition(path, &["eq", "ne", "contains"], &value),
            condition(path, &["in", "not_in"], &array_of(&value)),
        ],
        FieldShape::Scalar => {
            let mut conditions = vec![
                presence,
                condition(path, &["eq", "ne"], &value),
                condition(path, &["in", "not_in"], &array_of(&value)),
            ];
            if let Some(ordered) = ordered_values(domain, timestamp) {
                conditions.push(condition(path, &["gt", "gte", "lt", "lte"], &ordered));
            }
            conditions.extend(text_conditions(path, domain, timestamp));
            conditions
        }
    }
}

/// `{field_path, operator, value}` with `operator` one of `operators`.
fn condition(path: &str, operators: &[&str], value: &Value) -> Value {
    json!({
        "type": "object", "required": ["field_path", "operator", "value"], "additionalProperties": false,
        "properties": { "field_path": { "const": path }, "operator": { "enum": operators }, "value": value }
    })
}

fn array_of(value: &Value) -> Value {
    json!({ "type": "array", "items": value })
}

/// The values a condition compares a field with: those its schema allows, null aside (which
/// `is_null` tests). `None` when it allows none.
fn values_of(domain: &Domain, timestamp: bool) -> Option<Value> {
    let Domain::Known {
        boolean,
        number,
        string,
    } = domain
    else {
        return Some(json!({ "type": ["string", "number", "boolean"] }));
    };
    let mut kinds = Vec::new();
    if *boolean {
        kinds.push(json!({ "type": "boolean" }));
    }
    if *number {
        kinds.push(json!({ "type": "number" }));
    }
    match string {
        Strings::None => {}
        Strings::Any if timestamp => kinds.push(json!({ "type": "string", "format": "date-time" })),
        Strings::Any => kinds.push(json!({ "type": "string" })),
        Strings::OneOf(allowed) => kinds.push(json!({ "enum": allowed })),
    }
    match kinds.len() {
        0 => None,
        1 => kinds.pop(),
        _ => Some(json!({ "anyOf": kinds })),
    }
}

/// The bounds an order comparison takes: numbers and strings of the kinds the field holds.
fn ordered_values(domain: &Domain, timestamp: bool) -> Option<Value> {
    let Domain::Known { number, string, .. } = domain else {
        return Some(json!({ "type": ["string", "number"] }));
    };
    let mut kinds = Vec::new();
    if *number {
        kinds.push(json!({ "type": "number" }));
    }
    if *string != Strings::None {
        let format = if timestamp {
            json!({ "type": "string", "format": "date-time" })
        } else {
            json!({ "type": "string" })
        };
        kinds.push(format);
    }
    match kinds.len() {
        0 => None,
        1 => kinds.pop(),
        _ => Some(json!({ "anyOf": kinds })),
    }
}

/// `contains`, `starts_with`, `ends_with`: any text on a free string; on an enum, only the
/// pieces of its values that can match (a test no value passes is refused).
fn text_conditions(path: &str, domain: &Domain, timestamp: bool) -> Vec<Value> {
    let allowed = match domain {
        _ if timestamp => return Vec::new(),
        Domain::Any
        | Domain::Known {
            string: Strings::Any,
            ..
        } => {
            return vec![condition(
                path,
                &["contains", "starts_with", "ends_with"],
                &json!({ "type": "string" }),
            )];
        }
        Domain::Known {
            string: Strings::None,
            ..
        } => return Vec::new(),
        Domain::Known {
            string: Strings::OneOf(allowed),
            ..
        } => allowed,
    };
    let pieces = |piece: fn(&str) -> Vec<String>| {
        let mut all: Vec<String> = allowed.iter().flat_map(|s| piece(s)).collect();
        all.sort();
        all.dedup();
        json!({ "enum": all })
    };
    vec![
        condition(path, &["contains"], &pieces(substrings)),
        condition(
            path,
            &["starts_with"],
            &pieces(|s| char_bounds(s).map(|i| s[..i].to_owned()).collect()),
        ),
        condition(
            path,
            &["ends_with"],
            &pieces(|s| char_bounds(s).map(|i| s[i..].to_owned()).collect()),
        ),
    ]
}

/// The byte offsets of `s`'s character boundaries, both ends included.
fn char_bounds(s: &str) -> impl Iterator<Item = usize> + '_ {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
}

fn substrings(s: &str) -> Vec<String> {
    let bounds: Vec<usize> = char_bounds(s).collect();
    let mut all = Vec::new();
    for (n, start) in bounds.iter().enumerate() {
        for end in &bounds[n..] {
            all.push(s[*start..*end].to_owned());
        }
    }
    all
}

/// `sorts`: the meta fields and the indexed fields that hold one value.
fn sorts(model: &ModelDef) -> Value {
    let direction = json!({ "enum": ["+", "-", "asc", "desc"] });
    let meta: Vec<&str> = MetaField::ALL.into_iter().map(MetaField::name).collect();
    let data: Vec<&str> = model
        .indexed_fields()
        .iter()
        .filter(|f| f.shape() == FieldShape::Scalar)
        .map(|f| f.path())
        .collect();
    let mut kinds = vec![json!({
        "type": "object", "required": ["type", "key"], "additionalProperties": false,
        "properties": { "type": { "const": "meta" }, "key": { "enum": meta }, "direction": direction }
    })];
    if !data.is_empty() {
        kinds.push(json!({
            "type": "object", "required": ["type", "field_path"], "additionalProperties": false,
            "properties": { "type": { "const": "data" }, "field_path": { "enum": data }, "direction": direction }
        }));
    }
    json!({ "type": "array", "maxItems": MAX_QUERY_SORTS, "items": { "anyOf": kinds } })
}
