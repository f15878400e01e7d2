//! The targets whose unit tests are switched off (`test = false` in their Cargo.toml, so
//! `cargo test` does not build an empty test binary for them) hold no unit tests: one
//! added there would never run. Core's library (its tests are `core/tests/core/`), the
//! host's binary (`host/src/main.rs`; its tests are this binary) and the helper library
//! of the cross-crate tests (`tests/src/`).

use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn targets_without_a_test_harness_hold_no_unit_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = rust_files(&root.join("core/src"));
    files.extend(rust_files(&root.join("tests/src")));
    files.push(root.join("host/src/main.rs"));
    let with_tests: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            text.contains("#[test]") || text.contains("#[cfg(test)]")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        with_tests.is_empty(),
        "unit tests in a target built with `test = false`, so they would never run: \
         {with_tests:?}; move them to the crate's integration tests, or set `test = true`"
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
