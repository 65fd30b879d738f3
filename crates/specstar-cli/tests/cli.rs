//! The real `specstar` binary: usage and exit statuses, check's refusals, openapi, settings,
//! and serve driven over HTTP until SIGTERM.

use serde_json::{Value, json};
use tempfile::TempDir;

mod common;

use common::{
    LoggedServer, connect, drop_schema, example_models, postgres_url, run, specstar,
    write_the_same_history,
};

#[test]
fn help_usage_and_exit_statuses() {
    let dir = TempDir::new().unwrap();
    for verb in [
        &["--help"][..],
        &["serve", "--help"],
        &["check", "--help"],
        &["openapi", "--help"],
    ] {
        let out = run(specstar(dir.path()).args(verb));
        assert_eq!(out.code, 0, "{verb:?}: {}", out.stderr);
        assert!(out.stdout.contains("Usage"), "{verb:?}");
    }
    let bad = run(specstar(dir.path()).args(["serve", "--no-such-flag"]));
    assert_eq!(bad.code, 2, "bad usage is 2");
    let both = run(specstar(dir.path()).args([
        "check",
        "--models",
        ".",
        "--data-dir",
        "d",
        "--database-url",
        "postgres://h/db",
    ]));
    assert_eq!(both.code, 2, "two stores is bad usage");
    let no_models = run(specstar(dir.path()).arg("check"));
    assert_eq!(no_models.code, 1);
    assert!(
        no_models.stderr.contains("--models"),
        "says what to do: {}",
        no_models.stderr
    );
}

