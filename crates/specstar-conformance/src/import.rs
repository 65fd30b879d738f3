//! Import scenarios: an export loaded into another store gives the same history; an import is
//! all or nothing; duplicates are refused, skipped or replaced; sequence numbers move past the
//! target's. Each scenario takes two fresh stores of the kind under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use specstar_core::feed::{FeedEvent, MAX_FEED_LIMIT, ModelFilter, changes};
use specstar_core::{
    DynResourceManager, Error, Exported, Filter, ImportOptions, ModelDescriptor, OnDuplicate, Op,
    Query, ResourceId, Result, Schema, Store,
};

use crate::TestStore;
use crate::export::exported;
use crate::fixtures::{Issue, at, issue, issue_schema, issues, task, tasks};

/// `items` as an import reads them.
fn stream(items: Vec<Exported>) -> BoxStream<'static, Result<Exported>> {
    futures_util::stream::iter(items.into_iter().map(Ok)).boxed()
}

/// The descriptors of the fixtures' issue and task models.
fn models() -> Vec<ModelDescriptor> {
    let issue = issue_schema().build().unwrap();
    let task = crate::fixtures::task_schema().build().unwrap();
    vec![ModelDescriptor::from(&issue), ModelDescriptor::from(&task)]
}

fn options(rule: OnDuplicate) -> ImportOptions {
    let mut options = ImportOptions::new("importer").on_duplicate(rule);
    options.time = at(500);
    options
}

/// A store with a history of each kind: two revisions, a deleted resource, a second model and
/// a purge; returns its export.
async fn populated(store: &Arc<dyn Store>) -> Vec<Exported> {
    let (issue_mgr, clock) = issues(store).await;
    let (task_mgr, _) = tasks(store).await;
    issue_mgr
        .create_with_id("issue:a", issue("a"))
        .await
        .unwrap();
    clock.set(at(10));
    issue_mgr.update("issue:a", issue("a2")).await.unwrap();
    issue_mgr
        .create_with_id("issue:b", issue("b"))
        .await
        .unwrap();
    issue_mgr.delete("issue:b").await.unwrap();
    task_mgr
        .create_with_id("task:c", task("c", Some(3)))
        .await
        .unwrap();
    issue_mgr
        .create_with_id("issue:gone", issue("gone"))
        .await
        .unwrap();
    clock.set(at(20));
    issue_mgr.permanently_delete("issue:gone").await.unwrap();
    exported(&**store).await
}

/// An export imported into an empty store exports the same: ids, hashes, chains, times,
/// users, sequence numbers, purge events; the imported resources are found by their indexed
/// fields, and the next write is numbered after everything imported.
pub async fn import_into_an_empty_store_keeps_everything(source: TestStore, target: TestStore) {
    let archive = populated(&source.store).await;
    let report = target
        .store
        .import(
            &models(),
            stream(archive.clone()),
            &options(OnDuplicate::Fail),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.resources,
            report.revisions,
            report.purges,
            report.skipped
        ),
        (3, 5, 1, 0)
    );
    assert_eq!(
        report.sequence_offset, 0,
        "an empty store keeps the numbers"
    );
    assert_eq!(exported(&*target.store).await, archive);
    let source_feed = changes(&*source.store, 0, MAX_FEED_LIMIT, &ModelFilter::all()).await;
    let target_feed = changes(&*target.store, 0, MAX_FEED_LIMIT, &ModelFilter::all()).await;
    assert_eq!(target_feed.unwrap().changes, source_feed.unwrap().changes);

    let (issue_mgr, _) = issues(&target.store).await;
    let open = issue_mgr
        .search(&Query::all().include_deleted())
        .await
        .unwrap();
    assert_eq!(open.len(), 2, "both issues, the deleted one too");
    let (task_mgr, _) = tasks(&target.store).await;
    let three = task_mgr
        .search(&Query::all().filter(Filter::data("points", Op::Eq, 3)))
        .await
        .unwrap();
    assert_eq!(three.len(), 1, "found by an indexed field");
    let written = issue_mgr.update("issue:a", issue("a3")).await.unwrap();
    let last = last_sequence(&*target.store).await;
    assert_eq!(written.sequence, last);
    assert!(
        archive_sequences(&archive).iter().all(|&n| n < last),
        "the next write is numbered after every imported event"
    );
    assert!(
        specstar_core::chain::verify(&*target.store, &written.resource_id)
            .await
            .unwrap()
            .valid
    );
}

