//! The models' routes and OpenAPI document as the registry is now, not as it was when the
//! router was made: a model registered after [`router`](crate::router) is served by the next
//! request.
//!
//! A request reads the registry's generation (one atomic load); while it is unchanged the
//! routes and document built for it are used as they are, so the request path costs a read
//! lock and two reference counts. The first request after a registration rebuilds them, once.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use parking_lot::RwLock;
use serde_json::Value;
use specstar_core::{Registry, Store};
use tower::ServiceExt;

use crate::config::HttpConfig;
use crate::{openapi, routes, server_errors};

/// The routes and document of one generation of the registry.
struct Snapshot {
    generation: u64,
    routes: Router,
    document: Arc<Value>,
}

/// The registry's models, served live.
pub(crate) struct LiveModels {
    registry: Arc<Registry>,
    store: Arc<dyn Store>,
    config: Arc<HttpConfig>,
    current: RwLock<Arc<Snapshot>>,
}

impl LiveModels {
    /// The models of `registry` over `store`, built now and rebuilt on registration.
    pub(crate) fn new(
        registry: Arc<Registry>,
        store: Arc<dyn Store>,
        config: Arc<HttpConfig>,
    ) -> Self {
        let first = build(&registry, &store, &config);
        Self {
            registry,
            store,
            config,
            current: RwLock::new(Arc::new(first)),
        }
    }

    /// The snapshot of the registry's current generation, rebuilt if a model came or went.
    fn snapshot(&self) -> Arc<Snapshot> {
        let generation = self.registry.generation();
        let current = self.current.read().clone();
        if current.generation == generation {
            return current;
        }
        let mut slot = self.current.write();
        if slot.generation != generation {
            *slot = Arc::new(build(&self.registry, &self.store, &self.config));
        }
        slot.clone()
    }

    /// Answers `request` with the current models' routes (a problem 404 when none matches).
    pub(crate) async fn serve(&self, request: Request) -> Response {
        let routes = self.snapshot().routes.clone();
        match routes.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// The current OpenAPI document.
    pub(crate) fn document(&self) -> Arc<Value> {
        self.snapshot().document.clone()
    }
}

/// The routes and document of the registry's models now. The generation is read before the
/// models, so a registration racing with this leaves the snapshot stale, never wrongly current.
fn build(registry: &Registry, store: &Arc<dyn Store>, config: &Arc<HttpConfig>) -> Snapshot {
    let generation = registry.generation();
    let models = registry.all();
    let document = openapi::document(&models, config);
    let mut app = Router::new();
    for model in models {
        app = app.merge(routes::model_routes(model, store.clone(), config.clone()));
    }
    Snapshot {
        generation,
        routes: app.layer(axum::middleware::from_fn(server_errors::log)),
        document: Arc::new(document),
    }
}
