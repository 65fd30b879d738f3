//! placeholder
pub use specstar_core::*;
