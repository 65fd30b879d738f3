//! The scenarios: one `pub async fn` per point of the contract, each with exact asserts.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use specstar_core::{Action, DataPatch, Error, RevisionPage, Timestamp, json_patch};
use tokio::sync::Barrier;

use crate::TestStore;
use crate::fixtures::{Severity, Status, at, issue, issues, start_time, teams};

fn actions(history: &[specstar_core::RevisionInfo]) -> Vec<Action> {
    history.iter().map(|r| r.action).collect()
}

/// Create, get, update, get both revisions, list the history.
pub async fn create_get_update_history(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let mut first = issue("Search returns duplicate results");
    first.severity = Severity::High;
    first.assignee = Some("alice".into());
    let info = mgr.create(first.clone()).await.unwrap();
    assert_eq!(info.resource_id.model(), "issue");
    assert_eq!(
        info.revision_id.to_string(),
        format!("{}:1", info.resource_id)
    );
    assert_eq!(info.parent_revision_id, None);
    assert_eq!(info.action, Action::Create);
    assert!(!info.deleted);
    assert_eq!(&*info.schema_version, "v1");
    assert_eq!(&*info.created_by, "anonymous");
    assert_eq!(info.created_time, start_time());

    let latest = mgr.get(&info.resource_id).await.unwrap();
    assert_eq!(latest.data, first);
    assert_eq!(latest.info, info);
    assert_eq!(latest.meta.current_revision_id, info.revision_id);
    assert_eq!(latest.meta.total_revision_count, 1);

    clock.set(at(60));
    let mut second = first.clone();
    second.assignee = Some("bob".into());
    second.status = Status::InProgress;
    let updated = mgr.update(&info.resource_id, second.clone()).await.unwrap();
    assert_eq!(updated.revision_id, info.resource_id.revision(2));
    assert_eq!(updated.parent_revision_id, Some(info.revision_id.clone()));
    assert_eq!(updated.action, Action::Update);
    assert_eq!(updated.created_time, at(60));

    assert_eq!(mgr.get(&info.resource_id).await.unwrap().data, second);
    let old = mgr
        .get_revision(&info.resource_id, &info.revision_id)
        .await
        .unwrap();
    assert_eq!(old.data, first);
    assert_eq!(old.info, info);
    assert_eq!(old.meta.current_revision_id, updated.revision_id);

    let history = mgr.list_revisions(&info.resource_id).await.unwrap();
    assert_eq!(history, vec![info.clone(), updated.clone()]);
    let meta = mgr.get_meta(&info.resource_id).await.unwrap();
    assert_eq!(meta.created_time, start_time());
    assert_eq!(meta.updated_time, at(60));
    assert_eq!(meta.total_revision_count, 2);
    assert!(mgr.exists(&info.resource_id).await.unwrap());
}

/// An update with data equal to the current data appends nothing and returns the head.
pub async fn same_data_appends_nothing(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("a")).await.unwrap();
    let again = mgr.update(&info.resource_id, issue("a")).await.unwrap();
    assert_eq!(again, info);
    // Untyped data that normalizes to the same value (defaults left out) is the same data.
    let same = json!({"title": "a", "description": null, "assignee": null, "due_date": null, "resolved_at": null});
    let written = mgr
        .dynamic()
        .update(&info.resource_id, same, None)
        .await
        .unwrap();
    assert!(!written.appended);
    assert_eq!(written.info, info);
    assert_eq!(
        mgr.list_revisions(&info.resource_id).await.unwrap().len(),
        1
    );
    let changed = mgr.update(&info.resource_id, issue("b")).await.unwrap();
    assert_eq!(changed.number(), 2);
}

