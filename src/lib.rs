#![doc = include_str!("../README.md")]
//!
//! # Deriving through specstar's re-exports
//!
//! To be sure the versions of serde and schemars match specstar's, derive through the
//! re-exports instead of depending on them yourself:
//!
//! ```
//! #[derive(specstar::Serialize, specstar::Deserialize, specstar::JsonSchema)]
//! #[serde(crate = "specstar::serde")]
//! #[schemars(crate = "specstar::schemars")]
//! struct Issue { title: String }
//!
//! let schema = specstar::Schema::<Issue>::new("v1");
//! assert_eq!(schema.build()?.name(), "issue");
//! # Ok::<(), specstar::Error>(())
//! ```
//!
//! A type without them is refused at compile time with an error that names the versions
//! (`` `NoSchema` is not a specstar model: it needs serde 1's `Serialize` and `Deserialize` and
//! schemars 1's `JsonSchema` ``):
//!
//! ```compile_fail,E0277
//! #[derive(specstar::Serialize, specstar::Deserialize)]
//! #[serde(crate = "specstar::serde")]
//! struct NoSchema { title: String }
//!
//! let schema = specstar::Schema::<NoSchema>::new("v1");
//! ```
//!
//! # The crates
//!
//! The layers are crates of their own: [`specstar_core`] (ids, revisions, the store interface,
//! the resource managers), `specstar-memory`, `specstar-sqlite` and `specstar-postgres` (the
//! stores), [`http`] (the REST API, with the `http` feature), all re-exported here.

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;

/// The `Stream` combinators (`next`, `collect`…) to read [`ResourceManager::iter_all`] with.
pub use futures_util::stream::{BoxStream, Stream, StreamExt};
/// schemars 1, the version models' `JsonSchema` must come from.
pub use schemars;
/// The JSON Schema derive and trait models need, schemars 1 (the crate itself: [`schemars`]).
pub use schemars::JsonSchema;
/// serde 1, the version models' `Serialize` and `Deserialize` must come from.
pub use serde;
/// The serde derives and traits models need (the crate itself: [`serde`]).
pub use serde::{Deserialize, Serialize};
/// The store conformance suite, for the tests of a store of your own: `store_suite!` expands to
/// one test per scenario of the contract (see `examples/custom_store.rs`).
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub use specstar_conformance as conformance;
pub use specstar_core::*;
/// The REST API on axum: the router, its [`HttpConfig`](specstar_http::HttpConfig), problems
/// and user resolver.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[doc(inline)]
pub use specstar_http as http;
pub use specstar_memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use specstar_postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use specstar_sqlite::SqliteStore;

/// The environment variable naming the PostgreSQL database: `SPECSTAR_DATABASE_URL`.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use specstar_postgres::DATABASE_URL_VAR;

/// The name of the database file [`Spec::open`] keeps in its directory.
pub const DATABASE_FILE: &str = "specstar.db";

/// What [`Spec::prune_all`] did: per model with a retention policy, its report; and the bytes
/// the store gave back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneRun {
    /// Each pruned model's name and report, in registration order.
    pub models: Vec<(String, PruneReport)>,
    /// The bytes the store gave back to the file system ([`Store::reclaim`]).
    pub reclaimed_bytes: u64,
}

/// The application's models and the store they live in: the entry point of specstar.
///
/// Cheap to clone; clones share the models and the store.
#[derive(Clone, Debug)]
pub struct Spec {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    context: WriteContext,
}

