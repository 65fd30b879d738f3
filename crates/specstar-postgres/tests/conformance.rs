//! The store conformance suite, run against the PostgreSQL store: each scenario gets a schema
//! of its own, and reopening connects a new store (a new pool) to the same schema.

mod common;

specstar_conformance::store_suite!(optional common::conformance_store, persistent);
