//! The `/docs` page, loaded in headless Chromium from a real server on 127.0.0.1: its assets are
//! served from the binary (no network), and it lists the model's routes once its script has
//! rendered `/openapi.json`.
//!
//! Ignored by a plain `cargo test` because it needs Debian's `chromium`; `.ci/run` installs it and
//! runs this test with `--ignored`.

#[allow(
    dead_code,
    reason = "the shared helpers serve the API tests; this test needs only the server"
)]
mod common;

use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium; run by .ci/run with --ignored"]
async fn docs_page_lists_the_model_routes_in_chromium() {
    let server = common::Server::start().await;
    let url = format!("{}/docs", server.base);
    let profile = std::env::temp_dir().join(format!("specstar-chromium-{}", std::process::id()));
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
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
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
