//! Search and count over HTTP against a real server on 127.0.0.1: the reference's
//! `conditions`/`sorts` JSON, paging with `X-Has-More`, `X-Total-Count` and cursors, the deleted rule,
//! the `returns` forms, time and user filters, and the refusals.

mod common;

use common::{Server, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Creates the issues `(title, status, severity, assignee)` in order, as user `x-user`.
async fn seed(s: &Server, issues: &[(&str, &str, &str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (title, status, severity, assignee) in issues {
        let info = s
            .create(json!({"title": title, "status": status, "severity": severity, "assignee": assignee}))
            .await;
        ids.push(info["resource_id"].as_str().unwrap().to_owned());
    }
    ids
}

fn standard() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        ("a", "open", "high", "alice"),
        ("b", "open", "low", "bob"),
        ("c", "resolved", "high", "bob"),
        ("d", "in_progress", "medium", "alice"),
        ("e", "open", "high", "carol"),
    ]
}

async fn search(s: &Server, path: &str, query: &[(&str, String)]) -> Response {
    s.get(path).query(query).send().await.unwrap()
}

async fn titles(response: Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|item| item["data"]["title"].as_str().unwrap().to_owned())
        .collect()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn by_title() -> (&'static str, String) {
    (
        "sorts",
        json!([{"type": "data", "field_path": "assignee", "direction": "+"}, {"type": "meta", "key": "created_time", "direction": "+"}]).to_string(),
    )
}

#[tokio::test]
async fn equality_and_combined_conditions() {
    let s = Server::start().await;
    seed(&s, &standard()).await;
    let eq = json!([{"field_path": "status", "operator": "eq", "value": "open"}]);
    let mut got = titles(search(&s, "/issue", &[("conditions", eq.to_string())]).await).await;
    got.sort();
    assert_eq!(got, ["a", "b", "e"]);

    let and = json!([
        {"field_path": "status", "operator": "eq", "value": "open"},
        {"field_path": "severity", "operator": "eq", "value": "high"}
    ]);
    let mut got = titles(search(&s, "/issue", &[("conditions", and.to_string())]).await).await;
    got.sort();
    assert_eq!(got, ["a", "e"]);

    let or_not = json!([{"operator": "or", "conditions": [
        {"field_path": "assignee", "operator": "eq", "value": "carol"},
        {"operator": "not", "conditions": [{"field_path": "status", "operator": "in", "value": ["open", "in_progress"]}]}
    ]}]);
    let mut got = titles(search(&s, "/issue", &[("conditions", or_not.to_string())]).await).await;
    got.sort();
    assert_eq!(got, ["c", "e"]);

    let meta = json!([{"field_path": "created_by", "operator": "eq", "value": "anonymous"},
                      {"field_path": "assignee", "operator": "starts_with", "value": "b"}]);
    let mut got = titles(search(&s, "/issue", &[("conditions", meta.to_string())]).await).await;
    got.sort();
    assert_eq!(got, ["b", "c"]);
}

#[tokio::test]
async fn sorts_take_their_direction() {
    let s = Server::start().await;
    seed(&s, &standard()).await;
    let desc = json!([{"type": "meta", "key": "created_time", "direction": "-"}]);
    let got = titles(search(&s, "/issue", &[("sorts", desc.to_string())]).await).await;
    assert_eq!(got, ["e", "d", "c", "b", "a"]);
    let asc = json!([{"type": "meta", "key": "created_time", "direction": "+"}]);
    let got = titles(search(&s, "/issue", &[("sorts", asc.to_string())]).await).await;
    assert_eq!(got, ["a", "b", "c", "d", "e"]);
    let got = titles(search(&s, "/issue", &[by_title()]).await).await;
    assert_eq!(got, ["a", "d", "b", "c", "e"]);
    let data_desc = json!([{"type": "data", "field_path": "assignee", "direction": "-"},
                           {"type": "meta", "key": "created_time", "direction": "-"}]);
    let got = titles(search(&s, "/issue", &[("sorts", data_desc.to_string())]).await).await;
    assert_eq!(got, ["e", "c", "b", "d", "a"]);
}

#[tokio::test]
async fn pages_say_whether_there_are_more_and_count_on_request() {
    let s = Server::start().await;
    seed(&s, &standard()).await;
    let page = |limit: u64, offset: u64| {
        vec![
            by_title(),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
        ]
    };
    let first = search(&s, "/issue", &page(2, 0)).await;
    assert_eq!(header(&first, "x-has-more").as_deref(), Some("true"));
    assert_eq!(header(&first, "x-total-count"), None);
    assert_eq!(titles(first).await, ["a", "d"]);
    let mut last_query = page(2, 4);
    last_query.push(("with_total", "true".into()));
    let last = search(&s, "/issue", &last_query).await;
    assert_eq!(header(&last, "x-has-more").as_deref(), Some("false"));
    assert_eq!(header(&last, "x-total-count").as_deref(), Some("5"));
    assert_eq!(titles(last).await, ["e"]);
    let exact = search(&s, "/issue", &page(5, 0)).await;
    assert_eq!(header(&exact, "x-has-more").as_deref(), Some("false"));
    let data = search(&s, "/issue/data", &page(2, 2)).await;
    assert_eq!(header(&data, "x-has-more").as_deref(), Some("true"));

    let bad = search(&s, "/issue", &[("limit", "0".into())]).await;
    let body = problem(bad, 400, "invalid_query").await;
    assert!(body["detail"].as_str().unwrap().contains("limit"), "{body}");
    problem(
        search(&s, "/issue", &[("limit", "1001".into())]).await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn count_answers_an_integer() {
    let s = Server::start().await;
    seed(&s, &standard()).await;
    let response = search(&s, "/issue/count", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!(5));
    let high = json!([{"field_path": "severity", "operator": "eq", "value": "high"}]);
    let response = search(
        &s,
        "/issue/count",
        &[("conditions", high.to_string()), ("limit", "1".into())],
    )
    .await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!(3));
}

#[tokio::test]
async fn deleted_resources_are_left_out_unless_asked_for() {
    let s = Server::start().await;
    let ids = seed(&s, &standard()).await;
    let response = s
        .request(Method::DELETE, &format!("/issue/{}", ids[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut got = titles(search(&s, "/issue", &[]).await).await;
    got.sort();
    assert_eq!(got, ["a", "c", "d", "e"]);
    let deleted = search(&s, "/issue", &[("is_deleted", "true".into())]).await;
    assert_eq!(titles(deleted).await, ["b"]);
    let count = search(&s, "/issue/count", &[("is_deleted", "true".into())]).await;
    assert_eq!(count.json::<Value>().await.unwrap(), json!(1));
    let count = search(&s, "/issue/count", &[]).await;
    assert_eq!(count.json::<Value>().await.unwrap(), json!(4));
}

#[tokio::test]
async fn every_returns_form_and_the_part_routes() {
    let s = Server::start().await;
    let ids = seed(&s, &standard()[..2]).await;
    let sorts = by_title();

    let full: Value = search(&s, "/issue", std::slice::from_ref(&sorts))
        .await
        .json()
        .await
        .unwrap();
    let first = &full[0];
    let mut keys: Vec<_> = first.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["data", "meta", "revision_info"]);
    assert_eq!(first["meta"]["resource_id"], ids[0].as_str());
    assert_eq!(
        first["revision_info"]["revision_id"],
        format!("{}:1", ids[0])
    );

    let two: Value = search(
        &s,
        "/issue",
        &[sorts.clone(), ("returns", "data,meta".into())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(two[0].get("revision_info").is_none());
    assert_eq!(two[0]["data"]["title"], "a");

    for (path, returns, check) in [
        ("/issue", Some("only-data"), "title"),
        ("/issue", Some("only-meta"), "current_revision_id"),
        ("/issue", Some("only-revision_info"), "revision_id"),
        ("/issue/data", None, "title"),
        ("/issue/meta", None, "current_revision_id"),
    ] {
        let mut query = vec![sorts.clone()];
        if let Some(r) = returns {
            query.push(("returns", r.to_owned()));
        }
        let response = search(&s, path, &query).await;
        assert_eq!(response.status(), 200, "{path} {returns:?}");
        assert!(header(&response, "x-has-more").is_some());
        let items: Value = response.json().await.unwrap();
        assert_eq!(items.as_array().unwrap().len(), 2, "{path} {returns:?}");
        assert!(items[0].get(check).is_some(), "{path} {returns:?}: {items}");
        assert!(
            items[0].get("data").is_none(),
            "{path} {returns:?}: {items}"
        );
    }
    let full_route: Value = search(&s, "/issue/full", std::slice::from_ref(&sorts))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(full_route, full);

    let partial: Value = search(
        &s,
        "/issue/data",
        &[
            sorts.clone(),
            ("partial", "title".into()),
            ("partial[]", "/status".into()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        partial,
        json!([{"title": "a", "status": "open"}, {"title": "b", "status": "open"}])
    );

    problem(
        search(&s, "/issue", &[("returns", "bogus".into())]).await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn static_segments_are_not_taken_as_ids() {
    let s = Server::start().await;
    seed(&s, &standard()[..1]).await;
    for path in ["/issue/count", "/issue/data", "/issue/meta", "/issue/full"] {
        let response = s.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let ids = seed(&s, &standard()[1..2]).await;
    let response = s
        .get(&format!("/issue/{}/data", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn time_and_user_filters() {
    let s = Server::start().await;
    seed(&s, &standard()[..2]).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let later = s
        .request(Method::POST, "/issue")
        .header("x-user", "zoe")
        .json(&json!({"title": "z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(later.status(), 201);
    let info: Value = later.json().await.unwrap();
    let created = info["created_time"].as_str().unwrap().to_owned();

    let got = titles(search(&s, "/issue", &[("created_time_start", created.clone())]).await).await;
    assert_eq!(got, ["z"]);
    let got = titles(search(&s, "/issue", &[("updated_time_start", created.clone())]).await).await;
    assert_eq!(got, ["z"]);
    let mut got = titles(
        search(
            &s,
            "/issue",
            &[("created_time_end", created.clone()), by_title()],
        )
        .await,
    )
    .await;
    got.sort();
    assert_eq!(got, ["a", "b", "z"]);
    let got = titles(search(&s, "/issue", &[("created_bys", "zoe".into())]).await).await;
    assert_eq!(got, ["z"]);
    let mut got = titles(
        search(
            &s,
            "/issue",
            &[
                ("updated_bys[]", "zoe".into()),
                ("updated_bys", "anonymous".into()),
            ],
        )
        .await,
    )
    .await;
    got.sort();
    assert_eq!(got, ["a", "b", "z"]);
    problem(
        search(&s, "/issue", &[("created_time_start", "yesterday".into())]).await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn refusals_name_what_is_wrong() {
    let s = Server::start().await;
    let unindexed = json!([{"field_path": "title", "operator": "eq", "value": "a"}]);
    let body = problem(
        search(&s, "/issue", &[("conditions", unindexed.to_string())]).await,
        400,
        "unindexed_field",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("title"), "{body}");
    let body = problem(
        search(&s, "/issue/count", &[("conditions", unindexed.to_string())]).await,
        400,
        "unindexed_field",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("title"), "{body}");
    let sort = json!([{"type": "data", "field_path": "description", "direction": "-"}]);
    let body = problem(
        search(&s, "/issue", &[("sorts", sort.to_string())]).await,
        400,
        "unindexed_field",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("description"),
        "{body}"
    );

    for (name, text) in [
        ("conditions", "[{\"field_path\": \"status\""),
        (
            "conditions",
            "{\"field_path\": \"status\", \"operator\": \"like\", \"value\": 1}",
        ),
        ("conditions", "42"),
        ("sorts", "[{\"type\": \"meta\", \"key\": \"nope\"}]"),
        ("sorts", "not json"),
    ] {
        let body = problem(
            search(&s, "/issue", &[(name, text.to_owned())]).await,
            400,
            "invalid_query",
        )
        .await;
        assert!(body["detail"].as_str().unwrap().starts_with(name), "{body}");
        assert_eq!(body["parameter"], name, "{body}");
    }
    let bad_value = json!([{"field_path": "status", "operator": "in", "value": "open"}]);
    problem(
        search(&s, "/issue", &[("conditions", bad_value.to_string())]).await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn cursors_continue_pages_and_are_refused_elsewhere() {
    let s = Server::start().await;
    seed(&s, &standard()).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![by_title(), ("limit", "2".to_owned())];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let response = search(&s, "/issue", &query).await;
        let more = header(&response, "x-has-more").as_deref() == Some("true");
        cursor = header(&response, "x-next-cursor");
        assert_eq!(more, cursor.is_some(), "a cursor exactly when more follow");
        seen.extend(titles(response).await);
        if !more {
            break;
        }
    }
    assert_eq!(seen, ["a", "d", "b", "c", "e"]);

    let first = search(&s, "/issue/meta", &[by_title(), ("limit", "1".into())]).await;
    let next = header(&first, "x-next-cursor").unwrap();
    let offset = [by_title(), ("cursor", next.clone()), ("offset", "1".into())];
    assert_eq!(
        titles(search(&s, "/issue", &offset).await).await,
        ["b", "c", "e"]
    );
    let body = problem(
        search(&s, "/issue", &[("cursor", next.clone())]).await,
        400,
        "invalid_query",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("sorts"), "{body}");
    let body = problem(
        search(&s, "/issue", &[by_title(), ("cursor", format!("{next}!"))]).await,
        400,
        "invalid_query",
    )
    .await;
    assert_eq!(body["parameter"], "cursor", "{body}");
}
