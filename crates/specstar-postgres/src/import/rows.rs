//! A batch of readied resources into the tables: one `unnest` insert for their heads and one
//! for all their revisions, columns as arrays.

use deadpool_postgres::Transaction;
use specstar_core::{Result, StoredResource};

use super::refusal;
use crate::rows::{indexed_text, to_sql_int};

/// Inserts the heads and the revisions of `batch`.
pub(super) async fn insert(tx: &Transaction<'_>, batch: &[StoredResource]) -> Result<()> {
    heads(tx, batch).await?;
    revisions(tx, batch).await
}

async fn heads(tx: &Transaction<'_>, batch: &[StoredResource]) -> Result<()> {
    const SQL: &str = "INSERT INTO heads (resource_id, model, current_number, revision_count, \
         schema_version, data_hash, created_time, created_by, updated_time, updated_by, \
         is_deleted, indexed_data, indexed_text, chain_hash) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], \
         $6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[], $11::boolean[], \
         $12::jsonb[], $13::jsonb[], $14::text[])";
    let n = batch.len();
    let (mut ids, mut models, mut numbers, mut counts) = (cols(n), cols(n), cols(n), cols(n));
    let (mut versions, mut hashes, mut chains) = (cols(n), cols(n), cols(n));
    let (mut created, mut created_by, mut updated, mut updated_by) =
        (cols(n), cols(n), cols(n), cols(n));
    let (mut deleted, mut indexed, mut texts) = (cols(n), cols(n), cols(n));
    for resource in batch {
        let head = &resource.head;
        let meta = &head.meta;
        ids.push(meta.resource_id.as_str());
        models.push(meta.resource_id.model());
        numbers.push(to_sql_int(meta.current_revision_id.number())?);
        counts.push(to_sql_int(meta.total_revision_count)?);
        versions.push(&*meta.schema_version);
        hashes.push(head.data_hash.to_string());
        chains.push(head.chain_hash.to_string());
        created.push(meta.created_time.as_micros());
        created_by.push(&*meta.created_by);
        updated.push(meta.updated_time.as_micros());
        updated_by.push(&*meta.updated_by);
        deleted.push(meta.is_deleted);
        indexed.push(crate::nul::indexed_column(&meta.indexed_data));
        texts.push(indexed_text(&meta.indexed_data));
    }
    tx.execute(
        SQL,
        &[
            &ids,
            &models,
            &numbers,
            &counts,
            &versions,
            &hashes,
            &created,
            &created_by,
            &updated,
            &updated_by,
            &deleted,
            &indexed,
            &texts,
            &chains,
        ],
    )
    .await
    .map_err(refusal)
    .map(drop)
}

async fn revisions(tx: &Transaction<'_>, batch: &[StoredResource]) -> Result<()> {
    const SQL: &str = "INSERT INTO revisions (resource_id, number, parent_number, \
         schema_version, data_hash, action, deleted, created_time, created_by, chain_hash, \
         sequence, data) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], \
         $6::text[], $7::boolean[], $8::bigint[], $9::text[], $10::text[], $11::bigint[], \
         $12::bytea[])";
    let n = batch.iter().map(|r| r.revisions.len()).sum();
    let (mut ids, mut numbers, mut parents, mut versions) = (cols(n), cols(n), cols(n), cols(n));
    let (mut hashes, mut actions, mut deleted, mut times) = (cols(n), cols(n), cols(n), cols(n));
    let (mut users, mut chains, mut sequences, mut data) = (cols(n), cols(n), cols(n), cols(n));
    for revision in batch.iter().flat_map(|r| &r.revisions) {
        let info = &revision.info;
        let (number, parent) = specstar_sql::int::revision_numbers(info, "postgresql")?;
        ids.push(info.resource_id.as_str());
        numbers.push(number);
        parents.push(parent);
        versions.push(&*info.schema_version);
        hashes.push(info.data_hash.to_string());
        actions.push(info.action.as_str());
        deleted.push(info.deleted);
        times.push(info.created_time.as_micros());
        users.push(&*info.created_by);
        chains.push(info.chain_hash.to_string());
        sequences.push(to_sql_int(info.sequence)?);
        data.push(&revision.data[..]);
    }
    tx.execute(
        SQL,
        &[
            &ids, &numbers, &parents, &versions, &hashes, &actions, &deleted, &times, &users,
            &chains, &sequences, &data,
        ],
    )
    .await
    .map_err(refusal)
    .map(drop)
}

/// An empty column of `n` values.
fn cols<T>(n: usize) -> Vec<T> {
    Vec::with_capacity(n)
}
