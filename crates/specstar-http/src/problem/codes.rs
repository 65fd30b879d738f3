//! The status and title of every problem code, in two tables: one row per core [`ErrorCode`],
//! and one per code of the HTTP layer's own, for requests refused before the core sees them.
//!
//! Both tables are exhaustive matches without a catch-all arm: a new core error needs a new
//! [`ErrorCode`] (the core's `Error::code` is exhaustive), and a new code does not compile until
//! it has a status here. Each code string is defined once: the core's in
//! [`ErrorCode::as_str`], the HTTP layer's in [`HttpCode::as_str`], and no name is in both.

use axum::http::StatusCode;
use specstar_core::ErrorCode;

/// The status and title of a core error's code: the one place a core error gets its status.
pub(crate) const fn core(code: ErrorCode) -> (StatusCode, &'static str) {
    use ErrorCode as C;
    match code {
        C::MalformedId => (StatusCode::BAD_REQUEST, "Malformed id"),
        C::ForeignModel => (StatusCode::BAD_REQUEST, "Id of another model"),
        // Well-formed, but not one of this resource's revisions: not found here.
        C::ForeignRevision => (StatusCode::NOT_FOUND, "Revision of another resource"),
        C::UnindexedField => (StatusCode::BAD_REQUEST, "Field is not indexed"),
        C::InvalidQuery => (StatusCode::BAD_REQUEST, "Invalid query"),
        C::ResourceNotFound => (StatusCode::NOT_FOUND, "Resource not found"),
        C::RevisionNotFound => (StatusCode::NOT_FOUND, "Revision not found"),
        C::UnknownModel => (StatusCode::NOT_FOUND, "Unknown model"),
        C::RevisionDoesNotFitModel => (StatusCode::CONFLICT, "Revision does not fit the model"),
        C::NoMigrationPath => (StatusCode::CONFLICT, "No migration path"),
        C::MigrationFailed => (StatusCode::CONFLICT, "Migration failed"),
        C::WriteRefused => (StatusCode::UNPROCESSABLE_ENTITY, "Write refused"),
        C::ResourceDeleted => (StatusCode::GONE, "Resource deleted"),
        C::RevisionPruned => (StatusCode::GONE, "Revision pruned"),
        C::NotYetCreated => (StatusCode::NOT_FOUND, "Resource not yet created"),
        C::AlreadyExists => (StatusCode::PRECONDITION_FAILED, "Resource already exists"),
        C::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "Precondition failed"),
        C::ValidationFailed => (StatusCode::UNPROCESSABLE_ENTITY, "Validation failed"),
        // RFC 5789 §2.2: a patch the resource's current state cannot take is a conflict.
        C::PatchFailed => (StatusCode::CONFLICT, "Patch cannot be applied"),
        C::CorruptData | C::StoreError | C::InternalError => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }
}

/// The problems only the HTTP layer makes: a body or a route it refuses before any manager
/// call. (It also makes core-coded problems, such as `malformed_id` for an undecodable path,
/// with [`Problem::of`](super::Problem::of).)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HttpCode {
    /// `invalid_json`: a body that is not JSON, or not the JSON expected.
    InvalidJson,
    /// `invalid_patch`: a PATCH body that is neither a JSON Patch nor a merge patch.
    InvalidPatch,
    /// `payload_too_large`: a body over the configured limit.
    PayloadTooLarge,
    /// `unsupported_media_type`: a body of a content type the route does not take.
    UnsupportedMediaType,
    /// `route_not_found`: no route matches the path.
    RouteNotFound,
    /// `method_not_allowed`: the route does not take the method.
    MethodNotAllowed,
    /// `bad_request`: any other client error status a layer answered without a body.
    BadRequest,
    /// `request_timeout`: the request was not answered within the configured time.
    RequestTimeout,
}

impl HttpCode {
    /// Every HTTP code, for the tests that cover them all.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 8] = [
        Self::InvalidJson,
        Self::InvalidPatch,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::BadRequest,
        Self::RequestTimeout,
    ];

    /// The code's wire name, stable across versions.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidPatch => "invalid_patch",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BadRequest => "bad_request",
            Self::RequestTimeout => "request_timeout",
        }
    }

    /// The code's status and title.
    pub(crate) const fn status(self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidJson => (StatusCode::BAD_REQUEST, "Invalid JSON body"),
            Self::InvalidPatch => (StatusCode::BAD_REQUEST, "Invalid patch document"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
            }
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "Route not found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
            Self::BadRequest => (StatusCode::BAD_REQUEST, "Bad request"),
            Self::RequestTimeout => (StatusCode::SERVICE_UNAVAILABLE, "Request timeout"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_core_code_is_an_error_status_with_a_title() {
        for code in ErrorCode::ALL {
            let (status, title) = core(code);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}: {status}"
            );
            assert!(!title.is_empty(), "{code}");
        }
    }

    #[test]
    fn the_servers_failures_are_500s_and_the_callers_are_not() {
        let server = [
            ErrorCode::CorruptData,
            ErrorCode::StoreError,
            ErrorCode::InternalError,
        ];
        for code in ErrorCode::ALL {
            let (status, _) = core(code);
            assert_eq!(
                status.is_server_error(),
                server.contains(&code),
                "{code}: {status}"
            );
        }
    }

    #[test]
    fn every_http_code_is_a_client_error_with_a_title() {
        for code in HttpCode::ALL {
            let (status, title) = code.status();
            // The one refusal of the server's own limits among them: the request timeout.
            let limit =
                code == HttpCode::RequestTimeout && status == StatusCode::SERVICE_UNAVAILABLE;
            assert!(status.is_client_error() || limit, "{code:?}: {status}");
            assert!(!title.is_empty(), "{code:?}");
        }
    }

    #[test]
    fn no_code_string_is_defined_twice() {
        let names: Vec<&str> = ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(HttpCode::ALL.iter().map(|c| c.as_str()))
            .collect();
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
