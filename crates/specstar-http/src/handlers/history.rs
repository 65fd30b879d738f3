//! History beyond one revision: what changed between two revisions, and whether the history
//! is as its chain says.

use axum::response::Response;
use http::StatusCode;

use super::json_with_etag;
use crate::extract::{Manager, Params, PathParams};
use crate::problem::Problem;
use crate::shape;

/// `GET /{model}/{id}/diff?from=&to=`: a JSON Patch from `from`'s data to `to`'s and the
/// changed leaves. `to` is the current revision unless given, `from` its parent unless given;
/// either takes a revision number or a full revision id, as `switch` does.
pub(crate) async fn diff(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let to = match params.get("to") {
        Some(text) => Manager::full_revision_id(&id, text)?,
        None => mgr.get_meta(&id).await?.current_revision_id.to_string(),
    };
    let from = match params.get("from") {
        Some(text) => Manager::full_revision_id(&id, text)?,
        None => {
            let to_info = mgr.get(&id, Some(&to), true).await?.info;
            // The default `from`, the parent, does not exist for a first revision.
            let parent = to_info.parent_revision_id.ok_or_else(|| {
                Problem::of(
                    specstar_core::ErrorCode::RevisionNotFound,
                    format!(
                        "revision {} is the first: it has no parent to compare with; name `from`",
                        to_info.revision_id
                    ),
                )
            })?;
            parent.to_string()
        }
    };
    let diff = mgr.diff(&id, &from, &to).await?;
    let body = shape::to_value(&diff)?;
    Ok(json_with_etag(StatusCode::OK, body, None))
}

/// `GET /{model}/{id}/verify`: the resource's tamper-evident chain recomputed, revision by
/// revision: `{resource_id, valid, revisions, head_chain_hash, first_invalid_revision_id?}`
/// (the last only when not valid). A deleted resource verifies like a live one.
pub(crate) async fn verify(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let verification = mgr.verify(&id).await?;
    let body = shape::to_value(&verification)?;
    Ok(json_with_etag(StatusCode::OK, body, None))
}
