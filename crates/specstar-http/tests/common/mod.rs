//! A real server on 127.0.0.1 with the quickstart's `Issue` model (status, severity and
//! assignee indexed), and a client for it.

use std::sync::Arc;

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use specstar_core::{ModelDef, ModelDescriptor, Registry, Store};
use specstar_http::{HttpConfig, Problem};

/// A running server and a client pointed at it.
pub(crate) struct Server {
    pub base: String,
    pub client: Client,
}

/// The acting user is the `x-user` header; `x-user: nobody` is refused with 401.
fn user_from_header() -> HttpConfig {
    HttpConfig::new().with_user_resolver(Arc::new(|parts| {
        match parts.headers.get("x-user").map(|v| v.to_str()) {
            None => Ok("anonymous".to_owned()),
            Some(Ok("nobody")) => Err(Problem::new(
                http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                "who are you?",
            )),
            Some(Ok(user)) => Ok(user.to_owned()),
            Some(Err(_)) => Err(Problem::invalid_query("x-user is not text")),
        }
    }))
}

impl Server {
    /// Starts a server on an ephemeral port with the `Issue` model in a memory store.
    pub(crate) async fn start() -> Self {
        Self::start_with(user_from_header()).await
    }

    /// Starts a server with `config`.
    pub(crate) async fn start_with(config: HttpConfig) -> Self {
        let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
        let (registry, _) = issues_in(&store).await;
        Self::serve(registry, store, config).await
    }

    /// Serves the models of `registry` in `store` on an ephemeral port.
    pub(crate) async fn serve(
        registry: Arc<Registry>,
        store: Arc<dyn Store>,
        config: HttpConfig,
    ) -> Self {
        let app = specstar_http::router(registry, store, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(specstar_http::serve_with_shutdown(
            listener,
            app,
            std::future::pending(),
        ));
        Self {
            base: format!("http://{addr}"),
            client: Client::new(),
        }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub(crate) fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// Creates an issue and answers its revision info.
    pub(crate) async fn create(&self, body: Value) -> Value {
        let response = self
            .request(Method::POST, "/issue")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

/// A registry of the `Issue` model, registered with `store`; and the model.
pub(crate) async fn issues_in(store: &Arc<dyn Store>) -> (Arc<Registry>, Arc<ModelDef>) {
    let registry = Arc::new(Registry::new());
    let model = registry
        .add(
            specstar_conformance::fixtures::issue_schema()
                .build()
                .unwrap(),
        )
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    (registry, model)
}

/// The response's ETag header.
#[allow(dead_code, reason = "not every test file reads ETags")]
pub(crate) fn etag(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Checks a problem answer: status, content type, shape and code; answers the body.
pub(crate) async fn problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of a {code} problem");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], format!("urn:specstar:problem:{code}"));
    assert!(body["title"].is_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// Reads server-sent events from a response until `count` `change` events came.
#[allow(dead_code, reason = "only the tests of event streams read them")]
pub(crate) async fn read_events(response: reqwest::Response, count: usize) -> Vec<(u64, Value)> {
    use futures_util::StreamExt as _;
    let mut stream = response.bytes_stream();
    let (mut text, mut found) = (String::new(), Vec::new());
    while found.len() < count {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(str::trim).map(str::to_owned))
            };
            if field("event:").as_deref() == Some("change") {
                let id = field("id:").unwrap().parse().unwrap();
                let data = serde_json::from_str(&field("data:").unwrap()).unwrap();
                found.push((id, data));
            }
        }
    }
    found
}
