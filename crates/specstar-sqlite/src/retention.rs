//! Pruning, pins and giving space back (see [`specstar_core::retention`]), on the writer's
//! connection inside its batch (but `pinned`, a read).
//!
//! A pruned revision keeps its row with empty `data`; `revisions.pinned` marks the revisions
//! no prune drops. Files made at layout 8 or later are in `auto_vacuum = INCREMENTAL`, so
//! [`reclaim`] can hand the pages pruning freed back to the file system.

use rusqlite::{Connection, OptionalExtension};
use specstar_core::{Error, PruneBounds, Pruned, ResourceId, Result};

use crate::rows::{self, to_sql_int};

/// The revisions a prune drops: `?1` the resource, `?2` the highest number, `?3` the current
/// number (kept), `?4` the time from which revisions are kept.
const PRUNABLE: &str = "resource_id = ?1 AND number <= ?2 AND number < ?3 AND created_time < ?4 \
                        AND pinned = 0 AND length(data) > 0";

/// Drops the data of the revisions `bounds` admit; `None` when the resource does not exist.
pub(crate) fn prune(
    conn: &Connection,
    id: &ResourceId,
    bounds: PruneBounds,
) -> Result<Option<Pruned>> {
    let Some(head) = rows::head(conn, id)? else {
        return Ok(None);
    };
    let params = (
        id.as_str(),
        to_sql_int(bounds.through)?,
        to_sql_int(head.meta.current_revision_id.number())?,
        bounds.before.as_micros(),
    );
    let (revisions, bytes): (i64, i64) = conn
        .prepare_cached(&format!(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM revisions WHERE {PRUNABLE}"
        ))
        .and_then(|mut stmt| stmt.query_row(params, |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(Error::store)?;
    if revisions > 0 {
        conn.prepare_cached(&format!("UPDATE revisions SET data = x'' WHERE {PRUNABLE}"))
            .and_then(|mut stmt| stmt.execute(params))
            .map_err(Error::store)?;
    }
    Ok(Some(Pruned {
        revisions: revisions.unsigned_abs(),
        bytes: bytes.unsigned_abs(),
    }))
}

/// Pins or unpins revision `number` of a resource.
pub(crate) fn set_pinned(
    conn: &Connection,
    id: &ResourceId,
    number: u64,
    pinned: bool,
) -> Result<()> {
    let number_sql = to_sql_int(number)?;
    let found: Option<bool> = conn
        .prepare_cached(
            "SELECT length(data) = 0 FROM revisions WHERE resource_id = ?1 AND number = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row((id.as_str(), number_sql), |row| row.get(0))
                .optional()
        })
        .map_err(Error::store)?;
    match found {
        None if rows::head(conn, id)?.is_none() => Err(Error::ResourceNotFound {
            resource_id: id.clone(),
        }),
        None => Err(Error::RevisionNotFound {
            revision_id: id.revision(number),
        }),
        Some(true) if pinned => Err(Error::RevisionPruned {
            revision_id: id.revision(number),
        }),
        Some(_) => conn
            .prepare_cached(
                "UPDATE revisions SET pinned = ?3 WHERE resource_id = ?1 AND number = ?2",
            )
            .and_then(|mut stmt| stmt.execute((id.as_str(), number_sql, pinned)))
            .map(drop)
            .map_err(Error::store),
    }
}

/// The numbers of a resource's pinned revisions; `None` when it does not exist.
pub(crate) fn pinned(conn: &Connection, id: &ResourceId) -> Result<Option<Vec<u64>>> {
    if rows::head(conn, id)?.is_none() {
        return Ok(None);
    }
    let numbers: Vec<i64> = conn
        .prepare_cached(
            "SELECT number FROM revisions WHERE resource_id = ?1 AND pinned = 1 ORDER BY number",
        )
        .and_then(|mut stmt| {
            stmt.query_map([id.as_str()], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(Error::store)?;
    Ok(Some(numbers.into_iter().map(i64::unsigned_abs).collect()))
}

/// Hands the file's free pages back to the file system (`PRAGMA incremental_vacuum`) and
/// returns their bytes; 0 for a file made before layout 8 (not in incremental mode: SQLite
/// reuses its free pages for new data instead).
pub(crate) fn reclaim(conn: &Connection) -> Result<u64> {
    let pragma = |name: &str| -> Result<i64> {
        conn.pragma_query_value(None, name, |row| row.get(0))
            .map_err(Error::store)
    };
    if pragma("auto_vacuum")? != 2 {
        return Ok(0);
    }
    let free = pragma("freelist_count")?;
    // The pragma frees a page per step: stepped to the end, it frees them all.
    conn.prepare_cached("PRAGMA incremental_vacuum")
        .and_then(|mut stmt| {
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {}
            Ok(())
        })
        .map_err(Error::store)?;
    let freed = free - pragma("freelist_count")?;
    Ok((freed * pragma("page_size")?).unsigned_abs())
}
