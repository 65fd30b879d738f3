//! The search scenarios: every operator, and/or/not, sorts with ties, pages, the deleted rule,
//! refusals, meta fields and times, keyset cursors (paging, writes between pages, refusals) and
//! the managers' `iter_all` streams, each against exact expected ids; and the property test
//! comparing a store's search and count with the core's definition over random data.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use specstar_core::{
    Caller, Cursor, Direction, Error, Field, Filter, MetaField, Op, Query, Resource, ResourceId,
    ResourceManager, ResourceMeta, Schema, Scope, UserValue,
};

use crate::TestStore;
use crate::fixtures::{Task, at, register, task, tasks};

/// The keys (`task:<key>`) of the heads, in order.
fn keys(metas: &[ResourceMeta]) -> Vec<String> {
    metas
        .iter()
        .map(|m| m.resource_id.key().to_owned())
        .collect()
}

/// Creates tasks with the given keys and points; returns the manager.
async fn seeded(t: &TestStore, rows: &[(&str, &str, Option<i64>)]) -> ResourceManager<Task> {
    let (mgr, _) = tasks(&t.store).await;
    for (key, name, points) in rows {
        mgr.create_with_id(format!("task:{key}"), task(name, *points))
            .await
            .unwrap();
    }
    mgr
}

async fn find(mgr: &ResourceManager<Task>, filter: Filter) -> Vec<String> {
    let query = Query::all().filter(filter);
    let found = keys(&mgr.search(&query).await.unwrap());
    assert_eq!(
        mgr.count_matching(&query).await.unwrap(),
        found.len() as u64,
        "count agrees with search"
    );
    found
}

fn points(op: Op, value: impl Into<Value>) -> Filter {
    Filter::data("points", op, value)
}

fn name(op: Op, value: impl Into<Value>) -> Filter {
    Filter::data("name", op, value)
}

/// Four tasks (key, name, points) that the operator and and/or/not scenarios share.
const FOUR_TASKS: &[(&str, &str, Option<i64>)] = &[
    ("a", "alpha", Some(2)),
    ("b", "beta", Some(10)),
    ("c", "cab", Some(9)),
    ("d", "delta", None),
];

/// Every operator on data fields; numbers compare as numbers (10 > 9), types never mix.
pub async fn search_operators(t: TestStore) {
    let mgr = seeded(&t, FOUR_TASKS).await;
    assert_eq!(find(&mgr, points(Op::Eq, 10)).await, ["b"]);
    assert_eq!(find(&mgr, points(Op::Eq, 10.0)).await, ["b"]);
    assert_eq!(find(&mgr, points(Op::Ne, 10)).await, ["a", "c", "d"]);
    assert_eq!(find(&mgr, points(Op::Gt, 9)).await, ["b"]);
    assert_eq!(find(&mgr, points(Op::Gte, 9)).await, ["b", "c"]);
    assert_eq!(find(&mgr, points(Op::Lt, 9)).await, ["a"]);
    assert_eq!(find(&mgr, points(Op::Lte, 9.5)).await, ["a", "c"]);
    assert_eq!(
        find(&mgr, points(Op::In, json!([2, 9, 7]))).await,
        ["a", "c"]
    );
    assert_eq!(
        find(&mgr, points(Op::NotIn, json!([2, 9]))).await,
        ["b", "d"]
    );
    assert_eq!(
        find(&mgr, points(Op::In, json!([]))).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, points(Op::IsNull, true)).await, ["d"]);
    assert_eq!(find(&mgr, points(Op::IsNull, false)).await, ["a", "b", "c"]);
    assert_eq!(find(&mgr, points(Op::Exists, true)).await, ["a", "b", "c"]);
    assert_eq!(find(&mgr, points(Op::Exists, false)).await, ["d"]);
    assert_eq!(find(&mgr, name(Op::Gt, "beta")).await, ["c", "d"]);
    assert_eq!(
        find(&mgr, name(Op::Contains, "a")).await,
        ["a", "b", "c", "d"]
    );
    assert_eq!(find(&mgr, name(Op::Contains, "lt")).await, ["d"]);
    assert_eq!(
        find(&mgr, name(Op::Contains, "LT")).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, name(Op::StartsWith, "be")).await, ["b"]);
    assert_eq!(find(&mgr, name(Op::EndsWith, "ta")).await, ["b", "d"]);
    assert_eq!(
        find(&mgr, name(Op::StartsWith, "")).await,
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        find(&mgr, name(Op::Contains, "%")).await,
        Vec::<String>::new()
    );
    let done = Filter::data("done", Op::Eq, true);
    assert_eq!(find(&mgr, done.clone()).await, Vec::<String>::new());
    let mut finished = task("beta", Some(10));
    finished.done = true;
    mgr.update("task:b", finished).await.unwrap();
    assert_eq!(find(&mgr, done).await, ["b"]);
    assert_eq!(
        find(&mgr, Filter::data("done", Op::Ne, true)).await,
        ["a", "c", "d"]
    );
}

