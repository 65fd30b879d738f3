//! Stopping well: on the shutdown signal the server stops accepting, the requests in flight
//! finish, the change feed's open streams end with a last `shutdown` event and its long polls
//! answer at once (a client reconnects elsewhere with its `Last-Event-ID` or `since`), and
//! `/readyz` answers 503 so that a load balancer stops sending. Whatever is still open after
//! the deadline is dropped, and serving returns: the store is closed by its owner after.
//!
//! The [`Drain`] is per server: [`serve_with`] puts it in every request's extensions, where the
//! feed and the readiness check find it.

use std::future::Future;
use std::time::Duration;

use axum::{Extension, Router};
use tokio::sync::watch;

/// How long the requests in flight get to finish after the shutdown signal, by default.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// How long a client gets to send a request's head (its line and headers), from the
/// connection's start or the end of its previous request, by default; then the connection is
/// closed (a client sending a byte at a time holds nothing for long).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How [`serve_with`] serves.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long the requests in flight get after the shutdown signal (default 30 s).
    pub shutdown_deadline: Duration,
    /// How long a client gets to send each request's head (default 30 s).
    pub header_read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// Whether the server serving a request is shutting down, and a way to wait until it does.
#[derive(Clone, Debug)]
pub(crate) struct Drain {
    started: watch::Receiver<bool>,
}

impl Drain {
    /// A drain that never starts: what a router served by another loop than ours sees.
    pub(crate) fn never() -> Self {
        let (sender, started) = watch::channel(false);
        // The receiver keeps the value; no sender is needed to keep it false.
        drop(sender);
        Self { started }
    }

    /// Whether the shutdown has begun.
    pub(crate) fn has_started(&self) -> bool {
        *self.started.borrow()
    }

    /// Completes when the shutdown begins (never, for a drain that never starts).
    pub(crate) async fn started(&self) {
        let mut started = self.started.clone();
        if started.wait_for(|started| *started).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The drain of a request: the one [`serve_with`] put in its extensions, else one that never
/// starts.
pub(crate) fn of(parts: &http::request::Parts) -> Drain {
    parts
        .extensions
        .get::<Drain>()
        .cloned()
        .unwrap_or_else(Drain::never)
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module) and
/// returns once every connection closed, or when `options.shutdown_deadline` has passed.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> std::io::Result<()> {
    let (begin, started) = watch::channel(false);
    let drain = Drain { started };
    let router = router.layer(Extension(drain.clone()));
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing the requests in flight");
        let _ = begin.send(true);
    };
    let server = async move {
        crate::accept::serve(listener, router, signal, options.header_read_timeout).await;
        Ok(())
    };
    let deadline = async {
        drain.started().await;
        tokio::time::sleep(options.shutdown_deadline).await;
    };
    tokio::select! {
        served = server => served,
        () = deadline => {
            tracing::warn!(
                deadline_s = options.shutdown_deadline.as_secs_f64(),
                "shutting down: requests still open at the deadline were dropped"
            );
            Ok(())
        }
    }
}
