//! Search in SQL: a [`Query`] becomes one `SELECT` over `heads`, answered from its indexes.
//!
//! Meta fields are columns of `heads`; an indexed data field is its [slot](crate::slots)
//! `v<i>`, with the kind of its value in `k<i>`. A search selects the page's resource ids
//! through the index [`access`](crate::access) chose (`INDEXED BY`), then reads those heads
//! by primary key: `heads` is a `WITHOUT ROWID` table, where SQLite would otherwise look up
//! the row of every index entry it examines, not only of those it returns. The deleted rule
//! is written `+is_deleted = 0`: the unary plus keeps SQLite from preferring the
//! `(model, is_deleted)` index. The model name is written as a literal, which lets SQLite
//! use the model's partial indexes.
//!
//! The SQL follows the core's definition of a query ([`Query::matches`]): a comparison holds
//! only between values of one kind, so each data comparison also tests the slot's kind;
//! `ne`, `not_in` and `not` negate with `NOT coalesce(…, 0)`, so that SQL's unknown (a NULL)
//! counts as "does not hold" before it is negated, as in the core. `ORDER BY` orders values
//! as the core's [`SortKey`](specstar_core::query::SortKey) does, which mirrors SQLite's own
//! order, and breaks ties by resource id in the direction of the last sort, as
//! [`Query::compare`] does. Every value is a bound parameter.
//!
//! An array field's element conditions (`eq`, `contains`, `in` and their negations) are
//! lookups in the element index instead of its slot (see [`elements`]); its `is_null` and
//! `exists` test the slot, which holds the whole array.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use specstar_core::{
    Condition, Cursor, Direction, Error, Field, MetaField, Op, Query, ResourceMeta, Result, Sort,
};
use specstar_sql::rows::{decode_head, decode_id};
use specstar_sql::{Dialect, int, select};

use crate::access;
use crate::elements;
use crate::indexes::model_literal;
use crate::rows::SqliteRow;
use crate::slots::{self, Kind};
use crate::stats::Stats;

/// The indexed fields a model was registered with (none for an unknown model).
pub(crate) fn indexed_fields(conn: &Connection, model: &str) -> Result<Vec<String>> {
    const SQL: &str = "SELECT indexed_fields FROM models WHERE name = ?1";
    model_list(conn, model, SQL, "indexed_fields")
}

/// The list of paths in `column` of a model's row, read by `sql` (none for an unknown model).
pub(crate) fn model_list(
    conn: &Connection,
    model: &str,
    sql: &str,
    column: &str,
) -> Result<Vec<String>> {
    let text: Option<String> = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row([model], |row| row.get(0)).optional())
        .map_err(Error::store)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => specstar_sql::model::field_list(model, column, serde_json::from_str(&text)),
    }
}

/// A statement being written: its SQL and its bound parameters (`?1`, `?2`…), and the
/// model's indexed fields (whose positions are their slots).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<SqlValue>,
    fields: Vec<String>,
    /// The model's array fields (see [`elements`]) and the model's name as a literal.
    elements: Vec<String>,
    model: String,
}

impl Sql {
    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    /// Binds a JSON value as a slot stores it.
    pub(crate) fn bind_json(&mut self, value: &Value) -> String {
        self.bind(slots::encode(value).0)
    }

    /// Binds each value that can equal a stored one (a scalar), grouped by its kind, in the
    /// order the kinds first appear: what an `IN` list per kind is written from.
    pub(crate) fn bind_by_kind(&mut self, values: &[Value]) -> Vec<(Kind, Vec<String>)> {
        let mut groups: Vec<(Kind, Vec<String>)> = Vec::new();
        for value in values {
            let Some(kind) = Kind::of_operand(value) else {
                continue;
            };
            let param = self.bind_json(value);
            match groups.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, params)) => params.push(param),
                None => groups.push((kind, vec![param])),
            }
        }
        groups
    }

    /// The slot of an indexed data field.
    fn slot(&self, path: &str) -> Result<usize> {
        slots::slot_of(&self.fields, path).ok_or_else(|| Error::InvalidQuery {
            reason: format!("data field {path:?} is not indexed"),
        })
    }
}

