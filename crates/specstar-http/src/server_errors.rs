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
///
/// On the way in it keeps only cheap clones (a header value, the route's shared string); text
/// is made only when the answer is a failure.
pub(crate) async fn log(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").cloned();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_server_error() {
        let cause = response
            .extensions_mut()
            .remove::<ServerErrorCause>()
            .map_or_else(|| "no cause recorded".to_owned(), |c| c.0);
        let request_id = request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::error!(
            request_id,
            %method,
            route = route.as_ref().map_or("", MatchedPath::as_str),
            status = status.as_u16(),
            error = %cause,
            "request failed on the server side"
        );
    }
    response
}
