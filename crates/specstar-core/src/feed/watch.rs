//! `watch`: the feed as a stream that stays open, yielding events as they commit.
//!
//! The stream pulls: it reads a page from the store, yields it, and reads the next one only
//! when the consumer asks. A slow consumer therefore holds no buffer beyond one page and never
//! slows writers; when it comes back it is caught up from the store. Between pages it sleeps
//! until the store's [`FeedSignal`] is raised, or [`POLL_INTERVAL`] passes (the fallback for
//! writes the signal cannot see, such as another process's).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::{FeedEvent, FeedWaiter, ModelFilter};
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
    let wake = store.feed_signal().map(|signal| signal.subscribe());
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

struct Watcher {
    store: Arc<dyn Store>,
    since: u64,
    filter: ModelFilter,
    buffer: VecDeque<FeedEvent>,
    wake: Option<FeedWaiter>,
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
                self.sleep().await;
            }
            // Marked seen before the read: a commit after it raises the signal again.
            if let Some(wake) = &mut self.wake {
                wake.mark_seen();
            }
            let events = self.store.changes(self.since, PAGE, &self.filter).await;
            let events = events.inspect_err(|_| self.pause = true)?;
            self.pause = events.is_empty();
            if let Some(last) = events.last() {
                self.since = last.sequence();
            }
            self.buffer.extend(events);
        }
    }

    /// Until the signal is raised or the poll interval passes.
    async fn sleep(&mut self) {
        match &mut self.wake {
            Some(wake) => {
                if let Ok(false) = tokio::time::timeout(POLL_INTERVAL, wake.changed()).await {
                    // The store is gone: no signal will come, poll from now on.
                    self.wake = None;
                }
            }
            None => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}
