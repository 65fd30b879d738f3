//! The edges of search every store must agree on: values the model's schema says can never
//! match (refused, listing what the field takes), the most conditions a query may have
//! (served exactly, in every shape, and refused past it), and U+0000 in indexed strings
//! (stored, read back and found like any other character).

use serde_json::{Value, json};
use specstar_core::{
    ANONYMOUS, Direction, Error, Field, Filter, MAX_QUERY_CONDITIONS, MAX_QUERY_DEPTH,
    MAX_QUERY_NESTING, MAX_QUERY_SORTS, MAX_QUERY_VALUES, MetaField, Op, Query, ResourceManager,
    ResourceMeta,
};

use crate::TestStore;
use crate::fixtures::{Issue, Status, Task, issue, issues, task, tasks};

fn keys(metas: &[ResourceMeta]) -> Vec<String> {
    metas
        .iter()
        .map(|m| m.resource_id.key().to_owned())
        .collect()
}

/// The keys a filter finds, checked against the count.
async fn find<T: specstar_core::Model>(mgr: &ResourceManager<T>, filter: Filter) -> Vec<String> {
    let query = Query::all().filter(filter);
    let found = keys(&mgr.search(&query).await.unwrap());
    assert_eq!(
        mgr.count_matching(&query).await.unwrap(),
        found.len() as u64,
        "count agrees with search"
    );
    found
}

/// The reason a filter is refused with, by search and by count alike.
async fn refusal<T: specstar_core::Model>(mgr: &ResourceManager<T>, filter: Filter) -> String {
    let query = Query::all().filter(filter.clone());
    let reason = match mgr.search(&query).await {
        Err(Error::InvalidQuery { reason }) => reason,
        other => panic!("{filter:?} is refused as invalid, not {other:?}"),
    };
    assert!(
        matches!(
            mgr.count_matching(&query).await,
            Err(Error::InvalidQuery { .. })
        ),
        "count refuses {filter:?} too"
    );
    reason
}

/// A condition no value of the field's type or enum could satisfy is refused, naming what
/// the field takes; one that some allowed value satisfies runs.
pub async fn search_refuses_values_that_can_never_match(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let mut busy = issue("busy");
    busy.status = Status::InProgress;
    busy.assignee = Some("Draft".into());
    mgr.create_with_id("issue:a", issue("open one"))
        .await
        .unwrap();
    mgr.create_with_id("issue:b", busy).await.unwrap();
    let status = |op, value: Value| Filter::data("status", op, value);
    let reason = refusal(&mgr, status(Op::Eq, json!("Draft"))).await;
    for expected in [
        "\"open\"",
        "\"in_progress\"",
        "\"resolved\"",
        "\"Draft\"",
        "status",
    ] {
        assert!(reason.contains(expected), "{reason} names {expected}");
    }
    for bad in [
        status(Op::Ne, json!("Draft")),
        status(Op::In, json!(["open", "Draft"])),
        status(Op::NotIn, json!(["Open"])),
        status(Op::Contains, json!("Draft")),
        status(Op::StartsWith, json!("progress")),
        status(Op::EndsWith, json!("x")),
        status(Op::Eq, json!(1)),
        status(Op::Gt, json!(3)),
        Filter::data("severity", Op::Eq, "HIGH"),
        Filter::data("assignee", Op::Eq, 3),
        Filter::data("assignee", Op::Eq, true),
    ] {
        refusal(&mgr, bad).await;
    }
    assert_eq!(find(&mgr, status(Op::Eq, json!("open"))).await, ["a"]);
    assert_eq!(find(&mgr, status(Op::Contains, json!("prog"))).await, ["b"]);
    assert_eq!(
        find(&mgr, status(Op::StartsWith, json!("in_"))).await,
        ["b"]
    );
    assert!(
        find(&mgr, status(Op::EndsWith, json!("ed")))
            .await
            .is_empty()
    );
    assert_eq!(find(&mgr, status(Op::Gt, json!("o"))).await, ["a"]);
    assert!(find(&mgr, status(Op::In, json!([]))).await.is_empty());
    assert!(find(&mgr, status(Op::IsNull, json!(true))).await.is_empty());
    assert_eq!(
        find(&mgr, Filter::data("assignee", Op::Eq, "Draft")).await,
        ["b"]
    );

    let (tasks, _) = tasks(&t.store).await;
    tasks
        .create_with_id("task:a", task("alpha", Some(10)))
        .await
        .unwrap();
    for bad in [
        Filter::data("points", Op::Eq, "10"),
        Filter::data("points", Op::Contains, "1"),
        Filter::data("points", Op::In, json!([10, "10"])),
        Filter::data("done", Op::Eq, 1),
        Filter::data("name", Op::Eq, 1),
        Filter::data("name", Op::Gt, 2),
    ] {
        let reason = refusal(&tasks, bad).await;
        assert!(reason.contains("can never match"), "{reason}");
    }
    assert_eq!(
        find(&tasks, Filter::data("points", Op::Gt, 9.5)).await,
        ["a"]
    );
}

