//! The admin UI's routes (its pages at every path under `/_/`, its files, its `<base>` wherever
//! the router is mounted, the opt-out) and what it reads beside the models' routes:
//! `GET /_models` (narrowed by permissions) and a search's `include_deleted`. The UI itself is
//! driven in Chromium by `e2e/admin-ui/run.mjs`.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::sync::Arc;

use common::{Server, issues_in, problem};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use specstar_core::{Access, ModelDescriptor, Permissions, Registry, Rule, Schema, Store};
use specstar_http::HttpConfig;

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Secret {
    text: String,
}

#[tokio::test]
async fn every_path_under_the_root_is_the_app_with_its_base() {
    let server = Server::start().await;
    for path in [
        "/_/",
        "/_/issue",
        "/_/issue/issue:x",
        "/_/issue/issue:x/diff/1/3",
    ] {
        let response = server.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"<base href="/_/" />"#), "{html}");
        assert!(html.contains(r#"<script type="module" src="assets/app.mjs">"#));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing from another host"
        );
    }
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let bare = client
        .get(format!("{}/_", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "_/");
}

#[tokio::test]
async fn its_files_come_from_the_binary_with_their_types() {
    let server = Server::start().await;
    for (path, kind) in [
        ("/_/assets/app.mjs", "text/javascript"),
        ("/_/assets/pages/resource.mjs", "text/javascript"),
        ("/_/assets/vendor/preact-htm.mjs", "text/javascript"),
        ("/_/assets/style.css", "text/css"),
    ] {
        let response = server.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(!response.text().await.unwrap().is_empty());
    }
    let missing = server.get("/_/assets/nope.mjs").send().await.unwrap();
    problem(missing, 404, "not_found").await;
}

#[tokio::test]
async fn nested_under_a_prefix_its_base_is_the_prefixed_root() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let (registry, _) = issues_in(&store).await;
    let app = axum::Router::new().nest(
        "/api",
        specstar_http::router(registry, store, HttpConfig::new()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    let html = reqwest::get(format!("{base}/api/_/issue"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<base href="/api/_/" />"#), "{html}");
    let asset = reqwest::get(format!("{base}/api/_/assets/app.mjs"))
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
}

#[tokio::test]
async fn the_config_can_leave_it_out() {
    let server = Server::start_with(HttpConfig::new().without_admin_ui()).await;
    for path in ["/_/", "/_/issue", "/_/assets/app.mjs"] {
        let response = server.get(path).send().await.unwrap();
        problem(response, 404, "route_not_found").await;
    }
}

#[tokio::test]
async fn models_lists_what_the_caller_may_read_and_do() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let (registry, _) = issues_in(&store).await;
    let secret = Schema::<Secret>::new("v1")
        .permissions(Permissions::new([Rule::new(
            ["authenticated"],
            [Access::Read],
        )]))
        .build()
        .unwrap();
    let secret = registry.add(secret).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*secret))
        .await
        .unwrap();
    let registry: Arc<Registry> = registry;
    let server = Server::serve(registry, store, HttpConfig::new()).await;
    let body: Value = server
        .get("/_models")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let models = body["models"].as_array().unwrap();
    assert_eq!(
        models.len(),
        1,
        "an anonymous caller does not see `secret`: {body}"
    );
    let issue = &models[0];
    assert_eq!(issue["name"], "issue");
    assert_eq!(issue["schema_version"], "v1");
    assert_eq!(
        issue["indexed_fields"][0],
        json!({"path": "status", "array": false, "time": false})
    );
    assert_eq!(issue["json_schema"]["type"], "object");
    assert_eq!(
        issue["actions"].as_array().unwrap().len(),
        Access::ALL.len()
    );
}

#[tokio::test]
async fn a_search_may_include_deleted_resources() {
    let server = Server::start().await;
    let kept = server.create(json!({"title": "kept"})).await;
    let gone = server.create(json!({"title": "gone"})).await;
    let gone_id = gone["resource_id"].as_str().unwrap();
    let deleted = server
        .request(reqwest::Method::DELETE, &format!("/issue/{gone_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let ids = |body: Value| -> Vec<String> {
        let mut ids: Vec<String> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["resource_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let get = |query: &'static str| {
        let request = server.get(&format!("/issue/meta?{query}"));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(ids(get("").await), [kept["resource_id"].as_str().unwrap()]);
    let mut both = vec![kept["resource_id"].as_str().unwrap(), gone_id];
    both.sort_unstable();
    assert_eq!(ids(get("include_deleted=true").await), both);
    assert_eq!(ids(get("include_deleted=true&qb=QB.all()").await), both);
    assert_eq!(ids(get("is_deleted=true").await), [gone_id]);
}
