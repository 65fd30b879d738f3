//! Rows in and out: the queries that read heads and revisions, and their decoding into the
//! core's types. Shared by the read pool and the writer (which reads the head it plans from).
//!
//! A row that does not decode (a bad hash, a time out of range, an unknown action) is
//! [`Error::Corrupt`], naming the record and the column; SQLite's own failures are
//! [`Error::Store`].

use std::sync::Arc;

use bytes::Bytes;
use rusqlite::types::FromSql;
use rusqlite::{Connection, OptionalExtension, Row};
use specstar_core::{
    Action, DataHash, Error, Fetched, Head, IndexedValues, ResourceId, ResourceMeta, Result,
    RevisionInfo, RevisionPage, StoredRevision, Timestamp,
};

/// The head columns, in the order [`decode_head`] reads them (a macro, for `concat!`).
macro_rules! head_columns {
    () => {
        "h.current_number, h.revision_count, h.schema_version, h.data_hash, h.created_time, \
         h.created_by, h.updated_time, h.updated_by, h.is_deleted, h.indexed_data"
    };
}

pub(crate) use head_columns;

/// The revision columns, in the order [`decode_info`] reads them.
macro_rules! revision_columns {
    () => {
        "r.number, r.parent_number, r.schema_version, r.data_hash, r.action, r.deleted, \
         r.created_time, r.created_by, r.sequence"
    };
}
/// How many columns [`revision_columns!`] names.
const REVISION_LEN: usize = 9;

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
        Some(row) => decode_head(id, row, 0).map(Some),
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
        Some(row) => decode_info(id, row, 0).map(Some),
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
        Some(row) => {
            let info = decode_info(id, row, 0)?;
            let data: Vec<u8> =
                Columns::new(row, || format!("revision {}", info.revision_id)).get(REVISION_LEN)?;
            Some(StoredRevision {
                info,
                data: Bytes::from(data),
            })
        }
    };
    if number.is_none() && revision.is_none() {
        return Err(Error::Corrupt {
            what: format!("resource {id}"),
            reason: format!(
                "its current revision {} is missing",
                head.meta.current_revision_id
            ),
        });
    }
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
        infos.push(decode_info(id, row, 0)?);
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
    Ok(count.and_then(|c| u64::try_from(c).ok()).unwrap_or(0))
}

/// A number for SQLite, which keeps signed 64-bit integers.
pub(crate) fn to_sql_int(number: u64) -> Result<i64> {
    i64::try_from(number).map_err(|_| {
        Error::store(format!(
            "number {number} is too large for sqlite (past 2^63 - 1)"
        ))
    })
}

pub(crate) fn decode_head(id: &ResourceId, row: &Row<'_>, at: usize) -> Result<Head> {
    let cols = Columns::new(row, || format!("head of {id}"));
    let current = cols.number(at)?;
    let indexed_data: IndexedValues = serde_json::from_str(cols.str(at + 9)?)
        .map_err(|e| cols.corrupt(at + 9, format!("not a json object: {e}")))?;
    Ok(Head {
        meta: ResourceMeta {
            resource_id: id.clone(),
            current_revision_id: id.revision(current),
            total_revision_count: cols.number(at + 1)?,
            schema_version: cols.text(at + 2)?,
            created_time: cols.time(at + 4)?,
            created_by: cols.text(at + 5)?,
            updated_time: cols.time(at + 6)?,
            updated_by: cols.text(at + 7)?,
            is_deleted: cols.get(at + 8)?,
            indexed_data,
        },
        data_hash: cols.hash(at + 3)?,
    })
}

fn decode_info(id: &ResourceId, row: &Row<'_>, at: usize) -> Result<RevisionInfo> {
    let cols = Columns::new(row, || format!("a revision of {id}"));
    let number = cols.number(at)?;
    let cols = Columns::new(row, || format!("revision {}", id.revision(number)));
    let parent: Option<i64> = cols.get(at + 1)?;
    let parent_revision_id = match parent {
        None => None,
        Some(_) => Some(id.revision(cols.number(at + 1)?)),
    };
    let action: String = cols.get(at + 4)?;
    let action = Action::parse(&action)
        .ok_or_else(|| cols.corrupt(at + 4, format!("{action:?} is not an action")))?;
    let sequence: i64 = cols.get(at + 8)?;
    Ok(RevisionInfo {
        revision_id: id.revision(number),
        resource_id: id.clone(),
        parent_revision_id,
        schema_version: cols.text(at + 2)?,
        data_hash: cols.hash(at + 3)?,
        action,
        deleted: cols.get(at + 5)?,
        created_time: cols.time(at + 6)?,
        created_by: cols.text(at + 7)?,
        sequence: u64::try_from(sequence)
            .map_err(|_| cols.corrupt(at + 8, format!("{sequence} is negative")))?,
    })
}

/// Typed access to a row's columns, every failure a [`Error::Corrupt`] naming the record.
struct Columns<'a, 'r, F> {
    row: &'a Row<'r>,
    what: F,
}

impl<'a, 'r, F: Fn() -> String> Columns<'a, 'r, F> {
    fn new(row: &'a Row<'r>, what: F) -> Self {
        Self { row, what }
    }

    fn corrupt(&self, idx: usize, reason: impl std::fmt::Display) -> Error {
        let column = self.row.as_ref().column_name(idx).unwrap_or("?");
        Error::Corrupt {
            what: (self.what)(),
            reason: format!("column {column}: {reason}"),
        }
    }

    fn get<T: FromSql>(&self, idx: usize) -> Result<T> {
        self.row.get(idx).map_err(|e| self.corrupt(idx, e))
    }

    /// A text column, borrowed from the row (no copy until the caller makes one).
    fn str(&self, idx: usize) -> Result<&'a str> {
        self.row
            .get_ref(idx)
            .map_err(|e| self.corrupt(idx, e))?
            .as_str()
            .map_err(|e| self.corrupt(idx, e))
    }

    fn text(&self, idx: usize) -> Result<Arc<str>> {
        self.str(idx).map(Arc::from)
    }

    /// A revision number or count: at least 1.
    fn number(&self, idx: usize) -> Result<u64> {
        let n: i64 = self.get(idx)?;
        u64::try_from(n)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| self.corrupt(idx, format!("{n} is not a revision number")))
    }

    fn time(&self, idx: usize) -> Result<Timestamp> {
        let micros: i64 = self.get(idx)?;
        Timestamp::from_micros(micros).map_err(|e| self.corrupt(idx, e))
    }

    fn hash(&self, idx: usize) -> Result<DataHash> {
        let text = self.str(idx)?;
        DataHash::parse(text)
            .ok_or_else(|| self.corrupt(idx, format!("{text:?} is not a data hash")))
    }
}
