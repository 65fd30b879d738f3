//! History scenarios: what changed between any two revisions of a resource.

use serde_json::json;
use specstar_core::json_patch;
use specstar_core::{Error, LeafChange};

use crate::TestStore;
use crate::fixtures::{Issue, Status, issue, issues};

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
