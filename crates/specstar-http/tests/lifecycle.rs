//! A server's life: `/healthz` and `/readyz` while it serves; on the shutdown signal the open
//! event streams end with a `shutdown` event, long polls answer at once, `/readyz` says 503,
//! and serving returns; requests still open at the deadline are dropped. Real servers on
//! 127.0.0.1.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use common::issues_in;
use futures_util::StreamExt;
use serde_json::{Value, json};
use specstar_core::Store;
use specstar_http::{HttpConfig, ServeOptions, serve_with};
use tokio::sync::oneshot;

/// A server with the `Issue` model and `extra` routes beside, stopped by the returned sender;
/// its base URL and the task that serves it.
async fn start(
    extra: Router,
    deadline: Duration,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let (registry, _) = issues_in(&store).await;
    let app = specstar_http::router(registry, store, HttpConfig::new()).merge(extra);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServeOptions {
        shutdown_deadline: deadline,
        ..ServeOptions::default()
    };
    let served = tokio::spawn(serve_with(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
        options,
    ));
    (base, stop, served)
}

#[tokio::test]
async fn health_and_readiness_answer_while_serving() {
    let (base, _stop, _served) = start(Router::new(), Duration::from_secs(5)).await;
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_streams_and_long_polls_then_returns() {
    let (base, stop, served) = start(Router::new(), Duration::from_secs(20)).await;
    let client = reqwest::Client::new();
    let stream = client
        .get(format!("{base}/_changes"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let long_poll = tokio::spawn(client.get(format!("{base}/_changes?wait=30")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    let polled = long_poll.await.unwrap().unwrap();
    assert_eq!(polled.status(), 200);
    assert_eq!(polled.json::<Value>().await.unwrap()["changes"], json!([]));
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(
        text.contains("event: shutdown"),
        "the stream's last event: {text}"
    );
    served.await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "serving returned once the stream and the poll were done, long before the deadline"
    );
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_still_open_at_the_deadline_are_dropped() {
    let slow = Router::new().route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(120)).await;
            "late"
        }),
    );
    let (base, stop, served) = start(slow, Duration::from_millis(500)).await;
    let hanging = tokio::spawn(reqwest::get(format!("{base}/slow")));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("serving returns at the deadline")
        .unwrap()
        .unwrap();
    hanging.abort();
}

/// A client that sends a request's head a byte at a time is disconnected once the header read
/// timeout passes; the server goes on answering others.
#[tokio::test]
async fn a_client_sending_a_byte_at_a_time_is_disconnected() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions {
        header_read_timeout: Duration::from_millis(500),
        ..ServeOptions::default()
    };
    tokio::spawn(serve_with(listener, app, std::future::pending(), options));
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for byte in b"GET / HTTP/1.1\r\nhost: x\r\nx-slow: "
        .iter()
        .cycle()
        .take(200)
    {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut buf = [0u8; 256];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow client was never disconnected");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let answer = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
}
