//! Resource managers: the API users write against.
//!
//! [`DynResourceManager`] works on JSON values and bytes, so a model known only at run time (or
//! the HTTP layer, which sees JSON) uses the same code paths as Rust code. [`ResourceManager`]
//! is the typed layer over it: the user's struct in, the user's struct out.

mod dynamic;
mod migrate;
mod retention;
mod scope;
mod typed;

pub use dynamic::{DataPatch, DynResource, DynResourceManager, ITER_BATCH};
pub use migrate::{MigrationProgress, MigrationReport};
pub use retention::PruneReport;
pub use scope::OUT_OF_SCOPE;
pub use typed::{Resource, ResourceManager};
