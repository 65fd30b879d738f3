//! Extractors that turn a request into the handlers' inputs, each failing with a [`Problem`].
//!
//! axum's own extractors answer their rejections as plain text in several shapes; these wrap
//! or replace them so that a malformed body, a wrong content type, an over-large body, a bad
//! query value or an unusable path segment comes out as the one problem shape, and never as a
//! 500. Query strings are parsed here too because the reference repeats keys (`partial=/a&
//! partial=/b`), which `axum::extract::Query` cannot collect.

use std::ops::Deref;

use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;
use specstar_core::{DataPatch, DynResourceManager, Timestamp};

use crate::auth::gate::RowScope;
use crate::problem::Problem;
use crate::routes::ModelState;

/// The query string as ordered key/value pairs; keys may repeat.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a query string (`a=1&b=x%20y`).
    pub(crate) fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` and of `name[]`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name || k.strip_suffix("[]") == Some(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name` as a boolean (`true`/`false`/`1`/`0`), `default` when absent.
    ///
    /// # Errors
    /// 400 `invalid_query` for another value.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, Problem> {
        match self.get(name) {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(Problem::invalid_query(format!(
                "{name}={other:?}: expected true or false"
            ))),
        }
    }

    /// `name` as an RFC 3339 instant (`2026-01-01T00:00:00Z`), `None` when absent.
    ///
    /// # Errors
    /// 400 `invalid_query` for a text that is not one, naming the parameter and the form.
    pub(crate) fn time(&self, name: &str) -> Result<Option<Timestamp>, Problem> {
        self.get(name)
            .map(|text| {
                text.parse::<Timestamp>().map_err(|e| {
                    Problem::invalid_query(format!(
                        "{name}={text:?}: expected an RFC 3339 instant such as \
                         2026-01-01T00:00:00Z ({e})"
                    ))
                })
            })
            .transpose()
    }

    /// `name` as a whole number, `default` when absent.
    ///
    /// # Errors
    /// 400 `invalid_query` for another value.
    pub(crate) fn number(&self, name: &str, default: u64) -> Result<u64, Problem> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                Problem::invalid_query(format!("{name}={text:?}: expected a whole number"))
            }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(Self::parse(parts.uri.query().unwrap_or("")))
    }
}

/// Path parameters, refused as 400 `malformed_id` when they cannot be decoded.
#[derive(Clone, Debug)]
pub(crate) struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection| Problem::malformed_id(rejection.body_text()))
    }
}

/// The model's resource manager, acting as the user the configured
/// [`UserResolver`](crate::UserResolver) derives from the request.
#[derive(Clone, Debug)]
pub(crate) struct Manager(pub DynResourceManager);

impl Manager {
    /// The full resource id for a path segment: the segment itself when it has a colon
    /// (`issue:0193…`), else `{model}:{segment}`, the bare-key shorthand.
    pub(crate) fn full_id(&self, segment: &str) -> String {
        if segment.contains(':') {
            segment.to_owned()
        } else {
            format!("{}:{segment}", self.0.model().name())
        }
    }

    /// The full revision id for `text` of resource `full_id`: a bare number (`3`) means
    /// `{full_id}:3`; text with a colon is taken as a revision id and checked by the core.
    ///
    /// # Errors
    /// 400 `malformed_id` naming both accepted forms, for text that is neither (`0`, `03`, `x`).
    pub(crate) fn full_revision_id(full_id: &str, text: &str) -> Result<String, Problem> {
        if let Some(n) = specstar_core::id::parse_revision_number(text) {
            return Ok(format!("{full_id}:{n}"));
        }
        if text.contains(':') {
            return Ok(text.to_owned());
        }
        Err(Problem::malformed_id(format!(
            "malformed revision id {text:?}: expected a revision number from 1 (`3`) or a \
                 full revision id (`{full_id}:3`)"
        )))
    }
}

impl Deref for Manager {
    type Target = DynResourceManager;

    fn deref(&self) -> &DynResourceManager {
        &self.0
    }
}

impl FromRequestParts<ModelState> for Manager {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ModelState) -> Result<Self, Problem> {
        let user = state.config.resolve_user(parts)?;
        let manager = &state.manager;
        let manager = manager.with_context(manager.context().as_user(user));
        // The permission gate's row scope: searches and writes keep within it.
        match parts.extensions.get::<RowScope>() {
            Some(RowScope(scope)) => Ok(Self(manager.within(scope.clone())?)),
            None => Ok(Self(manager)),
        }
    }
}

