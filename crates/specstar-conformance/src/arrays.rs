//! The array scenarios: what conditions mean on an indexed array field (an element equals,
//! an element is in the list, negations, null and empty arrays), that every write (update,
//! delete, restore, permanent delete) and a later index keep the element index right, that
//! what is not defined on an array is refused, and a property test comparing a store with
//! the core's definition ([`Query::matches_on`]) over random arrays.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use specstar_core::{
    Direction, Error, Field, Filter, Op, Query, ResourceManager, ResourceMeta, Schema,
};

use crate::TestStore;
use crate::fixtures::{Link, Post, post, post_schema, posts, register};

fn keys(metas: &[ResourceMeta]) -> Vec<String> {
    metas
        .iter()
        .map(|m| m.resource_id.key().to_owned())
        .collect()
}

/// The keys a query finds, after checking that the count agrees.
async fn find_query(mgr: &ResourceManager<Post>, query: Query) -> Vec<String> {
    let found = keys(&mgr.search(&query).await.unwrap());
    if query.limit.is_none() {
        assert_eq!(
            mgr.count_matching(&query).await.unwrap(),
            found.len() as u64,
            "count agrees with search for {query:?}"
        );
    }
    found
}

async fn find(mgr: &ResourceManager<Post>, filter: Filter) -> Vec<String> {
    find_query(mgr, Query::all().filter(filter)).await
}

fn tags(op: Op, value: impl Into<Value>) -> Filter {
    Filter::data("tags", op, value)
}

fn scores(op: Op, value: impl Into<Value>) -> Filter {
    Filter::data("scores", op, value)
}

/// A seeded post: key, tags, scores.
type Row<'a> = (&'a str, &'a [&'a str], Option<&'a [i64]>);

/// Five posts: (key, tags, scores).
async fn seeded(t: &TestStore) -> ResourceManager<Post> {
    let (mgr, _) = posts(&t.store).await;
    let rows: [Row<'_>; 5] = [
        ("a", &["x", "y"], Some(&[1, 2])),
        ("b", &["y"], None),
        ("c", &[], Some(&[])),
        ("d", &["x", "x", "z"], Some(&[10])),
        ("e", &["xy"], Some(&[2, 2])),
    ];
    for (key, tags, scores) in rows {
        mgr.create_with_id(format!("post:{key}"), post(key, tags, scores))
            .await
            .unwrap();
    }
    mgr
}

/// `contains`, `eq` and `in` test elements; `ne`, `not_in` and `not` are their negations;
/// `is_null` and `exists` test the whole value (an empty array is present).
pub async fn arrays_match_by_element(t: TestStore) {
    let mgr = seeded(&t).await;
    assert_eq!(find(&mgr, tags(Op::Contains, "x")).await, ["a", "d"]);
    assert_eq!(find(&mgr, tags(Op::Contains, "xy")).await, ["e"]);
    assert_eq!(
        find(&mgr, tags(Op::Contains, "")).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, tags(Op::Eq, "y")).await, ["a", "b"]);
    assert_eq!(
        find(&mgr, tags(Op::In, json!(["z", "y"]))).await,
        ["a", "b", "d"]
    );
    assert_eq!(
        find(&mgr, tags(Op::In, json!([]))).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, tags(Op::Ne, "x")).await, ["b", "c", "e"]);
    assert_eq!(
        find(&mgr, tags(Op::NotIn, json!(["x", "y"]))).await,
        ["c", "e"]
    );
    assert_eq!(
        find(&mgr, tags(Op::NotIn, json!([]))).await,
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        find(&mgr, tags(Op::Contains, "x").negate()).await,
        ["b", "c", "e"]
    );
    assert_eq!(
        find(&mgr, tags(Op::IsNull, true)).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, tags(Op::Exists, true)).await.len(), 5);
    // Numbers compare as numbers; a null array has no element and is null.
    assert_eq!(find(&mgr, scores(Op::Contains, 1)).await, ["a"]);
    assert_eq!(find(&mgr, scores(Op::Eq, 10.0)).await, ["d"]);
    assert_eq!(find(&mgr, scores(Op::In, json!([2, 7]))).await, ["a", "e"]);
    assert_eq!(find(&mgr, scores(Op::Ne, 2)).await, ["b", "c", "d"]);
    assert_eq!(find(&mgr, scores(Op::IsNull, true)).await, ["b"]);
    assert_eq!(find(&mgr, scores(Op::Exists, false)).await, ["b"]);
    // With other conditions, and/or.
    assert_eq!(
        find(
            &mgr,
            Filter::And(vec![tags(Op::Contains, "x"), scores(Op::Contains, 10)])
        )
        .await,
        ["d"]
    );
    assert_eq!(
        find(
            &mgr,
            Filter::Or(vec![tags(Op::Eq, "z"), scores(Op::IsNull, true)])
        )
        .await,
        ["b", "d"]
    );
    assert_eq!(
        find(
            &mgr,
            Filter::And(vec![tags(Op::Eq, "y"), Filter::data("title", Op::Ne, "a")])
        )
        .await,
        ["b"]
    );
    // Pages in a scalar field's order.
    let query = Query::all()
        .filter(tags(Op::In, json!(["x", "y"])))
        .sort(Field::Data("title".into()), Direction::Desc)
        .limit(2);
    assert_eq!(find_query(&mgr, query).await, ["d", "b"]);
}

