//! Each model's routes, built from the one description of the API's operations
//! ([`OPERATIONS`](crate::operations::OPERATIONS)), each model with its own resource manager as
//! router state.
//!
//! Routes are built from [`Registry::all`](specstar_core::Registry::all), again after each
//! registration (see [`router`](crate::router)). `{resource_id}` is the full resource id
//! (`issue:0193…`) or, as a shorthand, the bare key (`0193…`), which means `m:0193…`. The
//! search parameters are described in [`crate::search`].

use std::sync::Arc;

use axum::Router;
use specstar_core::{DynResourceManager, ModelDef, Store, WriteContext};

use crate::auth::gate::{self, Gate};
use crate::config::HttpConfig;
use crate::operations::OPERATIONS;

/// The state of one model's routes.
#[derive(Clone, Debug)]
pub(crate) struct ModelState {
    /// The model's resource manager, acting as "anonymous" until a request names its user.
    pub(crate) manager: DynResourceManager,
    /// The HTTP settings.
    pub(crate) config: Arc<HttpConfig>,
}

/// The routes of one model, with their state applied: one per operation, the methods of one
/// path merged into one route.
pub(crate) fn model_routes(
    model: Arc<ModelDef>,
    store: Arc<dyn Store>,
    config: Arc<HttpConfig>,
) -> Router {
    let base = format!("/{}", model.name());
    let has_rules = model.permissions().is_some();
    let state = ModelState {
        manager: DynResourceManager::new(model, store)
            .with_context(WriteContext::default().with_hooks(config.hooks().clone())),
        config: config.clone(),
    };
    let metrics = config.metrics().is_some();
    let routes = OPERATIONS.iter().fold(Router::new(), |router, operation| {
        let path = format!("{base}{}", operation.path);
        let mut route = (operation.handler)(operation.method.filter());
        if has_rules {
            let gate = Gate {
                manager: state.manager.clone(),
                access: operation.access,
                config: config.clone(),
            };
            route = route.route_layer(axum::middleware::from_fn_with_state(gate, gate::check));
        }
        router.route(&path, route)
    });
    // Each request by its route's template (`/issue/{resource_id}`), never its raw path.
    let routes = if metrics {
        routes.route_layer(axum::middleware::from_fn(crate::metrics::record))
    } else {
        routes
    };
    routes.with_state(state)
}