/// And, or and not, nested; not of a condition on a null value holds.
pub async fn search_and_or_not(t: TestStore) {
    let mgr = seeded(&t, FOUR_TASKS).await;
    let and = Filter::And(vec![points(Op::Gt, 1), name(Op::Contains, "ta")]);
    assert_eq!(find(&mgr, and.clone()).await, ["b"]);
    let or = Filter::Or(vec![points(Op::Eq, 2), name(Op::Eq, "delta")]);
    assert_eq!(find(&mgr, or.clone()).await, ["a", "d"]);
    assert_eq!(find(&mgr, and.negate()).await, ["a", "c", "d"]);
    assert_eq!(find(&mgr, points(Op::Gt, 5).negate()).await, ["a", "d"]);
    let nested = Filter::And(vec![or.negate(), Filter::Or(vec![points(Op::Lt, 10)])]);
    assert_eq!(find(&mgr, nested).await, ["c"]);
    assert_eq!(find(&mgr, Filter::And(vec![])).await, ["a", "b", "c", "d"]);
    assert_eq!(find(&mgr, Filter::Or(vec![])).await, Vec::<String>::new());
}

/// Sorts on data and meta fields; ties go by resource id in the last sort's direction (so a
/// descending order is the ascending one reversed); nulls first ascending; pages.
pub async fn search_sorts_and_pages(t: TestStore) {
    let mgr = seeded(
        &t,
        &[
            ("e", "x", Some(5)),
            ("a", "x", Some(10)),
            ("d", "y", None),
            ("b", "y", Some(5)),
            ("c", "z", Some(9)),
        ],
    )
    .await;
    let by_points = |d| Query::all().sort(Field::Data("points".into()), d);
    let asc = keys(&mgr.search(&by_points(Direction::Asc)).await.unwrap());
    assert_eq!(asc, ["d", "b", "e", "c", "a"]);
    let desc = keys(&mgr.search(&by_points(Direction::Desc)).await.unwrap());
    assert_eq!(desc, ["a", "c", "e", "b", "d"]);
    let two = Query::all()
        .sort(Field::Data("name".into()), Direction::Desc)
        .sort(Field::Data("points".into()), Direction::Asc);
    assert_eq!(
        keys(&mgr.search(&two).await.unwrap()),
        ["c", "d", "b", "e", "a"]
    );
    assert_eq!(
        keys(&mgr.search(&Query::all()).await.unwrap()),
        ["a", "b", "c", "d", "e"],
        "resource id is the default order"
    );
    let page = by_points(Direction::Asc).offset(1).limit(2);
    assert_eq!(keys(&mgr.search(&page).await.unwrap()), ["b", "e"]);
    assert_eq!(
        mgr.count_matching(&page).await.unwrap(),
        5,
        "count ignores the page"
    );
    let past = by_points(Direction::Asc).offset(9);
    assert!(mgr.search(&past).await.unwrap().is_empty());
    let none = by_points(Direction::Asc).limit(0);
    assert!(mgr.search(&none).await.unwrap().is_empty());
    let by_count = Query::all()
        .sort(Field::Meta(MetaField::TotalRevisionCount), Direction::Desc)
        .limit(1);
    mgr.update("task:c", task("z", Some(1))).await.unwrap();
    assert_eq!(keys(&mgr.search(&by_count).await.unwrap()), ["c"]);
    let data = mgr
        .search_data(&Query::all().filter(points(Op::Eq, 1)))
        .await
        .unwrap();
    assert_eq!(data, [task("z", Some(1))]);
}

