//! The permission gate of a model's routes: the caller's roles against the model's rules
//! ([`Permissions`]), before the handler runs. Denied is 401 for an anonymous caller (with the
//! bearer challenge when the API takes tokens) and 403 for an authenticated one.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{IF_NONE_MATCH, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use specstar_core::{Access, Permissions};

use super::{ANONYMOUS_ROLE, Principal};
use crate::config::HttpConfig;
use crate::problem::Problem;

/// What one operation of one model checks.
#[derive(Clone)]
pub(crate) struct Gate {
    pub(crate) model: Arc<str>,
    pub(crate) permissions: Arc<Permissions>,
    pub(crate) access: Access,
    pub(crate) config: Arc<HttpConfig>,
}

/// The middleware: the request goes on when a rule gives one of its roles the access.
pub(crate) async fn check(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let principal = match gate.config.resolve_principal(&parts) {
        Ok(principal) => principal,
        Err(problem) => return problem.into_response(),
    };
    let mut access = gate.access;
    // A PUT that may only create (`If-None-Match: *`) is a create.
    if parts.method == Method::PUT
        && parts
            .headers
            .get(IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == b"*")
    {
        access = Access::Create;
    }
    if gate.permissions.allows(&principal.roles, access) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    denied(&principal, access, &gate.model, &gate.config).into_response()
}

/// The problem of a caller who may not have `access` to `model`: 401 when anonymous, else 403.
pub(crate) fn denied(
    principal: &Principal,
    access: Access,
    model: &str,
    config: &HttpConfig,
) -> Problem {
    if principal.has_role(ANONYMOUS_ROLE) {
        let problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            format!("`{access}` on `{model}` needs credentials: anonymous callers may not"),
        );
        return if config.uses_bearer_tokens() {
            problem.with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
        } else {
            problem
        };
    }
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!(
            "`{access}` on `{model}` is not allowed to the roles {:?}",
            principal.roles
        ),
    )
}
