//! The route table: the same routes for every registered model, each model with its own
//! resource manager as router state.
//!
//! Routes are built from [`Registry::all`](specstar_core::Registry::all), again after each
//! registration (see [`router`](crate::router)). Per model `m`:
//!
//! | route | handler |
//! |---|---|
//! | `POST /m` | create → 201, flat revision info |
//! | `GET /m` | search: a page of envelopes (`returns`, `partial`, `cursor`), `X-Has-More`, `X-Next-Cursor`, `X-Total-Count` |
//! | `GET /m/data`, `/meta`, `/full` | search: a page of one part bare / of envelopes |
//! | `GET /m/count` | how many match: a JSON integer |
//! | `GET /m/{id}` | read: envelope, `returns`, `revision_id`, `include_deleted`, `partial` |
//! | `GET /m/{id}/data`, `/meta`, `/revision-info`, `/full` | one part / the envelope |
//! | `GET /m/{id}/revision-list` | history: `limit`, `offset`, `sort` |
//! | `PUT /m/{id}` | update (`If-Match`, `expected_revision_id`); create with `If-None-Match: *` |
//! | `PATCH /m/{id}` | JSON Patch or merge patch |
//! | `DELETE /m/{id}` | soft delete → meta |
//! | `POST /m/{id}/restore` | restore → meta |
//! | `POST /m/{id}/switch/{revision_id}` | revert to a revision (a new one) → meta |
//! | `DELETE /m/{id}/permanently` | erase → the meta as it was |
//!
//! `{id}` is the full resource id (`issue:0193…`) or, as a shorthand, the bare key (`0193…`),
//! which means `m:0193…`. The search routes' static segments (`data`, `meta`, `full`,
//! `count`) win over `{id}`, so a resource whose bare key is one of them is read by its full
//! id. The search parameters are described in [`crate::search`].

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
use specstar_core::{DynResourceManager, ModelDef, Store};

use crate::config::HttpConfig;
use crate::handlers::{read, search, write};

/// The state of one model's routes.
#[derive(Clone, Debug)]
pub struct ModelState {
    /// The model's resource manager, acting as "anonymous" until a request names its user.
    pub manager: DynResourceManager,
    /// The HTTP settings.
    pub config: Arc<HttpConfig>,
}

/// The routes of one model, with their state applied.
pub fn model_routes(
    model: Arc<ModelDef>,
    store: Arc<dyn Store>,
    config: Arc<HttpConfig>,
) -> Router {
    let name = model.name().to_owned();
    let state = ModelState {
        manager: DynResourceManager::new(model, store),
        config,
    };
    let one = format!("/{name}/{{resource_id}}");
    Router::new()
        .route(&format!("/{name}"), get(search::list).post(write::create))
        .route(&format!("/{name}/data"), get(search::list_data))
        .route(&format!("/{name}/meta"), get(search::list_meta))
        .route(&format!("/{name}/full"), get(search::list_full))
        .route(&format!("/{name}/count"), get(search::count))
        .route(
            &one,
            get(read::get)
                .put(write::put)
                .patch(write::patch)
                .delete(write::delete),
        )
        .route(&format!("{one}/data"), get(read::data))
        .route(&format!("{one}/meta"), get(read::meta))
        .route(&format!("{one}/revision-info"), get(read::revision_info))
        .route(&format!("{one}/full"), get(read::full))
        .route(&format!("{one}/revision-list"), get(read::revision_list))
        .route(&format!("{one}/restore"), post(write::restore))
        .route(
            &format!("{one}/switch/{{revision_id}}"),
            post(write::switch),
        )
        .route(&format!("{one}/permanently"), delete(write::permanently))
        .with_state(state)
}
