//! `specstar import` through the real binary: round trips between stores (byte-identical
//! exports), damaged archives that change nothing, the duplicate rules, and the Python
//! reference's `.acbak` backups (`tests/fixtures/acbak`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use specstar::{Action, DynResourceManager, Filter, JsonSchemaModel, Op, Query, RevisionPage};
use tempfile::TempDir;

mod common;

use common::{drop_schema, example_models, postgres_url, run, specstar, write_the_same_history};

/// The reference's archives.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/acbak")
        .join(name)
}

/// A models directory in `dir` holding the model of [`write_the_same_history`].
fn note_models(dir: &Path) -> PathBuf {
    let models = dir.join("note-models");
    std::fs::create_dir_all(&models).unwrap();
    let file = json!({
        "name": "note",
        "schema_version": "v1",
        "indexes": ["state"],
        "schema": {
            "type": "object",
            "properties": { "text": { "type": "string" }, "state": { "type": "string" } }
        }
    });
    std::fs::write(models.join("note.json"), file.to_string()).unwrap();
    models
}

/// A data directory in `dir` holding [`write_the_same_history`], and its archive.
async fn sqlite_history(dir: &Path) -> Vec<u8> {
    let spec = specstar::Spec::open(dir.join("source")).unwrap();
    write_the_same_history(&spec).await;
    drop(spec);
    let out =
        run(specstar(dir).args(["export", "--out", "source.archive", "--data-dir", "source"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::read(dir.join("source.archive")).unwrap()
}

/// The archive of a data directory, exported now.
fn export_of(dir: &Path, data_dir: &str) -> Vec<u8> {
    let out = run(specstar(dir).args(["export", "--out", "now.archive", "--data-dir", data_dir]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::read(dir.join("now.archive")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgresql_to_sqlite_gives_byte_identical_exports() {
    let Some(url) = postgres_url() else { return };
    let dir = TempDir::new().unwrap();
    let original = sqlite_history(dir.path()).await;
    let models = note_models(dir.path());
    let models = models.to_str().unwrap();
    let schema = format!("specstar_cli_import_{}", std::process::id());
    let pg = [
        "--database-url",
        url.as_str(),
        "--database-schema",
        schema.as_str(),
    ];
    let into_pg = run(specstar(dir.path())
        .args(["import", "source.archive", "--models", models])
        .args(pg));
    let from_pg = run(specstar(dir.path())
        .args(["export", "--out", "pg.archive", "--models", models])
        .args(pg));
    let verify_pg = run(specstar(dir.path()).arg("verify").args(pg));
    drop_schema(&url, &schema).await;
    assert_eq!(into_pg.code, 0, "{}", into_pg.stderr);
    assert!(
        into_pg
            .stdout
            .contains("imported 2 resources (4 revisions, 1 purges)"),
        "{}",
        into_pg.stdout
    );
    assert_eq!(from_pg.code, 0, "{}", from_pg.stderr);
    assert_eq!(verify_pg.code, 0, "{}", verify_pg.stderr);
    // The PostgreSQL export carries the models' schemas: it imports without --models.
    let back = run(specstar(dir.path()).args(["import", "pg.archive", "--data-dir", "back"]));
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert!(
        original == export_of(dir.path(), "back"),
        "SQLite → PostgreSQL → SQLite exports the same bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_archive_exits_1_naming_the_frame_and_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let original = sqlite_history(dir.path()).await;
    let models = note_models(dir.path());
    let models = models.to_str().unwrap();
    let into = |file: &str, data_dir: &str| {
        run(specstar(dir.path()).args(["import", file, "--models", models, "--data-dir", data_dir]))
    };
    let first = into("source.archive", "target");
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = export_of(dir.path(), "target");

    let mut damaged: Vec<(&str, Vec<u8>)> = Vec::new();
    for cut in [original.len() / 3, original.len() / 2, original.len() - 5] {
        damaged.push(("truncated", original[..cut].to_vec()));
    }
    let mut flipped = original.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    damaged.push(("corrupt", flipped));
    for (what, bytes) in damaged {
        std::fs::write(dir.path().join("damaged.archive"), &bytes).unwrap();
        // Into the store that holds a copy (a duplicate would fail too: skip rules that out)
        // and into a data directory that does not exist.
        let out = run(specstar(dir.path()).args([
            "import",
            "damaged.archive",
            "--models",
            models,
            "--data-dir",
            "target",
            "--on-duplicate",
            "overwrite",
        ]));
        assert_eq!(
            out.code,
            1,
            "{what} at {} bytes: {}",
            bytes.len(),
            out.stdout
        );
        assert!(
            out.stderr.contains("frame") && out.stderr.contains("nothing was imported"),
            "{what}: {}",
            out.stderr
        );
        let fresh = into("damaged.archive", "fresh");
        assert_eq!(fresh.code, 1, "{what}: {}", fresh.stdout);
        assert!(
            !dir.path().join("fresh").exists(),
            "{what}: no store is left behind"
        );
        assert!(
            export_of(dir.path(), "target") == before,
            "{what}: the store is as it was"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_fail_by_default_and_are_skipped_or_replaced_on_request() {
    let dir = TempDir::new().unwrap();
    sqlite_history(dir.path()).await;
    let models = note_models(dir.path());
    let models = models.to_str().unwrap();
    let import = |rule: Option<&str>| {
        let mut command = specstar(dir.path());
        command.args([
            "import",
            "source.archive",
            "--models",
            models,
            "--data-dir",
            "t",
        ]);
        if let Some(rule) = rule {
            command.args(["--on-duplicate", rule]);
        }
        run(&mut command)
    };
    assert_eq!(import(None).code, 0);
    let again = import(None);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("nothing was imported"),
        "{}",
        again.stderr
    );
    let skipped = import(Some("skip"));
    assert_eq!(skipped.code, 0, "{}", skipped.stderr);
    assert!(
        skipped.stdout.contains("imported 0 resources"),
        "{}",
        skipped.stdout
    );
    assert!(skipped.stdout.contains("skipped 3"), "{}", skipped.stdout);
    let replaced = import(Some("overwrite"));
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    assert!(
        replaced.stdout.contains("replaced 2 resources"),
        "{}",
        replaced.stdout
    );
    let verify = run(specstar(dir.path()).args(["verify", "--data-dir", "t"]));
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let bad_rule = import(Some("merge"));
    assert_eq!(bad_rule.code, 2, "a value clap refuses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_backups_import_with_their_model_files() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    for archive in ["one_model.acbak", "two_models.acbak", "empty.acbak"] {
        let out = run(specstar(dir.path())
            .arg("import")
            .arg(fixture(archive))
            .args(["--models", models, "--data-dir", "data"]));
        assert_eq!(out.code, 0, "{archive}: {}", out.stderr);
    }
    let verify = run(specstar(dir.path()).args(["verify", "--data-dir", "data"]));
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(
        verify.stdout.contains("verified 6 resources"),
        "{}",
        verify.stdout
    );
    let stats = run(specstar(dir.path()).args(["stats", "--data-dir", "data"]));
    assert_eq!(stats.code, 0, "{}", stats.stderr);
    let document = stats
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("document"))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>();
    // doc-a (3 revisions), doc-b, doc-c (and its tombstone), doc-d: 4 resources, 7 revisions.
    assert_eq!(
        document[..4],
        ["document", "4", "1", "7"],
        "{}",
        stats.stdout
    );

    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let store = spec.store().clone();
    let a = "document:doc-a".parse().unwrap();
    let revisions = store
        .revisions(&a, RevisionPage::ALL)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<String> = revisions
        .iter()
        .map(|r| r.revision_id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["document:doc-a:1", "document:doc-a:2", "document:doc-a:3"]
    );
    let users: Vec<&str> = revisions.iter().map(|r| &*r.created_by).collect();
    assert_eq!(users, ["alice", "bob", "alice"]);
    assert_eq!(
        revisions[1].created_time.to_string(),
        "2026-01-02T03:01:05.123456Z"
    );
    let c = store
        .read(&"document:doc-c".parse().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    assert!(c.meta.is_deleted, "deleted in the archive, deleted here");
    let tombstone = c.revision.unwrap().info;
    assert_eq!(
        (tombstone.action, &*tombstone.created_by),
        (Action::Delete, "dave")
    );

    // Searchable by their indexed fields, nested ones too.
    let schema = json!({
        "type": "object",
        "properties": { "state": {}, "author": { "type": "object", "properties": { "name": {} } } }
    });
    let reader = JsonSchemaModel::new("document", "v1", schema)
        .index("state")
        .index("author.name")
        .build()
        .unwrap();
    let documents = DynResourceManager::new(Arc::new(reader), store);
    let published = Query::all().filter(Filter::data("state", Op::Eq, "published"));
    let found = documents.search(&published).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].resource_id, a);
    let by_bob = Query::all().filter(Filter::data("author.name", Op::Eq, "Bob"));
    assert_eq!(documents.search(&by_bob).await.unwrap().len(), 1);
}

#[test]
fn reference_backups_need_models_and_blobs_are_refused() {
    let dir = TempDir::new().unwrap();
    let no_models = run(specstar(dir.path())
        .arg("import")
        .arg(fixture("one_model.acbak"))
        .args(["--data-dir", "data"]));
    assert_eq!(no_models.code, 1);
    assert!(
        no_models.stderr.contains("--models DIR"),
        "{}",
        no_models.stderr
    );

    // A model of the archive without a file; then one whose archive holds a blob.
    let only_tasks = dir.path().join("only-tasks");
    std::fs::create_dir_all(&only_tasks).unwrap();
    std::fs::copy(
        example_models().join("task.json"),
        only_tasks.join("task.json"),
    )
    .unwrap();
    let unknown = run(specstar(dir.path())
        .arg("import")
        .arg(fixture("two_models.acbak"))
        .args([
            "--models",
            only_tasks.to_str().unwrap(),
            "--data-dir",
            "data",
        ]));
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("\"document\""),
        "{}",
        unknown.stderr
    );

    let attachments = dir.path().join("attachments");
    std::fs::create_dir_all(&attachments).unwrap();
    let attachment = json!({
        "name": "attachment",
        "schema_version": "v1",
        "indexes": ["name"],
        "schema": { "type": "object", "properties": { "name": { "type": "string" }, "file": {} } }
    });
    std::fs::write(attachments.join("attachment.json"), attachment.to_string()).unwrap();
    let blob = run(specstar(dir.path())
        .arg("import")
        .arg(fixture("with_blob.acbak"))
        .args([
            "--models",
            attachments.to_str().unwrap(),
            "--data-dir",
            "data",
        ]));
    assert_eq!(blob.code, 1);
    assert!(blob.stderr.contains("blob"), "{}", blob.stderr);
    assert!(!dir.path().join("data").exists(), "nothing is left behind");
}

#[test]
fn a_migrated_reference_revision_imports_with_its_stale_hash() {
    let dir = TempDir::new().unwrap();
    let models = dir.path().join("note-models");
    std::fs::create_dir_all(&models).unwrap();
    let note = json!({
        "name": "note",
        "schema_version": "v2",
        "schema": {
            "type": "object",
            "properties": { "text": { "type": "string" }, "words": { "type": "integer" } }
        }
    });
    std::fs::write(models.join("note.json"), note.to_string()).unwrap();
    let out = run(specstar(dir.path())
        .arg("import")
        .arg(fixture("migrated.acbak"))
        .args(["--models", models.to_str().unwrap(), "--data-dir", "data"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("imported 1 resources (1 revisions"),
        "{}",
        out.stdout
    );
}
