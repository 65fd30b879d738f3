//! The settings of a command: its flags, else `SPECSTAR_*` environment variables, else the
//! settings file (`--config FILE`, or `specstar.toml` in the current directory when there is
//! one), else the defaults.
//!
//! The store is chosen as a whole: the first of those sources that names one (a data directory
//! or a database URL) decides, so that a flag's `--database-url` is never mixed with a file's
//! `data_dir`. One source naming both is an error. A database's schema is taken from the first
//! source that names one, wherever the URL came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::auth_settings::{AuthLayer, AuthSettings};
use crate::cli::{Cli, Command, StoreArgs};

/// The settings file's name in the current directory.
pub(crate) const DEFAULT_FILE: &str = "specstar.toml";
/// Where the embedded store lives when nothing names a store.
pub(crate) const DEFAULT_DATA_DIR: &str = "./specstar-data";
/// Where `serve` listens when nothing says.
pub(crate) const DEFAULT_ADDR: &str = "127.0.0.1:8000";
/// How often `serve` prunes the models that declare retention when nothing says.
pub(crate) const DEFAULT_PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// Which store a command uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreChoice {
    /// The embedded SQLite store in this directory.
    DataDir(PathBuf),
    /// PostgreSQL at this URL, in this schema (`public` when `None`).
    Database(String, Option<String>),
}

impl StoreChoice {
    /// How the store is named in messages (a URL without its password).
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::DataDir(dir) => format!("the data directory {}", dir.display()),
            Self::Database(url, None) => format!("the database {}", redact(url)),
            Self::Database(url, Some(schema)) => {
                format!("the database {} (schema {schema})", redact(url))
            }
        }
    }
}

/// The merged settings.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The models directory, if any source names one.
    pub(crate) models: Option<PathBuf>,
    /// The store some source named; `None` when none did.
    pub(crate) store: Option<StoreChoice>,
    pub(crate) addr: SocketAddr,
    /// How often `serve` prunes by the models' retention.
    pub(crate) prune_every: Duration,
    /// How long `serve` lets the requests in flight finish after SIGTERM or Ctrl-C.
    pub(crate) shutdown_deadline: Duration,
    /// `serve`'s bearer JWT authentication.
    pub(crate) auth: AuthSettings,
    /// Whether `serve` serves the admin UI at `/_/` (it does unless told not to).
    pub(crate) admin_ui: bool,
    /// Whether `serve` serves `/metrics` (it does unless told not to).
    pub(crate) metrics: bool,
    /// `serve`'s limits: requests at once, the request timeout, open event streams, the
    /// listen backlog.
    pub(crate) limits: ServeLimits,
}

/// `serve`'s hard limits, each with the library's default.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServeLimits {
    pub(crate) max_concurrent_requests: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_event_streams: usize,
    pub(crate) listen_backlog: u32,
}

/// What one source (the file, the environment, the flags) gives.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    models: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    database_schema: Option<String>,
    addr: Option<String>,
    prune_every: Option<String>,
    shutdown_deadline: Option<String>,
    admin_ui: Option<bool>,
    metrics: Option<bool>,
    max_concurrent_requests: Option<usize>,
    request_timeout: Option<String>,
    header_read_timeout: Option<String>,
    max_event_streams: Option<usize>,
    listen_backlog: Option<u32>,
    auth_jwt_secret_file: Option<PathBuf>,
    auth_jwt_public_key: Option<PathBuf>,
    auth_jwks_file: Option<PathBuf>,
    auth_jwt_issuer: Option<String>,
    auth_jwt_audience: Option<String>,
    auth_user_claim: Option<String>,
    auth_roles_claim: Option<String>,
}

impl Layer {
    fn auth(&self) -> AuthLayer {
        AuthLayer {
            secret_file: self.auth_jwt_secret_file.clone(),
            public_key: self.auth_jwt_public_key.clone(),
            jwks_file: self.auth_jwks_file.clone(),
            issuer: self.auth_jwt_issuer.clone(),
            audience: self.auth_jwt_audience.clone(),
            user_claim: self.auth_user_claim.clone(),
            roles_claim: self.auth_roles_claim.clone(),
        }
    }

