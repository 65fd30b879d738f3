//! The typed resource manager: the user's struct in and out.

use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt};

use crate::context::WriteContext;
use crate::error::{Error, Result};
use crate::id::RevisionRef;
use crate::meta::ResourceMeta;
use crate::query::Query;
use crate::revision::{Action, RevisionInfo};
use crate::schema::{EncodedData, Model, ModelDef};
use crate::store::{RevisionPage, Store};
use crate::time::Clock;

use super::dynamic::{DataPatch, DynResourceManager, Found, decode};

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
    pub fn as_user(&self, user: impl Into<Arc<str>>) -> Self {
        Self::from_dyn(self.inner.with_context(self.inner.context().as_user(user)))
    }

    /// The same manager reading time from `clock`.
    pub fn with_clock(&self, clock: impl Clock) -> Self {
        Self::from_dyn(
            self.inner
                .with_context(self.inner.context().with_clock(clock)),
        )
    }

    /// The same manager with another user and clock.
    pub fn with_context(&self, context: WriteContext) -> Self {
        Self::from_dyn(self.inner.with_context(context))
    }

    fn encode(&self, data: &T) -> Result<EncodedData> {
        let value = serde_json::to_value(data).map_err(|e| Error::Validation {
            model: self.model().name().to_owned(),
            errors: crate::error::FieldErrors(vec![crate::error::FieldError {
                path: "$".into(),
                reason: format!("the model's type cannot be written as JSON: {e}"),
            }]),
        })?;
        Ok(self.model().encode_valid(&value))
    }

    fn typed(found: Found) -> Result<Resource<T>> {
        Ok(Resource {
            data: decode(&found.info.revision_id, &found.data)?,
            info: found.info,
            meta: found.meta,
        })
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

    /// Restores a deleted resource as a new revision; a live one is left as it is. Returns the
    /// current revision.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn restore(&self, id: impl AsRef<str>) -> Result<RevisionInfo> {
        Ok(self.inner.restore(id.as_ref()).await?.info)
    }

    /// Appends a copy of an old revision's data as the newest revision.
    ///
    /// # Errors
    /// [`Error::RevisionNotFound`], [`Error::Deleted`], id and store errors.
    pub async fn revert(
        &self,
        id: impl AsRef<str>,
        revision_id: impl RevisionRef,
    ) -> Result<RevisionInfo> {
        Ok(self.inner.revert(id.as_ref(), &revision_id).await?.info)
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
        Self::typed(self.inner.get(id.as_ref(), None, false).await?)
    }

    /// The current revision even of a deleted resource (then its tombstone, which carries the
    /// last data).
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn get_including_deleted(&self, id: impl AsRef<str>) -> Result<Resource<T>> {
        Self::typed(self.inner.get(id.as_ref(), None, true).await?)
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
        Self::typed(
            self.inner
                .get(id.as_ref(), Some(&revision_id), true)
                .await?,
        )
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
    /// # async fn demo(mgr: specstar_core::ResourceManager<serde_json::Value>) -> specstar_core::Result<()> {
    /// use specstar_core::{Direction, Field, Filter, MetaField, Op, Query};
    /// let open_first = Query::all()
    ///     .filter(Filter::data("status", Op::Eq, "open"))
    ///     .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
    ///     .limit(20);
    /// let heads = mgr.search(&open_first).await?;
    /// # Ok(()) }
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
            .map(Self::typed)
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
                        Ok(found) => Some(Self::typed(found)),
                        Err(Error::ResourceNotFound { .. }) => None,
                        Err(e) => Some(Err(e)),
                    }
                }
            })
            .boxed()
    }
}
