//! Change feed scenarios: every revision of every model in one store-wide sequence, paged
//! without loss or duplicate, even while writers run.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use specstar_core::feed::{FeedEvent, FeedPage, MAX_FEED_LIMIT, changes};
use specstar_core::{Error, RevisionId, Store};

use crate::TestStore;
use crate::fixtures::{issue, issues, task, tasks};

/// The revision ids of a page's events, checking that their sequences grow.
fn revision_ids(events: &[FeedEvent]) -> Vec<RevisionId> {
    let sequences: Vec<u64> = events.iter().map(FeedEvent::sequence).collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "the feed is in increasing sequence order: {sequences:?}"
    );
    events
        .iter()
        .map(|event| match event {
            FeedEvent::Revision(info) => info.revision_id.clone(),
            other => panic!("only revisions were written, the feed gave {other:?}"),
        })
        .collect()
}

/// Every page from `since` on, `limit` events at a time, until one says nothing follows.
async fn all_pages(store: &dyn Store, mut since: u64, limit: usize) -> Vec<FeedPage> {
    let mut pages = Vec::new();
    loop {
        let page = changes(store, since, limit).await.unwrap();
        assert!(page.changes.len() <= limit);
        since = page.last_seq;
        let done = !page.has_more;
        pages.push(page);
        if done {
            return pages;
        }
    }
}

/// The feed lists every revision of every model once, in sequence order, whatever the page
/// size; a purged resource's revisions leave it; limits out of bounds are refused.
pub async fn feed_lists_every_revision_in_sequence_order(t: TestStore) {
    let (issue_mgr, _) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    let kept = issue_mgr.create(issue("kept")).await.unwrap().resource_id;
    let task_id = task_mgr
        .create(task("write", Some(3)))
        .await
        .unwrap()
        .resource_id;
    let purged = issue_mgr.create(issue("purged")).await.unwrap().resource_id;
    issue_mgr
        .update(&kept, issue("kept, renamed"))
        .await
        .unwrap();
    issue_mgr.delete(&kept).await.unwrap();
    issue_mgr.restore(&kept).await.unwrap();
    task_mgr
        .update(&task_id, task("write", Some(5)))
        .await
        .unwrap();
    issue_mgr.permanently_delete(&purged).await.unwrap();

    let mut expected: Vec<_> = issue_mgr.list_revisions(&kept).await.unwrap();
    expected.extend(task_mgr.list_revisions(&task_id).await.unwrap());
    expected.sort_by_key(|info| info.sequence);
    let expected: Vec<RevisionId> = expected.into_iter().map(|i| i.revision_id).collect();

    let whole = changes(&*t.store, 0, MAX_FEED_LIMIT).await.unwrap();
    assert_eq!(revision_ids(&whole.changes), expected);
    assert_eq!(
        expected.len(),
        6,
        "four revisions of one issue, two of the task"
    );
    assert!(!whole.has_more);
    assert_eq!(whole.last_seq, whole.changes.last().unwrap().sequence());
    for limit in [1, 2, 5] {
        let pages = all_pages(&*t.store, 0, limit).await;
        let paged: Vec<FeedEvent> = pages.into_iter().flat_map(|p| p.changes).collect();
        assert_eq!(paged, whole.changes, "pages of {limit} give the same feed");
    }
    let tail = changes(&*t.store, whole.changes[2].sequence(), 2)
        .await
        .unwrap();
    assert_eq!(tail.changes, whole.changes[3..5]);
    assert!(tail.has_more);

    let end = changes(&*t.store, whole.last_seq, 10).await.unwrap();
    assert!(end.changes.is_empty() && !end.has_more);
    assert_eq!(end.last_seq, whole.last_seq, "an empty page keeps `since`");
    let far = changes(&*t.store, u64::MAX, 10).await.unwrap();
    assert!(far.changes.is_empty() && far.last_seq == u64::MAX);
    for limit in [0, MAX_FEED_LIMIT + 1] {
        let refused = changes(&*t.store, 0, limit).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidQuery { .. }), "{refused:?}");
    }
}

/// A tailer paging with `since = last_seq` while writers run sees every revision exactly once,
/// in increasing sequence: no gap that later fills.
pub async fn feed_paged_while_writers_run_loses_nothing(t: TestStore) {
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    let (mgr, _) = issues(&t.store).await;
    let start = changes(&*t.store, 0, MAX_FEED_LIMIT)
        .await
        .unwrap()
        .last_seq;
    let done = Arc::new(AtomicBool::new(false));
    let tailer = {
        let (store, done) = (t.store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut since, mut seen) = (start, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = changes(&*store, since, 7).await.unwrap();
                since = page.last_seq;
                seen.extend(revision_ids(&page.changes));
                if finished && !page.has_more && page.changes.is_empty() {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mgr = mgr.clone();
            tokio::spawn(async move {
                let mut written = Vec::new();
                let id = mgr.create(issue(&format!("writer {w}"))).await.unwrap();
                written.push(id.revision_id.clone());
                for i in 0..WRITES {
                    let title = format!("writer {w} write {i}");
                    written.push(
                        mgr.update(&id.resource_id, issue(&title))
                            .await
                            .unwrap()
                            .revision_id,
                    );
                }
                written
            })
        })
        .collect();
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let seen = tailer.await.unwrap();
    let unique: HashSet<RevisionId> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no revision was seen twice");
    assert_eq!(unique, written, "the tailer saw every revision written");
}
