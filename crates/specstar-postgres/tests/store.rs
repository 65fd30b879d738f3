//! The PostgreSQL store's own behaviour beyond the conformance suite: start-up migrations
//! (concurrent, versioned, refusing a newer layout), indexes serving searches, the change
//! feed, configuration.

mod common;

use std::sync::Arc;

use common::{TestSchema, raw, test_url};
use specstar_conformance::fixtures::{task, tasks};
use specstar_core::{Error, Filter, Op, Query, Store};
use specstar_postgres::{PostgresError, PostgresOptions, PostgresStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_opening_at_once_migrate_once() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let opened = join_all((0..6).map(|_| {
        let options = schema.options();
        tokio::spawn(async move { PostgresStore::connect_with(options).await })
    }))
    .await;
    for store in opened {
        store.expect("the task ran").expect("every store opens");
    }
    let client = raw(&url, schema.name()).await;
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM specstar_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("the version table")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        versions,
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "each migration applied once"
    );
}

async fn join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_newer_than_the_code_is_refused() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    drop(schema.store().await);
    let client = raw(&url, schema.name()).await;
    client
        .execute(
            "INSERT INTO specstar_migrations (version, name) VALUES (99, 'future')",
            &[],
        )
        .await
        .expect("a future version recorded");
    let error = PostgresStore::connect_with(schema.options())
        .await
        .expect_err("a newer layout is refused");
    let Error::Store(source) = &error else {
        panic!("a store error, not {error}")
    };
    assert!(
        matches!(
            source.downcast_ref::<PostgresError>(),
            Some(PostgresError::SchemaTooNew {
                found: 99,
                supported: 9,
                ..
            })
        ),
        "{error}"
    );
    assert!(error.to_string().contains("upgrade specstar"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equality_on_an_indexed_field_uses_its_index() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let pg = schema.store().await;
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let (mgr, _) = tasks(&store).await;
    for i in 0..600 {
        mgr.create_with_id(
            format!("task:{i:04}"),
            task(&format!("name {i}"), Some(i % 7)),
        )
        .await
        .expect("created");
    }
    raw(&url, schema.name())
        .await
        .batch_execute("ANALYZE heads")
        .await
        .expect("analyzed");
    let query = Query::all().filter(Filter::data("name", Op::Eq, "name 17"));
    let plan = pg.explain_search("task", &query).await.expect("explains");
    assert!(
        plan.contains("heads_task_name_"),
        "the name index serves it:\n{plan}"
    );
    let found = mgr.search(&query).await.expect("searches");
    assert_eq!(found.len(), 1);
    let query = Query::all().filter(Filter::data(
        "name",
        Op::In,
        serde_json::json!(["name 1", "name 2"]),
    ));
    let plan = pg.explain_search("task", &query).await.expect("explains");
    assert!(plan.contains("heads_task_name_"), "and an in:\n{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_pages_in_sequence_order() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let pg = schema.store().await;
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let (mgr, _) = tasks(&store).await;
    for i in 0..5 {
        mgr.create_with_id(format!("task:{i}"), task("t", Some(i)))
            .await
            .expect("created");
    }
    mgr.update("task:0", task("t0", None))
        .await
        .expect("updated");
    let first = common::revisions_after(&pg, 0, 4).await;
    assert_eq!(
        first.iter().map(|i| i.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let rest = common::revisions_after(&pg, 4, 100).await;
    assert_eq!(rest.iter().map(|i| i.sequence).collect::<Vec<_>>(), [5, 6]);
    assert_eq!(rest[1].revision_id.to_string(), "task:0:2");
    assert!(common::revisions_after(&pg, 6, 100).await.is_empty());
}

#[test]
fn urls_come_from_the_environment_or_code() {
    // Only the parsing: no server needed.
    let options = PostgresOptions::new("postgres://app@db.example:6543/issues")
        .expect("a url")
        .schema("tracker")
        .expect("a schema");
    assert_eq!(options.schema_name(), "tracker");
    let error = PostgresOptions::new("postgres://app@db:notaport/x").expect_err("a bad port");
    assert!(
        error.to_string().contains("invalid database url"),
        "{error}"
    );
    assert!(
        PostgresOptions::new("postgres://a@b/c")
            .expect("a url")
            .schema("Bad-Name")
            .is_err()
    );
}

/// A model whose indexed field takes any JSON value, to hold the SQL to the core's definition
/// where typed fixtures never go: mixed types, arrays and objects, floats, non-ASCII text.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Thing {
    value: serde_json::Value,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_values_search_and_sort_as_the_core_defines() {
    use serde_json::json;
    use specstar_core::{Cursor, Direction, Field, ResourceManager, Schema};

    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let model =
        specstar_conformance::fixtures::register(&store, Schema::<Thing>::new("v1").index("value"))
            .await;
    let mgr = ResourceManager::<Thing>::new(model, store).expect("Thing is the model");
    let values = [
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1.5),
        json!(10),
        json!(2),
        json!(2.0),
        json!(1e20),
        json!("a"),
        json!("Z"),
        json!("é"),
        json!("ab"),
        json!(""),
        json!([1, 2]),
        json!(["a"]),
        json!({"k": 1}),
        json!({"b": 2, "a": [true]}),
        // U+0000, which PostgreSQL's text cannot hold, in strings, arrays and object keys.
        json!("a\u{0}"),
        json!("\u{0}"),
        json!("a\u{1}"),
        json!(["a\u{0}", "\u{1}"]),
        json!({"k\u{0}": "\u{0}"}),
    ];
    for (i, value) in values.iter().enumerate() {
        mgr.create_with_id(
            format!("thing:{i:02}"),
            Thing {
                value: value.clone(),
            },
        )
        .await
        .expect("created");
    }
    let all = mgr
        .search(&Query::all().include_deleted())
        .await
        .expect("every head");
    assert_eq!(all.len(), values.len());
    let value = |op, v: serde_json::Value| Filter::data("value", op, v);
    let filters = [
        None,
        Some(value(Op::Eq, json!(2))),
        Some(value(Op::Ne, json!(2))),
        Some(value(Op::Gt, json!(1))),
        Some(value(Op::Lte, json!(0))),
        Some(value(Op::Gt, json!("Z"))),
        Some(value(Op::Lt, json!("b"))),
        Some(value(Op::Eq, json!(true))),
        Some(value(Op::In, json!([false, "a", 10]))),
        Some(value(Op::NotIn, json!([false, "a", 10]))),
        Some(value(Op::Contains, json!("a"))),
        Some(value(Op::StartsWith, json!("a"))),
        Some(value(Op::EndsWith, json!("b"))),
        Some(value(Op::Eq, json!("a\u{0}"))),
        Some(value(Op::Gt, json!("a\u{0}"))),
        Some(value(Op::Contains, json!("\u{0}"))),
        Some(value(Op::EndsWith, json!("\u{1}"))),
        Some(value(Op::IsNull, json!(true))),
        Some(value(Op::Exists, json!(true))),
        Some(value(Op::Gt, json!(1)).negate()),
    ];
    for filter in filters {
        for direction in [Direction::Asc, Direction::Desc] {
            let mut query = Query::all().sort(Field::Data("value".into()), direction);
            if let Some(filter) = &filter {
                query = query.filter(filter.clone());
            }
            let expected = query.page(all.iter().filter(|m| query.matches(m)).cloned().collect());
            let found = mgr.search(&query).await.expect("searches");
            let ids = |metas: &[specstar_core::ResourceMeta]| {
                metas
                    .iter()
                    .map(|m| m.resource_id.to_string())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&found), ids(&expected), "{query:?}");
            assert_eq!(
                mgr.count_matching(&query).await.expect("counts"),
                expected.len() as u64
            );
            // Page through by cursor, three at a time: the same rows in the same order.
            let mut paged = Vec::new();
            let mut page = query.clone().limit(3);
            loop {
                let rows = mgr.search(&page).await.expect("a page");
                let Some(last) = rows.last() else { break };
                page = query
                    .clone()
                    .limit(3)
                    .after(Cursor::after_row(&query, last));
                paged.extend(rows);
            }
            assert_eq!(ids(&paged), ids(&expected), "by cursor: {query:?}");
        }
    }
}

/// Heads written before indexed strings were kept escaped held U+0001 as it is: migration 4
/// escapes them the way the store now does, so they are found and read back as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_from_before_the_escape_are_escaped_by_the_migration() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = tasks(&store).await;
    // (Only what the store could write before: no U+0000.)
    for (key, name) in [("a", "x\u{1}y"), ("c", "plain")] {
        mgr.create_with_id(format!("task:{key}"), task(name, None))
            .await
            .expect("created");
    }
    drop((mgr, store));
    let client = raw(&url, schema.name()).await;
    // `task:a` as the store wrote it before, and the migration not yet applied.
    client
        .batch_execute(
            "UPDATE heads SET indexed_data = jsonb_set(indexed_data, '{name}', \
             to_jsonb('x' || chr(1) || 'y')) WHERE resource_id = 'task:a'; \
             DELETE FROM specstar_migrations WHERE version >= 4;",
        )
        .await
        .expect("an old head");
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = tasks(&store).await;
    mgr.create_with_id("task:b", task("x\u{0}y", None))
        .await
        .expect("created");
    let find = |name: &str| Query::all().filter(Filter::data("name", Op::Eq, name));
    for (key, name) in [("a", "x\u{1}y"), ("b", "x\u{0}y"), ("c", "plain")] {
        let found = mgr.search(&find(name)).await.expect("searches");
        assert_eq!(found.len(), 1, "{name:?} is found");
        assert_eq!(found[0].resource_id.key(), key);
        assert_eq!(found[0].indexed_data["name"], serde_json::json!(name));
    }
}

/// Once the schema is set up, a role with only the rights to read and write rows opens the
/// store, registers its models and writes: start-up needs no DDL rights on a schema that is
/// up to date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_ddl_rights_runs_on_a_set_up_schema() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let owner: Arc<dyn Store> = Arc::new(schema.store().await);
    tasks(&owner).await;
    let role = format!("specstar_test_role_{}", uuid::Uuid::now_v7().simple());
    let admin = raw(&url, schema.name()).await;
    let s = schema.name();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             GRANT USAGE ON SCHEMA {s} TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {role};"
        ))
        .await
        .expect("a role with row rights only");
    let mut config: tokio_postgres::Config = url.parse().expect("the url parses");
    config.user(&role);
    let role_url = format!(
        "host=127.0.0.1 port={} dbname={} user={role}",
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_dbname().unwrap_or("postgres")
    );
    let opened = async {
        let options = PostgresOptions::new(&role_url)?.schema(s)?;
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect_with(options).await?);
        let (mgr, _) = tasks(&store).await;
        mgr.create_with_id("task:by-role", task("written by a plain role", Some(1)))
            .await?;
        mgr.get("task:by-role").await
    }
    .await;
    let cleanup = admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role};"))
        .await;
    let found = opened.expect("the plain role opens, registers and writes");
    assert_eq!(found.data.name, "written by a plain role");
    cleanup.expect("the role is dropped");
}

