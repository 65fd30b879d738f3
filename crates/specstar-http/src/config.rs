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

/// The default page size of a search when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The default largest `limit` a search accepts.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 1000;

/// Derives the acting user from a request's head (headers, extensions set by an auth layer…).
///
/// An `Err` is answered as is, e.g. a 401 [`Problem`] when credentials are missing.
pub type UserResolver = Arc<dyn Fn(&Parts) -> Result<String, Problem> + Send + Sync>;

/// The settings of the HTTP layer.
#[derive(Clone)]
pub struct HttpConfig {
    body_limit: usize,
    default_page_size: u64,
    max_page_size: u64,
    user_resolver: UserResolver,
}

impl HttpConfig {
    /// The defaults: a 1 MiB body limit, every request acting as "anonymous".
    pub fn new() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            default_page_size: DEFAULT_PAGE_SIZE,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            user_resolver: Arc::new(|_| Ok(ANONYMOUS.to_owned())),
        }
    }

    /// The same config refusing bodies over `bytes` bytes with 413.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The same config paging searches by `default` when `limit` is not given and refusing a
    /// `limit` over `max` with 400 (`max` is raised to `default` when smaller; both are at
    /// least 1).
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
    pub fn with_user_resolver(mut self, resolver: UserResolver) -> Self {
        self.user_resolver = resolver;
        self
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
            .field("default_page_size", &self.default_page_size)
            .field("max_page_size", &self.max_page_size)
            .field("user_resolver", &"<fn>")
            .finish()
    }
}
