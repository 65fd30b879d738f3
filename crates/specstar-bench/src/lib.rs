//! The benchmarks of specstar: the versioning workload of `bench/workload.md` on every store,
//! the Issue model served over HTTP for load tests, the scale runs, the disk's fsync rate and
//! the machine's other limits (raw SQLite, PostgreSQL and HTTP baselines).
//!
//! A tool, not a library for users: `bench/compare.sh` runs its binaries beside the Python
//! reference and prints the ratios; BENCHMARKS.md records the figures.

pub mod baselines;
pub mod fsync;
pub mod phases;
pub mod scale;
pub mod store;
pub mod system;
pub mod workload;
