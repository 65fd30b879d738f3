//! The PostgreSQL store's own behaviour beyond the conformance suite: start-up migrations
//! (concurrent, versioned, refusing a newer layout), indexes serving searches, the change
//! feed, configuration.

mod common;

use std::sync::Arc;

use common::{TestSchema, test_url};
use specstar_conformance::fixtures::{task, tasks};
use specstar_core::{Error, Filter, Op, Query, Store};
use specstar_postgres::{PostgresError, PostgresOptions, PostgresStore};
use tokio_postgres::NoTls;

async fn raw(url: &str, schema: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("the test server answers");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path = {schema}"))
        .await
        .expect("search_path");
    client
}

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
    assert_eq!(versions, [1], "each migration applied once");
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
                supported: 1,
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
    let first = pg.revisions_since(0, 4).await.expect("reads");
    assert_eq!(
        first.iter().map(|i| i.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let rest = pg.revisions_since(4, 100).await.expect("reads");
    assert_eq!(rest.iter().map(|i| i.sequence).collect::<Vec<_>>(), [5, 6]);
    assert_eq!(rest[1].revision_id.to_string(), "task:0:2");
    assert!(pg.revisions_since(6, 100).await.expect("reads").is_empty());
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
