//! Atomic outputs: the live bot only ever reads a complete `params.json`, and
//! `report.json`/`params.json`/`run.json` change together, as one commit.
//!
//! A run writes each file to a temporary sibling (`<name>.phasebound-tmp`) and syncs it;
//! once all are complete it writes a commit marker ([`COMMIT_MARKER`], itself atomic)
//! listing them, renames every temporary over its target, syncs the folder and removes
//! the marker. A run killed before the marker leaves the old files as they were (stale
//! temporaries are simply overwritten later). A run killed between the renames — a window
//! of microseconds — can leave the new `report.json` beside the old `params.json`: each
//! file is still complete, the report's `run.params_sha256` does not match, and the
//! marker says the commit is unfinished; the next run's [`recover`] completes it (roll
//! forward) before anything else, so the folder returns to one consistent generation.
//!
//! [`lock`] keeps two runs (`run` or `exits`) from sharing an output folder: the lock is
//! an advisory `flock` on [`LOCK_FILE`], released by the kernel when its holder exits
//! however it exits, so a lock file left by a killed run never blocks the next one.
//! [`OutputLock::verify`] checks, just before the commit, that the folder is still the
//! one locked (not deleted or replaced during the run).
//!
//! The temporaries of a commit have fixed names (the marker and [`recover`] rely on them;
//! the lock keeps them to one writer). A single file written by [`write_atomic`] uses a
//! name unique to the process and the write (`<name>.<pid>-<n>.phasebound-tmp`), so two
//! writers of one target never share a temporary; [`sweep`] removes the ones a killed
//! run left behind.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Suffix of temporary files (ignored and replaced by later runs).
pub const TEMP_SUFFIX: &str = ".phasebound-tmp";

/// File in the output folder that marks a commit in progress: one target file name per
/// line. Present only between the first and the last rename of [`write_all_atomic`], or
/// after a run was killed in that window.
pub const COMMIT_MARKER: &str = ".phasebound-commit";

/// Lock file in the output folder (see [`lock`]); it may stay behind, harmlessly.
pub const LOCK_FILE: &str = ".phasebound.lock";

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

/// A temporary path for `target` unique to this process and call:
/// `<name>.<pid>-<n>.phasebound-tmp`.
#[must_use]
pub fn unique_temp_path(target: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}-{n}{TEMP_SUFFIX}", std::process::id()));
    target.with_file_name(name)
}

