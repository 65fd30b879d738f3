//! Search: indexed fields, filters combined with and/or/not, sorts, pages by keyset cursor, counts
//! and a stream over every match.
//!
//! ```text
//! cargo run --example search
//! ```
//!
//! Only indexed fields can be searched or sorted on (`Schema::index`); a condition on another
//! field is refused with `Error::UnindexedField`, never answered with an empty list.

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{Cursor, Direction, Error, Field, Filter, MetaField, Op, Query, Schema, Spec};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Severity {
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    severity: Severity,
    assignee: Option<String>,
    points: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = Spec::in_memory();
    let schema = Schema::<Issue>::new("v1")
        .index("severity")
        .index("assignee")
        .index("points");
    spec.add_model(schema).await?;
    let mgr = spec.resource_manager::<Issue>()?;
    for i in 0..50u32 {
        let severity = [Severity::Low, Severity::Medium, Severity::High][i as usize % 3].clone();
        let assignee = (i % 4 != 0).then(|| ["alice", "bob", "carol"][i as usize % 3].to_owned());
        let title = format!("issue {i}");
        mgr.create(Issue {
            title,
            severity,
            assignee,
            points: i % 8,
        })
        .await?;
    }

    // Conditions on indexed fields, combined; newest first; one page of 5.
    let urgent = Filter::And(vec![
        Filter::data("severity", Op::Eq, "high"),
        Filter::Or(vec![
            Filter::data("points", Op::Gte, 5),
            Filter::data("assignee", Op::IsNull, true),
        ]),
    ]);
    let newest = Query::all()
        .filter(urgent.clone())
        .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
        .limit(5);
    for issue in mgr.search_data(&newest).await? {
        println!(
            "urgent: {} ({} points, {:?})",
            issue.title, issue.points, issue.assignee
        );
    }
    let total = mgr.count_matching(&Query::all().filter(urgent)).await?;
    println!("urgent issues in all: {total}");

    // Keyset paging: each page continues after the last row of the previous one, so rows written
    // meanwhile are neither repeated nor skipped.
    let by_points = Query::all()
        .sort(Field::Data("points".into()), Direction::Desc)
        .limit(20);
    let mut page = mgr.search(&by_points).await?;
    let mut pages = 0;
    while let Some(last) = page.last() {
        pages += 1;
        let next = by_points.clone().after(Cursor::after_row(&by_points, last));
        page = mgr.search(&next).await?;
    }
    println!("pages of 20 by points: {pages}");

    // Every match as a stream, one page in memory at a time.
    let alices = Query::all().filter(Filter::data("assignee", Op::Eq, "alice"));
    let mut stream = std::pin::pin!(mgr.iter_all(&alices));
    let mut points = 0;
    while let Some(issue) = stream.next().await {
        points += issue?.data.points;
    }
    println!("alice's points: {points}");

    // A field that is not indexed is refused, with the fields that are.
    let by_title = Query::all().filter(Filter::data("title", Op::Eq, "issue 1"));
    match mgr.search(&by_title).await {
        Err(Error::UnindexedField { field, indexed, .. }) => {
            println!("{field:?} is not indexed; indexed fields: {indexed:?}");
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    Ok(())
}
