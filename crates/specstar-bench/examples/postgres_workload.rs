//! The versioning workload (v1) on the PostgreSQL store, in-process, one caller: create,
//! update, get, get revision 1, history, search and delete/restore, each phase timed alone.
//!
//! ```text
//! cargo run --release -p specstar-bench --example postgres_workload -- \
//!     postgres://postgres@127.0.0.1:5432/test 2000
//! ```
//!
//! It works in a schema of its own (`specstar_workload_<pid>`), dropped at the end. The URL
//! defaults to `SPECSTAR_DATABASE_URL`, N to 2,000; a third argument `async-commit` runs it with
//! `synchronous_commit` off (see `PostgresOptions::synchronous_commit`).

use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{
    Direction, Field, Filter, MetaField, ModelDescriptor, Op, PostgresOptions, PostgresStore,
    Query, ResourceId, ResourceManager, Schema, Store, Timestamp,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    description: Option<String>,
    status: String,
    severity: String,
    assignee: Option<String>,
    due_date: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
}

const STATUS: [&str; 3] = ["open", "in_progress", "resolved"];
const SEVERITY: [&str; 3] = ["low", "medium", "high"];

fn assignee(k: usize) -> String {
    format!("user{:02}", k % 20)
}

fn item(i: usize, updated: bool) -> Issue {
    let sentence = format!("Steps to reproduce item {i:06}. ");
    let description: String = sentence.repeat(200 / sentence.len() + 1)[..200].to_owned();
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().expect("a time");
    let due = Timestamp::from_micros(start.as_micros() + i as i64 * 60_000_000).expect("in range");
    Issue {
        title: format!("Issue {i:06}: search returns duplicate rows"),
        description: Some(description),
        status: STATUS[(i + usize::from(updated)) % 3].to_owned(),
        severity: SEVERITY[(i / 3) % 3].to_owned(),
        assignee: Some(assignee(7 * i + usize::from(updated))),
        due_date: Some(due),
        resolved_at: None,
    }
}

fn report(phase: &str, ops: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{phase:<15} {ops:>7} ops {secs:>8.3} s {:>10.0} ops/s",
        ops as f64 / secs
    );
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = match args.next() {
        Some(url) => url,
        None => std::env::var("SPECSTAR_DATABASE_URL")?,
    };
    let n: usize = args.next().map_or(Ok(2_000), |a| a.parse())?;
    let durable = args.next().as_deref() != Some("async-commit");
    let schema = format!("specstar_workload_{}", std::process::id());
    let options = PostgresOptions::new(&url)?
        .schema(&schema)?
        .synchronous_commit(durable);
    println!(
        "synchronous_commit: {}",
        if durable {
            "on (every write flushed)"
        } else {
            "off"
        }
    );
    let store = PostgresStore::connect_with(options).await?;
    let result = run(store.clone(), n).await;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let bytes: i64 = client
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&schema],
        )
        .await?
        .get(0);
    println!("bytes in the schema's tables (with indexes and toast): {bytes}");
    store.close();
    if std::env::var_os("WORKLOAD_KEEP").is_some() {
        println!("kept schema {schema}");
    } else {
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await?;
    }
    result
}

type Outcome<T = ()> = Result<T, Box<dyn std::error::Error>>;

async fn run(pg: PostgresStore, n: usize) -> Outcome {
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let schema = Schema::<Issue>::new("v1")
        .index("status")
        .index("severity")
        .index("assignee");
    let model = Arc::new(schema.build()?);
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    let mgr = ResourceManager::<Issue>::new(model, store)?;
    let order: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
    let total = Instant::now();
    println!("PostgreSQL store, N = {n}, one caller, in-process");
    let ids = writes(&mgr, n).await?;
    reads(&mgr, &ids, &order).await?;
    search(&pg, &mgr, n).await?;
    delete_restore(&mgr, &ids).await?;
    println!(
        "total {:.2} s, peak RSS {:.0} MB",
        total.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    concurrent(&mgr, &ids).await
}

/// The create and update phases; answers the ids created.
async fn writes(mgr: &ResourceManager<Issue>, n: usize) -> Outcome<Vec<ResourceId>> {
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(mgr.create(item(i, false)).await?.resource_id);
    }
    report("create", n, started);

    let started = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let info = mgr.update(id, item(i, true)).await?;
        assert_eq!(info.number(), 2);
    }
    report("update", n, started);
    Ok(ids)
}

