//! The change feed: every revision of every model, and every permanent delete, in the
//! store-wide sequence order.
//!
//! Each revision a store appends, and each purge, gets the next `sequence` number, and stores
//! hand the numbers out in commit order (see each store's docs): a reader whose page ends at
//! number `n` has seen every event numbered up to `n`, and nothing numbered below `n` can
//! appear later. So a consumer that pages with `since` set to the last sequence it read sees
//! every event exactly once, in order, with no gap that later fills. [`watch`] does that
//! paging for a consumer that stays, woken by the store's [`FeedSignal`].

mod signal;
mod watch;

use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::id::ResourceId;
use crate::revision::RevisionInfo;
use crate::store::Store;
use crate::time::Timestamp;

pub use signal::{FeedSignal, FeedWaiter};
pub use watch::{POLL_INTERVAL, changes_waiting, watch};

/// The most events one page of the feed holds.
pub const MAX_FEED_LIMIT: usize = 1_000;

/// One event of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// A revision was appended.
    Revision(RevisionInfo),
    /// A resource was permanently deleted, with all its revisions: a consumer mirroring the
    /// data erases it too. (The purged revisions leave the feed with it.)
    Purge(PurgeEvent),
}

/// A permanent delete, as the feed tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeEvent {
    /// Its position in the store-wide sequence.
    pub sequence: u64,
    /// The resource erased.
    pub resource_id: ResourceId,
    /// When.
    pub created_time: Timestamp,
    /// Who.
    pub created_by: Arc<str>,
}

impl FeedEvent {
    /// The event's position in the store-wide sequence.
    pub fn sequence(&self) -> u64 {
        match self {
            Self::Revision(info) => info.sequence,
            Self::Purge(purge) => purge.sequence,
        }
    }

    /// The resource the event is about.
    pub fn resource_id(&self) -> &ResourceId {
        match self {
            Self::Revision(info) => &info.resource_id,
            Self::Purge(purge) => &purge.resource_id,
        }
    }

    /// The model of the resource the event is about.
    pub fn model(&self) -> &str {
        self.resource_id().model()
    }
}

/// Which models a read of the feed follows: every model, or the ones named.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelFilter(Vec<Arc<str>>);

impl ModelFilter {
    /// Every model.
    pub fn all() -> Self {
        Self::default()
    }

    /// The models named (every model when the list is empty); duplicates count once.
    pub fn only<I, S>(models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Arc<str>>,
    {
        let mut models: Vec<Arc<str>> = models.into_iter().map(Into::into).collect();
        models.sort();
        models.dedup();
        Self(models)
    }

    /// The models named, sorted; empty for every model.
    pub fn models(&self) -> &[Arc<str>] {
        &self.0
    }

    /// Whether the filter lets every model through.
    pub fn is_all(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an event of `model` passes.
    pub fn admits(&self, model: &str) -> bool {
        self.is_all() || self.0.iter().any(|m| &**m == model)
    }
}

/// A page of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedPage {
    /// The events after the page's `since`, in sequence order.
    pub changes: Vec<FeedEvent>,
    /// The sequence of the last event returned, or `since` when there was none: the `since`
    /// of the next page.
    pub last_seq: u64,
    /// Whether more events followed when the page was read.
    pub has_more: bool,
}

/// Refuses a page size out of 1 to [`MAX_FEED_LIMIT`].
///
/// # Errors
/// [`Error::InvalidQuery`].
pub fn check_limit(limit: usize) -> Result<()> {
    if (1..=MAX_FEED_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(Error::InvalidQuery {
            reason: format!("a page of the feed holds 1 to {MAX_FEED_LIMIT} events, not {limit}"),
        })
    }
}

/// The events of the models `filter` admits after `since`, at most `limit` of them (1 to
/// [`MAX_FEED_LIMIT`]).
///
/// # Errors
/// [`Error::InvalidQuery`] for a limit out of bounds; store errors.
pub async fn changes(
    store: &dyn Store,
    since: u64,
    limit: usize,
    filter: &ModelFilter,
) -> Result<FeedPage> {
    check_limit(limit)?;
    let mut changes = store.changes(since, limit + 1, filter).await?;
    let has_more = changes.len() > limit;
    changes.truncate(limit);
    let last_seq = changes.last().map_or(since, FeedEvent::sequence);
    Ok(FeedPage {
        changes,
        last_seq,
        has_more,
    })
}

/// The data of a revision event, read from the store; `None` for a purge event, or for a
/// revision whose resource was purged since the event was read (its purge event follows).
///
/// # Errors
/// Store errors.
pub async fn data_of(store: &dyn Store, event: &FeedEvent) -> Result<Option<Bytes>> {
    let FeedEvent::Revision(info) = event else {
        return Ok(None);
    };
    let fetched = store.read(&info.resource_id, Some(info.number())).await?;
    Ok(fetched.and_then(|f| f.revision).map(|r| r.data))
}
