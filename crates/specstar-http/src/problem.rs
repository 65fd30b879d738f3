//! Errors over HTTP: one RFC 9457 problem-details shape for every failure.
//!
//! The reference answers errors in at least three shapes (a string `detail`, a dict `detail`, a
//! FastAPI array), so its clients must guess. Here every error — a core [`Error`], a bad query,
//! a malformed body, an unknown route, an over-large body refused by a layer — is a [`Problem`]
//! sent as `application/problem+json`:
//!
//! ```json
//! {"type": "urn:specstar:problem:resource_not_found", "title": "Resource not found",
//!  "status": 404, "detail": "resource issue:nope not found", "code": "resource_not_found"}
//! ```
//!
//! `detail` is a human string (the member the reference's clients read); `code` is stable and
//! meant for programs; `errors` lists field errors on validation; a 412 adds
//! `expected_revision_id` and `actual_revision_id`. Each core [`Error`] has a stable
//! [`ErrorCode`], and each code is given its status and title in exactly one table
//! (`problem/codes.rs`), which [`Problem::from`]`(Error)` reads.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use specstar_core::{Error, ErrorCode, FieldError};

use codes::HttpCode;

mod codes;

/// The content type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One error answer: RFC 9457 problem details plus a stable `code`.
///
/// Serialized with `type` = `urn:specstar:problem:<code>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// A short summary of the kind of problem, the same for every occurrence.
    pub title: &'static str,
    /// The HTTP status, repeated in the body.
    pub status: StatusCode,
    /// What went wrong this time, for humans.
    pub detail: String,
    /// A stable, machine-readable name of the problem (`resource_not_found`, …).
    pub code: &'static str,
    /// Field errors (`{path, reason}`), sent on validation problems.
    pub errors: Vec<FieldError>,
    /// Further members, e.g. `expected_revision_id` and `actual_revision_id` on a 412.
    pub extensions: Map<String, Value>,
    /// On a server failure, the error and its `source()` chain (logged with the request by
    /// the router, never sent to the client), and headers of the answer's own.
    // Boxed: one pointer, so that `Result<_, Problem>` stays small on the success path.
    attached: Option<Box<Attached>>,
}

/// What a problem rarely carries, boxed together: a server failure's cause, headers.
#[derive(Clone, Debug, Default, PartialEq)]
struct Attached {
    cause: Option<ServerErrorCause>,
    /// Headers the answer carries besides the content type (a 401's `WWW-Authenticate`).
    headers: http::HeaderMap,
}

/// The cause of a server failure, carried from a [`Problem`] to the router's log through the
/// response's extensions (see [`crate::server_errors`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ServerErrorCause(pub String);

/// `error` and each of its sources, outermost first, joined by `: caused by: `; a source whose
/// message its parent already ends with (`store error: {0}`) is not repeated.
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut last = chain.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !last.ends_with(&message) {
            chain.push_str(": caused by: ");
            chain.push_str(&message);
        }
        last = message;
        source = cause.source();
    }
    chain
}

/// The wire form of a [`Problem`].
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(flatten)]
    extensions: &'a Map<String, Value>,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            kind: format!("urn:specstar:problem:{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            errors: &self.errors,
            extensions: &self.extensions,
        }
        .serialize(s)
    }
}

