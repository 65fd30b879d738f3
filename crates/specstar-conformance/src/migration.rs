//! Migration scenarios: data written under an older schema version is read upcast on every
//! read path, found by the new version's indexes, reverted to as the current version, and
//! migrated once (action `migrate`) with the same data a lazy read gives; versions with no path
//! are refused at registration.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specstar_core::{
    Action, DynResourceManager, Error, Filter, ModelDescriptor, Op, Query, ResourceManager, Schema,
    Store,
};

use crate::TestStore;

/// A ticket as version 1 wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TicketV1 {
    /// Its title.
    pub title: String,
    /// Who it was given to.
    pub assignee: Option<String>,
}

/// A ticket as version 2 has it: `assignee` renamed `owner`, a new `priority`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ticket {
    /// Its title.
    pub title: String,
    /// Who owns it.
    pub owner: Option<String>,
    /// How urgent (1 to 5).
    pub priority: u8,
}

fn v1() -> Schema<TicketV1> {
    Schema::<TicketV1>::new("v1")
        .name("ticket")
        .index("assignee")
}

fn v2() -> Schema<Ticket> {
    Schema::<Ticket>::new("v2")
        .name("ticket")
        .index("owner")
        .index("priority")
        .migrate_from::<TicketV1, String>("v1", |old| {
            Ok(Ticket {
                title: old.title,
                owner: old.assignee,
                priority: 3,
            })
        })
}

async fn manager<T: specstar_core::Model>(
    store: &Arc<dyn Store>,
    schema: Schema<T>,
) -> ResourceManager<T> {
    let model = Arc::new(schema.build().unwrap());
    let dynamic = DynResourceManager::new(model.clone(), store.clone());
    dynamic.check_migratable().await.unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    ResourceManager::new(model, store.clone()).unwrap()
}

fn ticket(title: &str, owner: Option<&str>, priority: u8) -> Ticket {
    Ticket {
        title: title.into(),
        owner: owner.map(Into::into),
        priority,
    }
}

/// Writes the v1 tickets: `a` (two revisions, assigned to ann), `b`, and `c` (deleted).
async fn write_v1(store: &Arc<dyn Store>) {
    let old = manager(store, v1()).await;
    let first = TicketV1 {
        title: "a".into(),
        assignee: Some("ann".into()),
    };
    let a = old.create_with_id("ticket:a", first.clone()).await.unwrap();
    let second = TicketV1 {
        title: "a2".into(),
        assignee: Some("ann".into()),
    };
    old.update(&a.resource_id, second).await.unwrap();
    old.create_with_id(
        "ticket:b",
        TicketV1 {
            title: "b".into(),
            assignee: None,
        },
    )
    .await
    .unwrap();
    old.create_with_id(
        "ticket:c",
        TicketV1 {
            title: "c".into(),
            assignee: None,
        },
    )
    .await
    .unwrap();
    old.delete("ticket:c").await.unwrap();
}

