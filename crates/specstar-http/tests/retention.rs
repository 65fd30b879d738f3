//! Retention over HTTP: pins (`POST`/`DELETE /{model}/{id}/revisions/{rev}/pin`,
//! `GET /{model}/{id}/pins`), 410 `revision_pruned` on every read of a pruned revision's data,
//! the feed's events kept (data `null`, `pruned: true`), and verification that still passes.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::sync::Arc;

use common::{Server, issues_in, problem};
use reqwest::Method;
use serde_json::{Value, json};
use specstar_core::{DynResourceManager, Retention, Store};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn pins_pruned_reads_feed_and_verify() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let (registry, model) = issues_in(&store).await;
    let server = Server::serve(registry, store.clone(), specstar_http::HttpConfig::new()).await;
    let id = server.create(json!({"title": "t1"})).await["resource_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = id.split_once(':').unwrap().1.to_owned();
    for n in 2..=4 {
        let put = server
            .request(Method::PUT, &format!("/issue/{key}"))
            .json(&json!({"title": format!("t{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
    }
    let pinned = server
        .request(Method::POST, &format!("/issue/{key}/revisions/2/pin"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(pinned, 200).await,
        json!({"resource_id": id, "pinned": [format!("{id}:2")]})
    );
    let mgr = DynResourceManager::new(model, store);
    let pruned = mgr.prune(&id, &Retention::keep_last(1)).await.unwrap();
    assert_eq!(pruned.revisions, 2, "1 and 3; 2 is pinned");

    let gone = server
        .get(&format!("/issue/{key}?revision_id={id}:1"))
        .send()
        .await
        .unwrap();
    let body = problem(gone, 410, "revision_pruned").await;
    assert_eq!(body["revision_id"], format!("{id}:1"));
    // The info stays readable: only answers holding the data are gone.
    let info = server
        .get(&format!("/issue/{key}/revision-info?revision_id=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(info, 200).await["revision_id"], format!("{id}:1"));
    let parts = server
        .get(&format!(
            "/issue/{key}?revision_id=3&returns=revision_info,meta"
        ))
        .send()
        .await
        .unwrap();
    let parts = json_of(parts, 200).await;
    assert_eq!(parts["revision_info"]["revision_id"], format!("{id}:3"));
    assert!(parts.get("data").is_none(), "{parts}");
    let data = server
        .get(&format!("/issue/{key}/data?revision_id=3"))
        .send()
        .await
        .unwrap();
    problem(data, 410, "revision_pruned").await;
    let diff = server
        .get(&format!("/issue/{key}/diff?from=3&to=4"))
        .send()
        .await
        .unwrap();
    problem(diff, 410, "revision_pruned").await;
    let switch = server
        .request(Method::POST, &format!("/issue/{key}/switch/1"))
        .send()
        .await
        .unwrap();
    problem(switch, 410, "revision_pruned").await;
    let kept = server
        .get(&format!("/issue/{key}/data?revision_id=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(kept, 200).await["title"], "t2");
    let repin = server
        .request(Method::POST, &format!("/issue/{key}/revisions/1/pin"))
        .send()
        .await
        .unwrap();
    problem(repin, 410, "revision_pruned").await;
    let missing = server
        .request(Method::POST, &format!("/issue/{key}/revisions/9/pin"))
        .send()
        .await
        .unwrap();
    problem(missing, 404, "revision_not_found").await;
    let unpinned = server
        .request(Method::DELETE, &format!("/issue/{key}/revisions/2/pin"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(unpinned, 200).await["pinned"], json!([]));
    let listed = server
        .get(&format!("/issue/{key}/pins"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(listed, 200).await["pinned"], json!([]));

    let history = server
        .get(&format!("/issue/{key}/revision-list"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(history, 200).await["total"],
        4,
        "every revision info stays"
    );
    let verify = server
        .get(&format!("/issue/{key}/verify"))
        .send()
        .await
        .unwrap();
    let verdict = json_of(verify, 200).await;
    assert_eq!(
        (&verdict["valid"], &verdict["pruned"]),
        (&json!(true), &json!(2))
    );
    let feed = server
        .get("/_changes?include_data=true")
        .send()
        .await
        .unwrap();
    let events = json_of(feed, 200).await["changes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(events.len(), 4, "the feed keeps every event");
    assert_eq!(
        (&events[0]["data"], &events[0]["pruned"]),
        (&Value::Null, &json!(true))
    );
    assert_eq!(events[1]["data"]["title"], "t2");
    assert!(events[1].get("pruned").is_none());
}

#[tokio::test]
async fn pin_routes_are_documented() {
    let server = Server::start().await;
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pin = &document["paths"]["/issue/{resource_id}/revisions/{revision_id}/pin"];
    assert!(
        pin["post"].is_object() && pin["delete"].is_object(),
        "{pin}"
    );
    assert!(pin["post"]["responses"]["410"].is_object());
    assert!(document["paths"]["/issue/{resource_id}/pins"]["get"].is_object());
    assert!(document["components"]["schemas"]["Pins"].is_object());
}
