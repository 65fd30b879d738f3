//! The typed resource manager: the user's struct in and out.

use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt};

use crate::chain::Verification;
use crate::context::WriteContext;
use crate::diff::Diff;
use crate::error::{Error, Result};
use crate::id::RevisionRef;
use crate::meta::ResourceMeta;
use crate::query::Query;
use crate::revision::{Action, RevisionInfo};
use crate::schema::{EncodedData, Model, ModelDef};
use crate::store::{RevisionPage, Store};
use crate::time::{Clock, Timestamp};

use super::dynamic::{DataPatch, DynResource, DynResourceManager};

/// One revision of a resource with its data decoded into the model's type.
#[derive(Clone, Debug)]
pub struct Resource<T> {
    /// The data of the revision.
    pub data: T,
    /// The revision's info.
    pub info: RevisionInfo,
    /// The resource's head.
    pub meta: ResourceMeta,
}

/// The resource manager of one model, typed over the model's struct `T`.
///
/// Cheap to clone. Every write records the acting user and the time: set them per scope with
/// [`as_user`](Self::as_user) and [`with_clock`](Self::with_clock), which return a new manager,
/// or per call with `mgr.as_user("bob").update(…)`.
///
/// The writes, each appending one revision (`issue:<uuid>:1`, `:2`, …), and the errors
/// that say why one was refused:
///
/// ```
/// # use std::sync::Arc;
/// # use specstar_core::{ModelDescriptor, ResourceManager, Schema, Store};
/// # #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// # struct Issue { title: String, status: String, assignee: Option<String> }
/// # fn issue(title: &str, status: &str) -> Issue {
/// #     Issue { title: title.into(), status: status.into(), assignee: None }
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
/// # let model = Arc::new(Schema::<Issue>::new("v1").index("status").build()?);
/// # store.register_model(&ModelDescriptor::from(&*model)).await?;
/// # let mgr = ResourceManager::<Issue>::new(model, store)?;
/// use specstar_core::{Action, Error};
///
/// let info = mgr.create(issue("Search returns duplicates", "open")).await?;
/// let id = &info.resource_id;
/// let second = mgr.as_user("bob").update(id, issue("Search returns duplicates", "in_progress")).await?;
/// assert_eq!(second.revision_id.number(), 2);
/// assert_eq!(&*second.created_by, "bob");
///
/// // Optimistic concurrency: write only if revision 1 is still current. It is not.
/// match mgr.update_if(id, issue("stale", "open"), &info.revision_id).await {
///     Err(Error::Conflict { expected, actual }) => {
///         assert_eq!((expected.number(), actual.number()), (1, 2)); // nothing was written
///     }
///     other => panic!("expected a conflict, got {other:?}"),
/// }
///
/// let tombstone = mgr.delete(id).await?;                  // :3, a tombstone revision
/// assert!(matches!(mgr.get(id).await, Err(Error::Deleted { .. })));
/// let first = mgr.get_revision(id, &info.revision_id).await?;   // still readable
/// assert_eq!(first.data.status, "open");
/// mgr.restore(id).await?;                                 // :4, live again
/// let reverted = mgr.revert(id, &info.revision_id).await?;     // :5, a copy of :1
/// assert_eq!(reverted.action, Action::Revert);
/// assert_eq!(mgr.get(id).await?.data.status, "open");
/// assert_eq!(mgr.list_revisions(id).await?.len(), 5);
/// # let _ = tombstone;
/// # Ok::<(), specstar_core::Error>(())
/// # }).unwrap();
/// ```
pub struct ResourceManager<T> {
    inner: DynResourceManager,
    model: PhantomData<fn() -> T>,
}

impl<T> Clone for ResourceManager<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            model: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ResourceManager<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ResourceManager").field(&self.inner).finish()
    }
}

