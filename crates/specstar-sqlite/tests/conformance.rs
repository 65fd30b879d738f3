//! The store conformance suite, run against the SQLite store: each scenario gets a fresh file
//! in its own temporary directory, and reopening opens a new store on the same file.

use std::sync::Arc;

use specstar_conformance::TestStore;
use specstar_core::Store;
use specstar_sqlite::SqliteStore;

async fn make_store() -> TestStore {
    let dir = tempfile::TempDir::new().expect("a temporary directory can be made");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).expect("a new store opens");
    TestStore {
        store: Arc::new(store),
        reopen: Some(Box::new(move || {
            let path = path.clone();
            Box::pin(async move {
                let store = SqliteStore::open(&path).expect("the store reopens");
                Arc::new(store) as Arc<dyn Store>
            })
        })),
        guard: Box::new(dir),
    }
}

specstar_conformance::store_suite!(make_store, persistent);
