//! Rows out: PostgreSQL's rows as the shared decoding ([`specstar_sql::rows`]) reads them.
//!
//! A row that does not decode (a bad hash, a time out of range, an unknown action) is
//! [`Error::Corrupt`](specstar_core::Error::Corrupt), naming the record and the column;
//! PostgreSQL's own failures are [`Error::Store`](specstar_core::Error::Store).

use serde_json::Value;
use specstar_core::{IndexedValues, Result};
use specstar_sql::rows::Row as SqlRow;
use tokio_postgres::Row;

/// A number for PostgreSQL's `bigint`.
pub(crate) fn to_sql_int(number: u64) -> Result<i64> {
    specstar_sql::int::to_sql_int(number, "postgresql")
}

/// A store-wide sequence number from a `bigint` column.
pub(crate) fn sequence(row: &PgRow<'_>, idx: usize) -> Result<u64> {
    let value = row
        .int(idx)
        .map_err(|reason| specstar_core::Error::Corrupt {
            what: "a sequence number".into(),
            reason,
        })?;
    u64::try_from(value).map_err(|_| specstar_core::Error::Corrupt {
        what: "a sequence number".into(),
        reason: format!("{value} is negative"),
    })
}

/// A row of `tokio_postgres`'s as the shared decoding reads it.
pub(crate) struct PgRow<'a>(pub &'a Row);

impl SqlRow for PgRow<'_> {
    fn name(&self, idx: usize) -> &str {
        self.0.columns().get(idx).map_or("?", |c| c.name())
    }

    fn int(&self, idx: usize) -> std::result::Result<i64, String> {
        self.0.try_get(idx).map_err(|e| e.to_string())
    }

    fn opt_int(&self, idx: usize) -> std::result::Result<Option<i64>, String> {
        self.0.try_get(idx).map_err(|e| e.to_string())
    }

    fn boolean(&self, idx: usize) -> std::result::Result<bool, String> {
        self.0.try_get(idx).map_err(|e| e.to_string())
    }

    fn text(&self, idx: usize) -> std::result::Result<&str, String> {
        self.0.try_get(idx).map_err(|e| e.to_string())
    }

    fn bytes(&self, idx: usize) -> std::result::Result<&[u8], String> {
        self.0.try_get(idx).map_err(|e| e.to_string())
    }

    /// `heads.indexed_data` is a `jsonb` object, its strings stored escaped (see `nul`): read
    /// back as written.
    fn indexed(&self, idx: usize) -> std::result::Result<IndexedValues, String> {
        let value: Value = self.0.try_get(idx).map_err(|e| e.to_string())?;
        let Value::Object(indexed) = value else {
            return Err("not a json object".into());
        };
        Ok(indexed
            .into_iter()
            .map(|(k, v)| {
                (
                    crate::nul::unescape_str(&k).into_owned(),
                    crate::nul::unescape_value(v),
                )
            })
            .collect())
    }
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
