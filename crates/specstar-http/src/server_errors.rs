//! The log of server failures: every 5xx answer is one `tracing` event at error level with the
//! request id, the method, the route and the error's cause chain, so that the "see the logs" of
//! the problem body leads somewhere. The client is told nothing more.
//!
//! The event is emitted by a middleware on the models' routes, after routing, because that is
//! where the route template (`/issue/{resource_id}`) is known; the cause travels from the
//! [`Problem`](crate::Problem) to here in the response's extensions
//! ([`ServerErrorCause`]).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::problem::ServerErrorCause;

/// Middleware (`axum::middleware::from_fn`): logs a server error answer with its request.
pub async fn log(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let method = request.method().clone();
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_server_error() {
        let cause = response
            .extensions_mut()
            .remove::<ServerErrorCause>()
            .map_or_else(|| "no cause recorded".to_owned(), |c| c.0);
        tracing::error!(
            request_id,
            %method,
            route,
            status = status.as_u16(),
            error = %cause,
            "request failed on the server side"
        );
    }
    response
}