impl Problem {
    /// A problem with `status`, a stable `code`, a `title` and a human `detail`: for codes of
    /// an application's own (a user resolver's `unauthorized`). The library's codes are made
    /// by [`of`](Self::of), [`From<Error>`](#impl-From%3CError%3E-for-Problem) and the named
    /// constructors, which take their status and title from one table.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            title,
            status,
            detail: detail.into(),
            code,
            errors: Vec::new(),
            extensions: Map::new(),
            attached: None,
        }
    }

    /// The problem of a core error's `code` (its status and title from the one table), for a
    /// request the HTTP layer refuses as the core would, e.g. a path that is not an id.
    pub fn of(code: ErrorCode, detail: impl Into<String>) -> Self {
        let (status, title) = codes::core(code);
        Self::new(status, code.as_str(), title, detail)
    }

    /// A problem of one of the HTTP layer's own codes.
    fn http(code: HttpCode, detail: impl Into<String>) -> Self {
        let (status, title) = code.status();
        Self::new(status, code.as_str(), title, detail)
    }

    /// 400 `invalid_query`: a query parameter or header value that cannot be used.
    pub fn invalid_query(detail: impl Into<String>) -> Self {
        Self::of(ErrorCode::InvalidQuery, detail)
    }

    /// 400 `malformed_id`: a path or parameter that is not an id of the form expected.
    pub fn malformed_id(detail: impl Into<String>) -> Self {
        Self::of(ErrorCode::MalformedId, detail)
    }

    /// 400 `invalid_json`: a body that is not JSON, or not the JSON expected.
    pub fn invalid_json(detail: impl Into<String>) -> Self {
        Self::http(HttpCode::InvalidJson, detail)
    }

    /// 400 `invalid_patch`: a PATCH body that is neither a JSON Patch nor a merge patch.
    pub fn invalid_patch(detail: impl Into<String>) -> Self {
        Self::http(HttpCode::InvalidPatch, detail)
    }

    /// 415 `unsupported_media_type`: a body of a content type the route does not take.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::http(HttpCode::UnsupportedMediaType, detail)
    }

    /// 413 `payload_too_large`: a body over the configured limit.
    pub fn payload_too_large(limit: Option<usize>) -> Self {
        let detail = match limit {
            Some(limit) => format!("the request body is larger than the limit of {limit} bytes"),
            None => "the request body is larger than the limit".to_owned(),
        };
        Self::http(HttpCode::PayloadTooLarge, detail)
    }

    /// The problem for a bare error status that some layer produced without a body of ours
    /// (an unknown route, a wrong method, a body refused by the size limit…).
    pub fn from_status(status: StatusCode) -> Self {
        let known = match status {
            StatusCode::NOT_FOUND => Some((HttpCode::RouteNotFound, "no route matches this path")),
            StatusCode::METHOD_NOT_ALLOWED => Some((
                HttpCode::MethodNotAllowed,
                "this route does not take this method",
            )),
            StatusCode::PAYLOAD_TOO_LARGE => Some((
                HttpCode::PayloadTooLarge,
                "the request body is larger than the limit",
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Some((
                HttpCode::UnsupportedMediaType,
                "the body's content type is not accepted here",
            )),
            // Only the request timeout answers a bare 503.
            StatusCode::SERVICE_UNAVAILABLE => Some((
                HttpCode::RequestTimeout,
                "the request was not answered within the server's request timeout",
            )),
            _ => None,
        };
        if let Some((code, detail)) = known {
            return Self::http(code, detail);
        }
        // Any other status keeps its number, so its title is the status's own.
        let title = status.canonical_reason().unwrap_or("Error");
        if status.is_server_error() {
            let code = ErrorCode::InternalError.as_str();
            Self::new(status, code, title, "the server failed; see its logs")
        } else {
            let code = HttpCode::BadRequest.as_str();
            Self::new(status, code, title, "the request cannot be served")
        }
    }

    /// The same problem with an extension member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// The same problem answered with the header `name: value` too (e.g. a 401's
    /// `WWW-Authenticate`).
    #[must_use]
    pub fn with_header(mut self, name: http::HeaderName, value: HeaderValue) -> Self {
        self.attached
            .get_or_insert_with(Default::default)
            .headers
            .insert(name, value);
        self
    }

    /// The same problem carrying `cause` (an error and its sources) for the server's log: the
    /// router logs it at error level with the request id and route; the client never sees it.
    #[must_use]
    pub fn with_cause(mut self, cause: &(dyn std::error::Error + 'static)) -> Self {
        self.attached.get_or_insert_with(Default::default).cause =
            Some(ServerErrorCause(cause_chain(cause)));
        self
    }

    /// The server-side cause this problem carries, if any (see [`with_cause`](Self::with_cause)).
    pub fn cause(&self) -> Option<&str> {
        self.attached
            .as_deref()
            .and_then(|a| a.cause.as_ref())
            .map(|c| c.0.as_str())
    }

    /// The same problem told without internals, its cause chain kept for the router's log:
    /// for a failure that is the server's, whose message is not the client's business.
    fn hiding(mut self, error: &Error) -> Self {
        self.detail = "the server failed to complete the request; see its logs".to_owned();
        self.with_cause(error)
    }

    /// The same problem with the members a core error carries besides its message: the
    /// revisions of a 412, the field errors of a 422, the revision and versions of a 409.
    fn with_members_of(mut self, error: Error) -> Self {
        match error {
            Error::AlreadyExists {
                resource_id,
                current_revision_id,
            } => {
                // `If-None-Match: *` expected no revision at all; the reference's 412s carry
                // both members, so its clients find them here too.
                self.with("resource_id", resource_id.to_string())
                    .with("expected_revision_id", "*")
                    .with("actual_revision_id", current_revision_id.to_string())
            }
            Error::RevisionPruned { revision_id } => {
                self.with("revision_id", revision_id.to_string())
            }
            Error::Conflict { expected, actual } => self
                .with("expected_revision_id", expected.to_string())
                .with("actual_revision_id", actual.to_string()),
            Error::Validation { errors, .. } => {
                self.errors = errors.0;
                self
            }
            Error::DoesNotFitModel {
                revision_id,
                stored_schema_version,
                current_schema_version,
                errors,
                ..
            } => {
                self.errors = errors.0;
                self.with("revision_id", revision_id.to_string())
                    .with("stored_schema_version", stored_schema_version.to_string())
                    .with("current_schema_version", current_schema_version.to_string())
            }
            Error::NoMigrationPath {
                revision_id,
                stored_schema_version,
                current_schema_version,
                ..
            } => self
                .with("revision_id", revision_id.to_string())
                .with("stored_schema_version", stored_schema_version.to_string())
                .with("current_schema_version", current_schema_version.to_string()),
            Error::MigrationFailed {
                revision_id,
                from,
                to,
                ..
            } => self
                .with("revision_id", revision_id.to_string())
                .with("from_schema_version", from.to_string())
                .with("to_schema_version", to.to_string()),
            // The other errors say all they have in their message. (`Error` is non-exhaustive
            // outside the core, so this arm cannot go; a new variant's status is still forced
            // by the exhaustive table of codes.)
            _ => self,
        }
    }
}

impl From<Error> for Problem {
    /// The one place where a core error becomes a problem: its code's status and title (from
    /// the exhaustive table in `problem/codes.rs`), its message as the detail, and the members
    /// it carries; a server failure is told without internals and logged with its causes.
    fn from(error: Error) -> Self {
        // A hook's refusal answers with the hook's own status (a 4xx) and code.
        if let Error::Refused {
            status,
            code,
            message,
            ..
        } = &error
        {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(StatusCode::is_client_error)
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return Self::new(status, code, "Write refused", message.clone());
        }
        let problem = Self::of(error.code(), error.to_string());
        if problem.status.is_server_error() {
            problem.hiding(&error)
        } else {
            problem.with_members_of(error)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| {
            // Serializing strings and numbers cannot fail; keep a valid body regardless.
            br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.to_vec()
        });
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(attached) = self.attached {
            let Attached { cause, headers } = *attached;
            if let Some(cause) = cause {
                response.extensions_mut().insert(cause);
            }
            response.headers_mut().extend(headers);
        }
        response
    }
}

/// Middleware (`axum::middleware::map_response`) that puts every error answer made without a
/// [`Problem`] — axum's 404 and 405, tower-http's 413 on a too-long `Content-Length` — into the
/// problem shape, so that clients meet one error shape whatever produced it.
pub(crate) async fn normalize(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let mut problem = Problem::from_status(status).into_response();
    // Keep the original's headers (e.g. `Allow` on a 405) under the problem's content type.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;
    use specstar_core::{FieldErrors, ResourceId};

    #[test]
    fn core_errors_get_their_status_and_code() {
        let rid = ResourceId::with_key("issue", "a").unwrap();
        let cases = [
            (
                Error::ResourceNotFound {
                    resource_id: rid.clone(),
                },
                404,
                "resource_not_found",
            ),
            (
                Error::Deleted {
                    resource_id: rid.clone(),
                },
                410,
                "resource_deleted",
            ),
            (
                Error::Conflict {
                    expected: rid.revision(1),
                    actual: rid.revision(2),
                },
                412,
                "precondition_failed",
            ),
            (
                Error::Validation {
                    model: "issue".into(),
                    errors: FieldErrors(vec![FieldError {
                        path: "$.title".into(),
                        reason: "missing".into(),
                    }]),
                },
                422,
                "validation_failed",
            ),
            (
                Error::DoesNotFitModel {
                    model: "issue".into(),
                    revision_id: rid.revision(1),
                    stored_schema_version: "v1".into(),
                    current_schema_version: "v2".into(),
                    errors: FieldErrors(vec![FieldError {
                        path: "$.extra".into(),
                        reason: "unknown field".into(),
                    }]),
                },
                409,
                "revision_does_not_fit_model",
            ),
            (Error::store("disk on fire"), 500, "store_error"),
        ];
        for (error, status, code) in cases {
            let problem = Problem::from(error);
            assert_eq!(problem.status.as_u16(), status);
            assert_eq!(problem.code, code);
        }
    }

    #[test]
    fn a_core_code_the_http_layer_uses_is_answered_as_the_core_error() {
        let from_core = Problem::from(Error::MalformedId {
            id: "x".into(),
            reason: "no colon",
        });
        let from_http = Problem::malformed_id("x");
        assert_eq!(
            (from_http.status, from_http.code, from_http.title),
            (from_core.status, from_core.code, from_core.title)
        );
        let from_core = Problem::from(Error::InvalidQuery {
            reason: "limit 0".into(),
        });
        let from_http = Problem::invalid_query("limit must be at least 1");
        assert_eq!(
            (from_http.status, from_http.code, from_http.title),
            (from_core.status, from_core.code, from_core.title)
        );
    }

    #[test]
    fn a_bare_status_gets_its_code_and_keeps_its_number() {
        let cases = [
            (StatusCode::NOT_FOUND, "route_not_found"),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            (StatusCode::REQUEST_TIMEOUT, "bad_request"),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            (StatusCode::SERVICE_UNAVAILABLE, "request_timeout"),
            (StatusCode::BAD_GATEWAY, "internal_error"),
        ];
        for (status, code) in cases {
            let problem = Problem::from_status(status);
            assert_eq!((problem.status, problem.code), (status, code));
        }
        assert_eq!(
            Problem::from_status(StatusCode::PAYLOAD_TOO_LARGE).title,
            Problem::payload_too_large(Some(10)).title
        );
    }

    #[test]
    fn a_server_error_keeps_its_cause_chain_out_of_the_body() {
        let io = std::io::Error::other("disk on fire");
        let problem = Problem::from(Error::store(io));
        assert_eq!(problem.cause(), Some("store error: disk on fire"));
        let body = serde_json::to_string(&problem).unwrap();
        assert!(!body.contains("disk on fire"), "{body}");
        let response = problem.into_response();
        let cause = response.extensions().get::<ServerErrorCause>().unwrap();
        assert_eq!(cause.0, "store error: disk on fire");
    }

    #[test]
    fn a_cause_chain_lists_each_source_once() {
        #[derive(Debug)]
        struct Append(std::io::Error);
        impl std::fmt::Display for Append {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot append the revision")
            }
        }
        impl std::error::Error for Append {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Error::store(Append(std::io::Error::other("disk on fire")));
        assert_eq!(
            cause_chain(&error),
            "store error: cannot append the revision: caused by: disk on fire"
        );
    }

    #[test]
    fn a_conflict_names_both_revisions() {
        let rid = ResourceId::with_key("issue", "a").unwrap();
        let problem = Problem::from(Error::Conflict {
            expected: rid.revision(1),
            actual: rid.revision(2),
        });
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["expected_revision_id"], "issue:a:1");
        assert_eq!(json["actual_revision_id"], "issue:a:2");
        assert_eq!(json["status"], 412);
        assert_eq!(json["type"], "urn:specstar:problem:precondition_failed");
    }
}
