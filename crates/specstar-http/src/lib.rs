//! # specstar-http
//!
//! The REST API of specstar: [`router`] serves every registered model with the reference's
//! routes, parameters and JSON shapes, so that the reference's clients work against it, and
//! does better where the contract says so: an `ETag` on every read of one resource (and 304 on
//! `If-None-Match`), old revisions readable after a delete, and one error shape everywhere
//! ([`Problem`], RFC 9457).
//!
//! ```no_run
//! use std::sync::Arc;
//! use specstar_core::{ModelDescriptor, Registry, Schema, Store};
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! struct Issue { title: String }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
//! let registry = Arc::new(Registry::new());
//! let model = registry.add(Schema::<Issue>::new("v1").build()?)?;
//! store.register_model(&ModelDescriptor::from(&*model)).await?;
//!
//! let app = specstar_http::router(registry, store, specstar_http::HttpConfig::new());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! specstar_http::serve(listener, app).await?;   // until Ctrl-C or SIGTERM
//! # Ok(()) }
//! ```
//!
//! Beside the models' routes, `GET /openapi.json` serves the [`openapi`] document (OpenAPI 3.1,
//! built from the models' JSON Schemas) and `GET /docs` an interactive page for it whose assets
//! are compiled into the binary, so it works offline. The page loads `/openapi.json` from the
//! root: nest the router at the root of its host.
//!
//! The pieces: [`routes`] (the route table), [`handlers`], [`extract`] (bodies, queries and the
//! acting user, each failing as a problem), [`etag`] (conditional requests), [`shape`] (the
//! `returns` and `partial` forms), [`problem`] (errors) and [`config`].
//!
//! The `{id}` in a path is the full resource id (`issue:0193…`); a bare key (`0193…`) is
//! accepted as a shorthand for `issue:0193…`. A revision id in a path, in `revision_id=`,
//! `expected_revision_id=` or `If-Match` may likewise be a bare revision number (`3`).

#![warn(missing_docs)]

pub mod config;
pub mod etag;
pub mod extract;
pub mod handlers;
pub mod openapi;
pub mod problem;
pub mod qb;
pub mod routes;
pub mod search;
pub mod shape;
pub mod wire;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use specstar_core::{Registry, Store};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use axum;
pub use config::{DEFAULT_BODY_LIMIT, HttpConfig, UserResolver};
pub use problem::{PROBLEM_JSON, Problem};

/// The router of every model registered in `registry`, over `store`.
///
/// Register the models (in the registry and the store) before calling this: the routes are
/// built from [`Registry::all`] now. Every response passes through, from the outside in: a
/// request id (`x-request-id`, kept from the request or a new UUID, echoed on the response),
/// tracing, gzip compression when the client accepts it, the problem shape for error answers
/// made by layers, and the body limit of `config` (413 beyond it).
pub fn router(registry: Arc<Registry>, store: Arc<dyn Store>, config: HttpConfig) -> Router {
    let limit = config.body_limit();
    let config = Arc::new(config);
    let models = registry.all();
    let document = Arc::new(openapi::document(
        &models,
        "specstar",
        env!("CARGO_PKG_VERSION"),
    ));
    let mut app = Router::new()
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(document.as_ref().clone()) }),
        )
        .merge(swagger_ui_dist::generate_routes(
            swagger_ui_dist::ApiDefinition {
                uri_prefix: "/docs",
                api_definition: swagger_ui_dist::OpenApiSource::Uri("/openapi.json"),
                title: Some("specstar API"),
            },
        ));
    for model in models {
        app = app.merge(routes::model_routes(model, store.clone(), config.clone()));
    }
    app.layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::map_response(problem::normalize))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The tracing span of one request: method, path and request id, so that every log line of a
/// request (a store error logged by [`Problem`] included) can be found by its `x-request-id`.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}

/// Serves `router` on `listener` until Ctrl-C (or SIGTERM on Unix), then lets the requests in
/// flight finish.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_with_shutdown(listener, router, shutdown_signal()).await
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C, or on SIGTERM on Unix (how containers are stopped).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
