//! The search parameters of the list and count routes, turned into a core [`Query`].
//!
//! `cursor` continues a listing where the previous page's `X-Next-Cursor` left it: a keyset
//! position (`specstar_core::Cursor`) that stays correct while others write, unlike `offset`,
//! which is applied after it. It is only valid with the sorts it came from.
//!
//! `qb`, a Query-Builder expression ([`crate::qb`]), combines with every other parameter: the
//! filters are and-ed, the `sorts` follow the expression's own, and `limit`/`offset` win over
//! the expression's `.limit()`/`.offset()` (the reference refuses the combinations; taking
//! them refuses nothing a client of the reference sends).
//!
//! They are the reference's (§3.2 of the study): `conditions` and `sorts` as JSON arrays in its
//! wire form, `limit`/`offset`, `is_deleted`, the time windows and the user lists. A
//! `field_path` that names a meta field (`created_time`, `is_deleted`…) is a meta condition;
//! any other is an indexed data field, which the core checks (400 `unindexed_field` naming it).
//!
//! ```text
//! conditions=[{"field_path":"status","operator":"eq","value":"open"},
//!             {"operator":"or","conditions":[{"field_path":"severity","operator":"eq","value":"high"},
//!                                            {"field_path":"assignee","operator":"is_null","value":true}]}]
//! sorts=[{"type":"meta","key":"created_time","direction":"-"},{"type":"data","field_path":"severity","direction":"+"}]
//! ```

use serde_json::{Map, Value};
use specstar_core::{Cursor, Direction, Field, Filter, MetaField, Op, Query, Sort};

use crate::config::HttpConfig;
use crate::extract::Params;
use crate::problem::Problem;

/// A search as the parameters ask for it: the query to run (its limit the page size, not the
/// one extra row fetched to tell whether there are more).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Search {
    /// The filter, sorts, offset, deleted rule; `limit` is the page size.
    pub query: Query,
}

/// A 400 `invalid_query` about one parameter.
fn bad(parameter: &str, detail: impl std::fmt::Display) -> Problem {
    Problem::invalid_query(format!("{parameter}: {detail}")).with("parameter", parameter)
}

/// The meta field named `name`, if it names one.
pub(crate) fn meta_field(name: &str) -> Option<MetaField> {
    MetaField::ALL.into_iter().find(|m| m.name() == name)
}

/// The field a `field_path` names: a meta field by its name, else an indexed data field.
pub(crate) fn field_of(path: &str) -> Field {
    meta_field(path).map_or_else(|| Field::Data(path.to_owned()), Field::Meta)
}

/// The operator named `name` (`eq`, `not_in`, …).
pub(crate) fn op_of(name: &str) -> Option<Op> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

fn string_member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// One item of `conditions`: a condition or a group, `at` its place for messages.
fn condition(item: &Value, at: &str) -> Result<Filter, String> {
    let Value::Object(object) = item else {
        return Err(format!("{at} is not an object"));
    };
    let operator = string_member(object, "operator")
        .ok_or_else(|| format!("{at} has no string \"operator\""))?;
    if let Some(children) = object.get("conditions") {
        let Value::Array(children) = children else {
            return Err(format!("{at}.conditions is not an array"));
        };
        let filters = children
            .iter()
            .enumerate()
            .map(|(i, c)| condition(c, &format!("{at}.conditions[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        return match operator {
            "and" => Ok(Filter::And(filters)),
            "or" => Ok(Filter::Or(filters)),
            "not" => Ok(match <[Filter; 1]>::try_from(filters) {
                Ok([one]) => one.negate(),
                Err(all) => Filter::And(all).negate(),
            }),
            other => Err(format!(
                "{at}: a group's operator is and, or or not, not {other:?}"
            )),
        };
    }
    let path = string_member(object, "field_path")
        .ok_or_else(|| format!("{at} has neither a string \"field_path\" nor \"conditions\""))?;
    for key in ["transform", "quantifier"] {
        if object.get(key).is_some_and(|v| !v.is_null()) {
            return Err(format!("{at}: {key} is not supported"));
        }
    }
    let op = op_of(operator).ok_or_else(|| {
        format!(
            "{at}: unknown operator {operator:?} (eq, ne, gt, gte, lt, lte, in, not_in, \
             contains, starts_with, ends_with, is_null, exists)"
        )
    })?;
    let value = object.get("value").cloned().unwrap_or(Value::Null);
    Ok(Filter::cond(field_of(path), op, value))
}

/// Parses the `conditions` parameter: a JSON array of conditions and groups, and-ed.
///
/// # Errors
/// A message for a value that is not that.
pub(crate) fn parse_conditions(text: &str) -> Result<Vec<Filter>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return Err("expected a JSON array of conditions".to_owned()),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| condition(item, &format!("[{i}]")))
        .collect()
}

