//! A manager within a row scope, on every store: its reads of one resource, searches and counts
//! see only what the scope matches, and its writes must find a resource in the scope and leave
//! it there (the HTTP layer's row scopes are this manager).

use specstar_core::{
    Caller, Error, ErrorCode, Filter, MetaField, Op, Query, ResourceManager, Scope, UserValue,
};

use crate::TestStore;
use crate::fixtures::{Task, task, tasks};

/// Tasks `ann` wrote are hers: the scope `created_by == USER.id`, bound to ann.
fn anns(mgr: &ResourceManager<Task>) -> ResourceManager<Task> {
    let roles = ["authenticated".to_owned()];
    let caller = Caller {
        id: "ann",
        roles: &roles,
    };
    let scope = Scope::new(Filter::meta(MetaField::CreatedBy, Op::Eq, UserValue::Id)).bind(caller);
    mgr.as_user("ann").within(scope).unwrap()
}

fn refused(result: specstar_core::Result<impl std::fmt::Debug>) -> (u16, &'static str) {
    match result {
        Err(Error::Refused { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Reads, searches, counts and writes of a scoped manager keep to its scope.
pub async fn a_manager_within_a_scope_keeps_to_it(t: TestStore) {
    let (mgr, _) = tasks(&t.store).await;
    let ann = anns(&mgr);
    let hers = ann.create(task("hers", Some(1))).await.unwrap().resource_id;
    let bobs = mgr
        .as_user("bob")
        .create(task("bob's", Some(1)))
        .await
        .unwrap()
        .resource_id;

    assert_eq!(ann.get(&hers).await.unwrap().data.name, "hers");
    for read in [
        ann.get(&bobs).await.map(|_| ()),
        ann.get_revision(&bobs, &bobs.revision(1)).await.map(|_| ()),
        ann.dynamic().get_meta(bobs.as_str()).await.map(|_| ()),
        ann.dynamic().visible_head(bobs.as_str()).await.map(|_| ()),
    ] {
        assert_eq!(read.unwrap_err().code(), ErrorCode::ResourceNotFound);
    }
    let all = Query::all().filter(Filter::data("points", Op::Eq, 1));
    let found: Vec<_> = ann
        .search(&all)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.resource_id)
        .collect();
    assert_eq!(found, std::slice::from_ref(&hers));
    assert_eq!(ann.count_matching(&all).await.unwrap(), 1);
    assert_eq!(ann.dynamic().count(false).await.unwrap(), 1);
    assert_eq!(
        mgr.count_matching(&all).await.unwrap(),
        2,
        "the unscoped manager sees both"
    );

    // Writes: bob's is out of ann's scope; nothing is written.
    assert_eq!(
        refused(ann.update(&bobs, task("mine now", Some(1))).await),
        (403, "forbidden")
    );
    assert_eq!(refused(ann.delete(&bobs).await), (403, "forbidden"));
    assert_eq!(mgr.get(&bobs).await.unwrap().meta.total_revision_count, 1);
    ann.update(&hers, task("still hers", Some(2)))
        .await
        .unwrap();
    // A scope on the data: writing data outside it is refused, before and after.
    let small = ann.within(Filter::data("points", Op::Lt, 10)).unwrap();
    assert_eq!(
        refused(small.update(&hers, task("big", Some(50))).await),
        (403, "forbidden")
    );
    assert_eq!(
        refused(small.create(task("big", Some(50))).await),
        (403, "forbidden")
    );
    assert_eq!(mgr.get(&hers).await.unwrap().data.points, Some(2));
    small.update(&hers, task("small", Some(3))).await.unwrap();
}
