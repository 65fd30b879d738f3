//! The cost of a schema change on a store made by `fill` (the workload's `v1`): registering
//! `v2` (which reindexes the old heads by their upcast data), a read of an old revision
//! (upcast) against a read of a current one, and the rate of `migrate_all`.
//!
//! ```text
//! cargo run --release -p specstar-bench --example fill -- --store sqlite --data-dir DIR
//! cargo run --release -p specstar-bench --example migrate_rate -- DIR
//! ```
//!
//! The step from v1 to v2 keeps the data as it is, so what is measured is the upcast itself:
//! decoding, the step, the model's check and the canonical encoding.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use specstar::{
    DynResourceManager, ModelDescriptor, Query, ResourceId, Schema, SqliteStore, Store, StreamExt,
};
use specstar_bench::workload::Issue;

/// Reads measured per round.
const SAMPLE: usize = 2_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .context("usage: migrate_rate DIR (a store made by the fill example)")?;
    let file = std::path::Path::new(&dir).join(specstar::DATABASE_FILE);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&file)?);
    let v2 = Schema::<Issue>::new("v2")
        .name("issue")
        .index("status")
        .index("severity")
        .index("assignee")
        .migrate_json("v1", "v2", Ok::<_, String>)
        .build()?;
    let model = Arc::new(v2);
    let mgr = DynResourceManager::new(model.clone(), store.clone());
    let begun = Instant::now();
    mgr.check_migratable().await?;
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    println!(
        "registering v2 (reindexing the v1 heads by their upcast data): {:.2} s",
        begun.elapsed().as_secs_f64()
    );
    let ids = sample(&mgr).await?;
    println!(
        "get of a v1 revision, upcast: {}",
        latency(&mgr, &ids).await?
    );
    let begun = Instant::now();
    let report = mgr.migrate_all(|_| {}).await?;
    let seconds = begun.elapsed().as_secs_f64();
    println!(
        "migrate_all: {} resources in {seconds:.1} s ({:.0}/s)",
        report.migrated,
        report.migrated as f64 / seconds
    );
    println!(
        "get of a v2 revision, current: {}",
        latency(&mgr, &ids).await?
    );
    Ok(())
}

/// The first [`SAMPLE`] resources.
async fn sample(mgr: &DynResourceManager) -> anyhow::Result<Vec<ResourceId>> {
    let mut heads = mgr.iter_all(&Query::all());
    let mut ids = Vec::with_capacity(SAMPLE);
    while let Some(meta) = heads.next().await {
        ids.push(meta?.resource_id);
        if ids.len() == SAMPLE {
            break;
        }
    }
    Ok(ids)
}

/// The median of three rounds of a read of each of `ids`: per read, and reads per second.
async fn latency(mgr: &DynResourceManager, ids: &[ResourceId]) -> anyhow::Result<String> {
    let mut rounds = Vec::with_capacity(3);
    for _ in 0..3 {
        let begun = Instant::now();
        for id in ids {
            mgr.get(id.as_str(), None, false).await?;
        }
        rounds.push(begun.elapsed() / ids.len() as u32);
    }
    rounds.sort();
    let median: Duration = rounds[1];
    Ok(format!(
        "{:.1} µs ({:.0}/s)",
        median.as_secs_f64() * 1e6,
        1.0 / median.as_secs_f64()
    ))
}
