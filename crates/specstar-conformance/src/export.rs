//! Export scenarios: everything a store holds, from one snapshot, in a stable order.

use futures_util::StreamExt;
use specstar_core::feed::{FeedEvent, MAX_FEED_LIMIT, ModelFilter, changes};
use specstar_core::{Exported, Store, StoredResource};

use crate::TestStore;
use crate::fixtures::{at, issue, issues, task, tasks};

/// Every resource whole, as the store's reads give it.
async fn as_read(store: &dyn Store, id: &specstar_core::ResourceId) -> StoredResource {
    let head = store.head(id).await.unwrap().expect("the resource exists");
    let revisions = store
        .revisions_with_data(id, 0, u64::MAX)
        .await
        .unwrap()
        .expect("the resource exists");
    StoredResource { head, revisions }
}

/// An export lists every resource, deleted ones too, in resource id order, head and every
/// revision with its data as the store's reads give them, then every purge event in sequence
/// order; what is written once the export began is not in it.
pub async fn export_is_everything_from_one_snapshot(t: TestStore) {
    let (issue_mgr, clock) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    let a = issue_mgr
        .create_with_id("issue:a", issue("a"))
        .await
        .unwrap();
    issue_mgr.update(&a.resource_id, issue("a2")).await.unwrap();
    let b = issue_mgr
        .create_with_id("issue:b", issue("b"))
        .await
        .unwrap();
    issue_mgr.delete(&b.resource_id).await.unwrap();
    let c = task_mgr
        .create_with_id("task:c", task("c", Some(1)))
        .await
        .unwrap();
    let gone = issue_mgr
        .create_with_id("issue:gone", issue("gone"))
        .await
        .unwrap();
    clock.set(at(90));
    issue_mgr
        .permanently_delete(&gone.resource_id)
        .await
        .unwrap();

    let mut export = t.store.export().await.unwrap();
    // Once the export began: neither in it.
    issue_mgr
        .create_with_id("issue:late", issue("late"))
        .await
        .unwrap();
    issue_mgr.update(&a.resource_id, issue("a3")).await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = export.next().await {
        items.push(item.unwrap());
    }

    let (resources, purges): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|item| matches!(item, Exported::Resource(_)));
    let resources: Vec<StoredResource> = resources
        .into_iter()
        .map(|item| match item {
            Exported::Resource(resource) => resource,
            other => panic!("a resource, not {other:?}"),
        })
        .collect();
    let ids: Vec<String> = resources
        .iter()
        .map(|r| r.head.meta.resource_id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["issue:a", "issue:b", "task:c"],
        "resource id order, deleted ones too"
    );
    let a_now = as_read(&*t.store, &a.resource_id).await;
    assert_eq!(
        resources[0].revisions[..],
        a_now.revisions[..2],
        "a as it was at the export"
    );
    assert_eq!(resources[0].head.meta.total_revision_count, 2);
    assert_eq!(resources[1], as_read(&*t.store, &b.resource_id).await);
    assert!(resources[1].head.meta.is_deleted);
    assert_eq!(resources[2], as_read(&*t.store, &c.resource_id).await);

    let feed = changes(&*t.store, 0, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap();
    let feed_purges: Vec<Exported> = feed
        .changes
        .into_iter()
        .filter_map(|event| match event {
            FeedEvent::Purge(purge) => Some(Exported::Purge(purge)),
            _ => None,
        })
        .collect();
    assert_eq!(
        purges, feed_purges,
        "every purge event, after the resources"
    );
    assert_eq!(purges.len(), 1);
}

/// The store's statistics count each registered model's resources (deleted ones among them),
/// revisions and bytes of data, a model without resources included.
pub async fn stats_count_resources_revisions_and_bytes(t: TestStore) {
    let (issue_mgr, _) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    crate::fixtures::teams(&t.store).await;
    let a = issue_mgr.create(issue("a")).await.unwrap();
    issue_mgr.update(&a.resource_id, issue("a2")).await.unwrap();
    let b = issue_mgr.create(issue("b")).await.unwrap();
    issue_mgr.delete(&b.resource_id).await.unwrap();
    task_mgr.create(task("c", Some(2))).await.unwrap();
    let mut bytes = std::collections::HashMap::<String, u64>::new();
    for item in exported(&*t.store).await {
        if let Exported::Resource(resource) = item {
            let model = resource.head.meta.resource_id.model().to_owned();
            let size: u64 = resource.revisions.iter().map(|r| r.data.len() as u64).sum();
            *bytes.entry(model).or_default() += size;
        }
    }
    let stats = t.store.stats().await.unwrap();
    let summary: Vec<(&str, u64, u64, u64, u64)> = stats
        .iter()
        .map(|s| {
            (
                s.model.as_str(),
                s.resources,
                s.deleted,
                s.revisions,
                s.history_bytes,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("issue", 2, 1, 4, bytes["issue"]),
            ("task", 1, 0, 1, bytes["task"]),
            ("team", 0, 0, 0, 0)
        ]
    );
}

/// Everything `store` exports, in order.
pub(crate) async fn exported(store: &dyn specstar_core::Store) -> Vec<Exported> {
    let mut stream = store.export().await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item.unwrap());
    }
    items
}
