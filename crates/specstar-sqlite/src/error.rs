//! The store's own failures, carried inside [`specstar_core::Error::Store`].
//!
//! SQLite's errors travel as they are ([`rusqlite::Error`]); this enum names what goes wrong
//! around them: a directory that cannot be made, a file written by a newer version, a writer
//! that stopped, a batch whose commit failed. Callers find it with
//! `error.source()?.downcast_ref::<SqliteError>()`.

use std::path::PathBuf;

/// What can go wrong in the SQLite store besides SQLite's own errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// The directory that should hold the database file could not be created.
    #[error("cannot create directory {path:?} for the sqlite store: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why it could not be created.
        source: std::io::Error,
    },
    /// The file was written by a newer version of this crate, with a schema it does not know.
    #[error(
        "the sqlite store {path:?} has schema version {found}, but this version of \
         specstar-sqlite reads versions up to {supported}; upgrade specstar"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The file's schema version (`PRAGMA user_version`).
        found: i64,
        /// The newest version this crate knows.
        supported: i64,
    },
    /// SQLite refused to put the file in WAL mode (e.g. a filesystem without shared memory).
    #[error("the sqlite store {path:?} cannot use wal journal mode: sqlite kept {found:?}")]
    NotWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported instead of `wal`.
        found: String,
    },
    /// The writer thread could not be started.
    #[error("cannot start the writer thread of the sqlite store: {0}")]
    SpawnWriter(#[source] std::io::Error),
    /// The thread of an export could not be started.
    #[error("cannot start the export thread of the sqlite store: {0}")]
    SpawnExport(#[source] std::io::Error),
    /// The writer thread is gone (it panicked): no write can be made through this store any
    /// more. Open the file again.
    #[error("the writer thread of the sqlite store has stopped; reopen the store")]
    WriterStopped,
    /// The transaction of a batch of writes failed to commit: none of the batch was written.
    #[error("the commit of a batch of writes failed, none of them was written: {reason}")]
    CommitFailed {
        /// SQLite's message.
        reason: String,
    },
    /// An import's items stopped coming before their end (the caller's task failed or was
    /// dropped): nothing of it was written.
    #[error("the import was abandoned before its last item; nothing of it was written")]
    ImportAbandoned,
    /// SQLite rolled back the whole transaction of a batch after an error in one of its
    /// writes (a full disk, an I/O error): the writes before it in the batch were lost too.
    #[error("sqlite rolled back a batch of writes after an error in one of them: {reason}")]
    BatchRolledBack {
        /// The error that made SQLite roll back.
        reason: String,
    },
}
