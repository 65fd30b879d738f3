//! `models/ticket.yaml`'s rules, served by `specstar serve` with bearer tokens, on SQLite and
//! on PostgreSQL: users (anonymous, an owner, a non-owner, an editor, an admin) against every
//! kind of route, each status asserted, and no listing, count, history, diff, as-of read,
//! verification, feed or statistic showing a ticket out of the caller's scope.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

mod common;

use common::{LoggedServer, drop_schema, example_models, postgres_url};

const SECRET: &str = "the permission matrix's secret";

/// The callers: `None` is anonymous; ann and bob are signed in with no role of their own.
const ANON: Option<(&str, &[&str])> = None;
const ANN: Option<(&str, &[&str])> = Some(("ann", &[]));
const BOB: Option<(&str, &[&str])> = Some(("bob", &[]));
const EVE: Option<(&str, &[&str])> = Some(("eve", &["editor"]));
const ADA: Option<(&str, &[&str])> = Some(("ada", &["admin"]));

type Who = Option<(&'static str, &'static [&'static str])>;

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        who: Who,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some((sub, roles)) = who {
            let claims = json!({"sub": sub, "roles": roles, "exp": get_current_timestamp() + 600});
            let key = EncodingKey::from_secret(SECRET.as_bytes());
            request =
                request.bearer_auth(encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn status(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> u16 {
        self.call(who, method, path, body).await.0
    }

    async fn get(&self, who: Who, path: &str) -> (u16, Value) {
        self.call(who, Method::GET, path, None).await
    }

    /// The resource ids a page lists (of envelopes or metas).
    async fn listed(&self, who: Who, path: &str) -> Vec<String> {
        let (status, body) = self.get(who, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let mut ids: Vec<String> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let id = item["resource_id"]
                    .as_str()
                    .or(item["meta"]["resource_id"].as_str());
                id.unwrap().to_owned()
            })
            .collect();
        ids.sort();
        ids
    }
}

fn ticket(title: &str, owner: &str) -> Option<Value> {
    Some(json!({"title": title, "owner": owner}))
}

fn serve(dir: &TempDir, store: &[&str]) -> LoggedServer {
    std::fs::write(dir.path().join("jwt.secret"), SECRET).unwrap();
    let models = example_models();
    let mut args = vec![
        "--models",
        models.to_str().unwrap(),
        "--auth-jwt-secret-file",
        "jwt.secret",
    ];
    args.extend_from_slice(store);
    LoggedServer::start(dir.path(), &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_rules_on_sqlite() {
    let dir = TempDir::new().unwrap();
    let server = serve(&dir, &["--data-dir", "data"]);
    matrix(server.base.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_rules_on_postgresql() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("specstar_cli_permissions_{}", std::process::id());
    let dir = TempDir::new().unwrap();
    let server = serve(
        &dir,
        &["--database-url", &url, "--database-schema", &schema],
    );
    // The schema is dropped whether the matrix holds or not.
    let outcome = tokio::spawn(matrix(server.base.clone())).await;
    drop(server);
    drop_schema(&url, &schema).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn matrix(base: String) {
    let api = Api {
        base,
        client: reqwest::Client::new(),
    };
    let (status, ann_info) = api
        .call(ANN, Method::POST, "/ticket", ticket("ann's", "ann"))
        .await;
    assert_eq!(status, 201, "{ann_info}");
    let ann = ann_info["resource_id"].as_str().unwrap().to_owned();
    let (status, bob_info) = api
        .call(ADA, Method::POST, "/ticket", ticket("bob's", "bob"))
        .await;
    assert_eq!(status, 201, "{bob_info}");
    let bob = bob_info["resource_id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.status(
            ANN,
            Method::PATCH,
            &format!("/ticket/{ann}"),
            Some(json!([{"op": "replace", "path": "/title", "value": "ann's, again"}]))
        )
        .await,
        200
    );

    creates(&api).await;
    reads_of_one(&api, &ann).await;
    searches(&api, &ann, &bob).await;
    writes(&api, &ann, &bob).await;
    feed_and_stats(&api, &ann, &bob).await;
}

/// Creating: anonymous 401; a signed-in caller only tickets of their own; staff any.
async fn creates(api: &Api) {
    assert_eq!(
        api.status(ANON, Method::POST, "/ticket", ticket("t", "ann"))
            .await,
        401
    );
    let (status, problem) = api
        .call(ANN, Method::POST, "/ticket", ticket("t", "bob"))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("forbidden")),
        "{problem}"
    );
    assert_eq!(
        api.status(EVE, Method::POST, "/ticket", ticket("eve's", "eve"))
            .await,
        201
    );
}

/// Every read of one resource: the owner and staff read it; anyone else signed in is told
/// it does not exist, exactly as for an id that is not there; anonymous is 401.
async fn reads_of_one(api: &Api, ann: &str) {
    let now = "2999-01-01T00:00:00Z";
    let routes = [
        format!("/ticket/{ann}"),
        format!("/ticket/{ann}/data"),
        format!("/ticket/{ann}/meta"),
        format!("/ticket/{ann}/full"),
        format!("/ticket/{ann}/revision-info"),
        format!("/ticket/{ann}?revision_id=1"),
        format!("/ticket/{ann}?as_of={now}"),
        format!("/ticket/{ann}/revision-list"),
        format!("/ticket/{ann}/diff?from=1&to=2"),
        format!("/ticket/{ann}/verify"),
        format!("/ticket/{ann}/pins"),
    ];
    for route in &routes {
        for (who, expected) in [(ANON, 401), (ANN, 200), (BOB, 404), (EVE, 200), (ADA, 200)] {
            let (status, body) = api.get(who, route).await;
            assert_eq!(status, expected, "{who:?} GET {route}: {body}");
            if expected == 404 {
                let (_, missing) = api
                    .get(ADA, &route.replace(ann, "ticket:no-such-ticket"))
                    .await;
                assert_eq!(
                    body["code"], missing["code"],
                    "{route}: {body} against {missing}"
                );
                assert_eq!(body["title"], missing["title"], "{route}");
            }
        }
    }
}

/// Lists and counts are the caller's query and its scope.
async fn searches(api: &Api, ann: &str, bob: &str) {
    for route in ["/ticket", "/ticket/meta", "/ticket/full"] {
        assert_eq!(
            api.listed(ANN, route).await,
            vec![ann.to_owned()],
            "{route}"
        );
        assert_eq!(
            api.listed(BOB, route).await,
            vec![bob.to_owned()],
            "{route}"
        );
        assert_eq!(api.listed(ADA, route).await.len(), 3, "{route}");
        assert_eq!(api.get(ANON, route).await.0, 401, "{route}");
    }
    let asks_for_bobs = "/ticket?qb=QB['owner'].eq('bob')";
    assert!(api.listed(ANN, asks_for_bobs).await.is_empty());
    assert_eq!(api.listed(EVE, asks_for_bobs).await, vec![bob.to_owned()]);
    for (who, count) in [(ANN, 1), (BOB, 1), (EVE, 3), (ADA, 3)] {
        assert_eq!(
            api.get(who, "/ticket/count").await,
            (200, json!(count)),
            "{who:?}"
        );
    }
    let (_, counted) = api
        .call(ANN, Method::GET, "/ticket?with_total=true", None)
        .await;
    assert_eq!(counted.as_array().unwrap().len(), 1);
}

/// Writes: in scope before and after; out of scope is 404 (not readable) or 403.
async fn writes(api: &Api, ann: &str, bob: &str) {
    let path = |id: &str, rest: &str| format!("/ticket/{id}{rest}");
    let give_away = Some(json!({"title": "ann's", "owner": "bob"}));
    let (status, problem) = api
        .call(ANN, Method::PUT, &path(ann, ""), give_away.clone())
        .await;
    assert_eq!(status, 403, "moving a ticket out of one's scope: {problem}");
    assert_eq!(
        api.status(
            ANN,
            Method::PATCH,
            &path(ann, ""),
            Some(json!([{"op": "replace", "path": "/owner", "value": "bob"}]))
        )
        .await,
        403
    );
    assert_eq!(
        api.status(ANN, Method::PUT, &path(bob, ""), ticket("mine now", "ann"))
            .await,
        404
    );
    assert_eq!(
        api.status(ANN, Method::DELETE, &path(bob, ""), None).await,
        404
    );
    assert_eq!(
        api.status(ANN, Method::POST, &path(bob, "/switch/1"), None)
            .await,
        404
    );
    assert_eq!(
        api.status(EVE, Method::PUT, &path(ann, ""), give_away)
            .await,
        200,
        "staff may hand it over"
    );
    assert_eq!(
        api.status(ADA, Method::PUT, &path(ann, ""), ticket("ann's", "ann"))
            .await,
        200
    );
    // Ann's own: she may delete it, but her rule gives no restore, revert or purge.
    assert_eq!(
        api.status(ANN, Method::DELETE, &path(ann, ""), None).await,
        200
    );
    for (method, rest) in [
        (Method::POST, "/restore"),
        (Method::POST, "/switch/1"),
        (Method::DELETE, "/permanently"),
    ] {
        let (status, problem) = api.call(ANN, method.clone(), &path(ann, rest), None).await;
        assert_eq!(status, 403, "{method} {rest}: {problem}");
        assert_eq!(
            api.status(BOB, method.clone(), &path(ann, rest), None)
                .await,
            404,
            "{method} {rest}"
        );
        assert_eq!(
            api.status(ANON, method, &path(ann, rest), None).await,
            401,
            "{rest}"
        );
    }
    assert_eq!(
        api.status(EVE, Method::POST, &path(ann, "/restore"), None)
            .await,
        403
    );
    assert_eq!(
        api.status(ADA, Method::POST, &path(ann, "/restore"), None)
            .await,
        200
    );
}

/// The feed shows each caller the events of what it may read; its cursor passes the rest.
async fn feed_and_stats(api: &Api, ann: &str, bob: &str) {
    let (status, page) = api.get(ANN, "/_changes?model=ticket&limit=1000").await;
    assert_eq!(status, 200, "{page}");
    let ids = |page: &Value| -> Vec<String> {
        let mut ids: Vec<String> = page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource_id"].as_str().unwrap().to_owned())
            .collect();
        ids.dedup();
        ids
    };
    // Ann sees her ticket's revisions but the one of eve's update that handed it to bob.
    let anns = ids(&page);
    assert!(anns.iter().all(|id| id == ann), "{page}");
    let shown = page["changes"].as_array().unwrap().len();
    let (_, all) = api.get(ADA, "/_changes?model=ticket&limit=1000").await;
    let every = all["changes"].as_array().unwrap();
    assert_eq!(
        page["last_seq"], all["last_seq"],
        "the cursor passes hidden events"
    );
    let in_anns_scope = every
        .iter()
        .filter(|e| e["resource_id"] == ann && e["created_by"] != "eve")
        .count();
    assert_eq!(shown, in_anns_scope, "{page}");
    let (_, bobs) = api
        .get(BOB, "/_changes?model=ticket&include_data=true")
        .await;
    for event in bobs["changes"].as_array().unwrap() {
        assert_eq!(event["data"]["owner"], "bob", "{event}");
    }
    assert!(ids(&bobs).contains(&bob.to_owned()));
    assert_eq!(api.get(ANON, "/_changes?model=ticket").await.0, 401);
    // The statistics count every ticket: only callers who read them all see them.
    for (who, sees) in [(ANN, false), (EVE, true), (ADA, true)] {
        let (_, stats) = api.get(who, "/_stats").await;
        let models: Vec<&str> = stats["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model"].as_str().unwrap())
            .collect();
        assert_eq!(models.contains(&"ticket"), sees, "{who:?}: {stats}");
    }
}
