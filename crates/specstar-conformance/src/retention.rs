//! Retention scenarios: pruning drops old revisions' data by a policy (the last N, an age),
//! never the current revision, a pinned one or a tombstone that is current; a pruned revision
//! keeps its info, its feed event and the chain's verification, and reading its data is
//! `revision_pruned`; exports carry pruned revisions and imports take them back.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use specstar_core::feed::{FeedEvent, MAX_FEED_LIMIT, ModelFilter, changes};
use specstar_core::{
    Error, Exported, ImportOptions, ModelDescriptor, Pruned, ResourceId, Retention, RevisionId,
};

use crate::TestStore;
use crate::export::exported;
use crate::fixtures::{Issue, at, issue, issue_schema, issues};

fn pruned_error(outcome: specstar_core::Result<impl std::fmt::Debug>, revision: &RevisionId) {
    match outcome {
        Err(Error::RevisionPruned { revision_id }) => assert_eq!(&revision_id, revision),
        other => panic!("expected revision_pruned for {revision}, got {other:?}"),
    }
}

/// `issue:a` with revisions 1 to `n`, one every ten seconds from `at(0)`.
async fn history(
    mgr: &specstar_core::ResourceManager<Issue>,
    clock: &specstar_core::FixedClock,
    n: i64,
) -> ResourceId {
    clock.set(at(0));
    let id = mgr
        .create_with_id("issue:a", issue("v1"))
        .await
        .unwrap()
        .resource_id;
    for k in 2..=n {
        clock.set(at(10 * (k - 1)));
        mgr.update(&id, issue(&format!("v{k}"))).await.unwrap();
    }
    id
}

fn history_bytes(stats: &[specstar_core::ModelStats]) -> u64 {
    stats
        .iter()
        .find(|s| s.model == "issue")
        .map_or(0, |s| s.history_bytes)
}

