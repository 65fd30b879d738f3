//! The writer: one thread that owns the write connection and commits writes in batches.
//!
//! A write is durable only once its commit is fsynced, and an fsync costs the same for one
//! write as for many. So every write (and purge, and model registration) is a job sent over a
//! channel to this thread, which blocks for the first job, takes whatever else queued up
//! meanwhile (up to a maximum batch), runs them all in ONE transaction and commits once: one
//! fsync for the whole batch. While it fsyncs, new jobs queue, and become the next batch. A
//! lone writer waits for nobody (its batch has one job); many concurrent writers share fsyncs,
//! so throughput grows with concurrency instead of being capped at one write per fsync.
//!
//! Each job runs in its own savepoint, released when it succeeds and rolled back when it
//! fails, so one job's error (a conflict, a failed statement) never undoes or blocks another.
//! Replies go out only after the COMMIT returned: a caller is never told of a write that is
//! not yet on disk. If the commit fails, every job of the batch gets an error: none of them
//! was written.
//!
//! Callers wait on a `tokio::sync::oneshot`, so async callers never block a runtime thread.
//! When the store is dropped the channel closes; the thread finishes the batch in hand and
//! exits, and the drop waits for it, so the file is closed when the drop returns.

use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use rusqlite::Connection;
use specstar_core::{
    Error, FeedSignal, ImportReport, ModelDescriptor, PruneBounds, Pruned, PurgeRequest,
    ResourceId, ResourceMeta, Result, WriteRequest, Written,
};
use tokio::sync::oneshot;

use crate::error::SqliteError;
use crate::import::ImportJob;
use crate::stats::StatsCache;
use crate::{apply, retention};

/// Where a job's outcome goes.
type Reply<T> = oneshot::Sender<Result<T>>;

/// One unit of work for the writer thread.
enum Job {
    Write(WriteRequest, Reply<Written>),
    Purge(PurgeRequest, Reply<Option<ResourceMeta>>),
    RegisterModel(ModelDescriptor, Reply<()>),
    Import(ImportJob, Reply<ImportReport>),
    Prune(ResourceId, PruneBounds, Reply<Option<Pruned>>),
    Pin(ResourceId, u64, bool, Reply<()>),
    Reclaim(Reply<u64>),
}

/// A job that ran, with the outcome to send once its batch is committed.
enum Done {
    Write(Reply<Written>, Result<Written>),
    Purge(Reply<Option<ResourceMeta>>, Result<Option<ResourceMeta>>),
    RegisterModel(Reply<()>, Result<()>),
    Import(Reply<ImportReport>, Result<ImportReport>),
    Prune(Reply<Option<Pruned>>, Result<Option<Pruned>>),
    Pin(Reply<()>, Result<()>),
    Reclaim(Reply<u64>, Result<u64>),
}

impl Job {
    fn run(self, conn: &Connection) -> Done {
        match self {
            Self::Write(request, reply) => Done::Write(reply, apply::write(conn, &request)),
            Self::Purge(request, reply) => Done::Purge(reply, apply::purge(conn, &request)),
            Self::RegisterModel(model, reply) => {
                Done::RegisterModel(reply, apply::register_model(conn, &model))
            }
            Self::Import(job, reply) => Done::Import(reply, crate::import::run(conn, job)),
            Self::Prune(id, bounds, reply) => {
                Done::Prune(reply, retention::prune(conn, &id, bounds))
            }
            Self::Pin(id, number, pinned, reply) => {
                Done::Pin(reply, retention::set_pinned(conn, &id, number, pinned))
            }
            Self::Reclaim(reply) => Done::Reclaim(reply, retention::reclaim(conn)),
        }
    }

    /// The model a write or purge touches.
    fn written_model(&self) -> Option<String> {
        match self {
            Self::Write(request, _) => Some(request.resource_id.model().to_owned()),
            Self::Purge(request, _) => Some(request.resource_id.model().to_owned()),
            Self::RegisterModel(..)
            | Self::Import(..)
            | Self::Prune(..)
            | Self::Pin(..)
            | Self::Reclaim(..) => None,
        }
    }

