//! Crash safety over HTTP: `specstar serve` is killed with SIGKILL while writers send creates and
//! updates, then restarted on the same store; every write that was answered 2xx is there (its
//! revision readable), every history is dense and every chain verifies. Several rounds on one
//! store, on SQLite and on PostgreSQL.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

mod common;

use common::{LoggedServer, drop_schema, example_models, postgres_url};

/// Rounds of writes and kills on one store.
const ROUNDS: usize = 4;
/// Writers sending at once.
const WRITERS: usize = 8;

/// The acknowledged writes: for each resource, the revision numbers answered 2xx.
type Acknowledged = Arc<Mutex<BTreeMap<String, Vec<u64>>>>;

fn number(revision_id: &str) -> u64 {
    revision_id.rsplit(':').next().unwrap().parse().unwrap()
}

/// One writer: creates a task, updates it three times, again, until the server is gone.
async fn writer(base: String, seed: usize, acknowledged: Acknowledged) {
    let client = reqwest::Client::new();
    for round in 0.. {
        let create = client
            .post(format!("{base}/task"))
            .json(&json!({"name": format!("w{seed}-{round}"), "points": 0}))
            .send()
            .await;
        let Ok(answer) = create else { return };
        if !answer.status().is_success() {
            return;
        }
        let Ok(info) = answer.json::<Value>().await else {
            return;
        };
        let id = info["resource_id"].as_str().unwrap().to_owned();
        acknowledged
            .lock()
            .unwrap()
            .entry(id.clone())
            .or_default()
            .push(1);
        for points in 1..=3 {
            let update = client
                .put(format!("{base}/task/{id}"))
                .json(&json!({"name": format!("w{seed}-{round}"), "points": points}))
                .send()
                .await;
            let Ok(answer) = update else { return };
            if !answer.status().is_success() {
                return;
            }
            let Ok(info) = answer.json::<Value>().await else {
                return;
            };
            let n = number(info["revision_id"].as_str().unwrap());
            acknowledged
                .lock()
                .unwrap()
                .entry(id.clone())
                .or_default()
                .push(n);
        }
    }
}

/// Every acknowledged revision is readable, every history dense from 1, every chain valid.
async fn check(base: &str, acknowledged: &BTreeMap<String, Vec<u64>>) -> usize {
    let client = reqwest::Client::new();
    let mut checked = 0;
    for (id, numbers) in acknowledged {
        for n in numbers {
            let read = client
                .get(format!("{base}/task/{id}?revision_id={n}"))
                .send()
                .await
                .unwrap();
            assert_eq!(read.status(), 200, "{id}:{n} was acknowledged and is gone");
            checked += 1;
        }
        let history: Value = client
            .get(format!(
                "{base}/task/{id}/revision-list?limit=1000&sort=created_time"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed: Vec<u64> = history["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| number(r["revision_id"].as_str().unwrap()))
            .collect();
        let dense: Vec<u64> = (1..=listed.len() as u64).collect();
        assert_eq!(listed, dense, "{id}: the history is dense from 1");
        let verified: Value = client
            .get(format!("{base}/task/{id}/verify"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(verified["valid"], true, "{id}: {verified}");
    }
    checked
}

async fn crash_loop(dir: &TempDir, store: &[&str]) {
    let models = example_models();
    let mut args = vec!["--models", models.to_str().unwrap()];
    args.extend_from_slice(store);
    let acknowledged: Acknowledged = Arc::default();
    let mut kills = 0;
    for round in 0..ROUNDS {
        let mut server = LoggedServer::start(dir.path(), &args);
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    server.base.clone(),
                    round * WRITERS + w,
                    acknowledged.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300 + 150 * round as u64)).await;
        server.kill();
        kills += 1;
        for writer in writers {
            writer.await.unwrap();
        }
    }
    let server = LoggedServer::start(dir.path(), &args);
    let acknowledged = acknowledged.lock().unwrap().clone();
    let writes: usize = acknowledged.values().map(Vec::len).sum();
    assert!(writes > 50, "the writers wrote before each kill: {writes}");
    let checked = check(&server.base, &acknowledged).await;
    assert_eq!(checked, writes);
    eprintln!(
        "crash loop: {kills} kills, {checked} acknowledged writes of {} resources found",
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let dir = TempDir::new().unwrap();
    crash_loop(&dir, &["--data-dir", "data"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_on_postgresql() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("specstar_cli_crash_{}", std::process::id());
    let dir = TempDir::new().unwrap();
    let outcome = tokio::spawn({
        let (url, schema) = (url.clone(), schema.clone());
        async move {
            let dir = dir;
            crash_loop(
                &dir,
                &["--database-url", &url, "--database-schema", &schema],
            )
            .await;
        }
    })
    .await;
    drop_schema(&url, &schema).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}