/// Callers that give up on their writes half-way (a timeout, a client hanging up) leave no
/// transaction open on a pooled connection: each write finishes or rolls back on its own, the
/// history stays dense and later writes, conditional ones too, go on normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_dropped_half_way_leave_the_pool_clean() {
    use std::time::Duration;

    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    // A name of its own, to tell this store's connections from any other's.
    let app = format!("specstar_{}", uuid::Uuid::now_v7().simple());
    let separator = if url.contains('?') { '&' } else { '?' };
    let options = PostgresOptions::new(&format!("{url}{separator}application_name={app}"))
        .expect("the url parses")
        .schema(schema.name())
        .expect("the schema name");
    drop(schema.store().await);
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::connect_with(options)
            .await
            .expect("the store opens"),
    );
    let (mgr, _) = tasks(&store).await;
    mgr.create_with_id("task:x", task("x", Some(0)))
        .await
        .expect("created");
    for i in 1..=40 {
        let write = mgr.update("task:x", task("x", Some(i)));
        let _ = tokio::time::timeout(Duration::from_micros(i as u64 * 25), write).await;
    }
    // Let the writes the store runs on in tasks of their own finish: wait until the history
    // stops growing (a loaded machine can take well over a fixed pause), for 30 s at most.
    let mut last = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let count = mgr.list_revisions("task:x").await.expect("history").len();
        if count == last {
            break;
        }
        last = count;
    }
    let idle_in_transaction: i64 = raw(&url, schema.name())
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' \
             AND application_name = $1",
            &[&app],
        )
        .await
        .expect("pg_stat_activity")
        .get(0);
    assert_eq!(idle_in_transaction, 0, "no transaction left open");
    let history = mgr.list_revisions("task:x").await.expect("history");
    for (i, info) in history.iter().enumerate() {
        assert_eq!(info.number(), i as u64 + 1, "dense");
    }
    let current = history
        .last()
        .expect("revision 1 at least")
        .revision_id
        .clone();
    let info = mgr
        .update_if("task:x", task("x", Some(1_000)), &current)
        .await
        .expect("a conditional update from the current head wins");
    assert_eq!(info.number(), history.len() as u64 + 1);
}

