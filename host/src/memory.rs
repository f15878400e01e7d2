//! Memory figures: the core's compile-time budget and the process's measured peak.

use phasebound_core::budget;

/// Peak resident set size of this process so far, in bytes: the kernel's high-water
/// mark `VmHWM` (the same figure as getrusage's `ru_maxrss`), read from
/// `/proc/self/status`. `None` where that file does not exist (not Linux).
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One row of the budget table: component, capacity, bytes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BudgetRow {
    /// What it is.
    pub component: &'static str,
    /// Its capacity, in words.
    pub capacity: String,
    /// Its size in bytes.
    pub bytes: usize,
}

/// The core working-memory table of the default workspace.
#[must_use]
pub fn budget_table() -> Vec<BudgetRow> {
    budget::table()
        .iter()
        .map(|r| BudgetRow {
            component: r.component,
            capacity: r.capacity.to_string(),
            bytes: r.bytes,
        })
        .collect()
}

/// Total working memory of one default workspace, in bytes.
#[must_use]
pub fn workspace_bytes() -> usize {
    budget::DEFAULT_WORKSPACE_BYTES
}

/// Fixed part of the estimate: binary, runtime, report building, report.html's charts
/// and the trade tracing (measured peak RSS of a run on the embedded data minus its
/// workspaces is about 7 MiB; rounded up with room for the address space the binary's
/// code and the allocator take, which `prlimit --as` counts).
pub const RUNTIME_OVERHEAD_BYTES: u64 = 16 << 20;

/// Stack reserved for each worker thread (a default workspace is built on it before it
/// is boxed). Reserved, not used: it counts in the address space, hardly in the RSS.
pub const WORKER_STACK_BYTES: usize = 16 << 20;

/// Memory a run needs, estimated before it starts: one workspace per worker, the
/// read buffers of every symbol (cache building and merged replay), and the runtime.
/// It does not depend on the length of the data.
#[must_use]
pub fn estimate_bytes(workers: usize, symbols: usize) -> u64 {
    let io = 2 * crate::data::READ_BUFFER_BYTES as u64 * symbols as u64;
    workers as u64 * workspace_bytes() as u64 + io + RUNTIME_OVERHEAD_BYTES
}

/// The `phasebound budget` table as text.
#[must_use]
pub fn budget_text() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phasebound-core working memory (default workspace, fixed at compile time)"
    );
    let _ = writeln!(s, "{:<40} {:>10} {:>12}", "component", "capacity", "bytes");
    for r in budget_table() {
        let _ = writeln!(s, "{:<40} {:>10} {:>12}", r.component, r.capacity, r.bytes);
    }
    let _ = writeln!(
        s,
        "one workspace per worker thread; the host adds bounded I/O buffers (64 KiB per symbol)"
    );
    s
}

/// Address space a run needs, for a hard `ulimit -v` / `prlimit --as` limit:
/// [`estimate_bytes`] plus the reserved stack of every worker ([`WORKER_STACK_BYTES`]).
/// The binary's own mappings fit in the estimate's runtime allowance.
#[must_use]
pub fn address_space_bytes(workers: usize, symbols: usize) -> u64 {
    estimate_bytes(workers, symbols) + workers as u64 * WORKER_STACK_BYTES as u64
}

/// What `run` needs with `workers` workers and `symbols` symbols (see
/// [`crate::resources::check_memory`]).
#[must_use]
pub fn run_need(workers: usize, symbols: usize) -> crate::resources::MemoryNeed {
    crate::resources::MemoryNeed {
        estimate: estimate_bytes(workers, symbols),
        address_space: address_space_bytes(workers, symbols),
        made_of: format!(
            "{workers} worker(s) with a workspace of {} bytes and a {} MiB stack each, I/O buffers for {symbols} symbol(s), runtime",
            workspace_bytes(),
            WORKER_STACK_BYTES >> 20
        ),
        remedy: "use fewer --threads or symbols, or raise the limit",
    }
}

/// Bytes `phasebound exits` holds per grid cell: the cell, its exit parameters, its
/// statistics (twice: per pass and gathered), its result, its score, rank and order, and
/// its `exits.csv` row (at most 512 bytes).
pub const EXITS_BYTES_PER_CELL: u64 = (size_of::<phasebound_core::plan::CellDef>()
    + size_of::<phasebound_core::ExitParams>()
    + 2 * size_of::<phasebound_core::stats::CellStats>()
    + size_of::<crate::exits::CellResult>()
    + 3 * 8
    + 512) as u64;

/// Memory `phasebound exits` needs, estimated before it starts: per worker a workspace,
/// a read buffer per symbol and one for the entries; the cache building buffers; the
/// grid ([`EXITS_BYTES_PER_CELL`] a cell); the runtime. The pass that traces the best
/// cells' curves for `exits.html` runs after the grid's workers are done, in one
/// worker's room (its curves are fixed-size, in the runtime's allowance).
#[must_use]
pub fn exits_estimate_bytes(workers: usize, symbols: usize, cells: usize) -> u64 {
    let buf = crate::data::READ_BUFFER_BYTES as u64;
    let per_worker = workspace_bytes() as u64 + (symbols as u64 + 1) * buf;
    workers as u64 * per_worker
        + 2 * buf * symbols as u64
        + cells as u64 * EXITS_BYTES_PER_CELL
        + RUNTIME_OVERHEAD_BYTES
}

/// Address space `phasebound exits` needs: [`exits_estimate_bytes`] plus the reserved
/// stack of every worker.
#[must_use]
pub fn exits_address_space_bytes(workers: usize, symbols: usize, cells: usize) -> u64 {
    exits_estimate_bytes(workers, symbols, cells) + workers as u64 * WORKER_STACK_BYTES as u64
}

/// What `phasebound exits` needs (see [`crate::resources::check_memory`]).
#[must_use]
pub fn exits_need(workers: usize, symbols: usize, cells: usize) -> crate::resources::MemoryNeed {
    crate::resources::MemoryNeed {
        estimate: exits_estimate_bytes(workers, symbols, cells),
        address_space: exits_address_space_bytes(workers, symbols, cells),
        made_of: format!(
            "{workers} worker(s) with a workspace of {} bytes and a {} MiB stack each, I/O buffers for {symbols} symbol(s), {cells} grid cell(s), runtime",
            workspace_bytes(),
            WORKER_STACK_BYTES >> 20
        ),
        remedy: "use fewer --threads, symbols or grid values, or raise the limit",
    }
}
