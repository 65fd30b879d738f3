//! How fast the change feed follows writers: a tailer on `watch` while 32 writers create.
//!
//! ```text
//! cargo run --release -p specstar-bench --example feed_rate -- --store sqlite [--n N] [--writers W]
//! cargo run --release -p specstar-bench --example feed_rate -- --store postgres --database-url URL
//! ```
//!
//! Measures, in one run on a fresh store (memory, SQLite or PostgreSQL):
//! - the writers' rate: N creates of the workload's items by W concurrent callers;
//! - the tailer's rate: events per second a `watch` stream yields while they write, from the
//!   first write to the last event, and how long after the last write returned the tailer saw
//!   it (its lag);
//! - the catch-up rate: events per second of paging the same N events afterwards, 1,000 a page
//!   (what a consumer that was away reads at).
//!
//! The tailer must see exactly N events, in increasing sequence; the run fails otherwise.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use futures_util::StreamExt;
use specstar::feed::{ModelFilter, changes, watch};
use specstar::{ModelDescriptor, ResourceManager, Store};
use specstar_bench::store::{StoreArgs, open_store};
use specstar_bench::workload::{self, Issue};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// How many creates in all.
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// How many concurrent writers.
    #[arg(long, default_value_t = 32)]
    writers: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.writers >= 1 && args.n >= args.writers,
        "--n must be at least --writers"
    );
    let opened = open_store(&args.store).await?;
    let store = opened.store.clone();
    let model = Arc::new(workload::schema().build()?);
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    let mgr = ResourceManager::<Issue>::new(model, store.clone())?;
    // The feed from here on: a store that already holds events (PostgreSQL) is fine.
    let start = mgr.create(workload::item(0, false)).await?.sequence;

    let begun = Instant::now();
    let tailer = tokio::spawn(tail(store.clone(), start, args.n));
    let per_writer = args.n / args.writers;
    let writers: Vec<_> = (0..args.writers)
        .map(|w| {
            let mgr = mgr.clone();
            let count = per_writer + usize::from(w < args.n % args.writers);
            tokio::spawn(async move {
                for i in 0..count {
                    mgr.create(workload::item(w * 1_000_000 + i, false)).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.await.context("a writer panicked")??;
    }
    let written = begun.elapsed();
    let tailed = tokio::time::timeout(Duration::from_secs(120), tailer)
        .await
        .context("the tailer did not see every event within 120 s of the last write")?
        .context("the tailer panicked")??;
    let caught_up = catch_up(&*store, start, args.n).await?;

    let rate = |d: Duration| args.n as f64 / d.as_secs_f64();
    println!(
        "store: {} ({} writers, {} creates)",
        args.store.store.name(),
        args.writers,
        args.n
    );
    println!("writes/s:           {:>10.0}", rate(written));
    println!("tailer events/s:    {:>10.0}", rate(tailed));
    println!(
        "tailer lag:         {:>10.1} ms after the last write",
        tailed.saturating_sub(written).as_secs_f64() * 1e3
    );
    println!("catch-up events/s:  {:>10.0}", rate(caught_up));
    drop(opened);
    Ok(())
}

/// Follows the feed after `start` until `n` events came; answers the time it took.
async fn tail(store: Arc<dyn Store>, start: u64, n: usize) -> anyhow::Result<Duration> {
    let begun = Instant::now();
    let mut stream = Box::pin(watch(store, start, ModelFilter::all()));
    let mut last = start;
    for _ in 0..n {
        let event = stream.next().await.context("the watch ended")??;
        if event.sequence() <= last {
            bail!("event {} came after {last}", event.sequence());
        }
        last = event.sequence();
    }
    Ok(begun.elapsed())
}

/// Pages the `n` events after `start`, 1,000 at a time; answers the time it took.
async fn catch_up(store: &dyn Store, start: u64, n: usize) -> anyhow::Result<Duration> {
    let begun = Instant::now();
    let (mut since, mut read) = (start, 0);
    while read < n {
        let page = changes(store, since, 1_000, &ModelFilter::all()).await?;
        ensure!(
            !page.changes.is_empty(),
            "the feed ended after {read} of {n} events"
        );
        read += page.changes.len();
        since = page.last_seq;
    }
    Ok(begun.elapsed())
}
