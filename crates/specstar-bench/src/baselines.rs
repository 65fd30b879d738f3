//! The machine's own limits, measured beside the workload in the same run: a few lines of
//! plain Rust each, on the same data, so that a ratio against them says how close a store
//! comes to what the hardware and the database allow.
//!
//! - `sqlite_get_per_s`: a raw rusqlite primary-key lookup of the workload's data bytes (one
//!   prepared statement, the bytes copied out), the ceiling of the embedded `get`;
//! - `sqlite_batched_insert_per_s`: rows of those bytes inserted by 32 callers' worth of rows a
//!   transaction, WAL with `synchronous=FULL` (one fsync per commit), the ceiling of 32
//!   concurrent durable creates;
//! - `postgres_insert_32_per_s`: 32 connections inserting a row each per statement
//!   (autocommit), the ceiling of 32 concurrent creates on PostgreSQL.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use rusqlite::{Connection, params};

use crate::workload;

/// Rows a batch of [`sqlite_batched_insert`] commits at once: phase h's writers.
const BATCH: usize = crate::phases::WRITERS;

/// The workload's data for item `i`, as the bytes a store keeps (its JSON).
fn data(i: usize) -> Vec<u8> {
    serde_json::to_vec(&workload::item(i, false)).expect("an issue serializes")
}

/// An embedded database in `dir` with `n` rows of the workload's data, WAL, `synchronous`
/// as given.
fn database(dir: &Path, name: &str, synchronous: &str) -> anyhow::Result<Connection> {
    let conn = Connection::open(dir.join(name)).context("opening the baseline's database")?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous};
         CREATE TABLE r (id TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;"
    ))?;
    Ok(conn)
}

/// Primary-key lookups per second of `n` rows, each copying the data out.
///
/// # Errors
/// A SQLite error.
pub fn sqlite_get(dir: &Path, n: usize) -> anyhow::Result<f64> {
    let mut conn = database(dir, "get.db", "NORMAL")?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO r (id, data) VALUES (?1, ?2)")?;
        for i in 0..n {
            insert.execute(params![format!("issue:{i:08}"), data(i)])?;
        }
    }
    tx.commit()?;
    let ids: Vec<String> = workload::visiting_order(n)
        .map(|i| format!("issue:{i:08}"))
        .collect();
    let mut get = conn.prepare_cached("SELECT data FROM r WHERE id = ?1")?;
    let start = Instant::now();
    let mut bytes = 0usize;
    for id in &ids {
        let data: Vec<u8> = get.query_row([id], |row| row.get(0))?;
        bytes += data.len();
    }
    let rate = ids.len() as f64 / start.elapsed().as_secs_f64();
    anyhow::ensure!(bytes > 0, "the lookups found nothing");
    Ok(rate)
}

/// Rows per second inserted in transactions of 32 rows (phase h's writers), each commit
/// durable.
///
/// # Errors
/// A SQLite error.
pub fn sqlite_batched_insert(dir: &Path, n: usize) -> anyhow::Result<f64> {
    let mut conn = database(dir, "insert.db", "FULL")?;
    let rows: Vec<(String, Vec<u8>)> = (0..n).map(|i| (format!("issue:{i:08}"), data(i))).collect();
    let start = Instant::now();
    for batch in rows.chunks(BATCH) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO r (id, data) VALUES (?1, ?2)")?;
            for (id, data) in batch {
                insert.execute(params![id, data])?;
            }
        }
        tx.commit()?;
    }
    Ok(rows.len() as f64 / start.elapsed().as_secs_f64())
}

/// Rows per second inserted by `connections` connections at once into a fresh table of the
/// database at `url`, a statement (and a commit) a row.
///
/// # Errors
/// A connection or SQL error.
pub async fn postgres_inserts(url: &str, n: usize, connections: usize) -> anyhow::Result<f64> {
    let (setup, task) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to the baseline's database")?;
    tokio::spawn(task);
    setup
        .batch_execute(
            "DROP TABLE IF EXISTS baseline_r; \
             CREATE TABLE baseline_r (id text PRIMARY KEY, data jsonb NOT NULL)",
        )
        .await?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..connections {
        let (client, task) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(task);
        clients.push(client);
    }
    let start = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for client in clients {
        let next = next.clone();
        writers.spawn(async move {
            let insert = client
                .prepare("INSERT INTO baseline_r (id, data) VALUES ($1, $2)")
                .await?;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, tokio_postgres::Error>(());
                }
                let data: serde_json::Value = serde_json::from_slice(&data(i)).expect("JSON");
                client
                    .execute(&insert, &[&format!("issue:{i:08}"), &data])
                    .await?;
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.context("a writer panicked")??;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    setup.batch_execute("DROP TABLE baseline_r").await?;
    Ok(rate)
}