/// Deleted resources are left out unless asked for, and then can be told apart.
pub async fn search_leaves_deleted_out(t: TestStore) {
    let mgr = seeded(&t, &[("a", "x", Some(1)), ("b", "x", Some(2))]).await;
    mgr.delete("task:a").await.unwrap();
    let x = Query::all().filter(name(Op::Eq, "x"));
    assert_eq!(keys(&mgr.search(&x).await.unwrap()), ["b"]);
    assert_eq!(mgr.count_matching(&x).await.unwrap(), 1);
    let all = x.clone().include_deleted();
    assert_eq!(keys(&mgr.search(&all).await.unwrap()), ["a", "b"]);
    assert_eq!(mgr.count_matching(&all).await.unwrap(), 2);
    let deleted = all.filter(Filter::meta(MetaField::IsDeleted, Op::Eq, true));
    assert_eq!(keys(&mgr.search(&deleted).await.unwrap()), ["a"]);
    mgr.restore("task:a").await.unwrap();
    assert_eq!(keys(&mgr.search(&x).await.unwrap()), ["a", "b"]);
    mgr.permanently_delete("task:b").await.unwrap();
    assert_eq!(keys(&mgr.search(&x).await.unwrap()), ["a"]);
    // An update moves the resource in the index.
    mgr.update("task:a", task("y", Some(1))).await.unwrap();
    assert!(mgr.search(&x).await.unwrap().is_empty());
}

/// A condition or sort on a field that is not indexed is refused, naming it; values that do
/// not fit their operator are refused.
pub async fn search_refuses_bad_queries(t: TestStore) {
    let mgr = seeded(&t, &[("a", "x", Some(1))]).await;
    let unindexed = Query::all().filter(Filter::data("notes", Op::Eq, ""));
    match mgr.search(&unindexed).await {
        Err(Error::UnindexedField { field, model, .. }) => {
            assert_eq!(field, "notes");
            assert_eq!(model, "task");
        }
        other => panic!("expected UnindexedField, got {other:?}"),
    }
    let error = mgr.count_matching(&unindexed).await.unwrap_err();
    assert!(error.to_string().contains("\"notes\""), "{error}");
    let sorted = Query::all().sort(Field::Data("notes".into()), Direction::Asc);
    assert!(matches!(
        mgr.search(&sorted).await,
        Err(Error::UnindexedField { .. })
    ));
    for bad in [
        points(Op::In, 1),
        points(Op::Eq, Value::Null),
        name(Op::Contains, 3),
        points(Op::IsNull, "yes"),
        Filter::data("done", Op::Gt, true),
        Filter::meta(MetaField::CreatedTime, Op::Gt, "yesterday"),
        Filter::meta(MetaField::TotalRevisionCount, Op::Eq, "1"),
        Filter::data("due", Op::Lt, "soon"),
        // A string never equals or orders against a number, true is not the number 1: the
        // model's schema says these can never match.
        points(Op::Eq, "10"),
        points(Op::Gt, "1"),
        Filter::data("done", Op::Eq, 1),
    ] {
        let query = Query::all().filter(bad.clone());
        assert!(
            matches!(mgr.search(&query).await, Err(Error::InvalidQuery { .. })),
            "{bad:?} is refused"
        );
    }
}

/// Meta fields: times as instants, users, revision counts, ids.
pub async fn search_meta_fields(t: TestStore) {
    let (mgr, clock) = tasks(&t.store).await;
    for (i, key) in ["a", "b", "c"].iter().enumerate() {
        clock.set(at(i as i64 * 60));
        mgr.as_user(format!("user-{key}"))
            .create_with_id(format!("task:{key}"), task(key, None))
            .await
            .unwrap();
    }
    clock.set(at(600));
    mgr.as_user("zed")
        .update("task:a", task("a2", None))
        .await
        .unwrap();
    let meta = |field, op, value: Value| Filter::meta(field, op, value);
    let after = meta(
        MetaField::CreatedTime,
        Op::Gte,
        json!("2026-01-01T00:01:00Z"),
    );
    assert_eq!(find(&mgr, after).await, ["b", "c"]);
    // The same instant at another offset.
    let before = meta(
        MetaField::CreatedTime,
        Op::Lt,
        json!("2026-01-01T01:01:00+01:00"),
    );
    assert_eq!(find(&mgr, before).await, ["a"]);
    let updated = meta(MetaField::UpdatedTime, Op::Eq, json!(at(600).to_string()));
    assert_eq!(find(&mgr, updated).await, ["a"]);
    assert_eq!(
        find(&mgr, meta(MetaField::CreatedBy, Op::Eq, json!("user-b"))).await,
        ["b"]
    );
    assert_eq!(
        find(
            &mgr,
            meta(MetaField::UpdatedBy, Op::In, json!(["zed", "user-c"]))
        )
        .await,
        ["a", "c"]
    );
    assert_eq!(
        find(&mgr, meta(MetaField::TotalRevisionCount, Op::Gt, json!(1))).await,
        ["a"]
    );
    assert_eq!(
        find(&mgr, meta(MetaField::ResourceId, Op::EndsWith, json!(":b"))).await,
        ["b"]
    );
    assert_eq!(
        find(&mgr, meta(MetaField::SchemaVersion, Op::Eq, json!("v1"))).await,
        ["a", "b", "c"]
    );
    assert_eq!(
        find(&mgr, meta(MetaField::CreatedBy, Op::IsNull, json!(true))).await,
        Vec::<String>::new()
    );
    let newest = Query::all()
        .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
        .limit(1);
    assert_eq!(keys(&mgr.search(&newest).await.unwrap()), ["c"]);
}

