//! Hook scenarios: a model's and the context's before-write hooks both see every write (the
//! request and the head) and a refusal writes nothing; after-commit hooks see each appended
//! revision once, and nothing for a write that appended none.

use std::sync::{Arc, Mutex};

use specstar_core::{
    Change, Error, Hooks, ModelDescriptor, Refusal, ResourceManager, WriteContext,
};

use crate::TestStore;
use crate::fixtures::{Issue, issue, issue_schema};

/// Every hook's sightings, in order.
type Log = Arc<Mutex<Vec<String>>>;

fn kind(change: &Change) -> &'static str {
    match change {
        Change::Create(_) => "create",
        Change::Put { .. } => "put",
        Change::Delete => "delete",
        Change::Restore => "restore",
    }
}

/// Both hooks run on every write, the model's first; a refusal stops the write.
pub async fn hooks_see_every_write_and_refusals_write_nothing(t: TestStore) {
    let log: Log = Arc::default();
    let (model_log, global_log, after_log) = (log.clone(), log.clone(), log.clone());
    let model_hooks = Hooks::new().before_write(move |request, head| {
        let data = match &request.change {
            Change::Create(data) | Change::Put { data, .. } => Some(data.bytes.clone()),
            _ => None,
        };
        if data.is_some_and(|d| String::from_utf8_lossy(&d).contains("forbidden")) {
            return Err(
                Refusal::new("title_forbidden", "that title is not allowed").with_status(409)
            );
        }
        let at = head.map_or(0, |h| h.current_revision_id.number());
        model_log
            .lock()
            .unwrap()
            .push(format!("model {} at {at}", kind(&request.change)));
        Ok(())
    });
    let global = Hooks::new()
        .before_write(move |request, _| {
            global_log.lock().unwrap().push(format!(
                "global {} by {}",
                kind(&request.change),
                request.user
            ));
            Ok(())
        })
        .after_commit(move |written| {
            after_log
                .lock()
                .unwrap()
                .push(format!("committed {}", written.info.revision_id.number()));
        });
    let model = Arc::new(issue_schema().hooks(model_hooks).build().unwrap());
    t.store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    let mgr = ResourceManager::<Issue>::new(model, t.store.clone())
        .unwrap()
        .with_context(WriteContext::new("alice").with_hooks(global));
    let id = mgr
        .create_with_id("issue:h", issue("a"))
        .await
        .unwrap()
        .resource_id;
    mgr.update(&id, issue("a")).await.unwrap(); // unchanged: no revision, no commit hook
    mgr.delete(&id).await.unwrap();
    mgr.restore(&id).await.unwrap();
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "model create at 0",
            "global create by alice",
            "committed 1",
            "model put at 1",
            "global put by alice",
            "model delete at 1",
            "global delete by alice",
            "committed 2",
            "model restore at 2",
            "global restore by alice",
            "committed 3",
        ]
    );
    match mgr.update(&id, issue("forbidden")).await {
        Err(Error::Refused { status, code, .. }) => {
            assert_eq!((status, code), (409, "title_forbidden"))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    match mgr.create(issue("forbidden too")).await {
        Err(Error::Refused { .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        mgr.get_meta(&id).await.unwrap().total_revision_count,
        3,
        "nothing written"
    );
    assert_eq!(mgr.count_including_deleted().await.unwrap(), 1);
}