#[test]
fn check_accepts_the_examples_and_prints_what_they_declare() {
    let dir = TempDir::new().unwrap();
    let out = run(specstar(dir.path())
        .args(["check", "--models"])
        .arg(example_models()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "model `document`, schema version v1, indexes [state, word_count, author.name]"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("model `task`"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "model `ticket`, schema version v1, indexes [owner, status], 3 permission rules (1 \
             with a row scope)"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 model files are valid"));
}

#[test]
fn check_refuses_every_bad_file_naming_it() {
    let dir = TempDir::new().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let write = |name: &str, text: &str| std::fs::write(models.join(name), text).unwrap();
    write(
        "a.yaml",
        "name: thing\nschema_version: v1\nschema: {type: object, properties: {x: {type: string}}}\n",
    );
    write(
        "b.yaml",
        "name: thing\nschema_version: v1\nschema: {type: object}\n",
    );
    write("broken.yml", "name: [unclosed\n");
    write(
        "bad-schema.json",
        r#"{"name": "odd", "schema_version": "v1", "schema": {"type": 12}}"#,
    );
    write(
        "bad-index.yaml",
        "name: other\nschema_version: v1\nindexes: [missing.path]\nschema: {type: object, properties: {x: {type: string}}}\n",
    );
    write("notes.txt", "not a model file: left alone");
    let out = run(specstar(dir.path()).args(["check", "--models", "models"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let err = out.stderr;
    assert!(err.contains("4 problems"), "{err}");
    assert!(
        err.contains("b.yaml: declares the model `thing`, as")
            && err.contains("a.yaml does already"),
        "{err}"
    );
    assert!(
        err.contains("broken.yml: is not a valid model file") && err.contains("line 1"),
        "{err}"
    );
    assert!(err.contains("bad-schema.json:"), "{err}");
    assert!(
        err.contains("bad-index.yaml:") && err.contains("missing.path"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "{err}");
    let empty = TempDir::new().unwrap();
    let out = run(specstar(empty.path()).args(["check", "--models", "."]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("holds no model file"), "{}", out.stderr);
}

#[test]
fn openapi_prints_the_document_with_each_schema() {
    let dir = TempDir::new().unwrap();
    let out = run(specstar(dir.path())
        .args(["openapi", "--models"])
        .arg(example_models()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let document: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(document["paths"]["/document/{resource_id}"].is_object());
    assert!(document["paths"]["/task"].is_object());
    let text = out.stdout;
    assert!(
        text.contains("word_count") && text.contains("minLength"),
        "the schema as given"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_the_api_from_model_files_and_stops_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let mut served = LoggedServer::start(
        dir.path(),
        &["--models", models.to_str().unwrap(), "--data-dir", "data"],
    );
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", served.base);
    let created = client
        .post(url("/document"))
        .json(&json!({ "title": "Guide", "author": { "name": "ann" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let info: Value = created.json().await.unwrap();
    let id = info["resource_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("document:"));
    let data: Value = client
        .get(url(&format!("/document/{id}/data")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        data,
        json!({ "title": "Guide", "author": { "name": "ann" }, "tags": [], "state": "draft", "word_count": 0 }),
        "defaults applied"
    );
    let refused = client
        .post(url("/document"))
        .json(&json!({ "title": "", "author": { "name": "bo", "extra": 1 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["errors"].as_array().unwrap().len() >= 2,
        "every failing path: {problem}"
    );
    let found: Value = client
        .get(url("/document/data"))
        .query(&[("qb", "QB['author.name'].eq('ann')")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let docs = client.get(url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert_eq!(served.stop(), 0, "a clean stop on SIGTERM");

    // The store keeps it: check against it sees the model unchanged, and a changed index.
    let out = run(specstar(dir.path())
        .args(["check", "--models"])
        .arg(&models)
        .args(["--data-dir", "data"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("document: unchanged (1 resources)"),
        "{}",
        out.stdout
    );
    let changed = dir.path().join("changed");
    std::fs::create_dir(&changed).unwrap();
    let text = std::fs::read_to_string(models.join("document.yaml")).unwrap();
    std::fs::write(
        changed.join("document.yaml"),
        text.replace(
            "indexes: [state, word_count, author.name]",
            "indexes: [state, title]",
        )
        .replace("schema_version: v1", "schema_version: v2"),
    )
    .unwrap();
    // A new version without a step from v1: the next serve would refuse it.
    let out =
        run(specstar(dir.path()).args(["check", "--models", "changed", "--data-dir", "data"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("1 resources on v1, and no migration step leads from v1 to v2"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(changed.join("document.yaml")).unwrap();
    std::fs::write(
        changed.join("document.yaml"),
        text.replace(
            "schema_version: v2",
            "schema_version: v2\nmigrations: [{from: v1}]",
        ),
    )
    .unwrap();
    let out =
        run(specstar(dir.path()).args(["check", "--models", "changed", "--data-dir", "data"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("1 resources on v1: read as v2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("document: schema version v1 -> v2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("indexes +[title] -[word_count, author.name]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("task: held by the store (0 resources), declared by no file"),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_flags_then_environment_then_the_file() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    std::fs::write(
        dir.path().join("specstar.toml"),
        format!(
            "models = {:?}\ndata_dir = \"from-file\"\n",
            models.display().to_string()
        ),
    )
    .unwrap();
    let out = run(specstar(dir.path()).arg("check"));
    assert_eq!(out.code, 0, "models from the file: {}", out.stderr);
    assert!(
        out.stdout.contains("the data directory ./from-file") || out.stdout.contains("from-file"),
        "{}",
        out.stdout
    );
    let out = run(specstar(dir.path())
        .arg("check")
        .env("SPECSTAR_DATA_DIR", "from-env"));
    assert!(
        out.stdout.contains("from-env") && !out.stdout.contains("from-file"),
        "{}",
        out.stdout
    );
    let out = run(specstar(dir.path())
        .args(["check", "--data-dir", "from-flag"])
        .env("SPECSTAR_DATA_DIR", "from-env"));
    assert!(
        out.stdout.contains("from-flag") && !out.stdout.contains("from-env"),
        "{}",
        out.stdout
    );
    std::fs::write(dir.path().join("specstar.toml"), "modles = \"typo\"\n").unwrap();
    let out = run(specstar(dir.path()).arg("check"));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("specstar.toml is not valid") && out.stderr.contains("modles"),
        "{}",
        out.stderr
    );
    let out = run(specstar(dir.path()).args(["check", "--config", "missing.toml"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_and_verify_on_postgresql() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("specstar_cli_test_{}", std::process::id());
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    let store = [
        "--database-url",
        url.as_str(),
        "--database-schema",
        schema.as_str(),
    ];
    // A dry run against a schema with no store yet: every model is new, nothing is created.
    let dry = run(specstar(dir.path())
        .args(["check", "--models", models])
        .args(store));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("task: new: the next serve creates the store"),
        "{}",
        dry.stdout
    );
    let created = connect(&url)
        .await
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .unwrap();
    assert!(created.is_none(), "check creates no schema");
    let mut served = LoggedServer::start(dir.path(), &[&["--models", models][..], &store].concat());
    let created = reqwest::Client::new()
        .post(format!("{}/task", served.base))
        .json(&json!({ "name": "on postgres" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(served.stop(), 0);
    let check = run(specstar(dir.path())
        .args(["check", "--models", models])
        .args(store));
    let verify = run(specstar(dir.path()).arg("verify").args(store));
    drop_schema(&url, &schema).await;
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stdout.contains(&format!("(schema {schema})")),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("task: unchanged (1 resources)"),
        "{}",
        check.stdout
    );
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(
        verify.stdout.contains("verified 1 resources (1 revisions)"),
        "{}",
        verify.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_history_exports_the_same_bytes_from_sqlite_and_postgresql() {
    let Some(url) = postgres_url() else { return };
    let dir = TempDir::new().unwrap();
    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    write_the_same_history(&spec).await;
    drop(spec);
    let schema = format!("specstar_cli_export_{}", std::process::id());
    let options = specstar::PostgresOptions::new(&url)
        .unwrap()
        .schema(&schema)
        .unwrap();
    let spec = specstar::Spec::connect_with(options).await.unwrap();
    write_the_same_history(&spec).await;
    drop(spec);

    let from_sqlite =
        run(specstar(dir.path()).args(["export", "--out", "sqlite.archive", "--data-dir", "data"]));
    let pg = [
        "--database-url",
        url.as_str(),
        "--database-schema",
        schema.as_str(),
    ];
    let from_pg = run(specstar(dir.path())
        .args(["export", "--out", "pg.archive"])
        .args(pg));
    drop_schema(&url, &schema).await;
    assert_eq!(from_sqlite.code, 0, "{}", from_sqlite.stderr);
    assert_eq!(from_pg.code, 0, "{}", from_pg.stderr);
    assert!(
        from_sqlite
            .stdout
            .contains("exported 2 resources (4 revisions, 1 purges) of 1 models"),
        "{}",
        from_sqlite.stdout
    );
    let a = std::fs::read(dir.path().join("sqlite.archive")).unwrap();
    let b = std::fs::read(dir.path().join("pg.archive")).unwrap();
    assert!(!a.is_empty());
    assert!(
        a == b,
        "byte-identical archives ({} and {} bytes)",
        a.len(),
        b.len()
    );
    assert!(!dir.path().join("sqlite.archive.partial").exists());
}

#[test]
fn export_needs_a_store_and_creates_nothing_on_failure() {
    let dir = TempDir::new().unwrap();
    let out =
        run(specstar(dir.path()).args(["export", "--out", "x.archive", "--data-dir", "nowhere"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("there is no store in nowhere"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("x.archive").exists() && !dir.path().join("nowhere").exists());
    let no_out = run(specstar(dir.path()).args(["export", "--data-dir", "d"]));
    assert_eq!(no_out.code, 2, "--out is required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_has_the_admin_ui_unless_told_not_to() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    let mut with =
        common::LoggedServer::start(dir.path(), &["--models", models, "--data-dir", "a"]);
    let page = reqwest::get(format!("{}/_/", with.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(with.stop(), 0);
    let mut without = common::LoggedServer::start(
        dir.path(),
        &["--models", models, "--data-dir", "b", "--no-admin-ui"],
    );
    let page = reqwest::get(format!("{}/_/", without.base)).await.unwrap();
    assert_eq!(page.status(), 404);
    assert_eq!(without.stop(), 0);
    let bad = run(specstar(dir.path())
        .args(["serve", "--models", models, "--data-dir", "c"])
        .env("SPECSTAR_ADMIN_UI", "sometimes"));
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("SPECSTAR_ADMIN_UI=\"sometimes\": expected true or false"),
        "{}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_event_streams_and_exits_zero() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let mut server = common::LoggedServer::start(
        dir.path(),
        &[
            "--models",
            models.to_str().unwrap(),
            "--data-dir",
            "data",
            "--shutdown-deadline",
            "20s",
        ],
    );
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let mut stream = reqwest::Client::new()
        .get(format!("{}/_changes", server.base))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(server.stop(), 0, "SIGTERM: a clean exit");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the open stream did not hold it"
    );
    let mut text = String::new();
    while let Ok(Some(chunk)) = stream.chunk().await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: shutdown"), "{text}");
    let log = server.logged().join("\n");
    assert!(
        log.contains("stopped: the requests in flight finished"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_each_requests_id() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let mut server = common::LoggedServer::start(
        dir.path(),
        &[
            "--models",
            models.to_str().unwrap(),
            "--data-dir",
            "data",
            "--log-format",
            "json",
        ],
    );
    let answer = reqwest::Client::new()
        .get(format!("{}/task", server.base))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let line = server.wait_for("req-42");
    let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["fields"]["request_id"], "req-42", "{event}");
    assert_eq!(event["fields"]["path"], "/task");
    assert_eq!(event["level"], "INFO");
    assert_eq!(server.stop(), 0);
    let rest = server.logged();
    assert!(
        rest.iter()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{rest:#?}"
    );
    assert!(
        !rest.iter().any(|l| l.contains("/healthz")),
        "health checks stay below info: {rest:#?}"
    );
}

#[test]
fn serve_refuses_limits_it_cannot_read() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    let serve = |extra: &[&str], env: Option<(&str, &str)>| {
        let mut command = specstar(dir.path());
        command
            .args(["serve", "--models", models, "--data-dir", "d"])
            .args(extra);
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        run(&mut command)
    };
    let bad = serve(&[], Some(("SPECSTAR_MAX_EVENT_STREAMS", "lots")));
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("SPECSTAR_MAX_EVENT_STREAMS=\"lots\" is not a valid value"),
        "{}",
        bad.stderr
    );
    let bad = serve(&["--request-timeout", "soon"], None);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("the request timeout"), "{}", bad.stderr);
    let bad = serve(&["--listen-backlog", "-1"], None);
    assert_eq!(
        bad.code, 2,
        "clap refuses a negative backlog: {}",
        bad.stderr
    );
}
