//! Change feed scenarios: every revision of every model, and every purge, in one store-wide
//! sequence, paged without loss or duplicate even while writers run; a model filter; and the
//! watch stream, which stays open and yields events as they commit.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use specstar_core::feed::{
    FeedEvent, FeedPage, MAX_FEED_LIMIT, ModelFilter, changes, changes_waiting, watch,
};
use specstar_core::{ANONYMOUS, Error, ResourceId, RevisionId, Store};

use crate::TestStore;
use crate::fixtures::{at, issue, issues, task, tasks};

/// What an event names: a revision id, or the resource a purge erased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Seen {
    Revision(RevisionId),
    Purge(ResourceId),
}

/// What a page's events name, checking that their sequences grow.
fn seen(events: &[FeedEvent]) -> Vec<Seen> {
    let sequences: Vec<u64> = events.iter().map(FeedEvent::sequence).collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "the feed is in increasing sequence order: {sequences:?}"
    );
    events
        .iter()
        .map(|event| match event {
            FeedEvent::Revision(info) => Seen::Revision(info.revision_id.clone()),
            FeedEvent::Purge(purge) => Seen::Purge(purge.resource_id.clone()),
            other => panic!("the scenario wrote no such event: {other:?}"),
        })
        .collect()
}

/// Every page from `since` on, `limit` events at a time, until one says nothing follows.
async fn all_pages(store: &dyn Store, mut since: u64, limit: usize) -> Vec<FeedPage> {
    let mut pages = Vec::new();
    loop {
        let page = changes(store, since, limit, &ModelFilter::all())
            .await
            .unwrap();
        assert!(page.changes.len() <= limit);
        since = page.last_seq;
        let done = !page.has_more;
        pages.push(page);
        if done {
            return pages;
        }
    }
}

/// The whole feed after `since`, in one page.
async fn whole(store: &dyn Store, since: u64) -> FeedPage {
    changes(store, since, MAX_FEED_LIMIT, &ModelFilter::all())
        .await
        .unwrap()
}

/// The feed lists every revision of every model once, in sequence order, whatever the page
/// size; a purge removes the resource's revisions and leaves a purge event, with its time and
/// user; limits out of bounds are refused.
pub async fn feed_lists_every_revision_in_sequence_order(t: TestStore) {
    let (issue_mgr, clock) = issues(&t.store).await;
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
    clock.set(at(60));
    issue_mgr.permanently_delete(&purged).await.unwrap();

    let mut revisions: Vec<_> = issue_mgr.list_revisions(&kept).await.unwrap();
    revisions.extend(task_mgr.list_revisions(&task_id).await.unwrap());
    revisions.sort_by_key(|info| info.sequence);
    let mut expected: Vec<Seen> = revisions
        .iter()
        .map(|i| Seen::Revision(i.revision_id.clone()))
        .collect();
    expected.push(Seen::Purge(purged.clone()));

    let whole_feed = whole(&*t.store, 0).await;
    assert_eq!(seen(&whole_feed.changes), expected);
    assert_eq!(
        expected.len(),
        7,
        "four issue revisions, two task ones, a purge"
    );
    let Some(FeedEvent::Purge(purge)) = whole_feed.changes.last() else {
        panic!("the purge is the last event");
    };
    assert_eq!(
        (purge.created_time, &*purge.created_by),
        (at(60), ANONYMOUS)
    );
    assert!(purge.sequence > revisions.last().unwrap().sequence);
    assert!(!whole_feed.has_more);
    assert_eq!(whole_feed.last_seq, purge.sequence);
    for limit in [1, 2, 5] {
        let pages = all_pages(&*t.store, 0, limit).await;
        let paged: Vec<FeedEvent> = pages.into_iter().flat_map(|p| p.changes).collect();
        assert_eq!(
            paged, whole_feed.changes,
            "pages of {limit} give the same feed"
        );
    }
    let filter = ModelFilter::all();
    let tail = changes(&*t.store, whole_feed.changes[2].sequence(), 2, &filter)
        .await
        .unwrap();
    assert_eq!(tail.changes, whole_feed.changes[3..5]);
    assert!(tail.has_more);

    let end = changes(&*t.store, whole_feed.last_seq, 10, &filter)
        .await
        .unwrap();
    assert!(end.changes.is_empty() && !end.has_more);
    assert_eq!(
        end.last_seq, whole_feed.last_seq,
        "an empty page keeps `since`"
    );
    let far = changes(&*t.store, u64::MAX, 10, &filter).await.unwrap();
    assert!(far.changes.is_empty() && far.last_seq == u64::MAX);
    for limit in [0, MAX_FEED_LIMIT + 1] {
        let refused = changes(&*t.store, 0, limit, &filter).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidQuery { .. }), "{refused:?}");
    }
    // The next revision is numbered after the purge, also once the store is reopened.
    let store = match &t.reopen {
        Some(reopen) => {
            drop((issue_mgr, task_mgr));
            drop(t.store);
            reopen().await
        }
        None => t.store,
    };
    let (issue_mgr, _) = issues(&store).await;
    assert_eq!(
        whole(&*store, 0).await,
        whole_feed,
        "the feed survives a reopen"
    );
    let next = issue_mgr.create(issue("after")).await.unwrap();
    assert!(next.sequence > whole_feed.last_seq);
}

