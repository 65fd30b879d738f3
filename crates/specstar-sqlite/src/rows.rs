//! Rows in and out: the queries that read heads and revisions, decoded into the core's types
//! by [`specstar_sql::rows`]. Shared by the read pool and the writer (which reads the head it
//! plans from).
//!
//! A row that does not decode (a bad hash, a time out of range, an unknown action) is
//! [`Error::Corrupt`], naming the record and the column; SQLite's own failures are
//! [`Error::Store`].

use rusqlite::types::{FromSqlResult, Type, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row};
use specstar_core::{
    Error, FeedEvent, Fetched, Head, IndexedValues, ModelFilter, ModelStats, RegisteredModel,
    ResourceId, Result, RevisionInfo, RevisionPage, StoredRevision, Timestamp,
};
use specstar_sql::rows::{Row as SqlRow, decode_head, decode_info, decode_revision, fetched};
use specstar_sql::{head_columns, revision_columns};

/// Reads a resource's head.
pub(crate) fn head(conn: &Connection, id: &ResourceId) -> Result<Option<Head>> {
    let sql = concat!(
        "SELECT ",
        head_columns!(),
        " FROM heads h WHERE h.resource_id = ?1"
    );
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let mut rows = stmt.query([id.as_str()]).map_err(Error::store)?;
    match rows.next().map_err(Error::store)? {
        Some(row) => decode_head(id, &SqliteRow(row), 0).map(Some),
        None => Ok(None),
    }
}

/// Reads the info of revision `number` of a resource.
pub(crate) fn info(
    conn: &Connection,
    id: &ResourceId,
    number: u64,
) -> Result<Option<RevisionInfo>> {
    let Ok(number) = i64::try_from(number) else {
        return Ok(None);
    };
    let sql = concat!(
        "SELECT ",
        revision_columns!(),
        " FROM revisions r WHERE r.resource_id = ?1 AND r.number = ?2"
    );
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let mut rows = stmt.query((id.as_str(), number)).map_err(Error::store)?;
    match rows.next().map_err(Error::store)? {
        Some(row) => decode_info(id, &SqliteRow(row), 0).map(Some),
        None => Ok(None),
    }
}

/// Reads a resource's head and one revision with its data (the current one for `None`). Run it
/// inside a transaction: it reads the head and then the revision, which must come from one
/// snapshot.
///
/// Two keyed lookups rather than one join: SQLite (built with STAT4, as the bundled one is)
/// re-prepares a join whose bound parameter meets an index on every new binding, which made a
/// read several times slower than the two lookups together.
pub(crate) fn fetch(
    conn: &Connection,
    id: &ResourceId,
    number: Option<u64>,
) -> Result<Option<Fetched>> {
    let Some(head) = head(conn, id)? else {
        return Ok(None);
    };
    let current = head.meta.current_revision_id.number();
    // A number no revision can have (past i64) finds nothing.
    let Ok(wanted) = i64::try_from(number.unwrap_or(current)) else {
        return Ok(Some(Fetched {
            meta: head.meta,
            revision: None,
        }));
    };
    let sql = concat!(
        "SELECT ",
        revision_columns!(),
        ", r.data FROM revisions r WHERE r.resource_id = ?1 AND r.number = ?2"
    );
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let mut rows = stmt.query((id.as_str(), wanted)).map_err(Error::store)?;
    let revision = match rows.next().map_err(Error::store)? {
        None => None,
        Some(row) => Some(decode_revision(id, &SqliteRow(row), 0)?),
    };
    fetched(id, head.meta, number, revision).map(Some)
}

/// The statement of an as-of read: the latest `(created_time, number)` at or before a time,
/// one probe of `revisions_by_time`.
pub(crate) const AS_OF_SQL: &str = concat!(
    "SELECT ",
    revision_columns!(),
    ", r.data FROM revisions r WHERE r.resource_id = ?1 AND r.created_time <= ?2 \
     ORDER BY r.created_time DESC, r.number DESC LIMIT 1"
);

/// Reads a resource's head and the revision current at `time` (see
/// [`Store::read_as_of`](specstar_core::Store::read_as_of)). Run it inside a transaction: it
/// reads the head and then the revision.
pub(crate) fn fetch_as_of(
    conn: &Connection,
    id: &ResourceId,
    time: Timestamp,
) -> Result<Option<Fetched>> {
    let Some(head) = head(conn, id)? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(AS_OF_SQL).map_err(Error::store)?;
    let mut rows = stmt
        .query((id.as_str(), time.as_micros()))
        .map_err(Error::store)?;
    let revision = match rows.next().map_err(Error::store)? {
        None => None,
        Some(row) => Some(decode_revision(id, &SqliteRow(row), 0)?),
    };
    Ok(Some(Fetched {
        meta: head.meta,
        revision,
    }))
}

