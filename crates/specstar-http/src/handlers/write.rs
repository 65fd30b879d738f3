//! Writes: data writes answer the flat revision info, lifecycle writes the resource meta; all
//! send the ETag of the revision that is current afterwards.

use axum::response::Response;
use http::{HeaderMap, StatusCode};
use specstar_core::Written;

use super::{json_with_etag, revision_ref};
use crate::etag::{if_match_revision, if_none_match_any};
use crate::extract::{JsonBody, Manager, Params, PatchBody, PathParams};
use crate::problem::Problem;
use crate::wire;

/// The flat revision info of a data write, with its ETag.
fn info_answer(status: StatusCode, written: &Written) -> Result<Response, Problem> {
    Ok(json_with_etag(
        status,
        wire::revision_info(&written.info)?,
        Some(&written.info.etag()),
    ))
}

/// The meta of a lifecycle write, with the ETag of the revision now current.
fn meta_answer(written: &Written) -> Result<Response, Problem> {
    Ok(json_with_etag(
        StatusCode::OK,
        wire::meta(&written.meta)?,
        Some(&written.info.etag()),
    ))
}

/// The revision a write expects to be current: `If-Match` (an ETag or a revision id), else
/// `?expected_revision_id=`; either may be a bare revision number.
fn expected(id: &str, headers: &HeaderMap, params: &Params) -> Result<Option<String>, Problem> {
    let text = match if_match_revision(headers)? {
        Some(text) => Some(text),
        None => params.get("expected_revision_id").map(str::to_owned),
    };
    text.map(|t| Manager::full_revision_id(id, &t)).transpose()
}

/// `POST /m`: creates a resource with a new id; 201 with its revision info.
pub(crate) async fn create(mgr: Manager, JsonBody(data): JsonBody) -> Result<Response, Problem> {
    let written = mgr.create(data).await?;
    info_answer(StatusCode::CREATED, &written)
}

/// `PUT /m/{id}`: replaces the data (404 for an unknown id: PUT is not an upsert), or, with
/// `If-None-Match: *`, creates the resource with this id (412 when it exists).
pub(crate) async fn put(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
    headers: HeaderMap,
    JsonBody(data): JsonBody,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    if if_none_match_any(&headers)? {
        let written = mgr.create_with_id(&id, data).await?;
        return info_answer(StatusCode::CREATED, &written);
    }
    let expected = expected(&id, &headers, &params)?;
    let written = mgr
        .update(&id, data, revision_ref(expected.as_ref()))
        .await?;
    info_answer(StatusCode::OK, &written)
}

/// `PATCH /m/{id}`: applies a JSON Patch or a merge patch to the current data.
pub(crate) async fn patch(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
    headers: HeaderMap,
    PatchBody(patch): PatchBody,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let expected = expected(&id, &headers, &params)?;
    let written = mgr
        .patch(&id, &patch, revision_ref(expected.as_ref()))
        .await?;
    info_answer(StatusCode::OK, &written)
}

/// `DELETE /m/{id}`: soft delete (a tombstone revision); answers the meta.
pub(crate) async fn delete(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let expected = expected(&id, &headers, &params)?;
    let written = mgr.delete(&id, revision_ref(expected.as_ref())).await?;
    meta_answer(&written)
}

/// `POST /m/{id}/restore`: makes a deleted resource live again; answers the meta. `If-Match` /
/// `?expected_revision_id=` as on other writes (412 on mismatch); 409 when the data to restore
/// no longer fits the model.
pub(crate) async fn restore(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let expected = expected(&id, &headers, &params)?;
    let written = mgr.restore_if(&id, revision_ref(expected.as_ref())).await?;
    meta_answer(&written)
}

/// `POST /m/{id}/migrate`: brings the resource to the current schema version with a revision
/// of action `migrate` (nothing when it is on it); answers the meta. 410 for a deleted
/// resource, 409 when no migration path leads from its version or a step fails.
pub(crate) async fn migrate(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let written = mgr.migrate(&id).await?;
    meta_answer(&written)
}

/// `POST /m/{id}/switch/{revision_id}`: appends a copy of that revision's data as the newest
/// revision (history only moves forward); answers the meta. `If-Match` /
/// `?expected_revision_id=` as on other writes; 409 when that revision's data no longer fits
/// the model.
pub(crate) async fn switch(
    mgr: Manager,
    PathParams((segment, revision)): PathParams<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let revision = Manager::full_revision_id(&id, &revision)?;
    let expected = expected(&id, &headers, &params)?;
    let written = mgr
        .revert_if(&id, &revision, revision_ref(expected.as_ref()))
        .await?;
    meta_answer(&written)
}

/// `DELETE /m/{id}/permanently`: erases the resource and its revisions; answers the meta as it
/// was.
pub(crate) async fn permanently(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
) -> Result<Response, Problem> {
    let meta = mgr.permanently_delete(&mgr.full_id(&segment)).await?;
    Ok(json_with_etag(StatusCode::OK, wire::meta(&meta)?, None))
}
