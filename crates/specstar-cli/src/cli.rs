//! What the command line accepts: the verbs and their flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A versioned REST backend from model files: every change is a new revision, with history,
/// soft delete, restore, revert, search and optimistic concurrency.
///
/// Settings come from flags, then `SPECSTAR_*` environment variables, then `specstar.toml` (or
/// `--config FILE`), the first that gives one winning.
#[derive(Debug, Parser)]
#[command(name = "specstar", version)]
pub(crate) struct Cli {
    /// A settings file (TOML); by default `specstar.toml` in the current directory, if any.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// How the log lines are written on stderr: `text` for people, `json` (one object per line,
    /// with the request's span and its `request_id`) for log collectors; also
    /// `SPECSTAR_LOG_FORMAT`.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "SPECSTAR_LOG_FORMAT",
        default_value = "text"
    )]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Lines for people, with colors on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serves every model of the models directory: the REST API, /openapi.json and /docs.
    Serve(Box<ServeArgs>),
    /// Checks the model files; with a store, also what the next serve would change in it.
    Check(CheckArgs),
    /// Prints the OpenAPI document of the model files.
    Openapi(ModelsArg),
    /// Writes the whole store (every model, resource, revision and purge) to one archive,
    /// from one snapshot, while the store keeps serving.
    Export(ExportArgs),
    /// Loads an archive (one of `specstar export`, or a `.acbak` backup of the Python
    /// reference) into the store, all or nothing: a damaged archive changes nothing.
    Import(ImportArgs),
    /// Brings every resource whose current revision is of an older schema version to the
    /// version of its model file: one revision of action `migrate` each (safe while a server
    /// serves; running it again does nothing).
    Migrate(CheckArgs),
    /// Drops the data of old revisions by each model file's `retention:` (never the current
    /// revision or a pinned one; revision infos stay, so history and verification are whole),
    /// then gives the space back (safe while a server serves).
    Prune(CheckArgs),
    /// Prints what the store holds per model: resources (deleted ones among them), revisions
    /// and the bytes of their data.
    Stats(StoreArgs),
    /// Checks every resource's history in the store (dense numbers, parents, data hashes, the
    /// chain, the head) and names each one that does not verify; exit 1 if any.
    Verify(StoreArgs),
}

/// The models directory.
#[derive(Debug, Args)]
pub(crate) struct ModelsArg {
    /// The directory of model files (`*.yaml`, `*.yml`, `*.json`, one model each).
    #[arg(long, value_name = "DIR")]
    pub(crate) models: Option<PathBuf>,
}

/// Which store: a data directory (the embedded SQLite store) or a PostgreSQL database.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The embedded store's directory (its file is `specstar.db`); `./specstar-data` when no
    /// store is given anywhere.
    #[arg(long, value_name = "DIR", conflicts_with = "database_url")]
    pub(crate) data_dir: Option<PathBuf>,
    /// A PostgreSQL database instead (`postgres://user@host:5432/db`).
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The PostgreSQL schema of the store's tables (`public` by default), so that several
    /// backends can share one database.
    #[arg(long, value_name = "NAME")]
    pub(crate) database_schema: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) models: ModelsArg,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The address to listen on; `127.0.0.1:8000` by default.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) addr: Option<SocketAddr>,
    /// How often to prune the models that declare `retention:` (`30m`, `6h`, `1d`); every
    /// hour by default, and once at start.
    #[arg(long, value_name = "DURATION")]
    pub(crate) prune_every: Option<String>,
    /// How long the requests in flight get to finish after SIGTERM or Ctrl-C (`30s` by
    /// default); open event streams end at once with a `shutdown` event.
    #[arg(long, value_name = "DURATION")]
    pub(crate) shutdown_deadline: Option<String>,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    /// Do not serve `/metrics` (also `SPECSTAR_METRICS=false`, `metrics = false`).
    #[arg(long)]
    pub(crate) no_metrics: bool,
    /// Do not serve the admin UI at `/_/` (also `SPECSTAR_ADMIN_UI=false`, `admin_ui = false`).
    #[arg(long)]
    pub(crate) no_admin_ui: bool,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
}