/// A sort direction: `+`/`asc` or `-`/`desc`.
fn direction(text: &str) -> Option<Direction> {
    match text {
        "+" | "asc" => Some(Direction::Asc),
        "-" | "desc" => Some(Direction::Desc),
        _ => None,
    }
}

/// Parses the `sorts` parameter: a JSON array of `{type, key | field_path, direction}`.
///
/// # Errors
/// A message for a value that is not that.
pub(crate) fn parse_sorts(text: &str) -> Result<Vec<Sort>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(items) = value else {
        return Err("expected a JSON array of sorts".to_owned());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("[{i}]");
            let Value::Object(object) = item else {
                return Err(format!("{at} is not an object"));
            };
            let key = string_member(object, "key");
            let path = string_member(object, "field_path");
            let field = match (string_member(object, "type"), key, path) {
                (Some("meta") | None, Some(key), _) => Field::Meta(
                    meta_field(key).ok_or_else(|| format!("{at}: {key:?} is not a meta field"))?,
                ),
                (Some("data") | None, _, Some(path)) => Field::Data(path.to_owned()),
                (Some(kind @ ("meta" | "data")), _, _) => {
                    return Err(format!(
                        "{at}: a {kind} sort names its field in \"{}\"",
                        if kind == "meta" { "key" } else { "field_path" }
                    ));
                }
                (Some(other), _, _) => {
                    return Err(format!("{at}: type is meta or data, not {other:?}"));
                }
                (None, None, None) => return Err(format!("{at} names no field")),
            };
            let direction = match object.get("direction") {
                None | Some(Value::Null) => Direction::Asc,
                Some(Value::String(d)) => {
                    direction(d).ok_or_else(|| format!("{at}: direction is + or -, not {d:?}"))?
                }
                Some(other) => return Err(format!("{at}: direction is + or -, not {other}")),
            };
            Ok(Sort { field, direction })
        })
        .collect()
}

