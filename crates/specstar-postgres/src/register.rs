//! Registering a model: recording it, creating the expression indexes of its fields and, when
//! its indexed fields changed, recomputing the indexed values of its resources (the backfill).
//!
//! Writes store each head's indexed values from the fields the model had when they ran. A
//! field added later would find none of the resources written before it, so a registration
//! that changes the field list recomputes every head's values from its current revision.
//!
//! Everything runs in one transaction under an advisory lock, so that processes registering at
//! once (several servers starting together) go one at a time and the later ones find the work
//! done; a crash half-way leaves the old values and the old field list whole, and the next
//! registration starts over. The backfill walks the model's heads in resource-id order a page
//! at a time, locking each page's heads first (`FOR UPDATE`) and reading their current data
//! after, so a concurrent write either lands before the page is read or waits for the commit.

use deadpool_postgres::{Client, Transaction};
use serde_json::Value;
use specstar_core::{Error, ModelDescriptor, Result};
use specstar_sql::backfill::{Backfill, PAGE};

use crate::rows;
use crate::search;

/// The advisory lock of registrations (any model, any schema: registrations are rare).
const LOCK: i64 = 0x7370_6563_7374_6172; // "specstar"

/// Registers `model`; returns its indexed fields as now recorded.
pub(crate) async fn register(
    client: &mut Client,
    model: &ModelDescriptor,
) -> Result<search::Fields> {
    let tx = client.transaction().await.map_err(Error::store)?;
    let fields = register_in(&tx, model).await?;
    tx.commit().await.map_err(Error::store)?;
    Ok(fields)
}

