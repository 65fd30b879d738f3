//! `specstar serve` serves `/metrics` by default: the group commits' batch sizes on SQLite, the
//! pool's connections on PostgreSQL; `--no-metrics` leaves it out.

use serde_json::json;
use tempfile::TempDir;

mod common;

use common::{LoggedServer, drop_schema, example_models, postgres_url};

async fn scrape_after_a_write(server: &LoggedServer) -> String {
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/task", server.base))
        .json(&json!({"name": "measured"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let scrape = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    scrape.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_measures_the_sqlite_group_commits() {
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    let server = LoggedServer::start(dir.path(), &["--models", models, "--data-dir", "data"]);
    let text = scrape_after_a_write(&server).await;
    assert!(
        text.contains("specstar_sqlite_commit_batch_size_bucket"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"specstar_http_requests_total{route="/task",method="POST",status="201"} 1"#
        ),
        "{text}"
    );
    drop(server);
    let without = LoggedServer::start(
        dir.path(),
        &["--models", models, "--data-dir", "data", "--no-metrics"],
    );
    let answer = reqwest::get(format!("{}/metrics", without.base))
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_measures_the_postgresql_pool() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("specstar_cli_metrics_{}", std::process::id());
    let dir = TempDir::new().unwrap();
    let models = example_models();
    let server = LoggedServer::start(
        dir.path(),
        &[
            "--models",
            models.to_str().unwrap(),
            "--database-url",
            &url,
            "--database-schema",
            &schema,
        ],
    );
    let text = scrape_after_a_write(&server).await;
    drop(server);
    drop_schema(&url, &schema).await;
    assert!(
        text.contains(r#"specstar_pool_connections{state="idle"}"#),
        "{text}"
    );
    assert!(text.contains("specstar_pool_max_connections 16"), "{text}");
}
