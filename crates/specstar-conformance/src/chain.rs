//! Chain scenarios: every revision's chain hash links it to its parent by the core's rule,
//! on every store, and `verify` recomputes the whole chain.

use specstar_core::chain::link;
use specstar_core::{ChainHash, DataPatch, Error, ResourceId, Store};

use crate::TestStore;
use crate::fixtures::{Issue, Status, issue, issues};

/// Checks, revision by revision, that each stored chain hash is the rule's over the parent's
/// chain hash, the info and the data bytes as the store returns them; returns the last one.
async fn recomputed_chain(
    mgr: &specstar_core::ResourceManager<Issue>,
    id: &ResourceId,
) -> ChainHash {
    let infos = mgr.list_revisions(id).await.unwrap();
    let mut parent: Option<ChainHash> = None;
    for info in &infos {
        let stored = mgr
            .dynamic()
            .get(id.as_str(), Some(&info.number()), true)
            .await
            .unwrap();
        assert_eq!(
            stored.info.chain_hash, info.chain_hash,
            "{}",
            info.revision_id
        );
        let expected = link(parent.as_ref(), &stored.info, &stored.data);
        assert_eq!(info.chain_hash, expected, "{}", info.revision_id);
        parent = Some(expected);
    }
    parent.expect("a resource has revisions")
}

/// Each write links its revision to its parent: create, update, patch, delete, restore and
/// revert all append a revision whose chain hash the rule gives, and `verify` answers valid,
/// counting every revision, with the head's chain hash the last revision's. Data that changes
/// nothing appends nothing and leaves the chain as it was; a purge of another resource changes
/// nothing of this one's.
pub async fn chain_links_parent_to_child(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let first = issue("search returns duplicates");
    let created = mgr.create(first.clone()).await.unwrap();
    let id = created.resource_id.clone();
    let verified = mgr.verify(&id).await.unwrap();
    assert!(verified.valid, "{verified:?}");
    assert_eq!(verified.revisions, 1);
    assert_eq!(verified.head_chain_hash, created.chain_hash);
    assert_eq!(verified.first_invalid_revision_id, None);

    let other = mgr.create(issue("other")).await.unwrap();
    assert_ne!(
        other.chain_hash, created.chain_hash,
        "the id is in the chain"
    );

    let second = Issue {
        status: Status::InProgress,
        ..first.clone()
    };
    let updated = mgr.update(&id, second.clone()).await.unwrap();
    let same = mgr.update(&id, second).await.unwrap();
    assert_eq!(same.chain_hash, updated.chain_hash, "nothing appended");
    let patch = DataPatch::Merge(serde_json::json!({"assignee": "bob"}));
    mgr.patch(&id, &patch).await.unwrap();
    mgr.delete(&id).await.unwrap();
    let deleted = mgr.verify(&id).await.unwrap();
    assert!(deleted.valid, "a deleted resource verifies: {deleted:?}");
    assert_eq!(deleted.revisions, 4);
    mgr.restore(&id).await.unwrap();
    mgr.revert(&id, 1).await.unwrap();
    mgr.permanently_delete(&other.resource_id).await.unwrap();

    let last = recomputed_chain(&mgr, &id).await;
    let verified = mgr.verify(&id).await.unwrap();
    assert!(verified.valid, "{verified:?}");
    assert_eq!(verified.resource_id, id);
    assert_eq!(verified.revisions, 6);
    assert_eq!(verified.head_chain_hash, last);
    assert_eq!(mgr.get(&id).await.unwrap().info.chain_hash, last);
}

/// `verify` of an unknown or purged resource is not found, of a malformed id a malformed id;
/// the history's pages with data (`Store::revisions_with_data`) run oldest first from any
/// number and stop at the end; a history longer than one page of verification verifies.
pub async fn verify_refusals_and_long_histories(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let created = mgr.create(issue("long")).await.unwrap();
    let id = created.resource_id.clone();
    for n in 2..=300 {
        mgr.update(&id, issue(&format!("long {n}"))).await.unwrap();
    }
    let verified = mgr.verify(&id).await.unwrap();
    assert!(verified.valid, "{verified:?}");
    assert_eq!(verified.revisions, 300);

    let store: &dyn Store = &*t.store;
    let page = store
        .revisions_with_data(&id, 10, 5)
        .await
        .unwrap()
        .unwrap();
    let numbers: Vec<u64> = page.iter().map(|r| r.info.number()).collect();
    assert_eq!(numbers, [11, 12, 13, 14, 15]);
    let tail = store
        .revisions_with_data(&id, 298, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tail.len(), 2);
    assert!(
        store
            .revisions_with_data(&id, 300, 10)
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
    let head = store.head(&id).await.unwrap().unwrap();
    assert_eq!(head.chain_hash, verified.head_chain_hash);
    assert_eq!(head.meta.current_revision_id, id.revision(300));

    let unknown = ResourceId::parse("issue:nobody").unwrap();
    assert!(
        store
            .revisions_with_data(&unknown, 0, 10)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.head(&unknown).await.unwrap().is_none());
    let missing = mgr.verify(&unknown).await.unwrap_err();
    assert!(
        matches!(missing, Error::ResourceNotFound { .. }),
        "{missing}"
    );
    let malformed = mgr.verify("not an id").await.unwrap_err();
    assert!(
        matches!(
            malformed,
            Error::MalformedId { .. } | Error::ForeignModel { .. }
        ),
        "{malformed}"
    );
    mgr.permanently_delete(&id).await.unwrap();
    let gone = mgr.verify(&id).await.unwrap_err();
    assert!(matches!(gone, Error::ResourceNotFound { .. }), "{gone}");
}
