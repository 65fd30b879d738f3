//! The embedded on-disk store of specstar: every resource in one SQLite file.
//!
//! [`SqliteStore`] implements [`Store`] over one file in WAL mode. A write returns only once its
//! commit is fsynced (`synchronous=FULL`), so an acknowledged write survives a crash or a
//! power cut: this crate's crash test (`tests/crash.rs`) kills a writing process at random
//! moments and finds every acknowledged revision after each kill.
//!
//! Durability at every write would cap throughput at one write per fsync. The store avoids
//! that with **group commit**: every write goes to one writer thread, which commits whatever
//! writes queued up while it was busy in one transaction, with one fsync. One caller alone
//! pays one fsync per write, as it must; 32 concurrent callers share fsyncs and get several
//! times the throughput (the slower the disk's fsync, the larger the gain; see
//! `specstar-bench`'s `examples/write_rate.rs`). Each write still runs in its own savepoint, so one write's error never
//! touches another. See the `writer` module for the details.
//!
//! Reads do not queue behind writes: WAL lets readers run beside the writer, each on a
//! snapshot of the last commit. They run inline on the calling task over a small pool of
//! read-only connections, because a read is a point lookup served from the page cache, cheaper
//! than a hop to a blocking thread would be.
//!
//! The layout: a `heads` table (one row per resource, its meta), a `revisions` table (every
//! revision, immutable, with its data and a store-wide `AUTOINCREMENT` sequence) and a `models`
//! table; `PRAGMA user_version` numbers the layout so that later versions can migrate files.
//!
//! ```no_run
//! # async fn demo() -> specstar_core::Result<()> {
//! use std::sync::Arc;
//! use specstar_core::Store;
//! use specstar_sqlite::{SqliteOptions, SqliteStore};
//!
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::open("data/specstar.db")?);
//! let tuned = SqliteStore::open_with("data/other.db", SqliteOptions::default().max_batch(128))?;
//! tuned.check_integrity()?;
//! # Ok(()) }
//! ```

mod access;
mod apply;
mod backfill;
mod chains;
mod elements;
mod error;
mod export;
mod import;
mod indexes;
mod inspect;
mod integrity;
mod reader;
mod retention;
mod rows;
mod schema;
mod search;
mod slots;
mod stats;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use rusqlite::{Connection, OpenFlags};
use specstar_core::{
    Error, Exported, FeedEvent, FeedSignal, Fetched, Head, ImportOptions, ImportReport, Inspection,
    ModelDescriptor, ModelFilter, ModelStats, PruneBounds, Pruned, PurgeRequest, Query,
    RegisteredModel, ResourceId, ResourceMeta, Result, RevisionInfo, RevisionPage, Store,
    StoredRevision, Timestamp, WriteRequest, Written,
};

pub use error::SqliteError;

use reader::ReadPool;
use schema::WriterSettings;
use stats::StatsCache;
use writer::Writer;

/// How a [`SqliteStore`] is run. Build it from [`Default`] and the setters.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    max_batch: usize,
    read_connections: usize,
    busy_timeout: Duration,
    wal_autocheckpoint: u32,
    journal_size_limit: u64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(4, |n| n.get());
        Self {
            max_batch: 512,
            read_connections: threads.clamp(2, 16),
            busy_timeout: Duration::from_secs(5),
            wal_autocheckpoint: 1000,
            journal_size_limit: 64 << 20,
        }
    }
}

impl SqliteOptions {
    /// The most writes committed together in one transaction (one fsync); default 512. A
    /// larger batch shares fsyncs among more writers but delays the replies of its first ones.
    #[must_use]
    pub fn max_batch(mut self, jobs: usize) -> Self {
        self.max_batch = jobs.max(1);
        self
    }

    /// How many read-only connections serve reads at once; default the number of CPUs, from
    /// 2 to 16. Readers beyond that wait for a free connection.
    #[must_use]
    pub fn read_connections(mut self, connections: usize) -> Self {
        self.read_connections = connections.max(1);
        self
    }

    /// How long a connection waits for a lock held by another process (another store open on
    /// the same file) before failing; default 5 s.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The WAL size, in pages, past which the writer copies the WAL back into the database
    /// file after a commit (SQLite's `wal_autocheckpoint`); default 1000 pages (4 MiB). The
    /// checkpoint costs one extra fsync per so many pages, and lets the WAL be rewritten from
    /// its start rather than grow. 0 turns checkpoints off (the WAL then grows until the store
    /// is closed).
    #[must_use]
    pub fn wal_autocheckpoint(mut self, pages: u32) -> Self {
        self.wal_autocheckpoint = pages;
        self
    }

