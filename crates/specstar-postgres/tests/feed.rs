//! The change feed across processes: LISTEN/NOTIFY wakes another process's watchers, and a
//! watcher in one process, with writers in two, sees every event exactly once, in order, the
//! other process's writes within a second.
//!
//! The second process is this test binary started again as `feed_worker` (told by environment
//! variables which schema to write to), as in `race.rs`.

mod common;

use std::collections::HashSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{TestSchema, test_url};
use futures_util::StreamExt;
use specstar_conformance::fixtures::{Issue, issue, issue_schema, register};
use specstar_core::feed::{ModelFilter, watch};
use specstar_core::{FeedEvent, ResourceManager, Store};
use specstar_postgres::PostgresStore;

const SCHEMA_VAR: &str = "SPECSTAR_FEED_SCHEMA";

/// Writes per process, and every how many writes a scratch resource is created and purged.
const WRITES: usize = 60;
const PURGE_EVERY: usize = 20;

/// The resource the worker writes last, and the line that tells when.
const MARKER: &str = "issue:marker";

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    u64::try_from(since.as_millis()).expect("milliseconds since 1970 fit in u64")
}

/// Writes `WRITES` revisions (and a purge every `PURGE_EVERY`), in process `who`; returns what
/// the feed must show: `rev <revision id>` and `purge <resource id>` lines.
async fn write_some(mgr: &ResourceManager<Issue>, who: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let id = mgr
        .create(issue(&format!("{who} 0")))
        .await
        .expect("created");
    lines.push(format!("rev {}", id.revision_id));
    for i in 1..WRITES {
        let info = mgr
            .update(&id.resource_id, issue(&format!("{who} {i}")))
            .await
            .expect("updated");
        lines.push(format!("rev {}", info.revision_id));
        if i % PURGE_EVERY == 0 {
            let scratch = mgr.create(issue("scratch")).await.expect("created");
            mgr.permanently_delete(&scratch.resource_id)
                .await
                .expect("purged");
            lines.push(format!("purge {}", scratch.resource_id));
        }
    }
    lines
}

/// The other process: writes, then the marker, and prints its lines and when the marker was
/// written.
#[test]
#[ignore = "a worker that a_watcher_sees_two_processes_writes starts in a child process"]
fn feed_worker() {
    let Ok(schema) = std::env::var(SCHEMA_VAR) else {
        eprintln!("feed_worker runs only as a child of a_watcher_sees_two_processes_writes");
        return;
    };
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
            .pool_size(2);
        let store: Arc<dyn Store> = Arc::new(
            PostgresStore::connect_with(options)
                .await
                .expect("the store opens"),
        );
        let model = register(&store, issue_schema()).await;
        let mgr = ResourceManager::<Issue>::new(model, store).expect("Issue is the model");
        let lines = write_some(&mgr, "worker").await;
        let marker = mgr
            .create_with_id(MARKER, issue("marker"))
            .await
            .expect("the marker is written");
        let written_at = now_ms();
        let mut out = std::io::stdout().lock();
        for line in lines {
            writeln!(out, "RESULT {line}").expect("stdout takes the results");
        }
        writeln!(out, "RESULT rev {}", marker.revision_id).expect("stdout");
        writeln!(out, "MARK {written_at}").expect("stdout");
    });
}

/// A write through one store wakes a waiter on another store of the same schema (another
/// process, as far as the notifications go): the NOTIFY path works, not only the poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_stores_write_wakes_the_signal() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let watcher = schema.store().await;
    let writer: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = specstar_conformance::fixtures::issues(&writer).await;
    // Asking for the signal starts the listener, which raises the signal once it listens: that
    // raise may come before the waiter subscribes (a busy machine), so the first write's wake is
    // either it or the write's notification. Either way the listener listens after it.
    let mut waiter = watcher.feed_signal().expect("a signal").subscribe();
    mgr.create(issue("first")).await.expect("written");
    let listening = tokio::time::timeout(Duration::from_secs(10), waiter.changed()).await;
    assert_eq!(listening.ok(), Some(true), "the listener starts");
    for i in 0..3 {
        waiter.mark_seen();
        mgr.create(issue(&format!("wake {i}")))
            .await
            .expect("written");
        let woken = tokio::time::timeout(Duration::from_secs(10), waiter.changed()).await;
        assert_eq!(
            woken.ok(),
            Some(true),
            "write {i} in the other store woke the waiter"
        );
    }
}

/// What a feed event names, as the lines of `write_some`.
fn line_of(event: &FeedEvent) -> String {
    match event {
        FeedEvent::Revision(info) => format!("rev {}", info.revision_id),
        FeedEvent::Purge(purge) => format!("purge {}", purge.resource_id),
        other => panic!("no such event was written: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_sees_two_processes_writes() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let model = register(&store, issue_schema()).await;
    let mgr = ResourceManager::<Issue>::new(model, store.clone()).expect("Issue is the model");
    let mut feed = Box::pin(watch(store.clone(), 0, ModelFilter::all()));
    let exe = std::env::current_exe().expect("the test binary's path");
    let child = Command::new(&exe)
        .args(["feed_worker", "--exact", "--ignored", "--nocapture"])
        .env(common::URL_VAR, &url)
        .env(SCHEMA_VAR, schema.name())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the worker process starts");
    let ours = tokio::spawn(async move { write_some(&mgr, "parent").await });

    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seen, mut sequences) = (Vec::new(), Vec::new());
    let marker_line = format!("rev {MARKER}:1");
    let marker_seen_at = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, feed.next())
            .await
            .expect("the worker's marker arrives within 120 s")
            .expect("the watch never ends")
            .expect("the feed reads");
        sequences.push(event.sequence());
        seen.push(line_of(&event));
        if seen.last() == Some(&marker_line) {
            break now_ms();
        }
    };
    let output = child.wait_with_output().expect("the worker ends");
    assert!(
        output.status.success(),
        "the worker failed: {}",
        output.status
    );
    let mut expected: HashSet<String> = ours.await.expect("our writes").into_iter().collect();
    let text = String::from_utf8(output.stdout).expect("utf-8 output");
    let mut marked = None;
    for line in text.lines() {
        if let Some(at) = line.find("RESULT ") {
            expected.insert(line[at + 7..].to_owned());
        } else if let Some(at) = line.find("MARK ") {
            marked = Some(line[at + 5..].trim().parse::<u64>().expect("a time"));
        }
    }
    let marked = marked.expect("the worker says when it wrote the marker");
    assert!(
        expected.len() > 2 * WRITES,
        "both processes wrote: {}",
        expected.len()
    );
    // Whatever committed after the marker (our last writes) comes next.
    let rest = store
        .changes(*sequences.last().unwrap(), 1_000, &ModelFilter::all())
        .await
        .expect("the feed reads");
    // Drained through the watch too, so that it is the watch that saw everything.
    for _ in &rest {
        let event = feed.next().await.expect("open").expect("reads");
        sequences.push(event.sequence());
        seen.push(line_of(&event));
    }
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "in increasing order"
    );
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice");
    let purged: HashSet<String> = expected
        .iter()
        .filter_map(|l| l.strip_prefix("purge ").map(|id| format!("rev {id}:1")))
        .collect();
    let lasting: HashSet<String> = unique.difference(&purged).cloned().collect();
    assert_eq!(lasting, expected, "every write of both processes, once");
    let lag = marker_seen_at.saturating_sub(marked);
    assert!(
        lag < 1_000,
        "the other process's write showed after {lag} ms"
    );
}