/// What a body's `Content-Type` says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyKind {
    /// No content type: taken as JSON, as clients such as `curl --data-binary` send.
    Unspecified,
    /// `application/json`, or another `+json` type than the patch ones.
    Json,
    /// `application/json-patch+json` (RFC 6902).
    JsonPatch,
    /// `application/merge-patch+json` (RFC 7396).
    MergePatch,
}

fn body_kind(parts: &Parts) -> Result<BodyKind, Problem> {
    let Some(value) = parts.headers.get(CONTENT_TYPE) else {
        return Ok(BodyKind::Unspecified);
    };
    let text = value
        .to_str()
        .map_err(|_| Problem::unsupported_media_type("the Content-Type header is not text"))?;
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json-patch+json" => Ok(BodyKind::JsonPatch),
        "application/merge-patch+json" => Ok(BodyKind::MergePatch),
        "application/json" => Ok(BodyKind::Json),
        e if e.starts_with("application/") && e.ends_with("+json") => Ok(BodyKind::Json),
        _ => Err(Problem::unsupported_media_type(format!(
            "the body must be JSON (application/json), not {text:?}"
        ))),
    }
}

/// Reads the whole body within the configured limit and parses it as JSON.
async fn read_json(req: Request, state: &ModelState) -> Result<Value, Problem> {
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                Problem::payload_too_large(Some(state.config.body_limit()))
            }
            other => {
                Problem::invalid_json(format!("the body cannot be read: {}", other.body_text()))
            }
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Problem::invalid_json(format!("the body is not valid JSON: {e}")))
}

/// A JSON body (data for a create or an update).
#[derive(Clone, Debug)]
pub(crate) struct JsonBody(pub Value);

impl FromRequest<ModelState> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &ModelState) -> Result<Self, Problem> {
        let (parts, body) = req.into_parts();
        match body_kind(&parts)? {
            BodyKind::Json | BodyKind::Unspecified => {}
            BodyKind::JsonPatch | BodyKind::MergePatch => {
                return Err(Problem::unsupported_media_type(
                    "a patch content type is for PATCH; send the data as application/json",
                ));
            }
        }
        read_json(Request::from_parts(parts, body), state)
            .await
            .map(Self)
    }
}

/// A PATCH body: RFC 6902 JSON Patch for an array or `application/json-patch+json`, RFC 7396
/// merge patch for an object or `application/merge-patch+json`.
#[derive(Clone, Debug)]
pub(crate) struct PatchBody(pub DataPatch);

impl FromRequest<ModelState> for PatchBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &ModelState) -> Result<Self, Problem> {
        let (parts, body) = req.into_parts();
        let kind = body_kind(&parts)?;
        let value = read_json(Request::from_parts(parts, body), state).await?;
        let json_patch = match kind {
            BodyKind::JsonPatch => true,
            BodyKind::MergePatch => false,
            BodyKind::Json | BodyKind::Unspecified => value.is_array(),
        };
        if json_patch {
            serde_json::from_value(value)
                .map(|p| Self(DataPatch::Json(p)))
                .map_err(|e| Problem::invalid_patch(format!("not an RFC 6902 JSON Patch: {e}")))
        } else if value.is_object() {
            Ok(Self(DataPatch::Merge(value)))
        } else {
            Err(Problem::invalid_patch(
                "a merge patch is a JSON object; a JSON Patch is an array of operations",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_collect_repeated_and_bracketed_keys() {
        let p = Params::parse("partial=/title&partial[]=/status&limit=5&include_deleted=true");
        assert_eq!(p.all("partial"), ["/title", "/status"]);
        assert_eq!(p.number("limit", 10).unwrap(), 5);
        assert_eq!(p.number("offset", 0).unwrap(), 0);
        assert!(p.flag("include_deleted", false).unwrap());
        assert!(Params::parse("limit=x").number("limit", 10).is_err());
        assert!(
            Params::parse("include_deleted=maybe")
                .flag("include_deleted", false)
                .is_err()
        );
    }

    #[test]
    fn bare_revision_numbers_expand() {
        assert_eq!(
            Manager::full_revision_id("issue:a", "3").unwrap(),
            "issue:a:3"
        );
        assert_eq!(
            Manager::full_revision_id("issue:a", "issue:a:3").unwrap(),
            "issue:a:3"
        );
        for bad in ["0", "03", "-1", "x", ""] {
            let problem = Manager::full_revision_id("issue:a", bad).unwrap_err();
            assert_eq!(problem.code, "malformed_id");
            assert!(
                problem.detail.contains("a revision number from 1 (`3`)")
                    && problem.detail.contains("a full revision id (`issue:a:3`)"),
                "{}",
                problem.detail
            );
        }
    }
}