/// After a delete, the current revision says "deleted" but every revision stays readable.
pub async fn old_revisions_readable_after_delete(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("v1")).await.unwrap();
    let second = mgr.update(&info.resource_id, issue("v2")).await.unwrap();
    let tombstone = mgr.delete(&info.resource_id).await.unwrap();
    assert_eq!(tombstone.revision_id, info.resource_id.revision(3));
    assert_eq!(tombstone.action, Action::Delete);
    assert!(tombstone.deleted);
    assert_eq!(
        tombstone.parent_revision_id,
        Some(second.revision_id.clone())
    );
    assert_eq!(
        tombstone.data_hash, second.data_hash,
        "a tombstone carries the last data"
    );

    assert!(matches!(
        mgr.get(&info.resource_id).await,
        Err(Error::Deleted { resource_id }) if resource_id == info.resource_id
    ));
    let old = mgr
        .get_revision(&info.resource_id, &info.revision_id)
        .await
        .unwrap();
    assert_eq!(old.data, issue("v1"));
    assert!(old.meta.is_deleted);
    let dead = mgr
        .get_revision(&info.resource_id, &tombstone.revision_id)
        .await
        .unwrap();
    assert_eq!(dead.data, issue("v2"));
    assert!(dead.info.deleted);
    let head = mgr.get_including_deleted(&info.resource_id).await.unwrap();
    assert_eq!(head.info, tombstone);
    assert!(mgr.exists(&info.resource_id).await.unwrap());
}

/// Create, update, delete, restore: four revisions in order, with action, user and time.
pub async fn delete_restore_history_lists_four_revisions(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let info = mgr.as_user("alice").create(issue("v1")).await.unwrap();
    clock.set(at(1));
    mgr.as_user("bob")
        .update(&info.resource_id, issue("v2"))
        .await
        .unwrap();
    clock.set(at(2));
    let deleted = mgr
        .as_user("carol")
        .delete(&info.resource_id)
        .await
        .unwrap();
    clock.set(at(3));
    let restored = mgr
        .as_user("dave")
        .restore(&info.resource_id)
        .await
        .unwrap();
    assert_eq!(deleted.revision_id, info.resource_id.revision(3));
    assert_eq!(restored.revision_id, info.resource_id.revision(4));
    assert!(!restored.deleted);

    let history = mgr.list_revisions(&info.resource_id).await.unwrap();
    let numbers: Vec<u64> = history.iter().map(|r| r.number()).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(
        actions(&history),
        [
            Action::Create,
            Action::Update,
            Action::Delete,
            Action::Restore
        ]
    );
    let users: Vec<&str> = history.iter().map(|r| &*r.created_by).collect();
    assert_eq!(users, ["alice", "bob", "carol", "dave"]);
    let times: Vec<Timestamp> = history.iter().map(|r| r.created_time).collect();
    assert_eq!(times, [at(0), at(1), at(2), at(3)]);
    let deleted_flags: Vec<bool> = history.iter().map(|r| r.deleted).collect();
    assert_eq!(deleted_flags, [false, false, true, false]);
    for pair in history.windows(2) {
        assert_eq!(
            pair[1].parent_revision_id.as_ref(),
            Some(&pair[0].revision_id)
        );
    }

    let live = mgr.get(&info.resource_id).await.unwrap();
    assert_eq!(live.data, issue("v2"));
    assert_eq!(live.info, restored);
    assert!(!live.meta.is_deleted);
    assert_eq!(live.meta.created_by.as_ref(), "alice");
    assert_eq!(live.meta.updated_by.as_ref(), "dave");
    assert_eq!(live.meta.updated_time, at(3));
}

