//! The layout of the database file and its migrations.
//!
//! Six tables (version 8):
//! - `models`: one row per registered model (name, schema version, indexed field paths), so a
//!   file says which models it holds;
//! - `heads`: one row per resource, its [`ResourceMeta`](specstar_core::ResourceMeta) plus the
//!   current revision's data hash and chain hash (what the planner needs), keyed by resource id, and the
//!   indexed values again in slot columns for search (see `slots`). A `WITHOUT ROWID` table:
//!   the resource id is the only key, so a head is one B-tree entry;
//! - `revisions`: every revision ever appended, immutable. Its `sequence` is an
//!   `AUTOINCREMENT` rowid, so it is store wide, only grows and is never reused, even after a
//!   purge removed the newest rows. `UNIQUE(resource_id, number)` serves reads by revision number
//!   and pages of history as index ranges. `pinned` marks the revisions retention keeps; a
//!   pruned revision's `data` is empty;
//! - `elements`: the elements of array fields, one row per element and resource (see
//!   `elements`), with `models.element_fields` naming which fields are arrays;
//! - `purges`: one row per permanent delete (its resource, time and user), numbered from the
//!   revisions' sequence, for the change feed;
//! - `model_versions`: the schema fingerprint of every (model, version) registered.
//!
//! Times are integers of microseconds since the Unix epoch, booleans 0 or 1, data hashes their
//! text form, indexed values a JSON object.
//!
//! The file's layout version is `PRAGMA user_version`. Opening a file applies the migrations it
//! lacks, in one transaction; a file newer than this code is refused rather than misread.

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};
use specstar_core::{Error, Result};

use crate::error::SqliteError;

/// Migration `i` brings a file from version `i` to version `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// The layout version this code writes: the number of migrations.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const V1: &str = "
CREATE TABLE models (
    name           TEXT PRIMARY KEY NOT NULL,
    schema_version TEXT NOT NULL,
    indexed_fields TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE heads (
    resource_id    TEXT PRIMARY KEY NOT NULL,
    model          TEXT NOT NULL,
    current_number INTEGER NOT NULL,
    revision_count INTEGER NOT NULL,
    schema_version TEXT NOT NULL,
    data_hash      TEXT NOT NULL,
    created_time   INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    updated_time   INTEGER NOT NULL,
    updated_by     TEXT NOT NULL,
    is_deleted     INTEGER NOT NULL,
    indexed_data   TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX heads_by_model ON heads (model, is_deleted);

CREATE TABLE revisions (
    sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id    TEXT NOT NULL,
    number         INTEGER NOT NULL,
    parent_number  INTEGER,
    schema_version TEXT NOT NULL,
    data_hash      TEXT NOT NULL,
    action         TEXT NOT NULL,
    deleted        INTEGER NOT NULL,
    created_time   INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    data           BLOB NOT NULL,
    UNIQUE (resource_id, number)
);
";

/// Slot columns for search (see `slots`): `v<i>` holds the value of a model's `i`-th indexed
/// field, `k<i>` its kind. The JSON expression indexes of version 1 are dropped (by
/// [`drop_v1_indexes`]) and the models' indexed fields forgotten, so that the next
/// registration of each model fills its slots and makes its new indexes.
const V2: &str = "
ALTER TABLE heads ADD COLUMN v0;
ALTER TABLE heads ADD COLUMN k0 INTEGER;
ALTER TABLE heads ADD COLUMN v1;
ALTER TABLE heads ADD COLUMN k1 INTEGER;
ALTER TABLE heads ADD COLUMN v2;
ALTER TABLE heads ADD COLUMN k2 INTEGER;
ALTER TABLE heads ADD COLUMN v3;
ALTER TABLE heads ADD COLUMN k3 INTEGER;
ALTER TABLE heads ADD COLUMN v4;
ALTER TABLE heads ADD COLUMN k4 INTEGER;
ALTER TABLE heads ADD COLUMN v5;
ALTER TABLE heads ADD COLUMN k5 INTEGER;
ALTER TABLE heads ADD COLUMN v6;
ALTER TABLE heads ADD COLUMN k6 INTEGER;
ALTER TABLE heads ADD COLUMN v7;
ALTER TABLE heads ADD COLUMN k7 INTEGER;
ALTER TABLE heads ADD COLUMN v8;
ALTER TABLE heads ADD COLUMN k8 INTEGER;
ALTER TABLE heads ADD COLUMN v9;
ALTER TABLE heads ADD COLUMN k9 INTEGER;
ALTER TABLE heads ADD COLUMN v10;
ALTER TABLE heads ADD COLUMN k10 INTEGER;
ALTER TABLE heads ADD COLUMN v11;
ALTER TABLE heads ADD COLUMN k11 INTEGER;
ALTER TABLE heads ADD COLUMN v12;
ALTER TABLE heads ADD COLUMN k12 INTEGER;
ALTER TABLE heads ADD COLUMN v13;
ALTER TABLE heads ADD COLUMN k13 INTEGER;
ALTER TABLE heads ADD COLUMN v14;
ALTER TABLE heads ADD COLUMN k14 INTEGER;
ALTER TABLE heads ADD COLUMN v15;
ALTER TABLE heads ADD COLUMN k15 INTEGER;
UPDATE models SET indexed_fields = '[]';
";

/// The element index of array fields (see `elements`). No model has array fields yet
/// (`element_fields` is empty), so the next registration of a model that has some fills their
/// rows from its heads, as a registration that changes the indexed fields does.
const V3: &str = "
CREATE TABLE elements (
    model       TEXT NOT NULL,
    field       TEXT NOT NULL,
    kind        INTEGER NOT NULL,
    value       NOT NULL,
    resource_id TEXT NOT NULL,
    PRIMARY KEY (model, field, kind, value, resource_id)
) WITHOUT ROWID;

CREATE INDEX elements_by_resource ON elements (resource_id);

ALTER TABLE models ADD COLUMN element_fields TEXT NOT NULL DEFAULT '[]';
";

/// The index of as-of reads: the revision current at a time is one probe, the last entry at
/// or before `(resource_id, time)`, whatever the history's length.
const V4: &str = "
CREATE INDEX revisions_by_time ON revisions (resource_id, created_time, number);
";

/// The purge events of the change feed: one row per permanent delete, numbered from the
/// revisions' own sequence (see `apply::purge`), so that the feed reads both tables in one
/// order.
const V5: &str = "
CREATE TABLE purges (
    sequence     INTEGER PRIMARY KEY,
    resource_id  TEXT NOT NULL,
    created_time INTEGER NOT NULL,
    created_by   TEXT NOT NULL
);
";

/// The tamper-evident chain: each revision's chain hash, and the head's (its current
/// revision's), which a write links the next revision to. The columns come empty; [`migrate`]
/// then computes every resource's chain in revision order (see `chains`).
const V6: &str = "
ALTER TABLE revisions ADD COLUMN chain_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE heads ADD COLUMN chain_hash TEXT NOT NULL DEFAULT '';
";

/// The schema fingerprint of every version registered, so that a changed schema under an
/// unchanged version is refused.
const V7: &str = "
CREATE TABLE model_versions (
    model       TEXT NOT NULL,
    version     TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (model, version)
) WITHOUT ROWID;
";

/// Pins: the revisions retention keeps whatever its policy says. (A pruned revision needs no
/// column: its data is empty.)
const V8: &str = "
ALTER TABLE revisions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
";

/// Drops version 1's JSON expression indexes (`heads_<model>_<field>`).
fn drop_v1_indexes(conn: &Connection) -> rusqlite::Result<()> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'heads' \
             AND name LIKE 'heads%' AND name <> 'heads_by_model' AND sql IS NOT NULL",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in names {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(())
}

/// How the writer connection is set up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriterSettings {
    pub busy_timeout: Duration,
    pub wal_autocheckpoint: u32,
    pub journal_size_limit: i64,
}

