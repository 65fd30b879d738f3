//! The server's hard limits, each refused with a clear RFC 9457 problem: requests at once
//! (load shedding, 503 with `Retry-After`), the request timeout, the open event streams, JSON
//! nested too deeply, and what hyper refuses before the router (a request target over 64 KB,
//! headers over its buffer, a request that is not HTTP); and a listener with a large backlog.
//! Real servers on 127.0.0.1.

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

/// Sends `requests` on one raw connection and answers everything the server wrote until it
/// closed the connection.
async fn raw_exchange(server: &Server, requests: &[u8]) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(requests).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// The problem body at the end of a raw answer, checked against its status line.
fn last_problem(answer: &str, status: u16, code: &str) -> serde_json::Value {
    let at = answer
        .rfind(&format!("HTTP/1.1 {status} "))
        .unwrap_or_else(|| panic!("{status} in {}", &answer[..300.min(answer.len())]));
    let (head, body) = answer[at..].split_once("\r\n\r\n").unwrap();
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["code"].as_str()),
        (Some(u64::from(status)), Some(code))
    );
    body
}

#[tokio::test]
async fn what_hyper_refuses_before_the_router_is_a_problem_too() {
    let server = Server::start().await;
    // Raw: HTTP clients refuse to send a target this long themselves.
    let long = format!("/issue?qb={}", "x".repeat(70_000));
    let one = format!("GET {long} HTTP/1.1\r\nhost: x\r\n\r\n");
    last_problem(
        &raw_exchange(&server, one.as_bytes()).await,
        414,
        "uri_too_long",
    );
    let big = "y".repeat(1_100_000);
    let answer = server
        .get("/issue")
        .header("x-big", &big)
        .send()
        .await
        .unwrap();
    problem(answer, 431, "headers_too_large").await;
    let garbage = raw_exchange(&server, b"NOT HTTP AT ALL\r\n\r\n").await;
    last_problem(&garbage, 400, "bad_request");
    // On a connection already used (keep-alive), the refusal is a problem as well, after the
    // first answer, untouched.
    let two =
        format!("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET {long} HTTP/1.1\r\nhost: x\r\n\r\n");
    let answer = raw_exchange(&server, two.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        &answer[..200.min(answer.len())]
    );
    last_problem(&answer, 414, "uri_too_long");
    assert_eq!(server.get("/healthz").send().await.unwrap().status(), 200);
}