/// A model filter keeps the events of the models it names, purges included, in order; an
/// empty filter keeps all.
pub async fn feed_filters_by_model(t: TestStore) {
    let (issue_mgr, _) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    let mut issue_events = Vec::new();
    for i in 0..3 {
        let id = issue_mgr.create(issue(&format!("i{i}"))).await.unwrap();
        issue_events.push(Seen::Revision(id.revision_id));
        task_mgr.create(task(&format!("t{i}"), None)).await.unwrap();
    }
    let gone = issue_mgr.create(issue("gone")).await.unwrap().resource_id;
    issue_mgr.permanently_delete(&gone).await.unwrap();
    issue_events.push(Seen::Purge(gone));

    let only_issues = ModelFilter::only(["issue"]);
    let page = changes(&*t.store, 0, MAX_FEED_LIMIT, &only_issues)
        .await
        .unwrap();
    assert_eq!(seen(&page.changes), issue_events);
    let first = changes(&*t.store, 0, 2, &only_issues).await.unwrap();
    assert_eq!(seen(&first.changes), issue_events[..2]);
    assert!(first.has_more);
    assert_eq!(first.last_seq, first.changes[1].sequence());
    let rest = changes(&*t.store, first.last_seq, 10, &only_issues)
        .await
        .unwrap();
    assert_eq!(seen(&rest.changes), issue_events[2..]);
    assert!(!rest.has_more);

    let tasks_only = changes(&*t.store, 0, MAX_FEED_LIMIT, &ModelFilter::only(["task"]))
        .await
        .unwrap();
    assert_eq!(tasks_only.changes.len(), 3);
    assert!(tasks_only.changes.iter().all(|e| e.model() == "task"));
    let both = ModelFilter::only(["task", "issue", "task"]);
    assert_eq!(
        changes(&*t.store, 0, MAX_FEED_LIMIT, &both).await.unwrap(),
        whole(&*t.store, 0).await
    );
    let none = changes(&*t.store, 0, 10, &ModelFilter::only(["team"]))
        .await
        .unwrap();
    assert!(none.changes.is_empty() && none.last_seq == 0);
    // A model whose name is another's prefix is not mixed in.
    let prefix = changes(&*t.store, 0, 10, &ModelFilter::only(["iss"]))
        .await
        .unwrap();
    assert!(prefix.changes.is_empty());
}

/// `last_sequence` is the newest event's number (0 on an empty store), a purge's included,
/// and a feed read from it holds only what commits afterwards.
pub async fn last_sequence_is_the_newest_event(t: TestStore) {
    assert_eq!(t.store.last_sequence().await.unwrap(), 0);
    let (issue_mgr, _) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    issue_mgr.create(issue("a")).await.unwrap();
    task_mgr.create(task("t", None)).await.unwrap();
    let newest = |page: FeedPage| page.changes.last().map(FeedEvent::sequence);
    let all = whole(&*t.store, 0).await;
    assert_eq!(Some(t.store.last_sequence().await.unwrap()), newest(all));
    let gone = issue_mgr.create(issue("gone")).await.unwrap().resource_id;
    issue_mgr.permanently_delete(&gone).await.unwrap();
    let now = t.store.last_sequence().await.unwrap();
    let all = whole(&*t.store, 0).await;
    assert!(matches!(all.changes.last(), Some(FeedEvent::Purge(_))));
    assert_eq!(Some(now), newest(all));
    assert!(whole(&*t.store, now).await.changes.is_empty());
    let next = task_mgr.create(task("u", None)).await.unwrap();
    let after = whole(&*t.store, now).await;
    assert_eq!(seen(&after.changes), [Seen::Revision(next.revision_id)]);
}