/// The get, get revision 1 and history phases, in `order`.
async fn reads(mgr: &ResourceManager<Issue>, ids: &[ResourceId], order: &[usize]) -> Outcome {
    let started = Instant::now();
    for &i in order {
        let found = mgr.get(&ids[i]).await?;
        assert_eq!(found.data, item(i, true), "get returns the updated data");
    }
    report("get", order.len(), started);

    let started = Instant::now();
    for &i in order {
        let found = mgr.get_revision(&ids[i], format!("{}:1", ids[i])).await?;
        assert_eq!(found.data, item(i, false), "revision 1 is the created data");
    }
    report("get_rev1", order.len(), started);

    let started = Instant::now();
    for &i in order {
        assert_eq!(mgr.list_revisions(&ids[i]).await?.len(), 2, "two revisions");
    }
    report("history", order.len(), started);
    Ok(())
}

/// The search phase: 1,000 searches for the newest 20 open, high issues, and a count.
async fn search(pg: &PostgresStore, mgr: &ResourceManager<Issue>, n: usize) -> Outcome {
    let filter = Filter::And(vec![
        Filter::data("severity", Op::Eq, "high"),
        Filter::data("status", Op::Eq, "open"),
    ]);
    let query = Query::all()
        .filter(filter.clone())
        .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
        .limit(20);
    let expected = (0..n)
        .filter(|&i| item(i, true).severity == "high" && item(i, true).status == "open")
        .count();
    if std::env::var_os("WORKLOAD_EXPLAIN").is_some() {
        println!("{}", pg.explain_search("issue", &query).await?);
    }
    let started = Instant::now();
    for _ in 0..1_000 {
        // The heads: they carry the indexed values, which the check reads.
        let found = mgr.search(&query).await?;
        assert_eq!(found.len(), 20.min(expected));
        assert!(found.iter().all(|m| {
            m.indexed_data.get("severity") == Some(&"high".into())
                && m.indexed_data.get("status") == Some(&"open".into())
        }));
    }
    let count = mgr.count_matching(&Query::all().filter(filter)).await?;
    assert_eq!(count as usize, expected, "count matches the filter");
    report("search", 1_000, started);
    Ok(())
}

/// The delete and restore phase, on every tenth resource.
async fn delete_restore(mgr: &ResourceManager<Issue>, ids: &[ResourceId]) -> Outcome {
    let started = Instant::now();
    let chosen: Vec<&ResourceId> = ids.iter().step_by(10).collect();
    for id in &chosen {
        mgr.delete(id).await?;
    }
    for id in &chosen {
        mgr.restore(id).await?;
    }
    report("delete_restore", chosen.len() * 2, started);
    Ok(())
}

/// Beyond the workload: a read and an update of every resource from 16 callers at once, to
/// show the store under concurrency (commits pass the sequence counter's row one at a time,
/// so with synchronous commits the flush time bounds the whole store's writes).
async fn concurrent(mgr: &ResourceManager<Issue>, ids: &[ResourceId]) -> Outcome {
    let callers = 16;
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let mgr = mgr.clone();
            let ids: Vec<_> = ids.iter().skip(c).step_by(callers).cloned().collect();
            tokio::spawn(async move {
                for id in ids {
                    let mut data = mgr.get(&id).await?.data;
                    data.resolved_at = Some(Timestamp::now());
                    mgr.update(&id, data).await?;
                }
                Ok::<_, specstar::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    report("(extra) x16", ids.len(), started);
    Ok(())
}
