//! The SQL stores' shared, dialect-free building blocks.
//!
//! `specstar-sqlite` and `specstar-postgres` store the same records in the same layout (a
//! `heads` table, a `revisions` table, a `models` table) and translate the same query model.
//! Everything about that which does not depend on the SQL dialect is written here, once, so
//! that a fix lands in both stores at the same time:
//!
//! - [`rows`]: the head and revision columns both layouts select, and their decoding into the
//!   core's types, every bad value an [`Error::Corrupt`](specstar_core::Error::Corrupt)
//!   naming the record and the column;
//! - [`int`]: the conversions between the core's unsigned numbers and SQL's signed 64-bit
//!   integers;
//! - [`dialect`]: the [`Dialect`] a store's statement writer implements: its literals, one
//!   condition, its sort keys and cursor comparisons, its bound parameters;
//! - [`filter`]: the `And`/`Or`/`Not` walk of a filter, as balanced trees;
//! - [`select`]: the tail of a search statement (filter, cursor, order, page) and the keyset
//!   expansion of a cursor;
//! - [`feed`]: the change feed's one statement over revisions and purges, and its rows;
//! - [`model`]: what the stores record of a model (its array fields, its field lists);
//! - [`backfill`]: the paging and progress of recomputing a model's indexed values.
//!
//! The crate has no database driver: it works on the core's types, SQL text and plain values.
//! A store hands it rows through the [`rows::Row`] trait and statements through [`Dialect`],
//! both implemented by the store on its driver's types, so the shared code is monomorphized
//! into each store (no dynamic dispatch, no allocation per row beyond what the records need).

pub mod backfill;
pub mod dialect;
pub mod feed;
pub mod filter;
pub mod int;
pub mod model;
pub mod rows;
pub mod select;

pub use dialect::Dialect;

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use specstar_core::{Condition, Field, Result, Sort};

    use crate::Dialect;

    /// A dialect for the walks' tests: plain names, values as JSON, keys "after" each other.
    #[derive(Default)]
    pub(crate) struct Toy;

    fn name(field: &Field) -> String {
        match field {
            Field::Data(path) => path.clone(),
            Field::Meta(m) => serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }

    impl Dialect for Toy {
        const TRUE: &'static str = "T";
        const FALSE: &'static str = "F";
        const RESOURCE_ID: &'static str = "id";

        fn condition(&mut self, condition: &Condition) -> Result<String> {
            Ok(format!("{} = {}", name(&condition.field), condition.value))
        }

        fn sort_keys(&self, field: &Field) -> Result<Vec<String>> {
            Ok(vec![name(field)])
        }

        fn key_after(&mut self, sort: &Sort, key: &Value) -> Result<(String, String)> {
            let field = name(&sort.field);
            Ok((format!("{field} after {key}"), format!("{field} = {key}")))
        }

        fn bind_text(&mut self, text: &str) -> String {
            format!("'{text}'")
        }

        fn bind_int(&mut self, number: i64) -> String {
            format!(":{number}")
        }

        fn bind_limit(&mut self, limit: Option<i64>) -> String {
            limit.map_or_else(|| "ALL".to_owned(), |l| self.bind_int(l))
        }
    }
}
