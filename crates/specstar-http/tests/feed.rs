//! `GET /_changes` over HTTP: pages, the model filter, data, the long poll, server-sent events
//! (resumed by `Last-Event-ID`, never compressed), and clear 400s for bad input.

mod common;

use std::time::Duration;

use common::{Server, problem, read_events};
use reqwest::Method;
use serde_json::{Value, json};

/// The events of a page, checked to be in increasing sequence.
fn events(page: &Value) -> &Vec<Value> {
    let changes = page["changes"].as_array().expect("changes is an array");
    let sequences: Vec<u64> = changes
        .iter()
        .map(|c| c["sequence"].as_u64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    changes
}

async fn get_json(server: &Server, path: &str) -> Value {
    let response = server.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn pages_list_every_revision_and_purge_in_order() {
    let server = Server::start().await;
    let a = server.create(json!({ "title": "a" })).await;
    let id = a["resource_id"].as_str().unwrap().to_owned();
    let update = server
        .request(Method::PUT, &format!("/issue/{id}"))
        .header("x-user", "bob")
        .json(&json!({ "title": "a2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);
    let b = server.create(json!({ "title": "b" })).await;
    let b_id = b["resource_id"].as_str().unwrap();
    let purge = server
        .request(Method::DELETE, &format!("/issue/{b_id}/permanently"))
        .header("x-user", "carol")
        .send()
        .await
        .unwrap();
    assert_eq!(purge.status(), 200);

    let page = get_json(&server, "/_changes").await;
    let changes = events(&page);
    assert_eq!(changes.len(), 3, "two revisions of a, b's purge: {page}");
    assert_eq!(changes[0]["revision_id"], format!("{id}:1"));
    assert_eq!(changes[0]["model"], "issue");
    assert_eq!(changes[0]["action"], "create");
    assert_eq!(changes[0]["status"], "stable", "the wire revision info");
    assert!(changes[0].get("data").is_none());
    assert_eq!(
        (&changes[1]["action"], &changes[1]["created_by"]),
        (&json!("update"), &json!("bob"))
    );
    let gone = &changes[2];
    assert_eq!(gone["action"], "purge");
    assert_eq!(gone["resource_id"], b_id);
    assert_eq!(gone["model"], "issue");
    assert_eq!(gone["created_by"], "carol");
    assert!(gone["created_time"].is_string() && gone.get("data").is_none());
    assert_eq!(page["last_seq"], gone["sequence"]);
    assert_eq!(page["has_more"], false);

    let first = get_json(&server, "/_changes?limit=1").await;
    assert_eq!(events(&first).len(), 1);
    assert_eq!(first["has_more"], true);
    let since = first["last_seq"].as_u64().unwrap();
    let rest = get_json(&server, &format!("/_changes?since={since}&limit=1000")).await;
    assert_eq!(events(&rest)[..], changes[1..]);
    let end = get_json(&server, &format!("/_changes?since={}", page["last_seq"])).await;
    assert_eq!(
        end,
        json!({ "changes": [], "last_seq": page["last_seq"], "has_more": false })
    );
    // `since=now` starts at the newest event (here the purge): nothing yet, its last_seq that.
    let now = get_json(&server, "/_changes?since=now").await;
    assert_eq!(now, end);

    let with_data = get_json(
        &server,
        "/_changes?include_data=true&model=issue&model=issue",
    )
    .await;
    let with_data = events(&with_data);
    assert_eq!(with_data[0]["data"]["title"], "a");
    assert_eq!(with_data[1]["data"]["title"], "a2");
    assert!(with_data[2].get("data").is_none(), "a purge has no data");
}

#[tokio::test]
async fn bad_parameters_are_clear_400s() {
    let server = Server::start().await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "since=-1",
        "since=1.5",
        "since=later",
        "wait=31",
        "wait=soon",
        "include_data=maybe",
        "model=nope",
        "model=issue&model=nope",
    ] {
        let response = server
            .get(&format!("/_changes?{query}"))
            .send()
            .await
            .unwrap();
        let body = problem(response, 400, "invalid_query").await;
        let name = query.split('=').next().unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains(name),
            "{query}: {body}"
        );
    }
    let unknown = problem(
        server.get("/_changes?model=nope").send().await.unwrap(),
        400,
        "invalid_query",
    )
    .await;
    assert!(
        unknown["detail"].as_str().unwrap().contains("issue"),
        "names the models: {unknown}"
    );
    let bad_resume = server
        .get("/_changes")
        .header("accept", "text/event-stream")
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    problem(bad_resume, 400, "invalid_query").await;
    let empty_resume = server
        .get("/_changes")
        .header("accept", "text/event-stream")
        .header("last-event-id", "")
        .send()
        .await
        .unwrap();
    assert_eq!(
        empty_resume.status(),
        200,
        "an empty Last-Event-ID means none yet"
    );
}

#[tokio::test]
async fn a_long_poll_answers_when_an_event_commits() {
    let server = Server::start().await;
    let first = server.create(json!({ "title": "first" })).await;
    let since = first["sequence"].as_u64().unwrap();
    let waiting = {
        let request = server.get(&format!("/_changes?since={since}&wait=20"));
        tokio::spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "nothing followed yet: the request waits"
    );
    let second = server.create(json!({ "title": "second" })).await;
    let page = tokio::time::timeout(Duration::from_secs(15), waiting)
        .await
        .expect("the long poll answers once the write commits")
        .unwrap();
    assert_eq!(events(&page).len(), 1);
    assert_eq!(page["changes"][0]["revision_id"], second["revision_id"]);

    let last = page["last_seq"].as_u64().unwrap();
    let empty = get_json(&server, &format!("/_changes?since={last}&wait=1")).await;
    assert_eq!(
        empty,
        json!({ "changes": [], "last_seq": last, "has_more": false })
    );
}

#[tokio::test]
async fn server_sent_events_stream_changes_and_resume() {
    let server = Server::start().await;
    let first = server.create(json!({ "title": "one" })).await;
    let response = server
        .get("/_changes?include_data=true")
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(
        headers.get("content-encoding").is_none(),
        "an event stream is never compressed"
    );
    let reader = tokio::spawn(read_events(response, 3));
    let second = server.create(json!({ "title": "two" })).await;
    let id = second["resource_id"].as_str().unwrap().to_owned();
    let update = server
        .request(Method::PUT, &format!("/issue/{id}"))
        .json(&json!({ "title": "two, again" }))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);
    let seen = reader.await.unwrap();
    assert_eq!(seen[0].1["revision_id"], first["revision_id"]);
    assert_eq!(seen[0].1["data"]["title"], "one");
    assert_eq!(
        seen[0].0,
        first["sequence"].as_u64().unwrap(),
        "id: is the sequence"
    );
    assert_eq!(seen[1].1["revision_id"], second["revision_id"]);
    assert_eq!(seen[2].1["data"]["title"], "two, again");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));

    // Reconnecting with Last-Event-ID resumes after it, whatever `since` says; a purge comes
    // as an event of its own.
    let purge = server
        .request(Method::DELETE, &format!("/issue/{id}/permanently"))
        .send()
        .await
        .unwrap();
    assert_eq!(purge.status(), 200);
    let resumed = server
        .get("/_changes?since=0")
        .header("accept", "text/event-stream")
        .header("last-event-id", seen[2].0.to_string())
        .send()
        .await
        .unwrap();
    let again = read_events(resumed, 1).await;
    assert_eq!(again[0].1["action"], "purge");
    assert_eq!(again[0].1["resource_id"], id.as_str());
    assert!(again[0].0 > seen[2].0);
}

/// A client that stops reading its event stream holds writers back not at all, and, when it
/// reads again, gets every event it missed, in order, from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_event_stream_client_stalls_nobody_and_misses_nothing() {
    const WRITES: usize = 600;
    let server = Server::start().await;
    let response = server
        .get("/_changes?include_data=true")
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The client reads nothing while the writes run (each event is ~700 bytes with its data:
    // more than the socket buffers hold).
    let mut written = Vec::new();
    let writes = tokio::time::timeout(Duration::from_secs(60), async {
        for i in 0..WRITES {
            let body = json!({ "title": format!("write {i} {}", "x".repeat(400)) });
            written.push(server.create(body).await["sequence"].as_u64().unwrap());
        }
    });
    writes
        .await
        .expect("the writes finish while the stream is not read");
    let other = server.get("/_changes?limit=1").send().await.unwrap();
    assert_eq!(other.status(), 200, "other readers are served meanwhile");
    let seen = read_events(response, WRITES).await;
    let sequences: Vec<u64> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(sequences, written, "every event, once, in order");
}
