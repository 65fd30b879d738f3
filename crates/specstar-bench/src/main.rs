//! `specstar-bench`: the versioning workload on one store, as one JSON line.
//!
//! ```text
//! cargo run --release -p specstar-bench -- --store memory|sqlite [--n N] [--data-dir DIR]
//! cargo run --release -p specstar-bench -- fsync-rate [--n N] [--dir DIR]
//! cargo run --release -p specstar-bench -- baselines [--n N] [--database-url URL]
//! ```
//!
//! The JSON line has the keys of the reference's `bench/reference/specstar_lib.py` (ops/s per
//! phase, `peak_rss_mb`, `disk_bytes`, `system`, `store`, `n`) plus `create_concurrent` and
//! `total_s`. A run whose checks fail exits non-zero and prints no line.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use specstar::{ResourceManager, Spec};
use specstar_bench::store::{OpenedStore, StoreArgs, StoreKind, open_store};
use specstar_bench::{baselines, fsync, phases, scale, system, workload};

/// Runs the versioning workload (bench/workload.md) and prints one JSON line.
#[derive(Parser)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// How many resources the workload writes (phase h writes as many again).
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Measures the disk's 4 KiB write+fsync and write+fdatasync rates; one JSON line.
    FsyncRate {
        /// How many appends each rate takes.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// The directory on the disk to measure (default: the temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The machine's limits on the workload's data: raw rusqlite lookups and batched durable
    /// inserts, and (with a database) 32 tokio-postgres connections inserting; one JSON line.
    Baselines {
        /// Rows each baseline reads or writes.
        #[arg(long, default_value_t = 10_000)]
        n: usize,
        /// Rows of the PostgreSQL baseline.
        #[arg(long, default_value_t = 2_000)]
        pg_n: usize,
        /// A PostgreSQL database for the insert baseline (its table is dropped after).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Read latency against size on the embedded store, and against history depth; one JSON
    /// line per size and per depth.
    Scale {
        /// Store sizes, ascending, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        sizes: Vec<usize>,
        /// Revision counts of the deep histories, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
        revisions: Vec<usize>,
        /// The time the loads of the sizes may take, in seconds; larger sizes are skipped.
        #[arg(long, default_value_t = 900)]
        budget_s: u64,
        /// Where the store's file goes (default: a temporary directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::FsyncRate { n, dir }) => {
            let dir = dir.unwrap_or_else(std::env::temp_dir);
            println!("{}", serde_json::to_string(&fsync::measure(&dir, n)?)?);
        }
        Some(Command::Scale {
            sizes,
            revisions,
            budget_s,
            data_dir,
        }) => scale_run(&sizes, &revisions, budget_s, data_dir).await?,
        Some(Command::Baselines {
            n,
            pg_n,
            database_url,
        }) => baselines_run(n, pg_n, database_url.as_deref()).await?,
        None => workload_run(&cli.store, cli.n).await?,
    }
    Ok(())
}

async fn workload_run(args: &StoreArgs, n: usize) -> anyhow::Result<()> {
    let start = Instant::now();
    let opened = open_store(args).await?;
    let spec = Spec::with_store(opened.store.clone());
    spec.add_model(workload::schema()).await?;
    let mgr = spec.resource_manager::<workload::Issue>()?;
    let mut peak_rss_mb = None;
    let mut disk_bytes = None;
    let rates = phases::run(&mgr, n, || {
        peak_rss_mb = system::peak_rss_mb();
        disk_bytes = opened
            .dir
            .as_ref()
            .map(|dir| system::disk_bytes(dir.path()));
    })
    .await?;
    let mut line = serde_json::to_value(&rates)?;
    let extra = serde_json::json!({
        "peak_rss_mb": peak_rss_mb,
        "disk_bytes": disk_bytes.unwrap_or(0),
        "system": concat!("specstar-rs-", env!("CARGO_PKG_VERSION")),
        "store": args.store.name(),
        "n": n,
        "total_s": (start.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.clone());
    }
    println!("{line}");
    Ok(())
}

/// The baselines, in a temporary directory on the disk the workload's stores use.
async fn baselines_run(n: usize, pg_n: usize, database_url: Option<&str>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let postgres = match database_url {
        Some(url) => Some(baselines::postgres_inserts(url, pg_n, phases::WRITERS).await?),
        None => None,
    };
    let line = serde_json::json!({
        "sqlite_get_per_s": baselines::sqlite_get(dir.path(), n)?,
        "sqlite_batched_insert_per_s": baselines::sqlite_batched_insert(dir.path(), n)?,
        "postgres_insert_32_per_s": postgres,
        "n": n,
        "pg_n": pg_n,
    });
    println!("{line}");
    Ok(())
}

/// The scale runs, each on a fresh embedded store: the sizes on one, the deep histories on
/// another (so that their resources do not change the sizes).
async fn scale_run(
    sizes: &[usize],
    revisions: &[usize],
    budget_s: u64,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let emit = |line: serde_json::Value| println!("{line}");
    let (_sized, mgr) = fresh_sqlite(data_dir.as_ref().map(|dir| dir.join("sizes"))).await?;
    let budget = std::time::Duration::from_secs(budget_s);
    scale::sizes(&mgr, sizes, budget, emit).await?;
    let (_deep, mgr) = fresh_sqlite(data_dir.as_ref().map(|dir| dir.join("revisions"))).await?;
    scale::revisions(&mgr, revisions, emit).await
}

/// A fresh embedded store with the workload's model registered, and its manager.
async fn fresh_sqlite(
    data_dir: Option<PathBuf>,
) -> anyhow::Result<(OpenedStore, ResourceManager<workload::Issue>)> {
    let args = StoreArgs {
        store: StoreKind::Sqlite,
        data_dir,
        database_url: None,
    };
    let opened = open_store(&args).await?;
    let spec = Spec::with_store(opened.store.clone());
    spec.add_model(workload::schema()).await?;
    let mgr = spec.resource_manager::<workload::Issue>()?;
    Ok((opened, mgr))
}