/// Reads a page of a resource's history. Run it inside a transaction: it reads the head and
/// then the revisions.
pub(crate) fn page(
    conn: &Connection,
    id: &ResourceId,
    page: RevisionPage,
) -> Result<Option<Vec<RevisionInfo>>> {
    let Some(head) = head(conn, id)? else {
        return Ok(None);
    };
    let count = head.meta.total_revision_count;
    let mut numbers = page.numbers(count);
    let Some(first) = numbers.next() else {
        return Ok(Some(Vec::new()));
    };
    let last = numbers.last().unwrap_or(first);
    let (low, high) = (first.min(last), first.max(last));
    let sql = if page.newest_first {
        concat!(
            "SELECT ",
            revision_columns!(),
            " FROM revisions r WHERE r.resource_id = ?1 AND r.number BETWEEN ?2 AND ?3 \
             ORDER BY r.number DESC"
        )
    } else {
        concat!(
            "SELECT ",
            revision_columns!(),
            " FROM revisions r WHERE r.resource_id = ?1 AND r.number BETWEEN ?2 AND ?3 \
             ORDER BY r.number ASC"
        )
    };
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let (low_sql, high_sql) = (to_sql_int(low)?, to_sql_int(high)?);
    let mut rows = stmt
        .query((id.as_str(), low_sql, high_sql))
        .map_err(Error::store)?;
    let mut infos = Vec::with_capacity(usize::try_from(high - low + 1).unwrap_or(0));
    while let Some(row) = rows.next().map_err(Error::store)? {
        infos.push(decode_info(id, &SqliteRow(row), 0)?);
    }
    if infos.len() as u64 != high - low + 1 {
        return Err(Error::Corrupt {
            what: format!("resource {id}"),
            reason: format!(
                "it has {count} revisions but only {} of numbers {low} to {high} were found",
                infos.len()
            ),
        });
    }
    Ok(Some(infos))
}

/// Reads a page of a resource's revisions with their data, oldest first: those numbered above
/// `after`, at most `limit`. Run it inside a transaction: it reads the head and then the
/// revisions.
pub(crate) fn with_data(
    conn: &Connection,
    id: &ResourceId,
    after: u64,
    limit: u64,
) -> Result<Option<Vec<StoredRevision>>> {
    if head(conn, id)?.is_none() {
        return Ok(None);
    }
    let sql = concat!(
        "SELECT ",
        revision_columns!(),
        ", r.data FROM revisions r WHERE r.resource_id = ?1 AND r.number > ?2 \
         ORDER BY r.number LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let after = specstar_sql::int::saturating(after);
    let limit = specstar_sql::int::saturating(limit);
    let mut rows = stmt
        .query((id.as_str(), after, limit))
        .map_err(Error::store)?;
    let mut revisions = Vec::new();
    while let Some(row) = rows.next().map_err(Error::store)? {
        revisions.push(decode_revision(id, &SqliteRow(row), 0)?);
    }
    Ok(Some(revisions))
}

/// Reads a page of the change feed: the revisions and purges numbered after `since`, in
/// sequence order, of the models `filter` admits. A range of each table's integer key (the
/// statement is shared with PostgreSQL: see `specstar_sql::feed`).
pub(crate) fn changes(
    conn: &Connection,
    since: u64,
    limit: usize,
    filter: &ModelFilter,
) -> Result<Vec<FeedEvent>> {
    let sql = specstar_sql::feed::changes_sql(|i| format!("?{i}"), filter);
    let mut stmt = conn.prepare_cached(&sql).map_err(Error::store)?;
    let mut params: Vec<SqlValue> = vec![
        SqlValue::Integer(specstar_sql::int::saturating(since)),
        SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
    ];
    params.extend(
        specstar_sql::feed::model_bounds(filter)
            .into_iter()
            .map(SqlValue::Text),
    );
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(Error::store)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(Error::store)? {
        events.push(specstar_sql::feed::decode_event(&SqliteRow(row))?);
    }
    Ok(events)
}

/// The models the file holds, by name, as last registered.
pub(crate) fn registered_models(conn: &Connection) -> Result<Vec<RegisteredModel>> {
    let mut stmt = conn
        .prepare_cached("SELECT name, schema_version, indexed_fields FROM models ORDER BY name")
        .map_err(Error::store)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(Error::store)?;
    let mut models = Vec::new();
    for row in rows {
        let (name, schema_version, fields) = row.map_err(Error::store)?;
        let indexed_paths = specstar_sql::model::field_list(
            &name,
            "indexed_fields",
            serde_json::from_str(&fields),
        )?;
        models.push(RegisteredModel {
            name,
            schema_version,
            indexed_paths,
        });
    }
    Ok(models)
}

/// Counts the resources of a model.
pub(crate) fn count(conn: &Connection, model: &str, include_deleted: bool) -> Result<u64> {
    let sql = if include_deleted {
        "SELECT count(*) FROM heads WHERE model = ?1"
    } else {
        "SELECT count(*) FROM heads WHERE model = ?1 AND is_deleted = 0"
    };
    let mut stmt = conn.prepare_cached(sql).map_err(Error::store)?;
    let count: Option<i64> = stmt
        .query_row([model], |row| row.get(0))
        .optional()
        .map_err(Error::store)?;
    Ok(count.map_or(0, specstar_sql::int::count))
}

/// A number for SQLite, which keeps signed 64-bit integers.
pub(crate) fn to_sql_int(number: u64) -> Result<i64> {
    specstar_sql::int::to_sql_int(number, "sqlite")
}

/// A row of rusqlite's as the shared decoding ([`specstar_sql::rows`]) reads it: each column
/// read as the value SQLite holds, borrowed (no conversion but the one asked for).
pub(crate) struct SqliteRow<'a, 'r>(pub &'a Row<'r>);

impl<'a> SqliteRow<'a, '_> {
    /// Column `idx` through `read`, which fails for another type than `expected`.
    fn read<T>(
        &self,
        idx: usize,
        expected: &str,
        read: impl FnOnce(&ValueRef<'a>) -> FromSqlResult<T>,
    ) -> std::result::Result<T, String> {
        let value = self.0.get_ref(idx).map_err(|e| e.to_string())?;
        read(&value).map_err(|_| format!("expected {expected}, found {}", kind(value.data_type())))
    }
}

/// A SQLite type, as a message names it.
fn kind(ty: Type) -> &'static str {
    match ty {
        Type::Null => "null",
        Type::Integer => "an integer",
        Type::Real => "a real",
        Type::Text => "text",
        Type::Blob => "a blob",
    }
}