    /// The size in bytes the WAL file is cut back to after a checkpoint, once a burst of
    /// writes grew it past that; default 64 MiB.
    #[must_use]
    pub fn journal_size_limit(mut self, bytes: u64) -> Self {
        self.journal_size_limit = bytes;
        self
    }
}

/// A [`Store`] in one SQLite file, durable at every write, with group commit.
///
/// Open it with [`open`](Self::open) and share it as `Arc<dyn Store>`. Dropping the last
/// reference waits for the writes in flight to commit and closes the file.
pub struct SqliteStore {
    path: PathBuf,
    /// How long a connection of an export waits for a lock.
    busy_timeout: Duration,
    // Dropped before the writer, so that the writer's connection is the last one to close and
    // checkpoints the WAL into the file.
    readers: ReadPool,
    writer: Writer,
    /// Measured by the writer, read by searches to choose their index.
    stats: Arc<StatsCache>,
    /// Raised by the writer after each commit that fed the change feed.
    signal: FeedSignal,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store in the file at `path`, creating the file and its missing parent
    /// directories when needed, with the default [`SqliteOptions`].
    ///
    /// Blocks while it opens the file (and recovers it after a crash): call it at start-up.
    ///
    /// # Errors
    /// [`Error::Store`] when the file cannot be opened or created, is not an SQLite database,
    /// cannot use WAL, or was written by a newer version ([`SqliteError::SchemaTooNew`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// What the file at `path` holds (layout version, models, resource counts), read without
    /// changing anything: no migration runs and no file is created. Layout 0 and no models
    /// when there is no file.
    ///
    /// # Errors
    /// [`SqliteError::SchemaTooNew`] for a file of newer code; SQLite's errors.
    pub fn inspect(path: impl AsRef<Path>) -> Result<Inspection> {
        inspect::inspect(path.as_ref())
    }