    fn store(&self, source: &str) -> anyhow::Result<Option<StoreChoice>> {
        match (&self.data_dir, &self.database_url) {
            (Some(_), Some(_)) => {
                bail!("{source} names both a data directory and a database URL: keep one")
            }
            (Some(dir), None) => Ok(Some(StoreChoice::DataDir(dir.clone()))),
            (None, Some(url)) => Ok(Some(StoreChoice::Database(
                url.clone(),
                self.database_schema.clone(),
            ))),
            (None, None) => Ok(None),
        }
    }
}

impl Settings {
    /// The settings for `cli`, from its flags, the environment and the settings file.
    ///
    /// # Errors
    /// An unreadable or malformed settings file, a source naming two stores, a bad address.
    pub(crate) fn load(cli: &Cli) -> anyhow::Result<Self> {
        let file = file_layer(cli.config.as_deref())?;
        let env = env_layer();
        let flags = flag_layer(&cli.command);
        let auth = AuthSettings::merge(&[
            ("the command line", &flags.auth()),
            ("the environment (SPECSTAR_AUTH_*)", &env.auth()),
            ("the settings file", &file.auth()),
        ])?;
        let limits = ServeLimits::merge(&flags, &file)?;
        let store = match flags.store("the command line")? {
            Some(store) => Some(store),
            None => {
                match env.store("the environment (SPECSTAR_DATA_DIR, SPECSTAR_DATABASE_URL)")? {
                    Some(store) => Some(store),
                    None => file.store("the settings file")?,
                }
            }
        };
        // The schema qualifies a database wherever its URL came from.
        let schema = flags
            .database_schema
            .clone()
            .or(env.database_schema.clone())
            .or(file.database_schema.clone());
        let store = store.map(|choice| match choice {
            StoreChoice::Database(url, _) => StoreChoice::Database(url, schema),
            other => other,
        });
        let addr_text = flags.addr.or(env.addr).or(file.addr);
        let addr = match addr_text {
            None => DEFAULT_ADDR.parse().expect("the default address parses"),
            Some(text) => text.parse().with_context(|| {
                format!("the address {text:?} is not HOST:PORT (e.g. {DEFAULT_ADDR})")
            })?,
        };

        let prune_every = match flags.prune_every.or(env.prune_every).or(file.prune_every) {
            None => DEFAULT_PRUNE_EVERY,
            Some(text) => crate::retention_policy::duration(&text)
                .map_err(|why| anyhow::anyhow!("the prune interval {why}"))?,
        };

        let shutdown_deadline = match flags
            .shutdown_deadline
            .or(env.shutdown_deadline)
            .or(file.shutdown_deadline)
        {
            None => specstar::http::DEFAULT_SHUTDOWN_DEADLINE,
            Some(text) => crate::retention_policy::duration(&text)
                .map_err(|why| anyhow::anyhow!("the shutdown deadline {why}"))?,
        };
        let metrics = match flags.metrics {
            Some(on) => on,
            None => env_flag("SPECSTAR_METRICS")?
                .or(file.metrics)
                .unwrap_or(true),
        };
        let admin_ui = match flags.admin_ui {
            Some(on) => on,
            None => env_flag("SPECSTAR_ADMIN_UI")?
                .or(file.admin_ui)
                .unwrap_or(true),
        };

        Ok(Self {
            models: flags.models.or(env.models).or(file.models),
            store,
            addr,
            prune_every,
            shutdown_deadline,
            auth,
            admin_ui,
            metrics,
            limits,
        })
    }

    /// The models directory, or an error saying how to give one.
    pub(crate) fn models_dir(&self) -> anyhow::Result<&Path> {
        self.models.as_deref().context(
            "no models directory: pass --models DIR (or set SPECSTAR_MODELS, or `models` in specstar.toml)",
        )
    }

    /// The store, the default data directory when nothing named one.
    pub(crate) fn store_or_default(&self) -> StoreChoice {
        self.store
            .clone()
            .unwrap_or_else(|| StoreChoice::DataDir(DEFAULT_DATA_DIR.into()))
    }
}

