//! Retention through the manager: pruning one resource or a whole model by a policy, and
//! pinning the revisions a prune must keep (see [retention](crate::retention)).

use futures_util::StreamExt;

use super::dynamic::DynResourceManager;
use crate::error::{Error, Result};
use crate::id::{RevisionId, RevisionRef};
use crate::meta::ResourceMeta;
use crate::query::{Filter, MetaField, Op, Query};
use crate::retention::{Pruned, Retention};

/// How many resources [`DynResourceManager::prune_all`] prunes at once.
const PRUNE_AT_ONCE: usize = 16;

/// What a [`DynResourceManager::prune_all`] run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PruneReport {
    /// Resources looked at (those old or long enough for the policy to prune anything).
    pub resources: u64,
    /// Of those, the ones that had revisions pruned.
    pub pruned_resources: u64,
    /// Revisions whose data was dropped, and its bytes.
    #[serde(flatten)]
    pub pruned: Pruned,
}

impl DynResourceManager {
    /// Drops the data of the resource's revisions that `policy` does not keep (never the
    /// current revision, a pinned one, or one already pruned); returns what was dropped.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn prune(&self, id: &str, policy: &Retention) -> Result<Pruned> {
        let resource_id = self.resource_id(id)?;
        let meta = self
            .store()
            .meta(&resource_id)
            .await?
            .ok_or(Error::ResourceNotFound { resource_id })?;
        self.prune_head(&meta, policy).await
    }

    /// Prunes the resource of `meta` by `policy`, bounded by that head (a head that moved
    /// since only makes the prune keep more; the store keeps its own current revision).
    async fn prune_head(&self, meta: &ResourceMeta, policy: &Retention) -> Result<Pruned> {
        let current = meta.current_revision_id.number();
        let Some(bounds) = policy.bounds(current, self.context().now()) else {
            return Ok(Pruned::default());
        };
        self.store()
            .prune(&meta.resource_id, bounds)
            .await?
            .ok_or_else(|| Error::ResourceNotFound {
                resource_id: meta.resource_id.clone(),
            })
    }

    /// Prunes every resource of the model by `policy` (see [`prune`](Self::prune)), deleted
    /// ones too, a page of heads at a time and 16 resources at once: a resource is only
    /// visited when its head says the policy may prune something (more revisions than it
    /// keeps, created before its age). Each resource is pruned in its own atomic step, so a
    /// run can stop anywhere and the next one goes on.
    ///
    /// # Errors
    /// Store errors (resources pruned before stay pruned).
    pub async fn prune_all(&self, policy: &Retention) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        if policy.keeps_everything() {
            return Ok(report);
        }
        let mut query = Query::all().include_deleted();
        if let Some(before) = policy.old_before(self.context().now()) {
            let before = serde_json::to_value(before).map_err(|e| Error::Corrupt {
                what: "a time".into(),
                reason: e.to_string(),
            })?;
            query = query.filter(Filter::meta(MetaField::CreatedTime, Op::Lt, before));
        }
        let keep = policy.kept_last().unwrap_or(1);
        let mut outcomes = self
            .iter_all(&query)
            .filter(|meta| {
                let long = meta
                    .as_ref()
                    .map_or(true, |m: &ResourceMeta| m.total_revision_count > keep);
                std::future::ready(long)
            })
            // The head listed bounds the prune: no second read per resource.
            .map(|meta| async move { self.prune_head(&meta?, policy).await })
            .buffer_unordered(PRUNE_AT_ONCE);
        while let Some(outcome) = outcomes.next().await {
            let pruned = match outcome {
                Ok(pruned) => pruned,
                // Purged since it was listed: nothing left to prune.
                Err(Error::ResourceNotFound { .. }) => Pruned::default(),
                Err(error) => return Err(error),
            };
            report.resources += 1;
            report.pruned_resources += u64::from(pruned.revisions > 0);
            report.pruned += pruned;
        }
        Ok(report)
    }

    /// Pins a revision: no prune drops its data. Pinning a pinned revision changes nothing.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], [`Error::RevisionPruned`]
    /// (its data is gone already), id and store errors.
    pub async fn pin(&self, id: &str, revision_id: &dyn RevisionRef) -> Result<RevisionId> {
        self.set_pinned(id, revision_id, true).await
    }

    /// Unpins a revision, so that its model's retention may prune it again.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], [`Error::RevisionNotFound`], id and store errors.
    pub async fn unpin(&self, id: &str, revision_id: &dyn RevisionRef) -> Result<RevisionId> {
        self.set_pinned(id, revision_id, false).await
    }

    /// The resource's pinned revisions, oldest first.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`], id and store errors.
    pub async fn pins(&self, id: &str) -> Result<Vec<RevisionId>> {
        let resource_id = self.resource_id(id)?;
        let numbers =
            self.store()
                .pinned(&resource_id)
                .await?
                .ok_or_else(|| Error::ResourceNotFound {
                    resource_id: resource_id.clone(),
                })?;
        Ok(numbers
            .into_iter()
            .map(|n| resource_id.revision(n))
            .collect())
    }

    async fn set_pinned(
        &self,
        id: &str,
        revision_id: &dyn RevisionRef,
        pinned: bool,
    ) -> Result<RevisionId> {
        let resource_id = self.resource_id(id)?;
        let revision = revision_id.revision_of(&resource_id)?;
        self.store()
            .set_pinned(&resource_id, revision.number(), pinned)
            .await?;
        Ok(revision)
    }
}
