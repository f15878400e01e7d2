//! Memory figures: the core's compile-time budget and the process's measured peak.

use crate::workspace::{LaneShape, workspace_bytes};
use phasebound_core::budget;
use phasebound_core::engine::footprint;
use phasebound_core::engine::{lane_bytes, scratch_bytes};

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

/// The core working-memory table of one host workspace without its lanes.
#[must_use]
pub fn budget_table() -> Vec<BudgetRow> {
    footprint::fixed_part_table()
        .iter()
        .map(|r| BudgetRow {
            component: r.component,
            capacity: r.capacity.to_string(),
            bytes: r.bytes,
        })
        .collect()
}

/// `report.json`'s `run.memory_budget`: the fixed table, the lane formula and each
/// profile's workspace (`names[i]` has lanes `lanes[i]`).
#[must_use]
pub fn budget_json(names: &[&str], lanes: &[LaneShape]) -> serde_json::Value {
    let workspaces: Vec<serde_json::Value> = names
        .iter()
        .zip(lanes)
        .map(|(name, l)| {
            serde_json::json!({
                "profile": name,
                "symbols": l.symbols,
                "lane_depth_bars": l.depth,
                "lane_queue": l.queue,
                "lane_bytes": lane_bytes(l.depth, l.queue),
                "bytes": workspace_bytes(*l),
            })
        })
        .collect();
    serde_json::json!({
        "fixed_part_bytes": footprint::FIXED_PART_BYTES,
        "table": budget_table(),
        "lane_formula": LANE_FORMULA,
        "workspaces": workspaces,
        "note": "one workspace per worker; its size is fixed before any bar is read; measured peak RSS is in run.json",
    })
}

/// How a lane's size follows from its depth (stated by `phasebound budget` and
/// `report.json`; the numbers are checked against the core in the tests).
pub const LANE_FORMULA: &str = "lane bytes = head + depth × (bar + run number) + queue × waiting entry; \
     plus once per workspace the window scratch = depth × (bar + running best)";

/// Fixed part of the estimate: binary, runtime, report building, report.html's charts
/// and the trade tracing (measured peak RSS of a run on the embedded data minus its
/// workspaces is about 7 MiB; rounded up with room for the address space the binary's
/// code and the allocator take, which `prlimit --as` counts).
pub const RUNTIME_OVERHEAD_BYTES: u64 = 16 << 20;

/// Stack reserved for each worker thread. Reserved, not used: it counts in the address
/// space; what a worker touches stays resident for its life, which is why the workspace
/// is built in its heap allocation (`workspace::new_workspace`; the resident set of a
/// second worker is tested in `host/tests/it/footprint.rs`).
pub const WORKER_STACK_BYTES: usize = 16 << 20;

/// Memory a run needs, estimated before it starts: a workspace per worker (each as
/// large as the largest of `lanes`, the profiles' lanes), the read buffers of every
/// symbol (cache building and merged replay), and the runtime. It does not depend on
/// the length of the data.
#[must_use]
pub fn estimate_bytes(workers: usize, lanes: &[LaneShape]) -> u64 {
    let (symbols, workspace) = largest(lanes);
    let io = 2 * crate::data::READ_BUFFER_BYTES as u64 * symbols as u64;
    workers as u64 * workspace + io + RUNTIME_OVERHEAD_BYTES
}

/// The most symbols and the largest workspace `lanes` need: one worker runs the profiles
/// one after another in one workspace covering them all ([`LaneShape::covering`]).
fn largest(lanes: &[LaneShape]) -> (usize, u64) {
    let covering = LaneShape::covering(lanes);
    (covering.symbols, workspace_bytes(covering))
}

/// The `phasebound budget` text: the fixed table, the lane formula with its sizes, the
/// remaining compiled limits.
#[must_use]
pub fn budget_text() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "phasebound-core working memory: one workspace per worker thread"
    );
    let _ = writeln!(s, "{:<46} {:>10} {:>12}", "component", "capacity", "bytes");
    for r in budget_table() {
        let _ = writeln!(s, "{:<46} {:>10} {:>12}", r.component, r.capacity, r.bytes);
    }
    let head = lane_bytes(0, 0);
    let per_bar = lane_bytes(1, 0) - head;
    let per_entry = lane_bytes(0, 1) - head;
    let _ = writeln!(
        s,
        "\nplus one lane per symbol, sized at start-up from the longest window (depth, bars):\n  \
         {LANE_FORMULA}\n  = {head} + depth × {per_bar} + queue × {per_entry} bytes (queue = depth for `run`), \
         plus depth × {} bytes",
        scratch_bytes(1)
    );
    // The default config's longest window at a few timeframes (both profiles fit them).
    let cfg = crate::config::Config::default();
    for tf in [15, 60, 1] {
        let depth = phasebound_core::signal::Profile::ALL
            .iter()
            .filter_map(|&p| cfg.profile(p, tf).ok())
            .map(|pc| usize::from(pc.longest_window()))
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            s,
            "  {}, default config ({} h): {} bytes per symbol",
            crate::data::timeframe_label(tf),
            depth * tf as usize / 60,
            lane_bytes(depth, depth)
        );
    }
    let _ = writeln!(
        s,
        "\ncompiled limits (an error names the limit and what to do):\n  \
         symbols per run          {}\n  \
         longest window (bars)    {} (H_MAX: longest hold or opportunity horizon)\n  \
         cells per pass           {} (MAX_CELLS; `exits` splits larger grids into passes)\n  \
         values per TP / SL / hold axis of a config lattice {} (MAX_LEVELS); trailing settings {} (MAX_TRAILING)\n  \
         (`exits` axes: any length; a pass takes that many distinct levels, longer axes more passes)\n  \
         max_open_trades          {} (MAX_OPEN_TRADES)\n  \
         walk-forward folds       {} (MAX_FOLDS); weight groups {} (MAX_GROUPS)\n\
         the host adds bounded I/O buffers ({} KiB per symbol) and a fixed runtime allowance",
        u16::MAX,
        budget::H_MAX,
        budget::MAX_CELLS,
        budget::MAX_LEVELS,
        budget::MAX_TRAILING,
        budget::MAX_OPEN_TRADES,
        budget::MAX_FOLDS,
        budget::MAX_GROUPS,
        2 * crate::data::READ_BUFFER_BYTES / 1024,
    );
    s
}

