//! The data of the versioning workload (`bench/workload.md`), byte for byte the reference's.
//!
//! No random numbers: item `i` is a pure function of `i`, so every implementation of the
//! workload writes the same data and visits it in the same order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{Schema, Timestamp};

/// The quickstart's issue: the workload's model, schema version `v1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Issue {
    /// `Issue %06d: search returns duplicate rows` (43 characters).
    pub title: String,
    /// `Steps to reproduce item %06d. ` repeated, cut to 200 characters.
    pub description: Option<String>,
    /// Indexed.
    #[serde(default)]
    pub status: Status,
    /// Indexed.
    #[serde(default)]
    pub severity: Severity,
    /// Indexed.
    pub assignee: Option<String>,
    /// 2026-01-01T00:00:00Z plus `i` minutes.
    pub due_date: Option<Timestamp>,
    /// Always null.
    pub resolved_at: Option<Timestamp>,
}

/// An issue's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    #[default]
    Open,
    /// Being worked on.
    InProgress,
    /// Done.
    Resolved,
}

/// An issue's severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Can wait.
    Low,
    /// The default.
    #[default]
    Medium,
    /// First.
    High,
}

const STATUS: [Status; 3] = [Status::Open, Status::InProgress, Status::Resolved];
const SEVERITY: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];
/// 2026-01-01T00:00:00Z in seconds since the Unix epoch.
const T0_SECONDS: i64 = 1_767_225_600;

/// The workload's schema: `v1`, indexed on status, severity and assignee.
pub fn schema() -> Schema<Issue> {
    Schema::<Issue>::new("v1")
        .index("status")
        .index("severity")
        .index("assignee")
}

/// Item `i` as created (`updated == false`) or as updated: the update moves the status one
/// step and the assignee one user on.
pub fn item(i: usize, updated: bool) -> Issue {
    let bump = usize::from(updated);
    let description: String = format!("Steps to reproduce item {i:06}. ")
        .repeat(8)
        .chars()
        .take(200)
        .collect();
    let minutes = i64::try_from(i).unwrap_or(i64::MAX / 120);
    Issue {
        title: format!("Issue {i:06}: search returns duplicate rows"),
        description: Some(description),
        status: STATUS[(i + bump) % 3],
        severity: SEVERITY[(i / 3) % 3],
        assignee: Some(assignee(7 * i + bump)),
        due_date: Timestamp::from_micros((T0_SECONDS + minutes * 60) * 1_000_000).ok(),
        resolved_at: None,
    }
}

/// `user%02d` of `k mod 20`.
pub fn assignee(k: usize) -> String {
    format!("user{:02}", k % 20)
}

/// The reads' visiting order: `(i * 7919) mod n`, a permutation when 7919 does not divide `n`.
pub fn visiting_order(n: usize) -> impl Iterator<Item = usize> + Clone {
    (0..n).map(move |i| (i * 7919) % n)
}

/// How many of the first `n` items match severity == high AND status == open once updated.
pub fn expected_matches(n: usize) -> u64 {
    (0..n)
        .filter(|&i| {
            let updated = item_class(i, true);
            updated == (Severity::High, Status::Open)
        })
        .count() as u64
}

fn item_class(i: usize, updated: bool) -> (Severity, Status) {
    (
        SEVERITY[(i / 3) % 3],
        STATUS[(i + usize::from(updated)) % 3],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_match_the_reference_bytes() {
        let first = item(0, false);
        assert_eq!(first.title, "Issue 000000: search returns duplicate rows");
        // workload.md says 41 characters; the reference's format string makes 43, and the
        // reference's bytes are what count.
        assert_eq!(first.title.len(), 43);
        let description = first.description.as_deref().unwrap_or_default();
        assert_eq!(description.len(), 200);
        assert!(description.starts_with("Steps to reproduce item 000000. Steps"));
        // 63: status (63 + 1) mod 3, severity (63 div 3) mod 3, assignee 7 * 63 + 1 mod 20.
        let json = serde_json::to_value(item(63, true)).expect("an issue is JSON");
        assert_eq!(json["status"], "in_progress");
        assert_eq!(json["severity"], "low");
        assert_eq!(json["assignee"], "user02");
        assert_eq!(json["due_date"], "2026-01-01T01:03:00Z");
        assert_eq!(json["resolved_at"], serde_json::Value::Null);
    }

    #[test]
    fn the_visiting_order_is_a_permutation() {
        let mut seen: Vec<usize> = visiting_order(10_000).collect();
        seen.sort_unstable();
        assert!(seen.iter().copied().eq(0..10_000));
    }

    #[test]
    fn expected_matches_counts_high_and_open_after_update() {
        // i = 6, 7, 8 are high; after the update, status (i + 1) % 3 is open for i = 8 only.
        assert_eq!(expected_matches(9), 1);
    }
}
