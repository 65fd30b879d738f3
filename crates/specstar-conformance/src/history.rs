//! History scenarios: what changed between any two revisions of a resource, and which
//! revision was current at a time.

use serde_json::json;
use specstar_core::json_patch;
use specstar_core::{Error, LeafChange, Timestamp};

use crate::TestStore;
use crate::fixtures::{Issue, Status, at, issue, issues};

/// A diff compares any two revisions, in either order, tombstones by their data; applying its
/// patch to the first revision's data gives exactly the second's; unknown revisions and
/// revisions of another resource are refused.
pub async fn diff_between_any_two_revisions(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let first = issue("search returns duplicates");
    let created = mgr.create(first.clone()).await.unwrap();
    let id = created.resource_id.clone();
    let second = Issue {
        assignee: Some("bob".into()),
        status: Status::InProgress,
        ..first.clone()
    };
    mgr.update(&id, second).await.unwrap();
    mgr.delete(&id).await.unwrap();

    let diff = mgr.diff(&id, 1, 2).await.unwrap();
    assert_eq!(diff.resource_id, id);
    assert_eq!(diff.from_revision_id, id.revision(1));
    assert_eq!(diff.to_revision_id, id.revision(2));
    assert_eq!(
        diff.changes,
        [
            LeafChange {
                path: "/assignee".into(),
                from: Some(json!(null)),
                to: Some(json!("bob")),
            },
            LeafChange {
                path: "/status".into(),
                from: Some(json!("open")),
                to: Some(json!("in_progress")),
            },
        ]
    );
    let one = mgr.get_revision(&id, 1).await.unwrap().data;
    let two = mgr.get_revision(&id, 2).await.unwrap().data;
    let mut doc = serde_json::to_value(&one).unwrap();
    json_patch::patch(&mut doc, &diff.patch).unwrap();
    assert_eq!(doc, serde_json::to_value(&two).unwrap());

    let back = mgr.diff(&id, &id.revision(2).to_string(), 1).await.unwrap();
    assert_eq!(back.changes[0].from, Some(json!("bob")));
    assert_eq!(back.changes[0].to, Some(json!(null)));
    let tombstone = mgr.diff(&id, 2, 3).await.unwrap();
    assert!(
        tombstone.patch.0.is_empty(),
        "a tombstone carries the last data"
    );
    assert!(mgr.diff(&id, 3, 3).await.unwrap().changes.is_empty());

    let missing = mgr.diff(&id, 1, 9).await.unwrap_err();
    assert!(
        matches!(missing, Error::RevisionNotFound { .. }),
        "{missing}"
    );
    let other = mgr.create(issue("other")).await.unwrap();
    let foreign = mgr
        .diff(&id, 1, other.revision_id.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(foreign, Error::ForeignRevision { .. }),
        "{foreign}"
    );
    let zero = mgr.diff(&id, 0, 1).await.unwrap_err();
    assert!(matches!(zero, Error::MalformedId { .. }), "{zero}");
    mgr.permanently_delete(&id).await.unwrap();
    let gone = mgr.diff(&id, 1, 2).await.unwrap_err();
    assert!(matches!(gone, Error::ResourceNotFound { .. }), "{gone}");
}

/// An as-of read answers the last revision created at or before the time: before the first it
/// is "not yet created" (naming when it was), at a revision's exact time that revision, between
/// two the earlier, after the last the last; of revisions with equal times the highest number.
pub async fn as_of_reads_the_revision_current_then(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    clock.set(at(10));
    let first = issue("as of");
    let id = mgr.create(first.clone()).await.unwrap().resource_id;
    clock.set(at(20));
    let second = Issue {
        assignee: Some("ann".into()),
        ..first.clone()
    };
    mgr.update(&id, second.clone()).await.unwrap();
    clock.set(at(30));
    let third = Issue {
        status: Status::InProgress,
        ..second.clone()
    };
    mgr.update(&id, third.clone()).await.unwrap();
    let fourth = Issue {
        status: Status::Resolved,
        ..third.clone()
    };
    mgr.update(&id, fourth.clone()).await.unwrap();

    let early = mgr.get_as_of(&id, at(5)).await.unwrap_err();
    let Error::NotYetCreated {
        resource_id,
        time,
        created_time,
    } = &early
    else {
        panic!("not yet created, not {early}");
    };
    assert_eq!((resource_id, *time, *created_time), (&id, at(5), at(10)));
    let number = |r: &specstar_core::Resource<Issue>| r.info.revision_id.number();
    let exact = mgr.get_as_of(&id, at(10)).await.unwrap();
    assert_eq!((number(&exact), &exact.data), (1, &first));
    let between = mgr.get_as_of(&id, at(15)).await.unwrap();
    assert_eq!((number(&between), &between.data), (1, &first));
    let second_read = mgr.get_as_of(&id, at(29)).await.unwrap();
    assert_eq!((number(&second_read), &second_read.data), (2, &second));
    let tied = mgr.get_as_of(&id, at(30)).await.unwrap();
    assert_eq!(
        (number(&tied), &tied.data),
        (4, &fourth),
        "ties: the highest number"
    );
    let late = mgr.get_as_of(&id, at(1_000_000)).await.unwrap();
    assert_eq!((number(&late), &late.data), (4, &fourth));
    assert_eq!(late.meta.current_revision_id, id.revision(4));
    let just_before = Timestamp::from_micros(at(20).as_micros() - 1).unwrap();
    assert_eq!(number(&mgr.get_as_of(&id, just_before).await.unwrap()), 1);
}

