//! How the HTTP layer is set up: the body limit and who the acting user is.
//!
//! Both are per deployment rather than per model, so they live in one [`HttpConfig`] handed to
//! [`router`](crate::router). The user is not a header the core trusts: an application plugs
//! in its own authentication through a [`UserResolver`], and every write records what it says.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use specstar_core::ANONYMOUS;

use crate::problem::Problem;

/// The default limit on a request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Derives the acting user from a request's head (headers, extensions set by an auth layer…).
///
/// An `Err` is answered as is, e.g. a 401 [`Problem`] when credentials are missing.
pub type UserResolver = Arc<dyn Fn(&Parts) -> Result<String, Problem> + Send + Sync>;

/// The settings of the HTTP layer.
#[derive(Clone)]
pub struct HttpConfig {
    body_limit: usize,
    user_resolver: UserResolver,
}

impl HttpConfig {
    /// The defaults: a 1 MiB body limit, every request acting as "anonymous".
    pub fn new() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            user_resolver: Arc::new(|_| Ok(ANONYMOUS.to_owned())),
        }
    }

    /// The same config refusing bodies over `bytes` bytes with 413.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
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
    pub fn with_user_resolver(mut self, resolver: UserResolver) -> Self {
        self.user_resolver = resolver;
        self
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The acting user of a request.
    ///
    /// # Errors
    /// Whatever problem the resolver answers.
    pub fn resolve_user(&self, parts: &Parts) -> Result<String, Problem> {
        (self.user_resolver)(parts)
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
            .field("user_resolver", &"<fn>")
            .finish()
    }
}
