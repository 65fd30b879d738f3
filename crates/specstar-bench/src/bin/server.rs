//! `specstar-bench-server`: the workload's Issue model served over HTTP, for load tests.
//!
//! ```text
//! cargo run --release -p specstar-bench --bin specstar-bench-server -- --store memory --addr 127.0.0.1:8012
//! ```
//!
//! Serves `spec.router()` (POST /issue, GET and PUT /issue/{id}, …: the routes the wrk scripts
//! of `bench/http/` hit) until Ctrl-C. It listens on loopback addresses only: a benchmark
//! server has no business on a network.
//!
//! With `--bare-body FILE` it is the HTTP baseline instead: a bare axum handler answering
//! every GET with the file's bytes as JSON (a real answer of the same size), no layers, no
//! store: the ceiling the real routes are judged against.

use std::net::SocketAddr;

use anyhow::ensure;
use clap::Parser;
use specstar::Spec;
use specstar_bench::store::{StoreArgs, open_store};
use specstar_bench::workload;

/// Serves the workload's Issue model over HTTP.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// The address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:8012")]
    addr: SocketAddr,
    /// Serve the bare handler with this fixed body instead of the model.
    #[arg(long, value_name = "FILE")]
    bare_body: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    ensure!(
        cli.addr.ip().is_loopback(),
        "the bench server listens on loopback only, not {}",
        cli.addr
    );
    if let Some(file) = &cli.bare_body {
        return bare(cli.addr, std::fs::read(file)?).await;
    }
    let opened = open_store(&cli.store).await?;
    let spec = Spec::with_store(opened.store.clone());
    spec.add_model(workload::schema()).await?;
    let listener = tokio::net::TcpListener::bind(cli.addr).await?;
    eprintln!(
        "serving the issue model on http://{} ({})",
        cli.addr,
        cli.store.store.name()
    );
    specstar::http::serve(listener, spec.router()).await?;
    drop(opened);
    Ok(())
}

/// The HTTP baseline: every GET answered with `body`, by axum alone.
async fn bare(addr: SocketAddr, body: Vec<u8>) -> anyhow::Result<()> {
    let body = axum::body::Bytes::from(body);
    let app = axum::Router::new().fallback(axum::routing::get(move || {
        let body = body.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        }
    }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("serving the bare baseline handler on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