/// An element test on an array field (`contains`, `in`) is served by the field's GIN index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_element_test_on_an_array_field_uses_its_gin_index() {
    use specstar_conformance::fixtures::{post, posts};

    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let pg = schema.store().await;
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let (mgr, _) = posts(&store).await;
    for i in 0..2000 {
        let tag = format!("t{i}");
        mgr.create_with_id(format!("post:{i:04}"), post("p", &[&tag, "common"], None))
            .await
            .expect("created");
    }
    raw(&url, schema.name())
        .await
        .batch_execute("ANALYZE heads")
        .await
        .expect("analyzed");
    for filter in [
        Filter::data("tags", Op::Contains, "t17"),
        Filter::data("tags", Op::In, serde_json::json!(["t1", "t2"])),
    ] {
        let query = Query::all().filter(filter);
        let plan = pg.explain_search("post", &query).await.expect("explains");
        assert!(
            plan.contains("elems_post_tags_"),
            "the GIN index serves it:\n{plan}"
        );
    }
    let query = Query::all().filter(Filter::data("tags", Op::Contains, "t17"));
    let found = mgr.search(&query).await.expect("searches");
    assert_eq!(found.len(), 1);
}

/// Inspecting a schema reads it without changing it: nothing is created where there is no
/// store, and a store's layout, models and counts are read as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_reads_a_schema_without_changing_it() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let none = PostgresStore::inspect(&schema.options())
        .await
        .expect("inspects");
    assert_eq!((none.layout_version, none.models.len()), (0, 0));
    let client = raw(&url, "public").await;
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&schema.name()],
        )
        .await
        .expect("the catalog reads");
    assert!(exists.is_none(), "inspect creates no schema");
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = tasks(&store).await;
    mgr.create(task("t", None)).await.expect("created");
    let found = PostgresStore::inspect(&schema.options())
        .await
        .expect("inspects");
    assert_eq!(found.layout_version, found.current_layout_version);
    assert_eq!(found.models.len(), 1);
    assert_eq!(
        (found.models[0].0.name.as_str(), found.models[0].1),
        ("task", 1)
    );
}
