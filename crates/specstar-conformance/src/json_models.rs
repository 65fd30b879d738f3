//! Models declared by a JSON Schema alone (no Rust type), on every store: defaults stored,
//! nested indexed paths searched, sorted and counted through the untyped manager, exactly as
//! for typed models.

use std::sync::Arc;

use serde_json::{Value, json};
use specstar_core::{
    Direction, DynResourceManager, Field, Filter, JsonSchemaModel, ModelDescriptor, Op, Query,
    ResourceMeta,
};

use crate::TestStore;

/// The issue 13 example's document model, `state` and `author.name` indexed.
fn documents_model() -> JsonSchemaModel {
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "author"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "state": {"enum": ["draft", "review", "published"], "default": "draft"},
            "author": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]}}
            }
        }
    });
    JsonSchemaModel::new("document", "v1", schema)
        .index("state")
        .index("author.name")
}

/// The keys of what `filter` finds, checking that count agrees.
async fn find(mgr: &DynResourceManager, filter: Filter) -> Vec<String> {
    let query = Query::all().filter(filter);
    let found = mgr.search(&query).await.unwrap();
    assert_eq!(
        mgr.count_matching(&query).await.unwrap(),
        found.len() as u64,
        "count agrees with search"
    );
    keys(&found).into_iter().map(str::to_owned).collect()
}

fn keys(metas: &[ResourceMeta]) -> Vec<&str> {
    metas.iter().map(|m| m.resource_id.key()).collect()
}

/// A JSON Schema model's nested indexed path (`author.name`) is filled from each head (the
/// defaulted `state` too), found by `eq`, `in` and `starts_with`, sorted both ways (ties by
/// resource id) and counted, and follows updates.
pub async fn json_schema_models_search_nested_paths(t: TestStore) {
    let model = Arc::new(documents_model().build().expect("the model is valid"));
    t.store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .expect("the store registers the model");
    let mgr = DynResourceManager::new(model, t.store.clone());
    for (key, author, state) in [
        ("a", "bob", None),
        ("b", "ann", Some("review")),
        ("c", "cy", None),
        ("d", "ann", None),
    ] {
        let mut data = json!({"title": key, "author": {"name": author}});
        if let Some(state) = state {
            data["state"] = json!(state);
        }
        mgr.create_with_id(&format!("document:{key}"), data)
            .await
            .unwrap();
    }
    let author = |op, value: Value| Filter::data("author.name", op, value);
    assert_eq!(find(&mgr, author(Op::Eq, json!("ann"))).await, ["b", "d"]);
    assert_eq!(
        find(&mgr, author(Op::In, json!(["bob", "cy"]))).await,
        ["a", "c"]
    );
    assert_eq!(
        find(&mgr, author(Op::StartsWith, json!("a"))).await,
        ["b", "d"]
    );
    assert_eq!(
        find(&mgr, Filter::data("state", Op::Eq, "draft")).await,
        ["a", "c", "d"],
        "the default is indexed"
    );
    let meta = mgr.get_meta("document:a").await.unwrap();
    assert_eq!(meta.indexed_data["author.name"], json!("bob"));
    let sorted = |direction| Query::all().sort(Field::Data("author.name".into()), direction);
    let asc = mgr.search(&sorted(Direction::Asc)).await.unwrap();
    assert_eq!(keys(&asc), ["b", "d", "a", "c"]);
    let desc = mgr.search(&sorted(Direction::Desc)).await.unwrap();
    assert_eq!(keys(&desc), ["c", "a", "d", "b"]);
    mgr.update(
        "document:a",
        json!({"title": "a", "author": {"name": "ann"}}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        find(&mgr, author(Op::Eq, json!("ann"))).await,
        ["a", "b", "d"]
    );
    assert_eq!(
        find(&mgr, author(Op::Eq, json!("bob"))).await,
        Vec::<String>::new()
    );
}