/// Sets up the writer connection: WAL, fsync at every commit, savepoint journals in memory.
///
/// # Errors
/// [`SqliteError::NotWal`] when SQLite keeps another journal mode; SQLite's errors.
pub(crate) fn configure_writer(
    conn: &Connection,
    path: &Path,
    settings: WriterSettings,
) -> Result<()> {
    conn.busy_timeout(settings.busy_timeout)
        .map_err(Error::store)?;
    // Only a new file takes it, and only before it is in WAL mode (SQLite ignores it after):
    // new files give the pages that pruning frees back to the file system
    // (`retention::reclaim`).
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .map_err(Error::store)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(Error::store)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::store(SqliteError::NotWal {
            path: path.to_owned(),
            found: mode,
        }));
    }
    // FULL: in WAL mode the WAL is synced at every commit, so a write that returned survives
    // a crash or a power cut. (NORMAL would only sync at checkpoints.)
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(Error::store)?;
    // Each write of a batch runs in a savepoint, whose journal then stays in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(Error::store)?;
    // Plans that do not depend on bound values, as on the read connections (see `reader`).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(Error::store)?;
    conn.pragma_update(None, "wal_autocheckpoint", settings.wal_autocheckpoint)
        .map_err(Error::store)?;
    conn.pragma_update(None, "journal_size_limit", settings.journal_size_limit)
        .map_err(Error::store)?;
    Ok(())
}

