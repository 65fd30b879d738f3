//! Choosing the index a search reads: a small cost model over the store's statistics.
//!
//! SQLite's own planner does not count on a `LIMIT` ending a scan early. For the most common
//! search, "these field values, newest first, 20 a page", it reads every match of the most
//! selective field through that field's index and sorts them all, a cost that grows with the
//! store (a third of the rows for `severity = high`), where reading the
//! [time-order index](crate::indexes) backwards stops after the page's last match, a cost
//! that depends only on how selective the whole filter is. So the store chooses, and tells
//! SQLite with `INDEXED BY`:
//!
//! - **by field**: read the matches of one equality or `in` on an indexed field through its
//!   slot index, look each row up, sort them: work in proportion to that field's matches;
//! - **in time order**: read the created- or updated-time index in the query's order, testing
//!   the filter on the covered slots, until the page is full: about `(offset + limit) /
//!   selectivity` index entries, `selectivity` being the product of the equalities'
//!   fractions (as if independent). A count reads the whole index this way.
//!
//! Fractions come from the store's [statistics](crate::stats) (heads per distinct value of
//! each field), measured as the model grows. Without statistics, SQLite chooses.

use specstar_core::{Condition, Field, Filter, MetaField, Op, Query};

use crate::indexes::{self, TimeOrder};
use crate::slots::{self, Kind};
use crate::stats::Stats;

/// The relative cost of reading one row through the table (a B-tree seek and a decode).
const LOOKUP: f64 = 1.5;
/// The relative cost of one entry of a covering index scan.
const SCAN: f64 = 0.2;
/// The relative cost of sorting one row.
const SORT: f64 = 0.3;

/// How a search reads the heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// SQLite chooses.
    Auto,
    /// Through the slot index of one field.
    Field(usize),
    /// Through a time-order index.
    Order(TimeOrder),
}

impl Access {
    /// The `INDEXED BY …` clause, or nothing.
    pub(crate) fn clause(self, model: &str) -> String {
        match self {
            Self::Auto => String::new(),
            Self::Field(slot) => format!(" INDEXED BY \"{}\"", indexes::slot_index(model, slot)),
            Self::Order(order) => {
                format!(" INDEXED BY \"{}\"", indexes::order_index(model, order))
            }
        }
    }
}

/// The conditions every match must meet: the top-level conjunction.
fn conjuncts(filter: &Filter) -> Vec<&Condition> {
    match filter {
        Filter::Condition(c) => vec![c],
        Filter::And(all) => all.iter().flat_map(conjuncts).collect(),
        Filter::Or(_) | Filter::Not(_) => Vec::new(),
    }
}

/// How many values an `in` list has, when they are all of one kind (and there is one).
fn one_kind(list: &serde_json::Value) -> Option<usize> {
    let values = list.as_array()?;
    let first = Kind::of_operand(values.first()?)?;
    values
        .iter()
        .all(|v| Kind::of_operand(v) == Some(first))
        .then_some(values.len())
}

/// The time order a query's first sort follows, if any.
pub(crate) fn time_order(query: &Query) -> Option<TimeOrder> {
    match query.sorts.first()?.field {
        Field::Meta(MetaField::CreatedTime) => Some(TimeOrder::Created),
        Field::Meta(MetaField::UpdatedTime) => Some(TimeOrder::Updated),
        _ => None,
    }
}