fn pad_true(i: usize) -> Filter {
    Filter::data("name", Op::Ne, format!("never-{i}"))
}

fn pad_false(i: usize) -> Filter {
    Filter::data("name", Op::Eq, format!("never-{i}"))
}

/// `inner` in `depth` levels of alternating and/or (each level padded so the whole holds
/// `conditions` conditions and still means `inner`), with a double negation at each level
/// (folded, so it costs no depth).
fn deep(inner: Filter, depth: usize, conditions: usize) -> Filter {
    let pads = conditions - 1;
    let mut filter = inner;
    let mut used = 0;
    for level in 0..depth {
        let count = pads / depth + usize::from(level < pads % depth);
        let and = level % 2 == 0;
        let mut children = vec![filter.negate().negate()];
        for _ in 0..count {
            used += 1;
            children.push(if and { pad_true(used) } else { pad_false(used) });
        }
        filter = if and {
            Filter::And(children)
        } else {
            Filter::Or(children)
        };
    }
    filter
}

/// A query of exactly the most conditions runs on every store, whatever its shape: a long
/// or of equalities, an and as `&` chains it (nested pairs), `QB.all` of many fields,
/// and/or nested to the most depth, a thousand negations; and the longest `in` lists. One
/// condition, one value or one level more is refused, the same everywhere.
pub async fn search_takes_the_most_conditions(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    for (key, name, points) in [
        ("a", "alpha", Some(2)),
        ("b", "beta", Some(10)),
        ("c", "cab", Some(9)),
        ("d", "delta", None),
    ] {
        mgr.create_with_id(format!("task:{key}"), task(name, points))
            .await
            .unwrap();
    }
    let max = MAX_QUERY_CONDITIONS;
    let eqs = |n: usize| Filter::Or((0..n).map(|i| Filter::data("points", Op::Eq, i)).collect());
    assert_eq!(find(&mgr, eqs(max)).await, ["a", "b", "c"]);
    let mut chain = pad_true(0);
    for i in 1..max {
        chain = Filter::And(vec![chain, pad_true(i)]);
    }
    assert_eq!(find(&mgr, chain).await, ["a", "b", "c", "d"]);
    let mixed: Vec<Filter> = (0..max)
        .map(|i| match i % 5 {
            0 => pad_true(i),
            1 => Filter::data("points", Op::Ne, 1000 + i),
            2 => Filter::meta(MetaField::TotalRevisionCount, Op::Gte, 1),
            3 => Filter::data("done", Op::In, json!([false])),
            _ => Filter::meta(MetaField::CreatedBy, Op::Ne, format!("nobody-{i}")),
        })
        .collect();
    assert_eq!(find(&mgr, Filter::And(mixed)).await, ["a", "b", "c", "d"]);
    let two = Filter::data("points", Op::Eq, 2);
    assert_eq!(
        find(&mgr, deep(two.clone(), MAX_QUERY_DEPTH, max)).await,
        ["a"]
    );
    let mut nots = two.clone();
    for _ in 0..MAX_QUERY_NESTING {
        nots = nots.negate();
    }
    assert_eq!(find(&mgr, nots.clone()).await, ["a"]);
    let mut odd = two.clone();
    for _ in 1..MAX_QUERY_NESTING {
        odd = odd.negate();
    }
    assert_eq!(
        find(&mgr, Filter::And(vec![odd, eqs(max - 1)])).await,
        ["b", "c"]
    );
    let values: Vec<usize> = (0..MAX_QUERY_VALUES).collect();
    let points_in = Filter::data("points", Op::In, json!(values));
    assert_eq!(find(&mgr, points_in).await, ["a", "b", "c"]);
    let mut users: Vec<String> = (1..MAX_QUERY_VALUES).map(|i| format!("u{i}")).collect();
    users.push(ANONYMOUS.to_owned());
    let by_in = Filter::meta(MetaField::CreatedBy, Op::In, json!(users));
    assert_eq!(find(&mgr, by_in.clone()).await, ["a", "b", "c", "d"]);
    let by_not_in = Filter::meta(MetaField::CreatedBy, Op::NotIn, json!(users));
    assert!(find(&mgr, by_not_in).await.is_empty());
    // A sorted, paged query of the most conditions, too.
    let sorted = Query::all()
        .filter(eqs(max))
        .sort(Field::Data("points".into()), Direction::Desc)
        .limit(2);
    assert_eq!(keys(&mgr.search(&sorted).await.unwrap()), ["b", "c"]);
    the_most_sorts_run_and_continue_by_a_cursor(&mgr).await;

    let reason = refusal(&mgr, eqs(max + 1)).await;
    assert!(
        reason.contains(&format!("at most {max} conditions")),
        "{reason}"
    );
    let mut values: Vec<usize> = (0..MAX_QUERY_VALUES).collect();
    values.push(0);
    refusal(&mgr, Filter::data("points", Op::In, json!(values))).await;
    let split = Filter::And(vec![by_in, Filter::data("points", Op::NotIn, json!([1]))]);
    refusal(&mgr, split).await;
    let reason = refusal(&mgr, deep(two, MAX_QUERY_DEPTH + 1, max)).await;
    assert!(reason.contains("nest"), "{reason}");
    refusal(&mgr, nots.negate()).await;
}

