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
//! Beside the models' routes, `GET /openapi.json` serves the OpenAPI 3.1 document
//! ([`openapi_document`], built from the models' JSON Schemas, its title, version and
//! description from the [`HttpConfig`]) and `GET /docs` an interactive page for it whose assets
//! are compiled into the binary, so it works offline. Every URL of the page is relative, so the
//! router can be nested under a prefix: `Router::new().nest("/api", app)` serves `/api/docs`,
//! which loads `/api/openapi.json`.
//!
//! The router is not a snapshot: a model registered after it was made is served from the next
//! request on, and appears in the document (both are rebuilt once per registration).
//!
//! A server failure (5xx) is logged through `tracing` at error level with the request id, the
//! route and the error's cause chain; install a subscriber to see it
//! (`tracing_subscriber::fmt().init()`; the quickstart does). The client's problem body only
//! says "see its logs".
//!
//! # The public surface
//!
//! What an application needs is at the crate root: [`router`] and the ways to [`serve`] it,
//! its [`HttpConfig`] (with the [`UserResolver`] that names the acting user), [`Problem`] (the
//! error shape, which a resolver answers with), [`openapi_document`] (to write the document
//! without serving it, e.g. for a client generator) and [`parse_qb`] (the reference's `qb`
//! syntax into a core query, for routes of an application's own that take the same
//! expressions). The modules are private: handlers, extractors, the route table, the shapes on
//! the wire and conditional requests are how the router works, not an interface, and may
//! change without notice.
//!
//! The `{id}` in a path is the full resource id (`issue:0193…`); a bare key (`0193…`) is
//! accepted as a shorthand for `issue:0193…`. A revision id in a path, in `revision_id=`,
//! `expected_revision_id=` or `If-Match` may likewise be a bare revision number (`3`).

mod accept;
pub mod auth;
mod config;
mod docs;
mod etag;
mod extract;
mod handlers;
mod limits;
mod live;
mod metrics;
mod openapi;
mod operations;
mod parse_errors;
mod problem;
mod qb;
mod routes;
mod search;
mod server_errors;
mod shape;
mod shutdown;
mod ui;
mod wire;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use specstar_core::{Registry, Store};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use auth::{JwtAuth, JwtAuthError, Principal};
/// axum, the framework of the [`router`]: its `Router` to nest, merge and serve.
pub use axum;
pub use config::{
    DEFAULT_API_DESCRIPTION, DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_EVENT_STREAMS, DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, DEFAULT_REQUEST_TIMEOUT,
    HttpConfig, PrincipalResolver, UserResolver,
};
pub use limits::{DEFAULT_LISTEN_BACKLOG, bind};
pub use metrics::Metrics;
pub use problem::{PROBLEM_JSON, Problem};
pub use qb::{QbError, QbQuery, parse as parse_qb, parse_scope};
pub use shutdown::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_SHUTDOWN_DEADLINE, ServeOptions, serve_with,
};

/// The router of every model registered in `registry`, over `store`, now and later.
///
/// The models' routes and the OpenAPI document follow the registry: a model registered after
/// this call (in the registry and the store) is served from the next request on. Every
/// response passes through, from the outside in: a request id (`x-request-id`, kept from the
/// request or a new UUID, echoed on the response), tracing, gzip compression when the client
/// accepts it, the problem shape for error answers made by layers, and the body limit of
/// `config` (413 beyond it). Server failures are logged at error level.
///
/// The models are served by the router's fallback (axum's way to serve routes that change):
/// add routes of your own beside them with `.merge` or `.nest`, but do not set a fallback on
/// this router, which would replace the models (and merging it into a router that has a
/// fallback panics, as axum does for any two fallbacks).
pub fn router(registry: Arc<Registry>, store: Arc<dyn Store>, config: HttpConfig) -> Router {
    let limit = config.body_limit();
    let title = config.api_title().to_owned();
    let admin_ui = config.serves_admin_ui();
    let config = Arc::new(config);
    let auth_config = config.clone();
    let feed = handlers::feed::ApiState {
        registry: registry.clone(),
        store: store.clone(),
        config: config.clone(),
        streams: limits::StreamSlots::new(&config),
    };
    let limits_config = config.clone();
    let models = Arc::new(live::LiveModels::new(registry, store, config));
    let for_document = models.clone();
    let app = beside_models(
        feed,
        for_document,
        &title,
        admin_ui,
        limits_config.metrics(),
    )
    .fallback(move |request: axum::extract::Request| {
        let models = models.clone();
        async move { models.serve(request).await }
    })
    // Every route, the document's too: a bad token is 401 wherever it is sent.
    .layer(axum::middleware::from_fn_with_state(
        auth_config,
        auth::authenticate,
    ));
    let app = limits::with_timeout(app, &limits_config)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::map_response(problem::normalize))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // A 5xx is logged once, at error level with its cause, by `server_errors`.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    limits::with_load_shedding(app, &limits_config)
}

/// The routes beside the models': the feed, the stats, the models' list, health, the document,
/// `/docs`, the admin UI, and `/metrics` with the request metrics when the config has them.
fn beside_models(
    feed: handlers::feed::ApiState,
    models: Arc<live::LiveModels>,
    title: &str,
    admin_ui: bool,
    metrics: Option<&metrics::Metrics>,
) -> Router {
    use axum::routing::get;
    let mut app = Router::new()
        .route(
            handlers::feed::PATH,
            get(handlers::feed::changes).with_state(feed.clone()),
        )
        .route(
            handlers::stats::PATH,
            get(handlers::stats::stats).with_state(feed.clone()),
        )
        .route(
            handlers::models::PATH,
            get(handlers::models::models).with_state(feed.clone()),
        )
        .route(handlers::health::HEALTH, get(handlers::health::healthz))
        .route(
            handlers::health::READY,
            get(handlers::health::readyz).with_state(feed.clone()),
        )
        .route(
            "/openapi.json",
            get(move || {
                let document = models.document();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        );
    if let Some(metrics) = metrics.cloned() {
        app = app
            .route(
                metrics::PATH,
                get(move || metrics::serve(feed.clone(), metrics.clone())),
            )
            .route_layer(axum::middleware::from_fn(metrics::record));
    }
    app.merge(docs::routes(title)).merge(if admin_ui {
        ui::routes(title)
    } else {
        Router::new()
    })
}

/// The OpenAPI 3.1 document of every model now in `registry`, as `GET /openapi.json` serves
/// it, its `info` from `config`: to write it to a file (for a client generator, a review of
/// API changes) without starting a server.
pub fn openapi_document(registry: &Registry, config: &HttpConfig) -> serde_json::Value {
    openapi::document(&registry.all(), config)
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
/// flight finish (30 s at most; open event streams end with a `shutdown` event).
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_with_shutdown(listener, router, shutdown_signal()).await
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish, as [`serve_with`] does with the default [`ServeOptions`].
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, ServeOptions::default()).await
}

/// Completes on Ctrl-C, or on SIGTERM on Unix (how containers are stopped). The handlers are
/// installed when this is called, not when the future is first polled: a signal that arrives
/// in between (while a server starts) is still a clean stop. Call it within a Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let wait = |signal: std::io::Result<tokio::signal::unix::Signal>| async move {
                match signal {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
