//! The method calls of a `qb` expression: on `QB` (the meta fields, `all`, `any`), on a field
//! (conditions and sorts), and on a condition or a query (`sort`, `limit`, `offset`).

use std::ops::RangeInclusive;

use serde_json::Value;
use specstar_core::{Direction, Field, Filter, Op, Sort};

use super::{QbError, QbQuery, Val, error};
use crate::search::{field_of, meta_field};

/// `target.name(args)`, the call at `pos`.
pub(super) fn call(
    target: Val,
    name: &str,
    args: Vec<(Val, usize)>,
    pos: usize,
) -> Result<Val, QbError> {
    match target {
        Val::Builder => on_builder(name, args, pos),
        Val::Field(field) => on_field(field, name, args, pos),
        target @ (Val::Cond(_) | Val::Query(_)) => {
            let query = target.into_query(pos, name)?;
            on_query(query, name, args, pos).map(Val::Query)
        }
        other => Err(error(
            pos,
            format!(".{name}() cannot be called on {}", other.describe()),
        )),
    }
}

/// Refuses a call of `name` at `pos` whose number of arguments is not in `range`.
fn arity(
    name: &str,
    args: &[(Val, usize)],
    range: RangeInclusive<usize>,
    pos: usize,
) -> Result<(), QbError> {
    if range.contains(&args.len()) {
        Ok(())
    } else if range.start() == range.end() {
        Err(error(
            pos,
            format!(".{name}() takes {} argument(s)", range.start()),
        ))
    } else {
        Err(error(
            pos,
            format!(
                ".{name}() takes {} to {} arguments",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// `QB.all(…)`, `QB.any(…)` and the meta fields (`QB.created_time()`…).
fn on_builder(name: &str, args: Vec<(Val, usize)>, pos: usize) -> Result<Val, QbError> {
    match name {
        "all" | "any" => {
            let filters = args
                .into_iter()
                .map(|(v, p)| v.into_filter(p, &format!("QB.{name}()")))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "any" {
                Ok(Val::Cond(Filter::Or(filters)))
            } else if filters.is_empty() {
                Ok(Val::Query(QbQuery::default()))
            } else {
                Ok(Val::Cond(Filter::And(filters)))
            }
        }
        "created_time" | "updated_time" | "created_by" | "updated_by" | "resource_id"
        | "is_deleted" => {
            arity(name, &args, 0..=0, pos)?;
            let field = meta_field(name).ok_or_else(|| error(pos, "unknown meta field"))?;
            Ok(Val::Field(Field::Meta(field)))
        }
        other => Err(error(pos, format!("unknown method QB.{other}()"))),
    }
}

/// A field's sorts (`.asc()`, `.desc()`) and conditions (`.eq(v)`…, `.is_null()`…).
fn on_field(field: Field, name: &str, args: Vec<(Val, usize)>, pos: usize) -> Result<Val, QbError> {
    match name {
        "asc" | "desc" => {
            arity(name, &args, 0..=0, pos)?;
            let direction = if name == "asc" {
                Direction::Asc
            } else {
                Direction::Desc
            };
            Ok(Val::Sort(Sort { field, direction }))
        }
        "is_null" | "exists" => presence(field, name, args, pos),
        _ => {
            let op = comparison(name)
                .ok_or_else(|| error(pos, format!("unknown field method .{name}()")))?;
            arity(name, &args, 1..=1, pos)?;
            match args.into_iter().next() {
                Some((Val::Lit(value), _)) => Ok(Val::Cond(Filter::cond(field, op, value))),
                Some((other, p)) => Err(error(
                    p,
                    format!(".{name}() takes a literal, not {}", other.describe()),
                )),
                None => Err(error(pos, format!(".{name}() takes 1 argument(s)"))),
            }
        }
    }
}

/// The operator of a field method that takes one literal.
fn comparison(name: &str) -> Option<Op> {
    Some(match name {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "in_" => Op::In,
        "not_in" => Op::NotIn,
        "contains" => Op::Contains,
        "starts_with" => Op::StartsWith,
        "ends_with" => Op::EndsWith,
        _ => return None,
    })
}

/// `.is_null()` and `.exists()`, with an optional `True` (the default) or `False`.
fn presence(field: Field, name: &str, args: Vec<(Val, usize)>, pos: usize) -> Result<Val, QbError> {
    arity(name, &args, 0..=1, pos)?;
    let value = match args.into_iter().next() {
        None => Value::Bool(true),
        Some((Val::Lit(v @ Value::Bool(_)), _)) => v,
        Some((_, p)) => return Err(error(p, format!(".{name}() takes True or False"))),
    };
    let op = if name == "is_null" {
        Op::IsNull
    } else {
        Op::Exists
    };
    Ok(Val::Cond(Filter::cond(field, op, value)))
}

/// A query's `.sort(…)` (or `.order_by(…)`), `.limit(n)` and `.offset(n)`.
fn on_query(
    mut query: QbQuery,
    name: &str,
    args: Vec<(Val, usize)>,
    pos: usize,
) -> Result<QbQuery, QbError> {
    match name {
        "sort" | "order_by" => {
            for (arg, p) in args {
                query.sorts.push(sort_arg(arg, p)?);
            }
        }
        "limit" | "offset" => {
            arity(name, &args, 1..=1, pos)?;
            let n = whole_number(name, &args)?;
            if name == "limit" {
                query.limit = n;
            } else {
                query.offset = n;
            }
        }
        other => return Err(error(pos, format!("unknown query method .{other}()"))),
    }
    Ok(query)
}

/// One argument of `.sort()`: a sort, a field (ascending) or a name (`"-created_time"`).
fn sort_arg(arg: Val, pos: usize) -> Result<Sort, QbError> {
    match arg {
        Val::Sort(sort) => Ok(sort),
        Val::Lit(Value::String(text)) => sort_of(&text, pos),
        Val::Field(field) => Ok(Sort {
            field,
            direction: Direction::Asc,
        }),
        other => Err(error(
            pos,
            format!(".sort() takes sorts, not {}", other.describe()),
        )),
    }
}

/// The argument of `.limit(n)` or `.offset(n)`: a whole number.
fn whole_number(name: &str, args: &[(Val, usize)]) -> Result<Option<u64>, QbError> {
    match args.first() {
        Some((Val::Lit(Value::Number(n)), _)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some((_, p)) => Err(error(*p, format!(".{name}() takes a whole number"))),
        None => Ok(None),
    }
}

/// `"-created_time"`, `"+x"`, `"x"`: a sort by name.
fn sort_of(text: &str, pos: usize) -> Result<Sort, QbError> {
    let (direction, name) = match text.as_bytes().first() {
        Some(b'-') => (Direction::Desc, &text[1..]),
        Some(b'+') => (Direction::Asc, &text[1..]),
        _ => (Direction::Asc, text),
    };
    if name.is_empty() {
        return Err(error(pos, "a sort names a field"));
    }
    Ok(Sort {
        field: field_of(name),
        direction,
    })
}