/// The most sorts, on the tasks of `search_takes_the_most_conditions`, continued by a cursor;
/// one sort more is refused.
async fn the_most_sorts_run_and_continue_by_a_cursor(mgr: &ResourceManager<Task>) {
    let sort_fields = [
        Field::Data("points".into()),
        Field::Data("name".into()),
        Field::Meta(MetaField::CreatedTime),
        Field::Meta(MetaField::ResourceId),
    ];
    let mut many_sorts = Query::all();
    for i in 0..MAX_QUERY_SORTS {
        let direction = if i % 3 == 0 {
            Direction::Desc
        } else {
            Direction::Asc
        };
        many_sorts = many_sorts.sort(sort_fields[i % sort_fields.len()].clone(), direction);
    }
    let all = mgr.search(&many_sorts).await.unwrap();
    assert_eq!(keys(&all), ["b", "c", "a", "d"]);
    let after = many_sorts
        .clone()
        .after(specstar_core::Cursor::after_row(&many_sorts, &all[1]));
    assert_eq!(keys(&mgr.search(&after).await.unwrap()), ["a", "d"]);
    let too_many = many_sorts.sort(Field::Data("points".into()), Direction::Asc);
    assert!(
        matches!(mgr.search(&too_many).await, Err(Error::InvalidQuery { .. })),
        "{} sorts are refused",
        MAX_QUERY_SORTS + 1
    );
}

/// Tasks whose names hold U+0000 (and U+0001 and U+0002, which an escape might confuse with
/// it), by key.
const NUL_NAMES: [(&str, &str); 11] = [
    ("a", "a\0b"),
    ("b", "a"),
    ("c", "a\0"),
    ("d", "a\0\0"),
    ("e", "\0"),
    ("f", "a\u{1}"),
    ("g", "a\u{1}\u{1}"),
    ("h", "a\u{2}"),
    ("i", "a\u{1}\u{2}"),
    ("j", "b\0"),
    ("k", "a\u{1}\0\u{2}"),
];

