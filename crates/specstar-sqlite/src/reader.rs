//! The read pool: a few read-only connections, used inline by the calling task.
//!
//! In WAL mode readers never wait for the writer (each reads the snapshot that was committed
//! when its statement began), so reads need not go through the writer thread. They run on the
//! caller's own thread, not on `spawn_blocking`: a read is a point lookup or a short index range
//! served from the page cache in microseconds, less than handing it to another thread and
//! waking the task again would cost. With as many connections as runtime threads, a reader
//! seldom waits for a free connection; when all are busy it waits for one in turn.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use specstar_core::{Error, Result};

/// Read-only connections to the store's file.
pub(crate) struct ReadPool {
    connections: Box<[Mutex<Connection>]>,
    /// Spreads waiters over the connections when all are busy.
    next: AtomicUsize,
}

impl ReadPool {
    /// Opens `size` (at least 1) read-only connections to `path`, which must exist in WAL mode.
    pub(crate) fn open(path: &Path, size: usize, busy_timeout: Duration) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connections = (0..size.max(1))
            .map(|_| {
                let conn = Connection::open_with_flags(path, flags).map_err(Error::store)?;
                conn.busy_timeout(busy_timeout).map_err(Error::store)?;
                // Plans that do not depend on bound values: SQLite otherwise prepares a
                // statement anew whenever a parameter it planned from changes (a value it
                // checked against a partial index's condition, or against stat4 samples),
                // which costs a search a third of its time. Search plans from statistics of
                // its own (see `access`).
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
                    .map_err(Error::store)?;
                conn.set_prepared_statement_cache_capacity(64);
                Ok(Mutex::new(conn))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            connections: connections.into_boxed_slice(),
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `read` on a free connection, or waits for one when all are busy.
    pub(crate) fn with<T>(&self, read: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // The first free one: under light load that is always the same, with a warm cache.
        for conn in self.connections.iter() {
            if let Some(mut conn) = conn.try_lock() {
                return read(&mut conn);
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        read(&mut self.connections[i].lock())
    }
}