/// `serve`'s hard limits; each refusal is a 503 problem with `Retry-After`.
#[derive(Debug, Default, Args)]
pub(crate) struct LimitArgs {
    /// Requests served at once; one more is refused at once (load shedding). 512 by default.
    #[arg(long, value_name = "N")]
    pub(crate) max_concurrent_requests: Option<usize>,
    /// The time a request gets to be answered (`60s` by default).
    #[arg(long, value_name = "DURATION")]
    pub(crate) request_timeout: Option<String>,
    /// The time a client gets to send a request's line and headers (`30s` by default); a
    /// slower one is disconnected.
    #[arg(long, value_name = "DURATION")]
    pub(crate) header_read_timeout: Option<String>,
    /// The change feed's event streams open at once. 1024 by default.
    #[arg(long, value_name = "N")]
    pub(crate) max_event_streams: Option<usize>,
    /// The kernel's queue of connections not yet accepted. 2048 by default.
    #[arg(long, value_name = "N")]
    pub(crate) listen_backlog: Option<u32>,
}

/// Bearer JWT authentication: one key source, and what tokens must say.
#[derive(Debug, Default, Args)]
pub(crate) struct AuthArgs {
    /// Accept HS256 tokens signed with this file's bytes (a trailing newline trimmed).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["auth_jwt_public_key", "auth_jwks_file"])]
    pub(crate) auth_jwt_secret_file: Option<PathBuf>,
    /// Accept tokens signed by this PEM public key's private half (RS256, ES256, EdDSA…).
    #[arg(long, value_name = "FILE", conflicts_with = "auth_jwks_file")]
    pub(crate) auth_jwt_public_key: Option<PathBuf>,
    /// Accept tokens signed by a key of this JWKS file, chosen by the token's `kid`.
    #[arg(long, value_name = "FILE")]
    pub(crate) auth_jwks_file: Option<PathBuf>,
    /// Accept only tokens whose `iss` is this.
    #[arg(long, value_name = "ISSUER")]
    pub(crate) auth_jwt_issuer: Option<String>,
    /// Accept only tokens whose `aud` is (or contains) this.
    #[arg(long, value_name = "AUDIENCE")]
    pub(crate) auth_jwt_audience: Option<String>,
    /// The claim naming the user (`sub` by default).
    #[arg(long, value_name = "CLAIM")]
    pub(crate) auth_user_claim: Option<String>,
    /// The claim holding the roles (`roles` by default).
    #[arg(long, value_name = "CLAIM")]
    pub(crate) auth_roles_claim: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) models: ModelsArg,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The archive to write (replaced if it exists, once the new one is complete).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The model files, whose JSON Schemas the archive then carries.
    #[arg(long, value_name = "DIR")]
    pub(crate) models: Option<PathBuf>,
    /// Writes every revision of an older schema version as the model files' current version
    /// (its data upcast, its hashes and the chain computed anew): one version throughout, for
    /// a store that keeps no migration steps. Needs --models.
    #[arg(long, requires = "models")]
    pub(crate) upcast: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The archive: a `specstar export` file, or a `.acbak` backup of specstar 0.12.3.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The model files of the archived models (needed for a `.acbak`, and for an archive
    /// exported without `--models`); they win over the models an archive carries.
    #[arg(long, value_name = "DIR")]
    pub(crate) models: Option<PathBuf>,
    /// What to do with a resource the store holds already: refuse the import (`fail`), keep
    /// the store's (`skip`), or replace it with the archived one (`overwrite`).
    #[arg(long, value_enum, default_value_t = OnDuplicateArg::Fail)]
    pub(crate) on_duplicate: OnDuplicateArg,
}

/// `--on-duplicate`'s values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnDuplicateArg {
    Fail,
    Skip,
    Overwrite,
}

impl From<OnDuplicateArg> for specstar::OnDuplicate {
    fn from(arg: OnDuplicateArg) -> Self {
        match arg {
            OnDuplicateArg::Fail => Self::Fail,
            OnDuplicateArg::Skip => Self::Skip,
            OnDuplicateArg::Overwrite => Self::Overwrite,
        }
    }
}