/// Elements holding U+0000 and U+0001 (which JSON allows, and PostgreSQL's `jsonb` cannot
/// hold as they are) are found by element like any other.
pub async fn arrays_find_elements_with_nul(t: TestStore) {
    let (mgr, _) = posts(&t.store).await;
    let rows: [(&str, &[&str]); 3] = [("a", &["x\0y", "z"]), ("b", &["x\u{1}y"]), ("c", &["x"])];
    for (key, tags) in rows {
        let created = mgr
            .create_with_id(format!("post:{key}"), post(key, tags, None))
            .await
            .unwrap();
        let read = mgr.get(&created.resource_id).await.unwrap();
        assert_eq!(read.data.tags, tags, "{key} reads back");
        assert_eq!(read.meta.indexed_data["tags"], json!(tags));
    }
    assert_eq!(find(&mgr, tags(Op::Eq, "x\0y")).await, ["a"]);
    assert_eq!(find(&mgr, tags(Op::Contains, "x\u{1}y")).await, ["b"]);
    assert_eq!(
        find(&mgr, tags(Op::In, json!(["x\0y", "x\u{1}y"]))).await,
        ["a", "b"]
    );
    assert_eq!(find(&mgr, tags(Op::Ne, "x\0y")).await, ["b", "c"]);
    assert_eq!(find(&mgr, tags(Op::Eq, "x\0")).await, Vec::<String>::new());
}

/// The element index follows every write: update, delete (left out unless asked for),
/// restore, revert and permanent delete.
pub async fn arrays_follow_every_write(t: TestStore) {
    let mgr = seeded(&t).await;
    let x = || tags(Op::Contains, "x");
    let first = mgr
        .update("post:a", post("a", &["z"], Some(&[3])))
        .await
        .unwrap();
    assert_eq!(find(&mgr, x()).await, ["d"]);
    assert_eq!(find(&mgr, tags(Op::Contains, "z")).await, ["a", "d"]);
    assert_eq!(
        find(&mgr, scores(Op::Contains, 1)).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, scores(Op::Contains, 3)).await, ["a"]);
    mgr.delete("post:d").await.unwrap();
    assert_eq!(find(&mgr, x()).await, Vec::<String>::new());
    assert_eq!(
        find_query(&mgr, Query::all().filter(x()).include_deleted()).await,
        ["d"]
    );
    mgr.restore("post:d").await.unwrap();
    assert_eq!(find(&mgr, x()).await, ["d"]);
    // Back to revision 1 of a: its old elements are found again, the new ones not.
    let revisions = mgr.list_revisions("post:a").await.unwrap();
    let original = revisions
        .iter()
        .find(|r| r.revision_id != first.revision_id)
        .expect("revision 1");
    mgr.revert("post:a", &original.revision_id).await.unwrap();
    assert_eq!(find(&mgr, x()).await, ["a", "d"]);
    assert_eq!(
        find(&mgr, scores(Op::Contains, 3)).await,
        Vec::<String>::new()
    );
    mgr.permanently_delete("post:d").await.unwrap();
    assert_eq!(
        find_query(&mgr, Query::all().filter(x()).include_deleted()).await,
        ["a"]
    );
    assert_eq!(find(&mgr, tags(Op::Eq, "z")).await, Vec::<String>::new());
    // A new resource with the id of the erased one starts from its own elements.
    mgr.create_with_id("post:d", post("d", &["w"], None))
        .await
        .unwrap();
    assert_eq!(find(&mgr, tags(Op::Eq, "w")).await, ["d"]);
    assert_eq!(find(&mgr, x()).await, ["a"]);
}

