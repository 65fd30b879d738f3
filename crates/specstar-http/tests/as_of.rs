//! As-of reads over HTTP: `?as_of=` on the read routes (the revision current at an instant),
//! its refusals, and the history's `created_time_start` / `created_time_end` filters.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::time::Duration;

use common::{Server, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use specstar_core::Timestamp;

/// A resource with three revisions (create, update, delete), a few milliseconds apart, and
/// their created times.
async fn three_revisions(server: &Server) -> (String, Vec<Timestamp>) {
    let created = server
        .create(json!({"title": "t", "assignee": "alice"}))
        .await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated = server
        .request(Method::PUT, &format!("/issue/{id}"))
        .json(&json!({"title": "t", "assignee": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let deleted = server
        .request(Method::DELETE, &format!("/issue/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let list: Value = server
        .get(&format!("/issue/{id}/revision-list?sort=created_time"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let times = list["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["created_time"].as_str().unwrap().parse().unwrap())
        .collect();
    (id, times)
}

fn micros_before(time: Timestamp, micros: i64) -> Timestamp {
    Timestamp::from_micros(time.as_micros() - micros).unwrap()
}

async fn read(server: &Server, path: &str, query: &[(&str, String)]) -> Response {
    server.get(path).query(query).send().await.unwrap()
}

#[tokio::test]
async fn as_of_answers_the_revision_current_then_on_every_read_route() {
    let server = Server::start().await;
    let (id, times) = three_revisions(&server).await;
    let at = |t: Timestamp| ("as_of", t.to_string());
    let path = format!("/issue/{id}");

    let first = read(&server, &path, &[at(times[0])]).await;
    assert_eq!(first.status(), 200);
    let etag = common::etag(&first);
    assert!(etag.starts_with(&format!("\"{id}:1@")), "{etag}");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["revision_info"]["revision_id"], format!("{id}:1"));
    assert_eq!(body["data"]["assignee"], "alice");
    assert_eq!(body["meta"]["current_revision_id"], format!("{id}:3"));

    let between = micros_before(times[2], 1);
    let data: Value = read(&server, &format!("{path}/data"), &[at(between)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["assignee"], "bob");
    let info: Value = read(&server, &format!("{path}/revision-info"), &[at(times[1])])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["revision_id"], format!("{id}:2"));
    let meta: Value = read(&server, &format!("{path}/meta"), &[at(times[0])])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["resource_id"], id);
    let full: Value = read(&server, &format!("{path}/full"), &[at(between)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(full["revision_info"]["revision_id"], format!("{id}:2"));
    let only: Value = read(
        &server,
        &path,
        &[at(times[0]), ("returns", "only-data".into())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(only["assignee"], "alice");
    let some: Value = read(
        &server,
        &path,
        &[at(times[1]), ("returns", "revision_info".into())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(some["revision_info"]["revision_id"], format!("{id}:2"));
    assert!(some.get("data").is_none(), "{some}");
    // An instant with an offset is read as one (and then the resource did not exist yet).
    let offset = read(
        &server,
        &path,
        &[("as_of", "2000-01-01T02:00:00+02:00".into())],
    )
    .await;
    problem(offset, 404, "not_yet_created").await;
}

#[tokio::test]
async fn as_of_refuses_before_creation_at_a_tombstone_and_bad_times() {
    let server = Server::start().await;
    let (id, times) = three_revisions(&server).await;
    let at = |t: Timestamp| ("as_of", t.to_string());
    let path = format!("/issue/{id}");

    let early = problem(
        read(&server, &path, &[at(micros_before(times[0], 1))]).await,
        404,
        "not_yet_created",
    )
    .await;
    assert!(early["detail"].as_str().unwrap().contains(&id), "{early}");
    problem(
        read(&server, &format!("{path}/data"), &[at(times[2])]).await,
        410,
        "resource_deleted",
    )
    .await;
    let tombstone: Value = read(
        &server,
        &path,
        &[at(times[2]), ("include_deleted", "true".into())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(tombstone["revision_info"]["revision_id"], format!("{id}:3"));
    assert_eq!(tombstone["data"]["assignee"], "bob");
    problem(
        read(&server, "/issue/nobody", &[at(times[0])]).await,
        404,
        "resource_not_found",
    )
    .await;

    let bad = problem(
        read(&server, &path, &[("as_of", "yesterday".into())]).await,
        400,
        "invalid_query",
    )
    .await;
    let detail = bad["detail"].as_str().unwrap();
    assert!(
        detail.contains("as_of") && detail.contains("RFC 3339"),
        "{detail}"
    );
    // With revision_id too: that revision if it had been written by then.
    let both: Value = read(&server, &path, &[at(times[0]), ("revision_id", "1".into())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(both["revision_info"]["revision_id"], format!("{id}:1"));
    let later = problem(
        read(&server, &path, &[at(times[0]), ("revision_id", "2".into())]).await,
        404,
        "not_yet_created",
    )
    .await;
    assert!(
        later["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{id}:2")),
        "{later}"
    );
}

#[tokio::test]
async fn the_history_filters_by_created_time_before_paging() {
    let server = Server::start().await;
    let (id, times) = three_revisions(&server).await;
    let path = format!("/issue/{id}/revision-list");
    let numbers = |body: &Value| {
        body["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["revision_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let from_second: Value = read(
        &server,
        &path,
        &[("created_time_start", times[1].to_string())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        numbers(&from_second),
        [format!("{id}:3"), format!("{id}:2")]
    );
    assert_eq!(from_second["total"], 2);
    assert_eq!(from_second["has_more"], false);

    let paged: Value = read(
        &server,
        &path,
        &[
            ("created_time_end", times[1].to_string()),
            ("limit", "1".into()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(numbers(&paged), [format!("{id}:2")]);
    assert_eq!(
        (paged["total"].clone(), paged["has_more"].clone()),
        (json!(2), json!(true))
    );

    let window: Value = read(
        &server,
        &path,
        &[
            ("created_time_start", times[1].to_string()),
            ("created_time_end", times[1].to_string()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        numbers(&window),
        [format!("{id}:2")],
        "both bounds inclusive"
    );
    let none: Value = read(
        &server,
        &path,
        &[("created_time_end", micros_before(times[0], 1).to_string())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (none["total"].clone(), none["has_more"].clone()),
        (json!(0), json!(false))
    );

    let bad = problem(
        read(&server, &path, &[("created_time_start", "soon".into())]).await,
        400,
        "invalid_query",
    )
    .await;
    assert!(
        bad["detail"]
            .as_str()
            .unwrap()
            .contains("created_time_start"),
        "{bad}"
    );
}
