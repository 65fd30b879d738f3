//! An import (see [`specstar_core::import`]): one transaction on a connection of its own, held
//! by a task of its own, fed through a bounded channel.
//!
//! The caller's task reads the items and readies each resource (the checks and the indexed
//! values); the loader task registers the models, locks the sequence counter, and loads the
//! resources a batch at a time (one statement for the duplicates, one `unnest` insert each
//! for heads and revisions), then moves the counter past everything loaded and commits. The
//! counter's row lock is what keeps the feed's promise: writers of every process take their
//! numbers after the import's commit, so none can appear behind a reader's cursor; they wait
//! for the import meanwhile. Any error (the items', a check's, the database's), or the caller
//! giving up, drops the transaction, which rolls it back: the schema is left as it was.

use std::collections::HashMap;

use deadpool_postgres::{Pool, Transaction};
use futures_util::stream::BoxStream;
use specstar_core::import::Readied;
use specstar_core::{
    Error, Exported, ImportOptions, ImportReport, Importer, ModelDescriptor, OnDuplicate,
    PurgeEvent, Result, StoredResource, import,
};
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;

use crate::error::PostgresError;
use crate::rows::to_sql_int;
use crate::{connection, register, search};

mod rows;

/// How many readied items may wait for the loader.
const BUFFER: usize = 64;
/// How many revisions one batch of inserts carries at most.
const BATCH_REVISIONS: usize = 1_000;

/// What the loader did: the report, the last sequence number after it, and the models'
/// fields as registered.
pub(crate) struct Loaded {
    pub(crate) report: ImportReport,
    pub(crate) last: u64,
    pub(crate) fields: Vec<(String, search::Fields)>,
}

/// Runs an import: feeds the loader task and answers its outcome.
pub(crate) async fn import(
    pool: &Pool,
    models: &[ModelDescriptor],
    items: BoxStream<'_, Result<Exported>>,
    options: &ImportOptions,
) -> Result<Loaded> {
    let importer = Importer::new(models);
    let (sender, receiver) = mpsc::channel(BUFFER);
    let task = tokio::spawn(load(
        pool.clone(),
        models.to_vec(),
        options.clone(),
        receiver,
    ));
    let (fed, loaded) =
        futures_util::future::join(import::feed(&importer, items, sender), task).await;
    // The feed's error is the cause: the loader only saw the channel close.
    fed?;
    loaded.map_err(|e| Error::store(PostgresError::TaskStopped(e.to_string())))?
}

