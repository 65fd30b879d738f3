//! The element index: each element of every array field (see
//! [arrays](specstar_core::query#arrays)), one row of `elements` per `(model, field, kind,
//! value, resource)`.
//!
//! A slot column holds one value per head, so an index over it cannot find the heads one of
//! whose elements is `x`. The `elements` table (layout version 3) holds the elements instead,
//! keyed so that `eq`, `contains` and `in` on an array field are index seeks of
//! `(model, field, kind, value)`; a condition becomes `resource_id IN (SELECT resource_id FROM
//! elements WHERE …)`. The kind is the [slot kind](crate::slots::Kind), so that, as in the core,
//! `true` is not `1` and `"1"` is not `1`, while `1` is `1.0` (SQLite compares numbers as
//! numbers). Which fields are arrays is recorded with the model (`models.element_fields`,
//! from the registration's shapes).
//!
//! The rows move with the head in the same transaction: every write that moves a head
//! rewrites its rows when its array values changed ([`follow`]), a purge deletes them, and a
//! registration that changes the fields (or which of them are arrays) rebuilds the model's
//! rows with its other indexed values ([`backfill`](crate::backfill)).

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use specstar_core::{Error, IndexedValues, Op, Result};
use specstar_sql::Dialect;

use crate::search::Sql;
use crate::slots::{self, Kind};

/// The array fields a model was registered with (none for an unknown model).
pub(crate) fn fields(conn: &Connection, model: &str) -> Result<Vec<String>> {
    const SQL: &str = "SELECT element_fields FROM models WHERE name = ?1";
    crate::search::model_list(conn, model, SQL, "element_fields")
}

/// Brings a head's element rows to its new indexed values (`old` being the values they
/// were written from, `None` for a new head): nothing when its arrays did not change.
pub(crate) fn follow(
    conn: &Connection,
    model: &str,
    id: &str,
    old: Option<&IndexedValues>,
    new: &IndexedValues,
) -> Result<()> {
    let fields = fields(conn, model)?;
    if fields.is_empty() {
        return Ok(());
    }
    if let Some(old) = old {
        if fields.iter().all(|f| old.get(f) == new.get(f)) {
            return Ok(());
        }
        delete(conn, id)?;
    }
    insert(conn, model, &fields, id, new)
}

/// Inserts the element rows of one head.
pub(crate) fn insert(
    conn: &Connection,
    model: &str,
    fields: &[String],
    id: &str,
    indexed: &IndexedValues,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO elements (model, field, kind, value, resource_id) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(Error::store)?;
    for field in fields {
        let Some(Value::Array(elements)) = indexed.get(field) else {
            continue;
        };
        for element in elements {
            // Null and nested elements equal no operand: nothing to find them by.
            let (value, Some(kind)) = slots::encode(element) else {
                continue;
            };
            if kind == Kind::Composite {
                continue;
            }
            stmt.execute((model, field, kind as i64, value, id))
                .map_err(Error::store)?;
        }
    }
    Ok(())
}

/// Deletes the element rows of one resource.
pub(crate) fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM elements WHERE resource_id = ?1")
        .and_then(|mut stmt| stmt.execute([id]))
        .map_err(Error::store)?;
    Ok(())
}

/// Deletes the element rows of every resource of a model (before they are rebuilt).
pub(crate) fn clear(conn: &Connection, model: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM elements WHERE model = ?1")
        .and_then(|mut stmt| stmt.execute([model]))
        .map_err(Error::store)?;
    Ok(())
}