/// Writes `SELECT <what> FROM heads … WHERE …` for a query, with its order and page when
/// `paged`. Checks the query's fields against the model's indexed fields first, and chooses
/// the access path from the model's statistics, when measured.
pub(crate) fn select(
    conn: &Connection,
    model: &str,
    query: &Query,
    what: &str,
    paged: bool,
    stats: Option<&Stats>,
) -> Result<Sql> {
    let fields = indexed_fields(conn, model)?;
    query.check_fields(model, &fields)?;
    let array_fields = elements::fields(conn, model)?;
    query.check_shapes(|path| specstar_sql::model::shape(&array_fields, path))?;
    let access = access::choose(query, &fields, &array_fields, stats, !paged);
    let mut sql = Sql {
        fields,
        elements: array_fields,
        model: model_literal(model)?,
        ..Sql::default()
    };
    let mut text = format!(
        "SELECT {what} FROM heads{} WHERE model = {}",
        access.clause(model),
        model_literal(model)?
    );
    if !query.include_deleted {
        text.push_str(" AND +is_deleted = 0");
    }
    select::finish(&mut sql, &mut text, query, paged)?;
    sql.text = text;
    Ok(sql)
}

impl Dialect for Sql {
    const TRUE: &'static str = "1";
    const FALSE: &'static str = "0";
    const RESOURCE_ID: &'static str = "resource_id";

    fn condition(&mut self, condition: &Condition) -> Result<String> {
        condition_of(self, condition)
    }

    fn sort_keys(&self, field: &Field) -> Result<Vec<String>> {
        Ok(vec![field_sql(self, field)?])
    }

    /// "After" reversed for descending sorts and nulls placed first, as in the core's order
    /// (and SQLite's `ORDER BY`).
    fn key_after(&mut self, sort: &Sort, key: &Value) -> Result<(String, String)> {
        let expr = field_sql(self, &sort.field)?;
        if key.is_null() {
            let after = match sort.direction {
                Direction::Asc => format!("{expr} IS NOT NULL"),
                Direction::Desc => "0".to_owned(),
            };
            return Ok((after, format!("{expr} IS NULL")));
        }
        let param = self.bind_json(key);
        let after = match sort.direction {
            Direction::Asc => format!("coalesce({expr} > {param}, 0)"),
            Direction::Desc => format!("({expr} IS NULL OR {expr} < {param})"),
        };
        Ok((after, format!("coalesce({expr} = {param}, 0)")))
    }

    /// The keyset expansion; a first sort on a meta time (never null) also gets a plain bound
    /// on its column, so that an index on it is entered at the cursor rather than read from
    /// its start.
    fn cursor(&mut self, query: &Query, cursor: &Cursor) -> Result<String> {
        let condition = select::keyset(self, query, cursor)?;
        if access::time_order(query).is_some()
            && let (Some(sort), Some(key)) = (query.sorts.first(), cursor.keys().first())
            && !key.is_null()
        {
            let expr = field_sql(self, &sort.field)?;
            let param = self.bind_json(key);
            let bound = match sort.direction {
                Direction::Asc => ">=",
                Direction::Desc => "<=",
            };
            return Ok(format!("{expr} {bound} {param} AND {condition}"));
        }
        Ok(condition)
    }

    fn bind_text(&mut self, text: &str) -> String {
        self.bind(SqlValue::Text(text.to_owned()))
    }

    fn bind_int(&mut self, number: i64) -> String {
        self.bind(SqlValue::Integer(number))
    }

    /// SQLite's "no limit" is `LIMIT -1`.
    fn bind_limit(&mut self, limit: Option<i64>) -> String {
        self.bind_int(limit.unwrap_or(-1))
    }
}