/// Deleting a deleted resource is "deleted"; restoring a live one changes nothing; writes to a
/// deleted resource are refused.
pub async fn delete_twice_and_restore_live(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("a")).await.unwrap();
    let same = mgr.restore(&info.resource_id).await.unwrap();
    assert_eq!(same, info, "restoring a live resource changes nothing");
    mgr.delete(&info.resource_id).await.unwrap();
    assert!(matches!(
        mgr.delete(&info.resource_id).await,
        Err(Error::Deleted { .. })
    ));
    assert!(matches!(
        mgr.update(&info.resource_id, issue("b")).await,
        Err(Error::Deleted { .. })
    ));
    let patch = DataPatch::Merge(json!({"title": "c"}));
    assert!(matches!(
        mgr.patch(&info.resource_id, &patch).await,
        Err(Error::Deleted { .. })
    ));
    assert!(matches!(
        mgr.revert(&info.resource_id, &info.revision_id).await,
        Err(Error::Deleted { .. })
    ));
    assert_eq!(
        mgr.list_revisions(&info.resource_id).await.unwrap().len(),
        2
    );
    mgr.restore(&info.resource_id).await.unwrap();
    let again = mgr.restore(&info.resource_id).await.unwrap();
    assert_eq!(again.number(), 3);
    assert_eq!(
        mgr.list_revisions(&info.resource_id).await.unwrap().len(),
        3
    );
}

/// Revert appends a copy of an old revision; history only moves forward.
pub async fn revert_appends_copy(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let first = mgr.create(issue("v1")).await.unwrap();
    let second = mgr.update(&first.resource_id, issue("v2")).await.unwrap();
    let reverted = mgr
        .revert(&first.resource_id, &first.revision_id)
        .await
        .unwrap();
    assert_eq!(reverted.number(), 3);
    assert_eq!(reverted.action, Action::Revert);
    assert_eq!(
        reverted.parent_revision_id,
        Some(second.revision_id.clone())
    );
    assert_eq!(reverted.data_hash, first.data_hash);
    assert_eq!(mgr.get(&first.resource_id).await.unwrap().data, issue("v1"));
    let unchanged = mgr
        .revert(&first.resource_id, &first.revision_id)
        .await
        .unwrap();
    assert_eq!(
        unchanged, reverted,
        "reverting to the current data appends nothing"
    );
    let missing = first.resource_id.revision(9).to_string();
    assert!(matches!(
        mgr.revert(&first.resource_id, &missing).await,
        Err(Error::RevisionNotFound { revision_id }) if revision_id.number() == 9
    ));
    assert_eq!(
        mgr.list_revisions(&first.resource_id).await.unwrap().len(),
        3
    );
}

/// JSON Patch and merge patch append revisions; bad patches and bad results write nothing.
pub async fn patch_json_and_merge(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("a")).await.unwrap();
    let id = &info.resource_id;
    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "replace", "path": "/status", "value": "resolved"}]))
            .unwrap();
    let patched = mgr.patch(id, &DataPatch::Json(ops)).await.unwrap();
    assert_eq!(patched.number(), 2);
    assert_eq!(patched.action, Action::Patch);
    assert_eq!(mgr.get(id).await.unwrap().data.status, Status::Resolved);

    let merged = mgr
        .patch(
            id,
            &DataPatch::Merge(json!({"assignee": "carol", "description": "d"})),
        )
        .await
        .unwrap();
    assert_eq!(merged.number(), 3);
    let data = mgr.get(id).await.unwrap().data;
    assert_eq!(data.assignee.as_deref(), Some("carol"));
    assert_eq!(data.status, Status::Resolved);

    let invalid = DataPatch::Merge(json!({"severity": "urgent"}));
    assert!(matches!(
        mgr.patch(id, &invalid).await,
        Err(Error::Validation { .. })
    ));
    let failing: json_patch::Patch =
        serde_json::from_value(json!([{"op": "test", "path": "/title", "value": "zzz"}])).unwrap();
    assert!(matches!(
        mgr.patch(id, &DataPatch::Json(failing)).await,
        Err(Error::Patch { .. })
    ));
    let stale = DataPatch::Merge(json!({"title": "late"}));
    assert!(matches!(
        mgr.patch_if(id, &stale, &info.revision_id).await,
        Err(Error::Conflict { .. })
    ));
    let noop = mgr
        .patch(id, &DataPatch::Merge(json!({"title": "a"})))
        .await
        .unwrap();
    assert_eq!(noop, merged, "a patch that changes nothing appends nothing");
    assert_eq!(mgr.list_revisions(id).await.unwrap().len(), 3);
}

