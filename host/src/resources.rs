//! What `run` and `exits` check before they start: the output folder (locked, a folder,
//! a half-done commit finished, stale temporaries swept) and memory (the estimate against
//! `--max-memory`, the address-space limit and the cgroup memory limit), so that a run
//! that cannot finish refuses at once with a message (exit 4 or 5) instead of being
//! killed or aborting mid-run.

use crate::error::AppError;
use crate::output::{self, OutputLock};
use std::path::Path;

/// Takes `out`'s lock (see [`output::lock`]), finishes a commit a killed run left half
/// done and removes stale temporaries.
///
/// # Errors
/// `--out` naming a file (or a path under one): usage (exit 2). Another run holding the
/// lock, or any I/O error: exit 4, the lock file or folder named.
pub fn lock_output(out: &Path) -> Result<OutputLock, AppError> {
    if let Some(file) = out
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| std::fs::metadata(a).is_ok_and(|m| !m.is_dir()))
    {
        return Err(AppError::Usage(if file == out {
            format!("--out {} is a file, not a folder", out.display())
        } else {
            format!(
                "--out {}: {} is a file, not a folder",
                out.display(),
                file.display()
            )
        }));
    }
    let lock = output::lock(out).map_err(|e| AppError::io(out.join(output::LOCK_FILE), e))?;
    output::recover(out).map_err(|e| AppError::io(out, e))?;
    output::sweep(out);
    Ok(lock)
}

/// What a run will need, estimated before it starts.
#[derive(Clone, Debug)]
pub struct MemoryNeed {
    /// Resident memory (RSS), bytes.
    pub estimate: u64,
    /// Address space (the estimate plus reserved worker stacks), bytes.
    pub address_space: u64,
    /// What the estimate is made of, for messages.
    pub made_of: String,
    /// What to do when it does not fit.
    pub remedy: &'static str,
}

/// Refuses a run whose estimate exceeds `--max-memory`, the address-space limit
/// (`ulimit -v`, `prlimit --as`) or the cgroup memory limit ([`crate::cgroup`]).
///
/// # Errors
/// [`AppError::Capacity`] (exit 5) naming the limit and both figures.
pub fn check_memory(need: &MemoryNeed, max_memory: Option<u64>) -> Result<(), AppError> {
    let both = |limit_name: String, limit: u64, needed: u64, what: &str| {
        AppError::Capacity(format!(
            "{limit_name} is {}, below the {} this run {what} ({}); {}",
            format_size(limit),
            format_size(needed),
            need.made_of,
            need.remedy
        ))
    };
    if let Some(limit) = max_memory
        && need.estimate > limit
    {
        return Err(both("--max-memory".into(), limit, need.estimate, "needs"));
    }
    // A hard address-space limit below the need would end in an allocation abort
    // (SIGABRT) mid-run.
    if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::As).current
        && limit < need.address_space
    {
        return Err(both(
            "the address-space limit (ulimit -v / prlimit --as)".into(),
            limit,
            need.address_space,
            "reserves",
        ));
    }
    // A cgroup limit below the need ends in the OOM killer's SIGKILL mid-run.
    if let Some(c) = crate::cgroup::memory_limit()
        && c.bytes < need.estimate
    {
        return Err(both(
            format!(
                "the container's memory limit (cgroup, {})",
                c.file.display()
            ),
            c.bytes,
            need.estimate,
            "needs",
        ));
    }
    Ok(())
}

/// A byte count for people: `512 bytes`, `1.0 KiB (1024 bytes)`, `14.3 MiB (15012345
/// bytes)`, `2.00 GiB (…)`; the exact count is always there, so two close figures
/// never look equal.
#[must_use]
pub fn format_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1 << 20 {
        format!("{:.1} KiB ({bytes} bytes)", b / KIB)
    } else if bytes < 1 << 30 {
        format!("{:.1} MiB ({bytes} bytes)", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB ({bytes} bytes)", b / (KIB * KIB * KIB))
    }
}

/// Parses a size: a whole number of bytes, optionally followed (spaces allowed) by
/// `K`, `M`, `G` or `T`, each optionally followed by `B` or `iB`, any case (`512M`,
/// `5MB`, `2GiB`, `64 kib`) or by `B` alone. Every prefix is a power of 1024 — `5MB` is
/// 5 MiB, as for `ulimit`, cgroups, `docker --memory` and `free`.
///
/// # Errors
/// Anything else, zero, or more than `u64::MAX` bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = t.split_at(digits);
    let unit = unit.trim().to_ascii_lowercase();
    let shift = match unit.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => 64,
    };
    num.parse::<u64>()
        .ok()
        .filter(|_| shift < 64)
        .and_then(|n| n.checked_mul(1u64 << (shift % 64)))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!(
                "'{s}' is not a size like 512M, 5MB, 2GiB or a number of bytes (K, M, G, T are powers of 1024)"
            )
        })
}

/// The workers `phasebound exits` uses for a grid of `cells` cells: `--threads`, but no
/// more than the cores (the passes are CPU-bound) nor one per two cells (every pass
/// streams all bars, so a finer split costs more than it saves); at least one.
#[must_use]
pub fn exits_workers(threads: usize, cells: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    threads.min(cores).min(cells / 2).max(1)
}
