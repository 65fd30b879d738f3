//! Archives: `native` is specstar's own (what `specstar export` writes), `acbak` reads the
//! `.acbak` backups of the Python reference (specstar 0.12.3's `spec.dump`), and `source`
//! opens either for `specstar import`.

pub(crate) mod acbak;
pub(crate) mod native;
pub(crate) mod source;
