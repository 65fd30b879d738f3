//! The served OpenAPI document walked against the real router, on 127.0.0.1: every documented
//! operation is served, and every route served is documented, or is one of the fixed routes
//! outside the API (the document itself and its viewer).

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use specstar_conformance::fixtures::{Team, issue_schema};
use specstar_core::{ModelDescriptor, Registry, Schema, Store};

use super::OPERATIONS;
use crate::HttpConfig;

/// The routes served beside the models' that the document leaves out, because they are not
/// operations on resources: the document itself, and the `/docs` page that displays it with
/// its assets (a document listing its own viewer's scripts would only clutter every client
/// generated from it), and the admin UI's pages and files. `docs::routes` and `ui::routes`
/// serve these.
const FIXED: &[&str] = &[
    "/_",
    "/_/",
    "/_/issue/issue:x/diff/1/2",
    "/_/assets/app.mjs",
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/swagger-ui.css",
    "/docs/swagger-ui.css.map",
    "/docs/swagger-ui-bundle.js",
    "/docs/swagger-ui-bundle.js.map",
    "/docs/oauth2-redirect.html",
    "/docs/oauth2-redirect.js",
];

/// The methods probed on every path. HEAD is left out: axum answers it wherever GET is served,
/// as HTTP says a server should, and OpenAPI does not ask for it to be listed.
const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Valid data of each served model, for create and update bodies.
fn data(model: &str) -> Value {
    match model {
        "issue" => json!({ "title": "routes" }),
        "team" => json!({ "name": "routes" }),
        other => panic!("no data for model {other}"),
    }
}

/// The real router with two models over a memory store, served on an ephemeral port; answers
/// its base URL, the registry and the store.
async fn serve() -> (String, Arc<Registry>, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let issue = registry.add(issue_schema().build().unwrap()).unwrap();
    let team = registry
        .add(Schema::<Team>::new("v1").build().unwrap())
        .unwrap();
    for model in [issue, team] {
        store
            .register_model(&ModelDescriptor::from(&*model))
            .await
            .unwrap();
    }
    let app = crate::router(registry.clone(), store.clone(), HttpConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(crate::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    (format!("http://{addr}"), registry, store)
}

/// Every (method, path template) the document lists.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("a path item");
            methods.keys().map(move |m| (m.clone(), path.clone()))
        })
        .collect()
}

/// The paths an axum router routes, read from its `Debug` form (axum has no other way to list
/// them): the quoted strings of its node's `paths` map. An empty answer fails the test rather
/// than passing it, so a change of that form in axum is noticed.
fn routed_paths(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    let start = debug
        .find("paths: {")
        .expect("axum's Debug names the node's paths")
        + 8;
    let mut paths = BTreeSet::new();
    let mut chars = debug[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '}' => break,
            '"' => paths.insert(chars.by_ref().take_while(|&c| c != '"').collect()),
            _ => false,
        };
    }
    paths
}

