//! What the binary's tests share: running it, the example models, the PostgreSQL test
//! database, one history written the same way into any store.

#![allow(dead_code, reason = "each test file uses some of these")]

use std::path::{Path, PathBuf};
use std::process::Command;

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
