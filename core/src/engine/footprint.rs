//! The memory footprint of the engine's state, from the capacities in [`crate::budget`]:
//! the two workspaces with their lanes inside ([`DefaultWorkspace`], [`SmallWorkspace`]),
//! their sizes and budget tables (`phasebound budget` prints them; the crate docs carry
//! them), the size of a pass plan, and the compile-time assertions that keep each state
//! type within its bound: a change that grows one fails to build.

use super::{FixedLanes, Head, Workspace};
use crate::budget::{
    BATCH_DEPTH, FIXED_DEPTH, FIXED_SYMBOLS, H_MAX, MAX_CELLS, MAX_OPEN_TRADES, SMALL_CELLS,
    SMALL_H_MAX, SMALL_SYMBOLS,
};

/// A workspace with its lanes inside: [`FIXED_SYMBOLS`] lanes of [`FIXED_DEPTH`] bars,
/// windows up to [`H_MAX`] bars (and the lane depth), [`MAX_CELLS`] cells.
pub type DefaultWorkspace = Workspace<H_MAX, MAX_CELLS, FixedLanes<FIXED_SYMBOLS, FIXED_DEPTH>>;
/// The microcontroller workspace: [`SMALL_SYMBOLS`] lanes of [`SMALL_H_MAX`] bars,
/// [`SMALL_CELLS`] cells.
/// No batch (depth 0): a microcontroller has no cache to block the cells for.
pub type SmallWorkspace =
    Workspace<SMALL_H_MAX, SMALL_CELLS, FixedLanes<SMALL_SYMBOLS, SMALL_H_MAX>, 0>;

/// Working memory of one [`DefaultWorkspace`], in bytes.
pub const DEFAULT_WORKSPACE_BYTES: usize = DefaultWorkspace::BYTES;
/// Working memory of one [`SmallWorkspace`], in bytes.
pub const SMALL_WORKSPACE_BYTES: usize = SmallWorkspace::BYTES;

/// One row of the memory-budget table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetRow {
    /// What the memory holds.
    pub component: &'static str,
    /// How many of it (the capacity that bounds it).
    pub capacity: usize,
    /// Bytes in total for this row.
    pub bytes: usize,
}

/// Rows of the budget table of a workspace with `S` lanes of `D` bars inside (and their
/// scratch), windows of up to `H` bars, `C` cells and batch depth `B`. The rows add up to
/// the workspace size minus alignment padding (the last row is the total).
#[must_use]
pub const fn table_of<
    const S: usize,
    const D: usize,
    const H: usize,
    const C: usize,
    const B: usize,
>() -> [BudgetRow; 8] {
    type W<const S: usize, const D: usize, const H: usize, const C: usize, const B: usize> =
        Workspace<H, C, FixedLanes<S, D>, B>;
    [
        BudgetRow {
            component: "lane heads: indicators, counters (per symbol)",
            capacity: S,
            bytes: S * size_of::<Head>(),
        },
        BudgetRow {
            component: "bar rings, D bars (per symbol)",
            capacity: S * D,
            bytes: S * W::<S, D, H, C, B>::RING_BYTES,
        },
        BudgetRow {
            component: "entry queues, D (per symbol)",
            capacity: S * D,
            bytes: S * W::<S, D, H, C, B>::PENDING_BYTES,
        },
        BudgetRow {
            component: "window scratch: D bars and their running best",
            capacity: D,
            bytes: W::<S, D, H, C, B>::SCRATCH_BYTES,
        },
        BudgetRow {
            component: "cell accumulators",
            capacity: C,
            bytes: C * W::<S, D, H, C, B>::CELL_STATS_BYTES,
        },
        BudgetRow {
            component: "account books (open positions, per cell)",
            capacity: C * MAX_OPEN_TRADES,
            bytes: C * W::<S, D, H, C, B>::CELL_BOOK_BYTES,
        },
        BudgetRow {
            component: "batch of resolved exits (B x C records)",
            capacity: B * C,
            bytes: W::<S, D, H, C, B>::BATCH_BYTES,
        },
        BudgetRow {
            component: "total (size_of Workspace)",
            capacity: 1,
            bytes: W::<S, D, H, C, B>::BYTES,
        },
    ]
}

/// The budget table of the [`DefaultWorkspace`].
#[must_use]
pub const fn table() -> [BudgetRow; 8] {
    table_of::<FIXED_SYMBOLS, FIXED_DEPTH, H_MAX, MAX_CELLS, BATCH_DEPTH>()
}

/// Rows of the budget table of a workspace whose lanes live elsewhere (a host's heap
/// lanes, with their scratch): the cells and the batch; the last row is the total,
/// [`FIXED_PART_BYTES`].
#[must_use]
pub const fn fixed_part_table() -> [BudgetRow; 4] {
    let t = table();
    [
        t[4],
        t[5],
        t[6],
        BudgetRow {
            component: "fixed part (size_of Workspace without lanes)",
            capacity: 1,
            bytes: FIXED_PART_BYTES,
        },
    ]
}

/// Bytes of a workspace whose lanes live elsewhere (a host's heap lanes), without the
/// lanes: cell accumulators, account books and the batch. Add [`super::lane_bytes`] per
/// symbol and [`super::scratch_bytes`] once.
pub const FIXED_PART_BYTES: usize = size_of::<Workspace<H_MAX, MAX_CELLS, ()>>();

// Compile-time budget: a change that grows any state beyond these bounds fails to build.
const _: () = assert!(
    DEFAULT_WORKSPACE_BYTES <= 4 * 1024 * 1024,
    "default workspace over 4 MiB"
);
const _: () = assert!(
    SMALL_WORKSPACE_BYTES <= 64 * 1024,
    "small workspace over 64 KiB"
);
const _: () = assert!(
    size_of::<crate::stats::CellStats>() <= 160,
    "CellStats grew"
);
const _: () = assert!(
    size_of::<crate::account::Book>() <= 40 + 18 * MAX_OPEN_TRADES,
    "account book grew"
);
const _: () = assert!(
    size_of::<Option<crate::indicators::Indicators>>() <= 2048,
    "indicator state grew"
);

/// Size of a [`crate::plan::PassPlan`] of [`MAX_CELLS`] cells. Plans are not part of the
/// workspace: the phase functions build them on the caller's stack (Phase 3 keeps up to
/// three at once), so a host thread needs a few times this much stack.
pub const DEFAULT_PLAN_BYTES: usize = size_of::<crate::plan::PassPlan<'static, MAX_CELLS>>();
/// Size of a [`crate::plan::PassPlan`] of [`SMALL_CELLS`] cells (the firmware measures its
/// whole stack need at 33 KiB in a release build: `firmware/measure-stack.sh`).
pub const SMALL_PLAN_BYTES: usize = size_of::<crate::plan::PassPlan<'static, SMALL_CELLS>>();

const _: () = assert!(DEFAULT_PLAN_BYTES <= 128 * 1024, "pass plan grew");
const _: () = assert!(SMALL_PLAN_BYTES <= 8 * 1024, "small pass plan grew");
