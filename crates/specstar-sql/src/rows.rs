//! Rows out: the head and revision columns both SQL layouts select, and their decoding into
//! the core's types.
//!
//! A store hands a row over as a [`Row`] (typed reads by position on its driver's row); the
//! decoding, the validation of every value and the one error shape live here. A row that does
//! not decode (a bad hash, a time out of range, an unknown action, a revision number below 1)
//! is [`Error::Corrupt`], naming the record and the column.

use std::sync::Arc;

use bytes::Bytes;
use specstar_core::{
    Action, ChainHash, DataHash, Error, Fetched, Head, IndexedValues, PurgeEvent, ResourceId,
    ResourceMeta, Result, RevisionInfo, StoredRevision, Timestamp,
};

/// The head columns, in the order [`decode_head`] reads them (a macro, for `concat!`): the
/// `heads` table aliased `h`.
#[macro_export]
macro_rules! head_columns {
    () => {
        "h.current_number, h.revision_count, h.schema_version, h.data_hash, h.created_time, \
         h.created_by, h.updated_time, h.updated_by, h.is_deleted, h.indexed_data, h.chain_hash"
    };
}

/// How many columns [`head_columns!`] names.
pub const HEAD_LEN: usize = 11;

/// The revision columns, in the order [`decode_info`] reads them: the `revisions` table
/// aliased `r`.
#[macro_export]
macro_rules! revision_columns {
    () => {
        "r.number, r.parent_number, r.schema_version, r.data_hash, r.action, r.deleted, \
         r.created_time, r.created_by, r.sequence, r.chain_hash"
    };
}

/// How many columns [`revision_columns!`] names.
pub const REVISION_LEN: usize = 10;

/// A driver's row, read by column position. Each store implements it on a thin wrapper of its
/// driver's row; the failures are the driver's message, which becomes the reason of an
/// [`Error::Corrupt`] naming the column.
pub trait Row {
    /// The name of column `idx` (for messages; `"?"` when there is none).
    fn name(&self, idx: usize) -> &str;
    /// A 64-bit integer column.
    fn int(&self, idx: usize) -> std::result::Result<i64, String>;
    /// A 64-bit integer column that may be NULL.
    fn opt_int(&self, idx: usize) -> std::result::Result<Option<i64>, String>;
    /// A boolean column (however the dialect stores booleans).
    fn boolean(&self, idx: usize) -> std::result::Result<bool, String>;
    /// A text column, borrowed from the row.
    fn text(&self, idx: usize) -> std::result::Result<&str, String>;
    /// A binary column, borrowed from the row.
    fn bytes(&self, idx: usize) -> std::result::Result<&[u8], String>;
    /// The indexed values column (`heads.indexed_data`), as the dialect stores it.
    fn indexed(&self, idx: usize) -> std::result::Result<IndexedValues, String>;
}

/// Decodes the head columns ([`head_columns!`]) starting at column `at`.
///
/// # Errors
/// [`Error::Corrupt`] for a column that does not decode.
pub fn decode_head<R: Row>(id: &ResourceId, row: &R, at: usize) -> Result<Head> {
    let cols = Columns::new(row, || format!("head of {id}"));
    let current = cols.number(at)?;
    let indexed_data = row.indexed(at + 9).map_err(|e| cols.corrupt(at + 9, e))?;
    Ok(Head {
        meta: ResourceMeta {
            resource_id: id.clone(),
            current_revision_id: id.revision(current),
            total_revision_count: cols.number(at + 1)?,
            schema_version: cols.shared(at + 2)?,
            created_time: cols.time(at + 4)?,
            created_by: cols.shared(at + 5)?,
            updated_time: cols.time(at + 6)?,
            updated_by: cols.shared(at + 7)?,
            is_deleted: cols.boolean(at + 8)?,
            indexed_data,
        },
        data_hash: cols.hash(at + 3)?,
        chain_hash: cols.chain(at + 10)?,
    })
}

/// Decodes the revision columns ([`revision_columns!`]) starting at column `at`.
///
/// # Errors
/// [`Error::Corrupt`] for a column that does not decode.
pub fn decode_info<R: Row>(id: &ResourceId, row: &R, at: usize) -> Result<RevisionInfo> {
    let number = Columns::new(row, || format!("a revision of {id}")).number(at)?;
    let cols = Columns::new(row, || format!("revision {}", id.revision(number)));
    let parent_revision_id = match cols.opt_int(at + 1)? {
        None => None,
        Some(parent) => Some(id.revision(cols.revision_number(at + 1, parent)?)),
    };
    let action = cols.text(at + 4)?;
    let action = Action::parse(action)
        .ok_or_else(|| cols.corrupt(at + 4, format!("{action:?} is not an action")))?;
    let sequence = cols.int(at + 8)?;
    Ok(RevisionInfo {
        revision_id: id.revision(number),
        resource_id: id.clone(),
        parent_revision_id,
        schema_version: cols.shared(at + 2)?,
        data_hash: cols.hash(at + 3)?,
        action,
        deleted: cols.boolean(at + 5)?,
        created_time: cols.time(at + 6)?,
        created_by: cols.shared(at + 7)?,
        sequence: u64::try_from(sequence)
            .map_err(|_| cols.corrupt(at + 8, format!("{sequence} is negative")))?,
        chain_hash: cols.chain(at + 9)?,
    })
}

