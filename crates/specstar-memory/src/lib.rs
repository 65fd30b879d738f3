//! The memory store: everything in one process's memory, gone when it ends. For tests, demos and
//! as the simplest implementation of the [`Store`] contract.
//!
//! One lock guards the whole state, so every write is trivially atomic, the sequence numbers
//! follow the order in which writes become visible, and readers never see a head without its
//! revision. Revision data is shared (`Bytes`), so reads copy no data.
//!
//! Searches are answered from per-model indexes (see the `index` module): B-trees over the
//! indexed fields narrow a search to candidates, and the query's own definition decides them.

mod import;
mod index;
mod retention;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use parking_lot::RwLock;
use specstar_core::plan::{Plan, PlannedData, needs_current_data, plan};
use specstar_core::{
    Error, Exported, FeedEvent, FeedSignal, Fetched, Head, ImportOptions, ImportReport, Importer,
    ModelDescriptor, ModelFilter, ModelStats, PruneBounds, Pruned, PurgeEvent, PurgeRequest, Query,
    RegisteredModel, ResourceId, ResourceMeta, Result, RevisionInfo, RevisionPage, Store,
    StoredResource, StoredRevision, Timestamp, WriteRequest, Written,
};

use index::ModelIndex;

/// A store in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
    /// Raised after each write and purge, for feed watchers.
    signal: FeedSignal,
}

#[derive(Debug, Default)]
struct State {
    resources: HashMap<ResourceId, Entry>,
    models: HashMap<String, ModelIndex>,
    last_sequence: u64,
    /// The change feed by sequence: each live revision (its resource and number) and purge.
    by_sequence: BTreeMap<u64, Sequenced>,
    /// The schema fingerprint of each registered (model, version).
    fingerprints: HashMap<(String, String), Arc<str>>,
}

/// What a sequence number stands for in the feed.
#[derive(Debug)]
enum Sequenced {
    Revision(ResourceId, u64),
    Purge(PurgeEvent),
}

impl State {
    /// The heads of `model` that match `query`, unordered, borrowed.
    fn matching(&self, model: &str, query: &Query) -> Result<Vec<&ResourceMeta>> {
        let Some(index) = self.models.get(model) else {
            query.check_fields(model, &[])?;
            return Ok(Vec::new());
        };
        query.check_fields(model, &index.indexed)?;
        query.check_shapes(|path| {
            index
                .defs
                .iter()
                .find(|f| f.path() == path)
                .map_or(specstar_core::FieldShape::Scalar, |f| f.shape())
        })?;
        let candidates = query.filter.as_ref().and_then(|f| index.candidates(f));
        let ids: Box<dyn Iterator<Item = &ResourceId>> = match &candidates {
            Some(ids) => Box::new(ids.iter().copied()),
            None => Box::new(index.ids.iter()),
        };
        Ok(ids
            .filter_map(|id| self.resources.get(id))
            .map(|e| &e.head.meta)
            .filter(|meta| query.matches_on(&index.defs, meta))
            .collect())
    }
}

/// Recomputes the indexed values of a model's resources from their current revisions, after
/// a registration changed the model's indexed fields.
fn backfill(
    model: &ModelDescriptor,
    ids: &BTreeSet<ResourceId>,
    resources: &mut HashMap<ResourceId, Entry>,
) -> Result<()> {
    tracing::info!(model = %model.name, resources = ids.len(), "backfilling indexed fields");
    for id in ids {
        let Some(entry) = resources.get_mut(id) else {
            continue;
        };
        let data: serde_json::Value =
            serde_json::from_slice(&entry.current().data).map_err(|e| Error::Corrupt {
                what: format!("resource {id}"),
                reason: format!("its current data is not JSON: {e}"),
            })?;
        let version = &entry.current().info.schema_version;
        entry.head.meta.indexed_data = model.indexed_values_of(version, &data);
    }
    tracing::info!(model = %model.name, resources = ids.len(), "backfilled indexed fields");
    Ok(())
}

