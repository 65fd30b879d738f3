//! Which of the change feed's events a caller sees, and which models' statistics: a model's
//! rules apply to the feed as to its routes. A model read within a row scope shows the
//! revisions that scope matches, each judged as the resource was at that revision (its data's
//! indexed values; its creation from its head), and none of its purges (nothing of a purged
//! resource is left to judge).

use std::sync::Arc;

use serde_json::Value;
use specstar_core::feed::FeedEvent;
use specstar_core::{
    Access, Caller, DynResourceManager, Grant, ModelDef, Registry, ResourceMeta, RevisionInfo,
    Store,
};

use crate::auth::Principal;
use crate::problem::Problem;

fn caller(principal: &Principal) -> Caller<'_> {
    Caller {
        id: &principal.id,
        roles: &principal.roles,
    }
}

/// Whether `principal` may read `model`: it has no rules, or one gives a role of its `read`
/// (on some resources, when scoped).
pub(crate) fn may_read_model(model: &ModelDef, principal: &Principal) -> bool {
    model.grant(caller(principal), Access::Read) != Grant::Denied
}

/// Whether `principal` may read every resource of `model`: what its statistics count.
pub(crate) fn reads_all(model: &ModelDef, principal: &Principal) -> bool {
    model.grant(caller(principal), Access::Read) == Grant::All
}

/// Whether `principal` sees the event, by its model's rules as registered now (the filter made
/// at the request's start does not know models registered later).
pub(crate) async fn sees(
    store: &Arc<dyn Store>,
    registry: &Registry,
    principal: &Principal,
    event: &FeedEvent,
) -> Result<bool, Problem> {
    let Ok(model) = registry.get(event.model()) else {
        return Ok(true);
    };
    let scope = match model.grant(caller(principal), Access::Read) {
        Grant::Denied => return Ok(false),
        Grant::All => return Ok(true),
        Grant::Scoped(scope) => scope,
    };
    let FeedEvent::Revision(info) = event else {
        return Ok(false);
    };
    let manager = DynResourceManager::new(model.clone(), store.clone()).within(scope)?;
    let Some(then) = head_at(store, &model, info).await? else {
        return Ok(false);
    };
    Ok(manager.admits(&then))
}

/// The resource's head as it was at revision `info`: `None` when it is purged since, or the
/// revision's data was pruned (nothing to judge it by).
async fn head_at(
    store: &Arc<dyn Store>,
    model: &ModelDef,
    info: &RevisionInfo,
) -> Result<Option<ResourceMeta>, Problem> {
    let Some(fetched) = store.read(&info.resource_id, Some(info.number())).await? else {
        return Ok(None);
    };
    let Some(revision) = fetched.revision.filter(|r| !r.is_pruned()) else {
        return Ok(None);
    };
    let bytes = model.upcast(info, revision.data)?;
    let Ok(data) = serde_json::from_slice::<Value>(&bytes) else {
        tracing::error!(revision = %info.revision_id, "stored data is not JSON");
        return Err(Problem::from_status(
            http::StatusCode::INTERNAL_SERVER_ERROR,
        ));
    };
    Ok(Some(ResourceMeta {
        current_revision_id: info.revision_id.clone(),
        total_revision_count: info.number(),
        schema_version: model.schema_version().clone(),
        updated_time: info.created_time,
        updated_by: info.created_by.clone(),
        is_deleted: info.deleted,
        indexed_data: model.indexed_values(&data),
        ..fetched.meta
    }))
}
