//! How the HTTP layer is set up: the body limit, page sizes, who the acting user is, and what
//! the OpenAPI document says the API is (title, version, description).
//!
//! All are per deployment rather than per model, so they live in one [`HttpConfig`] handed to
//! [`router`](crate::router). The user is not a header the core trusts: an application plugs
//! in its own authentication through a [`UserResolver`], and every write records what it says.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use specstar_core::{ANONYMOUS, Hooks};

use crate::auth::{Authenticated, JwtAuth, Principal};
use crate::problem::Problem;

/// The default limit on a request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default page size of a search when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The default largest `limit` a search accepts.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 1000;

/// The default cap on requests served at once; beyond it a request is answered 503 at once.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;

/// The default time a request gets to be answered (its head; a stream's body may go on).
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The default cap on the change feed's open event streams.
pub const DEFAULT_MAX_EVENT_STREAMS: usize = 1024;

/// The default OpenAPI `info.description`.
pub const DEFAULT_API_DESCRIPTION: &str = "Every change is a new revision: full history, soft \
    delete, restore, revert, optimistic concurrency.";

/// Derives the acting user from a request's head (headers, extensions set by an auth layer…).
///
/// An `Err` is answered as is, e.g. a 401 [`Problem`] when credentials are missing. A user other
/// than `anonymous` gets the role `authenticated`; a [`PrincipalResolver`] says roles of its own.
pub type UserResolver = Arc<dyn Fn(&Parts) -> Result<String, Problem> + Send + Sync>;

/// Derives a request's [`Principal`] (user id and roles) from its head. An `Err` is answered as
/// is: the request goes no further.
pub type PrincipalResolver = Arc<dyn Fn(&Parts) -> Result<Principal, Problem> + Send + Sync>;

/// The settings of the HTTP layer.
#[derive(Clone)]
pub struct HttpConfig {
    body_limit: usize,
    default_page_size: u64,
    max_page_size: u64,
    resolver: PrincipalResolver,
    /// Whether requests carry bearer tokens (JWT authentication), for the OpenAPI document.
    bearer: bool,
    /// The global hooks every write of the API runs (a model's own run first).
    hooks: Hooks,
    /// Whether the router serves the admin UI at `/_/`.
    admin_ui: bool,
    max_concurrent_requests: usize,
    request_timeout: std::time::Duration,
    max_event_streams: usize,
    metrics: Option<crate::metrics::Metrics>,
    api_title: String,
    api_version: String,
    api_description: String,
}