/// Arrays of times: elements are indexed in canonical form and operands compare as instants.
pub async fn arrays_of_times_compare_as_instants(t: TestStore) {
    let (mgr, _) = posts(&t.store).await;
    let mut seen = post("a", &[], None);
    seen.seen = vec![
        "2026-01-01T01:00:00+01:00".parse().unwrap(),
        "2026-02-01T00:00:00Z".parse().unwrap(),
    ];
    mgr.create_with_id("post:a", seen).await.unwrap();
    mgr.create_with_id("post:b", post("b", &[], None))
        .await
        .unwrap();
    let seen = |op: Op, value: Value| Filter::data("seen", op, value);
    assert_eq!(
        find(&mgr, seen(Op::Contains, json!("2026-01-01T00:00:00Z"))).await,
        ["a"]
    );
    assert_eq!(
        find(&mgr, seen(Op::In, json!(["2026-02-01T02:00:00.000+02:00"]))).await,
        ["a"]
    );
    assert_eq!(
        find(&mgr, seen(Op::Ne, json!("2026-01-01T00:00:00Z"))).await,
        ["b"]
    );
    let error = mgr
        .search(&Query::all().filter(seen(Op::Eq, json!("soon"))))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidQuery { .. }), "{error}");
}

/// What is not defined on an array is refused with a reason naming the field and operator,
/// never answered with an empty list; through the manager and the store alike.
pub async fn arrays_refuse_what_is_not_defined(t: TestStore) {
    let mgr = seeded(&t).await;
    for (op, value) in [
        (Op::Gt, json!("a")),
        (Op::Gte, json!("a")),
        (Op::Lt, json!(1)),
        (Op::Lte, json!(1)),
        (Op::StartsWith, json!("x")),
        (Op::EndsWith, json!("x")),
    ] {
        let query = Query::all().filter(tags(op, value));
        for error in [
            mgr.search(&query).await.unwrap_err(),
            mgr.count_matching(&query).await.unwrap_err(),
            t.store.search("post", &query).await.unwrap_err(),
            t.store.count_matching("post", &query).await.unwrap_err(),
        ] {
            let Error::InvalidQuery { reason } = &error else {
                panic!("{op} on an array: {error}");
            };
            assert!(
                reason.contains(&format!("{op} is not defined")) && reason.contains("\"tags\""),
                "{reason}"
            );
            assert!(
                reason.contains("contains"),
                "says what is allowed: {reason}"
            );
        }
    }
    let sorted = Query::all().sort(Field::Data("tags".into()), Direction::Asc);
    for error in [
        mgr.search(&sorted).await.unwrap_err(),
        t.store.search("post", &sorted).await.unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::InvalidQuery { reason } if reason.contains("\"tags\"")),
            "{error}"
        );
    }
    // An array's operand is one value; an array of objects allows null tests only.
    for filter in [
        tags(Op::Contains, json!(["x"])),
        tags(Op::Eq, json!(null)),
        Filter::data("links", Op::Contains, "x"),
        Filter::data("links", Op::Eq, json!({"href": "x"})),
    ] {
        let error = mgr.search(&Query::all().filter(filter)).await.unwrap_err();
        assert!(matches!(error, Error::InvalidQuery { .. }), "{error}");
    }
    let mut linked = post("f", &[], None);
    linked.links = vec![Link { href: "h".into() }];
    mgr.create_with_id("post:f", linked).await.unwrap();
    assert_eq!(
        find(&mgr, Filter::data("links", Op::Exists, true)).await,
        ["a", "b", "c", "d", "e", "f"]
    );
}

