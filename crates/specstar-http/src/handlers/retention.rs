//! Pins: the revisions retention keeps whatever its policy says
//! (`POST`/`DELETE /{model}/{id}/revisions/{rev}/pin`, `GET /{model}/{id}/pins`). Each answers
//! the resource's pins after it: `{resource_id, pinned: [revision ids, oldest first]}`.

use axum::response::Response;
use http::StatusCode;
use serde_json::json;

use super::json_with_etag;
use crate::extract::{Manager, PathParams};
use crate::problem::Problem;

/// `POST /{model}/{id}/revisions/{rev}/pin`: no prune drops that revision's data. 410
/// `revision_pruned` when it is gone already.
pub(crate) async fn pin(
    mgr: Manager,
    PathParams((segment, revision)): PathParams<(String, String)>,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let revision = Manager::full_revision_id(&id, &revision)?;
    mgr.pin(&id, &revision).await?;
    pins_answer(&mgr, &id).await
}

/// `DELETE /{model}/{id}/revisions/{rev}/pin`: the model's retention may prune it again.
pub(crate) async fn unpin(
    mgr: Manager,
    PathParams((segment, revision)): PathParams<(String, String)>,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let revision = Manager::full_revision_id(&id, &revision)?;
    mgr.unpin(&id, &revision).await?;
    pins_answer(&mgr, &id).await
}

/// `GET /{model}/{id}/pins`: the resource's pinned revisions.
pub(crate) async fn pins(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    pins_answer(&mgr, &id).await
}

async fn pins_answer(mgr: &Manager, id: &str) -> Result<Response, Problem> {
    let pinned = mgr.pins(id).await?;
    let resource_id = mgr.resource_id(id)?;
    let body = json!({ "resource_id": resource_id, "pinned": pinned });
    Ok(json_with_etag(StatusCode::OK, body, None))
}