impl<T: Model> ResourceManager<T> {
    /// A manager of `model` (registered from `T`) in `store`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`] when `model` was not declared with the type `T`.
    pub fn new(model: Arc<ModelDef>, store: Arc<dyn Store>) -> Result<Self> {
        if model.type_id() != Some(std::any::TypeId::of::<T>()) {
            return Err(Error::UnknownModel {
                model: format!(
                    "{} declared with type {}",
                    model.name(),
                    std::any::type_name::<T>()
                ),
            });
        }
        Ok(Self::from_dyn(DynResourceManager::new(model, store)))
    }

    fn from_dyn(inner: DynResourceManager) -> Self {
        Self {
            inner,
            model: PhantomData,
        }
    }

    /// The untyped manager underneath.
    pub fn dynamic(&self) -> &DynResourceManager {
        &self.inner
    }

    /// The model managed.
    pub fn model(&self) -> &Arc<ModelDef> {
        self.inner.model()
    }

    /// The same manager acting as `user`.
    #[must_use]
    pub fn as_user(&self, user: impl Into<Arc<str>>) -> Self {
        Self::from_dyn(self.inner.with_context(self.inner.context().as_user(user)))
    }

    /// The same manager reading time from `clock`.
    #[must_use]
    pub fn with_clock(&self, clock: impl Clock) -> Self {
        Self::from_dyn(
            self.inner
                .with_context(self.inner.context().with_clock(clock)),
        )
    }

    /// The same manager with another user and clock.
    #[must_use]
    pub fn with_context(&self, context: WriteContext) -> Self {
        Self::from_dyn(self.inner.with_context(context))
    }

    /// The same manager within a row scope: see [`DynResourceManager::within`].
    ///
    /// # Errors
    /// As [`DynResourceManager::within`].
    pub fn within(&self, scope: crate::query::Filter) -> Result<Self> {
        Ok(Self::from_dyn(self.inner.within(scope)?))
    }

    /// The typed write path: `data` as JSON (refusing what JSON cannot hold, such as `NaN`,
    /// with its field path), encoded.
    fn encode(&self, data: &T) -> Result<EncodedData> {
        let value = crate::json::to_json(data).map_err(|errors| Error::Validation {
            model: self.model().name().to_owned(),
            errors,
        })?;
        Ok(self.model().encode_valid(&value))
    }

