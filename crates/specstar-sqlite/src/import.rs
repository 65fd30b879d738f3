//! An import (see [`specstar_core::import`]): one job of the [writer](crate::writer), in one
//! transaction, fed through a bounded channel.
//!
//! The caller's task reads the items and readies each resource ([`Importer::prepare`]: the
//! checks and the indexed values, the costly part, on the caller's thread); the writer thread
//! loads them as they come, inside the job's savepoint, and the batch commits once the last
//! one is in. An error on either side rolls the savepoint back: the items' error, a check's
//! error or the store's own, the file is left as it was. Other writes wait meanwhile (the
//! writer is one thread); reads go on from the snapshot before the import.

use std::collections::HashMap;

use futures_util::stream::BoxStream;
use rusqlite::{Connection, OptionalExtension};
use specstar_core::import::Readied;
use specstar_core::{
    Error, Exported, ImportOptions, ImportReport, Importer, ModelDescriptor, OnDuplicate,
    PurgeEvent, Result, StoredResource, import,
};
use tokio::sync::mpsc;

use crate::apply;
use crate::error::SqliteError;
use crate::rows::{self, to_sql_int};
use crate::writer::Writer;

/// How many readied items may wait for the writer.
const BUFFER: usize = 64;

/// The writer's side of an import.
pub(crate) struct ImportJob {
    pub(crate) models: Vec<ModelDescriptor>,
    pub(crate) options: ImportOptions,
    pub(crate) items: mpsc::Receiver<Readied>,
}

/// Runs an import: feeds the writer's job and answers its outcome.
pub(crate) async fn import(
    writer: &Writer,
    models: &[ModelDescriptor],
    items: BoxStream<'_, Result<Exported>>,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let importer = Importer::new(models);
    let (sender, receiver) = mpsc::channel(BUFFER);
    let job = ImportJob {
        models: models.to_vec(),
        options: options.clone(),
        items: receiver,
    };
    let outcome = writer.import(job);
    let feed = import::feed(&importer, items, sender);
    let (fed, outcome) = futures_util::future::join(feed, outcome).await;
    // The feed's error is the cause: the writer only saw the channel close.
    fed?;
    outcome
}

/// The writer's part: registers the models, loads the items as they come, and answers the
/// report once the last one is in (the writer then commits).
pub(crate) fn run(conn: &Connection, mut job: ImportJob) -> Result<ImportReport> {
    for model in &job.models {
        apply::register_model(conn, model)?;
    }
    let last = apply::last_sequence(conn)?;
    // Only replacing duplicates reserves numbers, one per resource the file holds.
    let held: i64 = match job.options.on_duplicate {
        OnDuplicate::Overwrite => conn
            .query_row("SELECT count(*) FROM heads", [], |row| row.get(0))
            .map_err(Error::store)?,
        OnDuplicate::Fail | OnDuplicate::Skip => 0,
    };
    let offset = import::sequence_offset(
        last,
        u64::try_from(held).unwrap_or(0),
        job.options.on_duplicate,
    );
    let mut loader = Loader {
        conn,
        options: &job.options,
        report: ImportReport {
            sequence_offset: offset,
            ..ImportReport::default()
        },
        last_purge: last,
        highest: last,
        fields: HashMap::new(),
    };
    loop {
        match job.items.blocking_recv() {
            Some(Readied::Resource(resource)) => loader.resource(resource)?,
            Some(Readied::Purge(event)) => loader.purge(event)?,
            Some(Readied::End) => return loader.finish(),
            None => return Err(Error::store(SqliteError::ImportAbandoned)),
        }
    }
}

/// Loads items into the open transaction.
struct Loader<'a> {
    conn: &'a Connection,
    options: &'a ImportOptions,
    report: ImportReport,
    /// The number of the last purge event an overwrite recorded.
    last_purge: u64,
    /// The highest sequence number loaded.
    highest: u64,
    /// Per model, its indexed fields and its array fields among them, read once.
    fields: HashMap<String, (Vec<String>, Vec<String>)>,
}