    /// The models a registration or an import registers (whose statistics are then measured).
    fn registered_models(&self) -> Vec<String> {
        match self {
            Self::RegisterModel(model, _) => vec![model.name.to_string()],
            Self::Import(job, _) => job.models.iter().map(|m| m.name.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    /// Ends the job without running it.
    fn fail(self, error: Error) -> Done {
        match self {
            Self::Write(_, reply) => Done::Write(reply, Err(error)),
            Self::Purge(_, reply) => Done::Purge(reply, Err(error)),
            Self::RegisterModel(_, reply) => Done::RegisterModel(reply, Err(error)),
            Self::Import(_, reply) => Done::Import(reply, Err(error)),
            Self::Prune(_, _, reply) => Done::Prune(reply, Err(error)),
            Self::Pin(_, _, _, reply) => Done::Pin(reply, Err(error)),
            Self::Reclaim(reply) => Done::Reclaim(reply, Err(error)),
        }
    }
}

impl Done {
    /// Whether the job appended to the change feed (a revision or a purge event).
    fn fed(&self) -> bool {
        match self {
            Self::Write(_, result) => result.as_ref().is_ok_and(|w| w.appended),
            Self::Purge(_, result) => result.as_ref().is_ok_and(Option::is_some),
            Self::RegisterModel(..) | Self::Prune(..) | Self::Pin(..) | Self::Reclaim(..) => false,
            Self::Import(_, result) => result.is_ok(),
        }
    }

    fn error(&self) -> Option<&Error> {
        match self {
            Self::Write(_, result) => result.as_ref().err(),
            Self::Purge(_, result) => result.as_ref().err(),
            Self::RegisterModel(_, result) => result.as_ref().err(),
            Self::Import(_, result) => result.as_ref().err(),
            Self::Prune(_, result) => result.as_ref().err(),
            Self::Pin(_, result) => result.as_ref().err(),
            Self::Reclaim(_, result) => result.as_ref().err(),
        }
    }

    /// Replaces the outcome with an error: the job's work was not committed.
    fn fail(&mut self, error: Error) {
        match self {
            Self::Write(_, result) => *result = Err(error),
            Self::Purge(_, result) => *result = Err(error),
            Self::RegisterModel(_, result) => *result = Err(error),
            Self::Import(_, result) => *result = Err(error),
            Self::Prune(_, result) => *result = Err(error),
            Self::Pin(_, result) => *result = Err(error),
            Self::Reclaim(_, result) => *result = Err(error),
        }
    }

    fn send(self) {
        // A caller that stopped waiting (its future was dropped) gets nothing; its write stands.
        match self {
            Self::Write(reply, result) => {
                let _ = reply.send(result);
            }
            Self::Purge(reply, result) => {
                let _ = reply.send(result);
            }
            Self::RegisterModel(reply, result) => {
                let _ = reply.send(result);
            }
            Self::Import(reply, result) => {
                let _ = reply.send(result);
            }
            Self::Prune(reply, result) => {
                let _ = reply.send(result);
            }
            Self::Pin(reply, result) => {
                let _ = reply.send(result);
            }
            Self::Reclaim(reply, result) => {
                let _ = reply.send(result);
            }
        }
    }
}

/// The handle of the writer thread: send jobs, await replies.
pub(crate) struct Writer {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread over `conn`, committing at most `max_batch` jobs at a time.
    pub(crate) fn start(
        conn: Connection,
        max_batch: usize,
        stats: Arc<StatsCache>,
        signal: FeedSignal,
    ) -> Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let max_batch = max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("specstar-sqlite-writer".into())
            .spawn(move || run(conn, queue, max_batch, &stats, &signal))
            .map_err(|e| Error::store(SqliteError::SpawnWriter(e)))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    pub(crate) async fn write(&self, request: WriteRequest) -> Result<Written> {
        self.submit(|reply| Job::Write(request, reply)).await
    }

    pub(crate) async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>> {
        self.submit(|reply| Job::Purge(request, reply)).await
    }

    pub(crate) async fn register_model(&self, model: ModelDescriptor) -> Result<()> {
        self.submit(|reply| Job::RegisterModel(model, reply)).await
    }

    /// Runs an import job (see [`import`](crate::import)); it holds the writer until its
    /// channel ends.
    pub(crate) async fn import(&self, job: ImportJob) -> Result<ImportReport> {
        self.submit(|reply| Job::Import(job, reply)).await
    }

    pub(crate) async fn prune(
        &self,
        id: ResourceId,
        bounds: PruneBounds,
    ) -> Result<Option<Pruned>> {
        self.submit(|reply| Job::Prune(id, bounds, reply)).await
    }

    pub(crate) async fn set_pinned(&self, id: ResourceId, number: u64, pinned: bool) -> Result<()> {
        self.submit(|reply| Job::Pin(id, number, pinned, reply))
            .await
    }

    pub(crate) async fn reclaim(&self) -> Result<u64> {
        self.submit(Job::Reclaim).await
    }

    async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T> {
        let stopped = || Error::store(SqliteError::WriterStopped);
        let (reply, outcome) = oneshot::channel();
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job(reply))
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop once the queue is empty.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the writer thread of the sqlite store panicked");
        }
    }
}

/// The writer thread: batches until the channel closes.
fn run(
    conn: Connection,
    queue: mpsc::Receiver<Job>,
    max_batch: usize,
    stats: &StatsCache,
    signal: &FeedSignal,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        tracing::trace!(jobs = batch.len(), "committing a batch");
        metrics::histogram!("specstar_sqlite_commit_batch_size").record(batch.len() as f64);
        let written: Vec<String> = batch.iter().filter_map(Job::written_model).collect();
        let registering: Vec<Vec<String>> = batch.iter().map(Job::registered_models).collect();
        let done = commit_batch(&conn, batch.drain(..));
        // Only the registrations that were committed have indexes to measure.
        let registered: Vec<String> = done
            .iter()
            .zip(registering)
            .filter(|(done, _)| done.error().is_none())
            .flat_map(|(_, models)| models)
            .collect();
        let mut fed = false;
        for done in done {
            fed |= done.fed();
            done.send();
        }
        // After the commit: feed watchers read the new events from the read connections.
        if fed {
            signal.raise_unknown();
        }
        // A failed job counts as a write too: statistics only need to follow the size.
        stats.after_commit(
            &conn,
            written.iter().map(String::as_str),
            registered.iter().map(String::as_str),
        );
    }
    tracing::debug!("sqlite writer stopping: the store was dropped");
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the sqlite write connection failed");
    }
}

