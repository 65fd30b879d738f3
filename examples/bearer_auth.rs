//! Who writes, from the request: a user resolver that maps bearer tokens to users.
//!
//! ```text
//! cargo run --example bearer_auth            # serves on 127.0.0.1:8000 until Ctrl-C
//! curl -X POST localhost:8000/note -H 'Authorization: Bearer alice-token' \
//!      -H 'Content-Type: application/json' -d '{"text":"hello"}'        # created_by: alice
//! curl -X POST localhost:8000/note -d '{"text":"hi"}'                   # 401 problem
//! ```
//!
//! Every write records the resolved user in the revision's `created_by` and in the history. A
//! real application would check a signed token or a session here; the point is that the user
//! comes from your authentication, not from a header the library trusts.

use std::collections::HashMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::http::{HttpConfig, Problem};
use specstar::{Schema, Spec};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
}

/// A resolver accepting `Authorization: Bearer <token>` for the tokens in `tokens`.
fn bearer_users(tokens: HashMap<&'static str, &'static str>) -> HttpConfig {
    HttpConfig::new().with_user_resolver(Arc::new(move |parts| {
        let unauthorized = |detail: &str| {
            Problem::new(
                specstar::http::axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                detail,
            )
        };
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("send `Authorization: Bearer <token>`"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthorized("the authorization scheme must be Bearer"))?;
        tokens
            .get(token)
            .map(|user| (*user).to_owned())
            .ok_or_else(|| unauthorized("unknown token"))
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = Spec::in_memory();
    spec.add_model(Schema::<Note>::new("v1")).await?;
    let tokens = HashMap::from([("alice-token", "alice"), ("bob-token", "bob")]);
    let app = spec.router_with(bearer_users(tokens));
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving http://{addr}: tokens alice-token and bob-token; Ctrl-C stops");
    specstar::http::serve(listener, app).await?;
    Ok(())
}
