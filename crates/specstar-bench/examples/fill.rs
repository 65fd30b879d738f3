//! Fills a store with the workload's items, for measuring tools on a large store (`specstar
//! export`, `specstar verify`).
//!
//! ```text
//! cargo run --release -p specstar-bench --example fill -- --store sqlite --data-dir DIR \
//!     [--resources 100000] [--revisions 3] [--writers 32] [--model-file FILE]
//! ```
//!
//! `--model-file` also writes the workload's model as a model file of the `specstar` binary
//! (JSON), so that `specstar import` can load an export of the store.
//!
//! Each resource gets `--revisions` revisions: its create, then updates alternating between the
//! workload's updated and original item. The store must be empty.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Parser;
use specstar::{ModelDescriptor, ResourceManager};
use specstar_bench::store::{StoreArgs, open_store};
use specstar_bench::workload::{self, Issue};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// How many resources.
    #[arg(long, default_value_t = 100_000)]
    resources: usize,
    /// Revisions per resource (at least 1).
    #[arg(long, default_value_t = 3)]
    revisions: usize,
    /// Concurrent writers.
    #[arg(long, default_value_t = 32)]
    writers: usize,
    /// Where to write the workload's model as a model file (JSON), if anywhere.
    #[arg(long)]
    model_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.revisions >= 1 && args.writers >= 1,
        "--revisions and --writers are at least 1"
    );
    let opened = open_store(&args.store).await?;
    let store = opened.store.clone();
    let model = Arc::new(workload::schema().build()?);
    if let Some(path) = &args.model_file {
        let file = serde_json::json!({
            "name": model.name(),
            "schema_version": &**model.schema_version(),
            "indexes": model.indexed_fields().iter().map(|f| f.path()).collect::<Vec<_>>(),
            "schema": model.json_schema(),
        });
        std::fs::write(path, serde_json::to_vec_pretty(&file)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    let mgr = ResourceManager::<Issue>::new(model, store)?;
    let begun = Instant::now();
    let tasks: Vec<_> = (0..args.writers)
        .map(|w| {
            let mgr = mgr.clone();
            let (total, revisions, writers) = (args.resources, args.revisions, args.writers);
            tokio::spawn(async move {
                for i in (w..total).step_by(writers) {
                    let id = mgr.create(workload::item(i, false)).await?.resource_id;
                    for r in 1..revisions {
                        mgr.update(&id, workload::item(i, r % 2 == 1)).await?;
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await.context("a writer panicked")??;
    }
    let seconds = begun.elapsed().as_secs_f64();
    let writes = args.resources * args.revisions;
    println!(
        "{} resources x {} revisions: {writes} writes in {seconds:.1} s ({:.0}/s)",
        args.resources,
        args.revisions,
        writes as f64 / seconds
    );
    if let Some(dir) = &opened.dir {
        println!("in {}", dir.path().display());
    }
    Ok(())
}