/// v1 data read through v2: every read path upcasts (the info keeps "v1"), the new indexes
/// find old heads, a revert writes the current version, and `migrate_all` persists exactly
/// what the lazy reads gave, once.
pub async fn old_versions_read_upcast_and_migrate_once(t: TestStore) {
    write_v1(&t.store).await;
    let new = manager(&t.store, v2()).await;
    let got = new.get("ticket:a").await.unwrap();
    assert_eq!(got.data, ticket("a2", Some("ann"), 3));
    assert_eq!(
        &*got.info.schema_version, "v1",
        "the info says what was written"
    );
    let one = new.get_revision("ticket:a", "ticket:a:1").await.unwrap();
    assert_eq!(one.data, ticket("a", Some("ann"), 3));
    let owned = Query::all().filter(Filter::data("owner", Op::Eq, "ann"));
    let found = new.search_data(&owned).await.unwrap();
    assert_eq!(
        found,
        [ticket("a2", Some("ann"), 3)],
        "the new index finds old heads"
    );
    let urgent = Query::all().filter(Filter::data("priority", Op::Eq, 3));
    assert_eq!(new.count_matching(&urgent).await.unwrap(), 2);
    let diff = new
        .diff("ticket:a", "ticket:a:1", "ticket:a:2")
        .await
        .unwrap();
    assert_eq!(
        diff.patch.0.len(),
        1,
        "only the title changed: {:?}",
        diff.patch
    );

    let lazy_b = new.get("ticket:b").await.unwrap().data;
    let reverted = new.revert("ticket:a", "ticket:a:1").await.unwrap();
    assert_eq!(&*reverted.schema_version, "v2");
    assert_eq!(
        new.get("ticket:a").await.unwrap().data,
        ticket("a", Some("ann"), 3)
    );

    let report = new.migrate_all(|_| {}).await.unwrap();
    assert_eq!(report.migrated, 1, "b alone: a was reverted, c is deleted");
    let b = new.get("ticket:b").await.unwrap();
    assert_eq!(b.data, lazy_b, "persisted as the lazy read gave it");
    assert_eq!(
        (&*b.info.schema_version, b.info.action),
        ("v2", Action::Migrate)
    );
    let again = new.migrate_all(|_| {}).await.unwrap();
    assert_eq!(again.migrated, 0, "a second run does nothing");
    let stored = t
        .store
        .read(&b.info.resource_id, Some(1))
        .await
        .unwrap()
        .unwrap()
        .revision
        .unwrap();
    assert_eq!(
        &*stored.info.schema_version, "v1",
        "old revisions stay as they were"
    );
    assert!(matches!(
        new.migrate("ticket:c").await,
        Err(Error::Deleted { .. })
    ));
    let settled = new.migrate("ticket:b").await.unwrap();
    assert_eq!(
        settled.revision_id, b.info.revision_id,
        "migrated already: nothing appended"
    );
}

/// A version bump whose step leaves the data as it was still moves the head to the new
/// version (the planner appends: the version differs).
pub async fn a_migration_that_keeps_the_bytes_moves_the_version(t: TestStore) {
    let old = manager(&t.store, v1()).await;
    old.create_with_id(
        "ticket:same",
        TicketV1 {
            title: "s".into(),
            assignee: None,
        },
    )
    .await
    .unwrap();
    let renamed = Schema::<TicketV1>::new("v1.1")
        .name("ticket")
        .index("assignee")
        .migrate_json("v1", "v1.1", Ok::<_, String>);
    let new = manager(&t.store, renamed).await;
    let info = new.migrate("ticket:same").await.unwrap();
    assert_eq!(
        (info.revision_id.number(), &*info.schema_version),
        (2, "v1.1")
    );
    let info = new.migrate("ticket:same").await.unwrap();
    assert_eq!(info.revision_id.number(), 2, "nothing more to do");
}

/// Registration refuses a model when resources are on a version no step leads from, naming
/// the version and the count; steps that chain (v1 → v2 → v3) are followed.
pub async fn versions_without_a_path_are_refused_at_registration(t: TestStore) {
    let old = manager(&t.store, v1()).await;
    old.create(TicketV1 {
        title: "x".into(),
        assignee: None,
    })
    .await
    .unwrap();
    old.create(TicketV1 {
        title: "y".into(),
        assignee: None,
    })
    .await
    .unwrap();
    let v3_from_v2 =
        Schema::<Ticket>::new("v3")
            .name("ticket")
            .migrate_json("v2", "v3", Ok::<_, String>);
    let model = Arc::new(v3_from_v2.build().unwrap());
    let refused = DynResourceManager::new(model, t.store.clone())
        .check_migratable()
        .await;
    let Err(Error::InvalidSchema { reason, .. }) = refused else {
        panic!("refused, not {refused:?}");
    };
    assert!(reason.contains("2 on schema version \"v1\""), "{reason}");

    let chained = Schema::<Ticket>::new("v3")
        .name("ticket")
        .migrate_json("v2", "v3", |mut data: serde_json::Value| {
            data["priority"] = json!(data["priority"].as_u64().unwrap_or(0) + 1);
            Ok::<_, String>(data)
        })
        .migrate_json("v1", "v2", |data: serde_json::Value| {
            Ok::<_, String>(
                json!({"title": data["title"], "owner": data["assignee"], "priority": 1}),
            )
        });
    let new = manager(&t.store, chained).await;
    let all = new.search_data(&Query::all()).await.unwrap();
    assert!(all.iter().all(|t| t.priority == 2), "v1 → v2 → v3: {all:?}");
}