/// Chooses how to read the heads for `query` (its page when `counting` is false, its count
/// when true), given the model's indexed fields and statistics.
pub(crate) fn choose(
    query: &Query,
    fields: &[String],
    array_fields: &[String],
    stats: Option<&Stats>,
    counting: bool,
) -> Access {
    let Some(stats) = stats else {
        return Access::Auto;
    };
    let rows = stats.rows.max(1.0);
    // The equalities and `in`s on indexed fields, with their estimated matches.
    let mut selectivity = 1.0;
    let mut best: Option<(usize, f64)> = None;
    for c in query.filter.as_ref().map(conjuncts).unwrap_or_default() {
        let Field::Data(path) = &c.field else {
            continue;
        };
        // An array's slot holds the whole array: its elements are in the element index.
        if array_fields.contains(path) {
            continue;
        }
        let Some(slot) = slots::slot_of(fields, path) else {
            continue;
        };
        let Some(per_value) = stats.per_value.get(slot) else {
            continue;
        };
        let matches = match c.op {
            Op::Eq if Kind::of_operand(&c.value).is_some() => *per_value,
            // A list of one kind of value is one index range per value.
            Op::In => match one_kind(&c.value) {
                Some(values) => per_value * values as f64,
                None => continue,
            },
            _ => continue,
        }
        .min(rows);
        selectivity *= matches / rows;
        if best.is_none_or(|(_, m)| matches < m) {
            best = Some((slot, matches));
        }
    }
    let by_field = best.map(|(slot, matches)| {
        let sort = if counting || query.sorts.is_empty() {
            0.0
        } else {
            matches * SORT
        };
        (Access::Field(slot), matches * LOOKUP + sort)
    });
    let in_order = if counting {
        Some((Access::Order(TimeOrder::Created), rows * SCAN))
    } else {
        time_order(query).map(|order| {
            let wanted = query.limit.map_or(rows, |limit| {
                (query.offset.saturating_add(limit)) as f64 / selectivity.max(1.0 / rows)
            });
            let page = query.limit.map_or(rows, |limit| limit as f64);
            (
                Access::Order(order),
                wanted.min(rows) * SCAN + page.min(rows) * LOOKUP,
            )
        })
    };
    match (by_field, in_order) {
        (Some(f), Some(o)) => {
            if o.1 < f.1 {
                o.0
            } else {
                f.0
            }
        }
        (Some(f), None) => f.0,
        (None, Some(o)) if !counting || query.filter.is_some() => o.0,
        _ => Access::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use specstar_core::Direction;

    fn stats(rows: f64, per_value: &[f64]) -> Stats {
        Stats {
            rows,
            per_value: per_value.to_vec(),
        }
    }

    fn fields() -> Vec<String> {
        ["status", "severity", "title"].map(String::from).to_vec()
    }

    fn newest(filter: Filter) -> Query {
        Query::all()
            .filter(filter)
            .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
            .limit(20)
    }

    fn workload() -> Filter {
        Filter::And(vec![
            Filter::data("severity", Op::Eq, "high"),
            Filter::data("status", Op::Eq, "open"),
        ])
    }

    #[test]
    fn common_values_newest_first_read_the_time_index() {
        let s = stats(1e6, &[333_333.0, 333_333.0, 1.0]);
        let access = choose(&newest(workload()), &fields(), &[], Some(&s), false);
        assert_eq!(access, Access::Order(TimeOrder::Created));
    }

    #[test]
    fn a_rare_value_reads_its_field_index() {
        let s = stats(1e6, &[333_333.0, 333_333.0, 1.0]);
        let filter = Filter::And(vec![
            Filter::data("status", Op::Eq, "open"),
            Filter::data("title", Op::Eq, "x"),
        ]);
        let access = choose(&newest(filter), &fields(), &[], Some(&s), false);
        assert_eq!(access, Access::Field(2));
    }

    #[test]
    fn counts_scan_the_covering_index_unless_a_field_is_selective() {
        let s = stats(1e6, &[333_333.0, 333_333.0, 1.0]);
        let count = Query::all().filter(workload());
        assert_eq!(
            choose(&count, &fields(), &[], Some(&s), true),
            Access::Order(TimeOrder::Created)
        );
        let rare = Query::all().filter(Filter::data("title", Op::Eq, "x"));
        assert_eq!(
            choose(&rare, &fields(), &[], Some(&s), true),
            Access::Field(2)
        );
    }

    #[test]
    fn without_statistics_sqlite_chooses() {
        assert_eq!(
            choose(&newest(workload()), &fields(), &[], None, false),
            Access::Auto
        );
    }
}
