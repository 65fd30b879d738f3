//! The SQLite store's own tests: what the conformance suite cannot see (the file, reopening,
//! group commit under concurrency, the integrity check, corrupt rows, schema versions).

use std::collections::HashSet;
use std::error::Error as _;
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar_core::{
    Action, Change, Error, ModelDef, ModelDescriptor, ResourceId, ResourceManager, RevisionPage,
    Schema, Store, Timestamp, WriteRequest,
};
use specstar_sqlite::{SqliteError, SqliteOptions, SqliteStore};
use tempfile::TempDir;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Note {
    title: String,
    body: String,
}

fn note(title: &str, body: &str) -> Note {
    Note {
        title: title.into(),
        body: body.into(),
    }
}

fn model() -> Arc<ModelDef> {
    Arc::new(
        Schema::<Note>::new("v1")
            .index("title")
            .build()
            .expect("the note model is valid"),
    )
}

async fn open(path: &Path) -> (Arc<SqliteStore>, ResourceManager<Note>) {
    let store = Arc::new(SqliteStore::open(path).expect("the store opens"));
    let model = model();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .expect("the model registers");
    let notes = ResourceManager::new(model, store.clone()).expect("the manager is typed right");
    (store, notes)
}

fn request(id: &ResourceId, change: Change) -> WriteRequest {
    WriteRequest {
        resource_id: id.clone(),
        schema_version: "v1".into(),
        change,
        expected: None,
        user: "tester".into(),
        time: Timestamp::now(),
    }
}

