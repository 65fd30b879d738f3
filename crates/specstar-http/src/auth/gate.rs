//! The permission gate of a model's routes: the caller's roles against the model's rules
//! ([`Permissions`](specstar_core::Permissions)), before the handler runs. Denied is 401 for
//! an anonymous caller (with the bearer challenge when the API takes tokens) and 403 for an
//! authenticated one.
//!
//! A caller whose access comes only from scoped rules gets the scope ([`RowScope`]) in the
//! request's extensions, for the handler's manager (searches within it, writes that must stay
//! in it), and on a route of one resource the gate reads the resource's head first: out of
//! every scope the caller may read it through, it is 404, as if it did not exist; readable but
//! out of the operation's scope, 403.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{IF_NONE_MATCH, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use specstar_core::{
    Access, Caller, DynResourceManager, Error, Filter, Grant, ResourceId, ResourceMeta,
};

use super::{ANONYMOUS_ROLE, Principal};
use crate::config::HttpConfig;
use crate::problem::Problem;

/// What one operation of one model checks.
#[derive(Clone)]
pub(crate) struct Gate {
    /// The model's manager (its model, its store).
    pub(crate) manager: DynResourceManager,
    pub(crate) access: Access,
    pub(crate) config: Arc<HttpConfig>,
}

/// The row scope a request's operation is granted within (checked against the model), kept
/// in the request's extensions for the handler's manager.
#[derive(Clone, Debug)]
pub(crate) struct RowScope(pub(crate) Filter);

/// The middleware: the request goes on when a rule gives one of its roles the access (and,
/// on a route of one resource, the resource is in its scope).
pub(crate) async fn check(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
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
    match admit(&gate, &mut parts, &principal, access).await {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(problem) => problem.into_response(),
    }
}

/// Checks the caller's grant for `access`, and the resource of the path against its scope: a
/// resource the caller may not read (out of every scope it reads through, or missing) is 404
/// whatever the operation, one it may read but not so is 403, and an anonymous caller denied
/// is 401 before anything is read.
async fn admit(
    gate: &Gate,
    parts: &mut Parts,
    principal: &Principal,
    access: Access,
) -> Result<(), Problem> {
    let caller = Caller {
        id: &principal.id,
        roles: &principal.roles,
    };
    let model = gate.manager.model();
    let granted = within(&gate.manager, model.grant(caller, access))?;
    let denied = || denied(principal, access, model.name(), &gate.config);
    match &granted {
        // Every resource: nothing to read first.
        Some(all) if all.scope().is_none() => return Ok(()),
        None if principal.has_role(ANONYMOUS_ROLE) => return Err(denied()),
        _ => {}
    }
    let resource = match access {
        Access::Create => None,
        _ => resource_of_path(&gate.manager, parts).await?,
    };
    let Some((resource_id, head)) = resource else {
        let granted = granted.ok_or_else(denied)?;
        if let Some(scope) = granted.scope() {
            parts.extensions.insert(RowScope(scope.clone()));
        }
        return Ok(());
    };
    if let (Some(granted), Some(head)) = (&granted, &head)
        && granted.admits(head)
    {
        if let Some(scope) = granted.scope() {
            parts.extensions.insert(RowScope(scope.clone()));
        }
        return Ok(());
    }
    let readable = match (&head, access) {
        (None, _) => false,
        (Some(head), Access::Read) => granted.as_ref().is_some_and(|g| g.admits(head)),
        (Some(head), _) => within(&gate.manager, model.grant(caller, Access::Read))?
            .is_some_and(|r| r.admits(head)),
    };
    match (readable, granted) {
        (false, _) => Err(Problem::from(Error::ResourceNotFound { resource_id })),
        (true, None) => Err(denied()),
        (true, Some(_)) => Err(out_of_scope(access, &resource_id)),
    }
}

/// A grant as a manager: `None` when denied, within the scope when scoped.
fn within(
    manager: &DynResourceManager,
    grant: Grant,
) -> Result<Option<DynResourceManager>, Problem> {
    Ok(match grant {
        Grant::Denied => None,
        Grant::All => Some(manager.clone()),
        Grant::Scoped(scope) => Some(manager.within(scope)?),
    })
}

/// The resource the path names (`{resource_id}`) and its head (`None` when there is no such
/// resource); `None` for a path without one, or with a malformed id (the handler answers it).
async fn resource_of_path(
    manager: &DynResourceManager,
    parts: &mut Parts,
) -> Result<Option<(ResourceId, Option<ResourceMeta>)>, Problem> {
    let Ok(params) = RawPathParams::from_request_parts(parts, &()).await else {
        return Ok(None);
    };
    let Some((_, segment)) = params.iter().find(|(name, _)| *name == "resource_id") else {
        return Ok(None);
    };
    let full = if segment.contains(':') {
        segment.to_owned()
    } else {
        format!("{}:{segment}", manager.model().name())
    };
    let Ok(resource_id) = manager.resource_id(&full) else {
        return Ok(None);
    };
    let head = manager.store().meta(&resource_id).await?;
    Ok(Some((resource_id, head)))
}

fn out_of_scope(access: Access, resource_id: &ResourceId) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!(
            "`{access}` on {} is not allowed: the resource is outside the scope of the rules \
             that give it to your roles",
            resource_id
        ),
    )
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