    /// Opens the store in the file at `path` with `options`; see [`open`](Self::open).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| {
                Error::store(SqliteError::CreateDir {
                    path: dir.to_owned(),
                    source,
                })
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(Error::store)?;
        let settings = WriterSettings {
            busy_timeout: options.busy_timeout,
            wal_autocheckpoint: options.wal_autocheckpoint,
            journal_size_limit: i64::try_from(options.journal_size_limit).unwrap_or(i64::MAX),
        };
        schema::configure_writer(&conn, &path, settings)?;
        schema::migrate(&mut conn, &path)?;
        let readers = ReadPool::open(&path, options.read_connections, options.busy_timeout)?;
        let stats = Arc::new(StatsCache::default());
        let signal = FeedSignal::new();
        let writer = Writer::start(conn, options.max_batch, stats.clone(), signal.clone())?;
        tracing::debug!(path = %path.display(), "opened sqlite store");
        Ok(Self {
            path,
            busy_timeout: options.busy_timeout,
            readers,
            writer,
            stats,
            signal,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the whole file and returns every problem found.
    ///
    /// It runs SQLite's `PRAGMA integrity_check` (the B-trees, indexes and pages are sound),
    /// then checks the store's own invariants on one snapshot: every head has its current
    /// revision, every revision has a head, the revision numbers of each resource run densely
    /// from 1 to its revision count with the newest one current, the head's data hash and chain
    /// hash are its current revision's, and every revision's data hashes to its recorded data
    /// hash. (The chain itself, resource by resource, is what `verify` recomputes.)
    ///
    /// It reads the whole file: it blocks for as long as that takes (use `spawn_blocking` in
    /// async code). Writes go on meanwhile and are not seen.
    ///
    /// # Errors
    /// [`Error::Corrupt`] listing the problems (the first 50, and how many more); store errors.
    pub fn check_integrity(&self) -> Result<()> {
        let problems = self.readers.with(|conn| {
            let tx = conn.transaction().map_err(Error::store)?;
            let problems = integrity::problems(&tx)?;
            tx.commit().map_err(Error::store)?;
            Ok(problems)
        })?;
        if problems.is_empty() {
            return Ok(());
        }
        tracing::error!(path = %self.path.display(), problems = problems.len(), "integrity check failed");
        Err(Error::Corrupt {
            what: format!("sqlite store {}", self.path.display()),
            reason: integrity::report(&problems),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn register_model(&self, model: &ModelDescriptor) -> Result<()> {
        self.writer.register_model(model.clone()).await
    }

    async fn import(
        &self,
        models: &[ModelDescriptor],
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        import::import(&self.writer, models, items, options).await
    }

    async fn write(&self, request: WriteRequest) -> Result<Written> {
        self.writer.write(request).await
    }

    async fn read(&self, resource_id: &ResourceId, number: Option<u64>) -> Result<Option<Fetched>> {
        self.readers.with(|conn| {
            // One snapshot for the head and the revision.
            let tx = conn.transaction().map_err(Error::store)?;
            let fetched = rows::fetch(&tx, resource_id, number)?;
            tx.commit().map_err(Error::store)?;
            Ok(fetched)
        })
    }

    async fn read_as_of(
        &self,
        resource_id: &ResourceId,
        time: Timestamp,
    ) -> Result<Option<Fetched>> {
        self.readers.with(|conn| {
            // One snapshot for the head and the revision.
            let tx = conn.transaction().map_err(Error::store)?;
            let fetched = rows::fetch_as_of(&tx, resource_id, time)?;
            tx.commit().map_err(Error::store)?;
            Ok(fetched)
        })
    }

    async fn head(&self, resource_id: &ResourceId) -> Result<Option<Head>> {
        self.readers.with(|conn| rows::head(conn, resource_id))
    }

    async fn revisions_with_data(
        &self,
        resource_id: &ResourceId,
        after_number: u64,
        limit: u64,
    ) -> Result<Option<Vec<StoredRevision>>> {
        self.readers.with(|conn| {
            // One snapshot for the head (whether the resource exists) and the revisions.
            let tx = conn.transaction().map_err(Error::store)?;
            let revisions = rows::with_data(&tx, resource_id, after_number, limit)?;
            tx.commit().map_err(Error::store)?;
            Ok(revisions)
        })
    }

    async fn meta(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>> {
        self.readers
            .with(|conn| Ok(rows::head(conn, resource_id)?.map(|head| head.meta)))
    }

    async fn revisions(
        &self,
        resource_id: &ResourceId,
        page: RevisionPage,
    ) -> Result<Option<Vec<RevisionInfo>>> {
        self.readers.with(|conn| {
            // One snapshot for the head (the count) and the revisions.
            let tx = conn.transaction().map_err(Error::store)?;
            let infos = rows::page(&tx, resource_id, page)?;
            tx.commit().map_err(Error::store)?;
            Ok(infos)
        })
    }

    async fn changes(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<Vec<FeedEvent>> {
        self.readers
            .with(|conn| rows::changes(conn, since, limit, filter))
    }

    async fn last_sequence(&self) -> Result<u64> {
        self.readers.with(|conn| {
            let last: i64 = conn
                .prepare_cached(specstar_sql::feed::LAST_SEQUENCE_SQL)
                .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
                .map_err(Error::store)?;
            Ok(specstar_sql::int::count(last))
        })
    }

    fn feed_signal(&self) -> Option<FeedSignal> {
        Some(self.signal.clone())
    }

    async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>> {
        self.writer.purge(request).await
    }

    async fn prune(&self, resource_id: &ResourceId, bounds: PruneBounds) -> Result<Option<Pruned>> {
        self.writer.prune(resource_id.clone(), bounds).await
    }

    async fn set_pinned(&self, resource_id: &ResourceId, number: u64, pinned: bool) -> Result<()> {
        self.writer
            .set_pinned(resource_id.clone(), number, pinned)
            .await
    }

    async fn pinned(&self, resource_id: &ResourceId) -> Result<Option<Vec<u64>>> {
        self.readers
            .with(|conn| retention::pinned(conn, resource_id))
    }

    async fn reclaim(&self) -> Result<u64> {
        self.writer.reclaim().await
    }

    async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>> {
        export::start(&self.path, self.busy_timeout).await
    }

    async fn registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.readers.with(|conn| rows::registered_models(conn))
    }

    async fn stats(&self) -> Result<Vec<ModelStats>> {
        self.readers.with(|conn| {
            // One snapshot for the models, heads and revisions.
            let tx = conn.transaction().map_err(Error::store)?;
            let stats = rows::stats(&tx)?;
            tx.commit().map_err(Error::store)?;
            Ok(stats)
        })
    }

    async fn count(&self, model: &str, include_deleted: bool) -> Result<u64> {
        self.readers
            .with(|conn| rows::count(conn, model, include_deleted))
    }

    async fn search(&self, model: &str, query: &Query) -> Result<Vec<ResourceMeta>> {
        self.readers.with(|conn| {
            // One snapshot for the model's fields and the heads.
            let tx = conn.transaction().map_err(Error::store)?;
            let found = search::search(&tx, model, query, self.stats.get(model).as_deref())?;
            tx.commit().map_err(Error::store)?;
            Ok(found)
        })
    }

    async fn count_matching(&self, model: &str, query: &Query) -> Result<u64> {
        self.readers.with(|conn| {
            let tx = conn.transaction().map_err(Error::store)?;
            let count = search::count(&tx, model, query, self.stats.get(model).as_deref())?;
            tx.commit().map_err(Error::store)?;
            Ok(count)
        })
    }
}
