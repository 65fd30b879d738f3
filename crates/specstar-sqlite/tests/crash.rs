//! The crash test: a child process streams writes and reports each one the store acknowledged;
//! the parent kills it with SIGKILL at a random moment, reopens the file and checks that every
//! acknowledged revision is there with its data hash, and that the file is sound.
//!
//! The child is this same test binary, run again with `--exact child_writer` and the
//! `SPECSTAR_CRASH_DB` variable naming the file; without the variable `child_writer` does
//! nothing. Each file takes several kills in a row, so a crash during the recovery of an
//! earlier crash is exercised too.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar_core::{
    Change, DataHash, ModelDef, ModelDescriptor, ResourceId, RevisionId, RevisionInfo, Schema,
    Store, Timestamp, WriteRequest,
};
use specstar_sqlite::SqliteStore;

/// Names the child's database file; its absence makes `child_writer` a no-op.
const DB_VAR: &str = "SPECSTAR_CRASH_DB";
/// Kills in the whole test.
const KILLS: usize = 30;
/// Kills per database file before starting a fresh one.
const KILLS_PER_FILE: usize = 5;
/// Concurrent writing tasks in the child.
const WRITERS: usize = 8;
/// The child stops by itself after this long, should the parent never kill it.
const CHILD_LIFETIME: Duration = Duration::from_secs(20);

#[derive(Serialize, Deserialize, JsonSchema)]
struct Note {
    title: String,
    body: String,
}

fn model() -> Arc<ModelDef> {
    Arc::new(
        Schema::<Note>::new("v1")
            .build()
            .expect("the note model is valid"),
    )
}

/// The child: writes until killed, one `ack <revision id> <data hash>` line per acknowledged
/// write, flushed before the next write starts.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(DB_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime starts");
    runtime.block_on(async move {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).expect("the store opens"));
        let model = model();
        store
            .register_model(&ModelDescriptor::from(&*model))
            .await
            .expect("the model registers");
        let deadline = Instant::now() + CHILD_LIFETIME;
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| tokio::spawn(write_until(store.clone(), model.clone(), w, deadline)))
            .collect();
        for writer in writers {
            writer.await.expect("a writer does not panic");
        }
    });
}

async fn write_until(
    store: Arc<dyn Store>,
    model: Arc<ModelDef>,
    writer: usize,
    deadline: Instant,
) {
    let mut step = 0_usize;
    while Instant::now() < deadline {
        let id = ResourceId::generate(model.name());
        let data = |step: usize| {
            let body = format!("writer {writer} step {step} ").repeat(1 + step % 7);
            let value = serde_json::json!({ "title": format!("w{writer}-{step}"), "body": body });
            model.encode(value).expect("the data fits the model")
        };
        ack(&write(&*store, &id, Change::Create(data(step))).await);
        for _ in 0..40 {
            step += 1;
            if step.is_multiple_of(10) {
                ack(&write(&*store, &id, Change::Delete).await);
                ack(&write(&*store, &id, Change::Restore).await);
            } else {
                let change = Change::Put {
                    data: data(step),
                    action: specstar_core::Action::Update,
                };
                ack(&write(&*store, &id, change).await);
            }
        }
    }
}

async fn write(store: &dyn Store, id: &ResourceId, change: Change) -> RevisionInfo {
    let request = WriteRequest {
        resource_id: id.clone(),
        schema_version: "v1".into(),
        change,
        expected: None,
        user: "crash".into(),
        time: Timestamp::now(),
    };
    let written = store.write(request).await.expect("the write succeeds");
    assert!(written.appended, "every write of the child appends");
    written.info
}

fn ack(info: &RevisionInfo) {
    let mut out = std::io::stdout().lock();
    let line = format!("ack {} {}\n", info.revision_id, info.data_hash);
    if out
        .write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        // The parent is gone.
        std::process::exit(0);
    }
}

/// The parent: kills the child again and again, checking the file after each kill.
#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::TempDir::new().expect("a temporary directory can be made");
    let mut random = Random::from_time();
    eprintln!("crash test seed {}", random.0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime starts");
    let mut acked: Vec<(RevisionId, DataHash)> = Vec::new();
    let mut total = 0;
    for kill in 0..KILLS {
        if kill % KILLS_PER_FILE == 0 {
            acked.clear();
        }
        let path = dir
            .path()
            .join(format!("crash-{}.db", kill / KILLS_PER_FILE));
        let delay = Duration::from_millis(20 + random.below(380));
        let new = run_and_kill(&path, delay);
        total += new.len();
        acked.extend(new);
        runtime.block_on(verify(&path, &acked));
    }
    eprintln!("{total} acknowledged writes survived {KILLS} kills");
    assert!(
        total >= 100,
        "the children acknowledged only {total} writes: the test proved little"
    );
}

/// Runs a child on `path`, kills it after `delay` and returns the writes it acknowledged.
fn run_and_kill(path: &Path, delay: Duration) -> Vec<(RevisionId, DataHash)> {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut child = Command::new(exe)
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(DB_VAR, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    thread::sleep(delay);
    if let Some(status) = child.try_wait().expect("the child can be polled") {
        let stderr = stderr.join().unwrap_or_default();
        panic!(
            "the child ended by itself ({status}) before the kill:\n{}",
            String::from_utf8_lossy(&stderr)
        );
    }
    child.kill().expect("the child can be killed");
    child.wait().expect("the killed child is reaped");
    let out = stdout.join().expect("the stdout reader does not panic");
    drop(stderr);
    parse_acks(&out)
}

/// Reads a pipe to its end on another thread.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The acknowledged writes in the child's output: whole `ack` lines only, since the kill may
/// cut the last line short.
fn parse_acks(out: &[u8]) -> Vec<(RevisionId, DataHash)> {
    out.split_inclusive(|&b| b == b'\n')
        .filter(|line| line.ends_with(b"\n"))
        .filter_map(|line| {
            // With `--nocapture` libtest may print `test child_writer ... ` before the first.
            let line = std::str::from_utf8(line).ok()?;
            line.find("ack ").map(|at| &line[at + "ack ".len()..])
        })
        .map(|ack| {
            let mut parts = ack.trim_end().split(' ');
            let revision = parts.next().and_then(|r| RevisionId::parse(r).ok());
            let hash = parts.next().and_then(DataHash::parse);
            match (revision, hash, parts.next()) {
                (Some(revision), Some(hash), None) => (revision, hash),
                _ => panic!("malformed ack line {ack:?}"),
            }
        })
        .collect()
}

/// Every acknowledged revision is in the file with its data hash, and the file is sound.
async fn verify(path: &Path, acked: &[(RevisionId, DataHash)]) {
    let store = SqliteStore::open(path).expect("the store reopens after a kill");
    for (revision, hash) in acked {
        let fetched = store
            .read(revision.resource_id(), Some(revision.number()))
            .await
            .expect("the read succeeds")
            .unwrap_or_else(|| panic!("acknowledged resource {} is lost", revision.resource_id()));
        let found = fetched
            .revision
            .unwrap_or_else(|| panic!("acknowledged revision {revision} is lost"));
        assert_eq!(
            found.info.data_hash, *hash,
            "revision {revision} has other data"
        );
        assert_eq!(
            DataHash::of(&found.data),
            *hash,
            "revision {revision} has other data"
        );
    }
    store
        .check_integrity()
        .expect("the file is sound after a kill");
}

/// A small xorshift generator, seeded from the clock: every run kills at other moments.
struct Random(u64);

impl Random {
    fn from_time() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self(nanos | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}
