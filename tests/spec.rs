//! Registration through the facade: clear errors at registration, not at first use.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{Error, Schema, Spec};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct BlogPost {
    title: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Other {
    title: String,
}

#[tokio::test]
async fn registration_errors_are_clear() {
    let spec = Spec::in_memory();
    let model = spec.add_model(Schema::<BlogPost>::new("v1")).await.unwrap();
    assert_eq!(model.name(), "blog-post");

    let twice = spec
        .add_model(Schema::<Other>::new("v1").name("blog-post"))
        .await;
    assert!(
        matches!(twice, Err(Error::DuplicateModel { .. })),
        "{twice:?}"
    );
    let same_type = spec
        .add_model(Schema::<BlogPost>::new("v2").name("post"))
        .await;
    assert!(
        matches!(same_type, Err(Error::DuplicateModel { .. })),
        "{same_type:?}"
    );

    let unknown = spec
        .add_model(Schema::<Other>::new("v1").index("author"))
        .await;
    let message = unknown.unwrap_err().to_string();
    assert!(
        message.contains("\"author\"") && message.contains("not a field"),
        "{message}"
    );
    assert!(
        spec.resource_manager::<Other>().is_err(),
        "a refused model is not registered"
    );
    spec.add_model(Schema::<Other>::new("v1")).await.unwrap();
    assert!(spec.resource_manager::<Other>().is_ok());
    assert!(matches!(
        spec.dyn_resource_manager("nope"),
        Err(Error::UnknownModel { .. })
    ));
}

#[tokio::test]
async fn registration_messages_say_what_to_do() {
    let spec = Spec::in_memory();
    let unknown = spec.resource_manager::<BlogPost>().unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "no model \"spec::BlogPost\" is registered; register it first: \
         spec.add_model(Schema::<BlogPost>::new(\"v1\"))"
    );
    let by_name = spec.dyn_resource_manager("nope").unwrap_err();
    assert_eq!(
        by_name.to_string(),
        "no model \"nope\" is registered; register it first: \
         spec.add_model(Schema::<T>::new(\"v1\"))"
    );

    spec.add_model(Schema::<BlogPost>::new("v1")).await.unwrap();
    let same_type = spec
        .add_model(Schema::<BlogPost>::new("v2").name("post"))
        .await
        .unwrap_err();
    assert_eq!(
        same_type.to_string(),
        "cannot register model \"post\": its Rust type is registered already, as model \
         \"blog-post\"; a type is one model, so register it once (declare another type for a \
         second model)"
    );
    let same_name = spec
        .add_model(Schema::<Other>::new("v1").name("blog-post"))
        .await
        .unwrap_err();
    assert_eq!(
        same_name.to_string(),
        "model \"blog-post\" is registered already; register each model once, or give this one \
         another name with Schema::name"
    );
}