/// The search the parameters ask for. `paged` is false for count, which ignores the page.
///
/// # Errors
/// 400 `invalid_query` naming the parameter that cannot be used.
pub(crate) fn from_params(
    params: &Params,
    config: &HttpConfig,
    paged: bool,
) -> Result<Search, Problem> {
    let mut query = Query::all();
    let mut qb_page = (None, None);
    // An empty `qb` is no expression. A given one is the start: the other parameters' filters
    // are and-ed to its own, their sorts follow its sorts.
    if let Some(text) = params.get("qb").filter(|t| !t.trim().is_empty()) {
        let parsed =
            crate::qb::parse(text).map_err(|e| bad("qb", &e).with("position", e.position))?;
        qb_page = (parsed.limit, parsed.offset);
        query = parsed.into_query();
    }
    for text in params.all("conditions") {
        for filter in parse_conditions(text).map_err(|e| bad("conditions", e))? {
            query = query.filter(filter);
        }
    }
    for text in params.all("sorts") {
        query
            .sorts
            .extend(parse_sorts(text).map_err(|e| bad("sorts", e))?);
    }
    for (name, field, op) in [
        ("created_time_start", MetaField::CreatedTime, Op::Gte),
        ("created_time_end", MetaField::CreatedTime, Op::Lte),
        ("updated_time_start", MetaField::UpdatedTime, Op::Gte),
        ("updated_time_end", MetaField::UpdatedTime, Op::Lte),
    ] {
        if let Some(time) = params.get(name) {
            query = query.filter(Filter::meta(field, op, time));
        }
    }
    for (name, field) in [
        ("created_bys", MetaField::CreatedBy),
        ("updated_bys", MetaField::UpdatedBy),
    ] {
        let users = params.all(name);
        if !users.is_empty() {
            query = query.filter(Filter::meta(field, Op::In, users));
        }
    }
    if params.flag("include_deleted", false)? {
        query = query.include_deleted();
    }
    if params.flag("is_deleted", false)? {
        query = query
            .include_deleted()
            .filter(Filter::meta(MetaField::IsDeleted, Op::Eq, true));
    }
    if paged {
        let limit = params.number("limit", qb_page.0.unwrap_or(config.default_page_size()))?;
        if limit == 0 {
            return Err(bad("limit", "must be at least 1"));
        }
        if limit > config.max_page_size() {
            return Err(bad(
                "limit",
                format!("must be at most {}", config.max_page_size()),
            ));
        }
        query = query
            .limit(limit)
            .offset(params.number("offset", qb_page.1.unwrap_or(0))?);
        if let Some(text) = params.get("cursor") {
            let cursor = Cursor::parse(text).map_err(|_| {
                bad(
                    "cursor",
                    "not a cursor: pass back an X-Next-Cursor exactly as it was given",
                )
            })?;
            query = query.after(cursor);
        }
    }
    Ok(Search { query })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_parse_to_meta_and_data_fields_and_groups() {
        let filters = parse_conditions(
            r#"[{"field_path":"status","operator":"eq","value":"open"},
                {"operator":"or","conditions":[{"field_path":"created_by","operator":"in","value":["a"]},
                 {"operator":"not","conditions":[{"field_path":"x","operator":"is_null","value":true}]}]}]"#,
        )
        .unwrap();
        assert_eq!(
            filters,
            vec![
                Filter::data("status", Op::Eq, "open"),
                Filter::Or(vec![
                    Filter::meta(MetaField::CreatedBy, Op::In, json!(["a"])),
                    Filter::data("x", Op::IsNull, true).negate(),
                ]),
            ]
        );
        for bad in [
            "nope",
            "3",
            r#"[{"field_path":"x","operator":"like","value":1}]"#,
            r#"[{"operator":"xor","conditions":[]}]"#,
            r#"[{"operator":"eq"}]"#,
        ] {
            assert!(parse_conditions(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sorts_parse_both_kinds_and_directions() {
        let sorts = parse_sorts(
            r#"[{"type":"meta","key":"created_time","direction":"-"},{"type":"data","field_path":"severity","direction":"+"}]"#,
        )
        .unwrap();
        assert_eq!(
            sorts,
            vec![
                Sort {
                    field: Field::Meta(MetaField::CreatedTime),
                    direction: Direction::Desc
                },
                Sort {
                    field: Field::Data("severity".into()),
                    direction: Direction::Asc
                },
            ]
        );
        assert!(parse_sorts(r#"[{"type":"meta","key":"nope"}]"#).is_err());
        assert!(parse_sorts(r#"[{"type":"data","field_path":"x","direction":"up"}]"#).is_err());
    }

    #[test]
    fn params_build_the_query() {
        let config = HttpConfig::new();
        let p = Params::parse("is_deleted=true&created_bys[]=a&created_bys=b&limit=5&offset=2");
        let q = from_params(&p, &config, true).unwrap().query;
        assert!(q.include_deleted);
        assert_eq!(q.limit, Some(5));
        assert_eq!(q.offset, 2);
        assert_eq!(
            q.filter,
            Some(Filter::And(vec![
                Filter::meta(MetaField::CreatedBy, Op::In, json!(["a", "b"])),
                Filter::meta(MetaField::IsDeleted, Op::Eq, true),
            ]))
        );
        let q = from_params(&Params::default(), &config, true)
            .unwrap()
            .query;
        assert_eq!(q.limit, Some(100));
        assert!(!q.include_deleted);
        assert!(from_params(&Params::parse("limit=0"), &config, true).is_err());
        assert!(from_params(&Params::parse("limit=1001"), &config, true).is_err());
        assert!(from_params(&Params::parse("limit=0"), &config, false).is_ok());
    }
}
