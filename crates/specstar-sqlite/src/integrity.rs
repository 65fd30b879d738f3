//! The integrity check: SQLite's own, then the store's invariants, row by row.

use rusqlite::Connection;
use specstar_core::{DataHash, Error, Result};

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 50;

/// The store's invariants, each a query returning one text row per violation.
const CHECKS: &[&str] = &[
    // Every head has its current revision.
    "SELECT 'head ' || h.resource_id || ' has no current revision ' || h.current_number \
     FROM heads h WHERE NOT EXISTS (SELECT 1 FROM revisions r \
         WHERE r.resource_id = h.resource_id AND r.number = h.current_number)",
    // Every element row of an array field has a head.
    "SELECT 'elements of ' || e.resource_id || ' have no head' \
     FROM (SELECT DISTINCT resource_id FROM elements) e \
     WHERE NOT EXISTS (SELECT 1 FROM heads h WHERE h.resource_id = e.resource_id)",
    // Every revision has a head.
    "SELECT 'revisions of ' || r.resource_id || ' have no head' \
     FROM (SELECT DISTINCT resource_id FROM revisions) r \
     WHERE NOT EXISTS (SELECT 1 FROM heads h WHERE h.resource_id = r.resource_id)",
    // Revision numbers are dense 1..=revision_count (numbers are unique per resource), and the
    // current revision is the newest.
    "SELECT 'resource ' || h.resource_id || ' counts ' || h.revision_count || \
         ' revisions, is at ' || h.current_number || ' but has ' || count(r.number) || \
         ' numbered ' || ifnull(min(r.number), '-') || ' to ' || ifnull(max(r.number), '-') \
     FROM heads h LEFT JOIN revisions r ON r.resource_id = h.resource_id \
     GROUP BY h.resource_id \
     HAVING count(r.number) != h.revision_count OR min(r.number) != 1 \
         OR max(r.number) != h.revision_count OR h.current_number != h.revision_count",
    // The head's data hash is its current revision's.
    "SELECT 'head ' || h.resource_id || ' has data hash ' || h.data_hash || \
         ' but its current revision has ' || r.data_hash \
     FROM heads h JOIN revisions r \
         ON r.resource_id = h.resource_id AND r.number = h.current_number \
     WHERE r.data_hash != h.data_hash",
    // The head's chain hash is its current revision's (`verify` recomputes the chain itself).
    "SELECT 'head ' || h.resource_id || ' has chain hash ' || h.chain_hash || \
         ' but its current revision has ' || r.chain_hash \
     FROM heads h JOIN revisions r \
         ON r.resource_id = h.resource_id AND r.number = h.current_number \
     WHERE r.chain_hash != h.chain_hash",
];

/// Lists every problem found in the file; empty when it is sound.
pub(crate) fn problems(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(Error::store)?;
    let sqlite: Vec<String> = stmt
        .query_map([], |row| row.get(0))
        .and_then(Iterator::collect)
        .map_err(Error::store)?;
    if sqlite != ["ok"] {
        problems.extend(sqlite.into_iter().map(|p| format!("sqlite: {p}")));
    }
    for check in CHECKS {
        let mut stmt = conn.prepare(check).map_err(Error::store)?;
        let found = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(Error::store)?;
        problems.extend(found);
    }
    problems.extend(data_hash_problems(conn)?);
    Ok(problems)
}

/// Every revision's data hashes to its recorded data hash.
fn data_hash_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT resource_id, number, data_hash, data FROM revisions")
        .map_err(Error::store)?;
    let mut rows = stmt.query([]).map_err(Error::store)?;
    let mut problems = Vec::new();
    while let Some(row) = rows.next().map_err(Error::store)? {
        let id: String = row.get(0).map_err(Error::store)?;
        let number: i64 = row.get(1).map_err(Error::store)?;
        let recorded: String = row.get(2).map_err(Error::store)?;
        let data = row.get_ref(3).map_err(Error::store)?;
        let actual = match data.as_blob() {
            Ok(bytes) => DataHash::of(bytes).to_string(),
            Err(_) => format!("none (its data is a {}, not a blob)", data.data_type()),
        };
        if actual != recorded {
            problems.push(format!(
                "revision {id}:{number} records data hash {recorded} but its data hashes to {actual}"
            ));
        }
    }
    Ok(problems)
}

/// The problems as one message, the first [`MAX_LISTED`] spelled out.
pub(crate) fn report(problems: &[String]) -> String {
    let mut report = format!("{} problem(s): ", problems.len());
    report.push_str(&problems[..problems.len().min(MAX_LISTED)].join("; "));
    if problems.len() > MAX_LISTED {
        report.push_str(&format!("; and {} more", problems.len() - MAX_LISTED));
    }
    report
}