/// The settings file's layer: `--config FILE` (which must exist), else `specstar.toml` if
/// present. Relative paths in it are relative to the file's directory.
fn file_layer(given: Option<&Path>) -> anyhow::Result<Layer> {
    let path = match given {
        Some(path) => path.to_owned(),
        None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(Layer::default()),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    let mut layer: Layer = toml::from_str(&text).with_context(|| {
        format!(
            "the settings file {} is not valid (keys: models, data_dir, database_url, \
             database_schema, addr, prune_every, shutdown_deadline, admin_ui, metrics, max_concurrent_requests, \
             request_timeout, header_read_timeout, max_event_streams, listen_backlog, auth_jwt_secret_file, auth_jwt_public_key, auth_jwks_file, \
             auth_jwt_issuer, auth_jwt_audience, auth_user_claim, auth_roles_claim)",
            path.display()
        )
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    for dir in [
        &mut layer.models,
        &mut layer.data_dir,
        &mut layer.auth_jwt_secret_file,
        &mut layer.auth_jwt_public_key,
        &mut layer.auth_jwks_file,
    ]
    .into_iter()
    .flatten()
    {
        if dir.is_relative() {
            *dir = base.join(&*dir);
        }
    }
    Ok(layer)
}

impl ServeLimits {
    /// The limits the flags, the environment (`SPECSTAR_MAX_CONCURRENT_REQUESTS`,
    /// `SPECSTAR_REQUEST_TIMEOUT`, `SPECSTAR_HEADER_READ_TIMEOUT`, `SPECSTAR_MAX_EVENT_STREAMS`,
    /// `SPECSTAR_LISTEN_BACKLOG`) and the file say, in that order, else the defaults.
    fn merge(flags: &Layer, file: &Layer) -> anyhow::Result<Self> {
        use specstar::http::{
            DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_EVENT_STREAMS,
            DEFAULT_REQUEST_TIMEOUT,
        };
        let duration =
            |flag: &Option<String>, var: &str, file: &Option<String>, default, what| match flag
                .clone()
                .or(env_value::<String>(var)?)
                .or(file.clone())
            {
                None => Ok(default),
                Some(text) => crate::retention_policy::duration(&text)
                    .map_err(|why| anyhow::anyhow!("the {what} {why}")),
            };
        let timeout = duration(
            &flags.request_timeout,
            "SPECSTAR_REQUEST_TIMEOUT",
            &file.request_timeout,
            DEFAULT_REQUEST_TIMEOUT,
            "request timeout",
        )?;
        let header_read_timeout = duration(
            &flags.header_read_timeout,
            "SPECSTAR_HEADER_READ_TIMEOUT",
            &file.header_read_timeout,
            specstar::http::DEFAULT_HEADER_READ_TIMEOUT,
            "header read timeout",
        )?;
        Ok(Self {
            max_concurrent_requests: flags
                .max_concurrent_requests
                .or(env_value("SPECSTAR_MAX_CONCURRENT_REQUESTS")?)
                .or(file.max_concurrent_requests)
                .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS),
            request_timeout: timeout,
            header_read_timeout,
            max_event_streams: flags
                .max_event_streams
                .or(env_value("SPECSTAR_MAX_EVENT_STREAMS")?)
                .or(file.max_event_streams)
                .unwrap_or(DEFAULT_MAX_EVENT_STREAMS),
            listen_backlog: flags
                .listen_backlog
                .or(env_value("SPECSTAR_LISTEN_BACKLOG")?)
                .or(file.listen_backlog)
                .unwrap_or(DEFAULT_LISTEN_BACKLOG),
        })
    }
}

/// A setting of the environment parsed as `T`; unset or empty is `None`.
fn env_value<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    let Some(text) = std::env::var(name).ok().filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match text.trim().parse() {
        Ok(value) => Ok(Some(value)),
        Err(_) => bail!("{name}={text:?} is not a valid value"),
    }
}

/// A boolean setting of the environment: `true`/`false` (or `1`/`0`, `yes`/`no`); unset or
/// empty is `None`.
fn env_flag(name: &str) -> anyhow::Result<Option<bool>> {
    let Some(text) = std::env::var(name).ok().filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(Some(true)),
        "false" | "0" | "no" => Ok(Some(false)),
        _ => bail!("{name}={text:?}: expected true or false"),
    }
}

