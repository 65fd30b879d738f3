//! Reading what a file holds without changing it: no migration, no file created.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use specstar_core::{Error, Inspection, Result, VersionCount, VersionFingerprint};

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
        head_versions: Vec::new(),
        fingerprints: Vec::new(),
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
    inspection.head_versions = head_versions(&snapshot)?;
    if found >= 7 {
        inspection.fingerprints = fingerprints(&snapshot)?;
    }
    Ok(inspection)
}

/// The schema versions of the heads, with their counts.
fn head_versions(conn: &Connection) -> Result<Vec<VersionCount>> {
    let mut stmt = conn
        .prepare("SELECT model, schema_version, count(*) FROM heads GROUP BY 1, 2 ORDER BY 1, 2")
        .map_err(Error::store)?;
    stmt.query_map([], |row| {
        Ok(VersionCount {
            model: row.get(0)?,
            version: row.get(1)?,
            resources: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(Error::store)
}

/// The fingerprints recorded (layout 7 on).
fn fingerprints(conn: &Connection) -> Result<Vec<VersionFingerprint>> {
    let mut stmt = conn
        .prepare("SELECT model, version, fingerprint FROM model_versions ORDER BY 1, 2")
        .map_err(Error::store)?;
    stmt.query_map([], |row| {
        Ok(VersionFingerprint {
            model: row.get(0)?,
            version: row.get(1)?,
            fingerprint: row.get(2)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(Error::store)
}
