//! The store interface: what every backend (memory, the embedded SQLite file, PostgreSQL)
//! implements, and nothing more.
//!
//! A store keeps resources as a head ([`ResourceMeta`]) plus immutable revisions. Its one write,
//! [`Store::write`], applies a [`WriteRequest`] atomically: it reads the head, asks
//! [`plan`](crate::plan::plan) what to do, and appends the planned revision and moves the head
//! in one step, so that a crash never leaves one without the other and two racing writers are
//! serialized. The semantics of every write (numbering, expected revisions, tombstones,
//! restore, unchanged data) live in the planner, once, not in each store.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::chain::ChainHash;
use crate::error::{Error, Result};
use crate::feed::{FeedEvent, FeedSignal, ModelFilter, PurgeEvent};
use crate::hash::DataHash;
use crate::id::ResourceId;
use crate::import::{ImportOptions, ImportReport};
use crate::meta::{IndexedValues, ResourceMeta};
use crate::query::Query;
use crate::retention::{PruneBounds, Pruned};
use crate::revision::{Action, RevisionInfo};
use crate::schema::{EncodedData, IndexedField, ModelDef};
use crate::time::Timestamp;

/// A store of versioned resources. Shared as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: std::fmt::Debug + Send + Sync + 'static {
    /// Prepares the store for a model (tables, indexes). Called once per model at registration;
    /// registering the same model again is harmless.
    ///
    /// When the model's indexed fields differ from those the store last registered for it (a
    /// field was added to the schema of a model that already has data), the store recomputes
    /// the indexed values of every existing resource from its current revision, logging its
    /// progress, before it returns: old resources are then found by the new field too.
    async fn register_model(&self, model: &ModelDescriptor) -> Result<()>;

    /// Applies one write atomically: reads the head, plans, appends and moves the head, or
    /// changes nothing and returns the error the planner gave.
    async fn write(&self, request: WriteRequest) -> Result<Written>;

    /// Reads a resource's head and one revision: the current one for `None`, else revision
    /// number `n`. `None` when the resource does not exist; a `revision` of `None` when the
    /// resource exists but has no such revision.
    async fn read(&self, resource_id: &ResourceId, number: Option<u64>) -> Result<Option<Fetched>>;

    /// Reads a resource's head and the revision that was current at `time`, with its data.
    ///
    /// "Current at `time`" is defined here, once: the revision with the latest `created_time`
    /// at or before `time`, and among revisions of equal times the highest number. (A
    /// resource's revision times normally grow with their numbers; an injected clock may not
    /// make them, and this definition stays one probe of an index on `(resource_id,
    /// created_time, number)` whatever the history's length.)
    ///
    /// `None` when the resource does not exist (never created, or permanently deleted); a
    /// `revision` of `None` when it exists but had no revision yet at `time`. Head and
    /// revision come from one snapshot.
    async fn read_as_of(
        &self,
        resource_id: &ResourceId,
        time: Timestamp,
    ) -> Result<Option<Fetched>>;

    /// Reads a resource's head only.
    async fn meta(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>>;

    /// Lists revision infos of a resource, a page at a time; `None` when it does not exist.
    async fn revisions(
        &self,
        resource_id: &ResourceId,
        page: RevisionPage,
    ) -> Result<Option<Vec<RevisionInfo>>>;

    /// Reads a resource's head as the planner sees it: the meta with the data hash and chain
    /// hash the head record holds. `None` when the resource does not exist. Verification
    /// compares it with the last revision.
    ///
    /// The default derives it from [`read`](Self::read)'s current revision; a store that keeps
    /// the head's hashes in a record of their own overrides it, so that verification checks that
    /// record too.
    async fn head(&self, resource_id: &ResourceId) -> Result<Option<Head>> {
        let Some(fetched) = self.read(resource_id, None).await? else {
            return Ok(None);
        };
        let revision = fetched.revision.ok_or_else(|| Error::Corrupt {
            what: format!("resource {resource_id}"),
            reason: format!(
                "its current revision {} is missing",
                fetched.meta.current_revision_id
            ),
        })?;
        Ok(Some(Head {
            meta: fetched.meta,
            data_hash: revision.info.data_hash,
            chain_hash: revision.info.chain_hash,
        }))
    }

    /// A page of a resource's revisions with their data, oldest first: those numbered above
    /// `after_number`, at most `limit` of them. `None` when the resource does not exist.
    /// Verification reads a history this way, a page at a time.
    ///
    /// The default pages [`revisions`](Self::revisions) and reads each revision with
    /// [`read`](Self::read); the SQL stores override it with one statement per page.
    async fn revisions_with_data(
        &self,
        resource_id: &ResourceId,
        after_number: u64,
        limit: u64,
    ) -> Result<Option<Vec<StoredRevision>>> {
        let page = RevisionPage {
            offset: after_number,
            limit: Some(limit),
            newest_first: false,
        };
        let Some(infos) = self.revisions(resource_id, page).await? else {
            return Ok(None);
        };
        let mut revisions = Vec::with_capacity(infos.len());
        for info in infos {
            let Some(fetched) = self.read(resource_id, Some(info.number())).await? else {
                return Ok(None);
            };
            revisions.extend(fetched.revision);
        }
        Ok(Some(revisions))
    }

    /// The events after sequence number `since` of the models `filter` admits, in sequence
    /// order, at most `limit` of them: a page of the [change feed](crate::feed). An event is a
    /// revision appended, or a purge.
    ///
    /// Sequence numbers must become visible in order: once a reader can see number `n`, no
    /// event numbered below `n` may appear later (each store says how it keeps this).
    /// Purged resources' revisions are gone from the feed with them; their purge event stays.
    async fn changes(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<Vec<FeedEvent>>;

    /// Sets the store's gauges (its pool's connections, say) through the `metrics` facade, at
    /// each scrape of `/metrics`; the default has none.
    fn record_metrics(&self) {}

    /// Whether the store answers now (`GET /readyz`): a read of the embedded file, a round
    /// trip to the database server. The default reads [`last_sequence`](Self::last_sequence).
    ///
    /// # Errors
    /// The store's error when it does not answer.
    async fn ready(&self) -> Result<()> {
        self.last_sequence().await.map(|_| ())
    }

    /// The sequence number of the newest event a reader of [`changes`](Self::changes) can see
    /// now (0 for a store without any): a feed read from it delivers what commits from now on
    /// (`GET /_changes?since=now`). The default pages through the whole feed; every store of
    /// this workspace reads it at once.
    ///
    /// # Errors
    /// Store errors.
    async fn last_sequence(&self) -> Result<u64> {
        let mut last = 0;
        loop {
            let page = self
                .changes(last, crate::feed::MAX_FEED_LIMIT, &ModelFilter::all())
                .await?;
            match page.last() {
                Some(event) => last = event.sequence(),
                None => return Ok(last),
            }
        }
    }

    /// The signal the store raises after each commit, so that [feed
    /// watchers](crate::feed::watch) wake at once rather than at their next poll. `None` (the
    /// default) for a store that raises none: its watchers poll.
    fn feed_signal(&self) -> Option<FeedSignal> {
        None
    }

    /// Erases a resource and all its revisions, recording a purge event in the feed with the
    /// request's user and time; returns the head as it was, `None` (and no event) when the
    /// resource did not exist.
    async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>>;

    /// Drops the data of `resource_id`'s revisions that `bounds` admit (see
    /// [retention](crate::retention)), in one atomic step; returns what it dropped, `None` when
    /// the resource does not exist. Pinned revisions, revisions already pruned and the current
    /// revision (as the head read in the same step says) are kept whatever the bounds say.
    /// Revision infos and feed events stay.
    async fn prune(&self, resource_id: &ResourceId, bounds: PruneBounds) -> Result<Option<Pruned>>;

    /// Pins revision `number` of a resource (`pinned`), so that no prune drops its data, or
    /// unpins it. Setting what is already set changes nothing.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`]; [`Error::RevisionNotFound`]; [`Error::RevisionPruned`]
    /// when pinning a revision whose data is gone; store errors.
    async fn set_pinned(&self, resource_id: &ResourceId, number: u64, pinned: bool) -> Result<()>;

    /// The numbers of a resource's pinned revisions, in order; `None` when it does not exist.
    async fn pinned(&self, resource_id: &ResourceId) -> Result<Option<Vec<u64>>>;

    /// Gives the space that pruning and purges freed back to the system where the store can
    /// (SQLite's incremental vacuum); returns the bytes given back. The default gives none
    /// (memory frees at once; PostgreSQL's autovacuum does it in the background).
    async fn reclaim(&self) -> Result<u64> {
        Ok(0)
    }

    /// Everything the store holds, read from one snapshot: every resource (its head and all its
    /// revisions with their data), in resource id order, then every purge event, in sequence
    /// order. The stream pulls from the store as it is read (memory stays at about one
    /// resource however large the store), and writes committed after the export began are not
    /// in it. For backups and moves between stores.
    async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>>;

    /// Loads resources whole and purge events, as [`export`](Self::export) gives them, all or
    /// nothing: [the import rules](crate::import) say what is checked, kept and moved. The
    /// store registers `models` (the target's definitions of every model among the items) in
    /// the same transaction, and commits only after the last item: an error from the items, a
    /// check or the store leaves it as it was.
    ///
    /// # Errors
    /// [`Error::UnknownModel`] for a resource of a model not in `models`;
    /// [`Error::AlreadyExists`] for a resource the store holds, under [`OnDuplicate::Fail`];
    /// [`Error::Corrupt`] for a resource whose history does not verify; the items' own errors;
    /// store errors.
    ///
    /// [`OnDuplicate::Fail`]: crate::import::OnDuplicate::Fail
    async fn import(
        &self,
        models: &[ModelDescriptor],
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport>;

    /// The models the store holds, as they were last registered, by name: what a new
    /// registration would change (a tool's dry run, a migration's starting point).
    async fn registered_models(&self) -> Result<Vec<RegisteredModel>>;

    /// What the store holds per registered model, by name: its resources (and how many are
    /// deleted), its revisions and the bytes of their data (`GET /_stats`, `specstar stats`).
    /// Reads every revision's length: an administrator's view, not for every request.
    async fn stats(&self) -> Result<Vec<ModelStats>>;

    /// Counts the resources of a model, deleted ones only when `include_deleted`.
    async fn count(&self, model: &str, include_deleted: bool) -> Result<u64>;

    /// The heads of a model's resources that match a query, in its order, its page only.
    ///
    /// The query comes [checked](Query::checked) against the model (the resource managers
    /// check it): values fit their operators and times are in the form stores compare. The
    /// answer must be what [`Query::matches`] and [`Query::page`] give over every head of the
    /// model, computed from the store's indexes rather than by reading every resource.
    ///
    /// # Errors
    /// [`Error::UnindexedField`] for a data field the model did
    /// not index at registration; store errors.
    async fn search(&self, model: &str, query: &Query) -> Result<Vec<ResourceMeta>>;

    /// How many of a model's resources match a query's filter (and deleted rule); its sorts,
    /// offset and limit do not matter.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    async fn count_matching(&self, model: &str, query: &Query) -> Result<u64>;
}

/// What a store needs to know of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDescriptor {
    /// The model's name.
    pub name: Arc<str>,
    /// The schema version new revisions are written with.
    pub schema_version: Arc<str>,
    /// The indexed fields, in declaration order.
    pub indexed_fields: Vec<IndexedField>,
    /// How data of older schema versions is brought to this one, when the model declares
    /// migration steps: a store's backfill indexes old heads by their upcast data.
    pub upcast: Option<Upcast>,
    /// The fingerprint of the version's schema ([`ModelDef::fingerprint`]), which the store
    /// records per version and checks at every registration; `None` to check nothing.
    pub fingerprint: Option<Arc<str>>,
}

/// A model's migration path, as stores call it: data of a schema version into the current
/// version's (see [`ModelDef::upcast`]).
#[derive(Clone)]
pub struct Upcast(Arc<ModelDef>);

impl std::fmt::Debug for Upcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upcast({:?})", self.0.migration_sources())
    }
}