/// Decodes the revision columns starting at column `at`, followed by its data (`r.data`).
///
/// # Errors
/// [`Error::Corrupt`] for a column that does not decode.
pub fn decode_revision<R: Row>(id: &ResourceId, row: &R, at: usize) -> Result<StoredRevision> {
    let info = decode_info(id, row, at)?;
    let data =
        Columns::new(row, || format!("revision {}", info.revision_id)).bytes(at + REVISION_LEN)?;
    Ok(StoredRevision {
        data: Bytes::copy_from_slice(data),
        info,
    })
}

/// Decodes a purge event of resource `id` from its time, user and sequence columns, starting at
/// column `at`.
///
/// # Errors
/// [`Error::Corrupt`] for a column that does not decode.
pub fn decode_purge<R: Row>(resource_id: ResourceId, row: &R, at: usize) -> Result<PurgeEvent> {
    let cols = Columns::new(row, || format!("the purge of {resource_id}"));
    let sequence = cols.int(at + 2)?;
    Ok(PurgeEvent {
        sequence: u64::try_from(sequence)
            .map_err(|_| cols.corrupt(at + 2, format!("{sequence} is negative")))?,
        created_time: cols.time(at)?,
        created_by: cols.shared(at + 1)?,
        resource_id,
    })
}

/// Decodes a resource id column; `what` names the record for the error.
///
/// # Errors
/// [`Error::Corrupt`] for a column that is not a resource id.
pub fn decode_id<R: Row>(row: &R, at: usize, what: impl Fn() -> String) -> Result<ResourceId> {
    let cols = Columns::new(row, what);
    let id = cols.text(at)?;
    ResourceId::parse(id).map_err(|e| cols.corrupt(at, e))
}

/// A read of a head with one of its revisions, checked: the revision asked for by `number`
/// (the current one for `None`), which the current one must be found.
///
/// # Errors
/// [`Error::Corrupt`] when the current revision was asked for and is missing.
pub fn fetched(
    id: &ResourceId,
    meta: ResourceMeta,
    number: Option<u64>,
    revision: Option<StoredRevision>,
) -> Result<Fetched> {
    if number.is_none() && revision.is_none() {
        return Err(Error::Corrupt {
            what: format!("resource {id}"),
            reason: format!(
                "its current revision {} is missing",
                meta.current_revision_id
            ),
        });
    }
    Ok(Fetched { meta, revision })
}

/// Typed, validated access to a row's columns, every failure a [`Error::Corrupt`] naming the
/// record (`what`, only formatted on failure) and the column.
struct Columns<'a, R, F> {
    row: &'a R,
    what: F,
}

impl<'a, R: Row, F: Fn() -> String> Columns<'a, R, F> {
    fn new(row: &'a R, what: F) -> Self {
        Self { row, what }
    }

