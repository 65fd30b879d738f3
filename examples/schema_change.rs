//! A model that changes: data written under `v1`, the store reopened with `v2` (a renamed field
//! and a new one), old data read and searched as `v2` at once, then migrated for good.
//!
//! ```text
//! cargo run --features sqlite --example schema_change
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{Filter, Op, Query, Schema, Spec};

/// The issue as the first release stored it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct IssueV1 {
    title: String,
    assignee: Option<String>,
}

/// The issue now: `assignee` is `owner`, and there is a priority.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    owner: Option<String>,
    priority: u8,
}

fn v2() -> Schema<Issue> {
    Schema::<Issue>::new("v2")
        .name("issue")
        .index("owner")
        .migrate_from::<IssueV1, String>("v1", |old| {
            Ok(Issue {
                title: old.title,
                owner: old.assignee,
                priority: 3,
            })
        })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> specstar::Result<()> {
    let dir = std::env::temp_dir().join(format!("specstar-schema-change-{}", std::process::id()));

    // The first release: v1.
    let spec = Spec::open(&dir)?;
    spec.add_model(Schema::<IssueV1>::new("v1").name("issue").index("assignee"))
        .await?;
    let old = spec.resource_manager::<IssueV1>()?;
    for (title, assignee) in [("Search is slow", Some("ann")), ("Typo", None)] {
        let issue = IssueV1 {
            title: title.into(),
            assignee: assignee.map(Into::into),
        };
        old.create(issue).await?;
    }
    drop((old, spec));

    // The next release: the same store, opened with v2.
    let spec = Spec::open(&dir)?;
    spec.add_model(v2()).await?;
    let issues = spec.resource_manager::<Issue>()?;
    let by_ann = Query::all().filter(Filter::data("owner", Op::Eq, "ann"));
    let found = issues.search_resources(&by_ann).await?;
    assert_eq!(found.len(), 1, "the new index finds the old resource");
    let ann = &found[0];
    println!(
        "read as v2 (stored as {}): {:?}",
        ann.info.schema_version, ann.data
    );
    assert_eq!(ann.data.priority, 3);

    let report = spec
        .migrate_all::<Issue>(|p| println!("migrated {}/{}", p.done, p.total))
        .await?;
    println!(
        "persisted: {} resources now on v2, each with a `migrate` revision",
        report.migrated
    );
    let again = spec.migrate_all::<Issue>(|_| {}).await?;
    assert_eq!(again.migrated, 0, "a second run has nothing to do");
    let now = issues.get(&ann.info.resource_id).await?;
    assert_eq!((&*now.info.schema_version, now.info.number()), ("v2", 2));
    drop((issues, spec));
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
