//! One log line per request at info level (health checks at debug): method, path, status, time
//! taken and request id.

use std::time::Instant;

use specstar::http::axum::Router;
use specstar::http::axum::extract::Request;
use specstar::http::axum::middleware::{self, Next};
use specstar::http::axum::response::Response;

/// `router` with every request logged once it is answered.
pub(crate) fn layer(router: Router) -> Router {
    router.layer(middleware::from_fn(log))
}

async fn log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    // The router gave the request its id (or kept the client's) and echoes it on the answer.
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // A load balancer polls these every few seconds: at debug level, they do not drown the log.
    if matches!(path.as_str(), "/healthz" | "/readyz") {
        tracing::debug!(target: "specstar::request", %method, path, status, ms, request_id, "request");
    } else {
        tracing::info!(target: "specstar::request", %method, path, status, ms, request_id, "request");
    }
    response
}
