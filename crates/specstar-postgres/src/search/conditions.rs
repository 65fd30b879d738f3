//! Filters in SQL: the conditions of a filter on indexed data fields (`jsonb`) and on meta
//! columns, following [`Condition::matches`](specstar_core::Condition::matches); the walk
//! around them is [`specstar_sql::filter`]'s.

use serde_json::Value;
use specstar_core::limits::balanced;
use specstar_core::{Condition, Error, Field, MetaField, Op, Result};
use specstar_sql::Dialect;

use crate::nul;

use super::{Kind, Sql, bind_meta, check_path, data_expr, meta_column, text_expr, type_expr};

/// The SQL of one condition of a filter.
pub(super) fn condition(sql: &mut Sql, c: &Condition) -> Result<String> {
    Ok(match &c.field {
        Field::Data(path) => {
            check_path(path).map_err(|reason| Error::InvalidQuery { reason })?;
            if sql.arrays.contains(path) && !matches!(c.op, Op::IsNull | Op::Exists) {
                array_condition(sql, path, c.op, &c.value)
            } else {
                data_condition(sql, path, c.op, &c.value)
            }
        }
        Field::Meta(m) => meta_condition(sql, *m, c.op, &c.value),
    })
}

fn symbol(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Lt => "<",
        _ => "<=",
    }
}

/// The SQL of a string operator on a text expression (of the right type: the caller guards);
/// `escaped` for an indexed value, which the store keeps [escaped](crate::nul).
fn string_test(sql: &mut Sql, text: &str, op: Op, needle: &str, escaped: bool) -> String {
    if escaped && op != Op::StartsWith && nul::needs_alignment(needle) {
        let pattern = nul::aligned_pattern(needle, op == Op::EndsWith);
        return format!("{text} ~ {}", sql.bind(pattern, "text"));
    }
    let needle = if escaped {
        nul::escape_str(needle).into_owned()
    } else {
        needle.to_owned()
    };
    let param = sql.bind(needle, "text");
    match op {
        Op::Contains => format!("strpos({text}, {param}) > 0"),
        Op::StartsWith => format!("starts_with({text}, {param})"),
        _ => format!("right({text}, length({param})) = {param}"),
    }
}

/// The SQL of `field op value` on an indexed data field.
fn data_condition(sql: &mut Sql, path: &str, op: Op, value: &Value) -> String {
    let (v, t) = (data_expr(path), type_expr(path));
    match op {
        Op::IsNull | Op::Exists => {
            let null = format!("coalesce({t}, 'null') = 'null'");
            if (op == Op::IsNull) == (value == &Value::Bool(true)) {
                null
            } else {
                format!("NOT ({null})")
            }
        }
        Op::Eq => match value {
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                format!("{v} = {}", sql.bind(nul::escape_value(value), "jsonb"))
            }
            _ => "false".into(),
        },
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => match value {
            Value::Number(_) => {
                let param = sql.bind(value.clone(), "jsonb");
                format!("({v} {} {param} AND {t} = 'number')", symbol(op))
            }
            Value::String(s) => {
                let param = sql.bind(nul::escape_str(s).into_owned(), "text");
                format!(
                    "({} {} {param} AND {t} = 'string')",
                    text_expr(path),
                    symbol(op)
                )
            }
            _ => "false".into(),
        },
        Op::Ne => Sql::negate(&data_condition(sql, path, Op::Eq, value)),
        Op::In | Op::NotIn => {
            let values: Vec<Value> = value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|v| v.is_boolean() || v.is_number() || v.is_string())
                .map(nul::escape_value)
                .collect();
            let any = if values.is_empty() {
                "false".to_owned()
            } else {
                format!("{v} = ANY({})", sql.bind(values, "jsonb[]"))
            };
            if op == Op::In { any } else { Sql::negate(&any) }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let guard = format!("{t} = 'string'");
            match value.as_str() {
                None => "false".into(),
                Some("") => guard,
                Some(needle) => {
                    let test = string_test(sql, &text_expr(path), op, needle, true);
                    format!("({test} AND {guard})")
                }
            }
        }
    }
}

/// The SQL of `field op value` on an array field: some element equals (`eq`, `contains`), is
/// in the list (`in`), or their negations, each element test a containment the field's GIN
/// index serves (of the element [escaped](crate::nul), as the store keeps it). Other operators are refused before (`Query::check_shapes`) and match nothing.
fn array_condition(sql: &mut Sql, path: &str, op: Op, value: &Value) -> String {
    let v = data_expr(path);
    let any = |sql: &mut Sql, values: &[Value]| -> String {
        let parts: Vec<String> = values
            .iter()
            .filter(|v| v.is_boolean() || v.is_number() || v.is_string())
            .map(|e| {
                format!(
                    "{v} @> {}",
                    sql.bind(Value::Array(vec![nul::escape_value(e)]), "jsonb")
                )
            })
            .collect();
        if parts.is_empty() {
            "false".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    };
    let list = || value.as_array().map(Vec::as_slice).unwrap_or_default();
    match op {
        Op::Eq | Op::Contains => any(sql, std::slice::from_ref(value)),
        Op::In => any(sql, list()),
        Op::Ne => Sql::negate(&any(sql, std::slice::from_ref(value))),
        Op::NotIn => Sql::negate(&any(sql, list())),
        _ => "false".into(),
    }
}

/// The SQL of `field op value` on a meta column (never null, of one type).
fn meta_condition(sql: &mut Sql, field: MetaField, op: Op, value: &Value) -> String {
    let (column, kind) = meta_column(field);
    if kind == Kind::Text
        && let Some(text) = value.as_str()
        && let Some(nul) = text.find('\0')
    {
        return text_with_nul(sql, column, op, &text[..nul]);
    }
    match op {
        Op::IsNull | Op::Exists => {
            let present = op == Op::Exists;
            let wanted = value == &Value::Bool(true);
            if present == wanted { "true" } else { "false" }.into()
        }
        Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            if kind == Kind::Bool && op != Op::Eq {
                return "false".into();
            }
            match bind_meta(sql, kind, value) {
                Some(param) => format!("{column} {} {param}", symbol(op)),
                None => "false".into(),
            }
        }
        Op::Ne => Sql::negate(&meta_condition(sql, field, Op::Eq, value)),
        Op::In | Op::NotIn => {
            let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let parts: Vec<String> = values
                .iter()
                .map(|v| meta_condition(sql, field, Op::Eq, v))
                .collect();
            let any = if parts.is_empty() {
                "false".to_owned()
            } else {
                format!("({})", balanced(&parts, "OR"))
            };
            if op == Op::In { any } else { Sql::negate(&any) }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => match (kind, value.as_str()) {
            (Kind::Text, Some("")) => "true".into(),
            (Kind::Text, Some(needle)) => string_test(sql, column, op, needle, false),
            _ => "false".into(),
        },
    }
}

/// `column op text` where `text` holds U+0000, which a `text` column never does (PostgreSQL
/// cannot store it, nor bind it): no value equals or contains it, and against `p`, the text
/// before its first U+0000, `s > text` exactly when `s > p` (a value that is `p` is a prefix
/// of the text, so smaller) and `s < text` exactly when `s <= p`.
fn text_with_nul(sql: &mut Sql, column: &str, op: Op, before: &str) -> String {
    match op {
        Op::Ne => "true".into(),
        Op::Gt | Op::Gte => format!("{column} > {}", sql.bind(before.to_owned(), "text")),
        Op::Lt | Op::Lte => format!("{column} <= {}", sql.bind(before.to_owned(), "text")),
        _ => "false".into(),
    }
}
