//! The search indexes of a model, made at its registration.
//!
//! Each model gets partial indexes over its own heads (`WHERE model = '<name>'`, so that one
//! model's index holds none of another's rows):
//! - `search_<model>_v<i>` on slot `v<i>` (see [`slots`](crate::slots)) for each indexed
//!   field: equalities, `in` and ranges on one field, for selective filters;
//! - `search_<model>_created` and `search_<model>_updated` on `(time, resource_id)` followed by
//!   `is_deleted` and every slot of the model: read in order, forwards or backwards, they
//!   answer "newest first, 20 a page" by examining only the rows up to the page's last
//!   match, and they cover every condition on indexed fields, so the rows examined are read
//!   from the index alone. They also serve counts that no field narrows.
//!
//! Which index a search reads is chosen by [`access`](crate::access) from the store's
//! [statistics](crate::stats).

use rusqlite::Connection;
use specstar_core::{Error, ModelDescriptor, Result};

/// The meta times whose order an index serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeOrder {
    Created,
    Updated,
}

impl TimeOrder {
    fn column(self) -> &'static str {
        match self {
            Self::Created => "created_time",
            Self::Updated => "updated_time",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
        }
    }
}

/// The model name as an SQL string literal. Model names are ASCII letters, digits, `-` and
/// `_` (checked here too, as the name is written into SQL).
pub(crate) fn model_literal(model: &str) -> Result<String> {
    specstar_core::id::check_model_name(model).map_err(|reason| Error::InvalidQuery {
        reason: format!("model name {model:?}: {reason}"),
    })?;
    Ok(format!("'{model}'"))
}

/// The unquoted name of the index on slot `slot` of `model`.
pub(crate) fn slot_index(model: &str, slot: usize) -> String {
    format!("search_{model}_v{slot}")
}

/// The unquoted name of the index in `order` of `model`.
pub(crate) fn order_index(model: &str, order: TimeOrder) -> String {
    format!("search_{model}_{}", order.suffix())
}

/// Creates the model's search indexes that are missing.
pub(crate) fn create(conn: &Connection, model: &ModelDescriptor) -> Result<()> {
    let name = &*model.name;
    let only = format!("model = {}", model_literal(name)?);
    let slots = model.indexed_fields.len();
    let mut sql = String::new();
    for slot in 0..slots {
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS \"{}\" ON heads (v{slot}) WHERE {only};\n",
            slot_index(name, slot)
        ));
    }
    let covered: String = (0..slots).map(|s| format!(", v{s}, k{s}")).collect();
    for order in [TimeOrder::Created, TimeOrder::Updated] {
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS \"{}\" ON heads ({}, resource_id, is_deleted{covered}) \
             WHERE {only};\n",
            order_index(name, order),
            order.column()
        ));
    }
    conn.execute_batch(&sql).map_err(Error::store)
}

/// Drops every search index of the model (before its slots are refilled for new fields).
pub(crate) fn drop_all(conn: &Connection, model: &str) -> Result<()> {
    let prefix = format!("search_{model}_");
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'heads'")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(Error::store)?;
    for name in names.iter().filter(|n| n.starts_with(&prefix)) {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))
            .map_err(Error::store)?;
    }
    Ok(())
}
