//! The `/docs` page, loaded in headless Chromium from a real server on 127.0.0.1: its assets are
//! served from the binary (no network), and it lists the model's routes once its script has
//! rendered `/openapi.json`, at the root and nested under `/api`.
//!
//! Ignored by a plain `cargo test` because it needs Debian's `chromium`; `.ci/run` installs it and
//! runs this test with `--ignored`.

#[allow(
    dead_code,
    reason = "the shared helpers serve the API tests; this test needs only the server"
)]
mod common;

use std::process::Command;
use std::sync::Arc;

use specstar_core::{ModelDescriptor, Registry, Store};

/// The DOM of `url` once headless Chromium has run its scripts.
async fn render(url: String) -> String {
    let profile = std::env::temp_dir().join(format!(
        "specstar-chromium-{}-{}",
        std::process::id(),
        url.len()
    ));
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=15000",
                &format!("--user-data-dir={}", profile.display()),
                "--dump-dom",
                &url,
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {browser:?} (install Debian's chromium): {e}"))
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Checks that the rendered page lists the model's routes in Swagger UI's operation blocks.
fn assert_lists_the_routes(dom: &str) {
    for route in [
        "/issue/{resource_id}/revision-list",
        "/issue/{resource_id}/restore",
        "/issue/{resource_id}/switch/{revision_id}",
        "/issue/{resource_id}/permanently",
    ] {
        assert!(
            dom.contains(route),
            "the rendered docs list {route}; got:\n{}",
            &dom[..dom.len().min(2000)]
        );
    }
    assert!(
        dom.contains("opblock"),
        "swagger ui rendered its operation blocks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium; run by .ci/run with --ignored"]
async fn docs_page_lists_the_model_routes_in_chromium() {
    let server = common::Server::start().await;
    assert_lists_the_routes(&render(format!("{}/docs", server.base)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium; run by .ci/run with --ignored"]
async fn docs_page_works_nested_under_a_prefix_in_chromium() {
    let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
    let registry = Arc::new(Registry::new());
    let model = registry
        .add(
            specstar_conformance::fixtures::issue_schema()
                .build()
                .unwrap(),
        )
        .unwrap();
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .unwrap();
    let app = axum::Router::new().nest(
        "/api",
        specstar_http::router(registry, store, specstar_http::HttpConfig::new()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    for page in ["docs", "docs/"] {
        assert_lists_the_routes(&render(format!("http://{addr}/api/{page}")).await);
    }
}