impl Spec {
    /// A spec over the embedded on-disk store: one SQLite file, `specstar.db`, in `dir`
    /// (created if missing). Reopening the same directory resumes everything.
    ///
    /// # Errors
    /// When the directory or the database cannot be created or opened.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub fn open(dir: impl AsRef<std::path::Path>) -> Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(Error::store)?;
        let store = SqliteStore::open(dir.join(DATABASE_FILE))?;
        Ok(Self::with_store(Arc::new(store)))
    }

    /// A spec over PostgreSQL at `url` (`postgres://user:password@host:5432/db`), in the
    /// `public` schema: several processes connected to one database share every resource,
    /// safely. The tables are created, or upgraded, at start-up.
    ///
    /// ```no_run
    /// # async fn demo() -> specstar::Result<()> {
    /// let url = std::env::var(specstar::DATABASE_URL_VAR).expect("a database url");
    /// let spec = specstar::Spec::connect(&url).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the URL does not parse, the server does not answer or refuses, or the schema was
    /// laid out by a newer version.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PostgresOptions::new(url)?).await
    }

    /// A spec over the PostgreSQL database named by `SPECSTAR_DATABASE_URL`.
    ///
    /// # Errors
    /// When the variable is unset or empty; as [`connect`](Self::connect).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn from_env() -> Result<Self> {
        Self::connect_with(PostgresOptions::from_env()?).await
    }

    /// A spec over PostgreSQL with `options`: a schema of its own, the pool's size.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn connect_with(options: PostgresOptions) -> Result<Self> {
        let store = PostgresStore::connect_with(options).await?;
        Ok(Self::with_store(Arc::new(store)))
    }

    /// A spec over a store in memory, gone when the process ends: for tests and demos.
    pub fn in_memory() -> Self {
        Self::with_store(Arc::new(MemoryStore::new()))
    }

    /// A spec over any store.
    pub fn with_store(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            registry: Arc::new(Registry::new()),
            context: WriteContext::default(),
        }
    }

    /// The same spec whose resource managers act with `context` (user and clock) by default.
    #[must_use]
    pub fn with_context(mut self, context: WriteContext) -> Self {
        self.context = context;
        self
    }

    /// Registers a model: checks its schema, then prepares the store for it.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`] (a bad name, an indexed field the model does not have),
    /// [`Error::DuplicateModel`], or the store's error.
    pub async fn add_model<T: Model>(&self, schema: Schema<T>) -> Result<Arc<ModelDef>> {
        self.add_model_def(schema.build()?).await
    }

    /// Registers a model already built: one declared by a JSON Schema
    /// ([`JsonSchemaModel`]), or any [`ModelDef`]. It is then served and searched like a
    /// typed model, through [`dyn_resource_manager`](Self::dyn_resource_manager) and the
    /// router.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), specstar::Error> {
    /// let spec = specstar::Spec::in_memory();
    /// let schema = serde_json::json!({
    ///     "type": "object",
    ///     "properties": {"author": {"type": "object", "properties": {"name": {"type": "string"}}}}
    /// });
    /// let model = specstar::JsonSchemaModel::new("note", "v1", schema).index("author.name");
    /// spec.add_model_def(model.build()?).await?;
    /// let notes = spec.dyn_resource_manager("note")?;
    /// notes.create(serde_json::json!({"author": {"name": "ann"}})).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::DuplicateModel`], or the store's error.
    pub async fn add_model_def(&self, model: ModelDef) -> Result<Arc<ModelDef>> {
        let model = self.registry.add(model)?;
        let registered = async {
            DynResourceManager::new(model.clone(), self.store.clone())
                .check_migratable()
                .await?;
            self.store
                .register_model(&ModelDescriptor::from(&*model))
                .await
        };
        if let Err(error) = registered.await {
            self.registry.remove(model.name());
            return Err(error);
        }
        Ok(model)
    }

    /// The resource manager of the model declared with `T`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`] when `T` was not registered.
    pub fn resource_manager<T: Model>(&self) -> Result<ResourceManager<T>> {
        let model = self.registry.get_type::<T>()?;
        Ok(ResourceManager::new(model, self.store.clone())?.with_context(self.context.clone()))
    }

    /// Migrates every live resource of the model declared with `T` whose current revision is
    /// of an older schema version: one revision of action `migrate` each, `progress` called as
    /// it goes (see [`DynResourceManager::migrate_all`]). Running it again does nothing.
    ///
    /// # Errors
    /// [`Error::UnknownModel`]; as [`DynResourceManager::migrate_all`].
    pub async fn migrate_all<T: Model>(
        &self,
        progress: impl FnMut(MigrationProgress) + Send,
    ) -> Result<MigrationReport> {
        self.resource_manager::<T>()?.migrate_all(progress).await
    }

    /// Prunes every registered model by its declared retention
    /// ([`Schema::retention`](specstar_core::Schema::retention); models that declare none are
    /// left whole), then gives the space freed back where the store can ([`Store::reclaim`]):
    /// what `specstar serve` runs in the background and `specstar prune` runs once. Each
    /// resource is pruned in its own atomic step, so it is safe while the store serves.
    ///
    /// # Errors
    /// Store errors (what was pruned before stays pruned).
    pub async fn prune_all(&self) -> Result<PruneRun> {
        let mut run = PruneRun::default();
        for model in self.registry.all() {
            let policy = model.retention();
            if policy.keeps_everything() {
                continue;
            }
            let name = model.name().to_owned();
            let report = DynResourceManager::new(model, self.store.clone())
                .with_context(self.context.clone())
                .prune_all(&policy)
                .await?;
            run.models.push((name, report));
        }
        run.reclaimed_bytes = self.store.reclaim().await?;
        Ok(run)
    }

    /// The untyped resource manager of the model named `name`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`].
    pub fn dyn_resource_manager(&self, name: &str) -> Result<DynResourceManager> {
        let model = self.registry.get(name)?;
        Ok(DynResourceManager::new(model, self.store.clone()).with_context(self.context.clone()))
    }

    /// The REST API of every registered model (the reference's `spec.apply(app)`), with
    /// `/openapi.json` and `/docs`: an axum [`Router`](specstar_http::axum::Router) to serve or
    /// nest (`Router::new().nest("/api", spec.router())` serves `/api/docs` too). It follows the
    /// models: one added later with [`add_model`](Self::add_model) is served from the next
    /// request on.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let spec = specstar::Spec::in_memory();
    /// let app = specstar::http::axum::Router::new().nest("/api", spec.router());
    /// spec.add_model(specstar::Schema::<Issue>::new("v1")).await?; // served at /api/issue
    /// # let _ = app;
    /// # Ok::<(), specstar::Error>(())
    /// # }).unwrap();
    /// ```
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn router(&self) -> specstar_http::axum::Router {
        self.router_with(specstar_http::HttpConfig::new())
    }

    /// [`router`](Self::router) with HTTP settings: the body limit, page sizes, how the acting
    /// user is derived from a request, the OpenAPI title, version and description.
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn router_with(&self, config: specstar_http::HttpConfig) -> specstar_http::axum::Router {
        // The spec's global hooks run over HTTP too, unless the config names its own.
        let hooks = self.context.hooks();
        let config = if config.hooks().is_empty() && !hooks.is_empty() {
            config.with_hooks(hooks.clone())
        } else {
            config
        };
        specstar_http::router(self.registry.clone(), self.store.clone(), config)
    }

    /// A page of the change feed: the events of every model after sequence number `since` (each
    /// revision appended, each permanent delete), in sequence order, at most `limit` (1 to
    /// [`MAX_FEED_LIMIT`]). Page on with `since` set to the page's `last_seq`: every event is
    /// seen exactly once, in order, even while writers run.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for a limit out of bounds; store errors.
    pub async fn changes(&self, since: u64, limit: usize) -> Result<FeedPage> {
        self.changes_of(since, limit, &ModelFilter::all()).await
    }

    /// [`changes`](Self::changes) of the models `filter` admits only.
    ///
    /// # Errors
    /// As [`changes`](Self::changes).
    pub async fn changes_of(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<FeedPage> {
        specstar_core::feed::changes(&*self.store, since, limit, filter).await
    }

    /// The change feed after `since` as a stream that stays open: it yields the events there
    /// are, then each new one as it commits, in this process or (on PostgreSQL) any other. It
    /// reads from the store as it is polled, so a consumer that falls behind holds no backlog
    /// in memory and is caught up from the store. A store error is yielded once and the stream
    /// goes on.
    pub fn watch(&self, since: u64) -> impl Stream<Item = Result<FeedEvent>> + Send + 'static {
        self.watch_of(since, ModelFilter::all())
    }

    /// [`watch`](Self::watch) of the models `filter` admits only.
    pub fn watch_of(
        &self,
        since: u64,
        filter: ModelFilter,
    ) -> impl Stream<Item = Result<FeedEvent>> + Send + 'static {
        specstar_core::feed::watch(self.store.clone(), since, filter)
    }

    /// Everything the store holds, from one snapshot, as a stream (see [`Store::export`]): what
    /// [`import`](Self::import) loads into another store.
    ///
    /// # Errors
    /// Store errors.
    pub async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>> {
        self.store.export().await
    }

    /// Loads an export into this spec's store, all or nothing, for the registered models (see
    /// [`Store::import`] and [the import rules](specstar_core::import)): revision ids, hashes,
    /// chains, times and users are kept, sequence numbers move past the store's last.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), specstar::Error> {
    /// let old = specstar::Spec::in_memory();
    /// old.add_model(specstar::Schema::<Issue>::new("v1")).await?;
    /// old.resource_manager::<Issue>()?.create(Issue { title: "moved".into() }).await?;
    ///
    /// let new = specstar::Spec::in_memory();
    /// new.add_model(specstar::Schema::<Issue>::new("v1")).await?;
    /// let options = specstar::ImportOptions::new("migration");
    /// let report = new.import(old.export().await?, &options).await?;
    /// assert_eq!(report.resources, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownModel`] for a resource of a model not registered here; as
    /// [`Store::import`].
    pub async fn import(
        &self,
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let models: Vec<ModelDescriptor> = self
            .registry
            .all()
            .iter()
            .map(|model| ModelDescriptor::from(&**model))
            .collect();
        self.store.import(&models, items, options).await
    }

    /// The registered models.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
