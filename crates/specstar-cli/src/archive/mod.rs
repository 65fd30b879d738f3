//! Archives that `specstar import` reads.
//!
//! `acbak` reads the `.acbak` backups of the Python reference (specstar 0.12.3's `spec.dump`).

#[allow(dead_code, reason = "read by `specstar import`, being built")]
pub(crate) mod acbak;
