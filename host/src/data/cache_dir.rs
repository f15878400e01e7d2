//! The cache folder over time: who is using it, and clearing out what no run needs.
//!
//! Every `run` and `exits` holds a shared lock ([`CacheGuard`], an advisory `flock` on
//! [`LOCK_FILE`], released by the kernel however the process ends) while it builds
//! and reads cache files. When it has finished successfully it lets go and tries to
//! take the lock exclusively, without waiting: it gets it only when no other process
//! is using the folder, and then deletes ([`prune_cache`]) the cache files this run
//! did not use and the temporaries of killed builds. So a cache folder keeps the
//! data sets of its last run (and of any run still using it); a data set whose
//! files changed leaves its old cache file behind only until the next successful
//! run. Only names the program itself creates are touched: `SYMBOL-TF-<16 hex>.bars`
//! and `.SYMBOL-TF-<16 hex>.bars.<pid>-<n>.tmp`, regular files at the top of the
//! folder (never subfolders such as `embedded/`, never other files).

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cache::CachedSeries;
use super::naming::parse_timeframe;

/// Lock file in the cache folder; it stays behind, harmlessly.
pub const LOCK_FILE: &str = ".phasebound-cache.lock";

/// How long a run waits for another run's clean-up of the folder (milliseconds).
const WAIT_MS: u64 = 30_000;

/// A shared hold on a cache folder (see the module docs).
#[derive(Debug)]
pub struct CacheGuard {
    dir: PathBuf,
    /// `None` when the lock file cannot be created (a read-only cache folder, whose
    /// files can still be reused): then nothing is ever pruned.
    lock: Option<File>,
}

impl CacheGuard {
    /// Creates the folder if missing and takes the shared lock, waiting at most 30 s
    /// for another process's clean-up (which takes milliseconds) to end.
    ///
    /// # Errors
    /// I/O errors on the folder or its lock file; `TimedOut` when the lock stays taken.
    pub fn begin(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = dir.join(LOCK_FILE);
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .or_else(|_| File::open(&path));
        let Ok(lock) = opened else {
            return Ok(Self {
                dir: dir.to_path_buf(),
                lock: None,
            });
        };
        let started = Instant::now();
        loop {
            match lock.try_lock_shared() {
                Ok(()) => break,
                Err(TryLockError::Error(e)) => return Err(e),
                Err(TryLockError::WouldBlock) => {
                    if started.elapsed() > Duration::from_millis(WAIT_MS) {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "another phasebound process has held the cache folder's lock \
                             exclusively for over 30 s",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            lock: Some(lock),
        })
    }

    /// Ends the use of the folder after a successful run that used `keep`: when no
    /// other process uses the folder, deletes what [`prune_cache`] deletes. Returns the
    /// files deleted (none when another process holds the lock). Errors of the
    /// clean-up are ignored: it is housekeeping, and the next run tries again.
    pub fn finish(self, keep: &[CachedSeries]) -> Vec<PathBuf> {
        let Some(lock) = &self.lock else {
            return Vec::new();
        };
        if lock.unlock().is_err() {
            return Vec::new();
        }
        match lock.try_lock() {
            Ok(()) => prune_cache(&self.dir, keep),
            Err(_) => Vec::new(),
        }
    }
}

/// Whether `name` is a cache file name of the program: `SYMBOL-TF-<16 hex>.bars`.
fn is_cache_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".bars") else {
        return false;
    };
    let mut parts = stem.rsplitn(3, '-');
    let (Some(hash), Some(tf), Some(symbol)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() == 16
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && parse_timeframe(tf).is_some()
        && !symbol.is_empty()
        && symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `name` is a temporary of a cache build: `.<cache name>.<pid>-<n>.tmp`.
fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((cache, counter)) = rest.rsplit_once('.') else {
        return false;
    };
    let Some((pid, n)) = counter.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(pid) && digits(n) && is_cache_name(cache)
}

/// Deletes from `dir` every cache file not among `keep` and every temporary of a
/// cache build (see the module docs for the names). Call it only while no other
/// process uses the folder ([`CacheGuard::finish`] does). Returns what was deleted.
pub fn prune_cache(dir: &Path, keep: &[CachedSeries]) -> Vec<PathBuf> {
    let keep: HashSet<OsString> = keep
        .iter()
        .filter_map(|s| s.path.file_name().map(ToOwned::to_owned))
        .collect();
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut deleted = Vec::new();
    for entry in entries.flatten() {
        let os_name = entry.file_name();
        let Some(name) = os_name.to_str() else {
            continue;
        };
        let ours = (is_cache_name(name) && !keep.contains(&os_name)) || is_temp_name(name);
        // `file_type` does not follow links: a link under our name is not ours.
        if ours
            && entry.file_type().is_ok_and(|t| t.is_file())
            && fs::remove_file(entry.path()).is_ok()
        {
            deleted.push(entry.path());
        }
    }
    deleted.sort();
    deleted
}

#[cfg(test)]
mod tests {
    use super::{is_cache_name, is_temp_name};

    #[test]
    fn names() {
        assert!(is_cache_name("BTCUSDT-15m-0123456789abcdef.bars"));
        assert!(is_cache_name("BTC_USDT-1d-0123456789abcdef.bars"));
        assert!(!is_cache_name("BTCUSDT-15m-0123456789abcde.bars"));
        assert!(!is_cache_name("BTCUSDT-15m-0123456789ABCDEF.bars"));
        assert!(!is_cache_name("BTCUSDT-7m-0123456789abcdef.bars"));
        assert!(!is_cache_name("-15m-0123456789abcdef.bars"));
        assert!(!is_cache_name("BTC.USDT-15m-0123456789abcdef.bars"));
        assert!(!is_cache_name("notes.txt"));
        assert!(is_temp_name(".BTCUSDT-15m-0123456789abcdef.bars.123-0.tmp"));
        assert!(!is_temp_name(".BTCUSDT-15m-0123456789abcdef.bars.x-0.tmp"));
        assert!(!is_temp_name(".notes.123-0.tmp"));
    }
}
