//! The document's `qb` format: a Query-Builder expression. What a generator that knows the
//! format draws: conditions and sorts from the operation's own `conditions` and `sorts`
//! schemas, written in the expression's grammar.

use serde_json::Value;

/// The meta fields the grammar reaches as `QB.<name>()`; the others are left out of an
/// expression (it names data fields as `QB['path']`).
const META_ACCESSORS: [&str; 6] = [
    "created_time",
    "updated_time",
    "created_by",
    "updated_by",
    "resource_id",
    "is_deleted",
];
const OTHER_META: [&str; 2] = ["schema_version", "total_revision_count"];

/// `conditions` (as the `conditions` parameter holds them) and `sorts` as one expression.
pub(crate) fn expression(conditions: &Value, sorts: Option<&Value>, limit: Option<u64>) -> String {
    let items = match conditions {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    let parts: Vec<String> = items.iter().filter_map(filter).collect();
    let mut text = format!("QB.all({})", parts.join(", "));
    if let Some(Value::Array(sorts)) = sorts {
        let keys: Vec<String> = sorts.iter().filter_map(sort).collect();
        if !keys.is_empty() {
            text.push_str(&format!(".sort({})", keys.join(", ")));
        }
    }
    if let Some(limit) = limit {
        text.push_str(&format!(".limit({limit})"));
    }
    text
}

/// One condition or group, or `None` for what the grammar cannot say (an empty group, a meta
/// field without an accessor).
fn filter(item: &Value) -> Option<String> {
    let operator = item["operator"].as_str()?;
    if let Some(Value::Array(children)) = item.get("conditions") {
        let parts: Vec<String> = children.iter().filter_map(filter).collect();
        if parts.is_empty() {
            return None;
        }
        return Some(match operator {
            "and" => format!("QB.all({})", parts.join(", ")),
            "or" => format!("QB.any({})", parts.join(", ")),
            _ => format!("~QB.all({})", parts.join(", ")),
        });
    }
    let path = item["field_path"].as_str()?;
    let field = if META_ACCESSORS.contains(&path) {
        format!("QB.{path}()")
    } else if OTHER_META.contains(&path) {
        return None;
    } else {
        format!("QB[{}]", literal(&Value::String(path.to_owned())))
    };
    let method = if operator == "in" { "in_" } else { operator };
    Some(format!("{field}.{method}({})", literal(&item["value"])))
}

/// A sort as the grammar's by-name form (`'-created_time'`, `'+severity'`).
fn sort(item: &Value) -> Option<String> {
    let name = item
        .get("key")
        .or_else(|| item.get("field_path"))?
        .as_str()?;
    let sign = match item.get("direction").and_then(Value::as_str) {
        Some("-" | "desc") => "-",
        _ => "+",
    };
    Some(literal(&Value::String(format!("{sign}{name}"))))
}

/// A JSON value as the grammar's literal.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => format!("{f:?}"),
            _ => n.to_string(),
        },
        Value::String(text) => {
            let mut out = String::from("'");
            for ch in text.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    '\0' => out.push_str("\\0"),
                    other => out.push(other),
                }
            }
            out.push('\'');
            out
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(_) => "None".into(),
    }
}
