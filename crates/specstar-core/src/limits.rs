//! How big a query may be, the same on every store.
//!
//! Stores turn a filter into one SQL expression, and SQL engines have limits of their own:
//! SQLite refuses an expression nested more than 1,000 levels deep and a statement with more
//! than 32,766 parameters, PostgreSQL one with more than 65,535 parameters. Rather than let
//! each store fail in its own way (a 500 on one, a 200 on another), a query is held to
//! documented maxima that every store serves, and refused above them with
//! [`Error::InvalidQuery`] before any store sees it:
//!
//! - at most [`MAX_QUERY_CONDITIONS`] conditions, and at most [`MAX_QUERY_SORTS`] sorts;
//! - at most [`MAX_QUERY_VALUES`] values in all the `in` / `not_in` lists together;
//! - and/or/not nested at most [`MAX_QUERY_DEPTH`] levels once [flattened](Filter::flattened)
//!   (an `and` inside an `and`, an `or` inside an `or` and a double negation are folded, so
//!   `a & b & c & …` and `~~x` cost no depth), and at most [`MAX_QUERY_NESTING`] levels as
//!   given (measured without recursion, so that no tree can overflow the stack).
//!
//! Within these, stores write balanced SQL (an `and` of a thousand conditions is a tree ten
//! levels deep, not a chain a thousand long), which keeps SQLite far inside its depth limit.

use crate::error::{Error, Result};
use crate::query::{Filter, Op, Sort};

/// The most conditions a query may have.
pub const MAX_QUERY_CONDITIONS: usize = 1_000;

/// The most values all the `in` and `not_in` lists of a query may hold together.
pub const MAX_QUERY_VALUES: usize = 10_000;

/// How deeply and/or/not may nest once the filter is flattened.
pub const MAX_QUERY_DEPTH: usize = 64;

/// How deeply and/or/not may nest as given, before flattening.
pub const MAX_QUERY_NESTING: usize = 1_000;

/// The most sorts a query may have (a cursor's SQL grows with the square of their number, and
/// SQLite refuses long `ORDER BY`s; a model has far fewer fields to sort by than this).
pub const MAX_QUERY_SORTS: usize = 32;

/// Refuses more than [`MAX_QUERY_SORTS`] sorts.
///
/// # Errors
/// [`Error::InvalidQuery`] saying how many there are.
pub fn check_sorts(sorts: &[Sort]) -> Result<()> {
    if sorts.len() > MAX_QUERY_SORTS {
        return Err(Error::InvalidQuery {
            reason: format!(
                "a query takes at most {MAX_QUERY_SORTS} sorts, not {}",
                sorts.len()
            ),
        });
    }
    Ok(())
}

impl Filter {
    /// The same filter with an `and` inside an `and` (an `or` inside an `or`) folded into it,
    /// a one-filter `and` / `or` replaced by the filter and a double negation removed. It
    /// matches exactly what the filter matches ([`Filter::matches`] is two-valued).
    #[must_use]
    pub fn flattened(self) -> Self {
        match self {
            Self::And(all) => fold(all, true),
            Self::Or(any) => fold(any, false),
            Self::Not(inner) => match inner.flattened() {
                Self::Not(twice) => *twice,
                other => Self::Not(Box::new(other)),
            },
            condition @ Self::Condition(_) => condition,
        }
    }

    /// Refuses a filter beyond the [maxima](self): too many conditions or list values, or
    /// nested too deeply (as given, or once flattened: `flat` says whether it already is).
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] saying which maximum was passed and by how much.
    pub fn check_limits(&self, flat: bool) -> Result<()> {
        let size = measure(self);
        let invalid = |reason: String| Err(Error::InvalidQuery { reason });
        if size.nesting > MAX_QUERY_NESTING {
            return invalid(format!(
                "the filter nests and/or/not more than {MAX_QUERY_NESTING} levels deep"
            ));
        }
        if size.conditions > MAX_QUERY_CONDITIONS {
            return invalid(format!(
                "a query takes at most {MAX_QUERY_CONDITIONS} conditions, not {}",
                size.conditions
            ));
        }
        if size.values > MAX_QUERY_VALUES {
            return invalid(format!(
                "a query's in and not_in lists hold at most {MAX_QUERY_VALUES} values in all, \
                 not {}",
                size.values
            ));
        }
        // Flattening only ever lowers the depth: a shallow filter needs none.
        let depth = if flat || size.nesting <= MAX_QUERY_DEPTH {
            size.nesting
        } else {
            measure(&self.clone().flattened()).nesting
        };
        if depth > MAX_QUERY_DEPTH {
            return invalid(format!(
                "and/or/not nest at most {MAX_QUERY_DEPTH} levels deep (nested ands, nested \
                 ors and double negations folded), not {depth}"
            ));
        }
        Ok(())
    }
}