/// Runs a batch in one transaction, each job in its own savepoint, and commits it. Returns
/// every job's outcome, to send now that the commit is done (or failed).
fn commit_batch(conn: &Connection, jobs: impl Iterator<Item = Job>) -> Vec<Done> {
    let mut done: Vec<Done> = Vec::with_capacity(jobs.size_hint().0);
    // The jobs of `done` from this index on are in the open transaction.
    let mut in_transaction = 0;
    for job in jobs {
        if conn.is_autocommit() {
            if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
                done.push(job.fail(Error::store(e)));
                continue;
            }
            in_transaction = done.len();
        }
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            done.push(job.fail(Error::store(e)));
            continue;
        }
        let outcome = job.run(conn);
        let ended = match outcome.error() {
            None => exec(conn, "RELEASE job").map_err(|e| e.to_string()),
            // SQLite rolled the whole transaction back (a full disk, an I/O error): the jobs
            // before this one in the transaction are lost too.
            Some(error) if conn.is_autocommit() => Err(error.to_string()),
            Some(_) => exec(conn, "ROLLBACK TO job")
                .and_then(|()| exec(conn, "RELEASE job"))
                .map_err(|e| e.to_string()),
        };
        // A failed job keeps its own error; the others lost with it are told why.
        let keeps_own_error = outcome.error().is_some();
        done.push(outcome);
        if let Err(reason) = ended {
            tracing::error!(error = %reason, "a batch of writes was rolled back");
            rollback(conn);
            let lost = done.len() - usize::from(keeps_own_error);
            for job in &mut done[in_transaction..lost] {
                job.fail(Error::store(SqliteError::BatchRolledBack {
                    reason: reason.clone(),
                }));
            }
        }
    }
    if !conn.is_autocommit()
        && let Err(e) = exec(conn, "COMMIT")
    {
        let reason = e.to_string();
        tracing::error!(error = %reason, jobs = done.len() - in_transaction, "a batch commit failed");
        rollback(conn);
        for lost in &mut done[in_transaction..] {
            lost.fail(Error::store(SqliteError::CommitFailed {
                reason: reason.clone(),
            }));
        }
    }
    done
}

