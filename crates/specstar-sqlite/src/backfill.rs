//! Filling the indexed values of existing resources when a registration changes a model's
//! indexed fields.
//!
//! Writes store each head's indexed values (`heads.indexed_data` and the slot columns) from
//! the fields the model had when they ran. A field added later would find none of the resources written before it,
//! so registering a changed field list recomputes every head's values from its current
//! revision. It runs in the registration's transaction on the writer thread: writes queued
//! meanwhile wait, then see the new values, and a crash leaves the old ones whole.
//!
//! The element rows of array fields (see [`elements`]) are rebuilt with
//! them, from the registration's shapes.
//!
//! It walks the model's heads in resource-id order, a page at a time, so its memory stays
//! constant however many resources there are, and logs its progress (the paging is
//! [`specstar_sql::backfill`]'s).

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use specstar_core::{Error, ModelDescriptor, Result};
use specstar_sql::backfill::{Backfill, PAGE};

use crate::{elements, slots};

/// Recomputes the indexed values of every resource of `model` from its current revision;
/// returns how many resources it rewrote.
pub(crate) fn reindex(conn: &Connection, model: &ModelDescriptor) -> Result<u64> {
    elements::clear(conn, &model.name)?;
    let arrays = specstar_sql::model::array_paths(model);
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM heads WHERE model = ?1")
        .and_then(|mut stmt| stmt.query_row([&*model.name], |row| row.get(0)))
        .map_err(Error::store)?;
    // Ids are `{model}:…`, so the model's heads are the primary-key range up to `{model};`.
    let start = format!("{}:", model.name);
    let Some(mut backfill) = Backfill::start(model, specstar_sql::int::count(total), start) else {
        return Ok(0);
    };
    let fields = model.indexed_paths();
    let end = format!("{};", model.name);
    let sql = format!(
        "UPDATE heads SET indexed_data = ?2, {} WHERE resource_id = ?1",
        slots::assignments(3)
    );
    loop {
        let page = read_page(conn, backfill.after(), &end)?;
        let Some((last, _, _)) = page.last() else {
            break;
        };
        let mut update = conn.prepare_cached(&sql).map_err(Error::store)?;
        for (id, version, data) in &page {
            let indexed = backfill.values(id, version, data)?;
            let mut params = vec![
                SqlValue::Text(id.clone()),
                SqlValue::Text(
                    serde_json::to_string(&indexed)
                        .expect("a map of json values always serializes"),
                ),
            ];
            params.extend(slots::values(&fields, &indexed));
            update
                .execute(rusqlite::params_from_iter(&params))
                .map_err(Error::store)?;
            elements::insert(conn, &model.name, &arrays, id, &indexed)?;
        }
        backfill.advance(last, page.len());
    }
    Ok(backfill.finish())
}
/// The ids, current schema versions and current data of the next page of heads in
/// `(after, end)`.
fn read_page(conn: &Connection, after: &str, end: &str) -> Result<Vec<(String, String, Vec<u8>)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT h.resource_id, r.schema_version, r.data FROM heads h \
             JOIN revisions r ON r.resource_id = h.resource_id AND r.number = h.current_number \
             WHERE h.resource_id > ?1 AND h.resource_id < ?2 \
             ORDER BY h.resource_id LIMIT ?3",
        )
        .map_err(Error::store)?;
    stmt.query_map((after, end, PAGE as i64), |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })
    .and_then(|rows| rows.collect())
    .map_err(Error::store)
}
