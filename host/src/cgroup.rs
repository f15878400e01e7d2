//! The memory limit of the control group (container) this process runs in.
//!
//! A cgroup memory limit is enforced by the kernel's OOM killer: a run that needs more
//! is SIGKILLed mid-run, with no message. So `run` and `exits` read the limit before
//! they start and refuse (exit 5) when their estimate exceeds it.
//!
//! How it is found, from `/proc/self/cgroup` (one line per hierarchy,
//! `id:controllers:path`):
//!
//! - **cgroup v2** (the line `0::PATH`): `memory.max` of the group's folder under
//!   `/sys/fs/cgroup`, and of every folder above it up to the root, the smallest limit
//!   winning (a parent's limit binds its children); `max` means no limit. (Hybrid
//!   setups mount v2 at `/sys/fs/cgroup/unified`: looked at too.)
//! - **cgroup v1** (the line whose controllers include `memory`):
//!   `memory.limit_in_bytes` under `/sys/fs/cgroup/memory`, walking up the same way; a
//!   value of 2^62 or more is the kernel's "no limit".
//!
//! Inside a container the group's path is usually `/`, and the container's own limit is
//! the root folder's file. Files that are missing, unreadable or hold anything but a
//! number are skipped; no file at all means no limit. The roots are parameters
//! ([`memory_limit_in`]), so the search is tested on fake trees.

use std::path::{Path, PathBuf};

/// A memory limit and the file it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupLimit {
    /// The limit in bytes.
    pub bytes: u64,
    /// The file that set it (`…/memory.max` or `…/memory.limit_in_bytes`).
    pub file: PathBuf,
}

/// cgroup v1 writes this much or more (`PAGE_COUNTER_MAX` in pages) for "no limit".
const V1_UNLIMITED: u64 = 1 << 62;

/// The memory limit of this process's cgroup: [`memory_limit_in`] with `/proc` and `/sys`.
/// `PHASEBOUND_CGROUP_ROOTS=PROC:SYS` replaces the two roots (tests).
#[must_use]
pub fn memory_limit() -> Option<CgroupLimit> {
    match std::env::var_os("PHASEBOUND_CGROUP_ROOTS") {
        Some(v) => {
            let v = v.to_string_lossy().into_owned();
            let (proc_root, sys_root) = v.split_once(':')?;
            memory_limit_in(Path::new(proc_root), Path::new(sys_root))
        }
        None => memory_limit_in(Path::new("/proc"), Path::new("/sys")),
    }
}

/// The smallest memory limit of the cgroup of `PROC/self/cgroup`, over its folder and
/// every folder above it under `SYS/fs/cgroup` (v2 `memory.max`; v1
/// `memory/…/memory.limit_in_bytes`). `None` when there is no limit or nothing can be
/// read.
#[must_use]
pub fn memory_limit_in(proc_root: &Path, sys_root: &Path) -> Option<CgroupLimit> {
    let text = std::fs::read_to_string(proc_root.join("self/cgroup")).ok()?;
    let base = sys_root.join("fs/cgroup");
    let mut best: Option<CgroupLimit> = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let found = if id == "0" && controllers.is_empty() {
            // Pure v2 mounts the hierarchy at fs/cgroup, hybrid setups at fs/cgroup/unified.
            [base.clone(), base.join("unified")]
                .iter()
                .filter_map(|root| smallest_up(root, path, "memory.max"))
                .min_by_key(|l| l.bytes)
        } else if controllers.split(',').any(|c| c == "memory") {
            smallest_up(&base.join("memory"), path, "memory.limit_in_bytes")
        } else {
            None
        };
        if let Some(f) = found
            && best.as_ref().is_none_or(|b| f.bytes < b.bytes)
        {
            best = Some(f);
        }
    }
    best
}

/// The smallest limit in `name` of folder `root/path` and each folder above it, up to
/// and including `root`. A path that tries to leave `root` (`..`) is not followed.
fn smallest_up(root: &Path, path: &str, name: &str) -> Option<CgroupLimit> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return None;
    }
    let mut best: Option<CgroupLimit> = None;
    for depth in (0..=parts.len()).rev() {
        let mut dir = root.to_path_buf();
        dir.extend(&parts[..depth]);
        let file = dir.join(name);
        if let Some(bytes) = read_limit(&file)
            && best.as_ref().is_none_or(|b| bytes < b.bytes)
        {
            best = Some(CgroupLimit { bytes, file });
        }
    }
    best
}

/// A limit file's value: a number of bytes; `max` (v2) or a v1 "unlimited" is `None`, as
/// is anything unreadable or not a number. Only the first 64 bytes are read.
fn read_limit(file: &Path) -> Option<u64> {
    use std::io::Read as _;
    let mut buf = Vec::with_capacity(64);
    std::fs::File::open(file)
        .ok()?
        .take(64)
        .read_to_end(&mut buf)
        .ok()?;
    let text = std::str::from_utf8(&buf).ok()?.trim();
    let bytes: u64 = text.parse().ok()?;
    (bytes < V1_UNLIMITED).then_some(bytes)
}
