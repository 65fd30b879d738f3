//! The migration to layout version 6: the chain hashes of the revisions written before the
//! chain, computed in revision order by the core's rule ([`specstar_core::chain`]), and each
//! head's set to its current revision's.
//!
//! It runs inside the migration's transaction (under its advisory lock), a page of resources
//! at a time: one statement reads the page's revisions, one writes their chain hashes, one
//! the heads'. It logs its progress every [`PROGRESS_EVERY`] resources.

use deadpool_postgres::Transaction;
use specstar_core::chain::link_history;
use specstar_core::{Error, ResourceId, Result, StoredRevision};
use specstar_sql::rows::{decode_id, decode_revision};

use crate::rows::{PgRow, to_sql_int};

/// How many resources are relinked per page.
const PAGE: i64 = 1_000;

/// How often (in resources) the migration logs its progress.
const PROGRESS_EVERY: u64 = 10_000;

/// Computes and stores the chain hash of every revision and head of `schema`.
///
/// # Errors
/// [`Error::Corrupt`] for a revision that does not decode; PostgreSQL's errors.
pub(crate) async fn fill(tx: &Transaction<'_>, schema: &str) -> Result<()> {
    // The schema was checked to be a plain identifier (options::check_schema_name).
    let ids_sql = format!(
        "SELECT resource_id FROM {schema}.heads WHERE resource_id > $1 \
         ORDER BY resource_id LIMIT $2"
    );
    // The revision columns of `revision_columns!` with a stand-in for the (still empty) chain
    // hash, after the resource id, then the data.
    let revisions_sql = format!(
        "SELECT r.resource_id, r.number, r.parent_number, r.schema_version, r.data_hash, \
         r.action, r.deleted, r.created_time, r.created_by, r.sequence, \
         'sha256:' || repeat('0', 64), r.data FROM {schema}.revisions r \
         WHERE r.resource_id = ANY($1) ORDER BY r.resource_id, r.number"
    );
    let update_sql = format!(
        "UPDATE {schema}.revisions r SET chain_hash = u.chain \
         FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(id, number, chain) \
         WHERE r.resource_id = u.id AND r.number = u.number"
    );
    let heads_sql = format!(
        "UPDATE {schema}.heads h SET chain_hash = r.chain_hash FROM {schema}.revisions r \
         WHERE h.resource_id = ANY($1) AND r.resource_id = h.resource_id \
         AND r.number = h.current_number"
    );
    let total: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {schema}.heads"), &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    if total == 0 {
        return Ok(());
    }
    tracing::info!(
        schema,
        resources = total,
        "computing the chain hashes of existing revisions"
    );
    let mut done: u64 = 0;
    let mut after = String::new();
    loop {
        let ids: Vec<String> = tx
            .query(&ids_sql, &[&after, &PAGE])
            .await
            .map_err(Error::store)?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<std::result::Result<_, _>>()
            .map_err(Error::store)?;
        let Some(last) = ids.last() else {
            break;
        };
        after.clone_from(last);
        let rows = tx
            .query(&revisions_sql, &[&ids])
            .await
            .map_err(Error::store)?;
        let (mut keys, mut numbers, mut chains) = (Vec::new(), Vec::new(), Vec::new());
        for history in histories(&rows)? {
            for revision in history {
                keys.push(revision.info.resource_id.as_str().to_owned());
                numbers.push(to_sql_int(revision.info.number())?);
                chains.push(revision.info.chain_hash.to_string());
            }
        }
        tx.execute(&update_sql, &[&keys, &numbers, &chains])
            .await
            .map_err(Error::store)?;
        tx.execute(&heads_sql, &[&ids])
            .await
            .map_err(Error::store)?;
        let before = done;
        done += ids.len() as u64;
        if done / PROGRESS_EVERY > before / PROGRESS_EVERY {
            tracing::info!(schema, done, total, "computing chain hashes");
        }
    }
    tracing::info!(schema, resources = done, "computed the chain hashes");
    Ok(())
}

/// The rows of a page (ordered by resource and number) as linked histories, one per resource.
fn histories(rows: &[tokio_postgres::Row]) -> Result<Vec<Vec<StoredRevision>>> {
    let mut histories: Vec<Vec<StoredRevision>> = Vec::new();
    let mut current: Option<ResourceId> = None;
    for row in rows {
        let row = PgRow(row);
        let id = decode_id(&row, 0, || "a revision".to_owned())?;
        let revision = decode_revision(&id, &row, 1)?;
        if current.as_ref() != Some(&id) {
            histories.push(Vec::new());
            current = Some(id);
        }
        if let Some(history) = histories.last_mut() {
            history.push(revision);
        }
    }
    for history in &mut histories {
        link_history(history);
    }
    Ok(histories)
}