impl PartialEq for Upcast {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Upcast {}

impl ModelDescriptor {
    /// The paths of the indexed fields, in declaration order.
    pub fn indexed_paths(&self) -> Vec<String> {
        self.indexed_fields
            .iter()
            .map(|field| field.path().to_owned())
            .collect()
    }

    /// The values of the indexed fields in `data`, as a write would index them: what a store
    /// recomputes for its existing resources when a registration adds an indexed field.
    pub fn indexed_values(&self, data: &serde_json::Value) -> IndexedValues {
        self.indexed_fields
            .iter()
            .map(|field| (field.path().to_owned(), field.value_in(data)))
            .collect()
    }
    /// Refuses this registration when the store `recorded` another schema fingerprint under
    /// the same version: data of one version must mean one thing.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`] saying to bump the version.
    pub fn check_fingerprint(&self, recorded: Option<&str>) -> Result<()> {
        match (&self.fingerprint, recorded) {
            (Some(mine), Some(theirs)) if **mine != *theirs => Err(Error::InvalidSchema {
                model: self.name.to_string(),
                reason: format!(
                    "the store registered schema version {version:?} with another schema \
                     ({theirs}; this one is {mine}): a changed schema needs a new version, so \
                     bump the schema version and declare a migration step from {version:?}",
                    version = self.schema_version
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The indexed values of a head whose current data `data` is of schema version
    /// `version`: those of its upcast data when the version is older and the model migrates
    /// it (so that search on a renamed or new field finds old resources), else of the data as
    /// stored. What a store's backfill computes.
    pub fn indexed_values_of(&self, version: &str, data: &serde_json::Value) -> IndexedValues {
        if let Some(upcast) = &self.upcast
            && version != &*self.schema_version
            && upcast.0.has_migration_path(version)
        {
            match upcast.0.upcast_value(version, data.clone()) {
                Ok(current) => return self.indexed_values(&current),
                Err(error) => tracing::warn!(
                    model = %self.name, version, %error,
                    "a head's data could not be upcast; it is indexed as stored"
                ),
            }
        }
        self.indexed_values(data)
    }
}

impl From<&ModelDef> for ModelDescriptor {
    fn from(model: &ModelDef) -> Self {
        Self {
            name: model.name_arc().clone(),
            schema_version: model.schema_version().clone(),
            indexed_fields: model.indexed_fields().to_vec(),
            upcast: (!model.migration_sources().is_empty())
                .then(|| Upcast(Arc::new(model.clone()))),
            fingerprint: Some(model.fingerprint().clone()),
        }
    }
}

/// A resource whole, as a store holds it: its head and every revision, oldest first, with its
/// data.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredResource {
    /// The head.
    pub head: Head,
    /// Revision `n` at index `n - 1`.
    pub revisions: Vec<StoredRevision>,
}

/// One item of an [export](Store::export).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Exported {
    /// A resource, whole.
    Resource(StoredResource),
    /// A permanent delete (the feed's purge event).
    Purge(PurgeEvent),
}

/// A model as a store last registered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredModel {
    /// The model's name.
    pub name: String,
    /// The schema version it was registered with.
    pub schema_version: String,
    /// The paths of its indexed fields, in declaration order.
    pub indexed_paths: Vec<String>,
}

/// What a store holds, read without changing anything (no migration, nothing created): what a
/// dry run compares model declarations with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The layout version found; 0 when there is no store there yet.
    pub layout_version: i64,
    /// The layout version this code writes (opening the store migrates it there).
    pub current_layout_version: i64,
    /// The registered models, by name, each with its count of resources (deleted ones too).
    pub models: Vec<(RegisteredModel, u64)>,
    /// Which schema versions the resources are on (their heads'), with their counts.
    pub head_versions: Vec<VersionCount>,
    /// The schema fingerprint recorded for each registered version.
    pub fingerprints: Vec<VersionFingerprint>,
}

/// What a store holds of one model ([`Store::stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ModelStats {
    /// The model.
    pub model: String,
    /// Its resources, deleted ones too.
    pub resources: u64,
    /// Of those, the deleted ones.
    pub deleted: u64,
    /// Their revisions.
    pub revisions: u64,
    /// The bytes of those revisions' data (canonical JSON): the size of the history.
    pub history_bytes: u64,
}

/// How many resources of a model have their current revision on a schema version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionCount {
    /// The model.
    pub model: String,
    /// The schema version.
    pub version: String,
    /// Its resources, deleted ones too.
    pub resources: u64,
}

