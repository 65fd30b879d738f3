//! The boolean walk of a filter: `And`, `Or` and `Not` around the dialect's conditions.
//!
//! `And` and `Or` are written as balanced trees ([`balanced`]), so that a thousand conditions
//! nest ten levels deep and not a thousand (SQLite's expression depth limit is 1,000;
//! PostgreSQL's stack is finite too). `Not` negates with [`Dialect::negate`], so that an
//! unknown counts as "does not hold" before it is negated, as in the core. The empty `And`
//! holds and the empty `Or` does not.

use specstar_core::limits::balanced;
use specstar_core::{Filter, Result};

use crate::Dialect;

/// The SQL of a filter (flattened first by the caller: nested `And`s and `Or`s folded).
///
/// # Errors
/// What the dialect's [`condition`](Dialect::condition) returns.
pub fn filter_sql<D: Dialect + ?Sized>(dialect: &mut D, filter: &Filter) -> Result<String> {
    Ok(match filter {
        Filter::And(all) if all.is_empty() => D::TRUE.into(),
        Filter::Or(any) if any.is_empty() => D::FALSE.into(),
        Filter::And(all) => join(dialect, all, "AND")?,
        Filter::Or(any) => join(dialect, any, "OR")?,
        Filter::Not(inner) => D::negate(&filter_sql(dialect, inner)?),
        Filter::Condition(condition) => dialect.condition(condition)?,
    })
}

/// The filters joined by `with` as a balanced tree.
fn join<D: Dialect + ?Sized>(dialect: &mut D, filters: &[Filter], with: &str) -> Result<String> {
    let parts = filters
        .iter()
        .map(|f| filter_sql(dialect, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("({})", balanced(&parts, with)))
}

#[cfg(test)]
mod tests {
    use specstar_core::{Filter, Op};

    use super::*;
    use crate::tests::Toy;

    #[test]
    fn and_or_not_are_balanced_and_negate_unknowns() {
        let c = |n: i64| Filter::data("n", Op::Eq, n);
        let filter = Filter::And(vec![
            c(1),
            Filter::Or(vec![c(2), c(3), c(4)]),
            Filter::Not(Box::new(c(5))),
        ]);
        let sql = filter_sql(&mut Toy, &filter).expect("writes sql");
        assert_eq!(
            sql,
            "((n = 1 AND (((n = 2 OR (n = 3 OR n = 4))) AND NOT coalesce(n = 5, F))))"
        );
        let empty = filter_sql(&mut Toy, &Filter::Or(Vec::new())).expect("sql");
        assert_eq!(empty, "F");
        let all = filter_sql(&mut Toy, &Filter::And(Vec::new())).expect("sql");
        assert_eq!(all, "T");
    }
}