/// A tombstone current at the time is "deleted", and readable with `including_deleted` (it
/// carries the last data); after a restore the restored revision; a resource erased, or never
/// created, is not found at any time.
pub async fn as_of_tombstones_restores_and_purges(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    clock.set(at(10));
    let first = issue("deleted then restored");
    let id = mgr.create(first.clone()).await.unwrap().resource_id;
    clock.set(at(20));
    mgr.delete(&id).await.unwrap();
    clock.set(at(30));
    mgr.restore(&id).await.unwrap();

    let deleted = mgr.get_as_of(&id, at(25)).await.unwrap_err();
    assert!(matches!(deleted, Error::Deleted { .. }), "{deleted}");
    let tombstone = mgr.get_as_of_including_deleted(&id, at(25)).await.unwrap();
    assert_eq!(tombstone.info.revision_id, id.revision(2));
    assert!(tombstone.info.deleted);
    assert_eq!(tombstone.data, first);
    let live = mgr.get_as_of_including_deleted(&id, at(15)).await.unwrap();
    assert_eq!(live.info.revision_id, id.revision(1));
    let restored = mgr.get_as_of(&id, at(30)).await.unwrap();
    assert_eq!(restored.info.revision_id, id.revision(3));
    assert!(!restored.info.deleted);
    assert_eq!(restored.data, first);

    let early = mgr
        .get_as_of_including_deleted(&id, at(0))
        .await
        .unwrap_err();
    assert!(matches!(early, Error::NotYetCreated { .. }), "{early}");
    mgr.permanently_delete(&id).await.unwrap();
    let gone = mgr.get_as_of(&id, at(30)).await.unwrap_err();
    assert!(matches!(gone, Error::ResourceNotFound { .. }), "{gone}");
    let never = mgr.get_as_of("issue:never", at(30)).await.unwrap_err();
    assert!(matches!(never, Error::ResourceNotFound { .. }), "{never}");
    let foreign = mgr.get_as_of("team:x", at(30)).await.unwrap_err();
    assert!(matches!(foreign, Error::ForeignModel { .. }), "{foreign}");
}

/// The history's created-time filter keeps the revisions created within both bounds
/// (inclusive), before paging, and counts only those.
pub async fn history_filters_by_created_time(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    clock.set(at(10));
    let id = mgr.create(issue("filtered")).await.unwrap().resource_id;
    for (seconds, title) in [(20, "b"), (30, "c"), (40, "d")] {
        clock.set(at(seconds));
        mgr.update(&id, issue(title)).await.unwrap();
    }
    let page = |offset, limit, newest_first| specstar_core::RevisionPage {
        offset,
        limit,
        newest_first,
    };
    let numbers = |infos: &[specstar_core::RevisionInfo]| {
        infos
            .iter()
            .map(|i| i.revision_id.number())
            .collect::<Vec<_>>()
    };
    let dynamic = mgr.dynamic();
    let (infos, total) = dynamic
        .list_revisions_created_between(
            id.as_str(),
            Some(at(20)),
            Some(at(30)),
            page(0, None, false),
        )
        .await
        .unwrap();
    assert_eq!((numbers(&infos), total), (vec![2, 3], 2));
    let (infos, total) = dynamic
        .list_revisions_created_between(id.as_str(), Some(at(15)), None, page(1, Some(1), true))
        .await
        .unwrap();
    assert_eq!((numbers(&infos), total), (vec![3], 3));
    let (infos, total) = dynamic
        .list_revisions_created_between(id.as_str(), None, Some(at(5)), page(0, None, true))
        .await
        .unwrap();
    assert_eq!((numbers(&infos), total), (vec![], 0));
    mgr.permanently_delete(&id).await.unwrap();
    let gone = dynamic
        .list_revisions_created_between(id.as_str(), None, None, page(0, None, true))
        .await
        .unwrap_err();
    assert!(matches!(gone, Error::ResourceNotFound { .. }), "{gone}");
}