/// Times in indexed data compare as instants, whatever their offset or precision.
pub async fn search_times_compare_as_instants(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    let dues = [
        ("a", "2026-03-01T10:00:00Z"),
        ("b", "2026-03-01T10:00:00.5Z"),
        ("c", "2026-03-01T09:30:00Z"),
    ];
    for (key, due) in dues {
        let mut data = task(key, None);
        data.due = Some(due.parse().unwrap());
        mgr.create_with_id(format!("task:{key}"), data)
            .await
            .unwrap();
    }
    let due = |op, value: &str| Filter::data("due", op, value);
    assert_eq!(find(&mgr, due(Op::Gt, "2026-03-01T10:00:00Z")).await, ["b"]);
    assert_eq!(
        find(&mgr, due(Op::Eq, "2026-03-01T11:00:00+01:00")).await,
        ["a"]
    );
    assert_eq!(
        find(&mgr, due(Op::Lt, "2026-03-01T10:00:00+00:00")).await,
        ["c"]
    );
    let by_due = Query::all().sort(Field::Data("due".into()), Direction::Asc);
    assert_eq!(keys(&mgr.search(&by_due).await.unwrap()), ["c", "a", "b"]);
    let read = mgr.get("task:b").await.unwrap();
    assert_eq!(
        read.data.due,
        Some("2026-03-01T10:00:00.5Z".parse().unwrap())
    );
}

fn random_task() -> impl Strategy<Value = (Task, bool)> {
    (
        0..4u8,
        prop::option::of(-2..4i64),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(n, points, done, deleted)| {
            let mut t = task(["a", "ab", "b", "ba"][n as usize], points);
            t.done = done;
            (t, deleted)
        })
}

fn random_condition() -> impl Strategy<Value = Filter> {
    let op = prop::sample::select(vec![Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte]);
    prop_oneof![
        (op.clone(), -2..4i64).prop_map(|(op, v)| points(op, v)),
        (
            op.clone(),
            prop::sample::select(vec!["a", "ab", "b", "c", ""])
        )
            .prop_map(|(op, v)| name(op, v)),
        (
            prop::sample::select(vec![Op::Contains, Op::StartsWith, Op::EndsWith]),
            prop::sample::select(vec!["a", "b", ""])
        )
            .prop_map(|(op, v)| name(op, v)),
        (any::<bool>(), prop::collection::vec(-2..4i64, 0..3))
            .prop_map(|(not, vs)| points(if not { Op::NotIn } else { Op::In }, json!(vs))),
        (any::<bool>(), any::<bool>())
            .prop_map(|(null, v)| points(if null { Op::IsNull } else { Op::Exists }, v)),
        any::<bool>().prop_map(|v| Filter::data("done", Op::Eq, v)),
        (op, 1..4u64).prop_map(|(op, v)| Filter::meta(MetaField::TotalRevisionCount, op, v)),
    ]
}

fn random_filter() -> impl Strategy<Value = Filter> {
    random_condition().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::Or),
            inner.prop_map(Filter::negate),
        ]
    })
}

fn random_query() -> impl Strategy<Value = Query> {
    let field = prop::sample::select(vec![
        Field::Data("points".into()),
        Field::Data("name".into()),
        Field::Data("done".into()),
        Field::Meta(MetaField::TotalRevisionCount),
        Field::Meta(MetaField::IsDeleted),
    ]);
    let sort = (field, any::<bool>()).prop_map(|(f, desc)| specstar_core::Sort {
        field: f,
        direction: if desc {
            Direction::Desc
        } else {
            Direction::Asc
        },
    });
    (
        prop::option::of(random_filter()),
        prop::collection::vec(sort, 0..3),
        0..4u64,
        prop::option::of(0..5u64),
        any::<bool>(),
    )
        .prop_map(|(filter, sorts, offset, limit, include_deleted)| Query {
            filter,
            sorts,
            offset,
            limit,
            include_deleted,
            after: None,
        })
}

