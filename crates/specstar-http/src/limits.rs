//! The server's hard limits beside the body size: requests served at once (load shedding: one
//! more is 503 at once, not queued), the time a request gets, the change feed's open streams,
//! and the listen backlog. Each refusal is an RFC 9457 problem saying which limit and when to
//! come back.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::response::{IntoResponse, Response};
use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::HttpConfig;
use crate::problem::Problem;

/// The default listen backlog of [`bind`]: the kernel's queue of connections not yet accepted
/// (uvicorn's default; a burst of thousands of connections then waits in it, not on retries).
pub const DEFAULT_LISTEN_BACKLOG: u32 = 2048;

/// The seconds a client is told to wait before it tries again.
const RETRY_AFTER_SECONDS: u32 = 1;

/// `router` with the request timeout inside (answered 503, made a problem by the router's
/// normalizing layer).
pub(crate) fn with_timeout(router: Router, config: &HttpConfig) -> Router {
    router.layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        config.request_timeout(),
    ))
}

/// `router` shedding load beyond `config`'s cap on requests served at once: one semaphore for
/// every route (a global limit, not one per route).
pub(crate) fn with_load_shedding(router: Router, config: &HttpConfig) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                overloaded()
            }))
            .layer(LoadShedLayer::new())
            .layer(GlobalConcurrencyLimitLayer::new(
                config.max_concurrent_requests(),
            )),
    )
}

fn overloaded() -> Response {
    retry_later(
        "overloaded",
        "Overloaded",
        "the server is serving as many requests as it takes: try again in a moment",
    )
    .into_response()
}

/// A 503 problem with `Retry-After`.
fn retry_later(code: &'static str, title: &'static str, detail: &str) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, title, detail)
        .with_header(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS))
}

/// The change feed's open event streams: a permit per stream, held until it ends.
#[derive(Clone, Debug)]
pub(crate) struct StreamSlots(Arc<Semaphore>);

impl StreamSlots {
    pub(crate) fn new(config: &HttpConfig) -> Self {
        Self(Arc::new(Semaphore::new(config.max_event_streams())))
    }

    /// A slot for one more stream, or the 503 `too_many_streams` problem when all are taken.
    pub(crate) fn take(&self) -> Result<StreamSlot, Problem> {
        let permit = self.0.clone().try_acquire_owned().map_err(|_| {
            retry_later(
                "too_many_streams",
                "Too many event streams",
                "the server holds as many change-feed streams open as it takes: try again \
                 later, or read the feed in pages (`since`, `wait`)",
            )
        })?;
        metrics::gauge!("specstar_feed_streams").increment(1.0);
        Ok(StreamSlot { _permit: permit })
    }
}

/// One open stream's slot: given back, and the streams' gauge lowered, when the stream ends.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    _permit: OwnedSemaphorePermit,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        metrics::gauge!("specstar_feed_streams").decrement(1.0);
    }
}

/// A listener on `addr` whose kernel queue holds `backlog` connections not yet accepted
/// (`TcpListener::bind` takes 128, which a burst of connections overflows into seconds of
/// kernel retries).
///
/// # Errors
/// The socket's I/O errors (the address in use, not available).
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}
