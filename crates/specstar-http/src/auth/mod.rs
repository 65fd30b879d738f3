//! Who is calling: the [`Principal`] of a request (its user id and roles), found once per
//! request by the router's authentication layer from the configured resolver, and kept in the
//! request's extensions for the handlers (every write records the id as its user).
//!
//! A request without credentials is the principal `anonymous` with the role `anonymous`;
//! [`JwtAuth`] (bearer JWTs) is one resolver, and an application may plug in its own
//! ([`HttpConfig::with_principal_resolver`](crate::HttpConfig::with_principal_resolver)).

pub(crate) mod gate;
mod jwt;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use specstar_core::ANONYMOUS;

pub use jwt::{DEFAULT_LEEWAY_SECONDS, JwtAuth, JwtAuthError};

use crate::config::HttpConfig;
use crate::problem::Problem;

/// The role of a request without credentials.
pub const ANONYMOUS_ROLE: &str = "anonymous";

/// The role every authenticated request has, besides its own.
pub const AUTHENTICATED_ROLE: &str = "authenticated";

/// Who a request acts as: the user id every write records, and the roles permissions test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user id (`created_by` and `updated_by` of what the request writes).
    pub id: String,
    /// The roles, `anonymous` or `authenticated` among them.
    pub roles: Vec<String>,
}

impl Principal {
    /// The principal of a request without credentials.
    pub fn anonymous() -> Self {
        Self {
            id: ANONYMOUS.to_owned(),
            roles: vec![ANONYMOUS_ROLE.to_owned()],
        }
    }

    /// An authenticated principal: `id` with `roles` and `authenticated`.
    pub fn authenticated(id: impl Into<String>, roles: impl IntoIterator<Item = String>) -> Self {
        let mut roles: Vec<String> = roles.into_iter().collect();
        if !roles.iter().any(|r| r == AUTHENTICATED_ROLE) {
            roles.push(AUTHENTICATED_ROLE.to_owned());
        }
        Self {
            id: id.into(),
            roles,
        }
    }

    /// Whether the principal has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// What the router's authentication layer found for a request, kept in its extensions: the
/// handlers answer it rather than resolving again.
#[derive(Clone, Debug)]
pub(crate) struct Authenticated(pub(crate) Result<Principal, Problem>);

/// The router's layer: resolves the request's principal once, on every route. A client's
/// error (a 401 for a bad token) is answered at once; a principal, or a resolver's server
/// failure, goes on in the request's extensions, so that the route's handler answers the
/// failure and the server-error log names its route.
pub(crate) async fn authenticate(
    State(config): State<Arc<HttpConfig>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let found = config.resolve_principal(&parts);
    if let Err(problem) = &found
        && problem.status.is_client_error()
    {
        return problem.clone().into_response();
    }
    parts.extensions.insert(Authenticated(found));
    next.run(Request::from_parts(parts, body)).await
}
