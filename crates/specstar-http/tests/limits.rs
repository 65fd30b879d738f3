//! The server's hard limits, each refused with a clear RFC 9457 problem: requests at once
//! (load shedding, 503 with `Retry-After`), the request timeout, the open event streams, JSON
//! nested too deeply; and a listener with a large backlog. Real servers on 127.0.0.1.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::time::Duration;

use common::{Server, problem};
use serde_json::json;
use specstar_http::HttpConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_on_requests_at_once_a_request_is_shed_at_once() {
    let server = Server::start_with(HttpConfig::new().with_max_concurrent_requests(2)).await;
    let polls: Vec<_> = (0..2)
        .map(|_| tokio::spawn(server.get("/_changes?since=1000&wait=3").send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shed = server.get("/healthz").send().await.unwrap();
    assert_eq!(shed.headers()["retry-after"], "1");
    let body = problem(shed, 503, "overloaded").await;
    assert!(
        body["detail"].as_str().unwrap().contains("try again"),
        "{body}"
    );
    for poll in polls {
        assert_eq!(poll.await.unwrap().unwrap().status(), 200);
    }
    let served = server.get("/healthz").send().await.unwrap();
    assert_eq!(
        served.status(),
        200,
        "served again once the two were answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_not_answered_in_time_is_a_503_problem() {
    let config = HttpConfig::new().with_request_timeout(Duration::from_millis(300));
    let server = Server::start_with(config).await;
    let slow = server
        .get("/_changes?since=1000&wait=5")
        .send()
        .await
        .unwrap();
    problem(slow, 503, "request_timeout").await;
    assert_eq!(server.get("/issue").send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_beyond_the_cap_are_refused_until_one_ends() {
    let server = Server::start_with(HttpConfig::new().with_max_event_streams(1)).await;
    let open = |server: &Server| {
        server
            .get("/_changes")
            .header("accept", "text/event-stream")
            .send()
    };
    let first = open(&server).await.unwrap();
    assert_eq!(first.status(), 200);
    let second = open(&server).await.unwrap();
    assert_eq!(second.headers()["retry-after"], "1");
    problem(second, 503, "too_many_streams").await;
    drop(first);
    // The server notices a closed stream when it next writes to it: at the next event.
    server.create(json!({"title": "an event"})).await;
    let mut reopened = None;
    for _ in 0..50 {
        let answer = open(&server).await.unwrap();
        if answer.status() == 200 {
            reopened = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reopened.is_some(),
        "the slot came back once the first stream ended"
    );
}

#[tokio::test]
async fn json_nested_too_deeply_is_a_400_not_a_crash() {
    let server = Server::start().await;
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let answer = server
        .request(reqwest::Method::POST, "/issue")
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    let body = problem(answer, 400, "invalid_json").await;
    assert!(
        body["detail"].as_str().unwrap().contains("recursion"),
        "{body}"
    );
    assert_eq!(server.get("/healthz").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn bind_listens_with_the_backlog_it_is_given() {
    let listener = specstar_http::bind("127.0.0.1:0".parse().unwrap(), 4096).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "up" }));
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    let text = reqwest::get(format!("http://{addr}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "up");
}
