//! Helpers shared by the cross-crate tests: where the real data lives, and the SKIP rule.

use std::path::{Path, PathBuf};

/// The workspace root.
#[must_use]
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared/data` beside the workspace, if present; otherwise prints a SKIP line
/// naming `test` and returns `None`.
#[must_use]
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join("data");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: {test}: ../shared/data not found");
        None
    }
}