fn field_sql(sql: &Sql, field: &Field) -> Result<String> {
    Ok(match field {
        Field::Data(path) => format!("v{}", sql.slot(path)?),
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

/// The SQL of one condition: an array field's element lookup, or a column's test.
fn condition_of(sql: &mut Sql, c: &Condition) -> Result<String> {
    if let Field::Data(path) = &c.field
        && sql.elements.contains(path)
        && !matches!(c.op, Op::IsNull | Op::Exists)
    {
        let model = sql.model.clone();
        return elements::condition_sql(sql, &model, path, c.op, &c.value);
    }
    let expr = field_sql(sql, &c.field)?;
    let kind = match &c.field {
        Field::Data(path) => Some(format!("k{}", sql.slot(path)?)),
        Field::Meta(_) => None,
    };
    condition_sql(sql, &expr, kind.as_deref(), c.op, &c.value)
}

/// The SQL of `expr op value`; `kind` is the slot's kind column for data fields (whose values
/// may be of any kind), `None` for meta columns (of one type each).
fn condition_sql(
    sql: &mut Sql,
    expr: &str,
    kind: Option<&str>,
    op: Op,
    value: &Value,
) -> Result<String> {
    let is_true = value == &Value::Bool(true);
    // The kind guard: the field holds a value of the operand's kind.
    let guard = |value: &Value| -> String {
        let Some(kind) = kind else {
            return "1".into();
        };
        match Kind::of_operand(value) {
            Some(k) => format!("{kind} = {}", k as i64),
            None => "0".into(),
        }
    };
    Ok(match op {
        Op::IsNull | Op::Exists => {
            let null = if kind.is_some() {
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
            if matches!(value, Value::Bool(_)) && op != Op::Eq {
                // Booleans are equal or not; the core orders no two of them.
                return Ok("0".into());
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
        Op::Ne => Sql::negate(&condition_sql(sql, expr, kind, Op::Eq, value)?),
        Op::In | Op::NotIn => {
            let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let any = match kind {
                Some(kind) => in_sql(sql, expr, kind, values),
                // A meta column holds one type, and the core checked the values are of it:
                // one `IN` list, as flat as SQL allows.
                None if values.is_empty() => "0".into(),
                None => {
                    let params: Vec<String> = values.iter().map(|v| sql.bind_json(v)).collect();
                    format!("({expr} IN ({}))", params.join(", "))
                }
            };
            if op == Op::In { any } else { Sql::negate(&any) }
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let text_guard = match kind {
                Some(kind) => format!("{kind} = {}", Kind::Text as i64),
                None => "1".into(),
            };
            let needle = value.as_str().unwrap_or_default();
            if needle.is_empty() {
                return Ok(text_guard);
            }
            // On the bytes: SQLite's text functions (`length`, a negative `substr`) stop at
            // a U+0000, which JSON strings may hold; UTF-8 makes byte and character matches
            // the same.
            let param = sql.bind_json(value);
            let (hay, needle) = (
                format!("CAST({expr} AS BLOB)"),
                format!("CAST({param} AS BLOB)"),
            );
            let test = match op {
                Op::Contains => format!("instr({hay}, {needle}) > 0"),
                Op::StartsWith => format!("substr({hay}, 1, length({needle})) = {needle}"),
                _ => format!("substr({hay}, -length({needle})) = {needle}"),
            };
            format!("({test} AND {text_guard})")
        }
    })
}

/// The SQL of `expr in values` on a slot: `(v IN (…) AND k = kind)` for each kind of value
/// there, so that a list of one kind is one index lookup per value.
fn in_sql(sql: &mut Sql, expr: &str, kind: &str, values: &[Value]) -> String {
    let groups = sql.bind_by_kind(values);
    if groups.is_empty() {
        return "0".into();
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(k, params)| {
            format!(
                "({expr} IN ({}) AND {kind} = {})",
                params.join(", "),
                k as i64
            )
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

/// The heads matching a query, in its order, its page only: the page's ids through the
/// chosen index, then their heads by primary key.
pub(crate) fn search(
    conn: &Connection,
    model: &str,
    query: &Query,
    stats: Option<&Stats>,
) -> Result<Vec<ResourceMeta>> {
    let page = |stats| -> Result<Sql> {
        let mut sql = select(conn, model, query, "resource_id", true, stats)?;
        sql.text = format!(
            "SELECT h.resource_id, {} FROM ({}) AS page \
             JOIN heads h ON h.resource_id = page.resource_id",
            specstar_sql::head_columns!(),
            sql.text,
        );
        Ok(sql)
    };
    let mut sql = page(stats)?;
    let mut stmt = match conn.prepare_cached(&sql.text) {
        Ok(stmt) => stmt,
        Err(e) if stats.is_some() => {
            tracing::debug!(error = %e, "the chosen index cannot serve the search");
            sql = page(None)?;
            conn.prepare_cached(&sql.text).map_err(Error::store)?
        }
        Err(e) => return Err(Error::store(e)),
    };
    let mut rows = stmt
        .query(rusqlite::params_from_iter(sql.params.iter()))
        .map_err(Error::store)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(Error::store)? {
        let row = SqliteRow(row);
        let id = decode_id(&row, 0, || format!("a head of model {model:?}"))?;
        found.push(decode_head(&id, &row, 1)?.meta);
    }
    // The page came out of the subquery in order, but SQL promises no order without an
    // outer `ORDER BY`: the page is put in the query's order by its definition instead.
    found.sort_by(|a, b| query.compare(a, b));
    Ok(found)
}

/// How many heads match a query. (A chosen index that SQLite finds it cannot use, as for a
/// filter it rewrote, falls back to SQLite's own choice, as in [`search`].)
pub(crate) fn count(
    conn: &Connection,
    model: &str,
    query: &Query,
    stats: Option<&Stats>,
) -> Result<u64> {
    let mut sql = select(conn, model, query, "count(*)", false, stats)?;
    let mut stmt = match conn.prepare_cached(&sql.text) {
        Ok(stmt) => stmt,
        Err(e) if stats.is_some() => {
            tracing::debug!(error = %e, "the chosen index cannot serve the count");
            sql = select(conn, model, query, "count(*)", false, None)?;
            conn.prepare_cached(&sql.text).map_err(Error::store)?
        }
        Err(e) => return Err(Error::store(e)),
    };
    let count: i64 = stmt
        .query_row(rusqlite::params_from_iter(sql.params.iter()), |row| {
            row.get(0)
        })
        .map_err(Error::store)?;
    Ok(int::count(count))
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
            upcast: None,
            fingerprint: None,
        };
        crate::apply::register_model(&conn, &model).expect("registers");
        (dir, conn)
    }

    fn query_plan(conn: &Connection, query: &Query) -> String {
        let sql = select(conn, "issue", query, "resource_id", true, None).expect("writes sql");
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
        // Slots go in path order: owner.team is v0, status v1.
        assert!(plan.contains("USING INDEX search_issue_v1"), "{plan}");
        let query = Query::all().filter(Filter::data("owner.team", Op::Eq, 3));
        let plan = query_plan(&conn, &query);
        assert!(plan.contains("USING INDEX search_issue_v0"), "{plan}");
    }

    #[test]
    fn values_are_bound_and_unindexed_fields_refused() {
        let (_dir, conn) = store();
        let query = Query::all().filter(Filter::data("status", Op::Eq, "x' OR 1=1 --"));
        let sql = select(&conn, "issue", &query, "resource_id", true, None).expect("writes sql");
        assert!(!sql.text.contains("OR 1=1"), "{}", sql.text);
        let query = Query::all().filter(Filter::data("title", Op::Eq, "a"));
        let error = select(&conn, "issue", &query, "resource_id", true, None).unwrap_err();
        assert!(error.to_string().contains("\"title\""), "{error}");
    }

    /// With measured statistics, "a common value, newest first, 20 a page" reads the covering
    /// created-time index and a rare value its field's index; either way the answer is the
    /// one SQLite's own choice gives.
    #[test]
    fn statistics_choose_the_index_and_not_the_answer() {
        use specstar_core::{Direction, Field, MetaField};

        let (_dir, conn) = store();
        // 3,000 heads: owner.team (slot v0) unique, status (slot v1) one of three.
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)
             INSERT INTO heads (resource_id, model, current_number, revision_count,
                 schema_version, data_hash, created_time, created_by, updated_time, updated_by,
                 is_deleted, indexed_data, chain_hash, v0, k0, v1, k1)
             SELECT printf('issue:%05d', i), 'issue', 1, 1, 'v1',
                 'xxh3_128:00000000000000000000000000000000', i, 'u', i, 'u', 0,
                 json_object('owner.team', i, 'status', s), 'sha256:' || printf('%064d', 0),
                 i, 2, s, 3
             FROM (SELECT i, CASE i % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'done' ELSE 'new' END AS s
                   FROM n);",
        )
        .expect("heads");
        let stats = crate::stats::measure(&conn, "issue").expect("measures");
        let newest = |filter: Filter| {
            Query::all()
                .filter(filter)
                .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
                .limit(20)
        };
        let common = newest(Filter::data("status", Op::Eq, "open"));
        let rare = newest(Filter::And(vec![
            Filter::data("status", Op::Eq, "open"),
            Filter::data("owner.team", Op::Eq, 2997),
        ]));
        for (query, index) in [
            (&common, "search_issue_created"),
            (&rare, "search_issue_v0"),
        ] {
            let sql = select(&conn, "issue", query, "resource_id", true, Some(&stats))
                .expect("writes sql");
            assert!(
                sql.text.contains(&format!("INDEXED BY \"{index}\"")),
                "{}",
                sql.text
            );
            let chosen = search(&conn, "issue", query, Some(&stats)).expect("searches");
            let sqlite = search(&conn, "issue", query, None).expect("searches");
            assert_eq!(chosen, sqlite);
        }
        let found = search(&conn, "issue", &common, Some(&stats)).expect("searches");
        assert_eq!(found.len(), 20);
        assert_eq!(found[0].resource_id.as_str(), "issue:02997");
        assert_eq!(found[1].resource_id.as_str(), "issue:02994");
    }
}