fn sqlite_error(error: &Error) -> Option<&SqliteError> {
    error.source()?.downcast_ref::<SqliteError>()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_restore_purge() {
    let dir = TempDir::new().unwrap();
    let (store, notes) = open(&dir.path().join("a.db")).await;

    let created = notes.create(note("a", "first")).await.unwrap();
    let id = created.resource_id.clone();
    assert_eq!(created.number(), 1);
    assert_eq!(created.action, Action::Create);
    assert_eq!(created.parent_revision_id, None);
    let updated = notes.update(&id, note("b", "second")).await.unwrap();
    assert_eq!(updated.number(), 2);
    assert_eq!(updated.parent_revision_id, Some(id.revision(1)));
    assert!(updated.sequence > created.sequence);
    let same = notes.update(&id, note("b", "second")).await.unwrap();
    assert_eq!(same, updated, "unchanged data appends nothing");

    let current = notes.get(&id).await.unwrap();
    assert_eq!(current.data, note("b", "second"));
    assert_eq!(current.info, updated);
    assert_eq!(current.meta.indexed_data["title"], "b");

    let tombstone = notes.delete(&id).await.unwrap();
    assert_eq!((tombstone.number(), tombstone.deleted), (3, true));
    assert_eq!(tombstone.data_hash, updated.data_hash);
    assert!(matches!(notes.get(&id).await, Err(Error::Deleted { .. })));
    assert_eq!(notes.count().await.unwrap(), 0);
    assert_eq!(notes.count_including_deleted().await.unwrap(), 1);
    let restored = notes.restore(&id).await.unwrap();
    assert_eq!((restored.number(), restored.action), (4, Action::Restore));
    assert_eq!(notes.get(&id).await.unwrap().data, note("b", "second"));
    let old = notes.get_revision(&id, id.revision(1)).await.unwrap();
    assert_eq!(old.data, note("a", "first"));

    let history = notes.list_revisions(&id).await.unwrap();
    let actions: Vec<_> = history.iter().map(|i| i.action).collect();
    assert_eq!(
        actions,
        [
            Action::Create,
            Action::Update,
            Action::Delete,
            Action::Restore
        ]
    );
    assert!(history.windows(2).all(|w| w[0].sequence < w[1].sequence));

    let meta = notes.permanently_delete(&id).await.unwrap();
    assert_eq!(meta.total_revision_count, 4);
    assert!(matches!(
        notes.get(&id).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(store.read(&id, None).await.unwrap().is_none());
    assert!(
        store
            .revisions(&id, RevisionPage::ALL)
            .await
            .unwrap()
            .is_none()
    );
    let again = specstar_core::PurgeRequest {
        resource_id: id.parse().unwrap(),
        user: "someone".into(),
        time: specstar_core::Timestamp::now(),
    };
    assert!(store.purge(again).await.unwrap().is_none());
    store.check_integrity().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_by_number_and_pages_of_history() {
    let dir = TempDir::new().unwrap();
    let (store, notes) = open(&dir.path().join("a.db")).await;
    let id = notes.create(note("0", "")).await.unwrap().resource_id;
    for i in 1..10 {
        notes.update(&id, note(&i.to_string(), "")).await.unwrap();
    }
    let fetched = store.read(&id, Some(4)).await.unwrap().unwrap();
    assert_eq!(fetched.meta.total_revision_count, 10);
    let revision = fetched.revision.unwrap();
    assert_eq!(revision.info.number(), 4);
    assert_eq!(&revision.data[..], br#"{"body":"","title":"3"}"#);
    let missing = store.read(&id, Some(11)).await.unwrap().unwrap();
    assert!(missing.revision.is_none());
    assert!(
        store
            .read(&id, Some(u64::MAX))
            .await
            .unwrap()
            .unwrap()
            .revision
            .is_none()
    );

    let page = |offset, limit, newest_first| RevisionPage {
        offset,
        limit,
        newest_first,
    };
    let numbers = |infos: Vec<specstar_core::RevisionInfo>| {
        infos.iter().map(|i| i.number()).collect::<Vec<_>>()
    };
    let got = store.revisions(&id, page(2, Some(3), false)).await.unwrap();
    assert_eq!(numbers(got.unwrap()), [3, 4, 5]);
    let got = store.revisions(&id, page(1, Some(3), true)).await.unwrap();
    assert_eq!(numbers(got.unwrap()), [9, 8, 7]);
    let got = store.revisions(&id, page(8, None, true)).await.unwrap();
    assert_eq!(numbers(got.unwrap()), [2, 1]);
    let got = store.revisions(&id, page(20, None, false)).await.unwrap();
    assert_eq!(numbers(got.unwrap()), Vec::<u64>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_resumes_and_never_reuses_a_sequence() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/dirs/a.db");
    let (store, notes) = open(&path).await;
    let kept = notes.create(note("kept", "1")).await.unwrap();
    notes
        .update(&kept.resource_id, note("kept", "2"))
        .await
        .unwrap();
    let purged = notes.create(note("purged", "")).await.unwrap();
    notes.permanently_delete(&purged.resource_id).await.unwrap();
    let before = notes.get(&kept.resource_id).await.unwrap();
    drop((store, notes));

    let (store, notes) = open(&path).await;
    let after = notes.get(&kept.resource_id).await.unwrap();
    assert_eq!(
        (after.data, after.info, after.meta),
        (before.data, before.info, before.meta)
    );
    let next = notes
        .update(&kept.resource_id, note("kept", "3"))
        .await
        .unwrap();
    assert_eq!(next.number(), 3);
    assert!(
        next.sequence > purged.sequence,
        "the purged revision's sequence {} is not reused (got {})",
        purged.sequence,
        next.sequence
    );
    store.check_integrity().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_writers_all_land_with_unique_sequences() {
    let dir = TempDir::new().unwrap();
    let (store, notes) = open(&dir.path().join("a.db")).await;
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let notes = notes.clone();
            tokio::spawn(async move {
                let mut infos = Vec::new();
                let first = notes.create(note(&format!("w{w}"), "0")).await.unwrap();
                let id = first.resource_id.clone();
                infos.push(first);
                for i in 1..20 {
                    infos.push(
                        notes
                            .update(&id, note(&format!("w{w}"), &i.to_string()))
                            .await
                            .unwrap(),
                    );
                }
                infos
            })
        })
        .collect();
    let mut sequences = HashSet::new();
    for writer in writers {
        let infos = writer.await.unwrap();
        for (i, info) in infos.iter().enumerate() {
            assert_eq!(info.number(), i as u64 + 1);
            assert!(
                sequences.insert(info.sequence),
                "sequence {} given twice",
                info.sequence
            );
            let stored = store
                .read(&info.resource_id, Some(info.number()))
                .await
                .unwrap();
            assert_eq!(stored.unwrap().revision.unwrap().info, *info);
        }
    }
    assert_eq!(sequences.len(), 32 * 20);
    assert_eq!(notes.count().await.unwrap(), 32);
    store.check_integrity().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_write_does_not_touch_its_batch() {
    let dir = TempDir::new().unwrap();
    let options = SqliteOptions::default().max_batch(64);
    let store = Arc::new(SqliteStore::open_with(dir.path().join("a.db"), options).unwrap());
    let model = model();
    let contested = ResourceId::with_key("note", "contested").unwrap();
    let data = |i: usize| {
        model
            .encode(serde_json::json!({"title": i.to_string(), "body": ""}))
            .unwrap()
    };
    // Creates of one id race with creates of others: exactly one of the contested ones wins,
    // the others fail alone.
    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let store = store.clone();
            let id = if i % 3 == 0 {
                contested.clone()
            } else {
                ResourceId::with_key("note", &format!("n{i}")).unwrap()
            };
            let change = Change::Create(data(i));
            tokio::spawn(async move { store.write(request(&id, change)).await })
        })
        .collect();
    let (mut won, mut refused, mut others) = (0, 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(w) if w.info.resource_id == contested => won += 1,
            Ok(_) => others += 1,
            Err(Error::AlreadyExists { resource_id, .. }) if resource_id == contested => {
                refused += 1
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!((won, refused, others), (1, 15, 32));
    assert_eq!(store.count("note", false).await.unwrap(), 33);
    store.check_integrity().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integrity_check_lists_what_is_broken() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    let (store, notes) = open(&path).await;
    let a = notes.create(note("a", "")).await.unwrap().resource_id;
    notes.update(&a, note("a", "2")).await.unwrap();
    notes.update(&a, note("a", "3")).await.unwrap();
    let b = notes.create(note("b", "")).await.unwrap().resource_id;
    store.check_integrity().unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "DELETE FROM revisions WHERE resource_id = ?1 AND number = 2",
        [a.as_str()],
    )
    .unwrap();
    conn.execute("DELETE FROM heads WHERE resource_id = ?1", [b.as_str()])
        .unwrap();
    conn.execute(
        "UPDATE heads SET chain_hash = 'sha256:' || printf('%064d', 0) WHERE resource_id = ?1",
        [a.as_str()],
    )
    .unwrap();
    drop(conn);
    let Err(Error::Corrupt { reason, .. }) = store.check_integrity() else {
        panic!("the integrity check passes a broken file");
    };
    assert!(
        reason.contains(&format!("resource {a} counts 3 revisions")),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("revisions of {b} have no head")),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("head {a} has chain hash sha256:000")),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_rows_are_corrupt_not_store_errors() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    let (store, notes) = open(&path).await;
    let id = notes.create(note("a", "")).await.unwrap().resource_id;
    let other = notes.create(note("b", "")).await.unwrap().resource_id;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE heads SET data_hash = 'garbage' WHERE resource_id = ?1",
        [id.as_str()],
    )
    .unwrap();
    conn.execute(
        "UPDATE revisions SET action = 'teleport' WHERE resource_id = ?1",
        [other.as_str()],
    )
    .unwrap();
    drop(conn);
    let Err(Error::Corrupt { what, reason }) = store.meta(&id).await else {
        panic!("a bad data hash decodes");
    };
    assert_eq!(what, format!("head of {id}"));
    assert!(
        reason.contains("data_hash") && reason.contains("garbage"),
        "{reason}"
    );
    let Err(Error::Corrupt { reason, .. }) = store.revisions(&other, RevisionPage::ALL).await
    else {
        panic!("an unknown action decodes");
    };
    assert!(reason.contains("teleport"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_from_a_newer_version_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            sqlite_error(&error),
            Some(SqliteError::SchemaTooNew { found: 99, .. })
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_is_in_wal_mode_at_the_current_layout_version() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    let _store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(
        version, 8,
        "version 8: the purges (5), the chain (6), fingerprints (7), pins (8)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_store_stops_its_writer_and_closes_the_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    let (store, notes) = open(&path).await;
    notes.create(note("a", "")).await.unwrap();
    drop((store, notes));
    // The last connection to close checkpoints the WAL and removes it.
    assert!(
        !dir.path().join("a.db-wal").exists(),
        "the wal is left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_reads_a_file_without_changing_it() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a.db");
    let none = SqliteStore::inspect(&path).unwrap();
    assert_eq!((none.layout_version, none.models.len()), (0, 0));
    assert!(!path.exists(), "inspect creates no file");
    let (store, notes) = open(&path).await;
    notes.create(note("a", "")).await.unwrap();
    drop((store, notes));
    let found = SqliteStore::inspect(&path).unwrap();
    assert_eq!(found.layout_version, found.current_layout_version);
    assert_eq!(found.models.len(), 1);
    assert_eq!(
        (found.models[0].0.name.as_str(), found.models[0].1),
        ("note", 1)
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let refused = SqliteStore::inspect(&path).unwrap_err();
    assert!(refused.to_string().contains("99"), "{refused}");
}

/// Pruned data gives its pages back: a new file is in incremental auto-vacuum, and
/// `reclaim` shrinks it by about the bytes pruned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_then_reclaiming_shrinks_the_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("pruned.db");
    let (store, notes) = open(&path).await;
    let body = "x".repeat(20_000);
    let id = notes.create(note("n", &body)).await.unwrap().resource_id;
    for n in 0..40 {
        notes
            .update(&id, note("n", &format!("{n}{body}")))
            .await
            .unwrap();
    }
    let policy = specstar_core::Retention::keep_last(1);
    let pruned = notes.prune(&id, &policy).await.unwrap();
    assert_eq!(pruned.revisions, 40);
    let reclaimed = store.reclaim().await.unwrap();
    assert!(
        reclaimed >= pruned.bytes / 2,
        "{reclaimed} bytes given back of {} pruned",
        pruned.bytes
    );
    assert_eq!(
        store.reclaim().await.unwrap(),
        0,
        "nothing left to give back"
    );
    assert!(notes.verify(&id).await.unwrap().valid);
    drop((store, notes));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: i64 = conn
        .pragma_query_value(None, "auto_vacuum", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, 2, "incremental");
}
