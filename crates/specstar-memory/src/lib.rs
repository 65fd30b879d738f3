//! The memory store: everything in one process's memory, gone when it ends. For tests, demos and
//! as the simplest implementation of the [`Store`] contract.
//!
//! One lock guards the whole state, so every write is trivially atomic, the sequence numbers
//! follow the order in which writes become visible, and readers never see a head without its
//! revision. Revision data is shared (`Bytes`), so reads copy no data.

use std::collections::HashMap;

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::RwLock;
use specstar_core::plan::{Plan, PlannedData, plan};
use specstar_core::{
    Fetched, Head, ModelDescriptor, ResourceId, ResourceMeta, Result, RevisionInfo, RevisionPage,
    Store, StoredRevision, WriteRequest, Written,
};

/// A store in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    resources: HashMap<ResourceId, Entry>,
    last_sequence: u64,
}

#[derive(Debug)]
struct Entry {
    head: Head,
    /// Revision `n` at index `n - 1`.
    revisions: Vec<StoredRevision>,
}

impl Entry {
    fn current(&self) -> &StoredRevision {
        self.revisions
            .last()
            .expect("a resource always has its first revision")
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
    async fn register_model(&self, _model: &ModelDescriptor) -> Result<()> {
        Ok(())
    }

    async fn write(&self, request: WriteRequest) -> Result<Written> {
        let mut state = self.state.write();
        let entry = state.resources.get(&request.resource_id);
        let appended = match plan(entry.map(|e| &e.head), &request)? {
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
        state.last_sequence += 1;
        let mut info = appended.info;
        info.sequence = state.last_sequence;
        let head = Head {
            meta: appended.meta,
            data_hash: info.data_hash,
        };
        let revision = StoredRevision {
            info: info.clone(),
            data,
        };
        let meta = head.meta.clone();
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
                    },
                );
            }
        }
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

    async fn purge(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>> {
        let mut state = self.state.write();
        Ok(state.resources.remove(resource_id).map(|e| e.head.meta))
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
}
