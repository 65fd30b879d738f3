//! `GET /_stats`: per model, resources, deleted ones, revisions and bytes of history; in the
//! OpenAPI document.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use common::Server;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn stats_count_what_the_store_holds_and_are_documented() {
    let server = Server::start().await;
    let created = server.create(json!({"title": "a"})).await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    let key = id.split_once(':').unwrap().1;
    let deleted = server
        .request(Method::DELETE, &format!("/issue/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let stats: Value = server
        .get("/_stats")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issue = &stats["models"][0];
    assert_eq!(issue["model"], "issue", "{stats}");
    assert_eq!(
        (&issue["resources"], &issue["deleted"], &issue["revisions"]),
        (&json!(1), &json!(1), &json!(2)),
        "{stats}"
    );
    assert!(issue["history_bytes"].as_u64().unwrap() > 20, "{stats}");
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["paths"]["/_stats"]["get"].is_object());
    assert!(document["components"]["schemas"]["ModelStats"].is_object());
}
