//! The store's own failures, carried inside [`specstar_core::Error::Store`].
//!
//! PostgreSQL's errors travel as they are ([`tokio_postgres::Error`], whose
//! [`as_db_error`](tokio_postgres::Error::as_db_error) gives the server's code and message);
//! this enum names what goes wrong around them: a bad URL or schema name, a pool that cannot
//! hand out a connection, a database laid out by a newer version. Callers find it with
//! `error.source()?.downcast_ref::<PostgresError>()`.

use deadpool_postgres::PoolError;

/// What can go wrong in the PostgreSQL store besides PostgreSQL's own errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// No database URL was given: the environment variable is unset or empty.
    #[error("no database url: set {variable} to a url such as postgres://user@127.0.0.1:5432/db")]
    MissingUrl {
        /// The variable read.
        variable: &'static str,
    },
    /// The database URL (or `key=value` connection string) does not parse.
    #[error("invalid database url: {reason}")]
    InvalidUrl {
        /// The parser's message.
        reason: String,
    },
    /// TLS cannot be set up as the options ask: the roots cannot be read, or there are none.
    #[error("TLS to postgresql: {reason}")]
    Tls {
        /// What is wrong.
        reason: String,
    },
    /// The schema name cannot be used: the store writes it into SQL and into the connection's
    /// `search_path`, so it must be a plain lowercase identifier.
    #[error(
        "invalid schema name {name:?}: expected 1 to 63 lowercase ASCII letters, digits and \
         `_`, starting with a letter or `_`"
    )]
    InvalidSchemaName {
        /// The name given.
        name: String,
    },
    /// The pool could not hand out a connection (the server is down, refused the credentials,
    /// or every connection stayed busy past the wait timeout).
    #[error("cannot get a postgresql connection from the pool: {}", causes(.0))]
    Pool(#[from] PoolError),
    /// A connection of its own (an inspection) could not be made.
    #[error("cannot connect to postgresql: {}", causes(.0))]
    Connect(#[source] tokio_postgres::Error),
    /// The pool could not be built from the options.
    #[error("cannot build the postgresql connection pool: {reason}")]
    BuildPool {
        /// Why.
        reason: String,
    },
    /// The schema was laid out by a newer version of this crate, whose tables this version
    /// would misread.
    #[error(
        "the postgresql schema {schema:?} has layout version {found}, but this version of \
         specstar-postgres knows versions up to {supported}; upgrade specstar"
    )]
    SchemaTooNew {
        /// The schema.
        schema: String,
        /// Its layout version (the highest row of `specstar_migrations`).
        found: i32,
        /// The newest version this crate knows.
        supported: i32,
    },
    /// A write kept meeting concurrent writers (unique-key races, deadlocks, serialization
    /// failures) and gave up after retrying; nothing was written.
    #[error("a write of {resource_id} gave up after {attempts} attempts: {last}")]
    Contended {
        /// The resource written.
        resource_id: String,
        /// How many times it was tried.
        attempts: u32,
        /// The last reason it was retried.
        last: String,
    },
    /// An import's items stopped coming before their end (the caller failed or gave up):
    /// nothing of it was written.
    #[error("the import was abandoned before its last item; nothing of it was written")]
    ImportAbandoned,
    /// A write task stopped before it finished (it panicked, or the runtime shut down).
    #[error("a postgresql store task stopped before it finished: {0}")]
    TaskStopped(String),
}

/// An error and its causes, each after a colon: a failed TLS handshake says why (the
/// certificate's name, its issuer), not only that it failed.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}