/// A tailer paging with `since = last_seq` while writers run sees every revision and purge
/// exactly once, in increasing sequence: no gap that later fills.
pub async fn feed_paged_while_writers_run_loses_nothing(t: TestStore) {
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    let (mgr, _) = issues(&t.store).await;
    let start = whole(&*t.store, 0).await.last_seq;
    let done = Arc::new(AtomicBool::new(false));
    let tailer = {
        let (store, done) = (t.store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut since, mut seen_all) = (start, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = changes(&*store, since, 7, &ModelFilter::all())
                    .await
                    .unwrap();
                since = page.last_seq;
                seen_all.extend(seen(&page.changes));
                if finished && !page.has_more && page.changes.is_empty() {
                    return seen_all;
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
                written.push(Seen::Revision(id.revision_id.clone()));
                for i in 0..WRITES {
                    let title = format!("writer {w} write {i}");
                    let info = mgr.update(&id.resource_id, issue(&title)).await.unwrap();
                    written.push(Seen::Revision(info.revision_id));
                    if i % 10 == 0 {
                        let scratch = mgr.create(issue("scratch")).await.unwrap().resource_id;
                        mgr.permanently_delete(&scratch).await.unwrap();
                        written.push(Seen::Purge(scratch));
                    }
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
    let seen_all = tailer.await.unwrap();
    let unique: HashSet<Seen> = seen_all.iter().cloned().collect();
    assert_eq!(unique.len(), seen_all.len(), "no event was seen twice");
    // A scratch resource's revision 1 is seen only when the tailer read it before its purge.
    let lasting: HashSet<Seen> = unique
        .into_iter()
        .filter(|s| !matches!(s, Seen::Revision(id) if written.contains(&Seen::Purge(id.resource_id().clone()))))
        .collect();
    assert_eq!(
        lasting, written,
        "the tailer saw every lasting revision and every purge"
    );
}

/// The stream's next event, within 10 s.
async fn next_event<S>(stream: &mut S) -> FeedEvent
where
    S: futures_util::Stream<Item = specstar_core::Result<FeedEvent>> + Unpin,
{
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the watch yields within 10 s")
        .expect("the watch never ends")
        .expect("the store answers")
}

/// A watch yields the events there are, then each new one as it commits (without waiting for
/// a poll on stores that raise a signal), in order; a consumer that fell behind is caught up
/// from the store, however many events it missed.
pub async fn watch_yields_events_as_they_commit(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let (task_mgr, _) = tasks(&t.store).await;
    let first = mgr.create(issue("before")).await.unwrap();
    let mut stream = Box::pin(watch(t.store.clone(), 0, ModelFilter::only(["issue"])));
    let event: FeedEvent = next_event(&mut stream).await;
    assert_eq!(seen(&[event]), [Seen::Revision(first.revision_id.clone())]);

    let pending = tokio::spawn(async move {
        let event = next_event(&mut stream).await;
        (event, stream)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    task_mgr.create(task("filtered out", None)).await.unwrap();
    let second = mgr
        .update(&first.resource_id, issue("after"))
        .await
        .unwrap();
    let (event, mut stream) = pending.await.unwrap();
    assert_eq!(seen(&[event]), [Seen::Revision(second.revision_id)]);

    // Far behind: 250 events (more than a page) written while nobody reads.
    let mut expected = Vec::new();
    for i in 0..250 {
        let id = mgr.create(issue(&format!("burst {i}"))).await.unwrap();
        expected.push(Seen::Revision(id.revision_id));
    }
    mgr.permanently_delete(&first.resource_id).await.unwrap();
    expected.push(Seen::Purge(first.resource_id.clone()));
    let mut caught_up = Vec::new();
    while caught_up.len() < expected.len() {
        caught_up.push(next_event(&mut stream).await);
    }
    assert_eq!(seen(&caught_up), expected);
}

/// A page that waits answers as soon as an event commits after `since`, and empty when its
/// time is up with nothing new; with events already there it does not wait.
pub async fn long_poll_answers_when_an_event_commits(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let first = mgr.create(issue("first")).await.unwrap();
    let all = ModelFilter::all();
    let at_once = changes_waiting(&*t.store, 0, 10, &all, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        seen(&at_once.changes),
        [Seen::Revision(first.revision_id.clone())]
    );

    let waiting = {
        let store = t.store.clone();
        let since = first.sequence;
        tokio::spawn(async move {
            changes_waiting(
                &*store,
                since,
                10,
                &ModelFilter::all(),
                Duration::from_secs(30),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !waiting.is_finished(),
        "nothing followed yet: the page waits"
    );
    let second = mgr
        .update(&first.resource_id, issue("second"))
        .await
        .unwrap();
    let page = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the page answers once the write commits, before its 30 s")
        .unwrap()
        .unwrap();
    assert_eq!(seen(&page.changes), [Seen::Revision(second.revision_id)]);

    let empty = changes_waiting(
        &*t.store,
        page.last_seq,
        10,
        &all,
        Duration::from_millis(300),
    )
    .await
    .unwrap();
    assert!(empty.changes.is_empty() && !empty.has_more);
    assert_eq!(empty.last_seq, page.last_seq);
    let refused = changes_waiting(&*t.store, 0, 0, &all, Duration::ZERO).await;
    assert!(matches!(refused, Err(Error::InvalidQuery { .. })));
}
