//! Data written before a model changed: switch and restore refuse it with 409
//! `revision_does_not_fit_model` and write nothing, while reads and searches keep serving it.

#[allow(
    dead_code,
    reason = "this file starts its own server over a changed model"
)]
mod common;

use std::sync::Arc;

use common::{Server, problem};
use reqwest::{Client, Method};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use specstar_core::{DynResourceManager, ModelDescriptor, Registry, Schema, Store};
use specstar_http::HttpConfig;

/// The model as it was: with an `extra` field.
#[derive(Serialize, Deserialize, JsonSchema)]
struct ThingBefore {
    name: String,
    extra: Option<String>,
}

/// The model as it is now: `extra` is gone.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Thing {
    name: String,
}

/// A server over a store where `thing:old` was written and deleted, and `thing:mixed` had its
/// first revision written, before the model lost `extra`.
async fn server_after_a_model_change() -> Server {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let before = Arc::new(
        Schema::<ThingBefore>::new("v1")
            .name("thing")
            .build()
            .unwrap(),
    );
    store
        .register_model(&ModelDescriptor::from(&*before))
        .await
        .unwrap();
    let old = DynResourceManager::new(before, store.clone());
    old.create_with_id("old", json!({"name": "o", "extra": "x"}))
        .await
        .unwrap();
    old.delete("thing:old", None).await.unwrap();
    old.create_with_id("mixed", json!({"name": "m1", "extra": "x"}))
        .await
        .unwrap();

    let registry = Arc::new(Registry::new());
    let now = registry
        .add(Schema::<Thing>::new("v2").name("thing").build().unwrap())
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&*now))
        .await
        .unwrap();
    DynResourceManager::new(now, store.clone())
        .update("thing:mixed", json!({"name": "m2"}), None)
        .await
        .unwrap();
    let app = specstar_http::router(registry, store, HttpConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    Server {
        base: format!("http://{addr}"),
        client: Client::new(),
    }
}

#[tokio::test]
async fn switch_to_a_revision_that_no_longer_fits_is_409_and_writes_nothing() {
    let s = server_after_a_model_change().await;
    let response = s
        .request(Method::POST, "/thing/thing:mixed/switch/1")
        .send()
        .await
        .unwrap();
    let body = problem(response, 409, "revision_does_not_fit_model").await;
    assert_eq!(body["revision_id"], "thing:mixed:1", "{body}");
    assert_eq!(body["stored_schema_version"], "v1", "{body}");
    assert_eq!(body["current_schema_version"], "v2", "{body}");
    assert_eq!(body["errors"][0]["path"], "$.extra", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("does not fit the current model"),
        "{detail}"
    );
    assert!(detail.contains("migration"), "{detail}");
    assert!(!detail.contains("corrupt"), "{detail}");

    let current: Value = s
        .get("/thing/thing:mixed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["meta"]["total_revision_count"], 2, "{current}");
    assert_eq!(current["data"], json!({"name": "m2"}));
    // Revision 2 fits: switching to it is fine (unchanged data appends nothing).
    let fine = s
        .request(Method::POST, "/thing/thing:mixed/switch/2")
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn restore_of_data_that_no_longer_fits_is_409_and_writes_nothing() {
    let s = server_after_a_model_change().await;
    let response = s
        .request(Method::POST, "/thing/old/restore")
        .send()
        .await
        .unwrap();
    let body = problem(response, 409, "revision_does_not_fit_model").await;
    assert_eq!(body["revision_id"], "thing:old:2", "{body}");
    assert_eq!(body["errors"][0]["path"], "$.extra", "{body}");
    let tombstone: Value = s
        .get("/thing/old?include_deleted=true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tombstone["meta"]["is_deleted"], true, "{tombstone}");
    assert_eq!(tombstone["meta"]["total_revision_count"], 2, "{tombstone}");
}

#[tokio::test]
async fn reads_and_searches_keep_serving_old_revisions() {
    let s = server_after_a_model_change().await;
    let old: Value = s
        .get("/thing/mixed?revision_id=1&returns=only-data")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old, json!({"name": "m1", "extra": "x"}));
    let response = s.get("/thing/full?is_deleted=true").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = s.get("/thing/data").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert!(page.to_string().contains("m2"), "{page}");
}
