//! The change feed's statement and rows, shared by both SQL stores.
//!
//! The feed is two tables read together: `revisions` (every live revision) and `purges` (one
//! row per permanent delete), both numbered from the one store-wide sequence. One statement
//! reads both, `UNION ALL`, so that a page comes from one snapshot: read as two statements, a
//! purge committed between them could end a page past a revision the first read missed.
//!
//! A purge row fills the revision columns it lacks with `NULL` (cast to the columns' types, as
//! PostgreSQL's `UNION` needs) and its action column with `purge`, which tells the two apart when decoding (see [`decode_event`]).

use specstar_core::{FeedEvent, ModelFilter, Result};

use crate::rows::{Row, decode_id, decode_info};

/// The action column's value on a purge row.
const PURGE: &str = "purge";

/// The feed statement. `placeholder(i)` writes the `i`-th parameter (from 1): `since` is 1, the
/// limit 2, then each model of the filter binds the bounds [`model_bounds`] gives, in order.
pub fn changes_sql(placeholder: impl Fn(usize) -> String, filter: &ModelFilter) -> String {
    let since = placeholder(1);
    let limit = placeholder(2);
    let scope = |column: &str| {
        if filter.is_all() {
            return String::new();
        }
        let ranges: Vec<String> = (0..filter.models().len())
            .map(|i| {
                let (low, high) = (placeholder(3 + 2 * i), placeholder(4 + 2 * i));
                format!("({column} >= {low} AND {column} < {high})")
            })
            .collect();
        format!(" AND ({})", ranges.join(" OR "))
    };
    format!(
        "SELECT * FROM (SELECT r.resource_id, {revision} FROM revisions r \
         WHERE r.sequence > {since}{revisions} ORDER BY r.sequence LIMIT {limit}) AS rv \
         UNION ALL \
         SELECT * FROM (SELECT p.resource_id, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
         CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST('{PURGE}' AS TEXT), CAST(NULL AS BOOLEAN), \
         p.created_time, p.created_by, p.sequence, CAST(NULL AS TEXT) FROM purges p \
         WHERE p.sequence > {since}{purges} ORDER BY p.sequence LIMIT {limit}) AS pu \
         ORDER BY 10 LIMIT {limit}",
        revision = crate::revision_columns!(),
        revisions = scope("r.resource_id"),
        purges = scope("p.resource_id"),
    )
}

/// The newest sequence number of the feed, revisions and purges (0 when there is none): one
/// statement both SQL dialects read.
pub const LAST_SEQUENCE_SQL: &str = "SELECT COALESCE(MAX(sequence), 0) FROM \
     (SELECT MAX(sequence) AS sequence FROM revisions UNION ALL \
      SELECT MAX(sequence) AS sequence FROM purges) AS newest";

/// The bounds of each model's resource ids, for the filter's parameters: `model:` to
/// `model;` (`;` follows `:`), which every id `model:<key>` sorts between, and no other
/// model's.
pub fn model_bounds(filter: &ModelFilter) -> Vec<String> {
    filter
        .models()
        .iter()
        .flat_map(|model| [format!("{model}:"), format!("{model};")])
        .collect()
}

/// Decodes a row of [`changes_sql`].
///
/// # Errors
/// [`Error::Corrupt`](specstar_core::Error::Corrupt) for a column that does not decode.
pub fn decode_event<R: Row>(row: &R) -> Result<FeedEvent> {
    let id = decode_id(row, 0, || "an event of the change feed".to_owned())?;
    if row.text(5).ok() != Some(PURGE) {
        return decode_info(&id, row, 1).map(FeedEvent::Revision);
    }
    crate::rows::decode_purge(id, row, 7).map(FeedEvent::Purge)
}
