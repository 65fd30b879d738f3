//! What the PostgreSQL tests share: the test database's URL, and a schema of their own for
//! each test, dropped when the test ends (even when it fails), so that runs never collide and
//! leave nothing behind.
//!
//! The URL comes from `SPECSTAR_TEST_DATABASE_URL`. Unset, the tests say loudly that the
//! PostgreSQL suite did not run and return; but with `CI=true` a missing URL fails them, and
//! a server that does not answer fails them always.

#![allow(dead_code, reason = "each test binary uses a part of these helpers")]

use std::sync::Arc;
use std::time::Duration;

use specstar_conformance::TestStore;
use specstar_core::Store;
use specstar_postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::NoTls;

/// The variable the tests read the database URL from.
pub const URL_VAR: &str = "SPECSTAR_TEST_DATABASE_URL";

/// The test database's URL, or `None` (said on stderr) when the PostgreSQL suite should not
/// run: the variable is unset and this is not CI.
///
/// # Panics
/// When `CI=true` and the variable is unset: CI must run the suite.
pub fn test_url() -> Option<String> {
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
pub struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// A fresh name, `specstar_test_<unique>`; the store creates the schema when it connects.
    pub fn new(url: &str) -> Self {
        let name = format!("specstar_test_{}", uuid::Uuid::now_v7().simple());
        Self {
            url: url.to_owned(),
            name,
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Options for a store in this schema, with a small pool (tests run side by side).
    pub fn options(&self) -> PostgresOptions {
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
    pub async fn store(&self) -> PostgresStore {
        match PostgresStore::connect_with(self.options()).await {
            Ok(store) => store,
            Err(error) => panic!(
                "the PostgreSQL server at {URL_VAR}={} does not answer or refuses: {error}",
                self.url
            ),
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        // Drop runs in async tests too: a thread with a runtime of its own does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                let task = tokio::spawn(connection);
                let result = client.batch_execute(&sql).await.map_err(|e| e.to_string());
                drop(client);
                let _ = task.await;
                result
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop test schema {}: {error}", self.name),
            Err(_) => eprintln!(
                "could not drop test schema {}: the thread panicked",
                self.name
            ),
        }
    }
}

/// A conformance store in a fresh schema, or `None` when the suite does not run.
pub async fn conformance_store() -> Option<TestStore> {
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
