//! `watch`: the feed as a stream that stays open, yielding events as they commit; and
//! `changes_waiting`, a page that waits for its first event (a long poll).
//!
//! The stream pulls: it reads a page from the store, yields it, and reads the next one only
//! when the consumer asks. A slow consumer therefore holds no buffer beyond one page and never
//! slows writers; when it comes back it is caught up from the store. Between pages it sleeps
//! until the store's [`FeedSignal`] is raised, or [`POLL_INTERVAL`] passes (the fallback for
//! writes the signal cannot see, such as another process's).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{FeedEvent, FeedPage, FeedWaiter, ModelFilter, changes};
use crate::error::Result;
use crate::store::Store;
use futures_util::Stream;

/// The longest a watcher sleeps before it reads the store again, signal or not.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How many events a watcher reads from the store at once.
const PAGE: usize = 100;

/// The events of the models `filter` admits after `since`, as they commit: a stream that ends
/// only when dropped. A store error is yielded once; the stream then tries again after
/// [`POLL_INTERVAL`].
pub fn watch(
    store: Arc<dyn Store>,
    since: u64,
    filter: ModelFilter,
) -> impl Stream<Item = Result<FeedEvent>> + Send + 'static {
    let wake = Wake::of(&*store);
    let state = Watcher {
        store,
        since,
        filter,
        buffer: VecDeque::new(),
        wake,
        pause: false,
    };
    futures_util::stream::unfold(state, |mut watcher| async move {
        let next = watcher.next().await;
        Some((next, watcher))
    })
}

/// A page of the feed as [`changes`] reads it, but when no event follows `since`, waiting up to
/// `wait` for one to commit: the page is answered as soon as there is one (a long poll), or
/// empty when the time is up.
///
/// # Errors
/// As [`changes`].
pub async fn changes_waiting(
    store: &dyn Store,
    since: u64,
    limit: usize,
    filter: &ModelFilter,
    wait: Duration,
) -> Result<FeedPage> {
    let deadline = Instant::now() + wait;
    let mut wake = Wake::of(store);
    loop {
        wake.mark_seen();
        let page = changes(store, since, limit, filter).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        if !page.changes.is_empty() || left.is_zero() {
            return Ok(page);
        }
        wake.sleep(left.min(POLL_INTERVAL)).await;
    }
}

/// The store's signal as one watcher waits on it, or a plain timer for a store without one.
struct Wake(Option<FeedWaiter>);

impl Wake {
    fn of(store: &dyn Store) -> Self {
        Self(store.feed_signal().map(|signal| signal.subscribe()))
    }

    /// Marks the signal seen: call before reading the store, so that a commit after the read
    /// raises it again.
    fn mark_seen(&mut self) {
        if let Some(waiter) = &mut self.0 {
            waiter.mark_seen();
        }
    }

    /// Until the signal is raised or `most` passes.
    async fn sleep(&mut self, most: Duration) {
        match &mut self.0 {
            Some(waiter) => {
                if let Ok(false) = tokio::time::timeout(most, waiter.changed()).await {
                    // The store is gone: no signal will come, sleep from now on.
                    self.0 = None;
                }
            }
            None => tokio::time::sleep(most).await,
        }
    }
}

struct Watcher {
    store: Arc<dyn Store>,
    since: u64,
    filter: ModelFilter,
    buffer: VecDeque<FeedEvent>,
    wake: Wake,
    /// Whether to sleep before the next read (after an empty page or an error).
    pause: bool,
}

impl Watcher {
    async fn next(&mut self) -> Result<FeedEvent> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            if self.pause {
                self.wake.sleep(POLL_INTERVAL).await;
            }
            self.wake.mark_seen();
            let events = self.store.changes(self.since, PAGE, &self.filter).await;
            let events = events.inspect_err(|_| self.pause = true)?;
            self.pause = events.is_empty();
            if let Some(last) = events.last() {
                self.since = last.sequence();
            }
            self.buffer.extend(events);
        }
    }
}
