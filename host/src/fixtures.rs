//! The embedded default data: the seeded synthetic market of `fixtures/`, compiled into
//! the binary so that `phasebound run` works with no files at all.

use std::io;
use std::path::{Path, PathBuf};

/// The embedded files: name and contents.
pub const FILES: [(&str, &[u8]); 4] = [
    (
        "SYNBTCUSDT-15m.csv",
        include_bytes!("../../fixtures/SYNBTCUSDT-15m.csv"),
    ),
    (
        "SYNETHUSDT-15m.csv",
        include_bytes!("../../fixtures/SYNETHUSDT-15m.csv"),
    ),
    (
        "SYNSOLUSDT-15m.csv",
        include_bytes!("../../fixtures/SYNSOLUSDT-15m.csv"),
    ),
    (
        "SYNDOGEUSDT-15m.csv",
        include_bytes!("../../fixtures/SYNDOGEUSDT-15m.csv"),
    ),
];

/// Writes the embedded files into `dir` (unchanged files are left alone) and returns
/// `dir`, ready to be read like any user folder.
///
/// # Errors
/// I/O errors.
pub fn materialize(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        // Only a regular file of the right size is compared (a FIFO is never opened
        // for a blocking read); anything else is replaced.
        let same =
            crate::input::read_small_bytes(&path, bytes.len() as u64).is_ok_and(|old| old == bytes);
        if !same {
            crate::output::write_atomic(&path, bytes)?;
        }
    }
    Ok(dir.to_path_buf())
}
