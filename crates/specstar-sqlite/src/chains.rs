//! The migration to layout version 6: the chain hashes of the revisions written before the
//! chain, computed in revision order by the core's rule ([`specstar_core::chain`]), resource
//! by resource, with the head's set to its current revision's.
//!
//! It runs inside the migration's transaction, a page of resource ids at a time, and logs its
//! progress every [`PROGRESS_EVERY`] resources.

use std::path::Path;

use rusqlite::Connection;
use specstar_core::chain::link_history;
use specstar_core::{Error, ResourceId, Result, StoredRevision};
use specstar_sql::rows::decode_revision;

use crate::rows::SqliteRow;

/// How many resources are read per page of ids.
const PAGE: i64 = 1_000;

/// How often (in resources) the migration logs its progress.
pub(crate) const PROGRESS_EVERY: u64 = 10_000;

/// The revision columns of [`specstar_sql::revision_columns!`] with a stand-in for the chain
/// hash (the column is still empty), then the data.
const REVISIONS: &str = "SELECT r.number, r.parent_number, r.schema_version, r.data_hash, \
     r.action, r.deleted, r.created_time, r.created_by, r.sequence, \
     'sha256:0000000000000000000000000000000000000000000000000000000000000000', r.data \
     FROM revisions r WHERE r.resource_id = ?1 ORDER BY r.number";