/// The loader task: the whole import in one transaction.
async fn load(
    pool: Pool,
    models: Vec<ModelDescriptor>,
    options: ImportOptions,
    mut items: mpsc::Receiver<Readied>,
) -> Result<Loaded> {
    let mut client = connection(&pool).await?;
    let tx = client.transaction().await.map_err(Error::store)?;
    let mut fields = Vec::with_capacity(models.len());
    for model in &models {
        fields.push((
            model.name.to_string(),
            register::register_in(&tx, model).await?,
        ));
    }
    let last: i64 = tx
        .query_one("SELECT last FROM sequence_counter WHERE id FOR UPDATE", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    // Only replacing duplicates reserves numbers, one per resource the schema holds.
    let held: i64 = match options.on_duplicate {
        OnDuplicate::Overwrite => tx
            .query_one("SELECT count(*) FROM heads", &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(Error::store)?,
        OnDuplicate::Fail | OnDuplicate::Skip => 0,
    };
    let last = u64::try_from(last).unwrap_or(0);
    let held = u64::try_from(held).unwrap_or(0);
    let offset = import::sequence_offset(last, held, options.on_duplicate);
    let mut loader = Loader {
        tx: &tx,
        options: &options,
        report: ImportReport {
            sequence_offset: offset,
            ..ImportReport::default()
        },
        batch: Vec::new(),
        batch_revisions: 0,
        last_purge: last,
        highest: last,
    };
    loop {
        match items.recv().await {
            Some(Readied::Resource(resource)) => loader.resource(resource).await?,
            Some(Readied::Purge(event)) => loader.purge(event).await?,
            Some(Readied::End) => break,
            None => return Err(Error::store(PostgresError::ImportAbandoned)),
        }
    }
    loader.flush().await?;
    let (report, last) = loader.finish().await?;
    tx.commit().await.map_err(Error::store)?;
    Ok(Loaded {
        report,
        last,
        fields,
    })
}

/// Loads items into the open transaction, resources a batch at a time.
struct Loader<'a> {
    tx: &'a Transaction<'a>,
    options: &'a ImportOptions,
    report: ImportReport,
    batch: Vec<StoredResource>,
    batch_revisions: usize,
    /// The number of the last purge event an overwrite recorded.
    last_purge: u64,
    /// The highest sequence number loaded.
    highest: u64,
}

impl Loader<'_> {
    async fn resource(&mut self, mut resource: StoredResource) -> Result<()> {
        Importer::shift(&mut resource, self.report.sequence_offset)?;
        self.batch_revisions += resource.revisions.len();
        self.batch.push(resource);
        if self.batch_revisions >= BATCH_REVISIONS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Loads the batch: its duplicates first (refused, left out or erased), then the rest.
    async fn flush(&mut self) -> Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        self.batch_revisions = 0;
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = batch
            .iter()
            .map(|r| r.head.meta.resource_id.as_str())
            .collect();
        let held: HashMap<String, i64> = self
            .tx
            .query(
                "SELECT resource_id, current_number FROM heads WHERE resource_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(Error::store)?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<std::result::Result<_, tokio_postgres::Error>>()
            .map_err(Error::store)?;
        if !held.is_empty() {
            self.duplicates(&mut batch, &held).await?;
        }
        for resource in &batch {
            self.report.loaded(resource);
            let last = resource.revisions.last().map_or(0, |r| r.info.sequence);
            self.highest = self.highest.max(last);
        }
        rows::insert(self.tx, &batch).await
    }

    /// Applies the duplicate rule to the resources of `batch` the schema holds (`held`).
    async fn duplicates(
        &mut self,
        batch: &mut Vec<StoredResource>,
        held: &HashMap<String, i64>,
    ) -> Result<()> {
        match self.options.on_duplicate {
            OnDuplicate::Fail => {
                let resource = batch
                    .iter()
                    .find(|r| held.contains_key(r.head.meta.resource_id.as_str()))
                    .expect("a held id is among the batch's");
                let id = resource.head.meta.resource_id.clone();
                let number = u64::try_from(held[id.as_str()]).unwrap_or(0);
                Err(Error::AlreadyExists {
                    current_revision_id: id.revision(number),
                    resource_id: id,
                })
            }
            OnDuplicate::Skip => {
                let before = batch.len();
                batch.retain(|r| !held.contains_key(r.head.meta.resource_id.as_str()));
                self.report.skipped += (before - batch.len()) as u64;
                Ok(())
            }
            OnDuplicate::Overwrite => {
                let ids: Vec<&str> = held.keys().map(String::as_str).collect();
                let first = to_sql_int(self.last_purge + 1)?;
                self.tx
                    .execute("DELETE FROM revisions WHERE resource_id = ANY($1)", &[&ids])
                    .await
                    .map_err(Error::store)?;
                self.tx
                    .execute("DELETE FROM heads WHERE resource_id = ANY($1)", &[&ids])
                    .await
                    .map_err(Error::store)?;
                let time = self.options.time.as_micros();
                let user = &*self.options.user;
                self.tx
                    .execute(
                        "INSERT INTO purges (sequence, resource_id, created_time, created_by) \
                         SELECT $1 + ordinality - 1, id, $3, $4 FROM unnest($2::text[]) \
                         WITH ORDINALITY AS u(id, ordinality)",
                        &[&first, &ids, &time, &user],
                    )
                    .await
                    .map_err(Error::store)?;
                self.last_purge += ids.len() as u64;
                self.report.overwritten += ids.len() as u64;
                Ok(())
            }
        }
    }

    async fn purge(&mut self, event: PurgeEvent) -> Result<()> {
        let time = event.created_time.as_micros();
        let key = event.resource_id.as_str();
        let user = &*event.created_by;
        let held = self
            .tx
            .query_opt(
                "SELECT 1 FROM purges WHERE resource_id = $1 AND created_time = $2 \
                 AND created_by = $3 LIMIT 1",
                &[&key, &time, &user],
            )
            .await
            .map_err(Error::store)?;
        if held.is_some() {
            self.report.skipped += 1;
            return Ok(());
        }
        let moved = import::moved(event.sequence, self.report.sequence_offset)?;
        self.tx
            .execute(
                "INSERT INTO purges (sequence, resource_id, created_time, created_by) \
                 VALUES ($1, $2, $3, $4)",
                &[&to_sql_int(moved)?, &key, &time, &user],
            )
            .await
            .map_err(refusal)?;
        self.highest = self.highest.max(moved);
        self.report.purges += 1;
        Ok(())
    }

    /// Checks that no imported purge event shares its number with an imported revision, and
    /// moves the counter past everything loaded; the report and the last number.
    async fn finish(self) -> Result<(ImportReport, u64)> {
        let offset = to_sql_int(self.report.sequence_offset)?;
        let shared = self
            .tx
            .query_opt(
                "SELECT p.sequence FROM purges p JOIN revisions r ON r.sequence = p.sequence \
                 WHERE p.sequence > $1 LIMIT 1",
                &[&offset],
            )
            .await
            .map_err(Error::store)?;
        if let Some(row) = shared {
            let number: i64 = row.try_get(0).map_err(Error::store)?;
            return Err(Error::Corrupt {
                what: "the imported items".into(),
                reason: format!("a revision and a purge event have the sequence number {number}"),
            });
        }
        let last = self.highest.max(self.last_purge);
        self.tx
            .execute(
                "UPDATE sequence_counter SET last = GREATEST(last, $1) WHERE id",
                &[&to_sql_int(last)?],
            )
            .await
            .map_err(Error::store)?;
        Ok((self.report, last))
    }
}

/// A refused statement: a unique key the items break (one resource twice, two events of one
/// sequence number) is their fault, said as such; anything else is the database's.
pub(crate) fn refusal(error: tokio_postgres::Error) -> Error {
    match error.as_db_error() {
        Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => Error::Corrupt {
            what: "the imported items".into(),
            reason: format!(
                "two of them collide: {}",
                db.detail().unwrap_or_else(|| db.message())
            ),
        },
        _ => Error::store(error),
    }
}
