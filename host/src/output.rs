//! Atomic outputs: every file is written to a temporary sibling, synced, then renamed
//! over the target, so the live bot only ever reads a complete `params.json` — the
//! previous one or the new one, never a mix. A run that fails leaves the old files as
//! they were; a stale temporary file from a killed run is simply overwritten.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Suffix of temporary files (ignored and replaced by later runs).
pub const TEMP_SUFFIX: &str = ".phasebound-tmp";

/// The temporary path used while writing `target`.
#[must_use]
pub fn temp_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(TEMP_SUFFIX);
    target.with_file_name(name)
}

/// Writes `bytes` to `target` atomically (temp file, fsync, rename, fsync of the folder).
///
/// # Errors
/// Any I/O error; `target` is then unchanged.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(target);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, target)?;
        if let Some(dir) = target.parent() {
            // Make the rename itself durable; not all file systems allow opening a dir.
            if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes several files so that each is atomic, renaming them only after every one was
/// written completely: a failure while writing any of them leaves all targets unchanged.
///
/// # Errors
/// Any I/O error.
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>)]) -> io::Result<()> {
    let mut written: Vec<&Path> = Vec::new();
    for (target, bytes) in files {
        let tmp = temp_path(target);
        let r = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        if let Err(e) = r {
            let _ = fs::remove_file(&tmp);
            for t in &written {
                let _ = fs::remove_file(temp_path(t));
            }
            return Err(e);
        }
        written.push(target);
    }
    for (target, _) in files {
        fs::rename(temp_path(target), target)?;
    }
    if let Some((first, _)) = files.first() {
        sync_dir(first);
    }
    Ok(())
}

/// Makes a rename in `target`'s folder durable (best effort: not every file system lets
/// a folder be opened and synced).
fn sync_dir(target: &Path) {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
