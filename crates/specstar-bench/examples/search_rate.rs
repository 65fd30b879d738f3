//! Searches per second on the embedded store at a given size: the workload's search
//! (`severity == high AND status == open`, newest first, 20 a page) and its count.
//!
//! `cargo run --release -p specstar-bench --example search_rate -- N FILE`
//!
//! FILE is kept, so that a large store is loaded once: a run loads only the issues FILE lacks,
//! with 64 concurrent writers (group commit), each with the data the workload's issue has after
//! its update phase. It then times 1,000 searches five times and prints each round's rate, the
//! median, and the count (checked against the workload's formula).

use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{
    Direction, Field, Filter, MetaField, ModelDescriptor, Op, Query, ResourceManager, Schema,
    SqliteStore, Store, Timestamp,
};

const STATUS: [&str; 3] = ["open", "in_progress", "resolved"];
const SEVERITY: [&str; 3] = ["low", "medium", "high"];

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    description: Option<String>,
    status: String,
    severity: String,
    assignee: Option<String>,
    due_date: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
}

/// The workload's item `i` after its update.
fn updated_item(i: usize) -> Issue {
    let description: String = format!("Steps to reproduce item {i:06}. ")
        .repeat(8)
        .chars()
        .take(200)
        .collect();
    let due =
        Timestamp::from_micros(1_767_225_600_000_000 + i as i64 * 60_000_000).expect("in range");
    Issue {
        title: format!("Issue {i:06}: search returns duplicate rows"),
        description: Some(description),
        status: STATUS[(i + 1) % 3].into(),
        severity: SEVERITY[(i / 3) % 3].into(),
        assignee: Some(format!("user{:02}", (7 * i + 1) % 20)),
        due_date: Some(due),
        resolved_at: None,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().ok_or("usage: search_rate N FILE")?.parse()?;
    let file = args.next().ok_or("usage: search_rate N FILE")?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&file)?);
    let schema = Schema::<Issue>::new("v1")
        .index("status")
        .index("severity")
        .index("assignee");
    let model = Arc::new(schema.build()?);
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    let mgr = ResourceManager::<Issue>::new(model, store.clone())?;

    let have = mgr.count().await? as usize;
    if have < n {
        let start = Instant::now();
        let writers = 64;
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let mgr = mgr.clone();
                tokio::spawn(async move {
                    for i in (have + w..n).step_by(writers) {
                        mgr.create_with_id(format!("issue:{i:07}"), updated_item(i))
                            .await?;
                    }
                    Ok::<_, specstar::Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "loaded {} issues in {secs:.1} s ({:.0}/s)",
            n - have,
            (n - have) as f64 / secs
        );
    }

    let filter = Filter::And(vec![
        Filter::data("severity", Op::Eq, "high"),
        Filter::data("status", Op::Eq, "open"),
    ]);
    let query = Query::all()
        .filter(filter.clone())
        .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
        .limit(20);
    let mut rates = Vec::new();
    for round in 0..5 {
        let start = Instant::now();
        for _ in 0..1000 {
            let found = mgr.search(&query).await?;
            assert_eq!(found.len(), 20, "a full page");
        }
        let rate = 1000.0 / start.elapsed().as_secs_f64();
        println!("round {round}: {rate:.0} searches/s");
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let start = Instant::now();
    let count = mgr.count_matching(&Query::all().filter(filter)).await?;
    let count_ms = start.elapsed().as_secs_f64() * 1000.0;
    let expected = (0..n)
        .filter(|&i| SEVERITY[(i / 3) % 3] == "high" && STATUS[(i + 1) % 3] == "open")
        .count() as u64;
    assert_eq!(count, expected, "the count matches the workload's formula");
    println!(
        "n={n}: median {:.0} searches/s; count {count} in {count_ms:.1} ms",
        rates[2]
    );
    Ok(())
}
