//! The PostgreSQL store of specstar: several server processes, on several machines, sharing
//! one database.
//!
//! [`PostgresStore`] implements [`Store`] over a pool of `tokio-postgres` connections
//! (`deadpool-postgres`). Open it on a URL ([`PostgresStore::connect`], or the
//! `SPECSTAR_DATABASE_URL` environment variable with [`PostgresStore::from_env`]); it creates
//! its tables in its schema (`public` unless [`PostgresOptions::schema`] says otherwise) by
//! versioned migrations at start-up, under an advisory lock so that processes starting
//! together never trip over each other, and refuses a schema laid out by newer code.
//!
//! Every write is atomic and correct under concurrency **across processes**: a create is one
//! statement; any other write locks the resource's head row, plans with it, appends and
//! commits, in two round trips. Of writers racing from one head exactly one wins; writes with
//! no expectation all land, numbered densely. The store-wide sequence numbers are handed out
//! in commit order, so the change feed ([`Store::changes`]) that follows them never skips a
//! revision. The `write` module's docs say how; the `feed` module says how watchers in one
//! process learn of another's writes (LISTEN/NOTIFY as a hint, never the source of truth).
//!
//! Reads are one statement each (one snapshot, one round trip). Searches become one SQL
//! `SELECT` over expression indexes of the indexed fields (see the `search` module).
//!
//! ```no_run
//! # async fn demo() -> specstar_core::Result<()> {
//! use std::sync::Arc;
//! use specstar_core::Store;
//! use specstar_postgres::{PostgresOptions, PostgresStore};
//!
//! let store: Arc<dyn Store> =
//!     Arc::new(PostgresStore::connect("postgres://app@127.0.0.1:5432/issues").await?);
//! let options = PostgresOptions::from_env()?.schema("tracker")?.pool_size(32);
//! let tuned = PostgresStore::connect_with(options).await?;
//! # Ok(()) }
//! ```

mod analyze;
mod chains;
mod error;
mod export;
mod feed;
mod import;
mod inspect;
mod migrate;
mod nul;
mod options;
mod read;
mod register;
mod retention;
mod rows;
mod search;
mod tls;
mod write;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::stream::BoxStream;
use parking_lot::RwLock;
use specstar_core::{
    Error, Exported, FeedEvent, FeedSignal, Fetched, Head, ImportOptions, ImportReport, Inspection,
    ModelDescriptor, ModelFilter, ModelStats, PruneBounds, Pruned, PurgeRequest, Query,
    RegisteredModel, ResourceId, ResourceMeta, Result, RevisionInfo, RevisionPage, Store,
    StoredRevision, Timestamp, WriteRequest, Written,
};

pub use error::PostgresError;
pub use options::{DATABASE_URL_VAR, DEFAULT_SCHEMA, PostgresOptions};
pub use tls::SslMode;