    /// A revision read, with its data decoded into `T`. Data that no longer fits (the model
    /// changed since it was written) is [`Error::DoesNotFitModel`] naming the revision and
    /// every field that does not fit.
    fn typed(model: &ModelDef, resource: DynResource) -> Result<Resource<T>> {
        let value = resource.data_value()?;
        let data = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(data) => data,
            Err(e) => {
                let errors = match model.encode(value) {
                    Err(Error::Validation { errors, .. }) => errors,
                    _ => crate::error::FieldErrors(vec![crate::error::FieldError {
                        path: crate::json::json_path(&e.path().to_string()),
                        reason: e.inner().to_string(),
                    }]),
                };
                return Err(model.does_not_fit(&resource.info, errors));
            }
        };
        Ok(Resource {
            data,
            info: resource.info,
            meta: resource.meta,
        })
    }

    fn decode(&self, resource: DynResource) -> Result<Resource<T>> {
        Self::typed(self.model(), resource)
    }

    /// Creates a resource with a generated id; returns its revision 1.
    ///
    /// # Errors
    /// Store errors.
    pub async fn create(&self, data: T) -> Result<RevisionInfo> {
        let data = self.encode(&data)?;
        Ok(self.inner.create_encoded(None, data).await?.info)
    }

    /// Creates a resource with the caller's id (a bare key or `{model}:{key}`).
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], id and store errors.
    pub async fn create_with_id(&self, id: impl AsRef<str>, data: T) -> Result<RevisionInfo> {
        let data = self.encode(&data)?;
        Ok(self
            .inner
            .create_encoded(Some(id.as_ref()), data)
            .await?
            .info)
    }

    /// Replaces the data with a new revision; unchanged data appends nothing and returns the
    /// current revision.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::Deleted`], id and store errors.
    pub async fn update(&self, id: impl AsRef<str>, data: T) -> Result<RevisionInfo> {
        let data = self.encode(&data)?;
        let written = self
            .inner
            .put_encoded(id.as_ref(), data, Action::Update, None)
            .await?;
        Ok(written.info)
    }

    /// [`update`](Self::update) only if `expected` (a revision id) is still the current
    /// revision; otherwise [`Error::Conflict`] and nothing is written.
    ///
    /// # Errors
    /// As [`update`](Self::update), plus [`Error::Conflict`].
    pub async fn update_if(
        &self,
        id: impl AsRef<str>,
        data: T,
        expected: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        let data = self.encode(&data)?;
        let written = self
            .inner
            .put_encoded(
                id.as_ref(),
                data,
                Action::Update,
                Some(&expected as &dyn RevisionRef),
            )
            .await?;
        Ok(written.info)
    }

    /// Applies a JSON Patch or merge patch to the current data as a new revision.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use specstar_core::{ModelDescriptor, ResourceManager, Schema, Store};
    /// # #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String, status: String, assignee: Option<String> }
    /// # fn issue(title: &str, status: &str) -> Issue {
    /// #     Issue { title: title.into(), status: status.into(), assignee: None }
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    /// # let model = Arc::new(Schema::<Issue>::new("v1").index("status").build()?);
    /// # store.register_model(&ModelDescriptor::from(&*model)).await?;
    /// # let mgr = ResourceManager::<Issue>::new(model, store)?;
    /// use specstar_core::DataPatch;
    ///
    /// let info = mgr.create(issue("Search returns duplicates", "open")).await?;
    /// // An RFC 6902 JSON Patch, built from its JSON form; `test` makes it conditional on the data.
    /// let ops: specstar_core::json_patch::Patch = serde_json::from_value(serde_json::json!([
    ///     { "op": "test", "path": "/status", "value": "open" },
    ///     { "op": "replace", "path": "/status", "value": "in_progress" },
    ///     { "op": "add", "path": "/assignee", "value": "alice" }
    /// ]))
    /// .expect("a well-formed patch");
    /// let patched = mgr.patch(&info.resource_id, &DataPatch::Json(ops)).await?;
    /// assert_eq!(patched.revision_id.number(), 2);
    ///
    /// // An RFC 7396 merge patch: members replace, `null` removes.
    /// let merge = DataPatch::Merge(serde_json::json!({ "assignee": null }));
    /// mgr.patch(&info.resource_id, &merge).await?;
    /// let now = mgr.get(&info.resource_id).await?.data;
    /// assert_eq!((now.status.as_str(), now.assignee), ("in_progress", None));
    /// # Ok::<(), specstar_core::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Patch`], [`Error::Validation`] of the result, and as [`update`](Self::update).
    pub async fn patch(&self, id: impl AsRef<str>, patch: &DataPatch) -> Result<RevisionInfo> {
        Ok(self.inner.patch(id.as_ref(), patch, None).await?.info)
    }

    /// [`patch`](Self::patch) only if `expected` is still the current revision.
    ///
    /// # Errors
    /// As [`patch`](Self::patch), plus [`Error::Conflict`].
    pub async fn patch_if(
        &self,
        id: impl AsRef<str>,
        patch: &DataPatch,
        expected: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        Ok(self
            .inner
            .patch(id.as_ref(), patch, Some(&expected as &dyn RevisionRef))
            .await?
            .info)
    }

    /// Soft-deletes: appends a tombstone revision; returns it. Old revisions stay readable.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::Deleted`], id and store errors.
    pub async fn delete(&self, id: impl AsRef<str>) -> Result<RevisionInfo> {
        Ok(self.inner.delete(id.as_ref(), None).await?.info)
    }

    /// [`delete`](Self::delete) only if `expected` is still the current revision.
    ///
    /// # Errors
    /// As [`delete`](Self::delete), plus [`Error::Conflict`].
    pub async fn delete_if(
        &self,
        id: impl AsRef<str>,
        expected: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        Ok(self
            .inner
            .delete(id.as_ref(), Some(&expected as &dyn RevisionRef))
            .await?
            .info)
    }

    /// Brings a resource whose current revision is of an older schema version to the current
    /// one, with a revision of action `migrate` (see [`DynResourceManager::migrate`]); returns
    /// the current revision, the same one when there was nothing to do.
    ///
    /// # Errors
    /// As [`DynResourceManager::migrate`].
    pub async fn migrate(&self, id: impl AsRef<str>) -> Result<RevisionInfo> {
        Ok(self.inner.migrate(id.as_ref()).await?.info)
    }

    /// Migrates every live resource on an older schema version, calling `progress` as it
    /// goes (see [`DynResourceManager::migrate_all`]).
    ///
    /// # Errors
    /// As [`DynResourceManager::migrate_all`].
    pub async fn migrate_all(
        &self,
        progress: impl FnMut(crate::MigrationProgress) + Send,
    ) -> Result<crate::MigrationReport> {
        self.inner.migrate_all(progress).await
    }

    /// Drops the data of the resource's revisions that `policy` does not keep (see
    /// [`DynResourceManager::prune`]).
    ///
    /// # Errors
    /// As [`DynResourceManager::prune`].
    pub async fn prune(
        &self,
        id: impl AsRef<str>,
        policy: &crate::Retention,
    ) -> Result<crate::Pruned> {
        self.inner.prune(id.as_ref(), policy).await
    }

    /// Prunes every resource of the model by its declared retention
    /// ([`Schema::retention`](crate::Schema::retention)); nothing when it declares none.
    ///
    /// # Errors
    /// As [`DynResourceManager::prune_all`].
    pub async fn prune_all(&self) -> Result<crate::PruneReport> {
        let policy = self.inner.model().retention();
        self.inner.prune_all(&policy).await
    }

    /// Pins a revision, so that no prune drops its data (see [`DynResourceManager::pin`]).
    ///
    /// # Errors
    /// As [`DynResourceManager::pin`].
    pub async fn pin(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
    ) -> Result<crate::RevisionId> {
        self.inner.pin(id.as_ref(), &revision_id).await
    }

    /// Unpins a revision (see [`DynResourceManager::unpin`]).
    ///
    /// # Errors
    /// As [`DynResourceManager::unpin`].
    pub async fn unpin(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
    ) -> Result<crate::RevisionId> {
        self.inner.unpin(id.as_ref(), &revision_id).await
    }

    /// The resource's pinned revisions, oldest first.
    ///
    /// # Errors
    /// As [`DynResourceManager::pins`].
    pub async fn pins(&self, id: impl AsRef<str>) -> Result<Vec<crate::RevisionId>> {
        self.inner.pins(id.as_ref()).await
    }

    /// Restores a deleted resource as a new revision; a live one is left as it is. Returns the
    /// current revision.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::DoesNotFitModel`] when the data to restore no
    /// longer fits the model, id and store errors.
    pub async fn restore(&self, id: impl AsRef<str>) -> Result<RevisionInfo> {
        Ok(self.inner.restore(id.as_ref()).await?.info)
    }

    /// [`restore`](Self::restore) only if `expected` (a revision id or number) is still the
    /// current revision; otherwise [`Error::Conflict`] and nothing is written.
    ///
    /// # Errors
    /// As [`restore`](Self::restore), plus [`Error::Conflict`].
    pub async fn restore_if(
        &self,
        id: impl AsRef<str>,
        expected: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        let expected = Some(&expected as &dyn RevisionRef);
        Ok(self.inner.restore_if(id.as_ref(), expected).await?.info)
    }

    /// Appends a copy of an old revision's data as the newest revision. The revision is named
    /// by its id or by its number (`mgr.revert(&id, 1)`).
    ///
    /// # Errors
    /// [`Error::RevisionNotFound`], [`Error::Deleted`], [`Error::DoesNotFitModel`] when that
    /// revision's data no longer fits the model, id and store errors.
    pub async fn revert(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        Ok(self.inner.revert(id.as_ref(), &revision_id).await?.info)
    }

    /// [`revert`](Self::revert) only if `expected` is still the current revision.
    ///
    /// # Errors
    /// As [`revert`](Self::revert), plus [`Error::Conflict`].
    pub async fn revert_if(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
        expected: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        let expected = Some(&expected as &dyn RevisionRef);
        Ok(self
            .inner
            .revert_if(id.as_ref(), &revision_id, expected)
            .await?
            .info)
    }

    /// Erases the resource and every revision of it; returns its head as it was.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn permanently_delete(&self, id: impl AsRef<str>) -> Result<ResourceMeta> {
        self.inner.permanently_delete(id.as_ref()).await
    }

    /// The current revision. A deleted resource is [`Error::Deleted`].
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::Deleted`], id and store errors.
    pub async fn get(&self, id: impl AsRef<str>) -> Result<Resource<T>> {
        self.decode(self.inner.get(id.as_ref(), None, false).await?)
    }

    /// The current revision even of a deleted resource (then its tombstone, which carries the
    /// last data).
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn get_including_deleted(&self, id: impl AsRef<str>) -> Result<Resource<T>> {
        self.decode(self.inner.get(id.as_ref(), None, true).await?)
    }

    /// The revision that was current at `time` (the last one created at or before it), with
    /// its data: see [`DynResourceManager::get_as_of`]. A tombstone current then is
    /// [`Error::Deleted`], as [`get`](Self::get) answers for a deleted resource.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::NotYetCreated`] (created after `time`),
    /// [`Error::Deleted`], id and store errors.
    pub async fn get_as_of(&self, id: impl AsRef<str>, time: Timestamp) -> Result<Resource<T>> {
        self.decode(self.inner.get_as_of(id.as_ref(), time, false).await?)
    }

    /// As [`get_as_of`](Self::get_as_of), but a tombstone current at `time` is answered (it
    /// carries the last live data) rather than [`Error::Deleted`].
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::NotYetCreated`], id and store errors.
    pub async fn get_as_of_including_deleted(
        &self,
        id: impl AsRef<str>,
        time: Timestamp,
    ) -> Result<Resource<T>> {
        self.decode(self.inner.get_as_of(id.as_ref(), time, true).await?)
    }

    /// Any revision by its id, whether or not the resource is deleted.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], id and store errors.
    pub async fn get_revision(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
    ) -> Result<Resource<T>> {
        self.decode(
            self.inner
                .get(id.as_ref(), Some(&revision_id), true)
                .await?,
        )
    }

    /// What changed between two revisions (`mgr.diff(&id, 1, 3)`, or revision ids), in either
    /// order: see [`DynResourceManager::diff`].
    ///
    /// ```
    /// # async fn demo(mgr: specstar_core::ResourceManager<serde_json::Value>, id: specstar_core::ResourceId) -> specstar_core::Result<()> {
    /// let diff = mgr.diff(&id, 1, 2).await?;
    /// for change in &diff.changes {
    ///     println!("{}: {:?} -> {:?}", change.path, change.from, change.to);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], id and store errors.
    pub async fn diff(
        &self,
        id: impl AsRef<str>,
        from: impl RevisionRef,
        to: impl RevisionRef,
    ) -> Result<Diff> {
        self.inner.diff(id.as_ref(), &from, &to).await
    }

    /// Verifies the resource's tamper-evident chain: every revision's data hash and chain hash
    /// recomputed, the numbers dense, each parent the revision before, and the head at the last
    /// one (see [`DynResourceManager::verify`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use specstar_core::{ModelDescriptor, ResourceManager, Schema, Store};
    /// # #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    /// # let model = Arc::new(Schema::<Issue>::new("v1").build()?);
    /// # store.register_model(&ModelDescriptor::from(&*model)).await?;
    /// # let mgr = ResourceManager::<Issue>::new(model, store)?;
    /// let info = mgr.create(Issue { title: "a".into() }).await?;
    /// mgr.delete(&info.resource_id).await?;
    /// let verification = mgr.verify(&info.resource_id).await?;
    /// assert!(verification.valid);
    /// assert_eq!(verification.revisions, 2);
    /// # Ok::<(), specstar_core::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn verify(&self, id: impl AsRef<str>) -> Result<Verification> {
        self.inner.verify(id.as_ref()).await
    }

    /// The resource's head, deleted or not.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn get_meta(&self, id: impl AsRef<str>) -> Result<ResourceMeta> {
        self.inner.get_meta(id.as_ref()).await
    }

    /// Whether the resource exists, deleted or not.
    ///
    /// # Errors
    /// Id and store errors.
    pub async fn exists(&self, id: impl AsRef<str>) -> Result<bool> {
        self.inner.exists(id.as_ref()).await
    }

    /// The whole history, oldest first: every revision's info with its action, user and time.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn list_revisions(&self, id: impl AsRef<str>) -> Result<Vec<RevisionInfo>> {
        self.inner
            .list_revisions(id.as_ref(), RevisionPage::ALL)
            .await
    }

    /// A page of the history.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn list_revisions_page(
        &self,
        id: impl AsRef<str>,
        page: RevisionPage,
    ) -> Result<Vec<RevisionInfo>> {
        self.inner.list_revisions(id.as_ref(), page).await
    }

    /// How many live resources the model has.
    ///
    /// # Errors
    /// Store errors.
    pub async fn count(&self) -> Result<u64> {
        self.inner.count(false).await
    }

    /// How many resources the model has, deleted ones included.
    ///
    /// # Errors
    /// Store errors.
    pub async fn count_including_deleted(&self) -> Result<u64> {
        self.inner.count(true).await
    }

    /// The heads of the resources matching `query`, in its order, its page only.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use specstar_core::{ModelDescriptor, ResourceManager, Schema, Store};
    /// # #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String, status: String, assignee: Option<String> }
    /// # fn issue(title: &str, status: &str) -> Issue {
    /// #     Issue { title: title.into(), status: status.into(), assignee: None }
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    /// # let model = Arc::new(Schema::<Issue>::new("v1").index("status").build()?);
    /// # store.register_model(&ModelDescriptor::from(&*model)).await?;
    /// # let mgr = ResourceManager::<Issue>::new(model, store)?;
    /// use specstar_core::{Cursor, Direction, Error, Field, Filter, MetaField, Op, Query};
    ///
    /// for (title, status) in [("a", "open"), ("b", "closed"), ("c", "open"), ("d", "open")] {
    ///     mgr.create(issue(title, status)).await?;
    /// }
    /// // Conditions on indexed fields and meta fields, combined with and / or / not.
    /// let open_by_anyone = Filter::And(vec![
    ///     Filter::data("status", Op::Eq, "open"),
    ///     Filter::Not(Box::new(Filter::meta(MetaField::CreatedBy, Op::Eq, "nobody"))),
    /// ]);
    /// let newest_first = Query::all()
    ///     .filter(open_by_anyone)
    ///     .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
    ///     .limit(2);
    /// let page = mgr.search(&newest_first).await?;
    /// assert_eq!(page.len(), 2);
    /// assert_eq!(mgr.count_matching(&newest_first).await?, 3); // limit aside
    ///
    /// // A keyset cursor: the next page starts right after the last row, even while writes go on.
    /// let last = page.last().expect("a full page");
    /// let next = newest_first.clone().after(Cursor::after_row(&newest_first, last));
    /// let rest = mgr.search_data(&next).await?;
    /// assert_eq!(rest.len(), 1);
    /// assert_eq!(rest[0].title, "a");
    ///
    /// // A field that is not indexed is refused, never answered with an empty page.
    /// let by_title = Query::all().filter(Filter::data("title", Op::Eq, "a"));
    /// assert!(matches!(mgr.search(&by_title).await, Err(Error::UnindexedField { .. })));
    /// # Ok::<(), specstar_core::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::UnindexedField`] for a data field that is not indexed, [`Error::InvalidQuery`]
    /// for a value that does not fit its operator or field; store errors.
    pub async fn search(&self, query: &Query) -> Result<Vec<ResourceMeta>> {
        self.inner.search(query).await
    }

    /// The resources matching `query`, each with its current data (the last data of a deleted
    /// one), in its order.
    ///
    /// # Errors
    /// As [`search`](Self::search), and decoding errors.
    pub async fn search_resources(&self, query: &Query) -> Result<Vec<Resource<T>>> {
        self.inner
            .search_resources(query)
            .await?
            .into_iter()
            .map(|resource| self.decode(resource))
            .collect()
    }

    /// The current data of the resources matching `query`, in its order.
    ///
    /// # Errors
    /// As [`search_resources`](Self::search_resources).
    pub async fn search_data(&self, query: &Query) -> Result<Vec<T>> {
        Ok(self
            .search_resources(query)
            .await?
            .into_iter()
            .map(|r| r.data)
            .collect())
    }

    /// How many resources match `query` (its sorts, offset and limit aside).
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub async fn count_matching(&self, query: &Query) -> Result<u64> {
        self.inner.count_matching(query).await
    }

    /// Every resource matching `query`, in its order, with its current data (the last data of a
    /// deleted one), as a stream paging with a keyset cursor: see
    /// [`DynResourceManager::iter_all`]. A resource purged between its page and its read is left
    /// out.
    ///
    /// The stream is boxed, so it is `Unpin`: call `next().await` on it directly, with
    /// `StreamExt` in scope (`specstar::StreamExt`, or `futures::StreamExt`); no `pin!` needed.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use specstar_core::{Filter, Op, Query, ResourceManager, Schema};
    /// # use std::sync::Arc;
    /// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// struct Issue { title: String, status: String }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let store: Arc<dyn specstar_core::Store> = Arc::new(specstar_memory::MemoryStore::new());
    /// # let model = Arc::new(Schema::<Issue>::new("v1").index("status").build()?);
    /// # store.register_model(&specstar_core::ModelDescriptor::from(&*model)).await?;
    /// # let mgr: ResourceManager<Issue> = ResourceManager::new(model, store)?;
    /// for title in ["a", "b", "c"] {
    ///     mgr.create(Issue { title: title.into(), status: "open".into() }).await?;
    /// }
    /// let open = Query::all().filter(Filter::data("status", Op::Eq, "open"));
    /// let mut issues = mgr.iter_all(&open);
    /// let mut titles = Vec::new();
    /// while let Some(issue) = issues.next().await {
    ///     titles.push(issue?.data.title); // an error ends the stream
    /// }
    /// assert_eq!(titles.len(), 3);
    /// # Ok::<(), specstar_core::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// Each item is a resource or an error: as [`search_resources`](Self::search_resources).
    pub fn iter_all(&self, query: &Query) -> BoxStream<'static, Result<Resource<T>>> {
        self.iter_all_batched(query, super::dynamic::ITER_BATCH)
    }

    /// As [`iter_all`](Self::iter_all), `batch` rows per page (at least 1).
    ///
    /// # Errors
    /// As [`iter_all`](Self::iter_all).
    pub fn iter_all_batched(
        &self,
        query: &Query,
        batch: u64,
    ) -> BoxStream<'static, Result<Resource<T>>> {
        let inner = self.inner.clone();
        self.inner
            .iter_all_batched(query, batch)
            .filter_map(move |row| {
                let inner = inner.clone();
                async move {
                    let meta = match row {
                        Ok(meta) => meta,
                        Err(e) => return Some(Err(e)),
                    };
                    match inner.read(&meta.resource_id, None, true).await {
                        Ok(resource) => Some(Self::typed(inner.model(), resource)),
                        Err(Error::ResourceNotFound { .. }) => None,
                        Err(e) => Some(Err(e)),
                    }
                }
            })
            .boxed()
    }
}
