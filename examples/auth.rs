//! Who may do what: bearer JWTs name the caller, a model's rules say what its roles may do.
//!
//! ```text
//! cargo run --example auth            # signs tokens, sends requests, prints what each got
//! cargo run --example auth -- --serve 127.0.0.1:8000   # serves until Ctrl-C (secret below)
//! ```
//!
//! `note` lets editors read and write and any signed-in caller read; anonymous callers get
//! 401, others 403 for what their roles lack. Every write records the token's `sub` as its
//! user. The secret here is for the example only: read yours from a file or a vault.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde::{Deserialize, Serialize};
use specstar::http::axum::body::Body;
use specstar::http::axum::http::{Request, StatusCode};
use specstar::http::{HttpConfig, JwtAuth};
use specstar::{Access, Permissions, Rule, Schema, Spec};
use tower::ServiceExt;

/// The example's HS256 secret.
const SECRET: &[u8] = b"the example's secret, never a real one";

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct Note {
    text: String,
}

/// A token for `sub` with `roles`, valid for an hour.
fn token(sub: &str, roles: &[&str]) -> String {
    let claims =
        serde_json::json!({"sub": sub, "roles": roles, "exp": get_current_timestamp() + 3600});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .expect("HS256 signs")
}

/// A request to the router, with a bearer token when `token` is given.
fn request(method: &str, path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .body(Body::from(body.to_owned()))
        .expect("a valid request")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = Permissions::new([
        Rule::new(["editor"], [Access::Read, Access::Create, Access::Update]),
        Rule::new(["authenticated"], [Access::Read]),
    ]);
    let spec = Spec::in_memory();
    spec.add_model(Schema::<Note>::new("v1").permissions(rules))
        .await?;
    let app = spec.router_with(HttpConfig::new().with_jwt(JwtAuth::hmac(SECRET)?));
    if let Some(addr) = std::env::args().skip_while(|a| a != "--serve").nth(1) {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!(
            "serving http://{addr}; a token: {}",
            token("alice", &["editor"])
        );
        return Ok(specstar::http::serve(listener, app).await?);
    }
    let alice = token("alice", &["editor"]);
    let bob = token("bob", &[]);
    let note = r#"{"text": "hello"}"#;
    let steps = [
        (
            "anonymous creates",
            request("POST", "/note", None, note),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "bob creates",
            request("POST", "/note", Some(&bob), note),
            StatusCode::FORBIDDEN,
        ),
        (
            "alice creates",
            request("POST", "/note", Some(&alice), note),
            StatusCode::CREATED,
        ),
        (
            "bob searches",
            request("GET", "/note", Some(&bob), ""),
            StatusCode::OK,
        ),
        (
            "a forged token",
            request("GET", "/note", Some("not.a.token"), ""),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (what, request, expected) in steps {
        let response = app.clone().oneshot(request).await?;
        println!("{what}: {}", response.status());
        assert_eq!(response.status(), expected, "{what}");
    }
    let notes = spec.resource_manager::<Note>()?;
    let written = notes.search(&specstar::Query::all()).await?;
    println!("the note's created_by: {}", written[0].created_by);
    assert_eq!(&*written[0].created_by, "alice");
    Ok(())
}