/// The SQL of `op value` on the array field `path` of the model whose literal is `model`:
/// an element equals (`eq`, `contains`), is in the list (`in`), or their negations.
///
/// # Errors
/// [`Error::InvalidQuery`] for an operator not defined on arrays (refused before, by
/// [`Query::check_shapes`](specstar_core::Query::check_shapes)).
pub(crate) fn condition_sql(
    sql: &mut Sql,
    model: &str,
    path: &str,
    op: Op,
    value: &Value,
) -> Result<String> {
    let any = |sql: &mut Sql, values: &[Value]| -> String {
        let groups = sql.bind_by_kind(values);
        if groups.is_empty() {
            return "0".into();
        }
        let field = sql.bind(SqlValue::Text(path.to_owned()));
        let tests: Vec<String> = groups
            .into_iter()
            .map(|(kind, params)| {
                format!(
                    "(kind = {} AND value IN ({}))",
                    kind as i64,
                    params.join(", ")
                )
            })
            .collect();
        format!(
            "resource_id IN (SELECT resource_id FROM elements WHERE model = {model} \
             AND field = {field} AND ({}))",
            tests.join(" OR ")
        )
    };
    let list = || value.as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(match op {
        Op::Eq | Op::Contains => any(sql, std::slice::from_ref(value)),
        Op::In => any(sql, list()),
        Op::Ne => Sql::negate(&any(sql, std::slice::from_ref(value))),
        Op::NotIn => Sql::negate(&any(sql, list())),
        other => {
            return Err(Error::InvalidQuery {
                reason: format!("{other} is not defined on data field {path:?}, an array"),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use specstar_core::{FieldShape, Filter, IndexedField, ModelDescriptor, Query};

    use super::*;

    fn descriptor(shape: FieldShape) -> ModelDescriptor {
        ModelDescriptor {
            name: Arc::from("post"),
            schema_version: Arc::from("v1"),
            indexed_fields: vec![
                IndexedField::at("tags", false)
                    .expect("a path")
                    .with_shape(shape),
            ],
            upcast: None,
            fingerprint: None,
        }
    }

    /// A file of layout version 2, whose model indexed `tags` as one value, opens at version
    /// 3; the registration that declares `tags` an array fills its element rows from the
    /// heads, so `contains` finds them, served by the element index.
    #[test]
    fn a_version_2_file_gets_element_rows_at_the_next_registration() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("v2.db");
        let mut conn = Connection::open(&path).expect("a new database");
        conn.execute_batch(&format!(
            "{}{}PRAGMA user_version = 2;",
            crate::schema::tests::V1_SQL,
            crate::schema::tests::V2_SQL
        ))
        .expect("a version 2 layout");
        // Written by version-2 code: the model with `tags` as one value, one head.
        conn.execute_batch(
            "INSERT INTO models VALUES ('post', 'v1', '[\"tags\"]');
             INSERT INTO heads (resource_id, model, current_number, revision_count,
                 schema_version, data_hash, created_time, created_by, updated_time, updated_by,
                 is_deleted, indexed_data, v0, k0)
                 VALUES ('post:a', 'post', 1, 1, 'v1',
                 'xxh3_128:00000000000000000000000000000000', 0, 'u', 0, 'u', 0,
                 '{\"tags\":[\"x\",\"y\"]}', '[\"x\",\"y\"]', 4);
             INSERT INTO revisions (resource_id, number, parent_number, schema_version,
                 data_hash, action, deleted, created_time, created_by, data)
                 VALUES ('post:a', 1, NULL, 'v1', 'xxh3_128:00000000000000000000000000000000',
                 'create', 0, 0, 'u', CAST('{\"tags\":[\"x\",\"y\"]}' AS BLOB));",
        )
        .expect("a version 2 file");
        crate::schema::migrate(&mut conn, &path).expect("migrates");
        crate::apply::register_model(&conn, &descriptor(FieldShape::Array)).expect("registers");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM elements", [], |row| row.get(0))
            .expect("counts");
        assert_eq!(rows, 2, "one row per element");
        let query = Query::all().filter(Filter::data("tags", Op::Contains, "y"));
        let found = crate::search::search(&conn, "post", &query, None).expect("searches");
        assert_eq!(found.len(), 1);
        let sql = crate::search::select(&conn, "post", &query, "resource_id", true, None)
            .expect("writes sql");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.text))
            .expect("prepares")
            .query_map(rusqlite::params_from_iter(sql.params.iter()), |row| {
                row.get::<_, String>(3)
            })
            .expect("explains")
            .collect::<rusqlite::Result<_>>()
            .expect("reads the plan");
        let plan = plan.join("\n");
        assert!(
            plan.contains("elements USING PRIMARY KEY")
                || plan.contains("elements USING COVERING INDEX"),
            "{plan}"
        );
        // Declared a scalar again: the rows go.
        crate::apply::register_model(&conn, &descriptor(FieldShape::Scalar)).expect("registers");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM elements", [], |row| row.get(0))
            .expect("counts");
        assert_eq!(rows, 0);
    }
}