#[derive(Debug)]
struct Entry {
    head: Head,
    /// Revision `n` at index `n - 1`.
    revisions: Vec<StoredRevision>,
    /// The numbers of the pinned revisions, which no prune drops.
    pinned: BTreeSet<u64>,
}

impl Entry {
    fn current(&self) -> &StoredRevision {
        self.revisions
            .last()
            .expect("a resource always has its first revision")
    }
}

impl State {
    /// Registers a model: its index, and its resources' indexed values when its fields changed.
    fn register(&mut self, model: &ModelDescriptor) -> Result<()> {
        let version = (model.name.to_string(), model.schema_version.to_string());
        model.check_fingerprint(self.fingerprints.get(&version).map(|f| &**f))?;
        if let Some(fingerprint) = &model.fingerprint {
            self.fingerprints
                .entry(version)
                .or_insert_with(|| fingerprint.clone());
        }
        let Self {
            resources, models, ..
        } = self;
        let index = models.entry(model.name.to_string()).or_default();
        // A new schema version the model migrates to: old heads are indexed by their upcast data.
        let upcasts = model.upcast.is_some()
            && index
                .schema_version
                .as_deref()
                .is_some_and(|version| version != &*model.schema_version);
        if (upcasts || index.defs != model.indexed_fields) && !index.ids.is_empty() {
            backfill(model, &index.ids, resources)?;
        }
        index.register(&model.indexed_fields, |id| {
            resources.get(id).map(|e| &e.head.meta.indexed_data)
        });
        index.schema_version = Some(model.schema_version.to_string());
        Ok(())
    }

