//! `GET /metrics`: the Prometheus text format, requests counted by route template (never a
//! raw id), timed, writes timed per model, the feed's open streams. Its own test binary: the
//! `metrics` crate takes one recorder per process.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use common::Server;
use serde_json::json;
use specstar_http::{HttpConfig, Metrics};

/// The lines of `text` naming `metric` with every one of `labels`.
fn lines<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(metric) && labels.iter().all(|label| l.contains(label)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_template_and_time_writes() {
    let metrics = Metrics::install().unwrap();
    assert!(
        Metrics::install().is_ok(),
        "a second install shares the first recorder"
    );
    let server = Server::start_with(HttpConfig::new().with_metrics(metrics)).await;
    let created = server.create(json!({"title": "measured"})).await;
    let id = created["resource_id"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(
            server
                .get(&format!("/issue/{id}"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(
        server
            .get("/issue/issue:nope")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let stream = server
        .get("/_changes")
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    // An event the open stream sends: its lag is measured.
    server.create(json!({"title": "seen live"})).await;
    let mut stream = stream;
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
        .await
        .expect("the stream sends the events");
    assert!(first.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let scrape = server.get("/metrics").send().await.unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = scrape.text().await.unwrap();
    let gets = lines(
        &text,
        "specstar_http_requests_total{",
        &[
            r#"route="/issue/{resource_id}""#,
            r#"method="GET""#,
            r#"status="200""#,
        ],
    );
    assert_eq!(gets.len(), 1, "{text}");
    assert!(gets[0].ends_with(" 3"), "{}", gets[0]);
    assert_eq!(
        lines(&text, "specstar_http_requests_total{", &[r#"status="404""#]).len(),
        1
    );
    assert!(
        !text.contains(id.split(':').nth(1).unwrap()),
        "no raw id as a label"
    );
    assert!(
        !lines(
            &text,
            "specstar_http_request_duration_seconds_bucket{",
            &[r#"route="/issue""#]
        )
        .is_empty()
    );
    assert!(
        !lines(
            &text,
            "specstar_store_write_duration_seconds_bucket{",
            &[r#"model="issue""#]
        )
        .is_empty()
    );
    assert_eq!(
        lines(&text, "specstar_feed_streams", &[]),
        ["specstar_feed_streams 1"],
        "{text}"
    );
    assert!(text.contains("specstar_feed_last_sequence 2"), "{text}");
    assert!(
        text.contains("specstar_feed_stream_lag_events_bucket"),
        "{text}"
    );
    drop(stream);
}

#[tokio::test]
async fn without_metrics_in_the_config_there_is_no_route() {
    let server = Server::start().await;
    let answer = server.get("/metrics").send().await.unwrap();
    common::problem(answer, 404, "route_not_found").await;
}