/// Importing resources the target holds: refused by default, changing nothing; skipped on
/// request; replaced on request, with a purge event before the new history.
pub async fn import_duplicates_fail_skip_or_overwrite(source: TestStore, target: TestStore) {
    let archive = populated(&source.store).await;
    let store = &target.store;
    store
        .import(
            &models(),
            stream(archive.clone()),
            &options(OnDuplicate::Fail),
        )
        .await
        .unwrap();
    let (issue_mgr, _) = issues(store).await;
    issue_mgr.update("issue:a", issue("changed")).await.unwrap();
    let before = exported(&**store).await;

    let refused = store
        .import(
            &models(),
            stream(archive.clone()),
            &options(OnDuplicate::Fail),
        )
        .await;
    assert!(
        matches!(refused, Err(Error::AlreadyExists { .. })),
        "{refused:?}"
    );
    assert_eq!(
        exported(&**store).await,
        before,
        "a refused import changes nothing"
    );

    let skipped = store
        .import(
            &models(),
            stream(archive.clone()),
            &options(OnDuplicate::Skip),
        )
        .await
        .unwrap();
    assert_eq!(
        (skipped.resources, skipped.skipped),
        (0, 4),
        "3 resources, 1 purge"
    );
    assert_eq!(
        exported(&**store).await,
        before,
        "skipping keeps the target's"
    );

    let last = last_sequence(&**store).await;
    let replaced = store
        .import(
            &models(),
            stream(archive.clone()),
            &options(OnDuplicate::Overwrite),
        )
        .await
        .unwrap();
    assert_eq!((replaced.resources, replaced.overwritten), (3, 3));
    let a = issue_mgr.get("issue:a").await.unwrap();
    assert_eq!(a.data, issue("a2"), "the archive's version is back");
    assert_eq!(a.meta.total_revision_count, 2);
    let feed = changes(&**store, last, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap()
        .changes;
    let purge_of_a = feed.iter().position(|e| {
        matches!(e, FeedEvent::Purge(p) if p.resource_id.as_str() == "issue:a"
            && &*p.created_by == "importer")
    });
    let first_of_a = feed
        .iter()
        .position(|e| matches!(e, FeedEvent::Revision(r) if r.resource_id.as_str() == "issue:a"));
    assert!(
        purge_of_a.unwrap() < first_of_a.unwrap(),
        "the replaced history's purge comes first: {feed:?}"
    );
}

/// An import that fails part-way (the items end in an error, a resource does not verify, a
/// model is unknown) leaves the store exactly as it was, registrations included.
pub async fn a_failed_import_leaves_the_store_as_it_was(source: TestStore, target: TestStore) {
    let archive = populated(&source.store).await;
    let (issue_mgr, _) = issues(&target.store).await;
    issue_mgr
        .create_with_id("issue:own", issue("own"))
        .await
        .unwrap();
    let before = exported(&*target.store).await;
    let registered = target.store.registered_models().await.unwrap();

    let truncated = futures_util::stream::iter(
        archive
            .clone()
            .into_iter()
            .map(Ok)
            .chain([Err(Error::store("the archive is cut short"))]),
    )
    .boxed();
    let failed = target
        .store
        .import(&models(), truncated, &options(OnDuplicate::Fail))
        .await;
    assert!(failed.unwrap_err().to_string().contains("cut short"));

    let mut tampered = archive.clone();
    if let Exported::Resource(resource) = &mut tampered[0] {
        resource.revisions[0].data = bytes::Bytes::from_static(br#"{"title":"forged"}"#);
    }
    let failed = target
        .store
        .import(&models(), stream(tampered), &options(OnDuplicate::Fail))
        .await;
    assert!(
        matches!(&failed, Err(Error::Corrupt { what, .. }) if what.contains("issue:a")),
        "{failed:?}"
    );

    let only_issues = &models()[..1];
    let failed = target
        .store
        .import(only_issues, stream(archive), &options(OnDuplicate::Fail))
        .await;
    assert!(
        matches!(failed, Err(Error::UnknownModel { .. })),
        "{failed:?}"
    );

    assert_eq!(exported(&*target.store).await, before);
    assert_eq!(target.store.registered_models().await.unwrap(), registered);
}

/// Into a store in use, imported events are numbered past its last one, in their order, so
/// that a feed reader at the store's last event reads exactly the imported ones; indexed
/// values come from the target's model, which may index other fields.
pub async fn import_into_a_store_in_use_numbers_after_its_events(
    source: TestStore,
    target: TestStore,
) {
    let archive = populated(&source.store).await;
    let (own, _) = issues(&target.store).await;
    own.create_with_id("issue:own", issue("own")).await.unwrap();
    own.update("issue:own", issue("own2")).await.unwrap();
    let last = last_sequence(&*target.store).await;
    let mut models = models();
    let by_title = Schema::<Issue>::new("v1")
        .index("status")
        .index("severity")
        .index("assignee")
        .index("title")
        .build()
        .unwrap();
    models[0] = ModelDescriptor::from(&by_title);
    let report = target
        .store
        .import(
            &models,
            stream(archive.clone()),
            &options(OnDuplicate::Fail),
        )
        .await
        .unwrap();
    assert_eq!(report.sequence_offset, last);
    let imported = changes(&*target.store, last, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap()
        .changes;
    let numbers: Vec<u64> = imported.iter().map(FeedEvent::sequence).collect();
    let expected: Vec<u64> = archive_sequences(&archive)
        .iter()
        .map(|n| n + last)
        .collect();
    assert_eq!(numbers, expected, "the archive's order, moved past {last}");

    let meta = target
        .store
        .meta(&ResourceId::parse("issue:a").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        meta.indexed_data.get("title"),
        Some(&serde_json::json!("a2"))
    );
    let by_title = DynResourceManager::new(Arc::new(by_title), target.store.clone());
    let found = by_title
        .search(&Query::all().filter(Filter::data("title", Op::Eq, "a2")))
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "found by the field only the target indexes");
}

/// Writes made while an import is under way are numbered so that a feed reader paging
/// throughout misses none of them, nor any imported event: no number appears behind its
/// cursor (the stores hold their writers, or number the import, so).
pub async fn writes_during_an_import_never_land_behind_a_feed_reader(
    source: TestStore,
    target: TestStore,
) {
    const WRITERS: usize = 3;
    let archive = populated(&source.store).await;
    let (mgr, _) = issues(&target.store).await;
    let done = Arc::new(AtomicBool::new(false));
    let tailer = {
        let (store, done) = (target.store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut since, mut seen) = (0, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = changes(&*store, since, 3, &ModelFilter::all())
                    .await
                    .unwrap();
                since = page.last_seq;
                seen.extend(page.changes.iter().map(FeedEvent::sequence));
                if finished && page.changes.is_empty() {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    // The import's last item waits for the gate, so that writes queue while it is open.
    let (open_gate, gate) = tokio::sync::oneshot::channel::<()>();
    let held = futures_util::stream::once(async move {
        let _ = gate.await;
    })
    .filter_map(|()| async { None::<Result<Exported>> });
    let items = stream(archive).chain(held).boxed();
    let import = {
        let store = target.store.clone();
        tokio::spawn(async move {
            store
                .import(&models(), items, &options(OnDuplicate::Fail))
                .await
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mgr = mgr.clone();
            tokio::spawn(async move {
                let created = mgr.create(issue(&format!("writer {w}"))).await.unwrap();
                mgr.update(&created.resource_id, issue("again"))
                    .await
                    .unwrap();
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    open_gate.send(()).unwrap();
    import.await.unwrap().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = tailer.await.unwrap();
    let all: Vec<u64> = changes(&*target.store, 0, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap()
        .changes
        .iter()
        .map(FeedEvent::sequence)
        .collect();
    assert_eq!(
        all.len(),
        6 + 2 * WRITERS,
        "5 imported revisions, 1 purge, the writes"
    );
    assert_eq!(
        seen, all,
        "the reader paging throughout saw every event, in order"
    );
}

/// The sequence numbers of an archive's events, in order.
fn archive_sequences(archive: &[Exported]) -> Vec<u64> {
    let mut numbers: Vec<u64> = archive
        .iter()
        .flat_map(|item| match item {
            Exported::Resource(r) => r.revisions.iter().map(|r| r.info.sequence).collect(),
            Exported::Purge(p) => vec![p.sequence],
            _ => Vec::new(),
        })
        .collect();
    numbers.sort_unstable();
    numbers
}

/// The store's last sequence number, from its feed.
async fn last_sequence(store: &dyn Store) -> u64 {
    let mut since = 0;
    loop {
        let page = changes(store, since, MAX_FEED_LIMIT, &ModelFilter::all())
            .await
            .unwrap();
        since = page.last_seq;
        if !page.has_more {
            return since;
        }
    }
}
