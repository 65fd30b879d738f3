//! Two OS processes race writers on one database schema.
//!
//! The test starts this test binary twice more as workers (`race_worker`, told by environment
//! variables which schema and which process it is), on a schema neither has seen: both migrate
//! it and register the model at the same moment, then, at one agreed instant, each runs
//! several writer tasks:
//! - conditional updates: for each of `ROUNDS` resources every task creates it (one create
//!   wins, the others find it exists) and updates it expecting revision 1: across both
//!   processes exactly one update wins, the others get a conflict;
//! - unconditioned updates: every task updates each of `HOT` resources `UPDATES` times with
//!   data of its own: none is lost, and each history runs densely from 1, each revision the
//!   child of the one before.
//!
//! Meanwhile this process follows the store-wide sequence numbers like a change feed,
//! reading the revisions past the last number it saw, over and over: each number it reads is
//! the one right after the last (no gap, nothing skipped that commits later), and in the end
//! it has read every revision there is.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{TestSchema, test_url};
use specstar_conformance::fixtures::{Issue, issue, issue_schema, register};
use specstar_core::{Error, ResourceManager, Store};
use specstar_postgres::PostgresStore;

const SCHEMA_VAR: &str = "SPECSTAR_RACE_SCHEMA";
const PROCESS_VAR: &str = "SPECSTAR_RACE_PROCESS";
const START_VAR: &str = "SPECSTAR_RACE_START_MS";

/// Processes, writer tasks per process, contested resources, hot resources, updates of each
/// hot resource per task.
const PROCESSES: usize = 2;
const TASKS: usize = 4;
const ROUNDS: usize = 20;
const HOT: usize = 3;
const UPDATES: usize = 12;

/// How long the whole race may take before the test gives up on the workers.
const DEADLINE: Duration = Duration::from_secs(120);

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    u64::try_from(since.as_millis()).expect("milliseconds since 1970 fit in u64")
}

fn data(process: usize, task: usize, what: &str) -> Issue {
    let mut data = issue(&format!("{what} by process {process} task {task}"));
    data.assignee = Some(format!("p{process}t{task}"));
    data
}

/// One worker process: the environment says which schema, which process, and when to start.
#[test]
#[ignore = "a worker that two_processes_race_on_one_schema starts in a child process"]
fn race_worker() {
    let (Ok(schema), Ok(process), Ok(start)) = (
        std::env::var(SCHEMA_VAR),
        std::env::var(PROCESS_VAR),
        std::env::var(START_VAR),
    ) else {
        eprintln!("race_worker runs only as a child of two_processes_race_on_one_schema");
        return;
    };
    let process: usize = process.parse().expect("a process number");
    let start: u64 = start.parse().expect("a start instant in milliseconds");
    let url = test_url().expect("the parent passes the database url");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let options = specstar_postgres::PostgresOptions::new(&url)
            .expect("the url parses")
            .schema(&schema)
            .expect("a valid schema")
            .pool_size(TASKS);
        // Both workers migrate the fresh schema and register the model at the same moment.
        let store: Arc<dyn Store> = Arc::new(
            PostgresStore::connect_with(options)
                .await
                .expect("the store opens while another process opens it too"),
        );
        let model = register(&store, issue_schema()).await;
        let mgr = ResourceManager::<Issue>::new(model, store).expect("Issue is the model");
        tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()))).await;
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| tokio::spawn(worker_task(mgr.clone(), process, task)))
            .collect();
        let mut out = std::io::stdout().lock();
        for task in tasks {
            for line in task.await.expect("a writer task finishes") {
                writeln!(out, "RESULT {line}").expect("stdout takes the results");
            }
        }
    });
}