/// Computes and stores the chain hash of every revision and head.
///
/// # Errors
/// [`Error::Corrupt`] for a revision that does not decode; SQLite's errors.
pub(crate) fn fill(conn: &Connection, path: &Path) -> Result<()> {
    let total: i64 = conn
        .query_row("SELECT count(*) FROM heads", [], |row| row.get(0))
        .map_err(Error::store)?;
    if total == 0 {
        return Ok(());
    }
    tracing::info!(path = %path.display(), resources = total, "computing the chain hashes of existing revisions");
    let mut done: u64 = 0;
    let mut after = String::new();
    loop {
        let ids: Vec<String> = conn
            .prepare_cached(
                "SELECT resource_id FROM heads WHERE resource_id > ?1 ORDER BY resource_id LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map((&after, PAGE), |row| row.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(Error::store)?;
        let Some(last) = ids.last() else {
            break;
        };
        after.clone_from(last);
        for id in &ids {
            relink(conn, id)?;
            done += 1;
            if done.is_multiple_of(PROGRESS_EVERY) {
                tracing::info!(path = %path.display(), done, total, "computing chain hashes");
            }
        }
    }
    tracing::info!(path = %path.display(), resources = done, "computed the chain hashes");
    Ok(())
}

/// Links one resource's history and stores each revision's chain hash and the head's.
fn relink(conn: &Connection, id: &str) -> Result<()> {
    let resource_id = ResourceId::parse(id).map_err(|e| Error::Corrupt {
        what: format!("head {id:?}"),
        reason: e.to_string(),
    })?;
    let mut revisions: Vec<StoredRevision> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(REVISIONS).map_err(Error::store)?;
        let mut rows = stmt.query([id]).map_err(Error::store)?;
        while let Some(row) = rows.next().map_err(Error::store)? {
            revisions.push(decode_revision(&resource_id, &SqliteRow(row), 0)?);
        }
    }
    link_history(&mut revisions);
    let mut update = conn
        .prepare_cached(
            "UPDATE revisions SET chain_hash = ?1 WHERE resource_id = ?2 AND number = ?3",
        )
        .map_err(Error::store)?;
    for revision in &revisions {
        let number = crate::rows::to_sql_int(revision.info.number())?;
        update
            .execute((revision.info.chain_hash.to_string(), id, number))
            .map_err(Error::store)?;
    }
    // The head points at its current revision: normally the last one.
    conn.prepare_cached(
        "UPDATE heads SET chain_hash = coalesce((SELECT r.chain_hash FROM revisions r \
         WHERE r.resource_id = heads.resource_id AND r.number = heads.current_number), '') \
         WHERE resource_id = ?1",
    )
    .and_then(|mut stmt| stmt.execute([id]))
    .map_err(Error::store)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rusqlite::Connection;
    use specstar_core::chain::link;
    use specstar_core::{DataHash, DynResourceManager, ModelDescriptor, Schema, Store};

    use crate::SqliteStore;
    use crate::schema::tests::{V1_SQL, V2_SQL, V3_SQL, V4_SQL};

    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    struct Note {
        text: String,
    }

    /// Writes a file at layout version 4, as the code before the chain wrote it: `note:a` with
    /// a create, an update and a tombstone, `note:b` with a create.
    fn layout_4_file(path: &std::path::Path) -> Vec<(&'static str, i64, &'static str)> {
        let conn = Connection::open(path).expect("a new database");
        for sql in [V1_SQL, V2_SQL, V3_SQL, V4_SQL] {
            conn.execute_batch(sql).expect("an old layout");
        }
        conn.execute_batch(
            "PRAGMA user_version = 4;
             INSERT INTO models (name, schema_version, indexed_fields) VALUES ('note', 'v1', '[]');",
        )
        .expect("the model");
        let history = vec![
            ("note:a", 1, r#"{"text":"draft"}"#),
            ("note:a", 2, r#"{"text":"final"}"#),
            ("note:a", 3, r#"{"text":"final"}"#),
            ("note:b", 1, r#"{"text":"other"}"#),
        ];
        for &(id, number, data) in &history {
            let action = match number {
                1 => "create",
                2 => "update",
                _ => "delete",
            };
            conn.execute(
                "INSERT INTO revisions (resource_id, number, parent_number, schema_version, \
                 data_hash, action, deleted, created_time, created_by, data) \
                 VALUES (?1, ?2, ?3, 'v1', ?4, ?5, ?6, ?7, 'alice', CAST(?8 AS BLOB))",
                rusqlite::params![
                    id,
                    number,
                    (number > 1).then(|| number - 1),
                    DataHash::of(data.as_bytes()).to_string(),
                    action,
                    number == 3,
                    1_700_000_000_000_000_i64 + number,
                    data,
                ],
            )
            .expect("a revision");
        }
        for (id, count, data, deleted) in [
            ("note:a", 3, r#"{"text":"final"}"#, true),
            ("note:b", 1, r#"{"text":"other"}"#, false),
        ] {
            conn.execute(
                "INSERT INTO heads (resource_id, model, current_number, revision_count, \
                 schema_version, data_hash, created_time, created_by, updated_time, updated_by, \
                 is_deleted, indexed_data) \
                 VALUES (?1, 'note', ?2, ?2, 'v1', ?3, 0, 'alice', 0, 'alice', ?4, '{}')",
                rusqlite::params![
                    id,
                    count,
                    DataHash::of(data.as_bytes()).to_string(),
                    deleted
                ],
            )
            .expect("a head");
        }
        history
    }

    /// A file written before the chain (layout 4) gets every chain computed when it is opened:
    /// the chains are the rule's, verify passes, and the next write links to them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_layout_4_file_gets_its_chains_and_verifies() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("v4.db");
        let history = layout_4_file(&path);
        let store = Arc::new(SqliteStore::open(&path).expect("opens and migrates"));
        let model = Arc::new(Schema::<Note>::new("v1").build().expect("a model"));
        store
            .register_model(&ModelDescriptor::from(&*model))
            .await
            .expect("registers");
        let notes = DynResourceManager::new(model, store.clone());

        // The chain of note:a, recomputed here from the rule.
        let mut parent = None;
        for &(id, number, data) in history.iter().filter(|(id, _, _)| *id == "note:a") {
            let number = u64::try_from(number).expect("a revision number");
            let stored = notes
                .get(id, Some(&number), true)
                .await
                .expect("the revision reads");
            let expected = link(parent.as_ref(), &stored.info, data.as_bytes());
            assert_eq!(stored.info.chain_hash, expected, "revision {number}");
            parent = Some(expected);
        }
        let a = notes.verify("note:a").await.expect("verifies");
        assert!(a.valid, "{a:?}");
        assert_eq!((a.revisions, Some(a.head_chain_hash)), (3, parent));
        let b = notes.verify("note:b").await.expect("verifies");
        assert!(b.valid && b.revisions == 1, "{b:?}");

        // A write after the migration links to the migrated chain.
        let restored = notes.restore("note:a").await.expect("restores");
        assert_eq!(restored.info.number(), 4);
        let a = notes.verify("note:a").await.expect("verifies");
        assert!(a.valid && a.revisions == 4, "{a:?}");
        assert_eq!(a.head_chain_hash, restored.info.chain_hash);
    }
}
