//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers within a
//! deadline, and the server is not shutting down): what a load balancer or an orchestrator
//! polls. Neither reads a model or needs credentials beyond what the API asks of every route.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde_json::json;

use super::feed::ApiState;
use crate::problem::Problem;

/// The liveness route.
pub(crate) const HEALTH: &str = "/healthz";
/// The readiness route.
pub(crate) const READY: &str = "/readyz";

/// How long the store gets to answer a readiness check.
pub(crate) const READY_DEADLINE: Duration = Duration::from_secs(2);

/// `GET /healthz`: `{"status": "ok"}` while the process serves requests.
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: `{"status": "ready"}` when the store answered within [`READY_DEADLINE`];
/// else a 503 problem `not_ready` saying why (the store's own error is logged, not sent).
pub(crate) async fn readyz(State(state): State<ApiState>, parts: Parts) -> Response {
    if crate::shutdown::of(&parts).has_started() {
        return not_ready("the server is shutting down");
    }
    match tokio::time::timeout(READY_DEADLINE, state.store.ready()).await {
        Ok(Ok(())) => axum::Json(json!({ "status": "ready" })).into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the store did not answer");
            not_ready("the store did not answer: see the server's log")
        }
        Err(_) => not_ready(&format!(
            "the store did not answer within {} s",
            READY_DEADLINE.as_secs()
        )),
    }
}

fn not_ready(detail: &str) -> Response {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_ready",
        "Not ready",
        detail,
    )
    .into_response()
}
