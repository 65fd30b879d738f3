//! Search and count: pages of a model's resources matching the search parameters
//! ([`crate::search`]), in any `returns` shape, with `X-Has-More`, `X-Next-Cursor` when more
//! follow (the keyset position of the page's last row, for the `cursor` parameter) and, on
//! request, `X-Total-Count`.

use axum::extract::State;
use axum::response::Response;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;
use specstar_core::{Cursor, ResourceMeta};

use super::json_with_etag;
use crate::extract::{Manager, Params};
use crate::problem::Problem;
use crate::routes::ModelState;
use crate::search::from_params;
use crate::shape::{Part, Returns};
use crate::wire;

/// `X-Has-More`: whether a page has more matches after it.
pub(crate) const X_HAS_MORE: HeaderName = HeaderName::from_static("x-has-more");
/// `X-Next-Cursor`: the `cursor` that continues after this page, when more matches follow.
pub(crate) const X_NEXT_CURSOR: HeaderName = HeaderName::from_static("x-next-cursor");
/// `X-Total-Count`: how many resources match (with `with_total=true`).
pub(crate) const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// Runs the search and answers the page as a JSON array in `returns` shape.
async fn page(
    mgr: &Manager,
    state: &ModelState,
    params: &Params,
    returns: Returns,
) -> Result<Response, Problem> {
    let search = from_params(params, &state.config, true)?;
    let with_total = params.flag("with_total", false)?;
    let partial = params.all("partial");
    let query = search.query;
    let limit = query.limit.unwrap_or(u64::MAX);
    let fetch = query.clone().limit(limit.saturating_add(1));
    let page_len = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = |last: Option<&ResourceMeta>, has_more: bool| {
        last.filter(|_| has_more)
            .map(|meta| Cursor::after_row(&query, meta))
    };
    let (items, has_more, cursor) = if returns == Returns::Only(Part::Meta) {
        let mut metas = mgr.search(&fetch).await?;
        let has_more = metas.len() > page_len;
        metas.truncate(page_len);
        let cursor = next(metas.last(), has_more);
        let items = metas
            .iter()
            .map(wire::meta)
            .collect::<Result<Vec<_>, _>>()?;
        (items, has_more, cursor)
    } else {
        let mut found = mgr.search_resources(&fetch).await?;
        let has_more = found.len() > page_len;
        found.truncate(page_len);
        let cursor = next(found.last().map(|f| &f.meta), has_more);
        let items = found
            .iter()
            .map(|f| returns.render(f, &partial))
            .collect::<Result<Vec<_>, _>>()?;
        (items, has_more, cursor)
    };
    let total = if with_total {
        Some(mgr.count_matching(&query).await?)
    } else {
        None
    };
    let mut response = json_with_etag(StatusCode::OK, Value::Array(items), None);
    let headers = response.headers_mut();
    headers.insert(
        X_HAS_MORE,
        HeaderValue::from_static(if has_more { "true" } else { "false" }),
    );
    if let Some(cursor) = cursor
        && let Ok(value) = HeaderValue::from_str(&cursor.to_string())
    {
        headers.insert(X_NEXT_CURSOR, value);
    }
    if let Some(total) = total {
        headers.insert(X_TOTAL_COUNT, HeaderValue::from(total));
    }
    Ok(response)
}

/// `GET /m`: a page of envelopes, or of what `returns` asks.
pub(crate) async fn list(
    mgr: Manager,
    State(state): State<ModelState>,
    params: Params,
) -> Result<Response, Problem> {
    let returns = Returns::parse(params.get("returns"))?;
    page(&mgr, &state, &params, returns).await
}

/// `GET /m/data`: a page of bare data.
pub(crate) async fn list_data(
    mgr: Manager,
    State(state): State<ModelState>,
    params: Params,
) -> Result<Response, Problem> {
    page(&mgr, &state, &params, Returns::Only(Part::Data)).await
}

/// `GET /m/meta`: a page of bare resource metas.
pub(crate) async fn list_meta(
    mgr: Manager,
    State(state): State<ModelState>,
    params: Params,
) -> Result<Response, Problem> {
    page(&mgr, &state, &params, Returns::Only(Part::Meta)).await
}

/// `GET /m/full`: a page of whole envelopes.
pub(crate) async fn list_full(
    mgr: Manager,
    State(state): State<ModelState>,
    params: Params,
) -> Result<Response, Problem> {
    page(&mgr, &state, &params, Returns::full()).await
}

/// `GET /m/count`: how many resources match, a JSON integer (`limit` and `offset` ignored).
pub(crate) async fn count(
    mgr: Manager,
    State(state): State<ModelState>,
    params: Params,
) -> Result<Response, Problem> {
    let search = from_params(&params, &state.config, false)?;
    let n = mgr.count_matching(&search.query).await?;
    Ok(json_with_etag(StatusCode::OK, Value::from(n), None))
}
