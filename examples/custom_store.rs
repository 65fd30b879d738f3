//! A store of your own: any type that implements [`Store`] can hold the resources.
//!
//! ```text
//! cargo run --example custom_store
//! ```
//!
//! This one wraps another store and keeps an audit line for every revision appended, as a store
//! that mirrors writes to a log, a message bus or a second database would. A store that keeps
//! the data itself implements the same nine methods; the contract it must keep is written on the
//! [`Store`] trait, and the conformance suite checks it, scenario by scenario: this file's tests
//! run the whole suite against the store it defines.
//!
//! ```text
//! cargo test --features conformance --example custom_store
//! ```

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{
    BoxStream, Exported, FeedEvent, FeedSignal, Fetched, ImportOptions, ImportReport, MemoryStore,
    ModelDescriptor, ModelFilter, ModelStats, PruneBounds, Pruned, PurgeRequest, Query,
    RegisteredModel, ResourceId, ResourceMeta, Result, RevisionInfo, RevisionPage, Schema, Spec,
    Store, Timestamp, WriteRequest, Written,
};

/// A store that forwards everything to `inner` and records each appended revision.
#[derive(Debug)]
struct AuditedStore {
    inner: Arc<dyn Store>,
    log: AuditLog,
}

#[async_trait]
impl Store for AuditedStore {
    async fn register_model(&self, model: &ModelDescriptor) -> Result<()> {
        self.inner.register_model(model).await
    }

    async fn write(&self, request: WriteRequest) -> Result<Written> {
        let written = self.inner.write(request).await?;
        if written.appended {
            let info = &written.info;
            self.log.push(format!(
                "#{} {} {} by {}",
                info.sequence,
                info.revision_id,
                info.action.as_str(),
                info.created_by
            ));
        }
        Ok(written)
    }

    async fn read(&self, resource_id: &ResourceId, number: Option<u64>) -> Result<Option<Fetched>> {
        self.inner.read(resource_id, number).await
    }

    async fn read_as_of(
        &self,
        resource_id: &ResourceId,
        time: Timestamp,
    ) -> Result<Option<Fetched>> {
        self.inner.read_as_of(resource_id, time).await
    }

    async fn meta(&self, resource_id: &ResourceId) -> Result<Option<ResourceMeta>> {
        self.inner.meta(resource_id).await
    }

    async fn revisions(
        &self,
        resource_id: &ResourceId,
        page: RevisionPage,
    ) -> Result<Option<Vec<RevisionInfo>>> {
        self.inner.revisions(resource_id, page).await
    }

    async fn changes(
        &self,
        since: u64,
        limit: usize,
        filter: &ModelFilter,
    ) -> Result<Vec<FeedEvent>> {
        self.inner.changes(since, limit, filter).await
    }

    fn feed_signal(&self) -> Option<FeedSignal> {
        self.inner.feed_signal()
    }

    async fn purge(&self, request: PurgeRequest) -> Result<Option<ResourceMeta>> {
        let resource_id = request.resource_id.clone();
        let purged = self.inner.purge(request).await?;
        if purged.is_some() {
            self.log.push(format!("purged {resource_id}"));
        }
        Ok(purged)
    }

    async fn prune(&self, resource_id: &ResourceId, bounds: PruneBounds) -> Result<Option<Pruned>> {
        self.inner.prune(resource_id, bounds).await
    }

    async fn set_pinned(&self, resource_id: &ResourceId, number: u64, pinned: bool) -> Result<()> {
        self.inner.set_pinned(resource_id, number, pinned).await
    }

    async fn pinned(&self, resource_id: &ResourceId) -> Result<Option<Vec<u64>>> {
        self.inner.pinned(resource_id).await
    }

    async fn export(&self) -> Result<BoxStream<'static, Result<Exported>>> {
        self.inner.export().await
    }

    async fn import(
        &self,
        models: &[ModelDescriptor],
        items: BoxStream<'_, Result<Exported>>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let report = self.inner.import(models, items, options).await?;
        self.log
            .push(format!("imported {} resources", report.resources));
        Ok(report)
    }

    async fn registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.inner.registered_models().await
    }

    async fn stats(&self) -> Result<Vec<ModelStats>> {
        self.inner.stats().await
    }

    async fn count(&self, model: &str, include_deleted: bool) -> Result<u64> {
        self.inner.count(model, include_deleted).await
    }

    async fn search(&self, model: &str, query: &Query) -> Result<Vec<ResourceMeta>> {
        self.inner.search(model, query).await
    }

    async fn count_matching(&self, model: &str, query: &Query) -> Result<u64> {
        self.inner.count_matching(model, query).await
    }
}

/// The audit lines, in the order the store appended them.
#[derive(Debug, Default)]
struct AuditLog(Mutex<Vec<String>>);

impl AuditLog {
    fn push(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
}

#[tokio::main]
async fn main() -> Result<()> {
    let store = Arc::new(AuditedStore {
        inner: Arc::new(MemoryStore::new()),
        log: AuditLog::default(),
    });
    let spec = Spec::with_store(store.clone());
    spec.add_model(Schema::<Note>::new("v1")).await?;
    let mgr = spec.resource_manager::<Note>()?.as_user("alice");

    let info = mgr
        .create(Note {
            text: "draft".into(),
        })
        .await?;
    mgr.update(
        &info.resource_id,
        Note {
            text: "final".into(),
        },
    )
    .await?;
    mgr.update(
        &info.resource_id,
        Note {
            text: "final".into(),
        },
    )
    .await?; // unchanged: no revision
    mgr.delete(&info.resource_id).await?;
    mgr.restore(&info.resource_id).await?;
    mgr.permanently_delete(&info.resource_id).await?;

    for line in store.log.lines() {
        println!("{line}");
    }
    Ok(())
}

/// The conformance suite against [`AuditedStore`]: one test per scenario of the contract.
#[cfg(all(test, feature = "conformance"))]
mod conformance {
    use std::sync::Arc;

    use specstar::MemoryStore;
    use specstar::conformance::TestStore;

    use super::{AuditLog, AuditedStore};

    async fn make_store() -> TestStore {
        TestStore::ephemeral(Arc::new(AuditedStore {
            inner: Arc::new(MemoryStore::new()),
            log: AuditLog::default(),
        }))
    }

    specstar::conformance::store_suite!(make_store);
}
