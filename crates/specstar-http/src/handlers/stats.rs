//! `GET /_stats`: per model, its resources (and how many are deleted), its revisions and the
//! bytes of their data, as the store counts them now.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde_json::json;

use super::feed::ApiState;
use crate::problem::Problem;

/// The route's path.
pub(crate) const PATH: &str = "/_stats";

/// `GET /_stats`: `{"models": [ModelStats…]}`, by model name.
pub(crate) async fn stats(
    State(state): State<ApiState>,
    parts: Parts,
) -> Result<Response, Problem> {
    let principal = state.config.resolve_principal(&parts)?;
    // Only the models the caller may read: counts are what a model's rules protect too, and
    // a model read within a row scope is left out (its counts are of every resource).
    let filter = super::feed::readable(
        specstar_core::feed::ModelFilter::all(),
        &state.registry,
        &principal,
        &state.config,
    )?;
    let mut models = state.store.stats().await?;
    models.retain(|m| {
        filter.admits(&m.model)
            && state.registry.get(&m.model).map_or(true, |model| {
                super::visibility::reads_all(&model, &principal)
            })
    });
    Ok(axum::Json(json!({ "models": models })).into_response())
}
