//! Array fields over HTTP against a real server on 127.0.0.1: `qb` and `conditions` find
//! resources by element (`contains`, `eq`, `in_`), and what is not defined on an array (a
//! range, a prefix test, a sort) is a 400 naming the field, never an empty list.

use std::sync::Arc;

use reqwest::{Client, Response};
use serde_json::{Value, json};
use specstar_conformance::fixtures::post_schema;
use specstar_core::{ModelDescriptor, Registry, Store};
use specstar_http::HttpConfig;

/// A server with the posts model (tags, scores, links indexed) over a memory store, and its
/// base URL.
async fn start() -> String {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let model = registry.add(post_schema().build().unwrap()).unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    let app = specstar_http::router(registry, store, HttpConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let client = Client::new();
    for (title, tags, scores) in [
        ("a", json!(["x", "y"]), json!([1, 2])),
        ("b", json!(["y"]), json!(null)),
        ("c", json!([]), json!([])),
        ("d", json!(["xy"]), json!([10])),
    ] {
        let response = client
            .post(format!("{base}/post"))
            .json(&json!({"title": title, "tags": tags, "scores": scores}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    base
}

/// Checks a problem answer's status and code; answers the body.
async fn problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of a {code} problem");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body
}

async fn get(base: &str, query: &[(&str, &str)]) -> Response {
    Client::new()
        .get(format!("{base}/post"))
        .query(query)
        .send()
        .await
        .unwrap()
}

async fn titles(response: Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let mut titles: Vec<String> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["data"]["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn qb_and_conditions_find_by_element() {
    let base = start().await;
    for (expression, expected) in [
        ("QB['tags'].contains('x')", vec!["a"]),
        ("QB['tags'].eq('y')", vec!["a", "b"]),
        ("QB['tags'].in_(['xy', 'y'])", vec!["a", "b", "d"]),
        ("QB['tags'].not_in(['y'])", vec!["c", "d"]),
        ("QB['scores'].contains(10)", vec!["d"]),
        ("QB['scores'].is_null()", vec!["b"]),
        (
            "QB['tags'].contains('y') & ~QB['scores'].contains(1)",
            vec!["b"],
        ),
    ] {
        let found = titles(get(&base, &[("qb", expression)]).await).await;
        assert_eq!(found, expected, "{expression}");
    }
    let conditions = json!([{"field_path": "tags", "operator": "contains", "value": "x"}]);
    let found = titles(get(&base, &[("conditions", &conditions.to_string())]).await).await;
    assert_eq!(found, ["a"]);
    let count = Client::new()
        .get(format!("{base}/post/count"))
        .query(&[("qb", "QB['tags'].eq('y')")])
        .send()
        .await
        .unwrap();
    assert_eq!(count.status(), 200);
    assert_eq!(count.json::<Value>().await.unwrap(), json!(2));
}

#[tokio::test]
async fn what_arrays_do_not_define_is_a_400() {
    let base = start().await;
    for (expression, op) in [
        ("QB['tags'].gt('a')", "gt"),
        ("QB['tags'].starts_with('x')", "starts_with"),
        ("QB['scores'].lte(3)", "lte"),
        ("QB['links'].contains('x')", "contains"),
    ] {
        let body = problem(
            get(&base, &[("qb", expression)]).await,
            400,
            "invalid_query",
        )
        .await;
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("{op} is not defined")) && detail.contains("an array"),
            "{expression}: {body}"
        );
    }
    let sorts = json!([{"type": "data", "field_path": "tags", "direction": "+"}]);
    let body = problem(
        get(&base, &[("sorts", &sorts.to_string())]).await,
        400,
        "invalid_query",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("\"tags\""),
        "{body}"
    );
}