/// Random data and random queries: a store's search and count equal the core's definition
/// ([`Query::matches`], [`Query::page`]) run over every head, and so does each query continued
/// after a cursor at any head ([`Query::is_after`]).
pub async fn search_matches_the_definition(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    let case = AtomicU64::new(0);
    let handle = tokio::runtime::Handle::current();
    let config = crate::properties::runner_config(32);
    let strategy = (
        prop::collection::vec((random_task(), prop::option::of(random_task())), 0..8),
        prop::collection::vec(random_query(), 1..6),
    );
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(config).run(&strategy, |(rows, queries)| {
            // Each case has ids of its own; its queries look at those only.
            let n = case.fetch_add(1, Ordering::Relaxed);
            handle.block_on(async {
                let mgr = mgr.clone();
                let mut heads = Vec::new();
                for (i, ((data, deleted), update)) in rows.iter().enumerate() {
                    let id = format!("task:case{n}-{i}");
                    mgr.create_with_id(&id, data.clone()).await.unwrap();
                    if let Some((next, _)) = update {
                        mgr.update(&id, next.clone()).await.unwrap();
                    }
                    if *deleted {
                        mgr.delete(&id).await.unwrap();
                    }
                    heads.push(mgr.get_meta(&id).await.unwrap());
                }
                for query in queries {
                    // Only this case's resources.
                    let query = query.filter(Filter::meta(
                        MetaField::ResourceId,
                        Op::StartsWith,
                        format!("task:case{n}-"),
                    ));
                    let expected: Vec<ResourceMeta> =
                        heads.iter().filter(|m| query.matches(m)).cloned().collect();
                    let count = expected.len() as u64;
                    let expected = keys(&query.page(expected));
                    let actual = keys(&mgr.search(&query).await.unwrap());
                    prop_assert_eq!(&actual, &expected, "search {:?}", query);
                    let counted = mgr.count_matching(&query).await.unwrap();
                    prop_assert_eq!(counted, count, "count {:?}", query);
                    // A cursor at each head (matching or not) keeps what the definition does.
                    for head in &heads {
                        let after = query.clone().after(Cursor::after_row(&query, head));
                        let expected: Vec<ResourceMeta> =
                            heads.iter().filter(|m| after.matches(m)).cloned().collect();
                        let expected = keys(&after.page(expected));
                        let actual = keys(&mgr.search(&after).await.unwrap());
                        prop_assert_eq!(&actual, &expected, "search {:?}", after);
                    }
                }
                Ok(())
            })
        })
    });
    if let Err(failure) = result {
        panic!("the store's search departs from the definition: {failure}");
    }
}

/// A random row scope: a random filter, or one that compares with the caller's id (`name`
/// equal to it), bound to a caller named `a` or `b`.
fn random_scope() -> impl Strategy<Value = Filter> {
    let own = (any::<bool>(), random_filter()).prop_map(|(alone, filter)| {
        let own = Filter::data("name", Op::Eq, UserValue::Id);
        if alone {
            own
        } else {
            Filter::Or(vec![own, filter])
        }
    });
    let template = prop_oneof![random_filter(), own];
    (template, any::<bool>()).prop_map(|(template, a)| {
        let roles = ["authenticated".to_owned()];
        let caller = Caller {
            id: if a { "a" } else { "b" },
            roles: &roles,
        };
        Scope::new(template).bind(caller)
    })
}