/// Permanent delete erases a resource and its revisions, and nothing else.
pub async fn permanently_delete_erases(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let keep = mgr.create(issue("keep")).await.unwrap();
    let gone = mgr.create(issue("gone")).await.unwrap();
    mgr.update(&gone.resource_id, issue("gone 2"))
        .await
        .unwrap();
    let meta = mgr.permanently_delete(&gone.resource_id).await.unwrap();
    assert_eq!(meta.total_revision_count, 2);
    assert!(matches!(
        mgr.get(&gone.resource_id).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.get_revision(&gone.resource_id, &gone.revision_id).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.list_revisions(&gone.resource_id).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(!mgr.exists(&gone.resource_id).await.unwrap());
    assert!(matches!(
        mgr.permanently_delete(&gone.resource_id).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert_eq!(
        mgr.get(&keep.resource_id).await.unwrap().data,
        issue("keep")
    );
    assert_eq!(mgr.count().await.unwrap(), 1);
}

/// An expected revision that is not current refuses the write and writes nothing.
pub async fn expected_revision_guards_writes(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let first = mgr.create(issue("a")).await.unwrap();
    let id = &first.resource_id;
    let second = mgr
        .update_if(id, issue("b"), &first.revision_id)
        .await
        .unwrap();
    match mgr.update_if(id, issue("c"), &first.revision_id).await {
        Err(Error::Conflict { expected, actual }) => {
            assert_eq!(expected, first.revision_id);
            assert_eq!(actual, second.revision_id);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        mgr.delete_if(id, &first.revision_id).await,
        Err(Error::Conflict { .. })
    ));
    let ahead = id.revision(7).to_string();
    assert!(matches!(
        mgr.update_if(id, issue("c"), &ahead).await,
        Err(Error::Conflict { .. })
    ));
    let other = mgr.create(issue("other")).await.unwrap();
    assert!(matches!(
        mgr.update_if(id, issue("c"), &other.revision_id).await,
        Err(Error::ForeignRevision { .. })
    ));
    assert!(matches!(
        mgr.update_if(id, issue("c"), "not-a-revision").await,
        Err(Error::MalformedId { .. })
    ));
    assert_eq!(mgr.get(id).await.unwrap().data, issue("b"));
    assert_eq!(mgr.list_revisions(id).await.unwrap().len(), 2);
    let deleted = mgr.delete_if(id, &second.revision_id).await.unwrap();
    assert_eq!(deleted.number(), 3);
}

/// Two (and eight) writers racing from one head: exactly one wins, every time.
pub async fn racing_writers_from_one_head_exactly_one_wins(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    for round in 0..40 {
        let writers = if round % 2 == 0 { 2 } else { 8 };
        let first = mgr.create(issue("start")).await.unwrap();
        let barrier = Arc::new(Barrier::new(writers));
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (mgr, barrier, first) = (mgr.clone(), barrier.clone(), first.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    mgr.update_if(
                        &first.resource_id,
                        issue(&format!("writer {w}")),
                        &first.revision_id,
                    )
                    .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(info) => {
                    wins += 1;
                    assert_eq!(info.number(), 2);
                }
                Err(Error::Conflict { .. }) => {}
                Err(other) => panic!("round {round}: unexpected error {other}"),
            }
        }
        assert_eq!(
            wins, 1,
            "round {round}: exactly one of {writers} writers wins"
        );
        assert_eq!(
            mgr.list_revisions(&first.resource_id).await.unwrap().len(),
            2
        );
    }
}

/// 8 tasks × 200 unconditioned updates of one resource: 1,601 revisions, dense, none lost.
pub async fn concurrent_unconditioned_updates_none_lost(t: TestStore) {
    const TASKS: usize = 8;
    const UPDATES: usize = 200;
    let (mgr, _) = issues(&t.store).await;
    let first = mgr.create(issue("start")).await.unwrap();
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (mgr, barrier, id) = (mgr.clone(), barrier.clone(), first.resource_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut written = Vec::with_capacity(UPDATES);
                for i in 0..UPDATES {
                    let info = mgr
                        .update(&id, issue(&format!("task {task} update {i}")))
                        .await
                        .unwrap();
                    written.push(info);
                }
                written
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        written.extend(task.await.unwrap());
    }
    let history = mgr.list_revisions(&first.resource_id).await.unwrap();
    assert_eq!(history.len(), 1 + TASKS * UPDATES);
    for (i, info) in history.iter().enumerate() {
        assert_eq!(info.number(), i as u64 + 1, "revision numbers are dense");
    }
    let numbers: HashSet<u64> = written.iter().map(|r| r.number()).collect();
    assert_eq!(
        numbers.len(),
        TASKS * UPDATES,
        "every update got its own revision"
    );
    let hashes: HashSet<_> = history.iter().map(|r| r.data_hash).collect();
    assert_eq!(
        hashes.len(),
        1 + TASKS * UPDATES,
        "no update's data was lost"
    );
    let meta = mgr.get_meta(&first.resource_id).await.unwrap();
    assert_eq!(meta.total_revision_count, 1 + (TASKS * UPDATES) as u64);
}

/// Sequence numbers are unique store-wide and grow with every write.
pub async fn sequence_numbers_grow_store_wide(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let team_mgr = teams(&t.store).await;
    let a = mgr.create(issue("a")).await.unwrap();
    let team = team_mgr
        .create(crate::fixtures::Team {
            name: "core".into(),
        })
        .await
        .unwrap();
    let b = mgr.update(&a.resource_id, issue("b")).await.unwrap();
    let c = mgr.delete(&a.resource_id).await.unwrap();
    assert!(a.sequence > 0);
    assert!(a.sequence < team.sequence && team.sequence < b.sequence && b.sequence < c.sequence);
    let history = mgr.list_revisions(&a.resource_id).await.unwrap();
    let read: Vec<u64> = history.iter().map(|r| r.sequence).collect();
    assert_eq!(read, [a.sequence, b.sequence, c.sequence]);

    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let mgr = mgr.clone();
            tokio::spawn(async move {
                let mut sequences = Vec::new();
                for i in 0..25 {
                    let info = mgr.create(issue(&format!("{task}-{i}"))).await.unwrap();
                    sequences.push(info.sequence);
                }
                sequences
            })
        })
        .collect();
    let mut all = HashSet::new();
    for task in tasks {
        let sequences = task.await.unwrap();
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "one caller's writes grow"
        );
        for s in sequences {
            assert!(s > c.sequence);
            assert!(all.insert(s), "sequence {s} given twice");
        }
    }
}

