//! Fuzz targets of phasebound (a cargo-fuzz project outside the workspace): the entry
//! points live in [`entries`], shared with the stable replay test of `fuzz/corpus/`.

pub mod entries;
