//! The untyped resource manager.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::Value;

use crate::chain::Verification;
use crate::context::WriteContext;
use crate::diff::{Diff, ValueDiff, diff_values};
use crate::error::{Error, Result};
use crate::id::{ResourceId, RevisionId, RevisionRef};
use crate::meta::ResourceMeta;
use crate::query::{Cursor, Filter, Query};
use crate::revision::{Action, RevisionInfo};
use crate::schema::{EncodedData, ModelDef};
use crate::store::{
    Change, PurgeRequest, RevisionPage, Store, StoredRevision, WriteRequest, Written,
};
use crate::time::Timestamp;

/// How many times a patch without an expected revision re-reads and re-applies itself when
/// other writers keep moving the head between its read and its write.
pub(crate) const PATCH_ATTEMPTS: usize = 64;

/// How many heads [`DynResourceManager::iter_all`] fetches per page: few enough to hold in
/// memory, many enough that a page costs little more than a row.
pub const ITER_BATCH: u64 = 500;

/// Where an [`DynResourceManager::iter_all_batched`] stream is: the next page's query and the
/// rest of the current page.
struct Pages {
    manager: DynResourceManager,
    /// The caller's query, whose sorts the cursors follow.
    query: Query,
    /// The next page's query: the caller's, after the last row given, without its limit.
    next: Query,
    /// The rows of the current page not given yet.
    buffer: VecDeque<ResourceMeta>,
    /// How many rows the caller's limit still allows (`None`: no limit).
    remaining: Option<u64>,
    /// Rows per page (at least 1).
    batch: u64,
    /// Whether the last page fetched was the last one.
    done: bool,
}

impl Pages {
    /// The next row, fetching the next page when the current one is given out; `None` at the
    /// end. After an error the stream ends.
    async fn next_row(mut self) -> Option<(Result<ResourceMeta>, Option<Self>)> {
        loop {
            if let Some(meta) = self.buffer.pop_front() {
                return Some((Ok(meta), Some(self)));
            }
            let limit = self.remaining.map_or(self.batch, |r| r.min(self.batch));
            if self.done || limit == 0 {
                return None;
            }
            let page = match self.manager.search(&self.next.clone().limit(limit)).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            let got = page.len() as u64;
            self.done = got < limit;
            if let Some(remaining) = &mut self.remaining {
                *remaining = remaining.saturating_sub(got);
            }
            if let Some(last) = page.last() {
                self.next.after = Some(Cursor::after_row(&self.query, last));
                self.next.offset = 0;
            }
            self.buffer.extend(page);
        }
    }
}

/// A change to apply to the current data.
#[derive(Clone, Debug)]
pub enum DataPatch {
    /// An RFC 6902 JSON Patch.
    Json(json_patch::Patch),
    /// An RFC 7396 JSON Merge Patch.
    Merge(Value),
}

/// One revision of a resource with its data as canonical JSON bytes, and the resource's head
/// (the data of a revision written under an older schema version comes upcast to the current
/// one when a migration path exists: see [`ModelDef::upcast`](crate::ModelDef::upcast)):
/// what the untyped manager reads, as [`Resource<T>`](crate::Resource) is what the typed one
/// reads. (A store's [`Fetched`](crate::Fetched) is the same read before the manager checked
/// that the revision exists and, for the current one, that the resource is not deleted.)
#[derive(Clone, Debug)]
pub struct DynResource {
    /// The data: canonical JSON.
    pub data: Bytes,
    /// The revision's info.
    pub info: RevisionInfo,
    /// The resource's head.
    pub meta: ResourceMeta,
}

impl DynResource {
    /// The data as a JSON value.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the stored bytes are not JSON.
    pub fn data_value(&self) -> Result<Value> {
        decode(&self.info.revision_id, &self.data)
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    revision: &RevisionId,
    data: &[u8],
) -> Result<T> {
    serde_json::from_slice(data).map_err(|e| Error::Corrupt {
        what: format!("revision {revision}"),
        reason: e.to_string(),
    })
}

/// The resource manager of one model over JSON values.
#[derive(Clone, Debug)]
pub struct DynResourceManager {
    model: Arc<ModelDef>,
    store: Arc<dyn Store>,
    context: WriteContext,
    /// The row scope searches and writes keep within ([`within`](Self::within)).
    pub(super) scope: Option<Arc<Filter>>,
}

impl DynResourceManager {
    /// A manager of `model` in `store`, acting as "anonymous" on the system clock.
    pub fn new(model: Arc<ModelDef>, store: Arc<dyn Store>) -> Self {
        Self {
            model,
            store,
            context: WriteContext::default(),
            scope: None,
        }
    }

