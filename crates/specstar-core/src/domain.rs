//! What values an indexed field can hold, read once from the model's JSON Schema, so that a
//! condition that can never match (`status eq "Draft"` on a snake_case enum, `points eq "10"`
//! on a number) is refused with the values it could take, instead of answering nothing.
//!
//! The reading is deliberately cautious: a [`Domain`] only ever *widens* what the schema
//! allows (it ignores `not`, `if`, bounds, patterns, the siblings of a `$ref`, and reads an
//! `allOf` of more than one schema, an array, an object, a recursive or unknown schema as
//! "anything"), so a condition is refused only when no value the schema allows could satisfy
//! it. Nulls are left out: conditions never compare with null (they use `is_null`).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// How deep a schema is followed (through `$ref`s, alternatives and properties) before it is
/// read as "anything": recursive schemas end.
const MAX_SCHEMA_DEPTH: usize = 32;

/// The values an indexed field can hold (null aside), as far as its JSON Schema says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Anything, as far as the checks can tell (no schema, arrays, objects, unsure).
    Any,
    /// Only values of these kinds.
    Known {
        /// `true` and `false`.
        boolean: bool,
        /// Numbers, integers or not.
        number: bool,
        /// Which strings.
        string: Strings,
    },
}

/// The strings a field can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strings {
    /// None at all.
    None,
    /// Any string.
    Any,
    /// Only these (an enum's values).
    OneOf(BTreeSet<String>),
}

impl Domain {
    /// No value at all (null only).
    const EMPTY: Self = Self::Known {
        boolean: false,
        number: false,
        string: Strings::None,
    };

    /// The domain of the field at the property path `segments` of the JSON Schema `root`.
    pub fn of_path(root: &Value, segments: &[String]) -> Self {
        path_domain(root, root, segments, 0)
    }

    /// Values that can be in either domain.
    fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Any, _) | (_, Self::Any) => Self::Any,
            (
                Self::Known {
                    boolean: b1,
                    number: n1,
                    string: s1,
                },
                Self::Known {
                    boolean: b2,
                    number: n2,
                    string: s2,
                },
            ) => Self::Known {
                boolean: b1 || b2,
                number: n1 || n2,
                string: s1.union(s2),
            },
        }
    }

    /// Why `value` can never equal a value of the domain, or `None` when it can.
    pub fn refuses_value(&self, value: &Value) -> Option<String> {
        let Self::Known {
            boolean,
            number,
            string,
        } = self
        else {
            return None;
        };
        let fits = match value {
            Value::Bool(_) => *boolean,
            Value::Number(_) => *number,
            Value::String(s) => match string {
                Strings::None => false,
                Strings::Any => true,
                Strings::OneOf(allowed) => allowed.contains(s),
            },
            _ => true,
        };
        (!fits).then(|| format!("takes {self}, not {value}"))
    }

    /// Why an order comparison (`gt`…) with `value` can never hold, or `None` when it can.
    pub fn refuses_order(&self, value: &Value) -> Option<String> {
        let Self::Known { number, string, .. } = self else {
            return None;
        };
        let fits = match value {
            Value::Number(_) => *number,
            Value::String(_) => *string != Strings::None,
            _ => true,
        };
        (!fits).then(|| format!("takes {self}, not {value}"))
    }

    /// Why a string test (`contains`…, by `test`) with `needle` can never hold, or `None` when
    /// it can.
    pub fn refuses_text(&self, needle: &str, test: impl Fn(&str) -> bool) -> Option<String> {
        let Self::Known { string, .. } = self else {
            return None;
        };
        match string {
            Strings::Any => None,
            Strings::None => Some(format!("takes {self}, not a string")),
            Strings::OneOf(allowed) => (!allowed.iter().any(|s| test(s)))
                .then(|| format!("takes {self}, none of which fits {needle:?}")),
        }
    }
}

impl Strings {
    fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Any, _) | (_, Self::Any) => Self::Any,
            (Self::None, s) | (s, Self::None) => s,
            (Self::OneOf(mut a), Self::OneOf(b)) => {
                a.extend(b);
                Self::OneOf(a)
            }
        }
    }
}

