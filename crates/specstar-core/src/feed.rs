//! The change feed: every revision of every model, in the store-wide sequence order.
//!
//! Each revision a store appends gets the next `sequence` number, and stores hand the numbers
//! out in commit order (see each store's docs): a reader whose page ends at number `n` has seen
//! every revision numbered up to `n`, and nothing numbered below `n` can appear later. So a
//! consumer that pages with `since` set to the last sequence it read sees every revision
//! exactly once, in order, with no gap that later fills.

use crate::error::{Error, Result};
use crate::id::ResourceId;
use crate::revision::RevisionInfo;
use crate::store::Store;

/// The most events one page of the feed holds.
pub const MAX_FEED_LIMIT: usize = 1_000;

/// One event of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// A revision was appended.
    Revision(RevisionInfo),
}

impl FeedEvent {
    /// The event's position in the store-wide sequence.
    pub fn sequence(&self) -> u64 {
        match self {
            Self::Revision(info) => info.sequence,
        }
    }

    /// The resource the event is about.
    pub fn resource_id(&self) -> &ResourceId {
        match self {
            Self::Revision(info) => &info.resource_id,
        }
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

/// The events after `since`, at most `limit` of them (1 to [`MAX_FEED_LIMIT`]).
///
/// # Errors
/// [`Error::InvalidQuery`] for a limit out of bounds; store errors.
pub async fn changes(store: &dyn Store, since: u64, limit: usize) -> Result<FeedPage> {
    if !(1..=MAX_FEED_LIMIT).contains(&limit) {
        return Err(Error::InvalidQuery {
            reason: format!("a page of the feed holds 1 to {MAX_FEED_LIMIT} events, not {limit}"),
        });
    }
    let mut changes = store.changes(since, limit + 1).await?;
    let has_more = changes.len() > limit;
    changes.truncate(limit);
    let last_seq = changes.last().map_or(since, FeedEvent::sequence);
    Ok(FeedPage {
        changes,
        last_seq,
        has_more,
    })
}
