//! What the PostgreSQL tests share: the test database's URL, and a schema of their own for
//! each test, dropped when the test ends (even when it fails), so that runs never collide and
//! leave nothing behind.
//!
//! The URL comes from `SPECSTAR_TEST_DATABASE_URL`. Unset, the tests say loudly that the
//! PostgreSQL suite did not run and return; but with `CI=true` a missing URL fails them, and
//! a server that does not answer fails them always.

#![allow(dead_code, reason = "each test binary uses a part of these helpers")]

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use specstar_conformance::TestStore;
use specstar_core::Store;
use specstar_postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::NoTls;

/// The variable the tests read the database URL from.
pub(crate) const URL_VAR: &str = "SPECSTAR_TEST_DATABASE_URL";

/// The test database's URL, or `None` (said on stderr) when the PostgreSQL suite should not
/// run: the variable is unset and this is not CI.
///
/// # Panics
/// When `CI=true` and the variable is unset: CI must run the suite.
pub(crate) fn test_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but {URL_VAR} is not set: the PostgreSQL suite must run in CI \
                     (.ci/run sets it to the machine's server)"
                );
            }
            // Once per test binary, and past the test harness's capture of `eprintln!`, so
            // that it shows in `cargo test`'s output even though the tests pass.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTE: the PostgreSQL suite did NOT run ({}): set {URL_VAR} (e.g. \
                     postgres://postgres@127.0.0.1:5432/test) to run it\n",
                    std::env::current_exe()
                        .ok()
                        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .unwrap_or_default()
                );
            });
            None
        }
    }
}

/// A schema name of this test's own, dropped with everything in it when the guard drops.
pub(crate) struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// A fresh name, `specstar_test_<uuid v7>`; the store creates the schema when it connects.
    /// The first in a process also drops the test schemas that killed runs left behind.
    pub(crate) fn new(url: &str) -> Self {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| sweep_stale(url));
        let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
        Self {
            url: url.to_owned(),
            name,
        }
    }

    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Options for a store in this schema, with a small pool (tests run side by side).
    pub(crate) fn options(&self) -> PostgresOptions {
        PostgresOptions::new(&self.url)
            .expect("the test database url parses")
            .schema(&self.name)
            .expect("the test schema name is valid")
            .pool_size(8)
            .connect_timeout(Duration::from_secs(5))
            .wait_timeout(Duration::from_secs(60))
    }

    /// A store in this schema.
    ///
    /// # Panics
    /// When the server does not answer: a configured suite never skips.
    pub(crate) async fn store(&self) -> PostgresStore {
        match PostgresStore::connect_with(self.options()).await {
            Ok(store) => store,
            Err(error) => panic!(
                "the PostgreSQL server at {URL_VAR}={} does not answer or refuses: {error}",
                self.url
            ),
        }
    }
}

/// The prefix of every test schema's name.
const PREFIX: &str = "specstar_test_";

/// The work [`run_sql`] does with its connection.
type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;

/// Runs `work` on a connection of its own, on a thread with a runtime of its own: it is called
/// from `Drop` and from sync code, inside async tests too.
fn run_sql(
    url: &str,
    work: impl FnOnce(tokio_postgres::Client) -> Work + Send + 'static,
) -> Result<(), String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let task = tokio::spawn(connection);
            // The work owns the client and drops it when done, which ends the connection.
            let result = work(client).await;
            let _ = task.await;
            result
        })
    })
    .join()
    .map_err(|_| "the thread panicked".to_owned())?
}

/// Drops test schemas more than an hour old (their UUID v7 says when they were named): what
/// runs killed before their guards ran left behind.
fn sweep_stale(url: &str) {
    let result = run_sql(url, |client| {
        Box::pin(async move {
            let rows = client
                .query(
                    "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname::text, $1)",
                    &[&PREFIX],
                )
                .await
                .map_err(|e| e.to_string())?;
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            for row in rows {
                let name: String = row.get(0);
                let made_ms = name
                    .strip_prefix(PREFIX)
                    .and_then(|uuid| uuid.get(..12))
                    .and_then(|hex| u128::from_str_radix(hex, 16).ok());
                if made_ms.is_some_and(|ms| ms + 3_600_000 < now_ms) {
                    client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .await
                        .map_err(|e| e.to_string())?;
                    eprintln!("dropped the stale test schema {name}");
                }
            }
            Ok(())
        })
    });
    if let Err(error) = result {
        eprintln!("could not sweep stale test schemas: {error}");
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        let dropped = run_sql(&self.url, move |client| {
            Box::pin(async move { client.batch_execute(&sql).await.map_err(|e| e.to_string()) })
        });
        if let Err(error) = dropped {
            eprintln!("could not drop test schema {}: {error}", self.name);
        }
    }
}

/// A conformance store in a fresh schema, or `None` when the suite does not run.
pub(crate) async fn conformance_store() -> Option<TestStore> {
    let url = test_url()?;
    let schema = TestSchema::new(&url);
    let store = schema.store().await;
    let options = schema.options();
    Some(TestStore {
        store: Arc::new(store),
        reopen: Some(Box::new(move || {
            let options = options.clone();
            Box::pin(async move {
                let store = PostgresStore::connect_with(options)
                    .await
                    .expect("the store reopens on the same schema");
                Arc::new(store) as Arc<dyn Store>
            })
        })),
        guard: Box::new(schema),
    })
}

/// The revisions of the change feed after sequence `after`, at most `limit`; the tests that
/// call it purge nothing, so every event is a revision.
pub(crate) async fn revisions_after(
    store: &PostgresStore,
    after: u64,
    limit: usize,
) -> Vec<specstar_core::RevisionInfo> {
    let events = store
        .changes(after, limit, &specstar_core::ModelFilter::all())
        .await
        .expect("the change feed reads");
    events
        .into_iter()
        .map(|event| match event {
            specstar_core::FeedEvent::Revision(info) => info,
            other => panic!("nothing was purged, yet the feed gave {other:?}"),
        })
        .collect()
}

/// A plain connection to the test database with `schema` as its search path: to read or edit
/// the store's tables behind its back.
pub(crate) async fn raw(url: &str, schema: &str) -> tokio_postgres::Client {
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

/// A store to serve, by name, with what keeps it alive (a directory, a schema).
pub(crate) type Served = (&'static str, Arc<dyn Store>, Box<dyn Any + Send>);

/// The stores to serve: memory, SQLite in a temporary directory, and PostgreSQL when
/// [`test_url`] gives one.
pub(crate) async fn served_stores() -> Vec<Served> {
    let mut out: Vec<Served> = vec![(
        "memory",
        Arc::new(specstar_memory::MemoryStore::new()),
        Box::new(()),
    )];
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = specstar_sqlite::SqliteStore::open(dir.path().join("s.db")).expect("opens");
    out.push(("sqlite", Arc::new(sqlite), Box::new(dir)));
    if let Some(url) = test_url() {
        let schema = TestSchema::new(&url);
        let store = schema.store().await;
        out.push(("postgres", Arc::new(store), Box::new(schema)));
    }
    out
}
