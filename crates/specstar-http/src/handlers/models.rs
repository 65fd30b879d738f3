//! `GET /_models`: the registered models the caller may read, each with what a client needs to
//! list, filter and edit its resources without reading the OpenAPI document: its schema
//! version, indexed fields (path, whether an array, whether a time), JSON Schema, and the
//! actions the caller's roles have on it. The admin UI starts here.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde_json::{Value, json};
use specstar_core::{Access, Caller, Grant, ModelDef};

use super::feed::ApiState;
use super::visibility;
use crate::auth::Principal;
use crate::problem::Problem;

/// The route's path.
pub(crate) const PATH: &str = "/_models";

/// `GET /_models`: `{"models": [ModelInfo…]}`, in registration order.
pub(crate) async fn models(
    State(state): State<ApiState>,
    parts: Parts,
) -> Result<Response, Problem> {
    let principal = state.config.resolve_principal(&parts)?;
    let models: Vec<Value> = state
        .registry
        .all()
        .iter()
        .filter(|model| visibility::may_read_model(model, &principal))
        .map(|model| describe(model, &principal))
        .collect();
    Ok(axum::Json(json!({ "models": models })).into_response())
}

fn describe(model: &ModelDef, principal: &Principal) -> Value {
    let fields: Vec<Value> = model
        .indexed_fields()
        .iter()
        .map(|f| json!({ "path": f.path(), "array": f.is_array(), "time": f.is_timestamp() }))
        .collect();
    let caller = Caller {
        id: &principal.id,
        roles: &principal.roles,
    };
    let actions: Vec<&str> = Access::ALL
        .into_iter()
        .filter(|access| model.grant(caller, *access) != Grant::Denied)
        .map(Access::as_str)
        .collect();
    json!({
        "name": model.name(),
        "schema_version": model.schema_version(),
        "indexed_fields": fields,
        "json_schema": model.json_schema(),
        "actions": actions,
    })
}