    /// Erases a resource and records its purge event; its head as it was and the event's
    /// number, `None` when it does not exist.
    fn erase(
        &mut self,
        resource_id: &ResourceId,
        user: Arc<str>,
        time: Timestamp,
    ) -> Option<(ResourceMeta, u64)> {
        let entry = self.resources.remove(resource_id)?;
        for revision in &entry.revisions {
            self.by_sequence.remove(&revision.info.sequence);
        }
        let meta = entry.head.meta;
        if let Some(index) = self.models.get_mut(resource_id.model()) {
            index.update(resource_id, Some(&meta.indexed_data), None);
        }
        self.last_sequence += 1;
        let sequence = self.last_sequence;
        let event = PurgeEvent {
            sequence,
            resource_id: resource_id.clone(),
            created_time: time,
            created_by: user,
        };
        self.by_sequence.insert(sequence, Sequenced::Purge(event));
        Some((meta, sequence))
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn register_model(&self, model: &ModelDescriptor) -> Result<()> {
        self.state.write().register(model)
    }

    async fn import(
        &self,
        models: &[ModelDescriptor],
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let importer = Importer::new(models);
        let gathered = import::gather(&importer, items).await?;
        let (report, last) = self.state.write().import(models, gathered, options)?;
        self.signal.raise(last);
        Ok(report)
    }

    async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>> {
        // The snapshot is a copy taken under the lock: the data is shared (`Bytes`), so it
        // costs the records, not the data.
        let state = self.state.read();
        let mut resources: Vec<&Entry> = state.resources.values().collect();
        resources.sort_by(|a, b| a.head.meta.resource_id.cmp(&b.head.meta.resource_id));
        let mut items: Vec<Result<Exported>> = resources
            .into_iter()
            .map(|entry| {
                Ok(Exported::Resource(StoredResource {
                    head: entry.head.clone(),
                    revisions: entry.revisions.clone(),
                }))
            })
            .collect();
        items.extend(
            state
                .by_sequence
                .values()
                .filter_map(|sequenced| match sequenced {
                    Sequenced::Purge(event) => Some(Ok(Exported::Purge(event.clone()))),
                    Sequenced::Revision(..) => None,
                }),
        );
        Ok(futures_util::stream::iter(items).boxed())
    }

    async fn registered_models(&self) -> Result<Vec<RegisteredModel>> {
        let state = self.state.read();
        let mut models: Vec<RegisteredModel> = state
            .models
            .iter()
            .filter_map(|(name, index)| {
                Some(RegisteredModel {
                    name: name.clone(),
                    schema_version: index.schema_version.clone()?,
                    indexed_paths: index.defs.iter().map(|f| f.path().to_owned()).collect(),
                })
            })
            .collect();
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }

    async fn write(&self, request: WriteRequest) -> Result<Written> {
        let mut state = self.state.write();
        let entry = state.resources.get(&request.resource_id);
        let current = entry
            .filter(|_| needs_current_data(&request))
            .map(|e| &e.current().data[..]);
        let appended = match plan(entry.map(|e| &e.head), &request, current)? {
            Plan::Unchanged => {
                let entry = entry.expect("only an existing resource can be unchanged");
                return Ok(Written {
                    info: entry.current().info.clone(),
                    meta: entry.head.meta.clone(),
                    appended: false,
                });
            }
            Plan::Append(appended) => appended,
        };
        let data: Bytes = match appended.data {
            PlannedData::New(bytes) => bytes,
            PlannedData::CopyOfCurrent => entry
                .expect("only an existing resource has current data")
                .current()
                .data
                .clone(),
        };
        let old = entry.map(|e| e.head.meta.indexed_data.clone());
        state.last_sequence += 1;
        let mut info = appended.info;
        info.sequence = state.last_sequence;
        let head = Head {
            meta: appended.meta,
            data_hash: info.data_hash,
            chain_hash: info.chain_hash,
        };
        let revision = StoredRevision {
            info: info.clone(),
            data,
        };
        let meta = head.meta.clone();
        state.by_sequence.insert(
            info.sequence,
            Sequenced::Revision(request.resource_id.clone(), info.number()),
        );
        state
            .models
            .entry(request.resource_id.model().to_owned())
            .or_default()
            .update(&request.resource_id, old.as_ref(), Some(&meta.indexed_data));
        match state.resources.get_mut(&request.resource_id) {
            Some(entry) => {
                entry.head = head;
                entry.revisions.push(revision);
            }
            None => {
                state.resources.insert(
                    request.resource_id,
                    Entry {
                        head,
                        revisions: vec![revision],
                        pinned: BTreeSet::new(),
                    },
                );
            }
        }
        drop(state);
        self.signal.raise(info.sequence);
        Ok(Written {
            info,
            meta,
            appended: true,
        })
    }

    async fn read(&self, resource_id: &ResourceId, number: Option<u64>) -> Result<Option<Fetched>> {
        let state = self.state.read();
        Ok(state.resources.get(resource_id).map(|entry| {
            let revision = match number {
                None => Some(entry.current()),
                Some(n) => usize::try_from(n)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| entry.revisions.get(i)),
            };
            Fetched {
                meta: entry.head.meta.clone(),
                revision: revision.cloned(),
            }
        }))
    }

    async fn read_as_of(
        &self,
        resource_id: &ResourceId,
        time: Timestamp,
    ) -> Result<Option<Fetched>> {
        let state = self.state.read();
        // The reference implementation: a scan of the history for the latest (time, number)
        // at or before `time`, the trait's definition as it is written.
        Ok(state.resources.get(resource_id).map(|entry| {
            let revision = entry
                .revisions
                .iter()
                .filter(|r| r.info.created_time <= time)
                .max_by_key(|r| (r.info.created_time, r.info.revision_id.number()));
            Fetched {
                meta: entry.head.meta.clone(),
                revision: revision.cloned(),
            }
        }))
    }

    async fn head(&self, resource_id: &ResourceId) -> Result<Option<Head>> {
        let state = self.state.read();
        Ok(state.resources.get(resource_id).map(|e| e.head.clone()))
    }

    async fn revisions_with_data(
        &self,
        resource_id: &ResourceId,
        after_number: u64,
        limit: u64,
    ) -> Result<Option<Vec<StoredRevision>>> {
        let state = self.state.read();
        Ok(state.resources.get(resource_id).map(|entry| {
            let skip = usize::try_from(after_number).unwrap_or(usize::MAX);
            let take = usize::try_from(limit).unwrap_or(usize::MAX);
            entry
                .revisions
                .iter()
                .skip(skip)
                .take(take)
                .cloned()
                .collect()
        }))
    }