/// Brings the file's layout to [`SCHEMA_VERSION`].
///
/// # Errors
/// [`SqliteError::SchemaTooNew`] for a file written by newer code; SQLite's errors.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    // IMMEDIATE: two processes opening a new file at once migrate it one after the other, and
    // the second sees the first one's version.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Error::store)?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(Error::store)?;
    if found > SCHEMA_VERSION {
        return Err(Error::store(SqliteError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        }));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let first = usize::try_from(found).map_err(|_| Error::Corrupt {
        what: format!("sqlite store {}", path.display()),
        reason: format!("schema version {found} is negative"),
    })?;
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(first) {
        tracing::info!(path = %path.display(), from = version, to = version + 1, "migrating sqlite store");
        tx.execute_batch(migration).map_err(Error::store)?;
        if version == 1 {
            drop_v1_indexes(&tx).map_err(Error::store)?;
        }
        if version == 5 {
            crate::chains::fill(&tx, path)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(Error::store)?;
    tx.commit().map_err(Error::store)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The layouts of versions 1 to 4, for other modules' migration tests.
    pub(crate) const V1_SQL: &str = V1;
    pub(crate) const V2_SQL: &str = V2;
    pub(crate) const V3_SQL: &str = V3;
    pub(crate) const V4_SQL: &str = V4;

    /// Durability rests on these two settings: a SIGKILL test cannot tell them apart from
    /// `synchronous=NORMAL` (the page cache survives a killed process), so they are checked here.
    #[test]
    fn the_writer_syncs_the_wal_at_every_commit() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("pragmas.db");
        let mut conn = Connection::open(&path).expect("a new database");
        let settings = WriterSettings {
            busy_timeout: Duration::from_secs(1),
            wal_autocheckpoint: 1000,
            journal_size_limit: 1 << 20,
        };
        configure_writer(&conn, &path, settings).expect("the writer is configured");
        migrate(&mut conn, &path).expect("the layout is created");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .expect("journal_mode");
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .expect("synchronous");
        assert_eq!(mode, "wal");
        assert_eq!(
            synchronous, 2,
            "synchronous=FULL (2): the WAL is fsynced at every commit"
        );
    }

    /// A file written at layout version 1 (search by JSON expression indexes) opens at
    /// version 2: its expression indexes are gone, and the next registration of its model
    /// fills the slot columns, so its resources are found as before.
    #[test]
    fn a_version_1_file_migrates_and_its_resources_are_found() {
        use std::sync::Arc;

        use specstar_core::{Filter, IndexedField, ModelDescriptor, Op, Query};

        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("v1.db");
        let mut conn = Connection::open(&path).expect("a new database");
        conn.execute_batch(V1).expect("the version 1 layout");
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO models VALUES ('issue', 'v1', '[\"status\"]');
             INSERT INTO heads VALUES ('issue:a', 'issue', 1, 1, 'v1', 'xxh3_128:00000000000000000000000000000000', 0, 'u', 0,
                 'u', 0, '{\"status\":\"open\"}');
             INSERT INTO revisions (resource_id, number, parent_number, schema_version,
                 data_hash, action, deleted, created_time, created_by, data)
                 VALUES ('issue:a', 1, NULL, 'v1', 'xxh3_128:00000000000000000000000000000000', 'create', 0, 0, 'u',
                 CAST('{\"status\":\"open\"}' AS BLOB));
             CREATE INDEX \"heads_issue_status\" ON heads (model,
                 json_extract(indexed_data, '$.\"status\"'));",
        )
        .expect("a version 1 file");
        migrate(&mut conn, &path).expect("migrates");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(version, SCHEMA_VERSION);
        let v1_indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'heads_issue_status'",
                [],
                |row| row.get(0),
            )
            .expect("counts");
        assert_eq!(v1_indexes, 0, "the JSON expression index is dropped");
        let model = ModelDescriptor {
            name: Arc::from("issue"),
            schema_version: Arc::from("v1"),
            indexed_fields: vec![IndexedField::at("status", false).expect("a path")],
            upcast: None,
            fingerprint: None,
        };
        crate::apply::register_model(&conn, &model).expect("registers");
        let query = Query::all().filter(Filter::data("status", Op::Eq, "open"));
        let found = crate::search::search(&conn, "issue", &query, None).expect("searches");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resource_id.as_str(), "issue:a");
    }
}

#[cfg(test)]
mod as_of_tests {
    use super::*;

    /// An as-of read is one probe of `revisions_by_time`, whatever the history's length: the
    /// plan searches that index and sorts nothing.
    #[test]
    fn an_as_of_read_uses_the_time_index() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("as-of.db");
        let mut conn = Connection::open(&path).expect("a new database");
        migrate(&mut conn, &path).expect("the layout is created");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", crate::rows::AS_OF_SQL))
            .expect("prepares");
        let details: Vec<String> = stmt
            .query_map(("issue:a", 1_i64), |row| row.get::<_, String>(3))
            .expect("explains")
            .collect::<rusqlite::Result<_>>()
            .expect("reads the plan");
        let plan = details.join("\n");
        assert!(plan.contains("USING INDEX revisions_by_time"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