/// `keep_last` drops the data of all but the last N and the pinned; infos, the feed and the
/// chain stay; reads, diffs and reverts of a pruned revision are `revision_pruned`.
pub async fn keep_last_prunes_data_and_keeps_the_history(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let id = history(&mgr, &clock, 6).await;
    let before = history_bytes(&t.store.stats().await.unwrap());
    assert_eq!(mgr.pin(&id, 2).await.unwrap(), id.revision(2));
    mgr.pin(&id, 2).await.unwrap();
    let pruned = mgr.prune(&id, &Retention::keep_last(2)).await.unwrap();
    assert_eq!(
        pruned.revisions, 3,
        "1, 3 and 4: 2 is pinned, 5 and 6 are the last two"
    );
    assert!(pruned.bytes > 0);
    assert_eq!(
        mgr.prune(&id, &Retention::keep_last(2)).await.unwrap(),
        Pruned::default(),
        "a second prune finds nothing"
    );
    let after = history_bytes(&t.store.stats().await.unwrap());
    assert_eq!(before - after, pruned.bytes, "stats count what is left");

    let infos = mgr.list_revisions(&id).await.unwrap();
    assert_eq!(infos.len(), 6, "every revision info stays");
    for number in [1, 3, 4] {
        pruned_error(mgr.get_revision(&id, number).await, &id.revision(number));
    }
    for number in [2, 5, 6] {
        assert_eq!(
            mgr.get_revision(&id, number).await.unwrap().data.title,
            format!("v{number}")
        );
    }
    assert_eq!(mgr.get(&id).await.unwrap().data.title, "v6");
    pruned_error(mgr.diff(&id, 1, 6).await, &id.revision(1));
    pruned_error(mgr.revert(&id, 3).await, &id.revision(3));
    assert_eq!(
        mgr.get_as_of(&id, at(15)).await.unwrap().data.title,
        "v2",
        "pinned"
    );

    let verdict = mgr.verify(&id).await.unwrap();
    assert!(verdict.valid, "{verdict:?}");
    assert_eq!((verdict.revisions, verdict.pruned), (6, 3));
    let feed = changes(&*t.store, 0, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap();
    assert_eq!(feed.changes.len(), 6, "the feed keeps every event");

    pruned_error(mgr.pin(&id, 1).await, &id.revision(1));
    assert_eq!(mgr.pins(&id).await.unwrap(), vec![id.revision(2)]);
    mgr.unpin(&id, 2).await.unwrap();
    mgr.unpin(&id, 2).await.unwrap();
    assert!(mgr.pins(&id).await.unwrap().is_empty());
    assert_eq!(
        mgr.prune(&id, &Retention::keep_last(2))
            .await
            .unwrap()
            .revisions,
        1
    );
    assert!(mgr.verify(&id).await.unwrap().valid);
    // The history goes on: a new revision links over the pruned ones.
    mgr.update(&id, issue("v7")).await.unwrap();
    assert!(mgr.verify(&id).await.unwrap().valid);
}

/// An as-of read that lands on a pruned revision says so; pins and prunes of what does not
/// exist are refused with the usual errors and change nothing.
pub async fn pruned_reads_and_refusals(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let id = history(&mgr, &clock, 3).await;
    mgr.prune(&id, &Retention::keep_last(1)).await.unwrap();
    pruned_error(mgr.get_as_of(&id, at(15)).await, &id.revision(2));
    assert_eq!(mgr.get_as_of(&id, at(25)).await.unwrap().data.title, "v3");
    assert!(matches!(
        mgr.pin(&id, 9).await,
        Err(Error::RevisionNotFound { .. })
    ));
    assert!(matches!(
        mgr.pin("issue:nobody", 1).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.pins("issue:nobody").await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.prune("issue:nobody", &Retention::keep_last(1)).await,
        Err(Error::ResourceNotFound { .. })
    ));
    assert!(matches!(
        mgr.pin("team:x", 1).await,
        Err(Error::ForeignModel { .. })
    ));
    let bounds = specstar_core::PruneBounds {
        through: 99,
        before: specstar_core::Timestamp::MAX,
    };
    let direct = t.store.prune(&id, bounds).await.unwrap().unwrap();
    assert_eq!(
        direct,
        Pruned::default(),
        "the current revision stays whatever the bounds say"
    );
    assert_eq!(mgr.get(&id).await.unwrap().data.title, "v3");
}

/// `max_age` prunes by time; a tombstone that is current stays, and a restore brings the last
/// live data back; with both rules, a revision either rule keeps stays.
pub async fn max_age_prunes_by_time_and_keeps_the_tombstone(t: TestStore) {
    let (mgr, clock) = issues(&t.store).await;
    let id = history(&mgr, &clock, 3).await;
    clock.set(at(30));
    mgr.delete(&id).await.unwrap();
    clock.set(at(40));
    let both = Retention::max_age(Duration::from_secs(25)).and_keep_last(3);
    assert_eq!(
        mgr.prune(&id, &both).await.unwrap().revisions,
        1,
        "revision 1 only"
    );
    let by_age = Retention::max_age(Duration::from_secs(15));
    assert_eq!(
        mgr.prune(&id, &by_age).await.unwrap().revisions,
        2,
        "revisions 2 and 3 (created before 25 s); the tombstone is current"
    );
    mgr.restore(&id).await.unwrap();
    assert_eq!(mgr.get(&id).await.unwrap().data.title, "v3");
    let verdict = mgr.verify(&id).await.unwrap();
    assert!(verdict.valid && verdict.pruned == 3, "{verdict:?}");

    // A whole model by age: only resources created before the age are visited.
    for (key, start) in [("b", 0), ("c", 30)] {
        clock.set(at(start));
        let b = mgr
            .create_with_id(format!("issue:{key}"), issue("1"))
            .await
            .unwrap();
        for step in 1..=2 {
            clock.set(at(start + 3 * step));
            let title = format!("{key}{step}");
            mgr.update(&b.resource_id, issue(&title)).await.unwrap();
        }
    }
    clock.set(at(40));
    let report = mgr.dynamic().prune_all(&by_age).await.unwrap();
    assert_eq!(
        report.resources, 2,
        "a and b; c is younger than the age: {report:?}"
    );
    assert_eq!(report.pruned.revisions, 2, "b's 1 and 2: {report:?}");
}

/// `prune_all` by the model's policy visits every resource the policy can prune, deleted ones
/// too, and reports what it dropped.
pub async fn prune_all_follows_the_models_policy(t: TestStore) {
    let model = Arc::new(
        issue_schema()
            .retention(Retention::keep_last(2))
            .build()
            .unwrap(),
    );
    t.store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    let mgr = specstar_core::ResourceManager::<Issue>::new(model, t.store.clone()).unwrap();
    for (key, revisions) in [("a", 5), ("b", 1), ("c", 3)] {
        let id = mgr
            .create_with_id(format!("issue:{key}"), issue("1"))
            .await
            .unwrap()
            .resource_id;
        for n in 2..=revisions {
            mgr.update(&id, issue(&n.to_string())).await.unwrap();
        }
    }
    mgr.delete("issue:c").await.unwrap();
    let report = mgr.prune_all().await.unwrap();
    assert_eq!(report.resources, 2, "b has too few revisions to visit");
    assert_eq!(report.pruned_resources, 2);
    assert_eq!(
        report.pruned.revisions,
        3 + 2,
        "a: 1-3; c: 1-2 (its last two are 3 and the tombstone)"
    );
    assert_eq!(mgr.prune_all().await.unwrap().pruned.revisions, 0);
    assert_eq!(
        mgr.get_revision("issue:a", 4).await.unwrap().data.title,
        "4"
    );
}

/// An export carries pruned revisions (info without data) and an import takes them back as
/// they were: the target's reads say pruned and its chain verifies.
pub async fn pruned_histories_export_and_import(source: TestStore, target: TestStore) {
    let (mgr, clock) = issues(&source.store).await;
    let id = history(&mgr, &clock, 4).await;
    mgr.prune(&id, &Retention::keep_last(2)).await.unwrap();
    let archive = exported(&*source.store).await;
    let Some(Exported::Resource(resource)) = archive.first() else {
        panic!("the export holds the resource");
    };
    let flags: Vec<bool> = resource.revisions.iter().map(|r| r.is_pruned()).collect();
    assert_eq!(flags, [true, true, false, false]);
    let models = [ModelDescriptor::from(&issue_schema().build().unwrap())];
    let items = futures_util::stream::iter(archive.clone().into_iter().map(Ok)).boxed();
    target
        .store
        .import(&models, items, &ImportOptions::new("importer"))
        .await
        .unwrap();
    assert_eq!(exported(&*target.store).await, archive);
    let (copy, _) = issues(&target.store).await;
    pruned_error(copy.get_revision(&id, 1).await, &id.revision(1));
    assert!(copy.verify(&id).await.unwrap().valid);
    let feed = changes(&*target.store, 0, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap();
    assert!(
        feed.changes
            .iter()
            .all(|e| matches!(e, FeedEvent::Revision(_)))
    );
    assert_eq!(feed.changes.len(), 4);
}
