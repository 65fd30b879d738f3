//! Reads: one resource in the shape asked, and its history.

use axum::response::{IntoResponse, Response};
use http::header::ETAG;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use specstar_core::{DynResource, Error, RevisionPage};

use super::{json_with_etag, revision_ref};
use crate::etag::if_none_match_hits;
use crate::extract::{Manager, Params, PathParams};
use crate::problem::Problem;
use crate::shape::{Part, Returns};
use crate::wire;

/// The history page size when `limit` is not given (the reference's).
pub(crate) const DEFAULT_REVISION_LIMIT: u64 = 10;

/// Reads the revision the query names (`revision_id`, `as_of`, `include_deleted`).
///
/// `as_of` answers the revision current at that instant: 404 `not_yet_created` before the
/// resource's first revision, 410 when it was a tombstone (its tombstone with
/// `include_deleted=true`). With `revision_id` too, it answers that revision if it had been
/// written by then, and 404 `not_yet_created` if not.
async fn find(
    mgr: &Manager,
    segment: &str,
    params: &Params,
    with_data: bool,
) -> Result<DynResource, Problem> {
    let id = mgr.full_id(segment);
    let include_deleted = params.flag("include_deleted", false)?;
    let as_of = params.time("as_of")?;
    let revision = params
        .get("revision_id")
        .map(|text| Manager::full_revision_id(&id, text))
        .transpose()?;
    if let (Some(time), None) = (as_of, &revision) {
        let read = mgr.get_as_of(&id, time, include_deleted).await;
        return unless_pruned(mgr, read, with_data).await;
    }
    let read = mgr
        .get(&id, revision_ref(revision.as_ref()), include_deleted)
        .await;
    let found = unless_pruned(mgr, read, with_data).await?;
    match as_of {
        Some(time) if found.info.created_time > time => Err(Problem::of(
            specstar_core::ErrorCode::NotYetCreated,
            format!(
                "revision {} was written at {}, after as_of {time}",
                found.info.revision_id, found.info.created_time
            ),
        )),
        _ => Ok(found),
    }
}

/// Reads and answers in `returns` shape, with the revision's ETag, or 304 when the client's
/// `If-None-Match` names it.
async fn answer(
    mgr: Manager,
    segment: &str,
    params: &Params,
    headers: &HeaderMap,
    returns: Returns,
) -> Result<Response, Problem> {
    let found = find(&mgr, segment, params, returns.has_data()).await?;
    let etag = found.info.etag();
    if if_none_match_hits(headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(ETAG, value);
        }
        return Ok(response);
    }
    let body = returns.render(&found, &params.all("partial"))?;
    Ok(json_with_etag(StatusCode::OK, body, Some(&etag)))
}

/// A read's outcome, with a pruned revision's info (from the history) and the head in place
/// of the error when the answer holds no data: retention dropped the data, not the info.
async fn unless_pruned(
    mgr: &Manager,
    read: specstar_core::Result<DynResource>,
    with_data: bool,
) -> Result<DynResource, Problem> {
    let revision_id = match read {
        Err(Error::RevisionPruned { revision_id }) if !with_data => revision_id,
        read => return Ok(read?),
    };
    let resource_id = revision_id.resource_id().clone();
    let id = resource_id.as_str();
    let page = RevisionPage {
        offset: revision_id.number() - 1,
        limit: Some(1),
        newest_first: false,
    };
    let info = mgr.list_revisions(id, page).await?.into_iter().next();
    let info = info.ok_or(Error::RevisionPruned { revision_id })?;
    let meta = mgr.get_meta(id).await?;
    Ok(DynResource {
        data: bytes::Bytes::new(),
        info,
        meta,
    })
}

/// `GET /m/{id}`: the envelope, or what `returns` asks.
pub(crate) async fn get(
    mgr: Manager,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let returns = Returns::parse(params.get("returns"))?;
    answer(mgr, &id, &params, &headers, returns).await
}

/// `GET /m/{id}/data`: the data, bare.
pub(crate) async fn data(
    mgr: Manager,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    answer(mgr, &id, &params, &headers, Returns::Only(Part::Data)).await
}

/// `GET /m/{id}/meta`: the resource meta, bare.
pub(crate) async fn meta(
    mgr: Manager,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    answer(mgr, &id, &params, &headers, Returns::Only(Part::Meta)).await
}

/// `GET /m/{id}/revision-info`: the revision info, bare.
pub(crate) async fn revision_info(
    mgr: Manager,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    answer(
        mgr,
        &id,
        &params,
        &headers,
        Returns::Only(Part::RevisionInfo),
    )
    .await
}

/// `GET /m/{id}/full`: the whole envelope.
pub(crate) async fn full(
    mgr: Manager,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    answer(mgr, &id, &params, &headers, Returns::full()).await
}

/// `GET /m/{id}/revision-list`: `{meta, revisions, total, has_more}`, a page of the whole
/// history (deletes and restores included), newest first unless `sort=created_time`; with
/// `created_time_start` / `created_time_end` (inclusive) only the revisions created within
/// them, `total` and `has_more` counting those.
///
/// The meta and the page are two reads: a write landing between them may show in one only.
pub(crate) async fn revision_list(
    mgr: Manager,
    PathParams(segment): PathParams<String>,
    params: Params,
) -> Result<Response, Problem> {
    let id = mgr.full_id(&segment);
    let limit = params.number("limit", DEFAULT_REVISION_LIMIT)?;
    if limit == 0 {
        return Err(Problem::invalid_query("limit must be at least 1"));
    }
    let offset = params.number("offset", 0)?;
    let newest_first = match params.get("sort").unwrap_or("-created_time") {
        "-created_time" => true,
        "created_time" | "+created_time" => false,
        other => {
            return Err(Problem::invalid_query(format!(
                "sort={other:?}: expected -created_time (newest first) or created_time"
            )));
        }
    };
    let start = params.time("created_time_start")?;
    let end = params.time("created_time_end")?;
    let meta = mgr.get_meta(&id).await?;
    let page = RevisionPage {
        offset,
        limit: Some(limit),
        newest_first,
    };
    let (revisions, total) = if start.is_some() || end.is_some() {
        mgr.list_revisions_created_between(&id, start, end, page)
            .await?
    } else {
        (
            mgr.list_revisions(&id, page).await?,
            meta.total_revision_count,
        )
    };
    let has_more = offset.saturating_add(revisions.len() as u64) < total;
    let body = json!({
        "meta": wire::meta(&meta)?,
        "revisions": revisions.iter().map(wire::revision_info).collect::<Result<Vec<_>, _>>()?,
        "total": total,
        "has_more": has_more,
    });
    Ok(json_with_etag(StatusCode::OK, body, None))
}