/// Whether the path template `template` matches `path`: `{name}` matches any one segment.
fn matches(template: &str, path: &str) -> bool {
    let (template, path): (Vec<_>, Vec<_>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// The problem code of an error answer, if it is one.
async fn code(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

/// A new resource of `model`, for one operation to act on alone.
async fn create(client: &Client, base: &str, model: &str) -> String {
    let response = client
        .post(format!("{base}/{model}"))
        .json(&data(model))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let info: Value = response.json().await.unwrap();
    info["resource_id"].as_str().unwrap().to_owned()
}

/// Calls one documented operation on a resource of its own (with a valid body when it takes
/// one) and answers the status and problem code.
async fn call(
    client: &Client,
    base: &str,
    method: &str,
    path: &str,
    operation: &Value,
) -> (u16, String) {
    let model = path.trim_start_matches('/').split('/').next().unwrap();
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    if !path.contains("{resource_id}") && operation.get("requestBody").is_none() {
        // Nothing to create first (a search, a route beside the models).
        let url = format!("{base}{path}");
        return code(client.request(method, url).send().await.unwrap()).await;
    }
    let id = create(client, base, model).await;
    let url = format!(
        "{base}{}",
        path.replace("{resource_id}", &id)
            .replace("{revision_id}", "1")
    );
    let mut request = client.request(method.clone(), url);
    if operation.get("requestBody").is_some() {
        request = if method == Method::PATCH {
            request
                .header("content-type", "application/merge-patch+json")
                .body(data(model).to_string())
        } else {
            request.json(&data(model))
        };
    }
    code(request.send().await.unwrap()).await
}

/// A served router and its document.
struct Api {
    base: String,
    client: Client,
    document: Value,
    /// The document's (method, path template) pairs.
    documented: BTreeSet<(String, String)>,
}

impl Api {
    /// The URL of `path`, its templates filled with an id of no resource and revision 1.
    fn url(&self, path: &str) -> String {
        let path = path
            .replace("{resource_id}", "issue:x")
            .replace("{revision_id}", "1");
        format!("{}{path}", self.base)
    }

    /// The documented path templates.
    fn paths(&self) -> BTreeSet<&String> {
        self.documented.iter().map(|(_, path)| path).collect()
    }

    /// Sends `method` to `path` (filled by [`Api::url`]) without a body.
    async fn probe(&self, method: Method, path: &str) -> (u16, String) {
        let request = self.client.request(method, self.url(path));
        code(request.send().await.unwrap()).await
    }
}

#[tokio::test]
async fn the_document_and_the_router_agree() {
    let (base, registry, store) = serve().await;
    let client = Client::new();
    let document: Value = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = documented(&document);
    let api = Api {
        base,
        client,
        document,
        documented,
    };
    let table = the_table_is_documented(&api);
    the_router_serves_the_table(&registry, &store, &table);
    every_documented_operation_is_served(&api).await;
    other_methods_are_refused(&api).await;
    nothing_beside_is_served(&api).await;
    the_fixed_routes_are_outside(&api).await;
}

/// The routes beside the models' that the document describes (they are served and called
/// like the table's).
const DOCUMENTED_BESIDE: &[(&str, &str)] = &[
    ("get", "/_changes"),
    ("get", "/_stats"),
    ("get", "/_models"),
    ("get", "/healthz"),
    ("get", "/readyz"),
];

/// The document lists the table's operations for every model and the routes beside them, no
/// more; answers the table's (method, path) pairs.
fn the_table_is_documented(api: &Api) -> BTreeSet<(String, String)> {
    let beside = DOCUMENTED_BESIDE
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()));
    let table: BTreeSet<(String, String)> = ["issue", "team"]
        .into_iter()
        .flat_map(|model| {
            OPERATIONS.iter().map(move |op| {
                let method = op.method.openapi_key().to_owned();
                (method, format!("/{model}{}", op.path))
            })
        })
        .collect();
    let listed: BTreeSet<(String, String)> = table.iter().cloned().chain(beside).collect();
    assert_eq!(
        api.documented, listed,
        "the document lists the table's operations and the routes beside"
    );
    table
}

/// The routes built for the models are the table's paths, no more.
fn the_router_serves_the_table(
    registry: &Registry,
    store: &Arc<dyn Store>,
    table: &BTreeSet<(String, String)>,
) {
    let mut routed = BTreeSet::new();
    for model in registry.all() {
        let config = Arc::new(HttpConfig::new());
        routed.extend(routed_paths(&crate::routes::model_routes(
            model,
            store.clone(),
            config,
        )));
    }
    let table_paths: BTreeSet<String> = table.iter().map(|(_, path)| path.clone()).collect();
    assert_eq!(routed, table_paths, "the router serves the table's paths");
}

/// Every documented operation is served, and answers one of its documented statuses.
async fn every_documented_operation_is_served(api: &Api) {
    for (method, path) in &api.documented {
        let operation = &api.document["paths"][path][method];
        let (status, code) = call(&api.client, &api.base, method, path, operation).await;
        assert!(
            !matches!(code.as_str(), "route_not_found" | "method_not_allowed"),
            "{method} {path} is documented but not served: {status} {code}"
        );
        assert!(
            operation["responses"].get(status.to_string()).is_some(),
            "{method} {path} answered {status} {code}, which it does not document"
        );
    }
}

/// On a documented path, every method it does not document is refused.
async fn other_methods_are_refused(api: &Api) {
    for path in api.paths() {
        for method in METHODS {
            let key = method.as_str().to_ascii_lowercase();
            if api.documented.contains(&(key, path.clone())) {
                continue;
            }
            assert_eq!(
                api.probe(method.clone(), path).await,
                (405, "method_not_allowed".to_owned()),
                "{method} {path} is served but not documented"
            );
        }
    }
}

/// Beside the documented paths nothing is served: not their undocumented prefixes, not one
/// more segment after any of them, not the root.
async fn nothing_beside_is_served(api: &Api) {
    let paths = api.paths();
    let mut beside: BTreeSet<String> = BTreeSet::from(["/".to_owned(), "/nothing".to_owned()]);
    for path in &paths {
        beside.insert(format!("{path}/x"));
        let mut prefix = String::new();
        for segment in path.trim_start_matches('/').split('/') {
            prefix = format!("{prefix}/{segment}");
            beside.insert(prefix.clone());
        }
    }
    beside.retain(|probe| !paths.iter().any(|path| matches(path, probe)));
    assert!(
        beside.len() > paths.len(),
        "paths beside every documented one"
    );
    for path in beside {
        for method in METHODS {
            assert_eq!(
                api.probe(method.clone(), &path).await,
                (404, "route_not_found".to_owned()),
                "{method} {path} is served but not documented"
            );
        }
    }
}

/// The fixed routes are served, and are not in the document (see [`FIXED`]).
async fn the_fixed_routes_are_outside(api: &Api) {
    for path in FIXED {
        let response = api.client.get(api.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        assert!(
            api.document["paths"].get(*path).is_none(),
            "{path} is documented"
        );
    }
}