/// Random data, random queries and random row scopes: a search or count within a scope
/// ([`DynResourceManager::within`](specstar_core::DynResourceManager::within)) equals the
/// search without it, then filtered by the scope, in the same order.
pub async fn search_within_a_scope_is_search_then_filter(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    let case = AtomicU64::new(0);
    let handle = tokio::runtime::Handle::current();
    let config = crate::properties::runner_config(32);
    let strategy = (
        prop::collection::vec(random_task(), 0..8),
        prop::collection::vec((random_query(), random_scope()), 1..6),
    );
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(config).run(&strategy, |(rows, queries)| {
            let n = case.fetch_add(1, Ordering::Relaxed);
            handle.block_on(async {
                let mgr = mgr.clone();
                for (i, (data, deleted)) in rows.iter().enumerate() {
                    let id = format!("task:scope{n}-{i}");
                    mgr.create_with_id(&id, data.clone()).await.unwrap();
                    if *deleted {
                        mgr.delete(&id).await.unwrap();
                    }
                }
                for (query, scope) in queries {
                    let mut query = query.filter(Filter::meta(
                        MetaField::ResourceId,
                        Op::StartsWith,
                        format!("task:scope{n}-"),
                    ));
                    let (offset, limit) = (query.offset, query.limit.take());
                    query.offset = 0;
                    let scoped = mgr.within(scope.clone()).unwrap();
                    let whole = Query {
                        filter: Some(scope.clone()),
                        include_deleted: true,
                        ..Query::all()
                    };
                    let expected: Vec<String> = mgr
                        .search(&query)
                        .await
                        .unwrap()
                        .into_iter()
                        .filter(|m| whole.matches(m))
                        .map(|m| m.resource_id.key().to_owned())
                        .collect();
                    let counted = scoped.count_matching(&query).await.unwrap();
                    prop_assert_eq!(
                        counted,
                        expected.len() as u64,
                        "count {:?} within {:?}",
                        query,
                        scope
                    );
                    let paged = query.offset(offset);
                    let paged = match limit {
                        Some(limit) => paged.limit(limit),
                        None => paged,
                    };
                    let expected: Vec<String> = expected
                        .into_iter()
                        .skip(usize::try_from(offset).unwrap())
                        .take(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap()))
                        .collect();
                    let actual = keys(&scoped.search(&paged).await.unwrap());
                    prop_assert_eq!(&actual, &expected, "search {:?} within {:?}", paged, scope);
                }
                Ok(())
            })
        })
    });
    if let Err(failure) = result {
        panic!("a search within a scope departs from the search then filtered: {failure}");
    }
}

/// Pages through `query` `size` rows at a time with a cursor; returns every row seen.
async fn all_by_cursor(mgr: &ResourceManager<Task>, query: &Query, size: u64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut page_query = query.clone().limit(size);
    loop {
        let page = mgr.search(&page_query).await.unwrap();
        seen.extend(keys(&page));
        let Some(last) = page.last() else { break };
        if (page.len() as u64) < size {
            break;
        }
        page_query = page_query.clone().after(Cursor::after_row(query, last));
    }
    seen
}

