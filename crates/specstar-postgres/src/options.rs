//! How a [`PostgresStore`](crate::PostgresStore) connects: a URL, a schema and the pool's
//! size and timeouts.
//!
//! The schema is set as each pooled connection's `search_path` in the startup packet
//! (`options=-c search_path=…`), so every statement on every connection resolves the store's
//! tables in it at no extra round trip, and several stores (or test runs) share one database
//! in separate schemas without seeing each other.

use std::time::Duration;

use specstar_core::{Error, Result};

use crate::error::PostgresError;
use crate::tls::SslMode;

/// The environment variable [`PostgresOptions::from_env`] reads the database URL from.
pub const DATABASE_URL_VAR: &str = "SPECSTAR_DATABASE_URL";

/// The schema used unless one is chosen.
pub const DEFAULT_SCHEMA: &str = "public";

/// How a [`PostgresStore`](crate::PostgresStore) connects and pools connections. Build it
/// from a URL and the setters.
///
/// ```
/// use std::time::Duration;
/// use specstar_postgres::PostgresOptions;
///
/// let options = PostgresOptions::new("postgres://app@db.internal:5432/issues")?
///     .schema("tracker")?
///     .pool_size(32)
///     .wait_timeout(Duration::from_secs(5));
/// assert_eq!(options.schema_name(), "tracker");
/// # Ok::<(), specstar_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) schema: String,
    pub(crate) pool_size: usize,
    pub(crate) wait_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) synchronous_commit: bool,
    pub(crate) tls: crate::tls::TlsSettings,
}

impl PostgresOptions {
    /// Options for the database at `url`: a `postgres://user:password@host:port/db?…` URL or a
    /// `host=… user=… dbname=…` string, as libpq takes them. The schema is `public`, the pool
    /// holds up to 16 connections.
    ///
    /// # Errors
    /// [`PostgresError::InvalidUrl`] when the URL does not parse.
    pub fn new(url: &str) -> Result<Self> {
        let (url, tls) = crate::tls::split(url)
            .map_err(|reason| Error::store(PostgresError::InvalidUrl { reason }))?;
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| {
                Error::store(PostgresError::InvalidUrl {
                    reason: e.to_string(),
                })
            })?;
        config.ssl_mode(tls.mode.negotiation());
        if config.get_application_name().is_none() {
            config.application_name("specstar");
        }
        Ok(Self {
            config,
            schema: DEFAULT_SCHEMA.to_owned(),
            pool_size: 16,
            wait_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            synchronous_commit: true,
            tls,
        })
    }

    /// Options for the database named by the `SPECSTAR_DATABASE_URL` environment variable.
    ///
    /// # Errors
    /// [`PostgresError::MissingUrl`] when it is unset or empty; as [`new`](Self::new).
    pub fn from_env() -> Result<Self> {
        match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Self::new(url.trim()),
            _ => Err(Error::store(PostgresError::MissingUrl {
                variable: DATABASE_URL_VAR,
            })),
        }
    }

    /// Keeps the store's tables in schema `name` (created at start-up if missing); default
    /// `public`.
    ///
    /// # Errors
    /// [`PostgresError::InvalidSchemaName`] unless `name` is 1 to 63 lowercase ASCII letters,
    /// digits and `_`, not starting with a digit.
    pub fn schema(mut self, name: &str) -> Result<Self> {
        check_schema_name(name)?;
        self.schema = name.to_owned();
        Ok(self)
    }

    /// The most connections the pool opens at once; default 16. Each concurrent write or
    /// read holds one for its round trips; callers beyond that wait for a free one.
    #[must_use]
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.pool_size = connections.max(1);
        self
    }

    /// How long a caller waits for a free connection before failing; default 30 s.
    #[must_use]
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// How long opening one connection may take; default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether a write returns only once its commit is flushed to the server's disk
    /// (PostgreSQL's `synchronous_commit`); default `true`, and say `false` only knowingly.
    ///
    /// With `false` the server acknowledges a commit before flushing it: a server crash can
    /// lose the writes of the last moments (up to three times `wal_writer_delay`, 600 ms by
    /// default) although they were acknowledged. It never corrupts, splits a write or
    /// reorders commits: what survives is a prefix of the commit order, so sequence numbers
    /// stay gapless for a change feed. In exchange a write costs no disk flush, several times
    /// faster for one caller.
    #[must_use]
    pub fn synchronous_commit(mut self, durable: bool) -> Self {
        self.synchronous_commit = durable;
        self
    }

    /// The schema the store's tables are in.
    pub fn schema_name(&self) -> &str {
        &self.schema
    }

    /// The connection settings, with the schema as `search_path` added to any `options` the
    /// URL had.
    /// The same options connecting with TLS as `mode` says (see [`SslMode`]); the URL's
    /// `sslmode` otherwise, `prefer` by default.
    #[must_use]
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.tls.mode = mode;
        self.config.ssl_mode(mode.negotiation());
        self
    }

    /// The same options trusting the roots of the PEM file `path` (the URL's `sslrootcert`)
    /// instead of the system's.
    #[must_use]
    pub fn ssl_root_cert(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls.root_cert = Some(path.into());
        self
    }

    /// How connections use TLS.
    pub fn ssl_mode_in_use(&self) -> SslMode {
        self.tls.mode
    }

    /// The TLS connector of these options.
    ///
    /// # Errors
    /// [`PostgresError::Tls`] when the roots cannot be read, or there are none to verify with.
    pub(crate) fn tls_connector(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
        crate::tls::connector(&self.tls)
            .map_err(|reason| Error::store(PostgresError::Tls { reason }))
    }

    pub(crate) fn connection_config(&self) -> tokio_postgres::Config {
        let mut config = self.config.clone();
        let mut search_path = format!("-c search_path={}", self.schema);
        if !self.synchronous_commit {
            search_path.push_str(" -c synchronous_commit=off");
        }
        let options = match config.get_options() {
            Some(existing) if !existing.trim().is_empty() => format!("{existing} {search_path}"),
            _ => search_path,
        };
        config.options(&options);
        config.connect_timeout(self.connect_timeout);
        config
    }
}

/// Checks that a schema name is a plain lowercase identifier, safe to write into SQL and a
/// `search_path` without quoting.
pub(crate) fn check_schema_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if first_ok && rest_ok && name.len() <= 63 {
        Ok(())
    } else {
        Err(Error::store(PostgresError::InvalidSchemaName {
            name: name.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["public", "_x", "specstar_test_0193abc", "a1"] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "1a",
            "Public",
            "a-b",
            "a;drop",
            "a b",
            "\"x\"",
            long.as_str(),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_schema_joins_the_urls_options() {
        let options = PostgresOptions::new("postgres://u@localhost/db?options=-c%20work_mem%3D8MB")
            .expect("parses")
            .schema("s1")
            .expect("a good name");
        let config = options.connection_config();
        assert_eq!(
            config.get_options(),
            Some("-c work_mem=8MB -c search_path=s1")
        );
        assert_eq!(config.get_application_name(), Some("specstar"));
        assert!(PostgresOptions::new("postgres://u@h:notaport/db").is_err());
    }
}
