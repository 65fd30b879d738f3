//! Search in SQL: a [`Query`] becomes one `SELECT` over `heads`, answered from its indexes.
//!
//! Meta fields are columns of `heads`. An indexed data field is the expression
//! `json_extract(indexed_data, '$."field"')`, written exactly as in the expression index that
//! [`create_indexes`] makes for it at registration, `(model, json_extract(…))`, so that SQLite
//! serves equalities, `in` and ranges on the field from that index. The deleted rule is written
//! `+is_deleted = 0`: the unary plus keeps SQLite from preferring the `(model, is_deleted)`
//! index over a field's own.
//!
//! The SQL follows the core's definition of a query ([`Query::matches`]): a comparison holds
//! only between values of one type, so each data comparison also tests `json_type`; `ne`,
//! `not_in` and `not` negate with `NOT coalesce(…, 0)`, so that SQL's unknown (a NULL) counts
//! as "does not hold" before it is negated, as in the core. `ORDER BY` orders values as the
//! core's [`SortKey`](specstar_core::query::SortKey) does, which mirrors SQLite's own order.
//!
//! Field names are inlined (an expression index must match the query's text), so they are
//! checked to be registered indexed fields and quoted; every value is a bound parameter.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use specstar_core::{
    Cursor, Direction, Error, Field, Filter, MetaField, ModelDescriptor, Op, Query, ResourceId,
    ResourceMeta, Result,
};

use crate::rows;

/// Whether a field path can be written into SQL: no quotes, backslashes or control characters.
fn check_path(path: &str) -> std::result::Result<(), String> {
    if path
        .chars()
        .any(|c| c == '"' || c == '\'' || c == '\\' || c.is_control())
    {
        return Err(format!(
            "indexed field {path:?} has a quote, backslash or control character, which the \
             sqlite store cannot index"
        ));
    }
    Ok(())
}

/// The SQL expression of an indexed data field (checked by [`check_path`]).
fn data_expr(path: &str) -> String {
    format!("json_extract(indexed_data, '$.\"{path}\"')")
}

fn type_expr(path: &str) -> String {
    format!("json_type(indexed_data, '$.\"{path}\"')")
}

/// The name of a field's expression index.
fn index_name(model: &str, path: &str) -> String {
    format!("\"heads_{model}_{path}\"")
}

/// Checks that every indexed field of a model can be written into SQL.
pub(crate) fn check_paths(model: &ModelDescriptor) -> Result<()> {
    for field in &model.indexed_fields {
        check_path(field.path()).map_err(|reason| Error::InvalidSchema {
            model: model.name.to_string(),
            reason,
        })?;
    }
    Ok(())
}

/// Creates the expression index of each indexed field of a model (if it is not there yet).
pub(crate) fn create_indexes(conn: &Connection, model: &ModelDescriptor) -> Result<()> {
    check_paths(model)?;
    for path in &model.indexed_paths() {
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {} ON heads (model, {})",
            index_name(&model.name, path),
            data_expr(path)
        );
        conn.execute_batch(&sql).map_err(Error::store)?;
    }
    Ok(())
}

/// The indexed fields a model was registered with (none for an unknown model).
fn indexed_fields(conn: &Connection, model: &str) -> Result<Vec<String>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT indexed_fields FROM models WHERE name = ?1")
        .and_then(|mut stmt| stmt.query_row([model], |row| row.get(0)).optional())
        .map_err(Error::store)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Corrupt {
            what: format!("model {model:?}"),
            reason: format!("column indexed_fields: {e}"),
        }),
    }
}

/// A statement being written: its SQL and its bound parameters (`?1`, `?2`…).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<SqlValue>,
}

impl Sql {
    /// Binds a value and returns its placeholder.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    fn bind_json(&mut self, value: &Value) -> String {
        let sql = match value {
            Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => SqlValue::Integer(i),
                None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => SqlValue::Text(s.clone()),
            other => SqlValue::Text(other.to_string()),
        };
        self.bind(sql)
    }
}

/// Writes `SELECT <what> FROM heads … WHERE …` for a query, with its order and page when
/// `paged`. Checks the query's fields against the model's indexed fields first.
pub(crate) fn select(
    conn: &Connection,
    model: &str,
    query: &Query,
    what: &str,
    paged: bool,
) -> Result<Sql> {
    let indexed = indexed_fields(conn, model)?;
    query.check_fields(model, &indexed)?;
    let mut sql = Sql::default();
    let model_param = sql.bind(SqlValue::Text(model.to_owned()));
    let mut text = format!("SELECT {what} FROM heads h WHERE model = {model_param}");
    if !query.include_deleted {
        text.push_str(" AND +is_deleted = 0");
    }
    if let Some(filter) = &query.filter {
        let condition = filter_sql(&mut sql, filter)?;
        text.push_str(" AND ");
        text.push_str(&condition);
    }
    if paged && let Some(cursor) = &query.after {
        let condition = cursor_sql(&mut sql, query, cursor)?;
        text.push_str(" AND ");
        text.push_str(&condition);
    }
    if paged {
        text.push_str(" ORDER BY ");
        for sort in &query.sorts {
            text.push_str(&field_sql(&sort.field)?);
            text.push_str(match sort.direction {
                Direction::Asc => " ASC, ",
                Direction::Desc => " DESC, ",
            });
        }
        text.push_str("resource_id ASC");
        let limit = query
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let limit = sql.bind(SqlValue::Integer(limit));
        let offset = sql.bind(SqlValue::Integer(offset));
        text.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    }
    sql.text = text;
    Ok(sql)
}

