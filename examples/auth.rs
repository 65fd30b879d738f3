//! Who may do what: bearer JWTs name the caller, a model's rules say what its roles may do.
//!
//! ```text
//! cargo run --example auth            # signs tokens, sends requests, prints what each got
//! cargo run --example auth -- --serve 127.0.0.1:8000   # serves until Ctrl-C (secret below)
//! ```
//!
//! `note` lets editors read and write every note, and any signed-in caller write notes and read
//! the ones they wrote (a row scope: `created_by` is the caller): another's note does not exist
//! for them. Anonymous callers get 401, others 403 for what their roles lack. Every write
//! records the token's `sub` as its user. The secret here is for the example only: read yours
//! from a file or a vault.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde::{Deserialize, Serialize};
use specstar::http::axum::body::Body;
use specstar::http::axum::http::{Request, StatusCode};
use specstar::http::{HttpConfig, JwtAuth};
use specstar::{Access, Filter, MetaField, Op, Permissions, Rule, Schema, Spec, UserValue};
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

/// Sends `request`; answers the status and the JSON body (`null` when there is none).
async fn send(
    app: &specstar::http::axum::Router,
    request: Request<Body>,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    let body = specstar::http::axum::body::to_bytes(response.into_body(), 1 << 20).await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or_default()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = Permissions::new([
        Rule::new(["editor"], [Access::Read, Access::Create, Access::Update]),
        Rule::new(["authenticated"], [Access::Read, Access::Create]).scoped(Filter::meta(
            MetaField::CreatedBy,
            Op::Eq,
            UserValue::Id,
        )),
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
    let (alice, bob) = (token("alice", &["editor"]), token("bob", &[]));
    let note = r#"{"text": "hello"}"#;
    let check = |what: &str, got: StatusCode, expected: StatusCode| {
        println!("{what}: {got}");
        assert_eq!(got, expected, "{what}");
    };
    let (got, _) = send(&app, request("POST", "/note", None, note)).await?;
    check("anonymous creates", got, StatusCode::UNAUTHORIZED);
    let (got, alices) = send(&app, request("POST", "/note", Some(&alice), note)).await?;
    check("alice creates", got, StatusCode::CREATED);
    let (got, _) = send(&app, request("POST", "/note", Some(&bob), note)).await?;
    check("bob creates his own", got, StatusCode::CREATED);
    let (got, count) = send(&app, request("GET", "/note/count", Some(&bob), "")).await?;
    check("bob counts the notes he may read", got, StatusCode::OK);
    println!("  bob sees {count} note(s), alice's not among them");
    assert_eq!(count, 1);
    let alices = format!(
        "/note/{}",
        alices["resource_id"].as_str().unwrap_or_default()
    );
    let (got, _) = send(&app, request("GET", &alices, Some(&bob), "")).await?;
    check("bob reads alice's note", got, StatusCode::NOT_FOUND);
    let (got, _) = send(&app, request("PUT", &alices, Some(&bob), note)).await?;
    check("bob updates alice's note", got, StatusCode::NOT_FOUND);
    let (got, _) = send(&app, request("GET", "/note", Some("not.a.token"), "")).await?;
    check("a forged token", got, StatusCode::UNAUTHORIZED);
    let notes = spec.resource_manager::<Note>()?;
    let written = notes.search(&specstar::Query::all()).await?;
    let users: Vec<&str> = written.iter().map(|m| &*m.created_by).collect();
    println!("the notes' created_by: {users:?}");
    assert!(users.contains(&"alice") && users.contains(&"bob"));
    Ok(())
}
