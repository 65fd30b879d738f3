//! Reading what a file holds without changing it: no migration, no file created.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use specstar_core::{Error, Inspection, Result};

use crate::error::SqliteError;
use crate::rows;
use crate::schema::SCHEMA_VERSION;

/// What the file at `path` holds; layout 0 and no models when there is no file.
///
/// # Errors
/// [`SqliteError::SchemaTooNew`] for a file of newer code; SQLite's errors (not a database).
pub(crate) fn inspect(path: &Path) -> Result<Inspection> {
    let mut inspection = Inspection {
        layout_version: 0,
        current_layout_version: SCHEMA_VERSION,
        models: Vec::new(),
    };
    if !path.exists() {
        return Ok(inspection);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(Error::store)?;
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(Error::store)?;
    if found > SCHEMA_VERSION {
        return Err(Error::store(SqliteError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        }));
    }
    inspection.layout_version = found;
    if found == 0 {
        return Ok(inspection);
    }
    let snapshot = conn.unchecked_transaction().map_err(Error::store)?;
    for model in rows::registered_models(&snapshot)? {
        let count = rows::count(&snapshot, &model.name, true)?;
        inspection.models.push((model, count));
    }
    Ok(inspection)
}
