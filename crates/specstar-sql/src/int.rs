//! Numbers between the core and SQL: the core counts with `u64`, both SQL dialects keep signed
//! 64-bit integers (SQLite's `INTEGER`, PostgreSQL's `bigint`).

use specstar_core::{Error, Result, RevisionInfo};

/// A number to store (a revision number, a count), refused past `i64::MAX`; `store` names
/// the store in the message (`"sqlite"`, `"postgresql"`).
///
/// # Errors
/// [`Error::Store`] for a number past 2^63 - 1, which no column can hold.
pub fn to_sql_int(number: u64, store: &str) -> Result<i64> {
    i64::try_from(number).map_err(|_| {
        Error::store(format!(
            "number {number} is too large for {store} (past 2^63 - 1)"
        ))
    })
}

/// A revision's number and its parent's number, to store.
///
/// # Errors
/// As [`to_sql_int`].
pub fn revision_numbers(info: &RevisionInfo, store: &str) -> Result<(i64, Option<i64>)> {
    let number = to_sql_int(info.number(), store)?;
    let parent = info
        .parent_revision_id
        .as_ref()
        .map(|p| to_sql_int(p.number(), store))
        .transpose()?;
    Ok((number, parent))
}

/// A bound (an offset, a limit, a position) past which nothing is stored anyway: `i64::MAX`
/// for a larger one, which means the same.
pub fn saturating(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

/// A count SQL returned; 0 for a negative one, which no count is.
pub fn count(number: i64) -> u64 {
    u64::try_from(number).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_past_i64_are_refused_naming_the_store() {
        assert_eq!(to_sql_int(5, "sqlite").expect("fits"), 5);
        let error = to_sql_int(u64::MAX, "postgresql").expect_err("too large");
        assert!(
            error.to_string().contains("too large for postgresql"),
            "{error}"
        );
        assert_eq!(saturating(u64::MAX), i64::MAX);
        assert_eq!(count(-3), 0);
        assert_eq!(count(3), 3);
    }
}