/// Posts whose tags were written before `tags` was indexed are found by it once it is.
pub async fn a_new_array_index_finds_old_resources(t: TestStore) {
    let model = register(&t.store, Schema::<Post>::new("v1").index("title")).await;
    let early = ResourceManager::<Post>::new(model, t.store.clone()).unwrap();
    early
        .create_with_id("post:a", post("a", &["x", "y"], Some(&[1])))
        .await
        .unwrap();
    early
        .create_with_id("post:b", post("b", &["y"], None))
        .await
        .unwrap();
    let (mgr, _) = posts(&t.store).await;
    assert_eq!(find(&mgr, tags(Op::Contains, "x")).await, ["a"]);
    assert_eq!(find(&mgr, tags(Op::In, json!(["y"]))).await, ["a", "b"]);
    assert_eq!(find(&mgr, scores(Op::Eq, 1)).await, ["a"]);
    // Registering the same model again changes nothing.
    let (again, _) = posts(&t.store).await;
    assert_eq!(find(&again, tags(Op::Contains, "y")).await, ["a", "b"]);
}

/// Resources written while the store knew `tags` as a field of single values (as a store laid
/// out before arrays were indexed by element knows it) are found by element once the model is
/// registered with its shapes: the registration refills the element index.
pub async fn a_field_that_becomes_an_array_finds_old_resources(t: TestStore) {
    let model = std::sync::Arc::new(post_schema().build().unwrap());
    let mut before = specstar_core::ModelDescriptor::from(&*model);
    before.indexed_fields = before
        .indexed_fields
        .into_iter()
        .map(|f| f.with_shape(specstar_core::FieldShape::Scalar))
        .collect();
    t.store.register_model(&before).await.unwrap();
    let early = ResourceManager::<Post>::new(model, t.store.clone()).unwrap();
    early
        .create_with_id("post:a", post("a", &["x", "y"], Some(&[1])))
        .await
        .unwrap();
    early
        .create_with_id("post:b", post("b", &["y"], None))
        .await
        .unwrap();
    let (mgr, _) = posts(&t.store).await;
    assert_eq!(find(&mgr, tags(Op::Contains, "x")).await, ["a"]);
    assert_eq!(find(&mgr, tags(Op::Eq, "y")).await, ["a", "b"]);
    assert_eq!(find(&mgr, scores(Op::In, json!([1, 5]))).await, ["a"]);
    mgr.update("post:a", post("a", &["w"], None)).await.unwrap();
    assert_eq!(
        find(&mgr, tags(Op::Contains, "x")).await,
        Vec::<String>::new()
    );
    assert_eq!(find(&mgr, tags(Op::Contains, "w")).await, ["a"]);
}

fn random_post() -> impl Strategy<Value = (Post, bool)> {
    let tag = prop::sample::select(vec!["a", "b", "ab", ""]);
    (
        0..3u8,
        prop::collection::vec(tag, 0..4),
        prop::option::of(prop::collection::vec(-1..3i64, 0..3)),
        any::<bool>(),
    )
        .prop_map(|(title, tags, scores, deleted)| {
            (
                post(&format!("t{title}"), &tags, scores.as_deref()),
                deleted,
            )
        })
}