impl fmt::Display for Domain {
    /// `a number`, `true or false`, `one of "open", "closed"`, `a number or a string`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::Known {
            boolean,
            number,
            string,
        } = self
        else {
            return f.write_str("any value");
        };
        let mut parts = Vec::new();
        if *boolean {
            parts.push("true or false".to_owned());
        }
        if *number {
            parts.push("a number".to_owned());
        }
        match string {
            Strings::None => {}
            Strings::Any => parts.push("a string".to_owned()),
            Strings::OneOf(allowed) => {
                let list: Vec<String> = allowed.iter().map(|s| format!("{s:?}")).collect();
                parts.push(format!("one of {}", list.join(", ")));
            }
        }
        if parts.is_empty() {
            return f.write_str("only null");
        }
        f.write_str(&parts.join(" or "))
    }
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer)),
        None => Some(node),
    }
}

/// The alternatives of a node (`anyOf`, `oneOf`, a one-schema `allOf`), if it has any.
fn alternatives(node: &Value) -> Option<Vec<&Value>> {
    let mut found: Option<Vec<&Value>> = None;
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = node.get(key).and_then(Value::as_array) {
            found.get_or_insert_with(Vec::new).extend(alts);
        }
    }
    if let Some(all) = node.get("allOf").and_then(Value::as_array) {
        match all.as_slice() {
            [only] if found.is_none() => found = Some(vec![only]),
            // Several schemas that all apply: their intersection is not read; "anything".
            _ => return None,
        }
    }
    found
}

/// The domain of the property path `segments` below `node`.
fn path_domain(root: &Value, node: &Value, segments: &[String], depth: usize) -> Domain {
    let Some((first, rest)) = segments.split_first() else {
        return value_domain(root, node, depth);
    };
    if depth > MAX_SCHEMA_DEPTH {
        return Domain::Any;
    }
    let Some(node) = resolve(root, node) else {
        return Domain::Any;
    };
    if node.get("allOf").is_some() && alternatives(node).is_none() {
        return Domain::Any;
    }
    let mut domain = Domain::EMPTY;
    let mut found = false;
    if let Some(property) = node.get("properties").and_then(|p| p.get(first)) {
        domain = path_domain(root, property, rest, depth + 1);
        found = true;
    } else if node.get("patternProperties").is_some() {
        return Domain::Any;
    } else if let Some(extra) = node.get("additionalProperties")
        && extra.is_object()
    {
        domain = path_domain(root, extra, rest, depth + 1);
        found = true;
    } else if node.get("additionalProperties") == Some(&Value::Bool(true)) {
        return Domain::Any;
    }
    if let Some(alts) = alternatives(node) {
        for alt in alts {
            domain = domain.union(path_domain(root, alt, segments, depth + 1));
        }
        found = true;
    }
    let typed = node.get("type").is_some() || node.get("properties").is_some();
    if found || typed {
        domain
    } else {
        // A schema that says nothing of its properties (`{}`, `true`): anything.
        Domain::Any
    }
}

/// The domain of the values `node` allows.
fn value_domain(root: &Value, node: &Value, depth: usize) -> Domain {
    if depth > MAX_SCHEMA_DEPTH {
        return Domain::Any;
    }
    let Some(node) = resolve(root, node) else {
        return Domain::Any;
    };
    if node == &Value::Bool(false) {
        return Domain::EMPTY;
    }
    if let Some(value) = node.get("const") {
        return const_domain(value);
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .fold(Domain::EMPTY, |d, v| d.union(const_domain(v)));
    }
    let alts = alternatives(node);
    if node.get("allOf").is_some() && alts.is_none() {
        return Domain::Any;
    }
    match (node.get("type"), alts) {
        (Some(ty), None) => type_domain(ty),
        (None, Some(alts)) => alts.into_iter().fold(Domain::EMPTY, |d, alt| {
            d.union(value_domain(root, alt, depth + 1))
        }),
        // Nothing said, or a type and alternatives together: unsure, anything.
        _ => Domain::Any,
    }
}

fn const_domain(value: &Value) -> Domain {
    match value {
        Value::Null => Domain::EMPTY,
        Value::Bool(_) => Domain::Known {
            boolean: true,
            number: false,
            string: Strings::None,
        },
        Value::Number(_) => Domain::Known {
            boolean: false,
            number: true,
            string: Strings::None,
        },
        Value::String(s) => Domain::Known {
            boolean: false,
            number: false,
            string: Strings::OneOf(BTreeSet::from([s.clone()])),
        },
        Value::Array(_) | Value::Object(_) => Domain::Any,
    }
}