/// A changed schema under a version the store registered is refused (bump the version); the
/// same schema, annotations aside, registers again. Of two registrations of different schemas
/// under one new version racing, exactly one wins and the other is told why.
pub async fn a_changed_schema_under_an_unchanged_version_is_refused(t: TestStore) {
    manager(&t.store, v1()).await;
    let changed = Schema::<Ticket>::new("v1").name("ticket").build().unwrap();
    let refused = t
        .store
        .register_model(&ModelDescriptor::from(&changed))
        .await;
    let Err(Error::InvalidSchema { reason, .. }) = refused else {
        panic!("refused, not {refused:?}");
    };
    assert!(reason.contains("bump the schema version"), "{reason}");
    manager(&t.store, v1()).await;

    let described = |description: &str| {
        let schema = json!({"type": "object", "description": description,
                            "properties": {"text": {"type": "string"}}});
        specstar_core::JsonSchemaModel::new("memo", "v1", schema)
            .build()
            .unwrap()
    };
    for text in ["a memo", "a short memo"] {
        t.store
            .register_model(&ModelDescriptor::from(&described(text)))
            .await
            .expect("a description is no change");
    }

    let racer = |field: &'static str| {
        let store = t.store.clone();
        tokio::spawn(async move {
            let schema = json!({"type": "object", "properties": {field: {"type": "string"}}});
            let model = specstar_core::JsonSchemaModel::new("race", "v1", schema)
                .build()
                .unwrap();
            store.register_model(&ModelDescriptor::from(&model)).await
        })
    };
    let (a, b) = (racer("a"), racer("b"));
    let outcomes = [a.await.unwrap(), b.await.unwrap()];
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "exactly one wins: {outcomes:?}");
    assert!(
        outcomes.iter().any(
            |o| matches!(o, Err(Error::InvalidSchema { reason, .. }) if reason.contains("bump"))
        ),
        "{outcomes:?}"
    );
}

/// Property: for any v1 data, the lazy read through v2 and the persisted migration give the
/// same data, and the migration writes the current version with action `migrate`.
pub async fn lazy_upcast_and_persisted_migration_agree(t: TestStore) {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;

    let old = manager(&t.store, v1()).await;
    let new = manager(&t.store, v2()).await;
    let case = std::sync::atomic::AtomicUsize::new(0);
    let handle = tokio::runtime::Handle::current();
    let data = ("\\PC{0,12}", proptest::option::of("\\PC{0,6}"))
        .prop_map(|(title, assignee)| TicketV1 { title, assignee });
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(crate::properties::runner_config(32)).run(&data, |ticket| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(async {
                let id = format!("ticket:case{n}");
                old.create_with_id(&id, ticket.clone()).await.unwrap();
                let lazy = new.get(&id).await.unwrap().data;
                let info = new.migrate(&id).await.unwrap();
                let persisted = new.get(&id).await.unwrap();
                prop_assert_eq!(&persisted.data, &lazy);
                prop_assert_eq!(&lazy.owner, &ticket.assignee);
                prop_assert_eq!(
                    (&*info.schema_version, info.action),
                    ("v2", Action::Migrate)
                );
                Ok(())
            })
        })
    });
    result.unwrap();
}
