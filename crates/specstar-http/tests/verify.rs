//! The tamper-evident chain over HTTP: `GET /{model}/{id}/verify` and the `chain_hash` of every
//! revision info.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use common::{Server, problem};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn verify_answers_the_chain_of_a_live_and_a_deleted_resource() {
    let server = Server::start().await;
    let created = server.create(json!({"title": "t"})).await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    let chain = created["chain_hash"].as_str().unwrap().to_owned();
    assert!(
        chain.starts_with("sha256:") && chain.len() == "sha256:".len() + 64,
        "{chain}"
    );

    let response = server
        .get(&format!("/issue/{id}/verify"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "resource_id": id,
            "valid": true,
            "revisions": 1,
            "pruned": 0,
            "head_chain_hash": chain,
        }),
        "no first_invalid_revision_id when valid"
    );

    let updated: Value = server
        .request(Method::PUT, &format!("/issue/{id}"))
        .json(&json!({"title": "u"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(updated["chain_hash"], json!(chain));
    let deleted = server
        .request(Method::DELETE, &format!("/issue/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let list: Value = server
        .get(&format!("/issue/{id}/revision-list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let newest = list["revisions"][0]["chain_hash"].clone();
    assert!(newest.is_string(), "{list}");

    // By the bare key too, and a deleted resource verifies like a live one.
    let key = id.strip_prefix("issue:").unwrap();
    let body: Value = server
        .get(&format!("/issue/{key}/verify"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["valid"], true, "{body}");
    assert_eq!(body["revisions"], 3, "{body}");
    assert_eq!(body["head_chain_hash"], newest, "{body}");
}

#[tokio::test]
async fn verify_of_an_unknown_or_malformed_id_is_a_problem() {
    let server = Server::start().await;
    let unknown = server
        .get("/issue/issue:0193-nobody/verify")
        .send()
        .await
        .unwrap();
    problem(unknown, 404, "resource_not_found").await;
    let foreign = server.get("/issue/team:x/verify").send().await.unwrap();
    assert_eq!(foreign.status(), 400);

    let created = server.create(json!({"title": "t"})).await;
    let id = created["resource_id"].as_str().unwrap().to_owned();
    let purged = server
        .request(Method::DELETE, &format!("/issue/{id}/permanently"))
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 200);
    let gone = server
        .get(&format!("/issue/{id}/verify"))
        .send()
        .await
        .unwrap();
    problem(gone, 404, "resource_not_found").await;
}