/// Address space a run needs, for a hard `ulimit -v` / `prlimit --as` limit:
/// [`estimate_bytes`] plus the reserved stack of every worker ([`WORKER_STACK_BYTES`]).
/// The binary's own mappings fit in the estimate's runtime allowance.
#[must_use]
pub fn address_space_bytes(workers: usize, lanes: &[LaneShape]) -> u64 {
    estimate_bytes(workers, lanes) + workers as u64 * WORKER_STACK_BYTES as u64
}

/// What `run` needs with `workers` workers and the profiles' `lanes` (see
/// [`crate::resources::check_memory`]).
#[must_use]
pub fn run_need(workers: usize, lanes: &[LaneShape]) -> crate::resources::MemoryNeed {
    let (symbols, workspace) = largest(lanes);
    crate::resources::MemoryNeed {
        estimate: estimate_bytes(workers, lanes),
        address_space: address_space_bytes(workers, lanes),
        made_of: format!(
            "{workers} worker(s) with a workspace of {workspace} bytes ({symbols} symbol lanes) and a {} MiB stack each, I/O buffers, runtime",
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
    + CELL_RESULT_BYTES
    + 3 * 8
    + 512) as u64;

/// Bytes of one cell's result in `phasebound exits`: its exit parameters, statistics and
/// rank, padded to their alignment. `exits` asserts at compile time that its `CellResult`
/// is exactly this size (this module is below `exits`, so it counts the parts).
pub const CELL_RESULT_BYTES: usize = (size_of::<phasebound_core::ExitParams>()
    + size_of::<phasebound_core::stats::CellStats>()
    + size_of::<usize>())
.next_multiple_of(align_of::<phasebound_core::stats::CellStats>());

/// Memory `phasebound exits` needs, estimated before it starts: per worker a workspace,
/// a read buffer per symbol and one for the entries; the cache building buffers; the
/// grid ([`EXITS_BYTES_PER_CELL`] a cell); the runtime. The pass that traces the best
/// cells' curves for `exits.html` runs after the grid's workers are done, in one
/// worker's room (its curves are fixed-size, in the runtime's allowance).
#[must_use]
pub fn exits_estimate_bytes(workers: usize, lanes: LaneShape, cells: usize) -> u64 {
    let buf = crate::data::READ_BUFFER_BYTES as u64;
    let symbols = lanes.symbols;
    let per_worker = workspace_bytes(lanes) + (symbols as u64 + 1) * buf;
    workers as u64 * per_worker
        + 2 * buf * symbols as u64
        + cells as u64 * EXITS_BYTES_PER_CELL
        + RUNTIME_OVERHEAD_BYTES
}

/// Address space `phasebound exits` needs: [`exits_estimate_bytes`] plus the reserved
/// stack of every worker.
#[must_use]
pub fn exits_address_space_bytes(workers: usize, lanes: LaneShape, cells: usize) -> u64 {
    exits_estimate_bytes(workers, lanes, cells) + workers as u64 * WORKER_STACK_BYTES as u64
}

/// What `phasebound exits` needs (see [`crate::resources::check_memory`]).
#[must_use]
pub fn exits_need(workers: usize, lanes: LaneShape, cells: usize) -> crate::resources::MemoryNeed {
    let symbols = lanes.symbols;
    crate::resources::MemoryNeed {
        estimate: exits_estimate_bytes(workers, lanes, cells),
        address_space: exits_address_space_bytes(workers, lanes, cells),
        made_of: format!(
            "{workers} worker(s) with a workspace of {} bytes and a {} MiB stack each, I/O buffers for {symbols} symbol(s), {cells} grid cell(s), runtime",
            workspace_bytes(lanes),
            WORKER_STACK_BYTES >> 20
        ),
        remedy: "use fewer --threads, symbols or grid values, or raise the limit",
    }
}