fn random_condition() -> impl Strategy<Value = Filter> {
    let element_op = prop::sample::select(vec![Op::Eq, Op::Ne, Op::Contains]);
    let list_op = prop::sample::select(vec![Op::In, Op::NotIn]);
    let null_op = prop::sample::select(vec![Op::IsNull, Op::Exists]);
    let tag = prop::sample::select(vec!["a", "b", "ab", "c", ""]);
    prop_oneof![
        (element_op.clone(), tag.clone()).prop_map(|(op, v)| tags(op, v)),
        (list_op.clone(), prop::collection::vec(tag, 0..3)).prop_map(|(op, v)| tags(op, json!(v))),
        (element_op, -1..4i64).prop_map(|(op, v)| scores(op, v)),
        (list_op, prop::collection::vec(-1..4i64, 0..3)).prop_map(|(op, v)| scores(op, json!(v))),
        (null_op.clone(), any::<bool>()).prop_map(|(op, v)| tags(op, v)),
        (null_op, any::<bool>()).prop_map(|(op, v)| scores(op, v)),
        (0..3u8).prop_map(|t| Filter::data("title", Op::Eq, format!("t{t}"))),
    ]
}

fn random_query() -> impl Strategy<Value = Query> {
    let filter = random_condition().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::Or),
            inner.prop_map(Filter::negate),
        ]
    });
    (
        prop::option::of(filter),
        any::<bool>(),
        prop::option::of(0..4u64),
        any::<bool>(),
    )
        .prop_map(|(filter, desc, limit, include_deleted)| Query {
            filter,
            sorts: vec![specstar_core::Sort {
                field: Field::Data("title".into()),
                direction: if desc {
                    Direction::Desc
                } else {
                    Direction::Asc
                },
            }],
            offset: 0,
            limit,
            include_deleted,
            after: None,
        })
}

/// Random arrays and random queries on them: a store's search and count equal the core's
/// definition ([`Query::matches_on`] the model's fields, [`Query::page`]) over every head.
pub async fn arrays_match_the_definition(t: TestStore) {
    let (mgr, model) = posts(&t.store).await;
    let case = AtomicU64::new(0);
    let handle = tokio::runtime::Handle::current();
    let config = crate::properties::runner_config(32);
    let strategy = (
        prop::collection::vec((random_post(), prop::option::of(random_post())), 0..8),
        prop::collection::vec(random_query(), 1..6),
    );
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(config).run(&strategy, |(rows, queries)| {
            let n = case.fetch_add(1, Ordering::Relaxed);
            handle.block_on(async {
                let mut heads = Vec::new();
                for (i, ((data, deleted), update)) in rows.iter().enumerate() {
                    let id = format!("post:case{n}-{i}");
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
                    let query = query.filter(Filter::meta(
                        specstar_core::MetaField::ResourceId,
                        Op::StartsWith,
                        format!("post:case{n}-"),
                    ));
                    let expected: Vec<ResourceMeta> = heads
                        .iter()
                        .filter(|m| query.matches_on(model.indexed_fields(), m))
                        .cloned()
                        .collect();
                    let count = expected.len() as u64;
                    let expected = keys(&query.page(expected));
                    let actual = keys(&mgr.search(&query).await.unwrap());
                    prop_assert_eq!(&actual, &expected, "search {:?}", query);
                    let counted = mgr.count_matching(&query).await.unwrap();
                    prop_assert_eq!(counted, count, "count {:?}", query);
                }
                Ok(())
            })
        })
    });
    if let Err(failure) = result {
        panic!("the store's search on arrays departs from the definition: {failure}");
    }
}

/// The schema of posts is what the scenarios above search (kept here so that a change of the
/// fixture shows in this file's tests).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_post_fields_have_their_shapes() {
        use specstar_core::FieldShape;
        let model = post_schema().build().unwrap();
        let shapes: Vec<(&str, FieldShape, bool)> = model
            .indexed_fields()
            .iter()
            .map(|f| (f.path(), f.shape(), f.is_timestamp()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("title", FieldShape::Scalar, false),
                ("tags", FieldShape::Array, false),
                ("scores", FieldShape::Array, false),
                ("seen", FieldShape::Array, true),
                ("links", FieldShape::NestedArray, false),
            ]
        );
    }
}