/// Paging with a cursor, in any order (descending, nulls, ties, meta fields), gives every
/// match exactly once, in order; the offset applies after the cursor.
pub async fn search_cursor_pages_through_everything(t: TestStore) {
    let rows: Vec<(String, String, Option<i64>)> = (0..13)
        .map(|i| {
            let points = if i % 4 == 0 { None } else { Some(i % 5) };
            (
                format!("k{i:02}"),
                ["x", "y", "z"][i % 3].to_owned(),
                points.map(|p| p as i64),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, Option<i64>)> = rows
        .iter()
        .map(|(k, n, p)| (k.as_str(), n.as_str(), *p))
        .collect();
    let mgr = seeded(&t, &refs).await;
    mgr.delete("task:k05").await.unwrap();
    let points = || Field::Data("points".into());
    let queries = [
        Query::all(),
        Query::all().sort(points(), Direction::Asc),
        Query::all().sort(points(), Direction::Desc),
        Query::all()
            .sort(Field::Data("name".into()), Direction::Desc)
            .sort(points(), Direction::Asc),
        Query::all()
            .include_deleted()
            .sort(Field::Meta(MetaField::IsDeleted), Direction::Desc)
            .sort(points(), Direction::Desc),
        Query::all()
            .filter(name(Op::Ne, "y"))
            .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc),
    ];
    for query in &queries {
        let expected = keys(&mgr.search(query).await.unwrap());
        for size in [1, 2, 5, 50] {
            assert_eq!(
                all_by_cursor(&mgr, query, size).await,
                expected,
                "{query:?} in pages of {size}"
            );
        }
        let first = mgr.search(&query.clone().limit(3)).await.unwrap();
        let cursor = Cursor::after_row(query, &first[2]);
        let skipped = query.clone().after(cursor).offset(1).limit(2);
        assert_eq!(
            keys(&mgr.search(&skipped).await.unwrap()),
            expected[4..6],
            "the offset applies after the cursor"
        );
    }
}

/// A cursor is a position, not a count: rows created, updated or deleted between two pages
/// neither repeat the first page nor bring back rows from before the position.
pub async fn search_cursor_stays_correct_while_writes_go_on(t: TestStore) {
    let rows: Vec<(String, i64)> = (1..=8).map(|i| (format!("{i}"), i)).collect();
    let refs: Vec<(&str, &str, Option<i64>)> = rows
        .iter()
        .map(|(k, p)| (k.as_str(), "x", Some(*p)))
        .collect();
    let mgr = seeded(&t, &refs).await;
    let query = Query::all().sort(Field::Data("points".into()), Direction::Asc);
    let page1 = mgr.search(&query.clone().limit(3)).await.unwrap();
    assert_eq!(keys(&page1), ["1", "2", "3"]);
    let cursor = Cursor::after_row(&query, &page1[2]);
    mgr.create_with_id("task:0", task("x", Some(0)))
        .await
        .unwrap(); // before
    mgr.create_with_id("task:9", task("x", Some(10)))
        .await
        .unwrap(); // after
    mgr.create_with_id("task:30", task("x", Some(3)))
        .await
        .unwrap(); // tie, after by id
    mgr.create_with_id("task:00", task("x", None))
        .await
        .unwrap(); // null: before
    mgr.update("task:2", task("w", Some(2))).await.unwrap(); // stays before
    mgr.update("task:5", task("x", Some(-1))).await.unwrap(); // moves before
    mgr.update("task:4", task("x", Some(7))).await.unwrap(); // moves later
    mgr.delete("task:6").await.unwrap();
    mgr.permanently_delete("task:1").await.unwrap();
    let page2 = keys(&mgr.search(&query.clone().after(cursor)).await.unwrap());
    assert_eq!(page2, ["30", "4", "7", "8", "9"]);
    for key in keys(&page1) {
        assert!(!page2.contains(&key), "{key} is not repeated");
    }
}

/// A cursor that is not one, or was altered, or was made for other sorts, is refused.
pub async fn search_cursor_refusals(t: TestStore) {
    let mgr = seeded(&t, &[("a", "x", Some(1)), ("b", "y", Some(2))]).await;
    let by_points = Query::all().sort(Field::Data("points".into()), Direction::Asc);
    let first = mgr.search(&by_points).await.unwrap();
    let cursor = Cursor::after_row(&by_points, &first[0]);
    let text = cursor.to_string();
    assert_eq!(Cursor::parse(&text).unwrap(), cursor, "a cursor reads back");
    let mut altered = text.clone();
    altered.insert(3, '*');
    for bad in [
        "",
        "not a cursor",
        "e30",
        altered.as_str(),
        &text[..text.len() - 4],
    ] {
        assert!(
            matches!(Cursor::parse(bad), Err(Error::InvalidQuery { .. })),
            "{bad:?} is refused"
        );
    }
    let json = json!({"sorts": [], "after": "garbage"});
    assert!(serde_json::from_value::<Query>(json).is_err());
    for other in [
        Query::all(),
        Query::all().sort(Field::Data("points".into()), Direction::Desc),
        Query::all().sort(Field::Data("name".into()), Direction::Asc),
        by_points
            .clone()
            .sort(Field::Data("name".into()), Direction::Asc),
    ] {
        let query = other.after(cursor.clone());
        assert!(
            matches!(mgr.search(&query).await, Err(Error::InvalidQuery { .. })),
            "{query:?} is refused"
        );
    }
    let continued = by_points.after(cursor);
    assert_eq!(keys(&mgr.search(&continued).await.unwrap()), ["b"]);
}

/// `iter_all` pages internally with a cursor: every match once, in order, whatever the batch
/// size, on the untyped and the typed manager; the query's offset and limit apply to the whole
/// stream.
pub async fn iter_all_streams_every_match_once(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    for i in 0..1234_i64 {
        let points = (i % 7 != 0).then_some(i * 37 % 101);
        let name = ["x", "y", "z"][(i % 3) as usize];
        mgr.create_with_id(format!("task:r{i:04}"), task(name, points))
            .await
            .unwrap();
    }
    let by_points = Query::all().sort(Field::Data("points".into()), Direction::Desc);
    let expected = keys(&mgr.search(&by_points).await.unwrap());
    assert_eq!(expected.len(), 1234);
    for batch in [3, 50, 1234, 5000] {
        let streamed: Vec<String> = mgr
            .dynamic()
            .iter_all_batched(&by_points, batch)
            .map(|row| row.unwrap().resource_id.key().to_owned())
            .collect()
            .await;
        assert_eq!(streamed, expected, "in batches of {batch}");
    }
    let all: Vec<_> = mgr.dynamic().iter_all(&Query::all()).collect().await;
    assert_eq!(all.len(), 1234);
    let paged = Query::all()
        .filter(name(Op::Eq, "y"))
        .sort(Field::Data("points".into()), Direction::Asc)
        .offset(3)
        .limit(100);
    let expected = mgr.search_resources(&paged).await.unwrap();
    assert_eq!(expected.len(), 100);
    let metas = |rows: &[Resource<Task>]| rows.iter().map(|r| r.meta.clone()).collect::<Vec<_>>();
    let data = |rows: &[Resource<Task>]| rows.iter().map(|r| r.data.clone()).collect::<Vec<_>>();
    for batch in [1, 7] {
        let streamed: Vec<Resource<Task>> = mgr
            .iter_all_batched(&paged, batch)
            .map(|row| row.unwrap())
            .collect()
            .await;
        assert_eq!(keys(&metas(&streamed)), keys(&metas(&expected)));
        assert_eq!(data(&streamed), data(&expected));
    }
}

/// Tasks with only their name indexed: what a model looked like before `points` and `done`
/// were added to its indexed fields.
fn tasks_indexed_by_name() -> Schema<Task> {
    Schema::<Task>::new("v1").index("name")
}

/// Writes tasks `a` (3 points), `b` (8 points, then deleted) and `c` (5 points, updated to 1)
/// with only their name indexed.
async fn seed_before_the_index(store: &std::sync::Arc<dyn specstar_core::Store>) {
    let model = register(store, tasks_indexed_by_name()).await;
    let mgr = ResourceManager::<Task>::new(model, store.clone()).unwrap();
    mgr.create_with_id("task:a", task("a", Some(3)))
        .await
        .unwrap();
    let b = mgr
        .create_with_id("task:b", task("b", Some(8)))
        .await
        .unwrap();
    mgr.delete(&b.resource_id).await.unwrap();
    let c = mgr
        .create_with_id("task:c", task("c", Some(5)))
        .await
        .unwrap();
    mgr.update(&c.resource_id, task("c", Some(1)))
        .await
        .unwrap();
}

/// Finds the seeded tasks by the fields added since, the deleted one included when asked.
async fn found_by_the_new_index(mgr: &ResourceManager<Task>) {
    let by_points = Query::all().sort(Field::Data("points".into()), Direction::Asc);
    assert_eq!(keys(&mgr.search(&by_points).await.unwrap()), ["c", "a"]);
    let all = by_points.clone().include_deleted();
    assert_eq!(keys(&mgr.search(&all).await.unwrap()), ["c", "a", "b"]);
    assert_eq!(find(mgr, points(Op::Gte, 3)).await, ["a"]);
    assert_eq!(find(mgr, points(Op::Eq, 5)).await, Vec::<String>::new());
    assert_eq!(
        find(mgr, Filter::data("done", Op::Eq, false)).await,
        ["a", "c"]
    );
    let c: ResourceId = "task:c".parse().unwrap();
    let meta = mgr.get_meta(&c).await.unwrap();
    assert_eq!(meta.indexed_data.get("points"), Some(&json!(1)));
    // New writes index the new fields as before.
    mgr.create_with_id("task:d", task("d", Some(2)))
        .await
        .unwrap();
    assert_eq!(find(mgr, points(Op::Lt, 3)).await, ["c", "d"]);
}

/// Registering a model again with more indexed fields fills them for the resources written
/// before (from each one's current revision, tombstones too), so old resources are found.
pub async fn a_new_index_finds_old_resources(t: TestStore) {
    seed_before_the_index(&t.store).await;
    let (mgr, _) = tasks(&t.store).await;
    found_by_the_new_index(&mgr).await;
    // Dropping the field again refuses searches on it.
    let model = register(&t.store, tasks_indexed_by_name()).await;
    let narrow = ResourceManager::<Task>::new(model, t.store.clone()).unwrap();
    let error = narrow
        .search(&Query::all().filter(points(Op::Eq, 1)))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnindexedField { .. }), "{error}");
}

/// A persistent store reopened by a process that indexes more fields fills them from the
/// revisions on disk.
pub async fn a_new_index_after_a_reopen_finds_old_resources(t: TestStore) {
    let reopen = t
        .reopen
        .expect("a persistent store's suite gives a way to reopen it");
    seed_before_the_index(&t.store).await;
    drop(t.store);
    let reopened = reopen().await;
    let (mgr, _) = tasks(&reopened).await;
    found_by_the_new_index(&mgr).await;
}
