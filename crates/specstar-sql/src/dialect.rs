//! The dialect: what the shared walks ask of a store's SQL.
//!
//! A store implements [`Dialect`] on its statement writer (the SQL being written and its bound
//! parameters). The walks in [`filter`](crate::filter) and [`select`](crate::select) decide the
//! structure, which is the core's definition of a query and the same in every store; the
//! dialect writes each piece: its boolean literals, one condition, the keys a field sorts by,
//! how a cursor's key compares, how values are bound.

use serde_json::Value;
use specstar_core::{Condition, Cursor, Field, Query, Result, Sort};

/// A store's SQL dialect, implemented by its statement writer.
pub trait Dialect {
    /// The literal that always holds (`1`, `true`).
    const TRUE: &'static str;
    /// The literal that never holds (`0`, `false`).
    const FALSE: &'static str;
    /// The resource id column as the search statement names it, which breaks ties.
    const RESOURCE_ID: &'static str;

    /// The SQL of one condition of a filter.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`](specstar_core::Error::InvalidQuery) for a field the dialect
    /// cannot test (not indexed, not writable into SQL).
    fn condition(&mut self, condition: &Condition) -> Result<String>;

    /// The expressions `field` sorts by, in turn, each in the core's order of its values.
    ///
    /// # Errors
    /// As [`condition`](Self::condition).
    fn sort_keys(&self, field: &Field) -> Result<Vec<String>>;

    /// For one sort and a cursor's key on it: the SQL of "the row comes after the key" in the
    /// sort's direction, and of "the row's value equals the key".
    ///
    /// # Errors
    /// As [`condition`](Self::condition), and
    /// [`Error::InvalidQuery`](specstar_core::Error::InvalidQuery) for a key its field cannot
    /// hold (a malformed cursor).
    fn key_after(&mut self, sort: &Sort, key: &Value) -> Result<(String, String)>;

    /// The SQL of "the row comes after the cursor": by default the keyset expansion
    /// [`select::keyset`](crate::select::keyset); a dialect may add to it (a plain bound that
    /// lets an index be entered at the cursor).
    ///
    /// # Errors
    /// As [`key_after`](Self::key_after), and when the cursor was made for other sorts.
    fn cursor(&mut self, query: &Query, cursor: &Cursor) -> Result<String> {
        crate::select::keyset(self, query, cursor)
    }

    /// Binds a text value; returns its placeholder.
    fn bind_text(&mut self, text: &str) -> String;

    /// Binds an integer (an offset); returns its placeholder.
    fn bind_int(&mut self, number: i64) -> String;

    /// Binds a `LIMIT`, `None` for no limit; returns its placeholder.
    fn bind_limit(&mut self, limit: Option<i64>) -> String;

    /// `NOT coalesce(condition, FALSE)`: the negation under which SQL's unknown (a NULL, from
    /// an absent field) counts as "does not hold" before it is negated, as in the core.
    fn negate(condition: &str) -> String {
        format!("NOT coalesce({condition}, {})", Self::FALSE)
    }
}