    async fn meta(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>> {
        let state = self.state.read();
        Ok(state
            .resources
            .get(resource_id)
            .map(|e| e.head.meta.clone()))
    }

    async fn revisions(
        &self,
        resource_id: &ResourceId,
        page: RevisionPage,
    ) -> Result<Option<Vec<RevisionInfo>>> {
        let state = self.state.read();
        Ok(state.resources.get(resource_id).map(|entry| {
            page.numbers(entry.revisions.len() as u64)
                .map(|n| entry.revisions[(n - 1) as usize].info.clone())
                .collect()
        }))
    }

    async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>> {
        let erased = self
            .state
            .write()
            .erase(&request.resource_id, request.user, request.time);
        Ok(erased.map(|(meta, sequence)| {
            self.signal.raise(sequence);
            meta
        }))
    }

    async fn prune(&self, resource_id: &ResourceId, bounds: PruneBounds) -> Result<Option<Pruned>> {
        Ok(self.state.write().prune(resource_id, bounds))
    }

    async fn set_pinned(&self, resource_id: &ResourceId, number: u64, pinned: bool) -> Result<()> {
        self.state.write().set_pinned(resource_id, number, pinned)
    }

    async fn pinned(&self, resource_id: &ResourceId) -> Result<Option<Vec<u64>>> {
        let state = self.state.read();
        Ok(state
            .resources
            .get(resource_id)
            .map(|entry| entry.pinned.iter().copied().collect()))
    }

    async fn last_sequence(&self) -> Result<u64> {
        let state = self.state.read();
        Ok(state.by_sequence.keys().next_back().copied().unwrap_or(0))
    }

    async fn changes(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<Vec<FeedEvent>> {
        let state = self.state.read();
        let after = since.saturating_add(1);
        Ok(state
            .by_sequence
            .range(after..)
            .filter_map(|(_, sequenced)| match sequenced {
                Sequenced::Revision(id, number) => {
                    let entry = state.resources.get(id)?;
                    let revision = entry.revisions.get(usize::try_from(*number).ok()? - 1)?;
                    Some(FeedEvent::Revision(revision.info.clone()))
                }
                Sequenced::Purge(event) => Some(FeedEvent::Purge(event.clone())),
            })
            .filter(|event| filter.admits(event.model()))
            .take(limit)
            .collect())
    }

    fn feed_signal(&self) -> Option<FeedSignal> {
        Some(self.signal.clone())
    }

    async fn stats(&self) -> Result<Vec<ModelStats>> {
        let state = self.state.read();
        let mut stats: BTreeMap<&str, ModelStats> = state
            .models
            .iter()
            .filter(|(_, index)| index.schema_version.is_some())
            .map(|(name, _)| {
                let empty = ModelStats {
                    model: name.clone(),
                    ..ModelStats::default()
                };
                (name.as_str(), empty)
            })
            .collect();
        for (id, entry) in &state.resources {
            let Some(model) = stats.get_mut(id.model()) else {
                continue;
            };
            model.resources += 1;
            model.deleted += u64::from(entry.head.meta.is_deleted);
            model.revisions += entry.revisions.len() as u64;
            model.history_bytes += entry
                .revisions
                .iter()
                .map(|r| r.data.len() as u64)
                .sum::<u64>();
        }
        Ok(stats.into_values().collect())
    }

    async fn count(&self, model: &str, include_deleted: bool) -> Result<u64> {
        let state = self.state.read();
        let count = state
            .resources
            .iter()
            .filter(|(id, e)| id.model() == model && (include_deleted || !e.head.meta.is_deleted))
            .count();
        Ok(count as u64)
    }

    async fn search(&self, model: &str, query: &Query) -> Result<Vec<ResourceMeta>> {
        let state = self.state.read();
        let page = query.page(state.matching(model, query)?);
        Ok(page.into_iter().cloned().collect())
    }

    async fn count_matching(&self, model: &str, query: &Query) -> Result<u64> {
        Ok(self.state.read().matching(model, query)?.len() as u64)
    }
}
