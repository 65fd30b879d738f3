//! Retention: bounding a resource's history by dropping the data of its old revisions.
//!
//! A model may declare a [`Retention`] policy: keep the last `N` revisions, and/or the
//! revisions younger than an age. Pruning drops the data of every revision that no rule of
//! the policy keeps, and never the current revision (a tombstone that is current included),
//! a revision [pinned](crate::Store::set_pinned), or one already pruned. A pruned revision
//! keeps its revision info (id, parent, hashes, action, time, user), so the history stays
//! whole, the feed keeps its event and the chain still verifies (the check takes a pruned
//! revision's chain hash as stored and checks the next revision's link over it); reading its
//! data is [`Error::RevisionPruned`](crate::Error::RevisionPruned).
//!
//! Stores hold a pruned revision as its info with empty data: canonical JSON is never empty,
//! so the two cannot be confused (see [`StoredRevision::is_pruned`]).
//!
//! [`StoredRevision::is_pruned`]: crate::StoredRevision::is_pruned

use std::time::Duration;

use crate::revision::RevisionInfo;
use crate::time::Timestamp;

/// What a model's history keeps. A revision is kept when any rule keeps it: pruned are only
/// those older than `max_age` (when set) and outside the last `keep_last` (when set). The
/// default keeps everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    keep_last: Option<u64>,
    max_age: Option<Duration>,
}

impl Retention {
    /// Keeps the last `n` revisions of each resource, the current one among them (`0` is
    /// taken as `1`: the current revision is always kept).
    pub fn keep_last(n: u64) -> Self {
        Self::default().and_keep_last(n)
    }

    /// Keeps the revisions created less than `age` ago (and always the current one).
    pub fn max_age(age: Duration) -> Self {
        Self::default().and_max_age(age)
    }

    /// The same policy, also keeping the last `n` revisions.
    #[must_use]
    pub fn and_keep_last(mut self, n: u64) -> Self {
        self.keep_last = Some(n.max(1));
        self
    }

    /// The same policy, also keeping the revisions younger than `age`.
    #[must_use]
    pub fn and_max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// How many revisions the policy keeps at least, if it says.
    pub fn kept_last(&self) -> Option<u64> {
        self.keep_last
    }

    /// The age under which the policy keeps revisions, if it says.
    pub fn kept_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether the policy keeps everything (no rule set).
    pub fn keeps_everything(&self) -> bool {
        self.keep_last.is_none() && self.max_age.is_none()
    }

    /// Which revisions of a resource whose current revision is number `current` the policy
    /// prunes at `now`; `None` when it prunes none.
    pub fn bounds(&self, current: u64, now: Timestamp) -> Option<PruneBounds> {
        if self.keeps_everything() {
            return None;
        }
        let through = current.checked_sub(self.keep_last.unwrap_or(1))?;
        let before = match self.max_age {
            None => Timestamp::MAX,
            Some(age) => now.minus(age),
        };
        (through >= 1).then_some(PruneBounds { through, before })
    }

    /// The time before which revisions are old enough to prune at `now`; `None` when the
    /// policy has no age rule (then no revision is too young).
    pub fn old_before(&self, now: Timestamp) -> Option<Timestamp> {
        self.max_age.map(|age| now.minus(age))
    }
}

/// The revisions a prune drops the data of: those numbered `through` or less and created
/// before `before`, that are not pinned and not yet pruned. A store also keeps the current
/// revision whatever the bounds say (the head it reads in its own transaction decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PruneBounds {
    /// The highest revision number pruned.
    pub through: u64,
    /// Revisions created at or after this time are kept.
    pub before: Timestamp,
}

impl PruneBounds {
    /// Whether the bounds admit `info` in a history whose current revision is `current`
    /// (pins and earlier pruning aside, which the store knows).
    pub fn admits(&self, info: &RevisionInfo, current: u64) -> bool {
        let number = info.number();
        number <= self.through && number < current && info.created_time < self.before
    }
}

/// What a prune dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Pruned {
    /// Revisions whose data was dropped.
    pub revisions: u64,
    /// The bytes of that data (canonical JSON).
    pub bytes: u64,
}

impl std::ops::AddAssign for Pruned {
    fn add_assign(&mut self, other: Self) {
        self.revisions += other.revisions;
        self.bytes += other.bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_micros(seconds * 1_000_000).expect("a time")
    }

    #[test]
    fn keep_last_prunes_below_the_last_n_and_never_the_current() {
        let now = at(1_000);
        let policy = Retention::keep_last(3);
        assert_eq!(policy.bounds(3, now), None);
        let bounds = policy.bounds(10, now).expect("some prunable");
        assert_eq!(bounds.through, 7);
        assert_eq!(bounds.before, Timestamp::MAX);
        assert_eq!(
            Retention::keep_last(0).bounds(2, now).map(|b| b.through),
            Some(1)
        );
        assert_eq!(Retention::keep_last(0).bounds(1, now), None);
        assert_eq!(Retention::default().bounds(10, now), None);
    }

    #[test]
    fn max_age_prunes_older_revisions_and_both_rules_keep_what_either_keeps() {
        let now = at(1_000);
        let day = Duration::from_secs(100);
        let by_age = Retention::max_age(day).bounds(5, now).expect("prunable");
        assert_eq!((by_age.through, by_age.before), (4, at(900)));
        let both = Retention::max_age(day).and_keep_last(2);
        let bounds = both.bounds(5, now).expect("prunable");
        assert_eq!((bounds.through, bounds.before), (3, at(900)));
        let info = |number: u64, seconds: i64| {
            let id = crate::ResourceId::parse("issue:a").expect("an id");
            RevisionInfo {
                revision_id: id.revision(number),
                parent_revision_id: None,
                resource_id: id,
                schema_version: "v1".into(),
                data_hash: crate::DataHash::of(b"{}"),
                action: crate::Action::Update,
                deleted: false,
                created_time: at(seconds),
                created_by: "alice".into(),
                sequence: number,
                chain_hash: crate::ChainHash::parse(&format!("sha256:{}", "0".repeat(64)))
                    .expect("a hash"),
            }
        };
        assert!(bounds.admits(&info(3, 899), 5));
        assert!(!bounds.admits(&info(3, 900), 5), "young enough");
        assert!(!bounds.admits(&info(4, 100), 5), "among the last two");
        assert!(!bounds.admits(&info(3, 100), 3), "the current revision");
    }
}
