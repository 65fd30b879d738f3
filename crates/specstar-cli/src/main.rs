//! `specstar`: a versioned REST backend from model files.
//!
//! Each verb is one module of `commands`; `cli` says what the command line accepts,
//! `settings` merges it with `specstar.toml` and `SPECSTAR_*` variables, `model_files` reads a
//! models directory. Exit status: 0 on success, 1 on an error (said on stderr, with what to
//! do), 2 on bad usage (clap's).

mod archive;
mod auth_settings;
mod cli;
mod commands;
mod migration_steps;
mod model_files;
mod permission_rules;
mod progress;
mod request_log;
mod retention_policy;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server reports what it does; the other verbs print their answer and log only trouble.
    let default = if matches!(cli.command, Command::Serve(_)) {
        "warn,specstar=info"
    } else {
        "warn"
    };
    init_logging(default, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings::Settings::load(&cli)?;
    match cli.command {
        Command::Serve(_) => commands::serve::run(&settings).await,
        Command::Check(_) => commands::check::run(&settings).await,
        Command::Openapi(_) => commands::openapi::run(&settings),
        Command::Verify(_) => commands::verify::run(&settings).await,
        Command::Export(args) => commands::export::run(&settings, &args.out, args.upcast).await,
        Command::Import(args) => commands::import::run(&settings, &args).await,
        Command::Migrate(_) => commands::migrate::run(&settings).await,
        Command::Prune(_) => commands::prune::run(&settings).await,
        Command::Stats(_) => commands::stats::run(&settings).await,
    }
}

/// Logs to stderr in `format`: `RUST_LOG` when set, else `default`.
fn init_logging(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        // The request's span (method, path, request_id) in every line of the request.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