/// The SQL of [`Query::is_after`]: `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR … OR (all equal AND
/// resource_id > id)`, with "after" reversed for descending sorts and nulls placed first, as in
/// the core's order (and SQLite's `ORDER BY`).
fn cursor_sql(sql: &mut Sql, query: &Query, cursor: &Cursor) -> Result<String> {
    cursor.check_sorts(&query.sorts)?;
    let mut equal_so_far: Vec<String> = Vec::new();
    let mut any = Vec::new();
    for (sort, key) in query.sorts.iter().zip(cursor.keys()) {
        let expr = field_sql(&sort.field)?;
        let (after, equal) = if key.is_null() {
            let after = match sort.direction {
                Direction::Asc => format!("{expr} IS NOT NULL"),
                Direction::Desc => "0".to_owned(),
            };
            (after, format!("{expr} IS NULL"))
        } else {
            let param = sql.bind_json(key);
            let after = match sort.direction {
                Direction::Asc => format!("coalesce({expr} > {param}, 0)"),
                Direction::Desc => format!("({expr} IS NULL OR {expr} < {param})"),
            };
            (after, format!("coalesce({expr} = {param}, 0)"))
        };
        any.push(conjunction(&equal_so_far, &after));
        equal_so_far.push(equal);
    }
    let id = sql.bind(SqlValue::Text(cursor.resource_id().to_owned()));
    any.push(conjunction(&equal_so_far, &format!("resource_id > {id}")));
    Ok(format!("({})", any.join(" OR ")))
}

/// `(a AND b AND … AND last)`.
fn conjunction(all: &[String], last: &str) -> String {
    let mut parts: Vec<&str> = all.iter().map(String::as_str).collect();
    parts.push(last);
    format!("({})", parts.join(" AND "))
}

fn field_sql(field: &Field) -> Result<String> {
    Ok(match field {
        Field::Data(path) => {
            check_path(path).map_err(|reason| Error::InvalidQuery { reason })?;
            data_expr(path)
        }
        Field::Meta(m) => match m {
            MetaField::ResourceId => "resource_id",
            MetaField::CreatedTime => "created_time",
            MetaField::CreatedBy => "created_by",
            MetaField::UpdatedTime => "updated_time",
            MetaField::UpdatedBy => "updated_by",
            MetaField::IsDeleted => "is_deleted",
            MetaField::SchemaVersion => "schema_version",
            MetaField::TotalRevisionCount => "revision_count",
        }
        .to_owned(),
    })
}

fn filter_sql(sql: &mut Sql, filter: &Filter) -> Result<String> {
    Ok(match filter {
        Filter::And(all) if all.is_empty() => "1".into(),
        Filter::Or(any) if any.is_empty() => "0".into(),
        Filter::And(all) => join(sql, all, " AND ")?,
        Filter::Or(any) => join(sql, any, " OR ")?,
        Filter::Not(inner) => format!("NOT coalesce({}, 0)", filter_sql(sql, inner)?),
        Filter::Condition(c) => {
            let expr = field_sql(&c.field)?;
            let typed = match &c.field {
                Field::Data(path) => Some(type_expr(path)),
                Field::Meta(_) => None,
            };
            condition_sql(sql, &expr, typed.as_deref(), c.op, &c.value)?
        }
    })
}

