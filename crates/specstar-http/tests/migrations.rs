//! A model whose schema version changed, served: old revisions answer upcast (the revision info
//! keeps the version written), searches on the new fields find old resources, the feed's data
//! comes upcast, `POST /{model}/{id}/migrate` persists it once, and the route is documented.

#[allow(
    dead_code,
    reason = "the shared helpers serve the Issue tests; this one brings its own model"
)]
mod common;

use std::sync::Arc;

use common::{Server, problem};
use reqwest::Method;
use serde_json::{Value, json};
use specstar_core::{DynResourceManager, JsonSchemaModel, ModelDescriptor, Registry, Store};
use specstar_http::HttpConfig;
use specstar_memory::MemoryStore;

fn schema(fields: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| ((*f).to_owned(), json!({})))
        .collect();
    json!({"type": "object", "properties": properties})
}

/// Writes v1 notes (`assignee`), then serves the model at v2 (`owner`, `priority`).
async fn serve_v2() -> Server {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let v1 = JsonSchemaModel::new("note", "v1", schema(&["text", "assignee"]))
        .index("assignee")
        .build()
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&v1))
        .await
        .unwrap();
    let old = DynResourceManager::new(Arc::new(v1), store.clone());
    old.create_with_id("note:a", json!({"text": "a", "assignee": "ann"}))
        .await
        .unwrap();
    old.update("note:a", json!({"text": "a2", "assignee": "ann"}), None)
        .await
        .unwrap();
    old.create_with_id("note:gone", json!({"text": "g"}))
        .await
        .unwrap();
    old.delete("note:gone", None).await.unwrap();

    let v2 = JsonSchemaModel::new("note", "v2", schema(&["text", "owner", "priority"]))
        .index("owner")
        .migrate_json("v1", "v2", |mut data: Value| {
            let owner = data["assignee"].take();
            let object = data.as_object_mut().ok_or("not an object")?;
            object.remove("assignee");
            object.insert("owner".into(), owner);
            object.insert("priority".into(), json!(3));
            Ok::<_, &str>(data)
        })
        .build()
        .unwrap();
    let registry = Arc::new(Registry::new());
    let v2 = registry.add(v2).unwrap();
    DynResourceManager::new(v2.clone(), store.clone())
        .check_migratable()
        .await
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&*v2))
        .await
        .unwrap();
    Server::serve(registry, store, HttpConfig::new()).await
}

async fn json_of(server: &Server, path: &str) -> Value {
    let response = server.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn old_revisions_answer_upcast_and_migrate_persists_them() {
    let server = serve_v2().await;
    let upcast = json!({"text": "a2", "owner": "ann", "priority": 3});
    assert_eq!(json_of(&server, "/note/a/data").await, upcast);
    let first = json_of(&server, "/note/a/full?revision_id=note:a:1").await;
    assert_eq!(first["data"]["owner"], "ann", "{first}");
    assert_eq!(first["revision_info"]["schema_version"], "v1", "{first}");
    let found = json_of(&server, "/note/data?qb=QB['owner'].eq('ann')").await;
    assert_eq!(found, json!([upcast]), "the new index finds the old head");
    let feed = json_of(&server, "/_changes?since=0&include_data=true").await;
    assert_eq!(feed["changes"][1]["data"], upcast, "{feed}");

    let migrate = |id: &str| {
        server
            .request(Method::POST, &format!("/note/{id}/migrate"))
            .send()
    };
    let migrated = migrate("a").await.unwrap();
    assert_eq!(migrated.status(), 200);
    let meta: Value = migrated.json().await.unwrap();
    assert_eq!(
        (&meta["schema_version"], &meta["total_revision_count"]),
        (&json!("v2"), &json!(3))
    );
    let again: Value = migrate("a").await.unwrap().json().await.unwrap();
    assert_eq!(again["total_revision_count"], 3, "nothing more to do");
    let newest = json_of(&server, "/note/a/full?revision_id=note:a:3").await;
    assert_eq!(newest["revision_info"]["action"], "migrate", "{newest}");
    assert_eq!(newest["data"], upcast, "persisted as the lazy read gave it");
    problem(migrate("gone").await.unwrap(), 410, "resource_deleted").await;
    problem(migrate("nothing").await.unwrap(), 404, "resource_not_found").await;

    let openapi = json_of(&server, "/openapi.json").await;
    let route = &openapi["paths"]["/note/{resource_id}/migrate"]["post"];
    assert!(route.is_object(), "the route is documented");
}
