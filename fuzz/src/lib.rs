//! The fuzz targets' entry points. They live with core's tests
//! (`core/tests/fuzz_entries/`), which replay the committed corpus on the stable
//! toolchain, so the published `cloudbase-core` crate's tests compile on their own;
//! this crate re-exports them for the cargo-fuzz binaries in `fuzz_targets/`.

#[path = "../../core/tests/fuzz_entries/mod.rs"]
mod entries;

pub use entries::*;