/// The schema fingerprint a store recorded for a version of a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionFingerprint {
    /// The model.
    pub model: String,
    /// The schema version.
    pub version: String,
    /// Its fingerprint ([`ModelDef::fingerprint`]).
    pub fingerprint: String,
}

/// One write, as the resource manager asks it of a store.
#[derive(Clone, Debug)]
pub struct WriteRequest {
    /// The resource written.
    pub resource_id: ResourceId,
    /// The schema version of new data.
    pub schema_version: Arc<str>,
    /// What to do.
    pub change: Change,
    /// The revision number the caller expects to be current; `None` for no expectation.
    pub expected: Option<u64>,
    /// Who writes.
    pub user: Arc<str>,
    /// When (truncated to microseconds).
    pub time: Timestamp,
}

/// A permanent delete, as the resource manager asks it of a store.
#[derive(Clone, Debug)]
pub struct PurgeRequest {
    /// The resource erased.
    pub resource_id: ResourceId,
    /// Who erases it.
    pub user: Arc<str>,
    /// When (truncated to microseconds).
    pub time: Timestamp,
}

/// What a write does to a resource.
#[derive(Clone, Debug)]
pub enum Change {
    /// Creates the resource with revision 1; it must not exist.
    Create(EncodedData),
    /// Appends new data (an update, patch or revert); the resource must be live. Data equal to
    /// the current data (same hash) appends nothing.
    Put {
        /// The new data.
        data: EncodedData,
        /// [`Action::Update`], [`Action::Patch`] or [`Action::Revert`].
        action: Action,
    },
    /// Appends a tombstone carrying the current data; the resource must be live.
    Delete,
    /// Appends the last live data as live again; a live resource is left unchanged.
    Restore,
}

