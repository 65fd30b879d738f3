//! The HTTP API against a real server on 127.0.0.1: routes, shapes, preconditions, the
//! lifecycle, the acting user and every error status in the problem shape.

mod common;

use common::{Server, etag, problem};
use reqwest::Method;
use serde_json::{Value, json};

fn issue(title: &str) -> Value {
    json!({"title": title, "severity": "high", "assignee": "alice"})
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn create_answers_201_with_flat_revision_info_and_etag() {
    let s = Server::start().await;
    let response = s
        .request(Method::POST, "/issue")
        .json(&issue("Search returns duplicate results"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let tag = etag(&response);
    let info: Value = response.json().await.unwrap();
    let rid = info["resource_id"].as_str().unwrap();
    assert!(rid.starts_with("issue:"));
    assert_eq!(info["revision_id"], format!("{rid}:1"));
    assert_eq!(info["parent_revision_id"], Value::Null);
    assert_eq!(info["schema_version"], "v1");
    assert_eq!(info["action"], "create");
    assert_eq!(info["created_by"], "anonymous");
    assert!(info["data_hash"].as_str().unwrap().starts_with("xxh3_128:"));
    assert_eq!(
        tag,
        format!(
            "\"{}@{}\"",
            info["revision_id"].as_str().unwrap(),
            info["data_hash"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn get_answers_every_returns_form_and_partial() {
    let s = Server::start().await;
    let info = s.create(issue("Search returns duplicate results")).await;
    let rid = info["resource_id"].as_str().unwrap();
    let key = rid.strip_prefix("issue:").unwrap();

    let response = s.get(&format!("/issue/{rid}")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tag = etag(&response);
    let full: Value = response.json().await.unwrap();
    assert_eq!(keys(&full), ["data", "meta", "revision_info"]);
    assert_eq!(full["data"]["title"], "Search returns duplicate results");
    assert_eq!(full["data"]["status"], "open");
    assert_eq!(full["data"]["due_date"], Value::Null);
    assert_eq!(full["revision_info"], info);
    assert_eq!(full["meta"]["current_revision_id"], info["revision_id"]);
    assert_eq!(full["meta"]["total_revision_count"], 1);
    assert_eq!(full["meta"]["is_deleted"], false);
    assert_eq!(
        tag,
        etag(&s.get(&format!("/issue/{rid}")).send().await.unwrap())
    );

    let get = |query: String| {
        let s = &s;
        async move {
            let response = s.get(&query).send().await.unwrap();
            assert_eq!(response.status(), 200, "{query}");
            assert!(response.headers().contains_key("etag"), "{query}");
            response.json::<Value>().await.unwrap()
        }
    };
    let some = get(format!("/issue/{rid}?returns=data,meta")).await;
    assert_eq!(keys(&some), ["data", "meta"]);
    assert_eq!(
        get(format!("/issue/{rid}?returns=only-data")).await,
        full["data"]
    );
    assert_eq!(
        get(format!("/issue/{rid}?returns=only-meta")).await,
        full["meta"]
    );
    assert_eq!(
        get(format!("/issue/{rid}?returns=only-revision_info")).await,
        full["revision_info"]
    );
    assert_eq!(
        get(format!(
            "/issue/{rid}?returns=only-data&partial=/title&partial[]=/severity"
        ))
        .await,
        json!({"title": "Search returns duplicate results", "severity": "high"})
    );
    assert_eq!(
        get(format!("/issue/{rid}?partial=/assignee")).await["data"],
        json!({"assignee": "alice"})
    );
    // The single-part routes, and the bare key as a shorthand for the full id.
    assert_eq!(get(format!("/issue/{rid}/data")).await, full["data"]);
    assert_eq!(get(format!("/issue/{rid}/meta")).await, full["meta"]);
    assert_eq!(
        get(format!("/issue/{rid}/revision-info")).await,
        full["revision_info"]
    );
    assert_eq!(get(format!("/issue/{rid}/full")).await, full);
    assert_eq!(get(format!("/issue/{key}")).await, full);
}

#[tokio::test]
async fn if_none_match_on_get_answers_304() {
    let s = Server::start().await;
    let info = s.create(issue("t")).await;
    let rid = info["resource_id"].as_str().unwrap();
    let tag = etag(&s.get(&format!("/issue/{rid}")).send().await.unwrap());
    let response = s
        .get(&format!("/issue/{rid}"))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(etag(&response), tag);
    let stale = s
        .get(&format!("/issue/{rid}/data"))
        .header("if-none-match", "\"issue:x:1@xxh3_128:00\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}

#[tokio::test]
async fn update_checks_if_match_and_expected_revision_id() {
    let s = Server::start().await;
    let info = s.create(issue("one")).await;
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    let path = format!("/issue/{rid}");
    let first_tag = etag(&s.get(&path).send().await.unwrap());

    // If-Match with the current ETag: written.
    let response = s
        .request(Method::PUT, &path)
        .header("if-match", &first_tag)
        .json(&issue("two"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tag2 = etag(&response);
    let two: Value = response.json().await.unwrap();
    assert_eq!(two["revision_id"], format!("{rid}:2"));
    assert_eq!(two["parent_revision_id"], format!("{rid}:1"));
    assert_eq!(two["action"], "update");
    assert_eq!(
        tag2,
        format!("\"{rid}:2@{}\"", two["data_hash"].as_str().unwrap())
    );

    // If-Match with the old ETag: 412, nothing written.
    let response = s
        .request(Method::PUT, &path)
        .header("if-match", &first_tag)
        .json(&issue("lost"))
        .send()
        .await
        .unwrap();
    let body = problem(response, 412, "precondition_failed").await;
    assert_eq!(body["expected_revision_id"], format!("{rid}:1"));
    assert_eq!(body["actual_revision_id"], format!("{rid}:2"));
    let current: Value = s.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["data"]["title"], "two");
    assert_eq!(current["meta"]["total_revision_count"], 2);

    // If-Match with a bare revision id, and with a bare number.
    let response = s
        .request(Method::PUT, &path)
        .header("if-match", format!("{rid}:2"))
        .json(&issue("three"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = s
        .request(Method::PUT, &path)
        .header("if-match", "3")
        .json(&issue("four"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // expected_revision_id: mismatch 412 and nothing written, match written.
    let response = s
        .request(Method::PUT, &format!("{path}?expected_revision_id={rid}:1"))
        .json(&issue("lost"))
        .send()
        .await
        .unwrap();
    problem(response, 412, "precondition_failed").await;
    let response = s
        .request(Method::PUT, &format!("{path}?expected_revision_id={rid}:4"))
        .json(&issue("five"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let current: Value = s.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["data"]["title"], "five");
    assert_eq!(current["meta"]["total_revision_count"], 5);

    // The same data again appends nothing and answers the head.
    let again: Value = s
        .request(Method::PUT, &path)
        .json(&issue("five"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["revision_id"], format!("{rid}:5"));

    // Delete takes the same preconditions: a stale If-Match leaves the resource live.
    let response = s
        .request(Method::DELETE, &path)
        .header("if-match", &tag2)
        .send()
        .await
        .unwrap();
    problem(response, 412, "precondition_failed").await;
    assert_eq!(s.get(&path).send().await.unwrap().status(), 200);
    let response = s
        .request(Method::DELETE, &format!("{path}?expected_revision_id=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn put_with_if_none_match_star_creates_with_the_callers_id() {
    let s = Server::start().await;
    let create = |path: &'static str| {
        s.request(Method::PUT, path)
            .header("if-none-match", "*")
            .json(&issue("mine"))
            .send()
    };
    let response = create("/issue/my-issue-1").await.unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("etag"));
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["resource_id"], "issue:my-issue-1");
    assert_eq!(info["revision_id"], "issue:my-issue-1:1");
    // The full id works too; taken ids are refused with 412.
    assert_eq!(
        create("/issue/issue:my-issue-2").await.unwrap().status(),
        201
    );
    let body = problem(
        create("/issue/my-issue-1").await.unwrap(),
        412,
        "already_exists",
    )
    .await;
    assert_eq!(body["resource_id"], "issue:my-issue-1");
    // PUT is not an upsert.
    let response = s
        .request(Method::PUT, "/issue/my-issue-3")
        .json(&issue("x"))
        .send()
        .await
        .unwrap();
    problem(response, 404, "resource_not_found").await;
}

#[tokio::test]
async fn patch_takes_json_patch_and_merge_patch() {
    let s = Server::start().await;
    let info = s.create(issue("p")).await;
    let path = format!("/issue/{}", info["resource_id"].as_str().unwrap());
    let patch = |content_type: &'static str, body: Value| {
        s.request(Method::PATCH, &path)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
    };

    // An array body is RFC 6902.
    let response = patch(
        "application/json",
        json!([{"op": "replace", "path": "/status", "value": "resolved"}]),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("etag"));
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["action"], "patch");
    assert!(info["revision_id"].as_str().unwrap().ends_with(":2"));
    // The JSON Patch content type.
    let response = patch(
        "application/json-patch+json",
        json!([{"op": "add", "path": "/description", "value": "d"}]),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    // Merge patch by content type, and an object body as application/json.
    let response = patch("application/merge-patch+json", json!({"assignee": "carol"}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = patch(
        "application/json",
        json!({"assignee": null, "severity": "low"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let data: Value = s
        .get(&format!("{path}/data"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["status"], "resolved");
    assert_eq!(data["description"], "d");
    assert_eq!(data["assignee"], Value::Null);
    assert_eq!(data["severity"], "low");

    // Bad patches: not a patch document, a failing test, a result that does not validate.
    let response = patch("application/json-patch+json", json!({"a": 1}))
        .await
        .unwrap();
    problem(response, 400, "invalid_patch").await;
    let response = patch("application/json", json!([{"op": "explode"}]))
        .await
        .unwrap();
    problem(response, 400, "invalid_patch").await;
    let response = patch(
        "application/json",
        json!([{"op": "test", "path": "/title", "value": "not it"}]),
    )
    .await
    .unwrap();
    problem(response, 409, "patch_failed").await;
    let response = patch(
        "application/merge-patch+json",
        json!({"status": "exploded"}),
    )
    .await
    .unwrap();
    problem(response, 422, "validation_failed").await;
    // With a stale expected revision: 412.
    let response = s
        .request(Method::PATCH, &format!("{path}?expected_revision_id=1"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    problem(response, 412, "precondition_failed").await;
}

#[tokio::test]
async fn revision_list_pages_newest_first() {
    let s = Server::start().await;
    let info = s.create(issue("r1")).await;
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    for title in ["r2", "r3", "r4"] {
        let response = s
            .request(Method::PUT, &format!("/issue/{rid}"))
            .json(&issue(title))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let list = |query: &str| {
        let url = format!("/issue/{rid}/revision-list{query}");
        let s = &s;
        async move {
            let response = s.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            response.json::<Value>().await.unwrap()
        }
    };
    let numbers = |page: &Value| -> Vec<String> {
        page["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["revision_id"]
                    .as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let all = list("").await;
    assert_eq!(keys(&all), ["has_more", "meta", "revisions", "total"]);
    assert_eq!(numbers(&all), ["4", "3", "2", "1"]);
    assert_eq!(all["total"], 4);
    assert_eq!(all["has_more"], false);
    assert_eq!(all["meta"]["current_revision_id"], format!("{rid}:4"));
    assert_eq!(all["revisions"][0]["created_by"], "anonymous");

    let first = list("?limit=2").await;
    assert_eq!(numbers(&first), ["4", "3"]);
    assert_eq!(first["has_more"], true);
    let second = list("?limit=2&offset=2").await;
    assert_eq!(numbers(&second), ["2", "1"]);
    assert_eq!(second["has_more"], false);
    let oldest = list("?limit=3&sort=created_time").await;
    assert_eq!(numbers(&oldest), ["1", "2", "3"]);
    assert_eq!(oldest["has_more"], true);

    for bad in ["?limit=0", "?limit=-1", "?offset=x", "?sort=title"] {
        let response = s
            .get(&format!("/issue/{rid}/revision-list{bad}"))
            .send()
            .await
            .unwrap();
        problem(response, 400, "invalid_query").await;
    }
    let response = s
        .get("/issue/issue:nope/revision-list")
        .send()
        .await
        .unwrap();
    problem(response, 404, "resource_not_found").await;
}

#[tokio::test]
async fn delete_restore_switch_and_permanently() {
    let s = Server::start().await;
    let info = s.create(issue("v1")).await;
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    let path = format!("/issue/{rid}");
    let put = s
        .request(Method::PUT, &path)
        .json(&issue("v2"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    // Delete: a tombstone revision, the meta as answer.
    let response = s.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(etag(&response).starts_with(&format!("\"{rid}:3@")));
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["is_deleted"], true);
    assert_eq!(meta["current_revision_id"], format!("{rid}:3"));
    assert_eq!(meta["total_revision_count"], 3);

    // The current revision is gone (410); every revision stays readable by id.
    problem(s.get(&path).send().await.unwrap(), 410, "resource_deleted").await;
    problem(
        s.get(&format!("{path}/data")).send().await.unwrap(),
        410,
        "resource_deleted",
    )
    .await;
    let old: Value = s
        .get(&format!("{path}?revision_id={rid}:1&returns=only-data"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old["title"], "v1");
    let response = s
        .get(&format!("{path}?revision_id=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tombstone: Value = s
        .get(&format!("{path}?include_deleted=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tombstone["revision_info"]["action"], "delete");
    assert_eq!(tombstone["revision_info"]["deleted"], true);
    assert_eq!(tombstone["data"]["title"], "v2");
    // Deleting again, or writing: 410.
    let again = s.request(Method::DELETE, &path).send().await.unwrap();
    problem(again, 410, "resource_deleted").await;
    let write = s
        .request(Method::PUT, &path)
        .json(&issue("no"))
        .send()
        .await
        .unwrap();
    problem(write, 410, "resource_deleted").await;

    // Restore: live again, as a new revision.
    let response = s
        .request(Method::POST, &format!("{path}/restore"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["is_deleted"], false);
    assert_eq!(meta["current_revision_id"], format!("{rid}:4"));
    let current: Value = s.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["data"]["title"], "v2");

    // Switch to revision 1 (bare number, then full id): a new revision with its data.
    let response = s
        .request(Method::POST, &format!("{path}/switch/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["current_revision_id"], format!("{rid}:5"));
    let current: Value = s.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["data"]["title"], "v1");
    assert_eq!(current["revision_info"]["action"], "revert");
    let response = s
        .request(Method::POST, &format!("{path}/switch/{rid}:2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bad = s
        .request(Method::POST, &format!("{path}/switch/whatever"))
        .send()
        .await
        .unwrap();
    problem(bad, 400, "malformed_id").await;
    let missing = s
        .request(Method::POST, &format!("{path}/switch/99"))
        .send()
        .await
        .unwrap();
    problem(missing, 404, "revision_not_found").await;
    let foreign = s
        .request(Method::POST, &format!("{path}/switch/issue:other:1"))
        .send()
        .await
        .unwrap();
    problem(foreign, 404, "foreign_revision").await;

    // Permanently: answers the meta as it was; then nothing is left.
    let response = s
        .request(Method::DELETE, &format!("{path}/permanently"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["current_revision_id"], format!("{rid}:6"));
    problem(
        s.get(&path).send().await.unwrap(),
        404,
        "resource_not_found",
    )
    .await;
    let old = s
        .get(&format!("{path}?revision_id=1"))
        .send()
        .await
        .unwrap();
    problem(old, 404, "resource_not_found").await;
    let again = s
        .request(Method::DELETE, &format!("{path}/permanently"))
        .send()
        .await
        .unwrap();
    problem(again, 404, "resource_not_found").await;
}

#[tokio::test]
async fn switch_and_restore_check_if_match_and_expected_revision_id() {
    let s = Server::start().await;
    let info = s.create(issue("v1")).await;
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    let path = format!("/issue/{rid}");
    let put = s
        .request(Method::PUT, &path)
        .json(&issue("v2"))
        .send()
        .await;
    assert_eq!(put.unwrap().status(), 200);

    // A stale If-Match on switch: 412 naming both revisions, nothing written.
    let stale = s
        .request(Method::POST, &format!("{path}/switch/1"))
        .header("if-match", format!("{rid}:1"))
        .send()
        .await
        .unwrap();
    let body = problem(stale, 412, "precondition_failed").await;
    assert_eq!(body["expected_revision_id"], format!("{rid}:1"));
    assert_eq!(body["actual_revision_id"], format!("{rid}:2"));
    let stale = s
        .request(
            Method::POST,
            &format!("{path}/switch/1?expected_revision_id=1"),
        )
        .send()
        .await
        .unwrap();
    problem(stale, 412, "precondition_failed").await;
    let meta: Value = s
        .get(&format!("{path}/meta"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["total_revision_count"], 2);

    // The current ETag: written.
    let tag = etag(&s.get(&path).send().await.unwrap());
    let response = s
        .request(Method::POST, &format!("{path}/switch/1"))
        .header("if-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["current_revision_id"], format!("{rid}:3"));

    // Restore: a stale expectation is 412 even on a deleted resource; the current one writes.
    let deleted = s.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    let stale = s
        .request(Method::POST, &format!("{path}/restore"))
        .header("if-match", "3")
        .send()
        .await
        .unwrap();
    let body = problem(stale, 412, "precondition_failed").await;
    assert_eq!(body["actual_revision_id"], format!("{rid}:4"));
    let tombstone = s.get(&format!("{path}?include_deleted=true")).send().await;
    let tombstone: Value = tombstone.unwrap().json().await.unwrap();
    assert_eq!(tombstone["meta"]["is_deleted"], true, "{tombstone}");
    assert_eq!(tombstone["meta"]["total_revision_count"], 4, "{tombstone}");
    let response = s
        .request(
            Method::POST,
            &format!("{path}/restore?expected_revision_id={rid}:4"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["is_deleted"], false);
    assert_eq!(meta["current_revision_id"], format!("{rid}:5"));
    let bad = s
        .request(Method::POST, &format!("{path}/restore"))
        .header("if-match", "issue:other:1")
        .send()
        .await
        .unwrap();
    problem(bad, 404, "foreign_revision").await;
}

#[tokio::test]
async fn a_422_lists_every_failing_path() {
    let s = Server::start().await;
    let body = json!({"title": 7, "severity": "urgent", "status": "open", "assignee": ["x"]});
    let response = s
        .request(Method::POST, "/issue")
        .json(&body)
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    let mut paths: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["$.assignee", "$.severity", "$.title"], "{body}");
    for error in body["errors"].as_array().unwrap() {
        assert!(
            error["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{body}"
        );
    }
    // Nothing was stored.
    let count: Value = s
        .get("/issue/count")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn the_acting_user_comes_from_the_resolver() {
    let s = Server::start().await;
    let response = s
        .request(Method::POST, "/issue")
        .header("x-user", "alice")
        .json(&issue("who"))
        .send()
        .await
        .unwrap();
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["created_by"], "alice");
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    let response = s
        .request(Method::PATCH, &format!("/issue/{rid}"))
        .header("x-user", "bob")
        .json(&json!({"assignee": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = s
        .request(Method::DELETE, &format!("/issue/{rid}"))
        .header("x-user", "carol")
        .send()
        .await
        .unwrap();
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["created_by"], "alice");
    assert_eq!(meta["updated_by"], "carol");
    let history: Value = s
        .get(&format!("/issue/{rid}/revision-list?sort=created_time"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by: Vec<&str> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["created_by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["alice", "bob", "carol"]);

    // A resolver's refusal is answered as it is.
    let refused = s
        .request(Method::POST, "/issue")
        .header("x-user", "nobody")
        .json(&issue("no"))
        .send()
        .await
        .unwrap();
    problem(refused, 401, "unauthenticated").await;
}

#[tokio::test]
async fn every_error_is_a_problem_with_its_status() {
    let s = Server::start_with(specstar_http::HttpConfig::new().with_body_limit(4096)).await;
    let info = s.create(issue("e")).await;
    let rid = info["resource_id"].as_str().unwrap().to_owned();
    let post = |content_type: &'static str, body: String| {
        s.request(Method::POST, "/issue")
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    // 400: malformed ids, ids of another model, bad query values, malformed JSON.
    let r = s.get("/issue/issue:a:b").send().await.unwrap();
    problem(r, 400, "malformed_id").await;
    let r = s.get("/issue/team:abc").send().await.unwrap();
    problem(r, 400, "foreign_model").await;
    let r = s
        .get(&format!("/issue/{rid}?revision_id=x"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "malformed_id").await;
    let r = s
        .get(&format!("/issue/{rid}?returns=bogus"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid_query").await;
    let r = s
        .get(&format!("/issue/{rid}?include_deleted=maybe"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid_query").await;
    let r = post("application/json", "{\"title\": ".to_owned())
        .await
        .unwrap();
    problem(r, 400, "invalid_json").await;
    let r = post("application/json", String::new()).await.unwrap();
    problem(r, 400, "invalid_json").await;
    let r = s
        .request(Method::PUT, &format!("/issue/{rid}"))
        .header("if-match", "\"a\", \"b\"")
        .json(&issue("x"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid_query").await;

    // 404: unknown resource, unknown revision, unknown route.
    let r = s.get("/issue/issue:nope").send().await.unwrap();
    let body = problem(r, 404, "resource_not_found").await;
    assert!(body["detail"].as_str().unwrap().contains("issue:nope"));
    let r = s
        .get(&format!("/issue/{rid}?revision_id=99"))
        .send()
        .await
        .unwrap();
    problem(r, 404, "revision_not_found").await;
    let r = s.get("/nothing-here").send().await.unwrap();
    problem(r, 404, "route_not_found").await;

    // 405: a method the route does not take.
    let r = s.request(Method::PATCH, "/issue").send().await.unwrap();
    problem(r, 405, "method_not_allowed").await;

    // 413: over the body limit, with and without a Content-Length.
    let big = json!({"title": "x".repeat(8192)}).to_string();
    let r = post("application/json", big.clone()).await.unwrap();
    problem(r, 413, "payload_too_large").await;
    let chunks: Vec<Result<String, std::io::Error>> =
        vec![Ok(big[..3000].to_owned()), Ok(big[3000..].to_owned())];
    let r = s
        .request(Method::POST, "/issue")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_stream(chunks)))
        .send()
        .await
        .unwrap();
    problem(r, 413, "payload_too_large").await;

    // 415: not JSON.
    let r = post("text/plain", "{}".to_owned()).await.unwrap();
    problem(r, 415, "unsupported_media_type").await;
    let r = post("application/x-www-form-urlencoded", "title=x".to_owned())
        .await
        .unwrap();
    problem(r, 415, "unsupported_media_type").await;
    let r = post("application/merge-patch+json", "{}".to_owned())
        .await
        .unwrap();
    problem(r, 415, "unsupported_media_type").await;

    // 422: data that does not fit the model, with field paths; unknown fields refused.
    let r = post("application/json", json!({"severity": "low"}).to_string())
        .await
        .unwrap();
    let body = problem(r, 422, "validation_failed").await;
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    let r = post(
        "application/json",
        json!({"title": "t", "severity": "urgent"}).to_string(),
    )
    .await
    .unwrap();
    let body = problem(r, 422, "validation_failed").await;
    let error = &body["errors"][0];
    assert!(
        error["path"].as_str().unwrap().contains("severity"),
        "{body}"
    );
    assert!(error["reason"].is_string(), "{body}");
    let r = post(
        "application/json",
        json!({"title": "t", "bogus": 1}).to_string(),
    )
    .await
    .unwrap();
    problem(r, 422, "validation_failed").await;
    let r = post("application/json", json!([1, 2]).to_string())
        .await
        .unwrap();
    problem(r, 422, "validation_failed").await;

    // Nothing of the refused writes was stored.
    let history: Value = s
        .get(&format!("/issue/{rid}/revision-list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["total"], 1);
}

/// A stream of body chunks without a Content-Length.
fn futures_stream(
    chunks: Vec<Result<String, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<String, std::io::Error>> {
    Chunks(chunks.into_iter())
}

struct Chunks(std::vec::IntoIter<Result<String, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<String, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[tokio::test]
async fn request_ids_and_compression() {
    let s = Server::start().await;
    let info = s.create(issue("layers")).await;
    let rid = info["resource_id"].as_str().unwrap();
    let response = s
        .get(&format!("/issue/{rid}"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let response = s.get(&format!("/issue/{rid}")).send().await.unwrap();
    assert!(!response.headers()["x-request-id"].is_empty());
    let response = s
        .get("/issue/issue:nope")
        .header("x-request-id", "req-43")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-43");
    problem(response, 404, "resource_not_found").await;
    let response = s
        .get(&format!("/issue/{rid}"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