/// One writer task: the conditional rounds, then the unconditioned updates; returns its
/// result lines (`cond <k> won|conflict`, `hot <j> <number>`).
async fn worker_task(mgr: ResourceManager<Issue>, process: usize, task: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for k in 0..ROUNDS {
        let id = format!("issue:cond-{k}");
        match mgr.create_with_id(&id, issue("contested")).await {
            Ok(_) | Err(Error::AlreadyExists { .. }) => {}
            Err(other) => panic!("create of {id}: {other}"),
        }
        let update = mgr.update_if(&id, data(process, task, "cond"), format!("{id}:1"));
        match update.await {
            Ok(info) => {
                assert_eq!(info.number(), 2, "the winner appends revision 2");
                lines.push(format!("cond {k} won"));
            }
            Err(Error::Conflict { .. }) => lines.push(format!("cond {k} conflict")),
            Err(other) => panic!("conditional update of {id}: {other}"),
        }
    }
    for j in 0..HOT {
        let id = format!("issue:hot-{j}");
        match mgr.create_with_id(&id, issue("hot")).await {
            Ok(_) | Err(Error::AlreadyExists { .. }) => {}
            Err(other) => panic!("create of {id}: {other}"),
        }
    }
    for i in 0..UPDATES {
        for j in 0..HOT {
            let id = format!("issue:hot-{j}");
            let info = mgr
                .update(&id, data(process, task, &format!("hot {j} update {i}")))
                .await
                .unwrap_or_else(|e| panic!("unconditioned update of {id}: {e}"));
            lines.push(format!("hot {j} {}", info.number()));
        }
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_race_on_one_schema() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let start = now_ms() + 3_000;
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|process| {
            Command::new(&exe)
                .args(["race_worker", "--exact", "--ignored", "--nocapture"])
                .args(["--test-threads", "1"])
                .env(common::URL_VAR, &url)
                .env(SCHEMA_VAR, schema.name())
                .env(PROCESS_VAR, process.to_string())
                .env(START_VAR, start.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker process starts")
        })
        .collect();
    let outputs: Vec<_> = children
        .iter_mut()
        .map(|child| child.stdout.take().expect("piped stdout"))
        .map(|mut stdout| {
            std::thread::spawn(move || {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
            })
        })
        .collect();

    // The follower: this process reads the change feed while the workers write.
    let store = follower_store(&schema).await;
    let begun = Instant::now();
    let mut seen: Vec<u64> = Vec::new();
    let mut last = 0u64;
    loop {
        let batch = common::revisions_after(&store, last, 1_000).await;
        for info in &batch {
            assert_eq!(
                info.sequence,
                last + 1,
                "after sequence {last} the feed gave {} ({}): a revision was skipped or came \
                 out of commit order",
                info.sequence,
                info.revision_id
            );
            last = info.sequence;
            seen.push(last);
        }
        let running = children
            .iter_mut()
            .any(|c| c.try_wait().expect("the worker's status").is_none());
        if !running && batch.is_empty() {
            break;
        }
        if begun.elapsed() > DEADLINE {
            for child in &mut children {
                let _ = child.kill();
            }
            panic!("the workers did not finish within {DEADLINE:?}");
        }
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    for child in &mut children {
        let status = child.wait().expect("the worker's status");
        assert!(status.success(), "a worker failed: {status}");
    }
    let mut results: Vec<String> = Vec::new();
    for output in outputs {
        let text = output
            .join()
            .expect("the reader thread")
            .expect("the worker's output");
        results.extend(
            text.lines()
                // The harness may print `test race_worker ... ` on the line before ours.
                .filter_map(|l| l.find("RESULT ").map(|at| l[at + 7..].to_owned())),
        );
    }
    check_results(&store, &results).await;

    // The follower read every revision there is, each once, in order.
    let mut everything = Vec::new();
    let mut after = 0;
    loop {
        let page = common::revisions_after(&store, after, 1_000).await;
        let Some(info) = page.last() else { break };
        after = info.sequence;
        everything.extend(page.iter().map(|i| i.sequence));
    }
    assert_eq!(seen, everything, "the follower saw exactly every revision");
    let creates = ROUNDS + HOT;
    let writes = creates + ROUNDS + HOT * PROCESSES * TASKS * UPDATES;
    assert_eq!(seen.len(), writes, "one revision per successful write");
    assert_eq!(
        seen,
        (1..=writes as u64).collect::<Vec<_>>(),
        "dense from 1"
    );
}

async fn follower_store(schema: &TestSchema) -> PostgresStore {
    // Let the workers race each other on the fresh schema first; this store migrates too.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    schema.store().await
}

/// Exactly one conditional winner per contested resource; every unconditioned update landed
/// with its own number; the histories are dense chains.
async fn check_results(store: &PostgresStore, results: &[String]) {
    let mut wins: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut hot: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for line in results {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["cond", k, outcome] => {
                let entry = wins.entry(k.parse().expect("a round")).or_default();
                match *outcome {
                    "won" => entry.0 += 1,
                    _ => entry.1 += 1,
                }
            }
            ["hot", j, n] => hot
                .entry(j.parse().expect("a hot resource"))
                .or_default()
                .push(n.parse().expect("a revision number")),
            _ => panic!("unexpected worker line {line:?}"),
        }
    }
    assert_eq!(wins.len(), ROUNDS, "every round reported");
    for (k, (won, lost)) in &wins {
        assert_eq!(
            (*won, *lost),
            (1, PROCESSES * TASKS - 1),
            "round {k}: exactly one conditional update wins"
        );
    }
    let store: Arc<dyn Store> = Arc::new(store.clone());
    let model = register(&store, issue_schema()).await;
    let mgr = ResourceManager::<Issue>::new(model, store).expect("Issue is the model");
    for k in 0..ROUNDS {
        let history = mgr
            .list_revisions(format!("issue:cond-{k}"))
            .await
            .expect("history");
        assert_eq!(history.len(), 2, "round {k}: create and one update");
    }
    let per_resource = PROCESSES * TASKS * UPDATES;
    for j in 0..HOT {
        let mut numbers = hot.remove(&j).expect("hot resource reported");
        numbers.sort_unstable();
        let expected: Vec<u64> = (2..=per_resource as u64 + 1).collect();
        assert_eq!(
            numbers, expected,
            "hot {j}: every update got its own number"
        );
        let history = mgr
            .list_revisions(format!("issue:hot-{j}"))
            .await
            .expect("history");
        assert_eq!(history.len(), per_resource + 1, "hot {j}: none lost");
        for (i, info) in history.iter().enumerate() {
            assert_eq!(info.number(), i as u64 + 1, "hot {j}: dense numbers");
            let parent = info.parent_revision_id.as_ref().map(|p| p.number());
            assert_eq!(parent, (i > 0).then_some(i as u64), "hot {j}: a chain");
        }
    }
}
