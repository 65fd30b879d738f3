//! Per-model permissions over HTTP: each route needs its access, a rule gives it to roles;
//! denied is 401 for an anonymous caller (with the bearer challenge) and 403 for an
//! authenticated one; the feed and the stats show only the models the caller may read.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::sync::Arc;

use common::{Server, problem, read_events};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use specstar_core::{Access, ModelDescriptor, Permissions, Registry, Rule, Schema, Store};
use specstar_http::{HttpConfig, JwtAuth};

const SECRET: &[u8] = b"permissions test secret";

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Memo {
    text: String,
}

/// `issue` with rules (admin: all; editor: read, create, update, patch; authenticated: read)
/// and `memo` without any.
async fn server() -> Server {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let rules = Permissions::new([
        Rule::all(["admin"]),
        Rule::new(
            ["editor"],
            [Access::Read, Access::Create, Access::Update, Access::Patch],
        ),
        Rule::new(["authenticated"], [Access::Read]),
    ]);
    let issue = specstar_conformance::fixtures::issue_schema().permissions(rules);
    for model in [
        issue.build().unwrap(),
        Schema::<Memo>::new("v1").build().unwrap(),
    ] {
        let model = registry.add(model).unwrap();
        store
            .register_model(&ModelDescriptor::from(&*model))
            .await
            .unwrap();
    }
    let auth = JwtAuth::hmac(SECRET).unwrap();
    Server::serve(registry, store, HttpConfig::new().with_jwt(auth)).await
}