/// U+0000 in an indexed string (JSON allows it) is stored, read back and found, and
/// compares, sorts and matches substrings as any character does, on every store: each
/// condition and sort answers as the core's definition says.
pub async fn search_finds_nul_in_indexed_strings(t: TestStore) {
    let (issue_mgr, _) = issues(&t.store).await;
    let with_nul = Issue {
        assignee: Some("a\0b".into()),
        ..issue("t")
    };
    let created = issue_mgr.create(with_nul.clone()).await.unwrap();
    let read = issue_mgr.get(&created.resource_id).await.unwrap();
    assert_eq!(read.data, with_nul);
    assert_eq!(read.meta.indexed_data["assignee"], json!("a\0b"));
    let found = find(&issue_mgr, Filter::data("assignee", Op::Eq, "a\0b")).await;
    assert_eq!(found, [created.resource_id.key()]);

    let (mgr, _) = tasks(&t.store).await;
    let mut heads = Vec::new();
    for (key, name) in NUL_NAMES {
        let info = mgr
            .create_with_id(format!("task:{key}"), task(name, None))
            .await
            .unwrap();
        let read = mgr.get(&info.resource_id).await.unwrap();
        assert_eq!(read.data.name, name, "{key} reads back");
        assert_eq!(read.meta.indexed_data["name"], json!(name));
        heads.push(read.meta);
    }
    let name = |op, v: &str| Filter::data("name", op, v);
    assert_eq!(find(&mgr, name(Op::Eq, "a\0b")).await, ["a"]);
    assert_eq!(find(&mgr, name(Op::Eq, "a\u{1}\u{1}")).await, ["g"]);
    assert_eq!(
        find(&mgr, name(Op::StartsWith, "a\0")).await,
        ["a", "c", "d"]
    );
    assert_eq!(
        find(&mgr, name(Op::Contains, "\0")).await,
        ["a", "c", "d", "e", "j", "k"]
    );
    assert_eq!(
        find(&mgr, name(Op::EndsWith, "\u{2}")).await,
        ["h", "i", "k"]
    );
    let mut filters = Vec::new();
    for (_, needle) in NUL_NAMES {
        for op in [
            Op::Eq,
            Op::Ne,
            Op::Gt,
            Op::Lte,
            Op::Contains,
            Op::StartsWith,
            Op::EndsWith,
        ] {
            filters.push(name(op, needle));
        }
        filters.push(name(Op::Contains, &needle[1..]));
        filters.push(name(Op::EndsWith, &needle[1..]));
    }
    filters.push(Filter::data("name", Op::In, json!(["a\0", "\0", "a\u{1}"])));
    filters.push(Filter::data(
        "name",
        Op::NotIn,
        json!(["a\0", "a\u{1}\u{1}"]),
    ));
    for filter in filters {
        answers_as_defined(&mgr, &heads, filter).await;
    }
    // Meta text (users, ids, versions) tested against text with U+0000, which PostgreSQL
    // cannot even bind: what the definition says, there too.
    for text in ["anonymous\0", "anon\0", "\0", "zed\0x", "task:a\0"] {
        for op in [
            Op::Eq,
            Op::Ne,
            Op::Gt,
            Op::Gte,
            Op::Lt,
            Op::Lte,
            Op::Contains,
        ] {
            for field in [MetaField::CreatedBy, MetaField::ResourceId] {
                answers_as_defined(&mgr, &heads, Filter::meta(field, op, text)).await;
            }
        }
        let listed = Filter::meta(MetaField::CreatedBy, Op::In, json!([text, ANONYMOUS]));
        assert_eq!(find(&mgr, listed).await.len(), NUL_NAMES.len());
    }
    names_with_nul_sort_and_page(&mgr, &heads).await;
}

/// `filter` finds, among the tasks whose heads are `heads`, what the core's definition says.
async fn answers_as_defined(mgr: &ResourceManager<Task>, heads: &[ResourceMeta], filter: Filter) {
    let query = Query::all().filter(filter.clone());
    let expected: Vec<ResourceMeta> = heads.iter().filter(|m| query.matches(m)).cloned().collect();
    assert_eq!(
        find(mgr, filter.clone()).await,
        keys(&query.page(expected)),
        "{filter:?}"
    );
}

/// The tasks of `NUL_NAMES` sort by name as the definition says, both ways, and a cursor at a
/// name with U+0000 continues the order.
async fn names_with_nul_sort_and_page(mgr: &ResourceManager<Task>, heads: &[ResourceMeta]) {
    for direction in [Direction::Asc, Direction::Desc] {
        let query = Query::all().sort(Field::Data("name".into()), direction);
        let expected = keys(&query.page(heads.to_vec()));
        assert_eq!(keys(&mgr.search(&query).await.unwrap()), expected);
        let first = mgr.search(&query.clone().limit(4)).await.unwrap();
        let after = query
            .clone()
            .after(specstar_core::Cursor::after_row(&query, &first[3]));
        assert_eq!(
            keys(&mgr.search(&after).await.unwrap()),
            expected[4..],
            "a cursor at a name with U+0000 continues the order"
        );
    }
}
