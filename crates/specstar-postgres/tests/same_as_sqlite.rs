//! The same script of operations on the embedded SQLite store and on PostgreSQL gives the same
//! data hashes and the same exported data: every head, every revision info (the sequence
//! aside, which is each store's own counter) and every revision's data, byte for byte. The
//! chain hashes are the same on both and on the memory store, and every chain verifies.
//!
//! Both run with one fixed clock, moved the same way, so times are equal too.

mod common;

use std::sync::Arc;

use serde_json::json;
use specstar_conformance::fixtures::{
    Issue, Severity, Status, issue, issue_schema, register, start_time,
};
use specstar_core::{
    DataPatch, FixedClock, Query, ResourceManager, ResourceMeta, RevisionInfo, Store, WriteContext,
};
use specstar_sqlite::SqliteStore;

/// Everything a store holds for the script's model: each head with its revisions and their
/// data.
type Export = Vec<(ResourceMeta, Vec<(RevisionInfo, Vec<u8>)>)>;

/// The script: creates with caller ids, updates, both patches, an unchanged update, delete,
/// restore, revert, a permanent delete, several users and times.
async fn script(store: Arc<dyn Store>) -> Vec<RevisionInfo> {
    let model = register(&store, issue_schema()).await;
    let clock = FixedClock::new(start_time());
    let mgr = ResourceManager::<Issue>::new(model, store)
        .expect("Issue is the model")
        .with_context(WriteContext::default().with_clock(clock.clone()));
    let tick = || clock.advance_micros(1_500_123);
    let mut answers = Vec::new();
    let mut first = issue("Search returns duplicate rows");
    first.severity = Severity::High;
    first.assignee = Some("alice".into());
    first.due_date = Some("2026-03-01T12:00:00+02:00".parse().expect("a time"));
    answers.push(
        mgr.create_with_id("issue:alpha", first.clone())
            .await
            .unwrap(),
    );
    tick();
    answers.push(
        mgr.as_user("bob")
            .create_with_id("beta", issue("Ünïcode ✓ title"))
            .await
            .unwrap(),
    );
    tick();
    let mut second = first.clone();
    second.status = Status::InProgress;
    second.description = Some("steps: 1, 2, 3".into());
    answers.push(
        mgr.as_user("bob")
            .update("issue:alpha", second.clone())
            .await
            .unwrap(),
    );
    tick();
    answers.push(mgr.update("issue:alpha", second.clone()).await.unwrap()); // unchanged
    tick();
    let patch: specstar_core::json_patch::Patch = serde_json::from_value(json!([
        {"op": "replace", "path": "/assignee", "value": "carol"},
        {"op": "add", "path": "/resolved_at", "value": "2026-01-02T00:00:00Z"}
    ]))
    .expect("a json patch");
    answers.push(
        mgr.patch("issue:alpha", &DataPatch::Json(patch))
            .await
            .unwrap(),
    );
    tick();
    let merge =
        DataPatch::Merge(json!({"title": "Search returns duplicates", "description": null}));
    answers.push(
        mgr.as_user("dave")
            .patch("issue:beta", &merge)
            .await
            .unwrap(),
    );
    tick();
    answers.push(mgr.delete("issue:alpha").await.unwrap());
    tick();
    answers.push(mgr.as_user("erin").restore("issue:alpha").await.unwrap());
    tick();
    answers.push(mgr.restore("issue:alpha").await.unwrap()); // live: unchanged
    tick();
    answers.push(mgr.revert("issue:alpha", "issue:alpha:2").await.unwrap());
    tick();
    answers.push(
        mgr.update_if("issue:beta", issue("conditional"), "issue:beta:2")
            .await
            .unwrap(),
    );
    tick();
    answers.push(mgr.delete("issue:beta").await.unwrap());
    tick();
    answers.push(
        mgr.create_with_id("gamma", issue("short lived"))
            .await
            .unwrap(),
    );
    tick();
    answers.push(
        mgr.update("issue:gamma", issue("short lived, edited"))
            .await
            .unwrap(),
    );
    mgr.permanently_delete("issue:gamma").await.unwrap();
    tick();
    answers.push(
        mgr.create_with_id("gamma", issue("born again"))
            .await
            .unwrap(),
    );
    answers
}