/// The head as the planner sees it: the meta plus the current revision's data hash and chain
/// hash, so that a write needs no other read (but a tombstone's or a restore's, which copies
/// the current data: see [`needs_current_data`](crate::plan::needs_current_data)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The resource's meta.
    pub meta: ResourceMeta,
    /// The hash of the current revision's data.
    pub data_hash: DataHash,
    /// The current revision's chain hash, the parent link of the next revision.
    pub chain_hash: ChainHash,
}

/// A resource's head and one of its revisions, as [`Store::read`] returns them.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The head.
    pub meta: ResourceMeta,
    /// The revision asked for, if the resource has it.
    pub revision: Option<StoredRevision>,
}

/// A revision with its data, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRevision {
    /// What the revision says about itself.
    pub info: RevisionInfo,
    /// Its data: canonical JSON bytes; empty once [pruned](crate::retention).
    pub data: Bytes,
}

impl StoredRevision {
    /// Whether retention dropped this revision's data: canonical JSON is never empty, so empty
    /// data means pruned.
    pub fn is_pruned(&self) -> bool {
        self.data.is_empty()
    }
}

/// The outcome of a write.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    /// The revision that is current after the write: the new one, or the unchanged head.
    pub info: RevisionInfo,
    /// The head after the write.
    pub meta: ResourceMeta,
    /// Whether a revision was appended (`false` when nothing changed).
    pub appended: bool,
}

