//! Filters in SQL: the conditions of a [`Filter`] tree on indexed data fields (`jsonb`) and
//! on meta columns, following [`Condition::matches`](specstar_core::Condition::matches).

use serde_json::Value;
use specstar_core::{Error, Field, Filter, MetaField, Op, Result};

use super::{Kind, Sql, bind_meta, check_path, data_expr, meta_column, text_expr, type_expr};

pub(super) fn filter_sql(sql: &mut Sql, filter: &Filter) -> Result<String> {
    Ok(match filter {
        Filter::And(all) if all.is_empty() => "true".into(),
        Filter::Or(any) if any.is_empty() => "false".into(),
        Filter::And(all) => join(sql, all, " AND ")?,
        Filter::Or(any) => join(sql, any, " OR ")?,
        Filter::Not(inner) => format!("NOT coalesce({}, false)", filter_sql(sql, inner)?),
        Filter::Condition(c) => match &c.field {
            Field::Data(path) => {
                check_path(path).map_err(|reason| Error::InvalidQuery { reason })?;
                if sql.arrays.contains(path) && !matches!(c.op, Op::IsNull | Op::Exists) {
                    array_condition(sql, path, c.op, &c.value)
                } else {
                    data_condition(sql, path, c.op, &c.value)
                }
            }
            Field::Meta(m) => meta_condition(sql, *m, c.op, &c.value),
        },
    })
}

fn join(sql: &mut Sql, filters: &[Filter], with: &str) -> Result<String> {
    let parts = filters
        .iter()
        .map(|f| filter_sql(sql, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("({})", parts.join(with)))
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

/// The SQL of a string operator on a text expression (of the right type: the caller guards).
fn string_test(sql: &mut Sql, text: &str, op: Op, needle: &str) -> String {
    let param = sql.bind(needle.to_owned(), "text");
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
                format!("{v} = {}", sql.bind(value.clone(), "jsonb"))
            }
            _ => "false".into(),
        },
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => match value {
            Value::Number(_) => {
                let param = sql.bind(value.clone(), "jsonb");
                format!("({v} {} {param} AND {t} = 'number')", symbol(op))
            }
            Value::String(s) => {
                let param = sql.bind(s.clone(), "text");
                format!(
                    "({} {} {param} AND {t} = 'string')",
                    text_expr(path),
                    symbol(op)
                )
            }
            _ => "false".into(),
        },
        Op::Ne => format!(
            "NOT coalesce({}, false)",
            data_condition(sql, path, Op::Eq, value)
        ),
        Op::In | Op::NotIn => {
            let values: Vec<Value> = value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|v| v.is_boolean() || v.is_number() || v.is_string())
                .cloned()
                .collect();
            let any = if values.is_empty() {
                "false".to_owned()
            } else {
                format!("{v} = ANY({})", sql.bind(values, "jsonb[]"))
            };
            if op == Op::In {
                any
            } else {
                format!("NOT coalesce({any}, false)")
            }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let guard = format!("{t} = 'string'");
            match value.as_str() {
                None => "false".into(),
                Some("") => guard,
                Some(needle) => {
                    let test = string_test(sql, &text_expr(path), op, needle);
                    format!("({test} AND {guard})")
                }
            }
        }
    }
}

/// The SQL of `field op value` on an array field: some element equals (`eq`, `contains`), is
/// in the list (`in`), or their negations, each element test a containment the field's GIN
/// index serves. Other operators are refused before (`Query::check_shapes`) and match nothing.
fn array_condition(sql: &mut Sql, path: &str, op: Op, value: &Value) -> String {
    let v = data_expr(path);
    let any = |sql: &mut Sql, values: &[Value]| -> String {
        let parts: Vec<String> = values
            .iter()
            .filter(|v| v.is_boolean() || v.is_number() || v.is_string())
            .map(|e| {
                format!(
                    "{v} @> {}",
                    sql.bind(Value::Array(vec![e.clone()]), "jsonb")
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
        Op::Ne => format!(
            "NOT coalesce({}, false)",
            any(sql, std::slice::from_ref(value))
        ),
        Op::NotIn => format!("NOT coalesce({}, false)", any(sql, list())),
        _ => "false".into(),
    }
}

/// The SQL of `field op value` on a meta column (never null, of one type).
fn meta_condition(sql: &mut Sql, field: MetaField, op: Op, value: &Value) -> String {
    let (column, kind) = meta_column(field);
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
        Op::Ne => format!(
            "NOT coalesce({}, false)",
            meta_condition(sql, field, Op::Eq, value)
        ),
        Op::In | Op::NotIn => {
            let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let parts: Vec<String> = values
                .iter()
                .map(|v| meta_condition(sql, field, Op::Eq, v))
                .collect();
            let any = if parts.is_empty() {
                "false".to_owned()
            } else {
                format!("({})", parts.join(" OR "))
            };
            if op == Op::In {
                any
            } else {
                format!("NOT coalesce({any}, false)")
            }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => match (kind, value.as_str()) {
            (Kind::Text, Some("")) => "true".into(),
            (Kind::Text, Some(needle)) => string_test(sql, column, op, needle),
            _ => "false".into(),
        },
    }
}
