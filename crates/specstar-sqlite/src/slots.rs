//! Slot columns: each indexed field of a model as a plain SQLite value in a column of `heads`.
//!
//! `heads.indexed_data` keeps the indexed values as one JSON object, which is what a head's
//! meta returns. Searching through it would cost a JSON function call per field per row
//! examined (about a microsecond each), so each write also stores the values in slot
//! columns: the model's `i`-th indexed field in path order in `v{i}`, and the kind of its
//! value in `k{i}` (path order: declaring the same fields in another order moves nothing).
//! Conditions and sorts then compare plain columns, which indexes hold and SQLite compares
//! in tens of nanoseconds (see [`indexes`](crate::indexes)).
//!
//! A value is stored so that SQLite's order of values is the core's
//! [`SortKey`](specstar_core::query::SortKey) order: null as NULL, booleans as the integers 0
//! and 1, numbers as INTEGER or REAL, strings as TEXT, arrays and objects as their JSON text.
//! The kind tells apart what that order mixes (a boolean from a number, a string from an
//! array's text), because the core compares values of one kind only.

use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use specstar_core::{Error, IndexedValues, ModelDescriptor, Result};

/// How many indexed fields a model may have in this store: one slot each.
pub(crate) const SLOTS: usize = 16;

/// The kind of a slot's value, stored in its `k` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool = 1,
    Number = 2,
    Text = 3,
    Composite = 4,
}

impl Kind {
    /// The kind of a value an operand can match; `None` for null and composites, which no
    /// comparison matches.
    pub(crate) fn of_operand(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(_) => Some(Self::Bool),
            Value::Number(_) => Some(Self::Number),
            Value::String(_) => Some(Self::Text),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}

/// A value as a slot stores it (or as a parameter compared with one), and its kind.
pub(crate) fn encode(value: &Value) -> (SqlValue, Option<Kind>) {
    match value {
        Value::Null => (SqlValue::Null, None),
        Value::Bool(b) => (SqlValue::Integer(i64::from(*b)), Some(Kind::Bool)),
        Value::Number(n) => {
            let sql = match n.as_i64() {
                Some(i) => SqlValue::Integer(i),
                None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
            };
            (sql, Some(Kind::Number))
        }
        Value::String(s) => (SqlValue::Text(s.clone()), Some(Kind::Text)),
        other => (SqlValue::Text(other.to_string()), Some(Kind::Composite)),
    }
}

/// The `2 * SLOTS` values of the slot columns, `v0, k0, v1, k1, …`, for a head's indexed
/// values, given the model's registered indexed fields (in any order: slots go in path
/// order). A field the values lack is NULL, as are unused slots; values of fields not
/// registered are left out. Taking the positions from the registration, not from the
/// values, keeps every slot where searches look for it even when a process with an older
/// schema writes.
pub(crate) fn values(fields: &[String], indexed: &IndexedValues) -> Vec<SqlValue> {
    let mut sorted: Vec<&String> = fields.iter().collect();
    sorted.sort();
    let mut out = Vec::with_capacity(2 * SLOTS);
    for slot in 0..SLOTS {
        let value = sorted
            .get(slot)
            .and_then(|path| indexed.get(path.as_str()))
            .unwrap_or(&Value::Null);
        let (sql, kind) = encode(value);
        out.push(sql);
        out.push(kind.map_or(SqlValue::Null, |k| SqlValue::Integer(k as i64)));
    }
    out
}

/// `v0 = ?N, k0 = ?N+1, …` for an UPDATE whose slot parameters start at `first`.
pub(crate) fn assignments(first: usize) -> String {
    (0..SLOTS)
        .map(|slot| {
            let at = first + 2 * slot;
            format!("v{slot} = ?{at}, k{slot} = ?{}", at + 1)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `v0, k0, v1, k1, …`, the slot columns in the order of [`values`].
pub(crate) fn columns() -> String {
    (0..SLOTS)
        .map(|slot| format!("v{slot}, k{slot}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The slot of an indexed field: its position among the model's indexed fields in path
/// order.
pub(crate) fn slot_of(fields: &[String], path: &str) -> Option<usize> {
    fields
        .iter()
        .any(|f| f == path)
        .then(|| fields.iter().filter(|f| f.as_str() < path).count())
}

/// Refuses a model with more indexed fields than there are slots.
pub(crate) fn check_count(model: &ModelDescriptor) -> Result<()> {
    if model.indexed_fields.len() > SLOTS {
        return Err(Error::InvalidSchema {
            model: model.name.to_string(),
            reason: format!(
                "the sqlite store indexes at most {SLOTS} fields per model, found {}",
                model.indexed_fields.len()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_stored_in_the_core_order_with_their_kind() {
        assert_eq!(encode(&json!(null)), (SqlValue::Null, None));
        assert_eq!(
            encode(&json!(true)),
            (SqlValue::Integer(1), Some(Kind::Bool))
        );
        assert_eq!(
            encode(&json!(7)),
            (SqlValue::Integer(7), Some(Kind::Number))
        );
        assert_eq!(
            encode(&json!(0.5)),
            (SqlValue::Real(0.5), Some(Kind::Number))
        );
        assert_eq!(
            encode(&json!("x")),
            (SqlValue::Text("x".into()), Some(Kind::Text))
        );
        assert_eq!(
            encode(&json!(["x"])),
            (SqlValue::Text("[\"x\"]".into()), Some(Kind::Composite))
        );
    }

    #[test]
    fn slots_follow_the_path_order_and_unused_ones_are_null() {
        let fields = vec!["b".to_owned(), "a".to_owned()];
        let indexed: IndexedValues =
            serde_json::from_value(json!({"b": "x", "a": 1, "z": true})).unwrap();
        let values = values(&fields, &indexed);
        assert_eq!(values.len(), 2 * SLOTS);
        assert_eq!(values[0], SqlValue::Integer(1));
        assert_eq!(values[1], SqlValue::Integer(Kind::Number as i64));
        assert_eq!(values[2], SqlValue::Text("x".into()));
        assert_eq!(values[3], SqlValue::Integer(Kind::Text as i64));
        assert!(values[4..].iter().all(|v| *v == SqlValue::Null));
        assert_eq!(slot_of(&fields, "a"), Some(0));
        assert_eq!(slot_of(&fields, "b"), Some(1));
        assert_eq!(slot_of(&fields, "c"), None);
        assert!(assignments(9).starts_with("v0 = ?9, k0 = ?10, v1 = ?11"));
    }
}
