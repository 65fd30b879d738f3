//! Rows out: the column lists the queries select and their decoding into the core's types.
//!
//! A row that does not decode (a bad hash, a time out of range, an unknown action) is
//! [`Error::Corrupt`], naming the record and the column; PostgreSQL's own failures are
//! [`Error::Store`].

use std::sync::Arc;

use serde_json::Value;
use specstar_core::{
    Action, DataHash, Error, Head, IndexedValues, ResourceId, ResourceMeta, Result, RevisionInfo,
    Timestamp,
};
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

/// The head columns, in the order [`decode_head`] reads them (a macro, for `concat!`).
macro_rules! head_columns {
    () => {
        "h.current_number, h.revision_count, h.schema_version, h.data_hash, h.created_time, \
         h.created_by, h.updated_time, h.updated_by, h.is_deleted, h.indexed_data"
    };
}
pub(crate) use head_columns;

/// How many columns [`head_columns!`] names.
pub(crate) const HEAD_LEN: usize = 10;

/// The revision columns, in the order [`decode_info`] reads them.
macro_rules! revision_columns {
    () => {
        "r.number, r.parent_number, r.schema_version, r.data_hash, r.action, r.deleted, \
         r.created_time, r.created_by, r.sequence"
    };
}
pub(crate) use revision_columns;

/// How many columns [`revision_columns!`] names.
pub(crate) const REVISION_LEN: usize = 9;

/// A number for PostgreSQL's `bigint`.
pub(crate) fn to_sql_int(number: u64) -> Result<i64> {
    i64::try_from(number).map_err(|_| {
        Error::store(format!(
            "number {number} is too large for postgresql (past 2^63 - 1)"
        ))
    })
}

/// Decodes the head columns starting at column `at`.
pub(crate) fn decode_head(id: &ResourceId, row: &Row, at: usize) -> Result<Head> {
    let cols = Columns::new(row, || format!("head of {id}"));
    let current = cols.number(at)?;
    let indexed: Value = cols.get(at + 9)?;
    let Value::Object(indexed_data) = indexed else {
        return Err(cols.corrupt(at + 9, "not a json object"));
    };
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
            // Stored escaped (see `nul`): read back as written.
            indexed_data: indexed_data
                .into_iter()
                .map(|(k, v)| {
                    (
                        crate::nul::unescape_str(&k).into_owned(),
                        crate::nul::unescape_value(v),
                    )
                })
                .collect::<IndexedValues>(),
        },
        data_hash: cols.hash(at + 3)?,
    })
}

/// Decodes the revision columns starting at column `at`.
pub(crate) fn decode_info(id: &ResourceId, row: &Row, at: usize) -> Result<RevisionInfo> {
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

/// Decodes a resource id column.
pub(crate) fn decode_id(row: &Row, at: usize, what: impl Fn() -> String) -> Result<ResourceId> {
    let cols = Columns::new(row, what);
    let id: String = cols.get(at)?;
    ResourceId::parse(&id).map_err(|e| cols.corrupt(at, e))
}

/// The JSON text of each array or object among indexed values, by field: what sorts order
/// such values by (the core sorts them by their serde JSON text, which PostgreSQL's `jsonb`
/// output does not reproduce: it spaces and orders keys differently).
pub(crate) fn indexed_text(indexed: &IndexedValues) -> Value {
    let texts = indexed
        .iter()
        .filter(|(_, value)| value.is_array() || value.is_object())
        .map(|(field, value)| (field.clone(), Value::String(value.to_string())))
        .collect();
    Value::Object(texts)
}

/// Typed access to a row's columns, every failure a [`Error::Corrupt`] naming the record.
pub(crate) struct Columns<'a, F> {
    row: &'a Row,
    what: F,
}

impl<'a, F: Fn() -> String> Columns<'a, F> {
    pub(crate) fn new(row: &'a Row, what: F) -> Self {
        Self { row, what }
    }

    fn corrupt(&self, idx: usize, reason: impl std::fmt::Display) -> Error {
        let column = self.row.columns().get(idx).map_or("?", |c| c.name());
        Error::Corrupt {
            what: (self.what)(),
            reason: format!("column {column}: {reason}"),
        }
    }

    pub(crate) fn get<'r, T: FromSql<'r>>(&'r self, idx: usize) -> Result<T> {
        self.row.try_get(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn text(&self, idx: usize) -> Result<Arc<str>> {
        self.get::<&str>(idx).map(Arc::from)
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
        let text: &str = self.get(idx)?;
        DataHash::parse(text)
            .ok_or_else(|| self.corrupt(idx, format!("{text:?} is not a data hash")))
    }
}
