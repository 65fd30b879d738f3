//! `GET /metrics` in the Prometheus text format, through the `metrics` crate's facade and its
//! Prometheus exporter (the process has one recorder: [`Metrics::install`] sets it once).
//!
//! What is measured:
//! - `specstar_http_requests_total{route, method, status}` and
//!   `specstar_http_request_duration_seconds{route, method}`: every request that matched a
//!   route, labelled by its route template (`/issue/{resource_id}`), never a raw id;
//! - `specstar_store_write_duration_seconds{model}`: each write of the resource managers, from
//!   the request to the store until it is durable;
//! - `specstar_sqlite_commit_batch_size`: the writes of each group commit of the embedded store;
//! - `specstar_pool_connections{state}`: the PostgreSQL pool's connections in use and idle, and
//!   `specstar_pool_waiting`, callers waiting for one (read at each scrape);
//! - `specstar_feed_streams`: the change feed's open event streams,
//!   `specstar_feed_stream_lag_events`: at each event a stream sends, how many events behind
//!   the newest this process knows of it is, and `specstar_feed_last_sequence`: the newest
//!   event in the store (a pull consumer's lag is this minus its position).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::handlers::feed::ApiState;
use crate::problem::Problem;

/// The route's path.
pub(crate) const PATH: &str = "/metrics";

/// The histograms' buckets, in seconds: 100 µs to 10 s.
const SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The batch sizes' buckets.
const BATCHES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The feed lag's buckets, in events.
const LAG: &[f64] = &[
    0.0,
    1.0,
    10.0,
    100.0,
    1_000.0,
    10_000.0,
    100_000.0,
    1_000_000.0,
];

/// The process's metrics, to serve at `/metrics` ([`HttpConfig::with_metrics`](crate::HttpConfig::with_metrics)).
#[derive(Clone)]
pub struct Metrics {
    handle: Arc<PrometheusHandle>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The recorder the process installed, if any (the `metrics` crate takes one per process).
static INSTALLED: OnceLock<Result<Arc<PrometheusHandle>, String>> = OnceLock::new();

impl Metrics {
    /// The Prometheus recorder of this process: installed on the first call, shared by the
    /// later ones.
    ///
    /// # Errors
    /// A message when another recorder was installed in the process first.
    pub fn install() -> Result<Self, String> {
        let installed = INSTALLED.get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCHES)
                })
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_lag_events".into()), LAG))
                .map_err(|e| e.to_string())?
                .install_recorder()
                .map(Arc::new)
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))
        });
        installed.clone().map(|handle| Self { handle })
    }

    /// The metrics now, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// `GET /metrics`: the store's gauges read, then everything rendered.
pub(crate) async fn serve(state: ApiState, metrics: Metrics) -> Response {
    state.store.record_metrics();
    match state.store.last_sequence().await {
        Ok(last) => metrics::gauge!("specstar_feed_last_sequence").set(last as f64),
        Err(error) => return Problem::from(error).into_response(),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics.render(),
    )
        .into_response()
}

/// The middleware of matched routes: counts each request by route template, method and status,
/// and times it.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(
        "specstar_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "specstar_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    response
}
