//! The tamper-evident chain on SQLite: a revision edited in the file behind the store's back
//! is the first invalid one `verify` names.

use std::sync::Arc;

use specstar_conformance::fixtures::{four_revisions, issues};
use specstar_core::{DataHash, Store};
use specstar_sqlite::SqliteStore;
use tempfile::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_revision_edited_in_the_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("chain.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let (mgr, _) = issues(&store).await;
    let id = four_revisions(&mgr).await;
    let other = four_revisions(&mgr).await;
    let third = four_revisions(&mgr).await;
    assert!(mgr.verify(&id).await.unwrap().valid);
    // A second connection to the file, as another program would open it (WAL: the store's
    // readers see its commits).
    let conn = rusqlite::Connection::open(&path).unwrap();

    // The data of revision 2, rewritten (its data hash no longer matches).
    let edited = conn
        .execute(
            "UPDATE revisions SET data = CAST('{\"title\":\"rewritten\"}' AS BLOB) \
             WHERE resource_id = ?1 AND number = 2",
            [id.as_str()],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let verified = mgr.verify(&id).await.unwrap();
    assert!(!verified.valid, "{verified:?}");
    assert_eq!(verified.first_invalid_revision_id, Some(id.revision(2)));
    assert_eq!(verified.revisions, 4);

    // The data and its hash rewritten together: only the chain tells.
    let forged = br#"{"title":"forged"}"#;
    conn.execute(
        "UPDATE revisions SET data = ?2, data_hash = ?3 WHERE resource_id = ?1 AND number = 3",
        rusqlite::params![
            other.as_str(),
            &forged[..],
            DataHash::of(forged).to_string()
        ],
    )
    .unwrap();
    let verified = mgr.verify(&other).await.unwrap();
    assert_eq!(verified.first_invalid_revision_id, Some(other.revision(3)));

    // The author of revision 1 rewritten: the chain covers the revision info too.
    conn.execute(
        "UPDATE revisions SET created_by = 'mallory' WHERE resource_id = ?1 AND number = 1",
        [third.as_str()],
    )
    .unwrap();
    let verified = mgr.verify(&third).await.unwrap();
    assert_eq!(verified.first_invalid_revision_id, Some(third.revision(1)));

    // A head whose chain hash is not its current revision's.
    let fourth = four_revisions(&mgr).await;
    conn.execute(
        "UPDATE heads SET chain_hash = (SELECT chain_hash FROM revisions \
         WHERE resource_id = ?1 AND number = 1) WHERE resource_id = ?1",
        [fourth.as_str()],
    )
    .unwrap();
    let verified = mgr.verify(&fourth).await.unwrap();
    assert!(!verified.valid, "{verified:?}");
    assert_eq!(verified.first_invalid_revision_id, Some(fourth.revision(4)));
}
