//! How fast durable writes are, against what the disk allows.
//!
//! ```text
//! cargo run --release -p specstar-bench --example write_rate -- [--n N] [--dir DIR] [--runs R]
//! ```
//!
//! Measures, in DIR (default: the system's temporary directory):
//! - (a) the disk's own rate of durable appends: a 4 KiB `write` then `sync_all` (fsync), N
//!   times; and the same with `sync_data` (fdatasync);
//! - (b) creates per second of one caller alone through a `ResourceManager` on a fresh
//!   `SqliteStore`, each create durable before the next starts;
//! - (c) creates per second of 32 concurrent callers (N creates in all) on a fresh store, which
//!   group commit lets share fsyncs.
//!
//! and prints (b)/(a), how close one caller gets to the disk's fsync rate, and (c)/(b), what
//! group commit gains. The measures take turns (a tenth of each at a time), so that a disk whose
//! speed drifts treats them alike. With `--runs R` it repeats everything R times and prints the
//! medians.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{ModelDescriptor, ResourceManager, Schema, SqliteStore, Store};

/// A small issue, as an issue tracker would keep it.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    description: String,
    status: String,
    severity: String,
    assignee: Option<String>,
}

const WRITERS: usize = 32;
/// How many turns the measures take (see `measure`).
const ROUNDS: usize = 10;

struct Args {
    n: usize,
    dir: PathBuf,
    runs: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        n: 3000,
        dir: std::env::temp_dir(),
        runs: 1,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--n" => args.n = value()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--dir" => args.dir = value()?.into(),
            "--runs" => args.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --n, --dir or --runs"
                ));
            }
        }
    }
    if args.n < WRITERS * ROUNDS || args.runs == 0 {
        return Err(format!(
            "--n must be at least {} and --runs at least 1",
            WRITERS * ROUNDS
        ));
    }
    Ok(args)
}

/// One run's figures, in operations per second.
struct Figures {
    fsync: f64,
    fdatasync: f64,
    single: f64,
    concurrent: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut runs = Vec::new();
    for run in 1..=args.runs {
        let dir = args
            .dir
            .join(format!("specstar-write-rate-{}-{run}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let figures = runtime.block_on(measure(&dir, args.n));
        std::fs::remove_dir_all(&dir)?;
        let figures = figures?;
        println!("run {run} (n = {}, in {}):", args.n, args.dir.display());
        print(&figures);
        runs.push(figures);
    }
    if runs.len() > 1 {
        let median = |f: &dyn Fn(&Figures) -> f64| {
            let mut values: Vec<f64> = runs.iter().map(f).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!("median of {} runs:", runs.len());
        print_rates(&Figures {
            fsync: median(&|f| f.fsync),
            fdatasync: median(&|f| f.fdatasync),
            single: median(&|f| f.single),
            concurrent: median(&|f| f.concurrent),
        });
        // The median of each run's own ratio, not the ratio of medians of different runs.
        print_ratios(
            median(&|f| f.single / f.fsync),
            median(&|f| f.concurrent / f.single),
        );
    }
    Ok(())
}

fn print(f: &Figures) {
    print_rates(f);
    print_ratios(f.single / f.fsync, f.concurrent / f.single);
}

fn print_rates(f: &Figures) {
    println!("  (a) 4 KiB write + fsync:       {:>9.0} /s", f.fsync);
    println!("      4 KiB write + fdatasync:   {:>9.0} /s", f.fdatasync);
    println!("  (b) creates, 1 caller:         {:>9.0} /s", f.single);
    println!(
        "  (c) creates, {WRITERS} callers:       {:>9.0} /s",
        f.concurrent
    );
}

fn print_ratios(single_to_disk: f64, concurrent_to_single: f64) {
    println!(
        "  (b)/(a) = {single_to_disk:.2} (goal >= 0.80)   (c)/(b) = {concurrent_to_single:.1} (goal >= 20)"
    );
}

async fn measure(dir: &Path, n: usize) -> Result<Figures, Box<dyn std::error::Error>> {
    // The disk's speed drifts (a virtual disk shares its host's), so the four measures take
    // turns, a slice of each per round, and each figure sums its own slices: every figure
    // sees the same conditions and the ratios stay fair.
    let mut fsync_file = raw_file(&dir.join("raw-fsync"))?;
    let mut fdatasync_file = raw_file(&dir.join("raw-fdatasync"))?;
    let single = manager(&dir.join("single.db")).await?;
    let concurrent = manager(&dir.join("concurrent.db")).await?;
    let mut spent = [Duration::ZERO; 4];
    let mut created = 0;
    for round in 0..ROUNDS {
        let slice = n / ROUNDS + usize::from(round < n % ROUNDS);
        spent[0] += disk_time(&mut fsync_file, slice, std::fs::File::sync_all)?;
        spent[1] += disk_time(&mut fdatasync_file, slice, std::fs::File::sync_data)?;
        let start = Instant::now();
        for _ in 0..slice {
            single.create(issue(created)).await?;
            created += 1;
        }
        spent[2] += start.elapsed();
        let start = Instant::now();
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let issues = concurrent.clone();
                let count = slice / WRITERS + usize::from(w < slice % WRITERS);
                let first = created + w * slice;
                tokio::spawn(async move {
                    for i in first..first + count {
                        issues.create(issue(i)).await?;
                    }
                    Ok::<_, specstar::Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        spent[3] += start.elapsed();
    }
    let rate = |spent: Duration| n as f64 / spent.as_secs_f64();
    Ok(Figures {
        fsync: rate(spent[0]),
        fdatasync: rate(spent[1]),
        single: rate(spent[2]),
        concurrent: rate(spent[3]),
    })
}

fn raw_file(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
}

/// The time `n` durable 4 KiB appends take, each made durable by `sync`.
fn disk_time(
    file: &mut std::fs::File,
    n: usize,
    sync: fn(&std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<Duration> {
    let block = [0x5a_u8; 4096];
    let start = Instant::now();
    for _ in 0..n {
        file.write_all(&block)?;
        sync(file)?;
    }
    Ok(start.elapsed())
}

async fn manager(path: &Path) -> Result<ResourceManager<Issue>, Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::open(path)?);
    let model = Arc::new(Schema::<Issue>::new("v1").index("status").build()?);
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    Ok(ResourceManager::new(model, store)?)
}

fn issue(i: usize) -> Issue {
    Issue {
        title: format!("Issue number {i}: the export button does nothing"),
        description: "Clicking export on the report page shows a spinner that never ends; \
                      the browser console shows a 502 from the export endpoint."
            .into(),
        status: ["open", "in_progress", "closed"][i % 3].into(),
        severity: ["low", "medium", "high", "critical"][i % 4].into(),
        assignee: i.is_multiple_of(2).then(|| format!("user{}", i % 17)),
    }
}
