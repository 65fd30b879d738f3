//! The seed's "Quickstart - Data Versioning", step by step, in Rust.
//!
//! ```text
//! cargo run --example quickstart -- --data-dir /tmp/x
//! ```
//!
//! Every change is a new revision in one SQLite file under `--data-dir`; run it twice and the
//! second run finds the first run's issue still there. With `--database-url URL` (or
//! `SPECSTAR_DATABASE_URL`; build with `--features postgres`) the data lives in PostgreSQL
//! instead, where several processes can share it:
//!
//! ```text
//! cargo run --features postgres --example quickstart -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! With `--serve 127.0.0.1:8000` it then serves the REST API (with `/docs`) until Ctrl-C.
//!
//! Logs go to stderr through `tracing`, at info and above unless `RUST_LOG` says otherwise
//! (`RUST_LOG=debug` shows every request): a server failure is an error line with the request
//! id, the route and the error's causes.

use std::path::PathBuf;

use clap::Parser;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{Schema, Spec, Timestamp};

/// Walks through the data-versioning quickstart on the embedded store.
#[derive(Parser)]
struct Args {
    /// Where the data lives (one SQLite file inside).
    #[arg(long, default_value = "./specstar-data")]
    data_dir: PathBuf,
    /// Keep the data in memory instead (gone at exit; for demos and HTTP benchmarks).
    #[arg(long, conflicts_with = "data_dir")]
    in_memory: bool,
    /// Keep the data in PostgreSQL at this URL instead (needs the `postgres` feature).
    #[arg(long, env = "SPECSTAR_DATABASE_URL", value_name = "URL", conflicts_with_all = ["data_dir", "in_memory"])]
    database_url: Option<String>,
    /// The PostgreSQL schema to keep the tables in.
    #[arg(long, default_value = "public", requires = "database_url")]
    schema: String,
    /// After the walkthrough, serve the REST API on this address until Ctrl-C.
    #[arg(long, value_name = "ADDR")]
    serve: Option<std::net::SocketAddr>,
}

// 1. Define and register a resource.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Issue {
    title: String,
    description: Option<String>,
    #[serde(default)]
    status: Status,
    #[serde(default)]
    severity: Severity,
    assignee: Option<String>,
    due_date: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Status {
    #[default]
    Open,
    InProgress,
    Resolved,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Severity {
    Low,
    #[default]
    Medium,
    High,
}

/// A spec over PostgreSQL, and where it is, the password left out.
#[cfg(feature = "postgres")]
async fn postgres(url: &str, schema: &str) -> Result<(Spec, String), Box<dyn std::error::Error>> {
    let options = specstar::PostgresOptions::new(url)?.schema(schema)?;
    let spec = Spec::connect_with(options).await?;
    let shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    };
    Ok((spec, format!("{shown} (schema {schema})")))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: &str, _schema: &str) -> Result<(Spec, String), Box<dyn std::error::Error>> {
    Err("this quickstart was built without PostgreSQL: rebuild with `--features postgres`".into())
}

fn json(issue: &Issue) -> String {
    serde_json::to_string(issue).expect("an issue is plain JSON")
}

/// Logs to stderr, filtered by `RUST_LOG` (info when unset), so that stdout stays the
/// walkthrough.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let args = Args::parse();
    let (spec, place) = if let Some(url) = &args.database_url {
        postgres(url, &args.schema).await?
    } else if args.in_memory {
        (Spec::in_memory(), "memory".to_owned())
    } else {
        (
            Spec::open(&args.data_dir)?,
            args.data_dir.display().to_string(),
        )
    };
    spec.add_model(
        Schema::<Issue>::new("v1")
            .index("status")
            .index("severity")
            .index("assignee"),
    )
    .await?;
    let app = spec.router(); // the seed's spec.apply(app)
    let mgr = spec.resource_manager::<Issue>()?;

    // 2. Create the first revision.
    let info = mgr
        .create(Issue {
            title: "Search returns duplicate results".into(),
            description: None,
            status: Status::Open,
            severity: Severity::High,
            assignee: Some("alice".into()),
            due_date: None,
            resolved_at: None,
        })
        .await?;
    println!("resource_id: {}", info.resource_id);
    println!("revision_id: {}", info.revision_id);

    // 3. Update the resource and create a new revision.
    let info_updated = mgr
        .as_user("bob")
        .update(
            &info.resource_id,
            Issue {
                title: "Search returns duplicate results".into(),
                description: None,
                status: Status::InProgress,
                severity: Severity::High,
                assignee: Some("bob".into()),
                due_date: None,
                resolved_at: None,
            },
        )
        .await?;
    println!("updated revision_id: {}", info_updated.revision_id);

    let latest_issue = mgr.get(&info.resource_id).await?;
    let old_issue = mgr
        .get_revision(&info.resource_id, &info.revision_id)
        .await?;
    println!("latest issue: {}", json(&latest_issue.data));
    println!("old issue: {}", json(&old_issue.data));
    // What changed between the two revisions: one change per changed field.
    let diff = mgr
        .diff(
            &info.resource_id,
            &info.revision_id,
            &info_updated.revision_id,
        )
        .await?;
    for change in &diff.changes {
        let value =
            |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".into(), |v| v.to_string());
        println!(
            "changed {}: {} -> {}",
            change.path,
            value(&change.from),
            value(&change.to)
        );
    }

    // 4. List revision history.
    for rev in mgr.list_revisions(&info.resource_id).await? {
        println!(
            "history: {} {} {} {}",
            rev.revision_id, rev.action, rev.created_time, rev.created_by
        );
    }

    // 5. Soft delete without losing history.
    let deleted_info = mgr.delete(&info.resource_id).await?;
    println!("deleted revision_id: {}", deleted_info.revision_id);
    let old_issue = mgr
        .get_revision(&info.resource_id, &info.revision_id)
        .await?;
    println!("old issue after delete: {}", json(&old_issue.data));
    let restored_info = mgr.restore(&info.resource_id).await?;
    println!("restored revision_id: {}", restored_info.revision_id);
    for rev in mgr.list_revisions(&info.resource_id).await? {
        println!(
            "history: {} {} {} {}",
            rev.revision_id, rev.action, rev.created_time, rev.created_by
        );
    }

    // 6. Every change, in order: the store-wide feed, from this run's first revision on.
    let feed = spec.changes(info.sequence - 1, 100).await?;
    for event in &feed.changes {
        if let specstar::FeedEvent::Revision(rev) = event {
            println!("feed: #{} {} {}", rev.sequence, rev.revision_id, rev.action);
        }
    }

    println!("issues stored in {place}: {}", mgr.count().await?);

    if let Some(addr) = args.serve {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("serving http://{addr} (docs: http://{addr}/docs); Ctrl-C stops");
        specstar::http::serve(listener, app).await?;
    }
    Ok(())
}