impl Loader<'_> {
    fn resource(&mut self, mut resource: StoredResource) -> Result<()> {
        let id = resource.head.meta.resource_id.clone();
        if let Some(head) = rows::head(self.conn, &id)? {
            match self.options.on_duplicate {
                OnDuplicate::Fail => {
                    return Err(Error::AlreadyExists {
                        resource_id: id,
                        current_revision_id: head.meta.current_revision_id,
                    });
                }
                OnDuplicate::Skip => {
                    self.report.skipped += 1;
                    return Ok(());
                }
                OnDuplicate::Overwrite => {
                    apply::erase(self.conn, &id)?;
                    self.last_purge += 1;
                    let sequence = to_sql_int(self.last_purge)?;
                    let options = self.options;
                    apply::record_purge(self.conn, sequence, &id, options.time, &options.user)
                        .map_err(Error::store)?;
                    self.report.overwritten += 1;
                }
            }
        }
        Importer::shift(&mut resource, self.report.sequence_offset)?;
        self.insert(&resource)?;
        self.report.loaded(&resource);
        Ok(())
    }

    /// Inserts a readied resource: its revisions with their numbers, its head, its elements.
    fn insert(&mut self, resource: &StoredResource) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO revisions (resource_id, number, parent_number, schema_version, \
                 data_hash, action, deleted, created_time, created_by, chain_hash, data, \
                 sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(Error::store)?;
        for revision in &resource.revisions {
            apply::bind_info(&mut stmt, &revision.info)?;
            let sequence = to_sql_int(revision.info.sequence)?;
            stmt.raw_bind_parameter(11, &revision.data[..])
                .and_then(|()| stmt.raw_bind_parameter(12, sequence))
                .and_then(|()| stmt.raw_execute())
                .map_err(refusal)?;
            self.highest = self.highest.max(revision.info.sequence);
        }
        let meta = &resource.head.meta;
        let last = &resource
            .revisions
            .last()
            .expect("a readied resource has revisions");
        let model = meta.resource_id.model();
        if !self.fields.contains_key(model) {
            let indexed = crate::search::indexed_fields(self.conn, model)?;
            let arrays = crate::elements::fields(self.conn, model)?;
            self.fields.insert(model.to_owned(), (indexed, arrays));
        }
        let (indexed, arrays) = &self.fields[model];
        apply::write_head_with(self.conn, true, meta, &last.info, indexed)?;
        if arrays.is_empty() {
            return Ok(());
        }
        let id = meta.resource_id.as_str();
        crate::elements::insert(self.conn, model, arrays, id, &meta.indexed_data)
    }

    fn purge(&mut self, mut event: PurgeEvent) -> Result<()> {
        let held: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM purges WHERE resource_id = ?1 AND created_time = ?2 \
                 AND created_by = ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    (
                        event.resource_id.as_str(),
                        event.created_time.as_micros(),
                        &*event.created_by,
                    ),
                    |row| row.get(0),
                )
                .optional()
            })
            .map_err(Error::store)?;
        if held.is_some() {
            self.report.skipped += 1;
            return Ok(());
        }
        Importer::shift_purge(&mut event, self.report.sequence_offset)?;
        let sequence = to_sql_int(event.sequence)?;
        apply::record_purge(
            self.conn,
            sequence,
            &event.resource_id,
            event.created_time,
            &event.created_by,
        )
        .map_err(refusal)?;
        self.highest = self.highest.max(event.sequence);
        self.report.purges += 1;
        Ok(())
    }

    /// Checks that no imported purge event shares its number with an imported revision, and
    /// moves the counter past everything loaded.
    fn finish(self) -> Result<ImportReport> {
        let offset = to_sql_int(self.report.sequence_offset)?;
        let shared: Option<i64> = self
            .conn
            .query_row(
                "SELECT p.sequence FROM purges p JOIN revisions r ON r.sequence = p.sequence \
                 WHERE p.sequence > ?1 LIMIT 1",
                [offset],
                |row| row.get(0),
            )
            .optional()
            .map_err(Error::store)?;
        if let Some(number) = shared {
            return Err(Error::Corrupt {
                what: "the imported items".into(),
                reason: format!("a revision and a purge event have the sequence number {number}"),
            });
        }
        apply::raise_sequence(self.conn, self.highest.max(self.last_purge))?;
        Ok(self.report)
    }
}

/// A refused statement: a unique key the items break (one resource twice, two events of one
/// sequence number) is their fault, said as such; anything else is the store's.
fn refusal(error: rusqlite::Error) -> Error {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => Error::Corrupt {
            what: "the imported items".into(),
            reason: format!("two of them collide: {error}"),
        },
        _ => Error::store(error),
    }
}