impl SqlRow for SqliteRow<'_, '_> {
    fn name(&self, idx: usize) -> &str {
        self.0.as_ref().column_name(idx).unwrap_or("?")
    }

    fn int(&self, idx: usize) -> std::result::Result<i64, String> {
        self.read(idx, "an integer", ValueRef::as_i64)
    }

    fn opt_int(&self, idx: usize) -> std::result::Result<Option<i64>, String> {
        self.read(idx, "an integer or null", ValueRef::as_i64_or_null)
    }

    /// A boolean is an integer, 0 for false.
    fn boolean(&self, idx: usize) -> std::result::Result<bool, String> {
        self.read(idx, "an integer", |v| v.as_i64().map(|n| n != 0))
    }

    fn text(&self, idx: usize) -> std::result::Result<&str, String> {
        self.read(idx, "text", ValueRef::as_str)
    }

    fn bytes(&self, idx: usize) -> std::result::Result<&[u8], String> {
        self.read(idx, "a blob", ValueRef::as_blob)
    }

    /// `heads.indexed_data` is JSON text.
    fn indexed(&self, idx: usize) -> std::result::Result<IndexedValues, String> {
        serde_json::from_str(self.text(idx)?).map_err(|e| format!("not a json object: {e}"))
    }
}

/// What the file holds per registered model (see [`Store::stats`](specstar_core::Store::stats)).
pub(crate) fn stats(conn: &Connection) -> Result<Vec<ModelStats>> {
    const SQL: &str = "SELECT m.name, \
         (SELECT count(*) FROM heads h WHERE h.model = m.name), \
         (SELECT count(*) FROM heads h WHERE h.model = m.name AND h.is_deleted), \
         (SELECT count(*) FROM revisions r WHERE r.resource_id > m.name || ':' \
            AND r.resource_id < m.name || ';'), \
         (SELECT coalesce(sum(length(r.data)), 0) FROM revisions r \
            WHERE r.resource_id > m.name || ':' AND r.resource_id < m.name || ';') \
         FROM models m ORDER BY m.name";
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    let mut stmt = conn.prepare_cached(SQL).map_err(Error::store)?;
    stmt.query_map([], |row| {
        Ok(ModelStats {
            model: row.get(0)?,
            resources: count(row.get(1)?),
            deleted: count(row.get(2)?),
            revisions: count(row.get(3)?),
            history_bytes: count(row.get(4)?),
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(Error::store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_of_another_type_says_what_was_expected_and_found() {
        let conn = Connection::open_in_memory().expect("an in-memory database");
        let id = ResourceId::parse("issue:a").expect("an id");
        let decoded = conn
            .query_row("SELECT 'three' AS current_number", [], |row| {
                Ok(decode_head(&id, &SqliteRow(row), 0))
            })
            .expect("a row");
        let Err(Error::Corrupt { what, reason }) = decoded else {
            panic!("text decodes as a revision number");
        };
        assert_eq!(what, "head of issue:a");
        assert_eq!(
            reason,
            "column current_number: expected an integer, found text"
        );
    }
}
