//! Archives: `native` is specstar's own (what `specstar export` writes), `acbak` reads the
//! `.acbak` backups of the Python reference (specstar 0.12.3's `spec.dump`), for
//! `specstar import`.

#[allow(dead_code, reason = "read by `specstar import`, being built")]
pub(crate) mod acbak;
pub(crate) mod native;
