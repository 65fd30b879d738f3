//! The tamper-evident chain on PostgreSQL: a revision edited behind the store's back is the
//! first invalid one `verify` names, and the migration that brought the chain computes the
//! chains of data written before it.

mod common;

use std::sync::Arc;

use common::{TestSchema, raw, test_url};
use specstar_conformance::fixtures::{four_revisions, issues};
use specstar_core::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_revision_edited_in_the_database() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = issues(&store).await;
    let id = four_revisions(&mgr).await;
    let other = four_revisions(&mgr).await;
    assert!(mgr.verify(&id).await.unwrap().valid);
    let client = raw(&url, schema.name()).await;

    // The data of revision 2, rewritten (its data hash no longer matches).
    let edited = client
        .execute(
            "UPDATE revisions SET data = convert_to('{\"title\":\"rewritten\"}', 'UTF8') \
             WHERE resource_id = $1 AND number = 2",
            &[&id.as_str()],
        )
        .await
        .unwrap();
    assert_eq!(edited, 1);
    let verified = mgr.verify(&id).await.unwrap();
    assert!(!verified.valid, "{verified:?}");
    assert_eq!(verified.first_invalid_revision_id, Some(id.revision(2)));
    assert_eq!(verified.revisions, 4);

    // Of the other resource, the data and its hash rewritten together: only the chain tells.
    let forged = br#"{"title":"forged"}"#;
    let hash = specstar_core::DataHash::of(forged).to_string();
    client
        .execute(
            "UPDATE revisions SET data = $2, data_hash = $3 WHERE resource_id = $1 AND number = 3",
            &[&other.as_str(), &&forged[..], &hash],
        )
        .await
        .unwrap();
    let verified = mgr.verify(&other).await.unwrap();
    assert_eq!(verified.first_invalid_revision_id, Some(other.revision(3)));

    // A head whose chain hash is not its revision's.
    let third = four_revisions(&mgr).await;
    client
        .execute(
            "UPDATE heads SET chain_hash = (SELECT chain_hash FROM revisions \
             WHERE resource_id = $1 AND number = 1) WHERE resource_id = $1",
            &[&third.as_str()],
        )
        .await
        .unwrap();
    let verified = mgr.verify(&third).await.unwrap();
    assert!(!verified.valid, "{verified:?}");
    assert_eq!(verified.first_invalid_revision_id, Some(third.revision(4)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_migration_computes_the_chains_of_existing_data() {
    let Some(url) = test_url() else { return };
    let schema = TestSchema::new(&url);
    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = issues(&store).await;
    let id = four_revisions(&mgr).await;
    let before = mgr.list_revisions(&id).await.unwrap();
    drop((mgr, store));

    // As a schema at layout 6 was: no chain hashes, no fingerprints, migrations 7 and on not
    // applied.
    let client = raw(&url, schema.name()).await;
    client
        .batch_execute(
            "UPDATE revisions SET chain_hash = ''; UPDATE heads SET chain_hash = ''; \
             DROP TABLE model_versions; DELETE FROM specstar_migrations WHERE version >= 7;",
        )
        .await
        .unwrap();

    let store: Arc<dyn Store> = Arc::new(schema.store().await);
    let (mgr, _) = issues(&store).await;
    let after = mgr.list_revisions(&id).await.unwrap();
    assert_eq!(after, before, "the same chain as the writes computed");
    let verified = mgr.verify(&id).await.unwrap();
    assert!(verified.valid, "{verified:?}");
    assert_eq!(verified.head_chain_hash, before[3].chain_hash);
    let versions: i64 = client
        .query_one(
            "SELECT count(*) FROM specstar_migrations WHERE version = 7",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, 1);
}