/// A [`Store`] in a PostgreSQL database, shared safely by any number of processes.
///
/// Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    schema: String,
    /// The indexed fields of each model, as this process registered or last read them: a
    /// search checks its fields against them without a round trip.
    indexed: RwLock<HashMap<String, Arc<search::Fields>>>,
    /// When the heads table's statistics are due (see the `analyze` module).
    freshness: analyze::Freshness,
    /// The change feed's signal, across processes (see the `feed` module).
    feed: feed::FeedHub,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .field("pool", &self.inner.pool.status())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` with the default [`PostgresOptions`], and brings the
    /// `public` schema's tables up to date.
    ///
    /// # Errors
    /// As [`connect_with`](Self::connect_with).
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PostgresOptions::new(url)?).await
    }

    /// Connects to the database named by `SPECSTAR_DATABASE_URL`.
    ///
    /// # Errors
    /// [`PostgresError::MissingUrl`] when it is unset; as [`connect_with`](Self::connect_with).
    pub async fn from_env() -> Result<Self> {
        Self::connect_with(PostgresOptions::from_env()?).await
    }

    /// Connects with `options`: builds the pool, opens a first connection (so that a wrong
    /// URL fails here, not at the first write) and applies the migrations the schema lacks.
    ///
    /// # Errors
    /// [`Error::Store`] with a [`PostgresError`] when the server cannot be reached or refuses
    /// the credentials ([`PostgresError::Pool`]), or the schema is newer than this code
    /// ([`PostgresError::SchemaTooNew`]); PostgreSQL's errors from the migrations.
    pub async fn connect_with(options: PostgresOptions) -> Result<Self> {
        let tls = options.tls_connector()?;
        let manager = Manager::from_config(
            options.connection_config(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.wait_timeout))
            .create_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| {
                Error::store(PostgresError::BuildPool {
                    reason: e.to_string(),
                })
            })?;
        let mut client = connection(&pool).await?;
        migrate::migrate(&mut client, &options.schema).await?;
        drop(client);
        tracing::debug!(schema = %options.schema, "opened postgresql store");
        let feed = feed::FeedHub::start(
            pool.clone(),
            &options.schema,
            options.connection_config(),
            tls,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                feed,
                pool,
                schema: options.schema,
                indexed: RwLock::new(HashMap::new()),
                freshness: analyze::Freshness::default(),
            }),
        })
    }

    /// What the options' schema holds (layout version, models, resource counts), read without
    /// changing anything: no migration runs and no schema is created. Layout 0 and no models
    /// when the schema has no store yet.
    ///
    /// # Errors
    /// [`PostgresError::SchemaTooNew`] for a schema of newer code; [`PostgresError::Connect`]
    /// and PostgreSQL's errors.
    pub async fn inspect(options: &PostgresOptions) -> Result<Inspection> {
        inspect::inspect(options).await
    }

    /// The schema the store's tables are in.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The plan PostgreSQL chooses for a search (`EXPLAIN`, one line per node): to check which
    /// indexes serve a query. The query is checked as [`Store::search`] checks it.
    ///
    /// # Errors
    /// As [`Store::search`].
    pub async fn explain_search(&self, model: &str, query: &Query) -> Result<String> {
        let client = connection(&self.inner.pool).await?;
        let indexed = self.indexed_fields(&client, model).await?;
        search::explain(&client, &indexed, model, query).await
    }

    /// Closes the pool: waiting callers fail, connections close as they come back.
    pub fn close(&self) {
        self.inner.pool.close();
    }

    /// The indexed fields of `model`, from this process's registrations or else the database.
    async fn indexed_fields(&self, client: &Client, model: &str) -> Result<Arc<search::Fields>> {
        if let Some(fields) = self.inner.indexed.read().get(model) {
            return Ok(fields.clone());
        }
        let fields = Arc::new(search::registered_fields(client, model).await?);
        if !fields.paths.is_empty() {
            self.inner
                .indexed
                .write()
                .insert(model.to_owned(), fields.clone());
        }
        Ok(fields)
    }
}

/// A connection from the pool.
pub(crate) async fn connection(pool: &Pool) -> Result<Client> {
    pool.get()
        .await
        .map_err(|e| Error::store(PostgresError::Pool(e)))
}

/// Runs `work` in a task of its own, so that it finishes (and ends its transaction) even when
/// the caller's future is dropped half-way.
async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work)
        .await
        .map_err(|e| Error::store(PostgresError::TaskStopped(e.to_string())))?
}

#[async_trait]
impl Store for PostgresStore {
    async fn register_model(&self, model: &ModelDescriptor) -> Result<()> {
        let inner = self.inner.clone();
        let name = model.name.to_string();
        let model = model.clone();
        let fields = detached(async move {
            let mut client = connection(&inner.pool).await?;
            let fields = register::register(&mut client, &model).await?;
            analyze::analyze(&inner.pool).await?;
            Ok(fields)
        })
        .await?;
        self.inner.indexed.write().insert(name, Arc::new(fields));
        Ok(())
    }

    async fn import(
        &self,
        models: &[ModelDescriptor],
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let loaded = import::import(&self.inner.pool, models, items, options).await?;
        {
            let mut indexed = self.inner.indexed.write();
            for (name, fields) in loaded.fields {
                indexed.insert(name, Arc::new(fields));
            }
        }
        self.inner.feed.committed(loaded.last);
        analyze::analyze(&self.inner.pool).await?;
        Ok(loaded.report)
    }

    async fn write(&self, request: WriteRequest) -> Result<Written> {
        let inner = self.inner.clone();
        let written = detached(async move { write::write(&inner.pool, &request).await }).await?;
        if written.appended {
            self.inner.feed.committed(written.info.sequence);
        }
        if self.inner.freshness.wrote() {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                if let Err(e) = analyze::analyze(&inner.pool).await {
                    tracing::warn!(error = %e, "analyzing the heads table failed");
                }
                inner.freshness.done();
            });
        }
        Ok(written)
    }

    async fn read(&self, resource_id: &ResourceId, number: Option<u64>) -> Result<Option<Fetched>> {
        let client = connection(&self.inner.pool).await?;
        read::fetch(&client, resource_id, number).await
    }

    async fn read_as_of(
        &self,
        resource_id: &ResourceId,
        time: Timestamp,
    ) -> Result<Option<Fetched>> {
        let client = connection(&self.inner.pool).await?;
        read::fetch_as_of(&client, resource_id, time).await
    }

    async fn head(&self, resource_id: &ResourceId) -> Result<Option<Head>> {
        let client = connection(&self.inner.pool).await?;
        read::head(&client, resource_id).await
    }

    async fn revisions_with_data(
        &self,
        resource_id: &ResourceId,
        after_number: u64,
        limit: u64,
    ) -> Result<Option<Vec<StoredRevision>>> {
        let client = connection(&self.inner.pool).await?;
        read::with_data(&client, resource_id, after_number, limit).await
    }

    async fn meta(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>> {
        let client = connection(&self.inner.pool).await?;
        read::meta(&client, resource_id).await
    }

    async fn revisions(
        &self,
        resource_id: &ResourceId,
        page: RevisionPage,
    ) -> Result<Option<Vec<RevisionInfo>>> {
        let client = connection(&self.inner.pool).await?;
        read::page(&client, resource_id, page).await
    }

    async fn changes(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<Vec<FeedEvent>> {
        let client = connection(&self.inner.pool).await?;
        feed::changes(&client, since, limit, filter).await
    }

    fn record_metrics(&self) {
        let status = self.inner.pool.status();
        let idle = status.available;
        let in_use = status.size.saturating_sub(idle);
        metrics::gauge!("specstar_pool_connections", "state" => "in_use").set(in_use as f64);
        metrics::gauge!("specstar_pool_connections", "state" => "idle").set(idle as f64);
        metrics::gauge!("specstar_pool_waiting").set(status.waiting as f64);
        metrics::gauge!("specstar_pool_max_connections").set(status.max_size as f64);
    }

    async fn ready(&self) -> Result<()> {
        let client = connection(&self.inner.pool).await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(Error::store)?;
        Ok(())
    }

    async fn last_sequence(&self) -> Result<u64> {
        let client = connection(&self.inner.pool).await?;
        let stmt = client
            .prepare_cached(specstar_sql::feed::LAST_SEQUENCE_SQL)
            .await
            .map_err(Error::store)?;
        let row = client.query_one(&stmt, &[]).await.map_err(Error::store)?;
        Ok(specstar_sql::int::count(row.get::<_, i64>(0)))
    }

    fn feed_signal(&self) -> Option<FeedSignal> {
        Some(self.inner.feed.signal())
    }

    async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>> {
        let inner = self.inner.clone();
        let purged = detached(async move { write::purge(&inner.pool, &request).await }).await?;
        Ok(purged.map(|(meta, sequence)| {
            self.inner.feed.committed(sequence);
            meta
        }))
    }

    async fn prune(&self, resource_id: &ResourceId, bounds: PruneBounds) -> Result<Option<Pruned>> {
        let client = connection(&self.inner.pool).await?;
        retention::prune(&client, resource_id, bounds).await
    }

    async fn set_pinned(&self, resource_id: &ResourceId, number: u64, pinned: bool) -> Result<()> {
        let client = connection(&self.inner.pool).await?;
        retention::set_pinned(&client, resource_id, number, pinned).await
    }

    async fn pinned(&self, resource_id: &ResourceId) -> Result<Option<Vec<u64>>> {
        let client = connection(&self.inner.pool).await?;
        retention::pinned(&client, resource_id).await
    }

    async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>> {
        export::start(&self.inner.pool).await
    }

    async fn registered_models(&self) -> Result<Vec<RegisteredModel>> {
        let client = connection(&self.inner.pool).await?;
        read::registered_models(&client).await
    }

    async fn stats(&self) -> Result<Vec<ModelStats>> {
        let client = connection(&self.inner.pool).await?;
        read::stats(&client).await
    }

    async fn count(&self, model: &str, include_deleted: bool) -> Result<u64> {
        let client = connection(&self.inner.pool).await?;
        read::count(&client, model, include_deleted).await
    }

    async fn search(&self, model: &str, query: &Query) -> Result<Vec<ResourceMeta>> {
        let client = connection(&self.inner.pool).await?;
        let indexed = self.indexed_fields(&client, model).await?;
        search::search(&client, &indexed, model, query).await
    }

    async fn count_matching(&self, model: &str, query: &Query) -> Result<u64> {
        let client = connection(&self.inner.pool).await?;
        let indexed = self.indexed_fields(&client, model).await?;
        search::count(&client, &indexed, model, query).await
    }
}
