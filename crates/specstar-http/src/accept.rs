//! The accept loop: each connection served by hyper's HTTP/1 with the limits `axum::serve`
//! leaves unset (a client gets a bounded time to send a request's head, 30 s by default, so one
//! that sends a byte at a time cannot hold a connection open forever), its parse errors made
//! problems ([`crate::parse_errors`]), and a graceful stop: on the signal no connection is
//! accepted, each open one finishes the request it is on and closes.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::parse_errors::ProblemIo;

/// Serves `router` on `listener` until `stop` completes; then waits for the open connections
/// to finish their requests and close. A client gets `header_read_timeout` to send each
/// request's head.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()>,
    header_read_timeout: Duration,
) {
    let (closing, closed) = watch::channel(());
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let closed = closed.clone();
                tokio::spawn(connection(
                    stream,
                    router.clone(),
                    closed,
                    header_read_timeout,
                ));
            }
            // Out of file descriptors and the like: wait, as axum's own listener does.
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    drop(closed);
    // Every connection holds a receiver: this completes when the last one closed.
    let _ = closing.send(());
    closing.closed().await;
}

/// Serves one connection; on the stop signal (`closed` changing) it finishes the request in
/// flight and closes.
async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut closed: watch::Receiver<()>,
    header_read_timeout: Duration,
) {
    let io = TokioIo::new(ProblemIo::new(stream));
    let service = TowerToHyperService::new(router);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut served = pin!(builder.serve_connection(io, service).with_upgrades());
    tokio::select! {
        result = served.as_mut() => return log_end(result),
        _ = closed.changed() => served.as_mut().graceful_shutdown(),
    }
    log_end(served.await);
}

/// A connection's end: an error is the client's (gone, too slow, not HTTP), logged at debug.
fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "a connection ended with an error");
    }
}
