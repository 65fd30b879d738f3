//! The handlers: thin translations between HTTP and [`DynResourceManager`] calls.
//!
//! Reads and writes are split because they share different things: reads the `returns` /
//! `partial` rendering and 304s, writes the expected-revision preconditions and the answer
//! shapes (revision info for data writes, meta for lifecycle writes).
//!
//! [`DynResourceManager`]: specstar_core::DynResourceManager

pub(crate) mod feed;
pub(crate) mod health;
pub(crate) mod history;
pub(crate) mod models;
pub(crate) mod read;
pub(crate) mod retention;
pub(crate) mod search;
pub(crate) mod stats;
pub(crate) mod visibility;
pub(crate) mod write;

use axum::response::{IntoResponse, Response};
use http::header::ETAG;
use http::{HeaderValue, StatusCode};
use serde_json::Value;
use specstar_core::RevisionRef;

/// A JSON answer with an `ETag` when one is known.
pub(crate) fn json_with_etag(status: StatusCode, body: Value, etag: Option<&str>) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// A revision id the request named (an expected or a wanted revision), if any, as the core's
/// managers take it.
pub(crate) fn revision_ref(id: Option<&String>) -> Option<&dyn RevisionRef> {
    id.map(|id| id as &dyn RevisionRef)
}