/// The same data has the same hash: pinned, so every store and every process agrees.
pub async fn data_hash_is_stable(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let mut data = issue("Search returns duplicate results");
    data.severity = Severity::High;
    data.assignee = Some("alice".into());
    let info = mgr.create(data.clone()).await.unwrap();
    assert_eq!(info.data_hash.to_string(), PINNED_QUICKSTART_HASH);
    let reordered = json!({"severity": "high", "resolved_at": null, "assignee": "alice",
        "title": "Search returns duplicate results", "status": "open"});
    let other = mgr.dynamic().create(reordered).await.unwrap();
    assert_eq!(other.info.data_hash, info.data_hash);
    let read = mgr.get(&info.resource_id).await.unwrap();
    assert_eq!(read.info.data_hash, info.data_hash);
}

/// The hash of the quickstart's first issue, as every store must compute it.
pub const PINNED_QUICKSTART_HASH: &str = "xxh3_128:9bd4eceb42f71569e1e9d647f7a98a30";

/// Malformed ids, ids of another model and unknown ids are distinct errors.
pub async fn ids_malformed_foreign_unknown_are_distinct(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("a")).await.unwrap();
    let id = &info.resource_id;
    for bad in [
        "",
        "issue",
        "issue:",
        "issue:a/b",
        "issue:has space",
        &format!("{id}:1"),
    ] {
        assert!(
            matches!(mgr.get(bad).await, Err(Error::MalformedId { .. })),
            "{bad:?}"
        );
    }
    assert!(matches!(
        mgr.get("team:0193").await,
        Err(Error::ForeignModel { expected, found, .. }) if expected == "issue" && found == "team"
    ));
    assert!(matches!(
        mgr.get("issue:0193-unknown").await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.get_revision(id, "issue:other:1").await,
        Err(Error::ForeignRevision { .. })
    ));
    assert!(matches!(
        mgr.get_revision(id, &format!("{id}:99")).await,
        Err(Error::RevisionNotFound { revision_id }) if revision_id.number() == 99
    ));
    assert!(matches!(
        mgr.get_revision(id, &format!("{id}:0")).await,
        Err(Error::MalformedId { .. })
    ));
    assert!(matches!(
        mgr.update("team:x", issue("b")).await,
        Err(Error::ForeignModel { .. })
    ));
    assert!(matches!(
        mgr.delete("issue:unknown").await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.restore("issue:unknown").await,
        Err(Error::ResourceNotFound { .. })
    ));
}