impl HttpConfig {
    /// The defaults: a 1 MiB body limit, every request acting as "anonymous".
    pub fn new() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            default_page_size: DEFAULT_PAGE_SIZE,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            resolver: Arc::new(|_| Ok(Principal::anonymous())),
            bearer: false,
            hooks: Hooks::new(),
            admin_ui: true,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            metrics: None,
            api_title: "specstar".to_owned(),
            api_version: env!("CARGO_PKG_VERSION").to_owned(),
            api_description: DEFAULT_API_DESCRIPTION.to_owned(),
        }
    }

    /// The same config naming the API `title` at `version` in the OpenAPI document's `info`
    /// (and the `/docs` page's title): the application's name and version, not specstar's.
    ///
    /// ```
    /// let config = specstar_http::HttpConfig::new()
    ///     .with_api_info("Issue tracker", "2.1.0")
    ///     .with_api_description("Issues of the tracker, every change a revision.");
    /// assert_eq!(config.api_title(), "Issue tracker");
    /// ```
    #[must_use]
    pub fn with_api_info(mut self, title: impl Into<String>, version: impl Into<String>) -> Self {
        self.api_title = title.into();
        self.api_version = version.into();
        self
    }

    /// The same config with `description` as the OpenAPI document's `info.description`
    /// (CommonMark, shown at the top of `/docs`).
    #[must_use]
    pub fn with_api_description(mut self, description: impl Into<String>) -> Self {
        self.api_description = description.into();
        self
    }

    /// The same config refusing bodies over `bytes` bytes with 413.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The same config paging searches by `default` when `limit` is not given and refusing a
    /// `limit` over `max` with 400 (`max` is raised to `default` when smaller; both are at
    /// least 1).
    #[must_use]
    pub fn with_page_sizes(mut self, default: u64, max: u64) -> Self {
        self.default_page_size = default.max(1);
        self.max_page_size = max.max(self.default_page_size);
        self
    }

    /// The same config deriving the acting user with `resolver`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use specstar_http::HttpConfig;
    ///
    /// let config = HttpConfig::new().with_user_resolver(Arc::new(|parts| {
    ///     Ok(parts
    ///         .headers
    ///         .get("x-user")
    ///         .and_then(|v| v.to_str().ok())
    ///         .unwrap_or("anonymous")
    ///         .to_owned())
    /// }));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_user_resolver(mut self, resolver: UserResolver) -> Self {
        self.resolver = Arc::new(move |parts| {
            let user = resolver(parts)?;
            Ok(if user == ANONYMOUS {
                Principal::anonymous()
            } else {
                Principal::authenticated(user, [])
            })
        });
        self
    }

    /// The same config deriving each request's principal (user id and roles) with `resolver`.
    #[must_use]
    pub fn with_principal_resolver(mut self, resolver: PrincipalResolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// The same config authenticating requests by bearer JWTs (see [`JwtAuth`]): the token's
    /// user is every write's user, a request without one is anonymous, and a bad token is 401.
    /// The OpenAPI document then declares the bearer scheme.
    #[must_use]
    pub fn with_jwt(mut self, auth: JwtAuth) -> Self {
        self.resolver = Arc::new(move |parts| auth.authenticate(parts));
        self.bearer = true;
        self
    }

    /// The same config running `hooks` around every write of the API, besides each model's
    /// own (see [`specstar_core::hooks`]).
    #[must_use]
    pub fn with_hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// The global hooks of the API's writes.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// The same config serving `max` requests at once at most (at least 1, 512 by default):
    /// one more is answered at once with 503 `overloaded` and `Retry-After`, rather than queued
    /// without bound (load shedding). An event stream counts only until its head is sent.
    #[must_use]
    pub fn with_max_concurrent_requests(mut self, max: usize) -> Self {
        self.max_concurrent_requests = max.max(1);
        self
    }

    /// The same config answering 503 `request_timeout` to a request not answered within
    /// `timeout` (60 s by default; a long poll waits 30 s at most).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The same config holding `max` of the change feed's event streams open at most (at least
    /// 1, 1024 by default): one more is answered 503 `too_many_streams` with `Retry-After`.
    #[must_use]
    pub fn with_max_event_streams(mut self, max: usize) -> Self {
        self.max_event_streams = max.max(1);
        self
    }

    /// The same config serving `metrics` at `GET /metrics` (Prometheus text format) and
    /// recording every request that matches a route: see [`Metrics`](crate::Metrics).
    #[must_use]
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The metrics served at `/metrics`, if any.
    pub fn metrics(&self) -> Option<&crate::metrics::Metrics> {
        self.metrics.as_ref()
    }

    /// The cap on requests served at once.
    pub fn max_concurrent_requests(&self) -> usize {
        self.max_concurrent_requests
    }

    /// The time a request gets to be answered.
    pub fn request_timeout(&self) -> std::time::Duration {
        self.request_timeout
    }

    /// The cap on open event streams.
    pub fn max_event_streams(&self) -> usize {
        self.max_event_streams
    }

    /// The same config without the admin UI: `/_/` is then not served (it is by default).
    #[must_use]
    pub fn without_admin_ui(mut self) -> Self {
        self.admin_ui = false;
        self
    }

    /// Whether the router serves the admin UI at `/_/`.
    pub fn serves_admin_ui(&self) -> bool {
        self.admin_ui
    }

    /// Whether requests are authenticated by bearer tokens ([`with_jwt`](Self::with_jwt)).
    pub fn uses_bearer_tokens(&self) -> bool {
        self.bearer
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The page size of a search without `limit`.
    pub fn default_page_size(&self) -> u64 {
        self.default_page_size
    }

    /// The largest `limit` a search accepts.
    pub fn max_page_size(&self) -> u64 {
        self.max_page_size
    }

    /// The API's title in the OpenAPI document (default `specstar`).
    pub fn api_title(&self) -> &str {
        &self.api_title
    }

    /// The API's version in the OpenAPI document (default: this crate's version).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The API's description in the OpenAPI document.
    pub fn api_description(&self) -> &str {
        &self.api_description
    }

    /// The acting user of a request.
    ///
    /// # Errors
    /// Whatever problem the resolver answers.
    pub fn resolve_user(&self, parts: &Parts) -> Result<String, Problem> {
        Ok(self.resolve_principal(parts)?.id)
    }

    /// The principal of a request: the one the router's authentication layer found for it, or
    /// the resolver's.
    ///
    /// # Errors
    /// Whatever problem the resolver answers.
    pub fn resolve_principal(&self, parts: &Parts) -> Result<Principal, Problem> {
        match parts.extensions.get::<Authenticated>() {
            Some(Authenticated(found)) => found.clone(),
            None => (self.resolver)(parts),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("body_limit", &self.body_limit)
            .field("default_page_size", &self.default_page_size)
            .field("max_page_size", &self.max_page_size)
            .field("resolver", &"<fn>")
            .field("bearer", &self.bearer)
            .field("admin_ui", &self.admin_ui)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("request_timeout", &self.request_timeout)
            .field("max_event_streams", &self.max_event_streams)
            .field("metrics", &self.metrics.is_some())
            .field("api_title", &self.api_title)
            .field("api_version", &self.api_version)
            .finish()
    }
}
