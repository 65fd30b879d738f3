//! Keeping PostgreSQL's statistics of the heads table in step with its size.
//!
//! PostgreSQL plans a search from the statistics `ANALYZE` gathers. Autovacuum gathers them
//! too, but late: after a bulk load the planner still believes a table of a few rows, takes an
//! equality on a common value for a rare one, and reads and sorts every match of
//! `severity = high` rather than the time-order index it would stop early in. So the store
//! analyzes the heads table itself: after each registration, and in the background whenever
//! this process's writes since the last time reach the size it had then (at 1,000, 2,000,
//! 4,000… writes: a sample of 30,000 rows each time, and no lock that blocks writers).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use deadpool_postgres::Pool;
use specstar_core::{Error, Result};

use crate::connection;

/// The fewest writes after which the table is analyzed again.
const MIN_WRITES: u64 = 1_000;

/// When the heads table is due for `ANALYZE`.
#[derive(Debug, Default)]
pub(crate) struct Freshness {
    writes: AtomicU64,
    size: AtomicU64,
    running: AtomicBool,
}

impl Freshness {
    /// Counts a write; true when the table is due and no analysis is running (the caller
    /// then runs one and calls [`done`](Self::done)).
    pub(crate) fn wrote(&self) -> bool {
        let writes = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let due = writes >= self.size.load(Ordering::Relaxed).max(MIN_WRITES);
        due && !self.running.swap(true, Ordering::AcqRel)
    }

    /// Ends an analysis: the writes counted so far are in the statistics.
    pub(crate) fn done(&self) {
        let writes = self.writes.swap(0, Ordering::Relaxed);
        self.size.fetch_add(writes, Ordering::Relaxed);
        self.running.store(false, Ordering::Release);
    }
}

/// Runs `ANALYZE heads`.
pub(crate) async fn analyze(pool: &Pool) -> Result<()> {
    let client = connection(pool).await?;
    client
        .batch_execute("ANALYZE heads")
        .await
        .map_err(Error::store)
}