fn token(sub: &str, roles: &[&str]) -> String {
    let claims = json!({"sub": sub, "roles": roles, "exp": get_current_timestamp() + 600});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

fn as_user(request: RequestBuilder, who: Option<&str>) -> RequestBuilder {
    match who {
        None => request,
        Some("admin") => request.bearer_auth(token("ada", &["admin"])),
        Some("editor") => request.bearer_auth(token("eve", &["editor"])),
        Some(_) => request.bearer_auth(token("rita", &[])),
    }
}

async fn status(
    server: &Server,
    who: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    let mut request = as_user(server.request(method, path), who);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Who asks, the method, the path, the body and the status expected.
type Case<'a> = (Option<&'a str>, Method, String, Option<Value>, u16);

#[tokio::test]
async fn each_route_needs_its_access() {
    let server = server().await;
    let created: Value = as_user(server.request(Method::POST, "/issue"), Some("editor"))
        .json(&json!({"title": "t"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["created_by"], "eve");
    let id = created["resource_id"].as_str().unwrap().to_owned();
    let one = format!("/issue/{id}");
    let body = Some(json!({"title": "u"}));
    let cases: Vec<Case> = vec![
        (None, Method::GET, "/issue".into(), None, 401),
        (None, Method::GET, one.clone(), None, 401),
        (None, Method::POST, "/issue".into(), body.clone(), 401),
        (Some("reader"), Method::GET, "/issue".into(), None, 200),
        (
            Some("reader"),
            Method::GET,
            format!("{one}/revision-list"),
            None,
            200,
        ),
        (
            Some("reader"),
            Method::GET,
            "/issue/count".into(),
            None,
            200,
        ),
        (
            Some("reader"),
            Method::POST,
            "/issue".into(),
            body.clone(),
            403,
        ),
        (Some("reader"), Method::PUT, one.clone(), body.clone(), 403),
        (
            Some("reader"),
            Method::POST,
            format!("{one}/revisions/1/pin"),
            None,
            403,
        ),
        (Some("editor"), Method::PUT, one.clone(), body.clone(), 200),
        (Some("editor"), Method::DELETE, one.clone(), None, 403),
        (
            Some("editor"),
            Method::DELETE,
            format!("{one}/permanently"),
            None,
            403,
        ),
        (Some("admin"), Method::DELETE, one.clone(), None, 200),
        (
            Some("admin"),
            Method::POST,
            format!("{one}/restore"),
            None,
            200,
        ),
        (
            Some("admin"),
            Method::POST,
            format!("{one}/switch/1"),
            None,
            200,
        ),
        (
            Some("editor"),
            Method::POST,
            format!("{one}/switch/1"),
            None,
            403,
        ),
        (None, Method::GET, "/memo".into(), None, 200),
        (
            None,
            Method::POST,
            "/memo".into(),
            Some(json!({"text": "m"})),
            201,
        ),
    ];
    for (who, method, path, body, expected) in cases {
        let got = status(&server, who, method.clone(), &path, body).await;
        assert_eq!(got, expected, "{who:?} {method} {path}");
    }
    // A PUT that may only create is a create.
    let create_by_put = |who| {
        as_user(server.request(Method::PUT, "/issue/issue:by-put"), who)
            .header("if-none-match", "*")
            .json(&json!({"title": "p"}))
            .send()
    };
    assert_eq!(create_by_put(Some("reader")).await.unwrap().status(), 403);
    assert_eq!(create_by_put(Some("editor")).await.unwrap().status(), 201);
    let denied = as_user(server.request(Method::POST, "/issue"), None)
        .json(&json!({"title": "t"}))
        .send()
        .await
        .unwrap();
    let challenge = denied.headers().get("www-authenticate").cloned();
    assert_eq!(challenge.unwrap(), "Bearer");
    problem(denied, 401, "unauthenticated").await;
    let forbidden = as_user(server.request(Method::DELETE, &one), Some("editor"))
        .send()
        .await
        .unwrap();
    problem(forbidden, 403, "forbidden").await;
}

#[tokio::test]
async fn the_feed_and_stats_show_only_readable_models() {
    let server = server().await;
    as_user(server.request(Method::POST, "/issue"), Some("editor"))
        .json(&json!({"title": "t"}))
        .send()
        .await
        .unwrap();
    server
        .request(Method::POST, "/memo")
        .json(&json!({"text": "m"}))
        .send()
        .await
        .unwrap();
    let feed = |who, query: &str| as_user(server.get(&format!("/_changes{query}")), who).send();
    let anonymous: Value = feed(None, "").await.unwrap().json().await.unwrap();
    let models: Vec<&str> = anonymous["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["memo"], "{anonymous}");
    assert_eq!(feed(None, "?model=issue").await.unwrap().status(), 401);
    let reader: Value = feed(Some("reader"), "")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reader["changes"].as_array().unwrap().len(), 2, "{reader}");
    let stats: Value = server
        .get("/_stats")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = stats["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["memo"], "{stats}");
}

#[tokio::test]
async fn the_document_says_who_is_denied() {
    let server = server().await;
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let create = &document["paths"]["/issue"]["post"]["responses"];
    assert_eq!(create["403"]["$ref"], "#/components/responses/E403");
    assert_eq!(create["401"]["$ref"], "#/components/responses/E401");
    assert!(document["components"]["responses"]["E403"].is_object());
    let open = &document["paths"]["/memo"]["post"]["responses"];
    assert!(open.get("403").is_none(), "memo has no rules: {open}");
}

#[tokio::test]
async fn a_stream_opened_before_a_closed_model_was_registered_never_shows_it() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let memo = registry
        .add(Schema::<Memo>::new("v1").build().unwrap())
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&*memo))
        .await
        .unwrap();
    let auth = JwtAuth::hmac(SECRET).unwrap();
    let server = Server::serve(
        registry.clone(),
        store.clone(),
        HttpConfig::new().with_jwt(auth),
    )
    .await;
    let response = server
        .get("/_changes")
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reader = tokio::spawn(read_events(response, 1));
    // A model with rules registered while the stream is open, and written to.
    let closed = specstar_conformance::fixtures::issue_schema()
        .permissions(Permissions::new([Rule::all(["admin"])]));
    let issue = registry.add(closed.build().unwrap()).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*issue))
        .await
        .unwrap();
    let issues = specstar_core::DynResourceManager::new(issue, store.clone());
    issues.create(json!({"title": "secret"})).await.unwrap();
    let memos = specstar_core::DynResourceManager::new(memo, store);
    memos.create(json!({"text": "open"})).await.unwrap();
    let seen = reader.await.unwrap();
    assert_eq!(
        seen[0].1["model"], "memo",
        "the issue's event was held back: {seen:?}"
    );
}
