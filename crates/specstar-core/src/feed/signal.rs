//! The wake-up of feed watchers: a store raises it after each commit, watchers wait on it
//! instead of polling in a tight loop.

use std::sync::Arc;

use tokio::sync::watch;

/// A store's "something was committed" signal, carrying the highest sequence number it was told
/// of. Only a hint: a watcher always reads the events from the store, so a missed or late
/// signal delays an event (until the watcher's poll) but never loses one.
///
/// Raising it costs one atomic compare when nobody watches; it never blocks a writer, however
/// slow the watchers.
#[derive(Clone, Debug)]
pub struct FeedSignal(Arc<watch::Sender<u64>>);

impl Default for FeedSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl FeedSignal {
    /// A signal nobody raised yet.
    pub fn new() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }

    /// Tells watchers that events up to `sequence` are committed (a lower number than one
    /// already told changes nothing).
    pub fn raise(&self, sequence: u64) {
        self.0.send_if_modified(|last| {
            let newer = sequence > *last;
            if newer {
                *last = sequence;
            }
            newer
        });
    }

    /// The newest sequence number raised here (0 before any): how far this process knows
    /// the feed goes, to tell how far behind a reader is.
    pub fn newest(&self) -> u64 {
        *self.0.borrow()
    }

    /// Tells watchers that something was committed, its number unknown (another process's
    /// write, say): they read the store again.
    pub fn raise_unknown(&self) {
        self.0.send_modify(|_| {});
    }

    /// A waiter for one watcher, which has seen everything raised so far.
    pub fn subscribe(&self) -> FeedWaiter {
        FeedWaiter(self.0.subscribe())
    }

    /// How many watchers wait on it now.
    pub fn watchers(&self) -> usize {
        self.0.receiver_count()
    }
}

/// One watcher's end of a [`FeedSignal`].
#[derive(Debug)]
pub struct FeedWaiter(watch::Receiver<u64>);

impl FeedWaiter {
    /// Marks everything raised so far as seen: call it before reading the store, so that a
    /// commit after the read raises the signal again.
    pub fn mark_seen(&mut self) {
        self.0.borrow_and_update();
    }

    /// Waits until the signal is raised after the last [`mark_seen`](Self::mark_seen) (at
    /// once if it was meanwhile). `false` when the store is gone and no signal will come.
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}