fn join(sql: &mut Sql, filters: &[Filter], with: &str) -> Result<String> {
    let parts = filters
        .iter()
        .map(|f| filter_sql(sql, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("({})", parts.join(with)))
}

/// The SQL of `expr op value`; `typed` is the field's `json_type` expression for data fields
/// (whose values may be of any type), `None` for meta columns (of one type each).
fn condition_sql(
    sql: &mut Sql,
    expr: &str,
    typed: Option<&str>,
    op: Op,
    value: &Value,
) -> Result<String> {
    let is_true = value == &Value::Bool(true);
    // The type guard: the field holds a value of the operand's type.
    let guard = |value: &Value| -> String {
        let Some(typed) = typed else {
            return "1".into();
        };
        match value {
            Value::Bool(true) => format!("{typed} = 'true'"),
            Value::Bool(false) => format!("{typed} = 'false'"),
            Value::Number(_) => format!("{typed} IN ('integer', 'real')"),
            Value::String(_) => format!("{typed} = 'text'"),
            _ => "0".into(),
        }
    };
    Ok(match op {
        Op::IsNull | Op::Exists => {
            let null = if typed.is_some() {
                format!("{expr} IS NULL")
            } else {
                "0".into()
            };
            let wants_null = (op == Op::IsNull) == is_true;
            if wants_null {
                null
            } else {
                format!("NOT ({null})")
            }
        }
        Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            if matches!(value, Value::Bool(_)) && typed.is_some() {
                // Booleans are 1 and 0 to json_extract: the guard alone tells them apart.
                return Ok(guard(value));
            }
            let symbol = match op {
                Op::Eq => "=",
                Op::Gt => ">",
                Op::Gte => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            let param = sql.bind_json(value);
            format!("({expr} {symbol} {param} AND {})", guard(value))
        }
        Op::Ne => format!(
            "NOT coalesce({}, 0)",
            condition_sql(sql, expr, typed, Op::Eq, value)?
        ),
        Op::In | Op::NotIn => {
            let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let parts = values
                .iter()
                .map(|v| condition_sql(sql, expr, typed, Op::Eq, v))
                .collect::<Result<Vec<_>>>()?;
            let any = if parts.is_empty() {
                "0".into()
            } else {
                format!("({})", parts.join(" OR "))
            };
            if op == Op::In {
                any
            } else {
                format!("NOT coalesce({any}, 0)")
            }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let text_guard = match typed {
                Some(typed) => format!("{typed} = 'text'"),
                None => "1".into(),
            };
            let needle = value.as_str().unwrap_or_default();
            if needle.is_empty() {
                return Ok(text_guard);
            }
            let param = sql.bind_json(value);
            let test = match op {
                Op::Contains => format!("instr({expr}, {param}) > 0"),
                Op::StartsWith => format!("substr({expr}, 1, length({param})) = {param}"),
                _ => format!("substr({expr}, -length({param})) = {param}"),
            };
            format!("({test} AND {text_guard})")
        }
    })
}

/// The heads matching a query, in its order, its page only.
pub(crate) fn search(conn: &Connection, model: &str, query: &Query) -> Result<Vec<ResourceMeta>> {
    let what = concat!("h.resource_id, ", crate::rows::head_columns!());
    let sql = select(conn, model, query, what, true)?;
    let mut stmt = conn.prepare(&sql.text).map_err(Error::store)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(sql.params.iter()))
        .map_err(Error::store)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(Error::store)? {
        let id: String = row.get(0).map_err(Error::store)?;
        let id = ResourceId::parse(&id).map_err(|e| Error::Corrupt {
            what: format!("a head of model {model:?}"),
            reason: format!("column resource_id: {e}"),
        })?;
        found.push(rows::decode_head(&id, row, 1)?.meta);
    }
    Ok(found)
}

/// How many heads match a query.
pub(crate) fn count(conn: &Connection, model: &str, query: &Query) -> Result<u64> {
    let sql = select(conn, model, query, "count(*)", false)?;
    let count: i64 = conn
        .prepare(&sql.text)
        .and_then(|mut stmt| {
            stmt.query_row(rusqlite::params_from_iter(sql.params.iter()), |row| {
                row.get(0)
            })
        })
        .map_err(Error::store)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use specstar_core::{Filter, IndexedField, ModelDescriptor, Op, Query};

    use super::*;

    fn store() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut conn = Connection::open(dir.path().join("s.db")).expect("opens");
        crate::schema::migrate(&mut conn, &dir.path().join("s.db")).expect("migrates");
        let model = ModelDescriptor {
            name: Arc::from("issue"),
            schema_version: Arc::from("v1"),
            indexed_fields: ["status", "owner.team"]
                .into_iter()
                .map(|path| IndexedField::at(path, false).expect("a well-formed path"))
                .collect(),
        };
        crate::apply::register_model(&conn, &model).expect("registers");
        (dir, conn)
    }

    fn query_plan(conn: &Connection, query: &Query) -> String {
        let sql = select(conn, "issue", query, "resource_id", true).expect("writes sql");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.text))
            .expect("prepares");
        let details: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(sql.params.iter()), |row| {
                row.get::<_, String>(3)
            })
            .expect("explains")
            .collect::<rusqlite::Result<_>>()
            .expect("reads the plan");
        details.join("\n")
    }

    #[test]
    fn an_equality_on_an_indexed_field_uses_its_index() {
        let (_dir, conn) = store();
        let query = Query::all().filter(Filter::data("status", Op::Eq, "open"));
        let plan = query_plan(&conn, &query);
        assert!(plan.contains("USING INDEX heads_issue_status"), "{plan}");
        let query = Query::all().filter(Filter::data("owner.team", Op::Gt, 3));
        let plan = query_plan(&conn, &query);
        assert!(
            plan.contains("USING INDEX heads_issue_owner.team"),
            "{plan}"
        );
    }

    #[test]
    fn values_are_bound_and_unindexed_fields_refused() {
        let (_dir, conn) = store();
        let query = Query::all().filter(Filter::data("status", Op::Eq, "x' OR 1=1 --"));
        let sql = select(&conn, "issue", &query, "resource_id", true).expect("writes sql");
        assert!(!sql.text.contains("OR 1=1"), "{}", sql.text);
        let query = Query::all().filter(Filter::data("title", Op::Eq, "a"));
        let error = select(&conn, "issue", &query, "resource_id", true).unwrap_err();
        assert!(error.to_string().contains("\"title\""), "{error}");
    }
}