/// Runs a statement without parameters or rows, from the statement cache.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Ends an open transaction without keeping any of it.
fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = exec(conn, "ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a failed batch failed");
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use bytes::Bytes;
    use specstar_core::{Change, DataHash, EncodedData, ResourceId, Timestamp};

    use super::*;
    use crate::schema;

    fn writer_connection(path: &Path) -> Connection {
        let mut conn = Connection::open(path).expect("the file opens");
        let settings = schema::WriterSettings {
            busy_timeout: std::time::Duration::from_secs(1),
            wal_autocheckpoint: 1000,
            journal_size_limit: 1 << 20,
        };
        schema::configure_writer(&conn, path, settings).expect("the connection is set up");
        schema::migrate(&mut conn, path).expect("the schema is made");
        conn
    }

    fn create(key: &str, size: usize) -> (Job, oneshot::Receiver<Result<Written>>) {
        let bytes = Bytes::from(format!("{{\"body\":\"{}\"}}", "x".repeat(size)));
        let data = EncodedData {
            hash: DataHash::of(&bytes),
            bytes,
            indexed: Default::default(),
        };
        let request = WriteRequest {
            resource_id: ResourceId::with_key("note", key).expect("the key is valid"),
            schema_version: "v1".into(),
            change: Change::Create(data),
            expected: None,
            user: "tester".into(),
            time: Timestamp::now(),
        };
        let (reply, outcome) = oneshot::channel();
        (Job::Write(request, reply), outcome)
    }

    fn stored(conn: &Connection, key: &str) -> bool {
        let id = ResourceId::with_key("note", key).expect("the key is valid");
        crate::rows::head(conn, &id)
            .expect("the head reads")
            .is_some()
    }

    /// Runs creates of `(key, data size)` as one batch; returns which were reported written,
    /// after checking that exactly those are in the file.
    fn run_batch(conn: &Connection, creates: &[(&str, usize)]) -> Vec<bool> {
        let (jobs, outcomes): (Vec<_>, Vec<_>) =
            creates.iter().map(|&(key, size)| create(key, size)).unzip();
        for done in commit_batch(conn, jobs.into_iter()) {
            done.send();
        }
        assert!(conn.is_autocommit(), "the batch left a transaction open");
        let written: Vec<bool> = outcomes
            .into_iter()
            .map(|mut outcome| outcome.try_recv().expect("every job is answered").is_ok())
            .collect();
        for &(key, _) in creates {
            let reported = creates
                .iter()
                .zip(&written)
                .any(|(&(k, _), &w)| k == key && w);
            assert_eq!(
                reported,
                stored(conn, key),
                "{key} reported written: {reported}"
            );
        }
        written
    }

    #[test]
    fn a_failed_job_is_rolled_back_alone() {
        let dir = tempfile::TempDir::new().expect("a temporary directory");
        let conn = writer_connection(&dir.path().join("a.db"));
        let written = run_batch(&conn, &[("a", 10), ("a", 20), ("b", 10)]);
        assert_eq!(written, [true, false, true]);
    }

    #[test]
    fn a_full_disk_fails_exactly_the_jobs_it_lost() {
        let dir = tempfile::TempDir::new().expect("a temporary directory");
        let conn = writer_connection(&dir.path().join("a.db"));
        run_batch(&conn, &[("seed", 10)]);
        let pages: i64 = conn
            .pragma_query_value(None, "page_count", |row| row.get(0))
            .expect("the page count reads");
        // The file may not grow by more than a few pages: a large write fails with
        // SQLITE_FULL, which may roll back the whole transaction.
        conn.pragma_update(None, "max_page_count", pages + 4)
            .expect("the limit is set");
        let written = run_batch(&conn, &[("a", 10), ("big", 100_000), ("b", 10)]);
        // SQLite rolls the whole transaction back here, so "a" is lost too (and said so); it
        // may also keep it. Either way `run_batch` checked that the replies tell the truth.
        assert!(
            !written[1],
            "the write larger than the disk was reported written"
        );
        assert!(written[2], "the write after the failure was lost");
        let written = run_batch(&conn, &[("c", 10)]);
        assert_eq!(written, [true], "the writer recovers from a full disk");
    }
}
