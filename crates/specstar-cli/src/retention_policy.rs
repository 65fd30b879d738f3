//! A model file's `retention:`, what its history keeps:
//!
//! ```yaml
//! retention:
//!   keep_last: 20     # the last 20 revisions of each resource, the current one among them
//!   max_age: 90d      # and every revision younger than 90 days
//! ```
//!
//! A revision is kept when either rule keeps it; the current revision and pinned ones always
//! are. Ages are jiff's friendly durations (`90d`, `12h`, `1w 2d`, `30 minutes`) or ISO 8601
//! (`P90D`); a day is 24 hours, and months and years, whose lengths vary, are refused.

use std::time::Duration;

use jiff::{Span, SpanRelativeTo};
use serde::Deserialize;
use specstar::Retention;

/// The `retention:` of a model file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionFile {
    keep_last: Option<u64>,
    max_age: Option<String>,
}

impl RetentionFile {
    /// The policy the file declares, or what is wrong with it.
    pub(crate) fn policy(&self) -> Result<Retention, String> {
        let mut policy = Retention::default();
        match self.keep_last {
            Some(0) => {
                return Err(
                    "retention: keep_last must be 1 or more (the current revision is \
                            always kept)"
                        .into(),
                );
            }
            Some(n) => policy = policy.and_keep_last(n),
            None => {}
        }
        if let Some(text) = &self.max_age {
            policy = policy.and_max_age(age(text)?);
        }
        if policy.keeps_everything() {
            return Err("retention: declare keep_last, max_age or both".into());
        }
        Ok(policy)
    }
}

/// `text` as a retention age (see [`duration`]).
fn age(text: &str) -> Result<Duration, String> {
    duration(text).map_err(|why| format!("retention: max_age {why}"))
}

/// `text` as a duration longer than zero: jiff's friendly format or ISO 8601, days of 24
/// hours. The error starts with the text quoted.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let bad = |why: String| format!("{text:?} {why}");
    let span: Span = text
        .parse()
        .map_err(|e| bad(format!("is not a duration (e.g. 90d, 12h, P30D): {e}")))?;
    let duration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| {
            bad(format!(
                "cannot be a fixed length (use days, not months or years): {e}"
            ))
        })?;
    Duration::try_from(duration)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| bad("must be longer than zero".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(keep_last: Option<u64>, max_age: Option<&str>) -> RetentionFile {
        RetentionFile {
            keep_last,
            max_age: max_age.map(Into::into),
        }
    }

    #[test]
    fn ages_and_counts_make_a_policy() {
        let policy = file(Some(20), Some("90d")).policy().unwrap();
        assert_eq!(policy.kept_last(), Some(20));
        assert_eq!(policy.kept_age(), Some(Duration::from_secs(90 * 86_400)));
        let iso = file(None, Some("P1DT12H")).policy().unwrap();
        assert_eq!(iso.kept_age(), Some(Duration::from_secs(36 * 3_600)));
        let words = file(None, Some("2 weeks")).policy().unwrap();
        assert_eq!(words.kept_age(), Some(Duration::from_secs(14 * 86_400)));
    }

    #[test]
    fn bad_policies_say_why() {
        for (bad, says) in [
            (file(Some(0), None), "keep_last must be 1 or more"),
            (file(None, None), "declare keep_last, max_age or both"),
            (file(None, Some("soon")), "is not a duration"),
            (file(None, Some("3 months")), "use days"),
            (file(None, Some("0s")), "longer than zero"),
            (file(None, Some("-2d")), "longer than zero"),
        ] {
            let error = bad.policy().unwrap_err();
            assert!(error.contains(says), "{error}");
        }
    }
}
