//! How the router is served: models registered after it was made, nesting under a prefix
//! (`/api/docs`, `/api/openapi.json`), the OpenAPI `info` from the config, the log of a server
//! failure, and the message of a revision id of no accepted form. Real servers on 127.0.0.1.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use reqwest::{Client, Url};
use serde_json::{Value, json};
use specstar_conformance::fixtures::{Team, issue_schema};
use specstar_core::{Error, ModelDescriptor, Registry, Schema, Store};
use specstar_http::{HttpConfig, Problem};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A registry with the `Issue` model, over a memory store.
async fn models() -> (Arc<Registry>, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    register(&registry, &store, issue_schema()).await;
    (registry, store)
}

async fn register<T: specstar_core::Model>(
    registry: &Registry,
    store: &Arc<dyn Store>,
    schema: Schema<T>,
) {
    let model = registry.add(schema.build().unwrap()).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
}

/// Serves `app` on an ephemeral port of 127.0.0.1; answers its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

#[tokio::test]
async fn a_model_registered_after_the_router_is_served() {
    let (registry, store) = models().await;
    let base = serve(specstar_http::router(
        registry.clone(),
        store.clone(),
        HttpConfig::new(),
    ))
    .await;
    let client = Client::new();
    let before = client.get(format!("{base}/team")).send().await.unwrap();
    assert_eq!(before.status(), 404, "no team model yet");

    register(&registry, &store, Schema::<Team>::new("v1")).await;
    let created = client
        .post(format!("{base}/team"))
        .json(&json!({"name": "core"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let info: Value = created.json().await.unwrap();
    let id = info["resource_id"].as_str().unwrap();
    assert!(id.starts_with("team:"), "{info}");
    let read: Value = client
        .get(format!("{base}/team/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["data"]["name"], "core");

    let document: Value = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["paths"]["/team/{resource_id}"].is_object());
    assert!(document["paths"]["/issue/{resource_id}"].is_object());
    assert!(document["components"]["schemas"]["Team"].is_object());
}

#[tokio::test]
async fn nested_under_a_prefix_the_docs_and_document_are_found() {
    let (registry, store) = models().await;
    let config = HttpConfig::new()
        .with_api_info("Issue tracker", "2.1.0")
        .with_api_description("The tracker's issues.");
    let app = Router::new().nest("/api", specstar_http::router(registry, store, config));
    let base = serve(app).await;
    let client = Client::new();

    let document: Value = client
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["info"]["title"], "Issue tracker");
    assert_eq!(document["info"]["version"], "2.1.0");
    assert_eq!(document["info"]["description"], "The tracker's issues.");

    for page in ["/api/docs", "/api/docs/"] {
        let url = Url::parse(&format!("{base}{page}")).unwrap();
        let response = client.get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(html.contains("<title>Issue tracker</title>"), "{html}");
        // Every URL the page uses, resolved as a browser does, is served under the prefix.
        let spec = between(&html, "new URL(\"", "\"");
        let css = between(&html, "<link rel=\"stylesheet\" href=\"", "\"");
        let js = between(&html, "<script src=\"", "\"");
        let spec = url.join(spec).unwrap();
        assert_eq!(spec.path(), "/api/openapi.json", "from {page}");
        for asset in [css, js] {
            let asset = url.join(asset).unwrap();
            assert!(asset.path().starts_with("/api/docs/swagger-ui"), "{asset}");
            let response = client.get(asset.clone()).send().await.unwrap();
            assert_eq!(response.status(), 200, "{asset}");
        }
        let response = client.get(spec).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }

    let created = client
        .post(format!("{base}/api/issue"))
        .json(&json!({"title": "nested"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn merged_beside_routes_of_its_own_both_are_served() {
    let (registry, store) = models().await;
    let app = Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .merge(specstar_http::router(registry, store, HttpConfig::new()));
    let base = serve(app).await;
    let client = Client::new();
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let created = client
        .post(format!("{base}/issue"))
        .json(&json!({"title": "merged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let unknown = client
        .get(format!("{base}/nowhere/at/all"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "route_not_found");
}

/// The text of `html` between the first `start` and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

/// A store failure with a cause of its own, as a driver reports one.
#[derive(Debug)]
struct Append(std::io::Error);

impl std::fmt::Display for Append {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot append the revision")
    }
}

impl std::error::Error for Append {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The events of error level, each as its fields.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Errors {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().push(fields);
        }
    }
}

// A current-thread runtime: the server's tasks run on this thread, under its default subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_server_failure_is_logged_with_its_request_route_and_causes() {
    let errors = Errors::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.clone()));
    let (registry, store) = models().await;
    // The user resolver fails as a store would, for requests that ask it to.
    let config = HttpConfig::new().with_user_resolver(Arc::new(|parts| {
        if parts.headers.contains_key("x-fail") {
            let io = std::io::Error::other("disk on fire");
            return Err(Problem::from(Error::store(Append(io))));
        }
        Ok("anonymous".to_owned())
    }));
    let base = serve(specstar_http::router(registry, store, config)).await;
    let client = Client::new();
    let fine = client
        .get(format!("{base}/issue/count"))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), 200);
    assert!(
        errors.0.lock().unwrap().is_empty(),
        "a success logs no error"
    );

    let failed = client
        .get(format!("{base}/issue/issue:abc"))
        .header("x-fail", "1")
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    assert_eq!(failed.headers()["x-request-id"], "req-42");
    let body: Value = failed.json().await.unwrap();
    assert_eq!(
        body["detail"],
        "the server failed to complete the request; see its logs"
    );
    assert!(!body.to_string().contains("disk on fire"), "{body}");

    let logged = errors.0.lock().unwrap().clone();
    assert_eq!(logged.len(), 1, "{logged:?}");
    let event = &logged[0];
    assert_eq!(event["request_id"], "req-42");
    assert_eq!(event["route"], "/issue/{resource_id}");
    assert_eq!(event["method"], "GET");
    assert_eq!(event["status"], "500");
    assert_eq!(
        event["error"],
        "store error: cannot append the revision: caused by: disk on fire"
    );
}

#[tokio::test]
async fn a_revision_of_no_accepted_form_names_the_forms() {
    let (registry, store) = models().await;
    let base = serve(specstar_http::router(registry, store, HttpConfig::new())).await;
    let client = Client::new();
    let info: Value = client
        .post(format!("{base}/issue"))
        .json(&json!({"title": "a"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = info["resource_id"].as_str().unwrap();
    for bad in ["0", "03", "one"] {
        let response = client
            .post(format!("{base}/issue/{id}/switch/{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "malformed_id");
        assert_eq!(
            body["detail"],
            format!(
                "malformed revision id \"{bad}\": expected a revision number from 1 (`3`) or a \
                 full revision id (`{id}:3`)"
            )
        );
    }
}
