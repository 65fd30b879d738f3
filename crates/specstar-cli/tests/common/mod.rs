//! What the binary's tests share: running it, the example models, the PostgreSQL test
//! database, one history written the same way into any store.

#![allow(dead_code, reason = "each test file uses some of these")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use serde_json::json;

/// The repository's example models.
pub(crate) fn example_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// The binary, run in `dir`, with no `SPECSTAR_*` setting from the environment.
pub(crate) fn specstar(dir: &Path) -> Command {
    let mut command = Command::new(cargo_bin("specstar"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("SPECSTAR_") {
            command.env_remove(key);
        }
    }
    command
}

pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the binary runs");
    Output {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The PostgreSQL test database (`SPECSTAR_TEST_DATABASE_URL`); `None` outside CI when unset.
pub(crate) fn postgres_url() -> Option<String> {
    match std::env::var("SPECSTAR_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but SPECSTAR_TEST_DATABASE_URL is not set: the PostgreSQL test must run"
            )
        }
        _ => {
            eprintln!(
                "NOTE: the binary's PostgreSQL test did NOT run: set SPECSTAR_TEST_DATABASE_URL"
            );
            None
        }
    }
}

/// A plain connection to the test database.
pub(crate) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Drops a test's schema with everything in it.
pub(crate) async fn drop_schema(url: &str, schema: &str) {
    connect(url)
        .await
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}

/// Writes one history, the same every time (ids, times, users), into `spec`.
pub(crate) async fn write_the_same_history(spec: &specstar::Spec) {
    use specstar::{FixedClock, JsonSchemaModel, WriteContext};
    let schema = json!({
        "type": "object",
        "properties": { "text": { "type": "string" }, "state": { "type": "string" } }
    });
    let model = JsonSchemaModel::new("note", "v1", schema).index("state");
    spec.add_model_def(model.build().unwrap()).await.unwrap();
    let clock = FixedClock::new("2026-03-01T12:00:00Z".parse().unwrap());
    let context = WriteContext::default()
        .with_clock(clock.clone())
        .as_user("ann");
    let notes = spec
        .dyn_resource_manager("note")
        .unwrap()
        .with_context(context);
    for key in ["b", "a", "c"] {
        let data = json!({ "text": format!("note {key}"), "state": "draft" });
        notes
            .create_with_id(&format!("note:{key}"), data)
            .await
            .unwrap();
        clock.advance_micros(1_000);
    }
    let update = json!({ "text": "note a, again", "state": "done" });
    notes.update("note:a", update, None).await.unwrap();
    notes.delete("note:b", None).await.unwrap();
    clock.advance_micros(5_000);
    notes.permanently_delete("note:c").await.unwrap();
}

/// A `serve` child process on an ephemeral port whose log lines (colors taken out) the test
/// reads; killed if the test ends before it stops it.
pub(crate) struct LoggedServer {
    child: Child,
    lines: Receiver<String>,
    /// Lines read while waiting for another, in order: the next waits look at them first.
    backlog: Vec<String>,
    /// The base URL, once [`start`](Self::start) read it from the log.
    pub(crate) base: String,
}

impl LoggedServer {
    /// Starts `specstar serve --addr 127.0.0.1:0 ARGS` in `dir` and waits for its address.
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = specstar(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(without_colors(&line));
            }
        });
        let mut server = Self {
            child,
            lines,
            backlog: Vec::new(),
            base: String::new(),
        };
        let line = server.wait_for("serving http://");
        let at = line.find("http://").unwrap();
        server.base = line[at..].split_whitespace().next().unwrap().to_owned();
        server
    }

    /// The first log line not yet waited for that contains `needle` (30 s at most).
    pub(crate) fn wait_for(&mut self, needle: &str) -> String {
        if let Some(at) = self.backlog.iter().position(|l| l.contains(needle)) {
            return self.backlog.remove(at);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {needle:?} within 30 s: {seen:#?}"));
            if line.contains(needle) {
                self.backlog.extend(seen);
                return line;
            }
            seen.push(line);
        }
    }

    /// Every log line not yet waited for, to the end of the log: call it after
    /// [`stop`](Self::stop) (it reads until the server's stderr closes).
    pub(crate) fn logged(&mut self) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.backlog);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            lines.push(line);
        }
        lines
    }

    /// Sends SIGTERM and answers the exit code.
    pub(crate) fn stop(&mut self) -> i32 {
        let pid = self.child.id().to_string();
        let term = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(term.unwrap().success());
        self.child
            .wait()
            .unwrap()
            .code()
            .expect("exited, not killed")
    }
}

impl LoggedServer {
    /// Kills the server with SIGKILL (no shutdown of any kind) and waits until it is gone.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("SIGKILL is sent");
        let _ = self.child.wait();
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A log line without its ANSI color codes.
fn without_colors(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            let _ = chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