/// A page of a resource's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionPage {
    /// Revisions to skip, from the start in the chosen order.
    pub offset: u64,
    /// Revisions to return at most; `None` for all.
    pub limit: Option<u64>,
    /// Newest first (the HTTP history's order) instead of oldest first.
    pub newest_first: bool,
}

impl RevisionPage {
    /// The whole history, oldest first.
    pub const ALL: Self = Self {
        offset: 0,
        limit: None,
        newest_first: false,
    };

    /// The revision numbers this page covers in a history of `count` revisions, in order.
    pub fn numbers(&self, count: u64) -> Box<dyn Iterator<Item = u64> + Send> {
        let take = self.limit.unwrap_or(u64::MAX);
        let skip = self.offset.min(count);
        let len = (count - skip).min(take);
        if self.newest_first {
            let top = count - skip;
            Box::new((top - len + 1..=top).rev())
        } else {
            Box::new(skip + 1..=skip + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_right_numbers() {
        let page = |offset, limit, newest_first| RevisionPage {
            offset,
            limit,
            newest_first,
        };
        let numbers = |p: RevisionPage, count| p.numbers(count).collect::<Vec<_>>();
        assert_eq!(numbers(RevisionPage::ALL, 3), [1, 2, 3]);
        assert_eq!(numbers(page(1, Some(1), false), 3), [2]);
        assert_eq!(numbers(page(0, Some(2), true), 3), [3, 2]);
        assert_eq!(numbers(page(2, Some(5), true), 3), [1]);
        assert_eq!(numbers(page(5, None, true), 3), Vec::<u64>::new());
        assert_eq!(numbers(page(0, Some(0), false), 3), Vec::<u64>::new());
    }
}
