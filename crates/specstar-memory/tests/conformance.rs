//! The store conformance suite against the memory store.

use std::sync::Arc;

use specstar_conformance::TestStore;
use specstar_memory::MemoryStore;

async fn make_store() -> TestStore {
    TestStore::ephemeral(Arc::new(MemoryStore::new()))
}

specstar_conformance::store_suite!(make_store);