    /// The model managed.
    pub fn model(&self) -> &Arc<ModelDef> {
        &self.model
    }

    /// The store written to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The acting user and clock.
    pub fn context(&self) -> &WriteContext {
        &self.context
    }

    /// The same manager with another user and clock.
    #[must_use]
    pub fn with_context(&self, context: WriteContext) -> Self {
        Self {
            context,
            ..self.clone()
        }
    }

    /// Parses a resource id of this model.
    ///
    /// # Errors
    /// [`Error::MalformedId`] or [`Error::ForeignModel`].
    pub fn resource_id(&self, id: &str) -> Result<ResourceId> {
        ResourceId::parse_for(self.model.name(), id)
    }

    pub(crate) fn request(
        &self,
        resource_id: ResourceId,
        change: Change,
        expected: Option<u64>,
    ) -> WriteRequest {
        WriteRequest {
            resource_id,
            schema_version: self.model.schema_version().clone(),
            change,
            expected,
            user: self.context.user().clone(),
            time: self.context.now(),
        }
    }

    /// Asks the store for one write, through the model's hooks and the context's: the
    /// before-write hooks see the request and the head (read first, only when there are such
    /// hooks) and may refuse it; the after-commit hooks see what an appending write wrote.
    pub(crate) async fn write(&self, request: WriteRequest) -> Result<Written> {
        let (model, global) = (self.model.hooks(), self.context.hooks());
        if model.has_before() || global.has_before() || self.scope.is_some() {
            let head = self.store.meta(&request.resource_id).await?;
            self.check_scope(&request, head.as_ref())?;
            model.check(&request, head.as_ref())?;
            global.check(&request, head.as_ref())?;
        }
        let started = std::time::Instant::now();
        let written = self.store.write(request).await?;
        metrics::histogram!("specstar_store_write_duration_seconds", "model" => self.model.name_arc().clone())
            .record(started.elapsed().as_secs_f64());
        model.committed(&written);
        global.committed(&written);
        Ok(written)
    }