/// The domain of a `type` keyword (one name or a list of names).
fn type_domain(ty: &Value) -> Domain {
    let names: Vec<&str> = match ty {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => return Domain::Any,
    };
    let mut domain = Domain::EMPTY;
    for name in names {
        let one = match name {
            "null" => Domain::EMPTY,
            "boolean" => const_domain(&Value::Bool(true)),
            "integer" | "number" => const_domain(&Value::from(0)),
            "string" => Domain::Known {
                boolean: false,
                number: false,
                string: Strings::Any,
            },
            // Arrays and objects: what conditions mean on them is not this check's to say.
            _ => Domain::Any,
        };
        domain = domain.union(one);
    }
    domain
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn of(schema: Value, path: &str) -> Domain {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        Domain::of_path(&schema, &segments)
    }

    #[test]
    fn enums_numbers_options_and_nested_fields() {
        let schema = json!({
            "type": "object",
            "properties": {
                "status": {"$ref": "#/$defs/Status", "default": "open"},
                "severity": {"anyOf": [{"$ref": "#/$defs/Severity"}, {"type": "null"}]},
                "points": {"type": ["integer", "null"], "format": "int64"},
                "done": {"type": "boolean"},
                "owner": {"anyOf": [{"$ref": "#/$defs/Owner"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {},
                "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                "mixed": {"allOf": [{"type": "string"}, {"minLength": 2}]}
            },
            "$defs": {
                "Status": {"type": "string", "enum": ["open", "in_progress"]},
                "Severity": {"oneOf": [
                    {"const": "low", "type": "string", "description": "can wait"},
                    {"const": "high", "type": "string"}
                ]},
                "Owner": {"type": "object", "properties": {"team": {"type": "string"}}}
            }
        });
        let status = of(schema.clone(), "status");
        assert_eq!(status.to_string(), "one of \"in_progress\", \"open\"");
        assert!(status.refuses_value(&json!("Draft")).is_some());
        assert!(status.refuses_value(&json!("open")).is_none());
        assert!(
            status
                .refuses_text("prog", |s| s.contains("prog"))
                .is_none()
        );
        assert!(status.refuses_text("x", |s| s.contains('x')).is_some());
        assert!(status.refuses_order(&json!("a")).is_none());
        assert!(status.refuses_order(&json!(1)).is_some());
        let severity = of(schema.clone(), "severity");
        assert_eq!(severity.to_string(), "one of \"high\", \"low\"");
        let points = of(schema.clone(), "points");
        assert_eq!(points.to_string(), "a number");
        assert!(points.refuses_value(&json!("10")).is_some());
        assert!(points.refuses_value(&json!(2.5)).is_none());
        assert!(points.refuses_text("1", |_| true).is_some());
        assert!(
            of(schema.clone(), "done")
                .refuses_value(&json!(1))
                .is_some()
        );
        assert_eq!(of(schema.clone(), "owner.team").to_string(), "a string");
        assert_eq!(of(schema.clone(), "labels.x").to_string(), "a number");
        for unsure in ["tags", "extra", "mixed"] {
            assert_eq!(of(schema.clone(), unsure), Domain::Any, "{unsure}");
        }
    }

    #[test]
    fn recursive_and_broken_schemas_are_anything() {
        let schema = json!({
            "type": "object",
            "properties": {"next": {"$ref": "#/$defs/Node"}, "gone": {"$ref": "#/$defs/Nope"}},
            "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}
        });
        let deep = vec!["next".to_owned(); 64];
        assert_eq!(Domain::of_path(&schema, &deep), Domain::Any);
        assert_eq!(of(schema, "gone"), Domain::Any);
    }
}

#[cfg(test)]
mod schemars_tests {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use crate::Schema;

    /// Where an issue stands.
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        /// Not started.
        #[default]
        Open,
        /// Being worked on.
        InProgress,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum Plain {
        Small,
        BigOne,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Issue {
        /// Where it stands.
        #[serde(default)]
        status: Status,
        size: Option<Plain>,
        points: Option<u32>,
        due: Option<crate::Timestamp>,
    }

    /// The domains read from what schemars writes for derived types: documented and plain
    /// enums, options, numbers, times.
    #[test]
    fn derived_schemas_give_their_values() {
        let model = Schema::<Issue>::new("v1")
            .index("status")
            .index("size")
            .index("points")
            .index("due")
            .build()
            .unwrap();
        let domain = |path: &str| {
            model
                .indexed_fields()
                .iter()
                .find(|f| f.path() == path)
                .unwrap()
                .domain()
                .to_string()
        };
        assert_eq!(domain("status"), "one of \"in_progress\", \"open\"");
        assert_eq!(domain("size"), "one of \"big_one\", \"small\"");
        assert_eq!(domain("points"), "a number");
        assert_eq!(domain("due"), "a string");
        let field = &model.indexed_fields()[0];
        assert!(field.domain().refuses_value(&json!("Open")).is_some());
    }
}
