//! The edges of search over HTTP, against a real server on 127.0.0.1 over each store (memory,
//! SQLite, and PostgreSQL when `SPECSTAR_TEST_DATABASE_URL` is set): the same answers on all.
//! - a value the model's schema says a field can never hold (`status eq "Draft"` on a
//!   snake_case enum) is a 400 listing the values it takes, not an empty 200;
//! - a `qb` or `conditions` of the most conditions there may be, joined by `&`, `|` or
//!   `QB.all(...)`, answers 200 (SQLite used to answer 500 past 997), and one more a 400;
//! - U+0000 in an indexed string (`"assignee": "a\u0000b"`) is stored, read back and found
//!   (PostgreSQL used to answer 500).

mod common;

use std::sync::Arc;

use reqwest::{Client, Response};
use serde_json::{Value, json};
use specstar_core::{MAX_QUERY_CONDITIONS, ModelDescriptor, Registry, Store};
use specstar_http::HttpConfig;

/// Serves the quickstart's issues from `store`; answers the base URL.
async fn serve(store: Arc<dyn Store>) -> String {
    let registry = Arc::new(Registry::new());
    let model = registry
        .add(
            specstar_conformance::fixtures::issue_schema()
                .build()
                .expect("builds"),
        )
        .expect("registers");
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .expect("the store registers the model");
    let app = specstar_http::router(registry, store, HttpConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

async fn get(client: &Client, url: String, query: &[(&str, String)]) -> Response {
    client.get(url).query(query).send().await.expect("answers")
}

async fn json_of(response: Response, status: u16, what: &str) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(got, status, "{what}: {body}");
    body
}

/// `n` conditions on the assignee joined by `join` (`&`, `|` or `,` inside `QB.all(…)`).
fn many(n: usize, join: &str) -> String {
    let parts: Vec<String> = (0..n)
        .map(|i| format!("QB['assignee'].ne('{i}')"))
        .collect();
    if join == "," {
        format!("QB.all({})", parts.join(","))
    } else {
        parts.join(join)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_edges_answer_the_same_on_every_store() {
    for (name, store, _guard) in common::served_stores().await {
        let base = serve(store).await;
        let client = Client::new();
        let created = client
            .post(format!("{base}/issue"))
            .json(&json!({"title": "t", "assignee": "a\u{0}b"}))
            .send()
            .await
            .expect("answers");
        let info = json_of(created, 201, name).await;
        let id = info["resource_id"].as_str().expect("an id").to_owned();
        let read = json_of(
            get(&client, format!("{base}/issue/{id}/data"), &[]).await,
            200,
            name,
        )
        .await;
        assert_eq!(read["assignee"], json!("a\u{0}b"), "{name}");

        let eq = json!([{"field_path": "assignee", "operator": "eq", "value": "a\u{0}b"}]);
        let found = json_of(
            get(
                &client,
                format!("{base}/issue/meta"),
                &[("conditions", eq.to_string())],
            )
            .await,
            200,
            name,
        )
        .await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{name}: {found}");
        assert_eq!(found[0]["indexed_data"]["assignee"], json!("a\u{0}b"));
        let prefix = "QB['assignee'].starts_with('a\\0')".to_owned();
        let count = get(&client, format!("{base}/issue/count"), &[("qb", prefix)]).await;
        assert_eq!(json_of(count, 200, name).await, json!(1), "{name}");

        let draft = json!([{"field_path": "status", "operator": "eq", "value": "Draft"}]);
        for (param, text) in [
            ("conditions", draft.to_string()),
            ("qb", "QB['status'] == 'Draft'".to_owned()),
        ] {
            let body = json_of(
                get(&client, format!("{base}/issue"), &[(param, text)]).await,
                400,
                name,
            )
            .await;
            assert_eq!(body["code"], "invalid_query", "{name}: {body}");
            let detail = body["detail"].as_str().expect("a detail");
            for value in ["\"open\"", "\"in_progress\"", "\"resolved\""] {
                assert!(detail.contains(value), "{name}: {detail} lists {value}");
            }
        }

        for join in ["&", "|", ","] {
            let at_most = many(MAX_QUERY_CONDITIONS, join);
            let count = get(&client, format!("{base}/issue/count"), &[("qb", at_most)]).await;
            assert_eq!(json_of(count, 200, name).await, json!(1), "{name} {join}");
            let past = many(MAX_QUERY_CONDITIONS + 1, join);
            let body = json_of(
                get(&client, format!("{base}/issue"), &[("qb", past)]).await,
                400,
                name,
            )
            .await;
            let detail = body["detail"].as_str().expect("a detail");
            assert!(
                detail.contains(&format!("at most {MAX_QUERY_CONDITIONS} conditions")),
                "{name} {join}: {detail}"
            );
        }
        let conditions = |n: usize| {
            let all: Vec<Value> = (0..n)
                .map(
                    |i| json!({"field_path": "assignee", "operator": "ne", "value": i.to_string()}),
                )
                .collect();
            Value::Array(all).to_string()
        };
        // (A URL holds at most 64 KiB: `conditions` JSON of the most conditions does not fit
        // in one, so it goes as far as a URL does; the maximum itself is the qb's above.)
        let count = get(
            &client,
            format!("{base}/issue/count"),
            &[("conditions", conditions(600))],
        )
        .await;
        assert_eq!(json_of(count, 200, name).await, json!(1), "{name}");
        let deep = format!(
            "{}QB['assignee'].eq('x'){}",
            "~(".repeat(500),
            ")".repeat(500)
        );
        let body = json_of(
            get(&client, format!("{base}/issue"), &[("qb", deep)]).await,
            400,
            name,
        )
        .await;
        let detail = body["detail"].as_str().expect("a detail");
        assert!(detail.contains("nested too deeply"), "{name}: {detail}");
    }
}
