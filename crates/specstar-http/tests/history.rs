//! What changed between revisions over HTTP: `GET /{model}/{id}/diff` with its defaults, both
//! revision forms, either order, and its refusals.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use common::{Server, problem};
use reqwest::Method;
use serde_json::{Value, json};

async fn diff(server: &Server, id: &str, query: &str) -> reqwest::Response {
    server
        .get(&format!("/issue/{id}/diff{query}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_diff_names_both_revisions_its_patch_and_changes() {
    let server = Server::start().await;
    let created = server
        .create(json!({"title": "t", "assignee": "alice"}))
        .await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    let updated = server
        .request(Method::PUT, &format!("/issue/{id}"))
        .json(&json!({"title": "t", "assignee": "bob", "status": "in_progress"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);

    // By default: the current revision against its parent.
    let response = diff(&server, &id, "").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resource_id"], id);
    assert_eq!(body["from_revision_id"], format!("{id}:1"));
    assert_eq!(body["to_revision_id"], format!("{id}:2"));
    assert_eq!(
        body["patch"],
        json!([
            {"op": "replace", "path": "/assignee", "value": "bob"},
            {"op": "replace", "path": "/status", "value": "in_progress"}
        ])
    );
    assert_eq!(
        body["changes"][0],
        json!({"path": "/assignee", "from": "alice", "to": "bob"})
    );

    // Either order, numbers or full ids.
    let back: Value = diff(&server, &id, &format!("?from=2&to={id}:1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        back["changes"][0],
        json!({"path": "/assignee", "from": "bob", "to": "alice"})
    );
    let same: Value = diff(&server, &id, "?from=1&to=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(same["patch"], json!([]));
}

#[tokio::test]
async fn a_diff_refuses_what_it_cannot_compare() {
    let server = Server::start().await;
    let created = server.create(json!({"title": "t"})).await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    // A first revision's default `from`, its parent, does not exist.
    problem(diff(&server, &id, "").await, 404, "revision_not_found").await;
    problem(
        diff(&server, &id, "?from=1&to=7").await,
        404,
        "revision_not_found",
    )
    .await;
    problem(diff(&server, &id, "?from=0").await, 400, "malformed_id").await;
    problem(
        diff(&server, &id, "?from=issue:other:1").await,
        404,
        "foreign_revision",
    )
    .await;
    let unknown = "issue:0193a5c4-7b1e-7cc3-9a51-3f0c2d4e8a10";
    problem(diff(&server, unknown, "").await, 404, "resource_not_found").await;
    problem(
        diff(&server, unknown, "?from=1&to=2").await,
        404,
        "resource_not_found",
    )
    .await;
}