/// Removes the temporaries of single-file writes ([`unique_temp_path`]) that a killed
/// run left in `dir`. Call it with the [`lock`] held (no other writer can be using them)
/// and after [`recover`]. Best effort.
pub fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(stem) = name.strip_suffix(TEMP_SUFFIX) else {
            continue;
        };
        // `<name>.<pid>-<n>`: a unique temporary (commit temporaries have no `-<n>`).
        let unique = stem.rsplit_once('.').is_some_and(|(_, tag)| {
            tag.split_once('-').is_some_and(|(pid, n)| {
                !pid.is_empty()
                    && !n.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
                    && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
        if unique && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to `target` atomically (a temporary unique to this write, fsync,
/// rename, fsync of the folder).
///
/// # Errors
/// Any I/O error; `target` is then unchanged.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = unique_temp_path(target);
    let result = (|| {
        write_synced(&tmp, bytes)?;
        fs::rename(&tmp, target)?;
        sync_dir(folder_of(target));
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes several files of one folder as one commit (see the module docs): a failure
/// or a kill before the commit marker leaves all targets unchanged; after it, the
/// commit completes, now or in the next run's [`recover`].
///
/// # Errors
/// Any I/O error; `InvalidInput` when the targets are not in one folder.
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>)]) -> io::Result<()> {
    write_all_atomic_with(files, &[])
}

/// [`write_all_atomic`], with `streamed` targets in the same commit whose temporaries
/// ([`temp_path`]) the caller already wrote and synced (files too large to hold in
/// memory, such as `trades.csv`). They are committed first and removed on failure.
///
/// # Errors
/// As [`write_all_atomic`].
pub fn write_all_atomic_with(files: &[(PathBuf, Vec<u8>)], streamed: &[PathBuf]) -> io::Result<()> {
    let Some((first, _)) = files.first() else {
        return Ok(());
    };
    let dir = folder_of(first);
    let mut names = String::new();
    let remove_streamed = || {
        for t in streamed {
            let _ = fs::remove_file(temp_path(t));
        }
    };
    // The commit order: streamed files first, then `files` in their order.
    for target in streamed.iter().chain(files.iter().map(|(t, _)| t)) {
        match target.file_name() {
            Some(name) if folder_of(target) == dir => {
                names.push_str(&name.to_string_lossy());
                names.push('\n');
            }
            _ => {
                remove_streamed();
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the files of one commit must share one folder",
                ));
            }
        }
    }
    for (i, (target, bytes)) in files.iter().enumerate() {
        if let Err(e) = write_synced(&temp_path(target), bytes) {
            for (t, _) in files.iter().take(i + 1) {
                let _ = fs::remove_file(temp_path(t));
            }
            remove_streamed();
            return Err(e);
        }
    }
    // The commit point: from here on the new generation wins, even across a kill.
    write_atomic(&dir.join(COMMIT_MARKER), names.as_bytes())?;
    for target in streamed.iter().chain(files.iter().map(|(t, _)| t)) {
        fs::rename(temp_path(target), target)?;
    }
    sync_dir(dir);
    fs::remove_file(dir.join(COMMIT_MARKER))
}

/// Finishes a commit that a killed run left half done in `dir`: renames every
/// temporary the marker lists that still exists over its target, then removes the
/// marker. Returns whether there was anything to finish. Call it with the [`lock`] held
/// and before writing any temporary file.
///
/// # Errors
/// I/O errors; `InvalidData` for a marker that names anything but plain file names.
pub fn recover(dir: &Path) -> io::Result<bool> {
    let marker = dir.join(COMMIT_MARKER);
    let text = match fs::read_to_string(&marker) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for name in text.lines() {
        let plain = Path::new(name).file_name().is_some_and(|n| n == name);
        if !plain {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: '{name}' is not a file name", marker.display()),
            ));
        }
        let target = dir.join(name);
        match fs::rename(temp_path(&target), &target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {} // renamed before the kill
            Err(e) => return Err(e),
        }
    }
    sync_dir(dir);
    fs::remove_file(&marker)?;
    Ok(true)
}

/// An exclusive lock on an output folder, held until dropped (or the process ends).
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Checks that the locked folder is still there and still the one locked: its
    /// [`LOCK_FILE`] is the file this lock holds. Call it just before committing, so a
    /// folder deleted (or replaced) during the run is an error, not silently recreated.
    ///
    /// # Errors
    /// `NotFound` (deleted) or `Other` (replaced), with an explanation.
    pub fn verify(&self) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        let held = self.file.metadata()?;
        let gone = |what: &str| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("the output folder was {what} during the run; nothing was written"),
            )
        };
        match fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) == (held.dev(), held.ino()) => Ok(()),
            Ok(_) => Err(gone("replaced")),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Err(gone("deleted"))
            }
            Err(e) => Err(e),
        }
    }
}

/// Takes the lock of output folder `dir` (created if missing) without waiting.
///
/// # Errors
/// `WouldBlock` with an explanation when another process holds it; `NotADirectory` when
/// `dir` is an existing file (or under one); other I/O errors.
pub fn lock(dir: &Path) -> io::Result<OutputLock> {
    if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "is a file, not a folder",
        ));
    }
    fs::create_dir_all(dir)?;
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(OutputLock { file, path }),
        Err(TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "another phasebound run is writing to this output folder (it holds {LOCK_FILE}); \
                 wait for it to finish or choose another --out"
            ),
        )),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn folder_of(target: &Path) -> &Path {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Makes a rename in `dir` durable (best effort: not every file system lets a folder be
/// opened and synced).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