/// Registers `model` in the open transaction `tx` (an import's), which keeps the lock of
/// registrations until it ends; returns its indexed fields as then recorded.
pub(crate) async fn register_in(
    tx: &Transaction<'_>,
    model: &ModelDescriptor,
) -> Result<search::Fields> {
    search::check_paths(model)?;
    let fields = model.indexed_paths();
    let fields_json = serde_json::to_value(&fields).expect("a list of strings always serializes");
    let arrays = specstar_sql::model::array_paths(model);
    let arrays_json = serde_json::to_value(&arrays).expect("a list of strings always serializes");
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(Error::store)?;
    record_fingerprint(tx, model).await?;
    let previous: Option<(Value, Value, String)> = tx
        .query_opt(
            "SELECT indexed_fields, element_fields, schema_version FROM models WHERE name = $1",
            &[&&*model.name],
        )
        .await
        .map_err(Error::store)?
        .map(|row| {
            Ok::<_, tokio_postgres::Error>((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        })
        .transpose()
        .map_err(Error::store)?;
    // A new schema version the model migrates to: old heads are indexed by their upcast data.
    let upcasts = model.upcast.is_some()
        && previous
            .as_ref()
            .is_some_and(|(_, _, version)| *version != *model.schema_version);
    let previous = previous.map(|(fields, arrays, _)| (fields, arrays));
    tx.execute(
        "INSERT INTO models (name, schema_version, indexed_fields, element_fields) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET schema_version = excluded.schema_version, \
         indexed_fields = excluded.indexed_fields, element_fields = excluded.element_fields",
        &[
            &&*model.name,
            &&*model.schema_version,
            &fields_json,
            &arrays_json,
        ],
    )
    .await
    .map_err(Error::store)?;
    // Other arrays among the fields are a change too: an array of times indexes its elements
    // in canonical form.
    if upcasts || previous != Some((fields_json, arrays_json)) {
        reindex(tx, model).await?;
    }
    // Only the missing ones: `CREATE INDEX IF NOT EXISTS` would ask for the table's ownership
    // at every start-up, which an application's role may not have once the schema is set up.
    let existing: Vec<String> = tx
        .query(
            "SELECT indexname::text FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'heads'",
            &[],
        )
        .await
        .map_err(Error::store)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(Error::store)?;
    for (name, statement) in search::index_statements(model)? {
        if !existing.contains(&name) {
            tx.batch_execute(&statement).await.map_err(Error::store)?;
        }
    }
    Ok(search::Fields {
        paths: fields,
        arrays,
    })
}

/// Checks the version's schema fingerprint against the one recorded, and records it when it is
/// the first (under the registrations' lock: of two processes registering different schemas
/// under one version, the second is refused).
async fn record_fingerprint(tx: &Transaction<'_>, model: &ModelDescriptor) -> Result<()> {
    let Some(fingerprint) = &model.fingerprint else {
        return Ok(());
    };
    let (name, version) = (&*model.name, &*model.schema_version);
    let recorded: Option<String> = tx
        .query_opt(
            "SELECT fingerprint FROM model_versions WHERE model = $1 AND version = $2",
            &[&name, &version],
        )
        .await
        .map_err(Error::store)?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(Error::store)?;
    model.check_fingerprint(recorded.as_deref())?;
    if recorded.is_none() {
        tx.execute(
            "INSERT INTO model_versions (model, version, fingerprint) VALUES ($1, $2, $3)",
            &[&name, &version, &&**fingerprint],
        )
        .await
        .map_err(Error::store)?;
    }
    Ok(())
}

/// Recomputes the indexed values of every resource of `model` from its current revision;
/// returns how many resources it rewrote.
async fn reindex(tx: &Transaction<'_>, model: &ModelDescriptor) -> Result<u64> {
    let total: i64 = tx
        .query_one(
            "SELECT count(*) FROM heads WHERE model = $1",
            &[&&*model.name],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    let Some(mut backfill) = Backfill::start(model, specstar_sql::int::count(total), String::new())
    else {
        return Ok(0);
    };
    let lock = tx
        .prepare(
            "SELECT resource_id FROM heads WHERE model = $1 AND resource_id > $2 \
             ORDER BY resource_id LIMIT $3 FOR UPDATE",
        )
        .await
        .map_err(Error::store)?;
    let read = tx
        .prepare(
            "SELECT h.resource_id, r.schema_version, r.data FROM heads h JOIN revisions r \
             ON r.resource_id = h.resource_id AND r.number = h.current_number \
             WHERE h.resource_id = ANY($1::text[])",
        )
        .await
        .map_err(Error::store)?;
    let update = tx
        .prepare(
            "UPDATE heads h SET indexed_data = u.indexed, indexed_text = u.texts \
             FROM unnest($1::text[], $2::jsonb[], $3::jsonb[]) AS u(id, indexed, texts) \
             WHERE h.resource_id = u.id",
        )
        .await
        .map_err(Error::store)?;
    // A page of at most `PAGE` rows, which fits an `i64`.
    let limit = PAGE as i64;
    loop {
        let ids: Vec<String> = tx
            .query(&lock, &[&&*model.name, &backfill.after(), &limit])
            .await
            .map_err(Error::store)?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<std::result::Result<_, _>>()
            .map_err(Error::store)?;
        let Some(last) = ids.last() else { break };
        let rows = tx.query(&read, &[&ids]).await.map_err(Error::store)?;
        let mut page_ids = Vec::with_capacity(rows.len());
        let mut indexed = Vec::with_capacity(rows.len());
        let mut texts = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get(0).map_err(Error::store)?;
            let version: &str = row.try_get(1).map_err(Error::store)?;
            let data: &[u8] = row.try_get(2).map_err(Error::store)?;
            let values = backfill.values(&id, version, data)?;
            texts.push(rows::indexed_text(&values));
            indexed.push(crate::nul::indexed_column(&values));
            page_ids.push(id);
        }
        tx.execute(&update, &[&page_ids, &indexed, &texts])
            .await
            .map_err(Error::store)?;
        backfill.advance(last, page_ids.len());
    }
    Ok(backfill.finish())
}
