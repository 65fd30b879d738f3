//! Search statistics: per model, how many heads it has and, per indexed field, how many heads
//! share a value on average; what [`access`](crate::access) plans from.
//!
//! SQLite's `ANALYZE` would give the same figures, but it holds the write lock while it reads
//! every index (seconds at a million heads), and its sampling mode (`analysis_limit`) reads
//! the first entries of an index in value order, so it sees one value of a field with few
//! distinct values and reports it as rare. The store measures instead: one scan of each
//! slot index, on the writer's connection after a commit, when a model's writes since the
//! last measure reach its size (so at 1,000, 2,000, 4,000… heads: amortized, a few
//! microseconds per write), and after each registration. Writes by other processes sharing
//! the file are not counted; they only age the estimates.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use rusqlite::Connection;
use specstar_core::{Error, Result};

use crate::indexes::{self, TimeOrder, model_literal};

/// The fewest writes after which a model's statistics are measured again.
const MIN_WRITES: u64 = 1_000;

/// The statistics of one model.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Stats {
    /// The model's heads.
    pub rows: f64,
    /// Per slot, the average heads per distinct non-null value.
    pub per_value: Vec<f64>,
}

/// The statistics of every model, shared by the writer (which measures) and the readers.
#[derive(Debug, Default)]
pub(crate) struct StatsCache {
    models: RwLock<HashMap<String, Entry>>,
}

#[derive(Debug, Default)]
struct Entry {
    stats: Option<Arc<Stats>>,
    writes: u64,
}

impl StatsCache {
    /// The model's statistics, if measured.
    pub(crate) fn get(&self, model: &str) -> Option<Arc<Stats>> {
        self.models.read().get(model).and_then(|e| e.stats.clone())
    }

    /// Counts a committed write to `model`; returns whether its statistics are due.
    fn wrote(&self, model: &str) -> bool {
        let mut models = self.models.write();
        let entry = models.entry(model.to_owned()).or_default();
        entry.writes += 1;
        let size = entry.stats.as_ref().map_or(0.0, |s| s.rows) as u64;
        entry.writes >= size.max(MIN_WRITES)
    }

    fn set(&self, model: &str, stats: Stats) {
        let mut models = self.models.write();
        let entry = models.entry(model.to_owned()).or_default();
        entry.stats = Some(Arc::new(stats));
        entry.writes = 0;
    }

    /// After a commit: measures the models registered in it, and those whose writes made
    /// their statistics due. A failure is logged: statistics only guide plans.
    pub(crate) fn after_commit<'a>(
        &self,
        conn: &Connection,
        written: impl Iterator<Item = &'a str>,
        registered: impl Iterator<Item = &'a str>,
    ) {
        let mut due: Vec<&str> = written.filter(|m| self.wrote(m)).collect();
        due.extend(registered);
        due.sort_unstable();
        due.dedup();
        for model in due {
            match measure(conn, model) {
                Ok(stats) => {
                    tracing::debug!(model, rows = stats.rows, "measured search statistics");
                    self.set(model, stats);
                }
                Err(e) => tracing::warn!(model, error = %e, "measuring search statistics failed"),
            }
        }
    }
}

/// Measures a model's statistics through its search indexes.
pub(crate) fn measure(conn: &Connection, model: &str) -> Result<Stats> {
    let fields = crate::search::indexed_fields(conn, model)?;
    let only = model_literal(model)?;
    let count = |sql: String| -> Result<f64> {
        conn.query_row(&sql, [], |row| row.get::<_, i64>(0))
            .map(|n| n as f64)
            .map_err(Error::store)
    };
    let rows = count(format!(
        "SELECT count(*) FROM heads INDEXED BY \"{}\" WHERE model = {only}",
        indexes::order_index(model, TimeOrder::Created)
    ))?;
    let mut per_value = Vec::with_capacity(fields.len());
    for slot in 0..fields.len() {
        let distinct = count(format!(
            "SELECT count(DISTINCT v{slot}) FROM heads INDEXED BY \"{}\" WHERE model = {only}",
            indexes::slot_index(model, slot)
        ))?;
        per_value.push(rows / distinct.max(1.0));
    }
    Ok(Stats { rows, per_value })
}
