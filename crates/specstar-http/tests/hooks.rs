//! Hooks over HTTP: a model's refusal answers with its own status and code and writes nothing;
//! the config's global hooks see the API's writes with the request's user.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::sync::{Arc, Mutex};

use common::{Server, problem};
use reqwest::Method;
use serde_json::json;
use specstar_core::{Change, Hooks, ModelDescriptor, Refusal, Registry, Store};
use specstar_http::HttpConfig;

#[tokio::test]
async fn refusals_answer_their_own_status_and_global_hooks_see_the_user() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let refuse_drafts = Hooks::new().before_write(|request, _| match &request.change {
        Change::Create(data) | Change::Put { data, .. }
            if String::from_utf8_lossy(&data.bytes).contains("draft") =>
        {
            Err(Refusal::new("no_drafts", "drafts are not stored here").with_status(409))
        }
        _ => Ok(()),
    });
    let schema = specstar_conformance::fixtures::issue_schema().hooks(refuse_drafts);
    let model = registry.add(schema.build().unwrap()).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let global = Hooks::new().after_commit(move |written| {
        log.lock().unwrap().push(format!(
            "{} by {}",
            written.info.action, written.info.created_by
        ));
    });
    let config = HttpConfig::new()
        .with_user_resolver(Arc::new(|_| Ok("carol".to_owned())))
        .with_hooks(global);
    let server = Server::serve(registry, store, config).await;
    let refused = server
        .request(Method::POST, "/issue")
        .json(&json!({"title": "a draft"}))
        .send()
        .await
        .unwrap();
    let body = problem(refused, 409, "no_drafts").await;
    assert_eq!(body["detail"], "drafts are not stored here");
    let created = server.create(json!({"title": "final"})).await;
    assert_eq!(created["created_by"], "carol");
    let count: serde_json::Value = server
        .get("/issue/count")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count, json!(1), "the refused create wrote nothing");
    assert_eq!(seen.lock().unwrap().clone(), ["create by carol"]);
}