/// `SPECSTAR_MODELS`, `SPECSTAR_DATA_DIR`, `SPECSTAR_DATABASE_URL`, `SPECSTAR_ADDR`,
/// `SPECSTAR_PRUNE_EVERY`, `SPECSTAR_SHUTDOWN_DEADLINE` (empty values count as unset).
fn env_layer() -> Layer {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Layer {
        models: var("SPECSTAR_MODELS").map(PathBuf::from),
        data_dir: var("SPECSTAR_DATA_DIR").map(PathBuf::from),
        database_url: var(specstar::DATABASE_URL_VAR),
        database_schema: var("SPECSTAR_DATABASE_SCHEMA"),
        addr: var("SPECSTAR_ADDR"),
        prune_every: var("SPECSTAR_PRUNE_EVERY"),
        shutdown_deadline: var("SPECSTAR_SHUTDOWN_DEADLINE"),
        // Read with their checks where the settings merge (`env_flag`, `env_value`).
        admin_ui: None,
        metrics: None,
        max_concurrent_requests: None,
        request_timeout: None,
        header_read_timeout: None,
        max_event_streams: None,
        listen_backlog: None,
        auth_jwt_secret_file: var("SPECSTAR_AUTH_JWT_SECRET_FILE").map(PathBuf::from),
        auth_jwt_public_key: var("SPECSTAR_AUTH_JWT_PUBLIC_KEY").map(PathBuf::from),
        auth_jwks_file: var("SPECSTAR_AUTH_JWKS_FILE").map(PathBuf::from),
        auth_jwt_issuer: var("SPECSTAR_AUTH_JWT_ISSUER"),
        auth_jwt_audience: var("SPECSTAR_AUTH_JWT_AUDIENCE"),
        auth_user_claim: var("SPECSTAR_AUTH_USER_CLAIM"),
        auth_roles_claim: var("SPECSTAR_AUTH_ROLES_CLAIM"),
    }
}

fn flag_layer(command: &Command) -> Layer {
    let store = |args: &StoreArgs| {
        (
            args.data_dir.clone(),
            args.database_url.clone(),
            args.database_schema.clone(),
        )
    };
    let (prune_every, shutdown_deadline, auth, admin_ui) = match command {
        Command::Serve(args) => (
            args.prune_every.clone(),
            args.shutdown_deadline.clone(),
            Some(&args.auth),
            args.no_admin_ui.then_some(false),
        ),
        _ => (None, None, None, None),
    };
    let metrics = match command {
        Command::Serve(args) => args.no_metrics.then_some(false),
        _ => None,
    };
    let limits = match command {
        Command::Serve(args) => Some(&args.limits),
        _ => None,
    };
    let (models, (data_dir, database_url, database_schema), addr) = match command {
        Command::Serve(args) => (
            args.models.models.clone(),
            store(&args.store),
            args.addr.map(|a| a.to_string()),
        ),
        Command::Check(args) | Command::Migrate(args) | Command::Prune(args) => {
            (args.models.models.clone(), store(&args.store), None)
        }
        Command::Openapi(args) => (args.models.clone(), (None, None, None), None),
        Command::Verify(args) | Command::Stats(args) => (None, store(args), None),
        Command::Export(args) => (args.models.clone(), store(&args.store), None),
        Command::Import(args) => (args.models.clone(), store(&args.store), None),
    };
    Layer {
        models,
        data_dir,
        database_url,
        database_schema,
        addr,
        prune_every,
        shutdown_deadline,
        admin_ui,
        metrics,
        max_concurrent_requests: limits.and_then(|l| l.max_concurrent_requests),
        request_timeout: limits.and_then(|l| l.request_timeout.clone()),
        header_read_timeout: limits.and_then(|l| l.header_read_timeout.clone()),
        max_event_streams: limits.and_then(|l| l.max_event_streams),
        listen_backlog: limits.and_then(|l| l.listen_backlog),
        auth_jwt_secret_file: auth.and_then(|a| a.auth_jwt_secret_file.clone()),
        auth_jwt_public_key: auth.and_then(|a| a.auth_jwt_public_key.clone()),
        auth_jwks_file: auth.and_then(|a| a.auth_jwks_file.clone()),
        auth_jwt_issuer: auth.and_then(|a| a.auth_jwt_issuer.clone()),
        auth_jwt_audience: auth.and_then(|a| a.auth_jwt_audience.clone()),
        auth_user_claim: auth.and_then(|a| a.auth_user_claim.clone()),
        auth_roles_claim: auth.and_then(|a| a.auth_roles_claim.clone()),
    }
}

/// A database URL without its password, for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("not a url"), "not a url");
    }

    #[test]
    fn a_layer_naming_two_stores_is_refused() {
        let layer = Layer {
            data_dir: Some("d".into()),
            database_url: Some("postgres://h/db".into()),
            ..Layer::default()
        };
        let error = layer.store("the settings file").unwrap_err().to_string();
        assert!(error.contains("the settings file names both"), "{error}");
    }
}