/// Callers may choose ids; an id is taken forever (until permanently deleted).
pub async fn caller_chosen_ids(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create_with_id("my-issue-1", issue("a")).await.unwrap();
    assert_eq!(info.resource_id.as_str(), "issue:my-issue-1");
    assert_eq!(info.revision_id.to_string(), "issue:my-issue-1:1");
    assert!(matches!(
        mgr.create_with_id("my-issue-1", issue("b")).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(
        mgr.create_with_id("issue:my-issue-2", issue("b"))
            .await
            .is_ok()
    );
    assert!(matches!(
        mgr.create_with_id("team:x", issue("b")).await,
        Err(Error::ForeignModel { .. })
    ));
    assert!(matches!(
        mgr.create_with_id("a/b", issue("b")).await,
        Err(Error::MalformedId { .. })
    ));
    mgr.delete("issue:my-issue-1").await.unwrap();
    assert!(matches!(
        mgr.create_with_id("my-issue-1", issue("c")).await,
        Err(Error::AlreadyExists { .. })
    ));
    mgr.permanently_delete("issue:my-issue-1").await.unwrap();
    let reborn = mgr.create_with_id("my-issue-1", issue("c")).await.unwrap();
    assert_eq!(reborn.number(), 1);
    assert_eq!(mgr.get(&reborn.resource_id).await.unwrap().data, issue("c"));
}

/// Data that does not fit the model is refused with its path; nothing is stored.
pub async fn validation_refuses_bad_data(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let dynamic = mgr.dynamic();
    let path_of = |e: Error| match e {
        Error::Validation { errors, .. } => errors.0[0].path.clone(),
        other => panic!("expected a validation error, got {other}"),
    };
    assert_eq!(
        path_of(
            dynamic
                .create(json!({"severity": "low"}))
                .await
                .unwrap_err()
        ),
        "$"
    );
    assert_eq!(
        path_of(
            dynamic
                .create(json!({"title": "t", "severity": "urgent"}))
                .await
                .unwrap_err()
        ),
        "$.severity"
    );
    assert_eq!(
        path_of(
            dynamic
                .create(json!({"title": "t", "bogus": 1}))
                .await
                .unwrap_err()
        ),
        "$.bogus"
    );
    assert_eq!(
        path_of(
            dynamic
                .create(json!({"title": "t", "due_date": "tomorrow"}))
                .await
                .unwrap_err()
        ),
        "$.due_date"
    );
    assert!(matches!(
        dynamic.create(json!([1, 2])).await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(mgr.count_including_deleted().await.unwrap(), 0);
    let info = mgr.create(issue("a")).await.unwrap();
    assert!(matches!(
        dynamic
            .update(&info.resource_id, json!({"title": 5}), None)
            .await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(
        mgr.list_revisions(&info.resource_id).await.unwrap().len(),
        1
    );
}

/// Every write records the acting user and the clock's time, per call or per scope.
pub async fn user_and_clock_recorded(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let info = mgr.create(issue("a")).await.unwrap();
    assert_eq!(&*info.created_by, "anonymous");
    let alice = mgr.as_user("alice");
    clock.set(at(10));
    let second = alice.update(&info.resource_id, issue("b")).await.unwrap();
    assert_eq!(
        (&*second.created_by, second.created_time),
        ("alice", at(10))
    );
    clock.advance_micros(1);
    let third = alice
        .as_user("bob")
        .update(&info.resource_id, issue("c"))
        .await
        .unwrap();
    assert_eq!(&*third.created_by, "bob");
    assert_eq!(third.created_time.as_micros(), at(10).as_micros() + 1);
    let meta = mgr.get_meta(&info.resource_id).await.unwrap();
    assert_eq!((&*meta.created_by, meta.created_time), ("anonymous", at(0)));
    assert_eq!(
        (&*meta.updated_by, meta.updated_time),
        ("bob", third.created_time)
    );
    let later = specstar_core::FixedClock::new(at(99));
    let fourth = mgr
        .with_clock(later)
        .update(&info.resource_id, issue("d"))
        .await
        .unwrap();
    assert_eq!(fourth.created_time, at(99));
}

/// The head carries the indexed values of the current data.
pub async fn indexed_values_follow_the_head(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let mut data = issue("a");
    data.assignee = Some("alice".into());
    let info = mgr.create(data.clone()).await.unwrap();
    let id = &info.resource_id;
    let expected = json!({"status": "open", "severity": "medium", "assignee": "alice"});
    assert_eq!(
        json!(mgr.get_meta(id).await.unwrap().indexed_data),
        expected
    );
    data.assignee = None;
    data.severity = Severity::High;
    mgr.update(id, data).await.unwrap();
    let updated = json!({"status": "open", "severity": "high", "assignee": null});
    assert_eq!(json!(mgr.get_meta(id).await.unwrap().indexed_data), updated);
    mgr.delete(id).await.unwrap();
    assert_eq!(json!(mgr.get_meta(id).await.unwrap().indexed_data), updated);
    mgr.restore(id).await.unwrap();
    mgr.revert(id, &info.revision_id).await.unwrap();
    assert_eq!(
        json!(mgr.get_meta(id).await.unwrap().indexed_data),
        expected
    );
}

/// The history pages both ways.
pub async fn revision_pages(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("v1")).await.unwrap();
    for v in 2..=5 {
        mgr.update(&info.resource_id, issue(&format!("v{v}")))
            .await
            .unwrap();
    }
    let page = |offset, limit, newest_first| RevisionPage {
        offset,
        limit,
        newest_first,
    };
    let numbers = |revisions: Vec<specstar_core::RevisionInfo>| {
        revisions.iter().map(|r| r.number()).collect::<Vec<_>>()
    };
    let id = &info.resource_id;
    assert_eq!(
        numbers(
            mgr.list_revisions_page(id, page(1, Some(2), false))
                .await
                .unwrap()
        ),
        [2, 3]
    );
    assert_eq!(
        numbers(
            mgr.list_revisions_page(id, page(0, Some(2), true))
                .await
                .unwrap()
        ),
        [5, 4]
    );
    assert_eq!(
        numbers(
            mgr.list_revisions_page(id, page(3, None, true))
                .await
                .unwrap()
        ),
        [2, 1]
    );
    assert!(
        mgr.list_revisions_page(id, page(9, Some(2), false))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        mgr.list_revisions_page(id, page(0, Some(0), false))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Counts are per model; deleted resources count only when asked.
pub async fn count_by_model(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let team_mgr = teams(&t.store).await;
    let a = mgr.create(issue("a")).await.unwrap();
    mgr.create(issue("b")).await.unwrap();
    team_mgr
        .create(crate::fixtures::Team { name: "x".into() })
        .await
        .unwrap();
    mgr.delete(&a.resource_id).await.unwrap();
    assert_eq!(mgr.count().await.unwrap(), 1);
    assert_eq!(mgr.count_including_deleted().await.unwrap(), 2);
    assert_eq!(team_mgr.count().await.unwrap(), 1);
}

/// Reopening a persistent store resumes everything: data, history, numbers, sequences, indexes.
pub async fn reopen_resumes_everything(t: TestStore) {
    let reopen = t
        .reopen
        .expect("a persistent store's suite gives a way to reopen it");
    let (mgr, _) = issues(&t.store).await;
    let mut data = issue("a");
    data.assignee = Some("alice".into());
    let kept = mgr.create(data.clone()).await.unwrap();
    mgr.update(&kept.resource_id, issue("b")).await.unwrap();
    let dead = mgr.create(issue("dead")).await.unwrap();
    let tombstone = mgr.delete(&dead.resource_id).await.unwrap();
    let before_meta = mgr.get_meta(&kept.resource_id).await.unwrap();
    let before_history = mgr.list_revisions(&kept.resource_id).await.unwrap();
    drop(mgr);
    let store = t.store;
    drop(store);

    let reopened = reopen().await;
    let (mgr, _) = issues(&reopened).await;
    assert_eq!(mgr.get_meta(&kept.resource_id).await.unwrap(), before_meta);
    assert_eq!(
        mgr.list_revisions(&kept.resource_id).await.unwrap(),
        before_history
    );
    assert_eq!(
        mgr.get_revision(&kept.resource_id, &kept.revision_id)
            .await
            .unwrap()
            .data,
        data
    );
    assert!(matches!(
        mgr.get(&dead.resource_id).await,
        Err(Error::Deleted { .. })
    ));
    let next = mgr.update(&kept.resource_id, issue("c")).await.unwrap();
    assert_eq!(next.number(), 3);
    assert!(
        next.sequence > tombstone.sequence,
        "sequences continue after a reopen"
    );
    assert_eq!(mgr.count().await.unwrap(), 1);
    assert_eq!(mgr.count_including_deleted().await.unwrap(), 2);
    let restored = mgr.restore(&dead.resource_id).await.unwrap();
    assert_eq!(restored.number(), 3);
}

/// Random operation sequences give the same results as a plain model of the contract.
pub async fn random_operation_sequences_match_the_model(t: TestStore) {
    crate::properties::check_against_model(t.store).await;
}

/// The store lists the models it holds, by name, as last registered: a new schema version or
/// other indexed fields replace what it said before; a reopened store still says it.
pub async fn registered_models_are_listed(t: TestStore) {
    use specstar_core::{ModelDescriptor, RegisteredModel, Schema};

    assert!(t.store.registered_models().await.unwrap().is_empty());
    let (mgr, _) = issues(&t.store).await;
    teams(&t.store).await;
    mgr.create(issue("kept")).await.unwrap();
    let listed = t.store.registered_models().await.unwrap();
    let expected = |issue_version: &str, issue_paths: &[&str]| {
        vec![
            RegisteredModel {
                name: "issue".into(),
                schema_version: issue_version.into(),
                indexed_paths: issue_paths.iter().map(|p| (*p).to_owned()).collect(),
            },
            RegisteredModel {
                name: "team".into(),
                schema_version: "v1".into(),
                indexed_paths: vec!["name".into()],
            },
        ]
    };
    assert_eq!(listed, expected("v1", &["status", "severity", "assignee"]));
    let changed = Schema::<crate::fixtures::Issue>::new("v2")
        .index("assignee")
        .build()
        .unwrap();
    t.store
        .register_model(&ModelDescriptor::from(&changed))
        .await
        .unwrap();
    let listed = t.store.registered_models().await.unwrap();
    assert_eq!(listed, expected("v2", &["assignee"]));
    if let Some(reopen) = &t.reopen {
        drop(mgr);
        drop(t.store);
        let reopened = reopen().await;
        assert_eq!(
            reopened.registered_models().await.unwrap(),
            expected("v2", &["assignee"])
        );
    }
}