/// `and` (`is_and`) or `or` of `filters`, flattened.
fn fold(filters: Vec<Filter>, is_and: bool) -> Filter {
    let mut out = Vec::with_capacity(filters.len());
    for filter in filters {
        match (filter.flattened(), is_and) {
            (Filter::And(inner), true) | (Filter::Or(inner), false) => out.extend(inner),
            (other, _) => out.push(other),
        }
    }
    if out.len() == 1
        && let Some(only) = out.pop()
    {
        return only;
    }
    if is_and {
        Filter::And(out)
    } else {
        Filter::Or(out)
    }
}

/// What [`Filter::check_limits`] counts.
struct Size {
    conditions: usize,
    values: usize,
    nesting: usize,
}

/// Counts a filter's conditions, list values and nesting, with a stack of its own (no
/// recursion, whatever the depth).
fn measure(filter: &Filter) -> Size {
    let mut size = Size {
        conditions: 0,
        values: 0,
        nesting: 0,
    };
    let mut stack = vec![(filter, 0_usize)];
    while let Some((node, depth)) = stack.pop() {
        match node {
            Filter::And(children) | Filter::Or(children) => {
                size.nesting = size.nesting.max(depth + 1);
                stack.extend(children.iter().map(|c| (c, depth + 1)));
            }
            Filter::Not(inner) => {
                size.nesting = size.nesting.max(depth + 1);
                stack.push((inner, depth + 1));
            }
            Filter::Condition(c) => {
                size.conditions += 1;
                if matches!(c.op, Op::In | Op::NotIn) {
                    size.values += c.value.as_array().map_or(0, Vec::len);
                }
            }
        }
    }
    size
}

/// `items` (at least one) joined by `op` as a balanced tree of parenthesized pairs, for SQL:
/// `((a AND b) AND (c AND d))` is as deep as the logarithm of the count, where SQL's own
/// `a AND b AND c AND d` nests as deep as the count.
pub fn balanced(items: &[String], op: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        _ => {
            let (left, right) = items.split_at(items.len() / 2);
            format!("({} {op} {})", balanced(left, op), balanced(right, op))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn c(n: i64) -> Filter {
        Filter::data("n", Op::Eq, n)
    }

    #[test]
    fn flattening_folds_nested_ands_ors_and_double_negations() {
        let nested = Filter::And(vec![
            Filter::And(vec![c(1), Filter::And(vec![c(2)])]),
            c(3).negate().negate(),
            Filter::Or(vec![Filter::Or(vec![c(4), c(5)])]),
        ]);
        assert_eq!(
            nested.flattened(),
            Filter::And(vec![c(1), c(2), c(3), Filter::Or(vec![c(4), c(5)])])
        );
        assert_eq!(c(1).negate().negate().negate().flattened(), c(1).negate());
        assert_eq!(Filter::And(vec![]).flattened(), Filter::And(vec![]));
    }

    #[test]
    fn limits_are_exact() {
        let many = |n: i64| Filter::Or((0..n).map(c).collect());
        assert!(many(1000).check_limits(false).is_ok());
        let error = many(1001).check_limits(false).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("at most 1000 conditions, not 1001")
        );
        let list = |n: usize| Filter::data("n", Op::In, json!(vec![1; n]));
        assert!(list(10_000).check_limits(false).is_ok());
        assert!(list(10_001).check_limits(false).is_err());
        let mut deep = c(0);
        for i in 0..64 {
            deep = if i % 2 == 0 {
                Filter::And(vec![c(i), deep])
            } else {
                Filter::Or(vec![c(i), deep])
            };
        }
        assert!(deep.check_limits(false).is_ok());
        let deeper = Filter::And(vec![c(99), deep.clone().negate()]);
        assert!(deeper.check_limits(false).is_err());
        let mut nots = c(0);
        for _ in 0..1000 {
            nots = nots.negate();
        }
        assert!(nots.check_limits(false).is_ok(), "double negations fold");
        assert!(
            nots.negate().check_limits(false).is_err(),
            "past 1000 as given"
        );
    }

    #[test]
    fn balanced_sql_is_shallow() {
        let items: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        assert_eq!(balanced(&items, "AND"), "(a AND (b AND c))");
        assert_eq!(balanced(&items[..1], "OR"), "a");
    }
}
