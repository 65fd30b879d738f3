//! An export: everything in the file, read from one snapshot, as a stream.
//!
//! The export runs on a thread of its own with a read-only connection of its own, in one read
//! transaction (WAL keeps its snapshot however long it runs, while the writer goes on). It
//! sends one resource at a time through a small bounded channel, so that it reads only as
//! fast as the consumer takes and holds about one resource in memory; when the consumer drops
//! the stream the thread stops at its next send.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use rusqlite::{Connection, OpenFlags};
use specstar_core::{Error, Exported, ResourceId, Result, StoredResource};
use tokio::sync::{mpsc, oneshot};

use crate::error::SqliteError;
use crate::rows::{self, SqliteRow};

/// How many resources may wait in the channel for the consumer.
const BUFFER: usize = 16;

/// Starts an export of the file at `path`; its snapshot is taken when this returns.
///
/// # Errors
/// When the connection cannot be opened, the thread cannot start or the snapshot cannot be
/// taken.
pub(crate) async fn start(
    path: &Path,
    busy_timeout: Duration,
) -> Result<BoxStream<'static, Result<Exported>>> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(Error::store)?;
    conn.busy_timeout(busy_timeout).map_err(Error::store)?;
    let (sender, receiver) = mpsc::channel(BUFFER);
    let (ready, snapshot_taken) = oneshot::channel();
    std::thread::Builder::new()
        .name("specstar-sqlite-export".into())
        .spawn(move || {
            if let Err(error) = export(&conn, &sender, ready) {
                let _ = sender.blocking_send(Err(error));
            }
        })
        .map_err(|e| Error::store(SqliteError::SpawnExport(e)))?;
    // The thread's first read fixes the snapshot; an error then comes through the stream.
    let _ = snapshot_taken.await;
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(stream.boxed())
}

/// Sends every resource, then every purge event; stops early (with `Ok`) when the consumer
/// is gone.
fn export(
    conn: &Connection,
    sender: &mpsc::Sender<Result<Exported>>,
    ready: oneshot::Sender<()>,
) -> Result<()> {
    // One read transaction: its snapshot starts at the first read and holds to the end.
    let snapshot = conn.unchecked_transaction().map_err(Error::store)?;
    snapshot
        .query_row("SELECT count(*) FROM models", [], |_| Ok(()))
        .map_err(Error::store)?;
    let _ = ready.send(());
    let mut ids = snapshot
        .prepare("SELECT resource_id FROM heads ORDER BY resource_id")
        .map_err(Error::store)?;
    let mut rows = ids.query([]).map_err(Error::store)?;
    while let Some(row) = rows.next().map_err(Error::store)? {
        let id = specstar_sql::rows::decode_id(&SqliteRow(row), 0, || "a head".to_owned())?;
        let resource = resource(&snapshot, &id)?;
        if sender
            .blocking_send(Ok(Exported::Resource(resource)))
            .is_err()
        {
            return Ok(());
        }
    }
    let mut purges = snapshot
        .prepare(
            "SELECT resource_id, created_time, created_by, sequence FROM purges ORDER BY sequence",
        )
        .map_err(Error::store)?;
    let mut rows = purges.query([]).map_err(Error::store)?;
    while let Some(row) = rows.next().map_err(Error::store)? {
        let row = SqliteRow(row);
        let id = specstar_sql::rows::decode_id(&row, 0, || "a purge event".to_owned())?;
        let event = specstar_sql::rows::decode_purge(id, &row, 1)?;
        if sender.blocking_send(Ok(Exported::Purge(event))).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// One resource whole, from the snapshot.
fn resource(conn: &Connection, id: &ResourceId) -> Result<StoredResource> {
    let missing = || Error::Corrupt {
        what: format!("resource {id}"),
        reason: "its head vanished within one snapshot".into(),
    };
    let head = rows::head(conn, id)?.ok_or_else(missing)?;
    let revisions = rows::with_data(conn, id, 0, u64::MAX)?.ok_or_else(missing)?;
    Ok(StoredResource { head, revisions })
}