    fn expected(
        resource_id: &ResourceId,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Option<u64>> {
        expected
            .map(|e| e.revision_of(resource_id).map(|r| r.number()))
            .transpose()
    }

    /// Creates a resource with a new id from data already encoded.
    pub(crate) async fn create_encoded(
        &self,
        id: Option<&str>,
        data: EncodedData,
    ) -> Result<Written> {
        let resource_id = match id {
            Some(key) => ResourceId::with_key(self.model.name(), key)?,
            None => ResourceId::generate(self.model.name()),
        };
        self.write(self.request(resource_id, Change::Create(data), None))
            .await
    }

    pub(crate) async fn put_encoded(
        &self,
        id: &str,
        data: EncodedData,
        action: Action,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let expected = Self::expected(&resource_id, expected)?;
        self.write(self.request(resource_id, Change::Put { data, action }, expected))
            .await
    }

    /// Creates a resource with a generated id (`{model}:{uuid v7}`) as revision 1.
    ///
    /// # Errors
    /// [`Error::Validation`] when the data does not fit the model; store errors.
    pub async fn create(&self, data: Value) -> Result<Written> {
        self.create_encoded(None, self.model.encode(data)?).await
    }

    /// Creates a resource with the caller's id (a bare key or `{model}:{key}`).
    ///
    /// # Errors
    /// As [`create`](Self::create), plus [`Error::AlreadyExists`] and id errors.
    pub async fn create_with_id(&self, id: &str, data: Value) -> Result<Written> {
        self.create_encoded(Some(id), self.model.encode(data)?)
            .await
    }

    /// Replaces the data, appending a revision unless it is unchanged. With `expected` (a
    /// revision id), writes only if that revision is still current.
    ///
    /// # Errors
    /// [`Error::Validation`], [`Error::ResourceNotFound`], [`Error::Deleted`],
    /// [`Error::Conflict`], id errors.
    pub async fn update(
        &self,
        id: &str,
        data: Value,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Written> {
        let data = self.model.encode(data)?;
        self.put_encoded(id, data, Action::Update, expected).await
    }

    /// Applies a patch to the current data and appends the result. Without `expected`, a patch
    /// that loses a race to another writer is re-applied to the new head, never to stale data.
    ///
    /// # Errors
    /// As [`update`](Self::update), plus [`Error::Patch`] when the patch does not apply.
    pub async fn patch(
        &self,
        id: &str,
        patch: &DataPatch,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let expected = Self::expected(&resource_id, expected)?;
        let mut attempts = 0;
        loop {
            let current = self.read(&resource_id, None, false).await?;
            let base = current.info.number();
            if let Some(expected) = expected
                && expected != base
            {
                return Err(Error::Conflict {
                    expected: resource_id.revision(expected),
                    actual: current.info.revision_id,
                });
            }
            let mut value = current.data_value()?;
            let applied = match patch {
                DataPatch::Json(ops) => {
                    json_patch::patch(&mut value, ops).map_err(|e| e.to_string())
                }
                DataPatch::Merge(merge) => {
                    json_patch::merge(&mut value, merge);
                    Ok(())
                }
            };
            applied.map_err(|reason| Error::Patch {
                resource_id: resource_id.clone(),
                reason,
            })?;
            let data = self.model.encode(value)?;
            let change = Change::Put {
                data,
                action: Action::Patch,
            };
            match self
                .write(self.request(resource_id.clone(), change, Some(base)))
                .await
            {
                Err(Error::Conflict { .. }) if expected.is_none() && attempts < PATCH_ATTEMPTS => {
                    attempts += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Soft-deletes: appends a tombstone revision carrying the last data. Every revision stays
    /// readable by id.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::Deleted`], [`Error::Conflict`], id errors.
    pub async fn delete(&self, id: &str, expected: Option<&dyn RevisionRef>) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let expected = Self::expected(&resource_id, expected)?;
        self.write(self.request(resource_id, Change::Delete, expected))
            .await
    }

    /// Restores a deleted resource: appends its last live data as live again. A live resource
    /// is left unchanged.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::DoesNotFitModel`], id errors.
    pub async fn restore(&self, id: &str) -> Result<Written> {
        self.restore_if(id, None).await
    }

    /// [`restore`](Self::restore), with `expected` (a revision id or number) only if that
    /// revision is still current. The data is checked against the model as declared now and
    /// written only if the head is still the one checked: without `expected`, a restore that
    /// loses a race to another writer checks the new head and tries again.
    ///
    /// # Errors
    /// As [`restore`](Self::restore), plus [`Error::Conflict`].
    pub async fn restore_if(
        &self,
        id: &str,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let expected = Self::expected(&resource_id, expected)?;
        let mut attempts = 0;
        loop {
            let current = self.read(&resource_id, None, true).await?;
            let base = current.info.number();
            if let Some(expected) = expected
                && expected != base
            {
                return Err(Error::Conflict {
                    expected: resource_id.revision(expected),
                    actual: current.info.revision_id,
                });
            }
            if current.meta.is_deleted {
                self.model
                    .encode_stored(&current.info, current.data_value()?)?;
            }
            match self
                .write(self.request(resource_id.clone(), Change::Restore, Some(base)))
                .await
            {
                Err(Error::Conflict { .. }) if expected.is_none() && attempts < PATCH_ATTEMPTS => {
                    attempts += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Reverts to an old revision: appends a copy of its data as the newest revision.
    ///
    /// # Errors
    /// [`Error::RevisionNotFound`], [`Error::RevisionPruned`], [`Error::Deleted`], [`Error::ResourceNotFound`],
    /// [`Error::DoesNotFitModel`], id errors.
    pub async fn revert(&self, id: &str, revision_id: &dyn RevisionRef) -> Result<Written> {
        self.revert_if(id, revision_id, None).await
    }

    /// [`revert`](Self::revert), with `expected` only if that revision is still current. The
    /// old data is checked against the model as declared now, like any write, and written in
    /// its current normal form with the current schema version.
    ///
    /// # Errors
    /// As [`revert`](Self::revert), plus [`Error::Conflict`].
    pub async fn revert_if(
        &self,
        id: &str,
        revision_id: &dyn RevisionRef,
        expected: Option<&dyn RevisionRef>,
    ) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let revision = revision_id.revision_of(&resource_id)?;
        let expected = Self::expected(&resource_id, expected)?;
        let old = self
            .read(&resource_id, Some(revision.number()), true)
            .await?;
        if old.meta.is_deleted {
            return Err(Error::Deleted { resource_id });
        }
        let data = self.model.encode_stored(&old.info, old.data_value()?)?;
        let change = Change::Put {
            data,
            action: Action::Revert,
        };
        self.write(self.request(resource_id, change, expected))
            .await
    }

    /// Erases a resource and all its revisions. Returns the head as it was.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id errors.
    pub async fn permanently_delete(&self, id: &str) -> Result<ResourceMeta> {
        let resource_id = self.resource_id(id)?;
        let request = PurgeRequest {
            resource_id: resource_id.clone(),
            user: self.context.user().clone(),
            time: self.context.now(),
        };
        self.store
            .purge(request)
            .await?
            .ok_or(Error::ResourceNotFound { resource_id })
    }

    pub(crate) async fn read(
        &self,
        resource_id: &ResourceId,
        number: Option<u64>,
        include_deleted: bool,
    ) -> Result<DynResource> {
        let fetched =
            self.store
                .read(resource_id, number)
                .await?
                .ok_or_else(|| Error::ResourceNotFound {
                    resource_id: resource_id.clone(),
                })?;
        self.in_scope(&fetched.meta)?;
        if number.is_none() && fetched.meta.is_deleted && !include_deleted {
            return Err(Error::Deleted {
                resource_id: resource_id.clone(),
            });
        }
        let asked = number.unwrap_or(fetched.meta.current_revision_id.number());
        let revision = fetched.revision.ok_or_else(|| Error::RevisionNotFound {
            revision_id: resource_id.revision(asked),
        })?;
        self.resource(revision, fetched.meta)
    }

    /// A stored revision as the model reads it now: upcast; [`Error::RevisionPruned`] when
    /// retention dropped its data.
    fn resource(&self, revision: StoredRevision, meta: ResourceMeta) -> Result<DynResource> {
        if revision.is_pruned() {
            return Err(Error::RevisionPruned {
                revision_id: revision.info.revision_id,
            });
        }
        Ok(DynResource {
            data: self.model.upcast(&revision.info, revision.data)?,
            info: revision.info,
            meta,
        })
    }

    /// Reads the current revision (`revision_id` `None`) or any revision by id. The current
    /// revision of a deleted resource is [`Error::Deleted`] unless `include_deleted`; a revision
    /// asked by id is readable whether or not the resource is deleted.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], [`Error::RevisionPruned`],
    /// [`Error::Deleted`], id errors.
    pub async fn get(
        &self,
        id: &str,
        revision_id: Option<&dyn RevisionRef>,
        include_deleted: bool,
    ) -> Result<DynResource> {
        let resource_id = self.resource_id(id)?;
        let number = revision_id
            .map(|r| r.revision_of(&resource_id).map(|r| r.number()))
            .transpose()?;
        self.read(&resource_id, number, include_deleted).await
    }

    /// Reads the revision that was current at `time`, with its data: the last revision created
    /// at or before `time` (among equal times the highest number; see
    /// [`Store::read_as_of`](crate::Store::read_as_of)). The meta is the resource's head as it
    /// is now. When that revision is a tombstone the answer is [`Error::Deleted`] unless
    /// `include_deleted`, which answers the tombstone (it carries the last live data).
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] when no resource has the id now (never created, or
    /// permanently deleted); [`Error::NotYetCreated`] when it exists but was created after
    /// `time`; [`Error::Deleted`]; id and store errors.
    pub async fn get_as_of(
        &self,
        id: &str,
        time: Timestamp,
        include_deleted: bool,
    ) -> Result<DynResource> {
        let resource_id = self.resource_id(id)?;
        // Stores keep whole microseconds: every store then compares the same instant.
        let time = time.truncated();
        let fetched = self
            .store
            .read_as_of(&resource_id, time)
            .await?
            .ok_or_else(|| Error::ResourceNotFound {
                resource_id: resource_id.clone(),
            })?;
        self.in_scope(&fetched.meta)?;
        let Some(revision) = fetched.revision else {
            return Err(Error::NotYetCreated {
                resource_id,
                time,
                created_time: fetched.meta.created_time,
            });
        };
        if revision.info.deleted && !include_deleted {
            return Err(Error::Deleted { resource_id });
        }
        self.resource(revision, fetched.meta)
    }

    /// What changed between two revisions of a resource, in either order, whether or not it is
    /// deleted (a tombstone compares by the data it carries): a JSON Patch from `from`'s data to
    /// `to`'s, and one change per changed leaf.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], [`Error::RevisionPruned`], id
    /// errors.
    pub async fn diff(
        &self,
        id: &str,
        from: &dyn RevisionRef,
        to: &dyn RevisionRef,
    ) -> Result<Diff> {
        let resource_id = self.resource_id(id)?;
        let from = from.revision_of(&resource_id)?;
        let to = to.revision_of(&resource_id)?;
        let old = self.read(&resource_id, Some(from.number()), true).await?;
        let new = self.read(&resource_id, Some(to.number()), true).await?;
        let ValueDiff { patch, changes } = diff_values(&old.data_value()?, &new.data_value()?);
        Ok(Diff {
            resource_id,
            from_revision_id: from,
            to_revision_id: to,
            patch,
            changes,
        })
    }

    /// Verifies the resource's tamper-evident chain: reads its head and every revision with its
    /// data, a page at a time, and recomputes each revision's data hash and chain hash (see
    /// [`ChainCheck`](crate::chain::ChainCheck) for the rule). Deleted resources are verified like live ones.
    ///
    /// A revision appended while the check runs is left for the next check: the head read
    /// first bounds the history checked.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] (also when the resource is purged during the check), id and
    /// store errors. A history that does not match is not an error: the answer says
    /// `valid: false` and names the first revision that does not match.
    pub async fn verify(&self, id: &str) -> Result<Verification> {
        let resource_id = self.resource_id(id)?;
        crate::chain::verify(&*self.store, &resource_id).await
    }

    /// The resource's head, deleted or not.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id errors.
    pub async fn get_meta(&self, id: &str) -> Result<ResourceMeta> {
        let resource_id = self.resource_id(id)?;
        let meta = self
            .store
            .meta(&resource_id)
            .await?
            .ok_or(Error::ResourceNotFound { resource_id })?;
        self.in_scope(&meta)?;
        Ok(meta)
    }

    /// Whether the resource exists (deleted or not).
    ///
    /// # Errors
    /// Id and store errors.
    pub async fn exists(&self, id: &str) -> Result<bool> {
        let resource_id = self.resource_id(id)?;
        Ok(self.store.meta(&resource_id).await?.is_some())
    }

    /// A page of the resource's history, deleted or not.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id errors.
    pub async fn list_revisions(&self, id: &str, page: RevisionPage) -> Result<Vec<RevisionInfo>> {
        let resource_id = self.resource_id(id)?;
        self.store
            .revisions(&resource_id, page)
            .await?
            .ok_or(Error::ResourceNotFound { resource_id })
    }

    /// A page of the history restricted to the revisions created within `start ..= end`
    /// (either bound optional, both inclusive, as a search's `created_time_start` / `_end`),
    /// with how many revisions the filter keeps in all: the filter applies before the page,
    /// so the total and the page agree.
    ///
    /// This reads the whole history's revision infos (not their data) and filters them here,
    /// a scan of the history rather than an index range: fine for histories of thousands.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id errors.
    pub async fn list_revisions_created_between(
        &self,
        id: &str,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        page: RevisionPage,
    ) -> Result<(Vec<RevisionInfo>, u64)> {
        let all = RevisionPage {
            offset: 0,
            limit: None,
            newest_first: page.newest_first,
        };
        let kept: Vec<RevisionInfo> = self
            .list_revisions(id, all)
            .await?
            .into_iter()
            .filter(|info| start.is_none_or(|s| info.created_time >= s))
            .filter(|info| end.is_none_or(|e| info.created_time <= e))
            .collect();
        let total = kept.len() as u64;
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = page
            .limit
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok((kept.into_iter().skip(skip).take(take).collect(), total))
    }

    /// How many resources of the model there are (deleted ones too when `include_deleted`).
    ///
    /// # Errors
    /// Store errors.
    pub async fn count(&self, include_deleted: bool) -> Result<u64> {
        if self.scope.is_some() {
            let query = Query {
                include_deleted,
                ..Query::all()
            };
            return self.count_matching(&query).await;
        }
        self.store.count(self.model.name(), include_deleted).await
    }

    /// The heads of the resources matching `query`, in its order, its page only.
    ///
    /// # Errors
    /// [`Error::UnindexedField`] for a data field that is not indexed, [`Error::InvalidQuery`]
    /// for a value that does not fit its operator or field; store errors.
    pub async fn search(&self, query: &Query) -> Result<Vec<ResourceMeta>> {
        let query = self.scoped(query)?;
        self.store.search(self.model.name(), &query).await
    }

    /// The resources matching `query` with their current data (the tombstone's for a deleted
    /// one), in its order. Each resource's data is read after the search, so a resource purged
    /// in between is left out and one written in between comes with its newer data.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub async fn search_resources(&self, query: &Query) -> Result<Vec<DynResource>> {
        let metas = self.search(query).await?;
        let mut found = Vec::with_capacity(metas.len());
        for meta in metas {
            match self.read(&meta.resource_id, None, true).await {
                Ok(resource) => found.push(resource),
                Err(Error::ResourceNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// How many resources match `query` (its sorts, offset and limit aside).
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub async fn count_matching(&self, query: &Query) -> Result<u64> {
        let query = self.scoped(query)?;
        self.store.count_matching(self.model.name(), &query).await
    }

    /// Every head matching `query`, in its order, as a stream that pages with a keyset cursor
    /// [`ITER_BATCH`] rows at a time: memory stays at one page however many rows match, and a
    /// row written while the stream runs is neither repeated nor skipped unless it moved across
    /// the stream's position. The query's offset and limit apply to the whole stream.
    ///
    /// The stream is boxed, so it is `Unpin`: `next().await` works on it as it is, with
    /// [`StreamExt`] in scope, no `pin!` needed.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # use specstar_core::{DynResourceManager, Registry, Schema, Store, ModelDescriptor, Query};
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// # struct Issue { title: String }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(specstar_memory::MemoryStore::new());
    /// # let model = std::sync::Arc::new(Schema::<Issue>::new("v1").build()?);
    /// # store.register_model(&ModelDescriptor::from(&*model)).await?;
    /// # let mgr = DynResourceManager::new(model, store);
    /// # mgr.create(serde_json::json!({"title": "a"})).await?;
    /// let mut rows = mgr.iter_all(&Query::all());
    /// let mut seen = 0;
    /// while let Some(meta) = rows.next().await {
    ///     let meta = meta?; // an error ends the stream
    ///     assert!(meta.resource_id.to_string().starts_with("issue:"));
    ///     seen += 1;
    /// }
    /// assert_eq!(seen, 1);
    /// # Ok::<(), specstar_core::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// Each item is a row or the error that ended the stream: as [`search`](Self::search).
    pub fn iter_all(&self, query: &Query) -> BoxStream<'static, Result<ResourceMeta>> {
        self.iter_all_batched(query, ITER_BATCH)
    }

    /// As [`iter_all`](Self::iter_all), `batch` rows per page (at least 1).
    ///
    /// # Errors
    /// As [`iter_all`](Self::iter_all).
    pub fn iter_all_batched(
        &self,
        query: &Query,
        batch: u64,
    ) -> BoxStream<'static, Result<ResourceMeta>> {
        let mut next = query.clone();
        next.limit = None;
        let pages = Pages {
            manager: self.clone(),
            query: query.clone(),
            next,
            buffer: VecDeque::new(),
            remaining: query.limit,
            batch: batch.max(1),
            done: false,
        };
        stream::unfold(Some(pages), |pages| async move { pages?.next_row().await }).boxed()
    }
}
