//! One log line per request at info level: method, path, status and time taken.

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
    tracing::info!(
        target: "specstar::request",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    response
}