    fn corrupt(&self, idx: usize, reason: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            what: (self.what)(),
            reason: format!("column {}: {reason}", self.row.name(idx)),
        }
    }

    fn int(&self, idx: usize) -> Result<i64> {
        self.row.int(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn opt_int(&self, idx: usize) -> Result<Option<i64>> {
        self.row.opt_int(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn boolean(&self, idx: usize) -> Result<bool> {
        self.row.boolean(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn text(&self, idx: usize) -> Result<&'a str> {
        self.row.text(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn bytes(&self, idx: usize) -> Result<&'a [u8]> {
        self.row.bytes(idx).map_err(|e| self.corrupt(idx, e))
    }

    fn shared(&self, idx: usize) -> Result<Arc<str>> {
        self.text(idx).map(Arc::from)
    }

    /// A revision number or count: at least 1.
    fn number(&self, idx: usize) -> Result<u64> {
        let n = self.int(idx)?;
        self.revision_number(idx, n)
    }

    fn revision_number(&self, idx: usize, n: i64) -> Result<u64> {
        u64::try_from(n)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| self.corrupt(idx, format!("{n} is not a revision number")))
    }

    fn time(&self, idx: usize) -> Result<Timestamp> {
        let micros = self.int(idx)?;
        Timestamp::from_micros(micros).map_err(|e| self.corrupt(idx, e))
    }

    fn hash(&self, idx: usize) -> Result<DataHash> {
        let text = self.text(idx)?;
        DataHash::parse(text)
            .ok_or_else(|| self.corrupt(idx, format!("{text:?} is not a data hash")))
    }

    fn chain(&self, idx: usize) -> Result<ChainHash> {
        let text = self.text(idx)?;
        ChainHash::parse(text)
            .ok_or_else(|| self.corrupt(idx, format!("{text:?} is not a chain hash")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A row of plain values, as a driver would hand them over.
    struct Plain(Vec<Value>);

    impl Row for Plain {
        fn name(&self, idx: usize) -> &str {
            [
                "n", "parent", "sv", "hash", "action", "deleted", "time", "by", "seq", "chain",
                "data",
            ]
            .get(idx)
            .copied()
            .unwrap_or("?")
        }
        fn int(&self, idx: usize) -> std::result::Result<i64, String> {
            self.0[idx].as_i64().ok_or_else(|| "not an integer".into())
        }
        fn opt_int(&self, idx: usize) -> std::result::Result<Option<i64>, String> {
            match &self.0[idx] {
                Value::Null => Ok(None),
                _ => self.int(idx).map(Some),
            }
        }
        fn boolean(&self, idx: usize) -> std::result::Result<bool, String> {
            self.0[idx].as_bool().ok_or_else(|| "not a boolean".into())
        }
        fn text(&self, idx: usize) -> std::result::Result<&str, String> {
            self.0[idx].as_str().ok_or_else(|| "not text".into())
        }
        fn bytes(&self, idx: usize) -> std::result::Result<&[u8], String> {
            self.text(idx).map(str::as_bytes)
        }
        fn indexed(&self, idx: usize) -> std::result::Result<IndexedValues, String> {
            match &self.0[idx] {
                Value::Object(map) => Ok(map.clone()),
                _ => Err("not a json object".into()),
            }
        }
    }

    const HASH: &str = "xxh3_128:000102030405060708090a0b0c0d0e0f";
    const CHAIN: &str = "sha256:000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f";

    fn revision(parent: Value, action: &str, sequence: i64) -> Plain {
        Plain(vec![
            json!(2),
            parent,
            json!("v1"),
            json!(HASH),
            json!(action),
            json!(false),
            json!(1_700_000_000_000_000_i64),
            json!("alice"),
            json!(sequence),
            json!(CHAIN),
            json!("{\"a\":1}"),
        ])
    }

    fn id() -> ResourceId {
        ResourceId::parse("issue:a").expect("an id")
    }

    #[test]
    fn a_revision_decodes_with_its_parent_and_data() {
        let stored = decode_revision(&id(), &revision(json!(1), "update", 7), 0).expect("decodes");
        assert_eq!(stored.info.revision_id.to_string(), "issue:a:2");
        assert_eq!(
            stored.info.parent_revision_id.map(|p| p.to_string()),
            Some("issue:a:1".to_owned())
        );
        assert_eq!(stored.info.action, Action::Update);
        assert_eq!(stored.info.sequence, 7);
        assert_eq!(&stored.data[..], b"{\"a\":1}");
    }

    #[test]
    fn bad_values_are_corrupt_naming_the_revision_and_column() {
        for (row, column, reason) in [
            (
                revision(json!(0), "update", 7),
                "parent",
                "0 is not a revision number",
            ),
            (
                revision(json!(1), "rename", 7),
                "action",
                "\"rename\" is not an action",
            ),
            (revision(json!(1), "update", -1), "seq", "-1 is negative"),
        ] {
            let error = decode_info(&id(), &row, 0).expect_err("corrupt");
            let Error::Corrupt { what, reason: why } = error else {
                panic!("not corrupt: {error}");
            };
            assert_eq!(what, "revision issue:a:2");
            assert_eq!(why, format!("column {column}: {reason}"));
        }
    }

    #[test]
    fn a_missing_current_revision_is_corrupt_and_a_missing_old_one_is_not() {
        let head = Plain(vec![
            json!(3),
            json!(3),
            json!("v1"),
            json!(HASH),
            json!(0),
            json!("a"),
            json!(0),
            json!("a"),
            json!(false),
            json!({"status": "open"}),
            json!(CHAIN),
        ]);
        let meta = decode_head(&id(), &head, 0).expect("decodes").meta;
        assert_eq!(meta.indexed_data.get("status"), Some(&json!("open")));
        assert!(fetched(&id(), meta.clone(), Some(9), None).is_ok());
        let error = fetched(&id(), meta, None, None).expect_err("corrupt");
        assert!(
            error.to_string().contains("issue:a:3 is missing"),
            "{error}"
        );
    }
}
