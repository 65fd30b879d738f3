//! Which store a run uses: the one place that turns the command line into an `Arc<dyn Store>`.
//!
//! Every binary of this crate opens its store here, so that adding a store is one arm of
//! [`open_store`] and one variant of [`StoreKind`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use specstar::{DATABASE_FILE, MemoryStore, PostgresStore, SqliteStore, Store};

/// The stores a run can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// In memory: the cost of specstar itself, no I/O.
    Memory,
    /// The embedded store: one SQLite file, every write fsynced, group commit.
    Sqlite,
    /// PostgreSQL at `--database-url`.
    Postgres,
}

impl StoreKind {
    /// The name the JSON report gives the store.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The command-line options that choose and place the store.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreArgs {
    /// The store to run on.
    #[arg(long, value_enum, default_value = "memory")]
    pub store: StoreKind,
    /// Where a persistent store keeps its files (default: a fresh temporary directory, removed
    /// at exit). It must not already hold a database: the workload's checks count on an empty
    /// store.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The PostgreSQL database for `--store postgres`.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// An open store and the directory its files are in, if it has any.
pub struct OpenedStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The store's directory (kept alive while the store is, removed at drop when temporary).
    pub dir: Option<DataDir>,
}

/// The directory of a persistent store: either the caller's or a temporary one.
pub enum DataDir {
    /// Given with `--data-dir`; left in place.
    Given(PathBuf),
    /// Made for the run; removed when dropped.
    Temporary(tempfile::TempDir),
}

impl DataDir {
    /// The directory's path.
    pub fn path(&self) -> &Path {
        match self {
            Self::Given(path) => path,
            Self::Temporary(dir) => dir.path(),
        }
    }
}

/// Opens the store the options name.
///
/// # Errors
/// When the store cannot be opened, the data directory already holds a database, or
/// `--store postgres` has no `--database-url`.
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<OpenedStore> {
    match args.store {
        StoreKind::Memory => Ok(OpenedStore {
            store: Arc::new(MemoryStore::new()),
            dir: None,
        }),
        StoreKind::Sqlite => {
            let dir = data_dir(args.data_dir.as_deref())?;
            let file = dir.path().join(DATABASE_FILE);
            if file.exists() {
                bail!(
                    "the data directory already holds a database, {}: the workload needs an empty store",
                    file.display()
                );
            }
            let store = SqliteStore::open(&file)
                .with_context(|| format!("cannot open the sqlite store {}", file.display()))?;
            Ok(OpenedStore {
                store: Arc::new(store),
                dir: Some(dir),
            })
        }
        StoreKind::Postgres => {
            let Some(url) = args.database_url.as_deref() else {
                bail!("--store postgres needs --database-url (a database the run may fill)");
            };
            let store = PostgresStore::connect(url)
                .await
                .with_context(|| format!("cannot open the postgres store at {url}"))?;
            Ok(OpenedStore {
                store: Arc::new(store),
                dir: None,
            })
        }
    }
}

fn data_dir(given: Option<&Path>) -> anyhow::Result<DataDir> {
    match given {
        Some(path) => {
            std::fs::create_dir_all(path)
                .with_context(|| format!("cannot create the data directory {}", path.display()))?;
            Ok(DataDir::Given(path.to_owned()))
        }
        None => Ok(DataDir::Temporary(
            tempfile::Builder::new()
                .prefix("specstar-bench-")
                .tempdir()
                .context("cannot create a temporary data directory")?,
        )),
    }
}
