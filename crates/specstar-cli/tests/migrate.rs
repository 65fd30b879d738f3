//! `specstar migrate` with migrations declared in model files: old resources are migrated once,
//! a second run does nothing, and a model whose store holds a version no step leads from is
//! refused, naming it.

use std::path::Path;

use serde_json::json;
use specstar::{JsonSchemaModel, RevisionPage};
use tempfile::TempDir;

mod common;

use common::{run, specstar};

/// A models directory `name` in `dir` holding `note` at `version` with `migrations`.
fn models(dir: &Path, name: &str, version: &str, migrations: serde_json::Value) -> String {
    let models = dir.join(name);
    std::fs::create_dir_all(&models).unwrap();
    let file = json!({
        "name": "note",
        "schema_version": version,
        "indexes": ["owner.name"],
        "migrations": migrations,
        "schema": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "owner": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}},
                "priority": {"type": "integer"}
            }
        }
    });
    std::fs::write(models.join("note.json"), file.to_string()).unwrap();
    models.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_file_migrations_persist_once_and_stranded_versions_are_refused() {
    let dir = TempDir::new().unwrap();
    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let v1 = JsonSchemaModel::new("note", "v1", json!({"type": "object"}))
        .build()
        .unwrap();
    spec.add_model_def(v1).await.unwrap();
    let notes = spec.dyn_resource_manager("note").unwrap();
    for key in ["a", "b"] {
        let data = json!({"text": key, "assignee": "ann", "legacy": true});
        notes
            .create_with_id(&format!("note:{key}"), data)
            .await
            .unwrap();
    }
    drop((notes, spec));

    let steps = json!([{
        "from": "v1",
        "rename": {"assignee": "owner.name"},
        "set": {"priority": 3},
        "remove": ["legacy"]
    }]);
    let v2 = models(dir.path(), "v2", "v2", steps);
    // A dry run first: what the store holds, and what the next serve would refuse.
    let check = run(specstar(dir.path()).args(["check", "--models", &v2, "--data-dir", "data"]));
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stdout.contains("2 resources on v1: read as v2"),
        "{}",
        check.stdout
    );
    let no_path = models(dir.path(), "v3-only", "v3", json!([{"from": "v2"}]));
    let check =
        run(specstar(dir.path()).args(["check", "--models", &no_path, "--data-dir", "data"]));
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check.stdout.contains("no migration step leads from v1"),
        "{}",
        check.stdout
    );
    let changed = models(dir.path(), "v1-changed", "v1", json!([]));
    let check =
        run(specstar(dir.path()).args(["check", "--models", &changed, "--data-dir", "data"]));
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check.stdout.contains("registered with another schema"),
        "{}",
        check.stdout
    );
    let serve =
        run(specstar(dir.path()).args(["serve", "--models", &changed, "--data-dir", "data"]));
    assert_eq!(serve.code, 1, "serve refuses to start");
    assert!(
        serve.stderr.contains("bump the schema version"),
        "{}",
        serve.stderr
    );

    let first = run(specstar(dir.path()).args(["migrate", "--models", &v2, "--data-dir", "data"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("note: migrated 2 resources to v2"),
        "{}",
        first.stdout
    );
    let second = run(specstar(dir.path()).args(["migrate", "--models", &v2, "--data-dir", "data"]));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains("migrated 0 resources"),
        "{}",
        second.stdout
    );

    let v3 = models(dir.path(), "v3", "v3", json!([{"from": "v2"}]));
    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let store = spec.store().clone();
    let a = "note:a".parse().unwrap();
    let history = store
        .revisions(&a, RevisionPage::ALL)
        .await
        .unwrap()
        .unwrap();
    let versions: Vec<&str> = history.iter().map(|r| &*r.schema_version).collect();
    assert_eq!(
        versions,
        ["v1", "v2"],
        "one migrate revision; the old one as it was"
    );
    let current = store
        .read(&a, None)
        .await
        .unwrap()
        .unwrap()
        .revision
        .unwrap();
    let data: serde_json::Value = serde_json::from_slice(&current.data).unwrap();
    assert_eq!(
        data,
        json!({"text": "a", "owner": {"name": "ann"}, "priority": 3})
    );
    drop((store, spec));

    // v3 has a step from v2 only; the store's resources are all on v2 now: accepted.
    let fine = run(specstar(dir.path()).args(["migrate", "--models", &v3, "--data-dir", "data"]));
    assert_eq!(fine.code, 0, "{}", fine.stderr);
    // Back to a file that knows only v1 → v2, over a store on v3: refused, naming v3.
    let back = run(specstar(dir.path()).args(["migrate", "--models", &v2, "--data-dir", "data"]));
    assert_eq!(back.code, 1);
    assert!(
        back.stderr.contains("2 on schema version \"v3\""),
        "{}",
        back.stderr
    );
    let serve = run(specstar(dir.path()).args(["check", "--models", &v2]));
    assert_eq!(
        serve.code, 0,
        "the files themselves are valid: {}",
        serve.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_half_way_loses_nothing_and_finishes_on_rerun() {
    const RESOURCES: usize = 3_000;
    let dir = TempDir::new().unwrap();
    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let v1 = JsonSchemaModel::new("note", "v1", json!({"type": "object"}))
        .build()
        .unwrap();
    spec.add_model_def(v1).await.unwrap();
    let notes = spec.dyn_resource_manager("note").unwrap();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let notes = notes.clone();
            tokio::spawn(async move {
                for i in (w..RESOURCES).step_by(16) {
                    let data = json!({"text": format!("n{i}"), "assignee": "ann"});
                    notes.create(data).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    drop((notes, spec));
    let steps = json!([{"from": "v1", "rename": {"assignee": "owner.name"}}]);
    let v2 = models(dir.path(), "v2", "v2", steps);

    let mut child = specstar(dir.path())
        .args(["migrate", "--models", &v2, "--data-dir", "data"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once a first part is migrated (read from the file while it runs).
    let file = dir.path().join("data").join(specstar::DATABASE_FILE);
    let on = |inspection: &specstar::Inspection, version: &str| {
        inspection
            .head_versions
            .iter()
            .find(|v| v.version == version)
            .map_or(0, |v| v.resources)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while on(&specstar::SqliteStore::inspect(&file).unwrap(), "v2") < 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "migrate makes progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = on(&specstar::SqliteStore::inspect(&file).unwrap(), "v1");
    assert!(left > 0, "killed half-way: some resources are still on v1");

    let rerun = run(specstar(dir.path()).args(["migrate", "--models", &v2, "--data-dir", "data"]));
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let verify = run(specstar(dir.path()).args(["verify", "--data-dir", "data"]));
    assert_eq!(verify.code, 0, "{}", verify.stdout);

    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let store = spec.store().clone();
    let mut items = store.export().await.unwrap();
    let mut resources = 0;
    while let Some(item) = specstar::StreamExt::next(&mut items).await {
        let specstar::Exported::Resource(resource) = item.unwrap() else {
            continue;
        };
        resources += 1;
        let versions: Vec<&str> = resource
            .revisions
            .iter()
            .map(|r| &*r.info.schema_version)
            .collect();
        assert_eq!(
            versions,
            ["v1", "v2"],
            "{}: migrated exactly once",
            resource.head.meta.resource_id
        );
    }
    assert_eq!(resources, RESOURCES);
}

#[test]
fn check_runs_each_step_on_its_examples_and_validates_the_schemas_examples() {
    let dir = TempDir::new().unwrap();
    let good = json!([{"from": "v1", "rename": {"assignee": "owner.name"}, "set": {"priority": 3},
                       "examples": [{"text": "t", "assignee": "ann"}]}]);
    let fine = models(dir.path(), "good", "v2", good);
    let out = run(specstar(dir.path()).args(["check", "--models", &fine]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let bad = json!([{"from": "v1", "set": {"priority": "high"},
                      "examples": [{"text": "t"}]}]);
    let refused = models(dir.path(), "bad", "v2", bad);
    let out = run(specstar(dir.path()).args(["check", "--models", &refused]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("note.json")
            && out.stderr.contains("example 1 of the migration from v1")
            && out.stderr.contains("$.priority"),
        "{}",
        out.stderr
    );

    let schema_examples = dir.path().join("schema-examples");
    std::fs::create_dir_all(&schema_examples).unwrap();
    let file = json!({"name": "note", "schema_version": "v1", "schema": {
        "type": "object", "properties": {"text": {"type": "string"}},
        "examples": [{"text": "ok"}, {"text": 5}]}});
    std::fs::write(schema_examples.join("note.json"), file.to_string()).unwrap();
    let out =
        run(specstar(dir.path()).args(["check", "--models", schema_examples.to_str().unwrap()]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("the schema's example 2 does not fit it"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_upcast_writes_one_version_throughout_and_imports_without_steps() {
    let dir = TempDir::new().unwrap();
    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let v1 = JsonSchemaModel::new("note", "v1", json!({"type": "object"}))
        .build()
        .unwrap();
    spec.add_model_def(v1).await.unwrap();
    let notes = spec.dyn_resource_manager("note").unwrap();
    notes
        .create_with_id("note:a", json!({"text": "a", "assignee": "ann"}))
        .await
        .unwrap();
    notes
        .update("note:a", json!({"text": "a2", "assignee": "bob"}), None)
        .await
        .unwrap();
    drop((notes, spec));
    let steps = json!([{"from": "v1", "rename": {"assignee": "owner.name"}}]);
    let v2 = models(dir.path(), "v2", "v2", steps);
    let no_models =
        run(specstar(dir.path()).args(["export", "--out", "x", "--upcast", "--data-dir", "data"]));
    assert_eq!(no_models.code, 2, "--upcast needs --models");
    let out = run(specstar(dir.path()).args([
        "export",
        "--out",
        "v2.archive",
        "--upcast",
        "--models",
        &v2,
        "--data-dir",
        "data",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let into = run(specstar(dir.path()).args(["import", "v2.archive", "--data-dir", "copy"]));
    assert_eq!(into.code, 0, "{}", into.stderr);
    let verify = run(specstar(dir.path()).args(["verify", "--data-dir", "copy"]));
    assert_eq!(
        verify.code, 0,
        "the rewritten chain verifies: {}",
        verify.stdout
    );

    let spec = specstar::Spec::open(dir.path().join("copy")).unwrap();
    let store = spec.store().clone();
    let a = "note:a".parse().unwrap();
    for number in [1, 2] {
        let revision = store
            .read(&a, Some(number))
            .await
            .unwrap()
            .unwrap()
            .revision
            .unwrap();
        assert_eq!(&*revision.info.schema_version, "v2");
        let data: serde_json::Value = serde_json::from_slice(&revision.data).unwrap();
        assert!(
            data["owner"]["name"].is_string() && data.get("assignee").is_none(),
            "{data}"
        );
    }
}
