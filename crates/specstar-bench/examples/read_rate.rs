//! Reads per second through the store, in-process: the cost of a point read of the current
//! revision (and of revision 1) without HTTP in the way.
//!
//! `cargo run --release -p specstar-bench --example read_rate -- [N] [DIR]`

use std::sync::Arc;
use std::time::Instant;

use specstar::{DynResourceManager, ModelDescriptor, Schema, SqliteStore, Store};

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Issue {
    title: String,
    description: Option<String>,
    assignee: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(2000), |a| a.parse())?;
    let dir = tempfile::tempdir_in(std::env::args().nth(2).unwrap_or_else(|| ".".into()))?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("read.db"))?);
    let model = Arc::new(Schema::<Issue>::new("v1").index("assignee").build()?);
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await?;
    let mgr = DynResourceManager::new(model, store.clone());
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let data = serde_json::json!({"title": format!("Issue {i:06}"), "description": "x".repeat(200), "assignee": format!("user{:02}", i % 20)});
        ids.push(mgr.create(data).await?.info.resource_id);
    }
    for round in 0..3 {
        let start = Instant::now();
        for i in 0..n * 10 {
            let id = &ids[(i * 7919) % n];
            store.read(id, None).await?.expect("exists");
        }
        let latest = (n * 10) as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        for i in 0..n * 10 {
            let id = &ids[(i * 7919) % n];
            mgr.get(id, None, false).await?;
        }
        let via_manager = (n * 10) as f64 / start.elapsed().as_secs_f64();
        println!("round {round}: store.read {latest:.0}/s, manager.get {via_manager:.0}/s");
    }
    Ok(())
}