async fn export(store: &Arc<dyn Store>) -> Export {
    let model = register(store, issue_schema()).await;
    let mgr = ResourceManager::<Issue>::new(model, store.clone()).expect("Issue is the model");
    let mut out = Vec::new();
    for meta in mgr.search(&Query::all().include_deleted()).await.unwrap() {
        let mut revisions = Vec::new();
        for info in mgr.list_revisions(&meta.resource_id).await.unwrap() {
            let fetched = store
                .read(&meta.resource_id, Some(info.number()))
                .await
                .unwrap()
                .expect("the resource exists");
            let revision = fetched.revision.expect("every listed revision is readable");
            assert_eq!(revision.info, info, "read and history agree");
            revisions.push((without_sequence(info), revision.data.to_vec()));
        }
        out.push((meta, revisions));
    }
    out
}

fn without_sequence(mut info: RevisionInfo) -> RevisionInfo {
    info.sequence = 0;
    info
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_script_gives_the_same_data_on_sqlite_and_postgres() {
    let Some(url) = common::test_url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("s.db")).expect("sqlite opens"));
    let schema = common::TestSchema::new(&url);
    let postgres: Arc<dyn Store> = Arc::new(schema.store().await);

    let on_sqlite: Vec<_> = script(sqlite.clone())
        .await
        .into_iter()
        .map(without_sequence)
        .collect();
    let on_postgres: Vec<_> = script(postgres.clone())
        .await
        .into_iter()
        .map(without_sequence)
        .collect();
    assert_eq!(on_sqlite.len(), 15);
    for (s, p) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(
            s.data_hash, p.data_hash,
            "{}: the same data hash",
            s.revision_id
        );
        assert_eq!(s, p, "the same answer to each write");
    }

    let from_sqlite = export(&sqlite).await;
    let from_postgres = export(&postgres).await;
    assert_eq!(from_sqlite.len(), 3, "alpha, beta and the re-created gamma");
    assert_eq!(
        from_sqlite
            .iter()
            .map(|(m, r)| (m.total_revision_count, r.len()))
            .collect::<Vec<_>>(),
        [(6, 6), (4, 4), (1, 1)]
    );
    for ((sm, sr), (pm, pr)) in from_sqlite.iter().zip(&from_postgres) {
        assert_eq!(sm, pm, "the same head of {}", sm.resource_id);
        assert_eq!(
            sr.len(),
            pr.len(),
            "as many revisions of {}",
            sm.resource_id
        );
        for ((si, sd), (pi, pd)) in sr.iter().zip(pr) {
            assert_eq!(si, pi, "the same info of {}", si.revision_id);
            assert_eq!(
                String::from_utf8_lossy(sd),
                String::from_utf8_lossy(pd),
                "the same data bytes of {}",
                si.revision_id
            );
        }
    }
    assert_eq!(from_sqlite, from_postgres, "identical exports");
    same_chains(&sqlite, &postgres, &on_sqlite, &on_postgres).await;
}

/// The chain hashes of the script's answers are the same on SQLite, PostgreSQL and the memory
/// store (the sequence is not in the chain), and each store's heads hold them and verify.
async fn same_chains(
    sqlite: &Arc<dyn Store>,
    postgres: &Arc<dyn Store>,
    on_sqlite: &[RevisionInfo],
    on_postgres: &[RevisionInfo],
) {
    let memory: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let on_memory = script(memory.clone()).await;
    for ((s, p), m) in on_sqlite.iter().zip(on_postgres).zip(&on_memory) {
        assert_eq!(
            s.chain_hash, p.chain_hash,
            "{}: the same chain",
            s.revision_id
        );
        assert_eq!(
            s.chain_hash, m.chain_hash,
            "{}: the same chain",
            s.revision_id
        );
    }
    let mut heads = Vec::new();
    for store in [sqlite, postgres, &memory] {
        let model = register(store, issue_schema()).await;
        let mgr = ResourceManager::<Issue>::new(model, store.clone()).expect("Issue is the model");
        let mut chains = Vec::new();
        for id in ["issue:alpha", "issue:beta", "issue:gamma"] {
            let verified = mgr.verify(id).await.unwrap();
            assert!(verified.valid, "{verified:?}");
            let head = store
                .head(&verified.resource_id)
                .await
                .unwrap()
                .expect("the resource exists");
            assert_eq!(head.chain_hash, verified.head_chain_hash);
            chains.push((verified.revisions, verified.head_chain_hash));
        }
        heads.push(chains);
    }
    assert_eq!(heads[0], heads[1], "sqlite and postgresql");
    assert_eq!(heads[0], heads[2], "sqlite and memory");
}
