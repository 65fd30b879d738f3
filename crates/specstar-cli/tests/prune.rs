//! `specstar prune` and `serve`'s background pruning by a model file's `retention:`: old
//! revisions' data is dropped, infos stay, verification passes, a second run finds nothing,
//! and a bad policy is refused by `check`.

use std::path::Path;

use serde_json::json;
use specstar::{Error, JsonSchemaModel};
use tempfile::TempDir;

mod common;

use common::{LoggedServer, run, specstar};

/// A models directory `name` in `dir` holding `note` v1 with `retention` (YAML text).
fn models(dir: &Path, name: &str, retention: &str) -> String {
    let models = dir.join(name);
    std::fs::create_dir_all(&models).unwrap();
    let file = format!(
        "name: note\nschema_version: v1\n{retention}\nschema:\n  type: object\n  properties:\n    text: {{type: string}}\n"
    );
    std::fs::write(models.join("note.yaml"), file).unwrap();
    models.to_str().unwrap().to_owned()
}

/// `note:a` with six revisions of a large text, in the data directory `data` of `dir`.
async fn six_revisions(dir: &Path) {
    let spec = specstar::Spec::open(dir.join("data")).unwrap();
    let model = JsonSchemaModel::new(
        "note",
        "v1",
        json!({"type": "object", "properties": {"text": {"type": "string"}}}),
    )
    .build()
    .unwrap();
    spec.add_model_def(model).await.unwrap();
    let notes = spec.dyn_resource_manager("note").unwrap();
    let text = "x".repeat(10_000);
    notes
        .create_with_id("note:a", json!({"text": text}))
        .await
        .unwrap();
    for n in 2..=6 {
        notes
            .update("note:a", json!({"text": format!("{n}{text}")}), None)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_follows_the_model_files_retention() {
    let dir = TempDir::new().unwrap();
    six_revisions(dir.path()).await;
    // Revisions younger than 30 days are kept by the age rule, whatever keep_last says.
    let young = models(
        dir.path(),
        "young",
        "retention: {keep_last: 2, max_age: 30d}",
    );
    let kept = run(specstar(dir.path()).args(["prune", "--models", &young, "--data-dir", "data"]));
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(
        kept.stdout.contains("note: pruned 0 revisions"),
        "{}",
        kept.stdout
    );
    let keep_two = models(dir.path(), "keep-two", "retention: {keep_last: 2}");
    let args = ["prune", "--models", &keep_two, "--data-dir", "data"];
    let first = run(specstar(dir.path()).args(args));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .stdout
            .contains("note: pruned 4 revisions of 1 resources"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("bytes back"), "{}", first.stdout);
    let second = run(specstar(dir.path()).args(args));
    assert!(
        second.stdout.contains("note: pruned 0 revisions"),
        "{}",
        second.stdout
    );
    let verify = run(specstar(dir.path()).args(["verify", "--data-dir", "data"]));
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);

    let spec = specstar::Spec::open(dir.path().join("data")).unwrap();
    let keeps = JsonSchemaModel::new(
        "note",
        "v1",
        json!({"type": "object", "properties": {"text": {"type": "string"}}}),
    )
    .build()
    .unwrap();
    spec.add_model_def(keeps).await.unwrap();
    let notes = spec.dyn_resource_manager("note").unwrap();
    let old = notes
        .get("note:a", Some(&"note:a:4".to_owned()), false)
        .await;
    assert!(matches!(old, Err(Error::RevisionPruned { .. })), "{old:?}");
    let kept = notes
        .get("note:a", Some(&"note:a:5".to_owned()), false)
        .await
        .unwrap();
    assert!(
        kept.data_value().unwrap()["text"]
            .as_str()
            .unwrap()
            .starts_with('5')
    );
    let stats = run(specstar(dir.path()).args(["stats", "--data-dir", "data"]));
    assert!(stats.stdout.contains("note"), "{}", stats.stdout);
}

#[test]
fn a_bad_retention_is_refused_naming_the_file() {
    let dir = TempDir::new().unwrap();
    for (name, retention, says) in [
        (
            "zero",
            "retention: {keep_last: 0}",
            "keep_last must be 1 or more",
        ),
        ("months", "retention: {max_age: 3 months}", "use days"),
        (
            "empty",
            "retention: {}",
            "declare keep_last, max_age or both",
        ),
        ("typo", "retention: {keep: 3}", "unknown field"),
    ] {
        let models = models(dir.path(), name, retention);
        let check = run(specstar(dir.path()).args(["check", "--models", &models]));
        assert_eq!(check.code, 1, "{name}: {}", check.stdout);
        let all = format!("{}{}", check.stdout, check.stderr);
        assert!(
            all.contains(says) && all.contains("note.yaml"),
            "{name}: {all}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prunes_in_the_background_and_stops_cleanly() {
    let dir = TempDir::new().unwrap();
    six_revisions(dir.path()).await;
    let keep_one = models(dir.path(), "keep-one", "retention: {keep_last: 1}");
    let mut server = LoggedServer::start(
        dir.path(),
        &[
            "--models",
            &keep_one,
            "--data-dir",
            "data",
            "--prune-every",
            "1h",
        ],
    );
    let pruned = server.wait_for("pruned by the model's retention");
    assert!(pruned.contains("revisions=5"), "{pruned}");
    assert_eq!(server.stop(), 0, "a clean stop with the pruner running");
}
