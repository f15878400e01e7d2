//! Every capacity of the core, in one place.
//!
//! Each constant bounds one buffer; a full buffer is an [`Error::CapacityExceeded`]
//! naming the constant, never a panic or a reallocation. The sizes of the state
//! types built from them are asserted at compile time at the bottom of this file,
//! and the crate docs carry the same numbers in the memory-budget table
//! (a test checks that the table and these constants agree).
//!
//! [`Error::CapacityExceeded`]: crate::Error::CapacityExceeded

/// Longest forward window in bars (the longest holding time of any cell, and the
/// longest opportunity horizon): the size of a workspace's per-entry scratch, not of
/// its per-symbol lanes, which are as deep as the caller makes them (see
/// [`crate::engine::Lanes`]). 8192 bars = 136 h at 1m, 85 days at 15m.
pub const H_MAX: usize = 8192;

/// Lanes (symbols) of the [`DefaultWorkspace`], whose lanes are arrays inside it. A host
/// that sizes its lanes at start-up has no symbol ceiling below `u16::MAX`.
pub const FIXED_SYMBOLS: usize = 16;

/// Ring bars and queue slots per lane of the [`DefaultWorkspace`] (its longest window).
pub const FIXED_DEPTH: usize = 1024;

/// Parameter cells one pass evaluates at once (the per-cell accumulators).
pub const MAX_CELLS: usize = 1024;

/// Distinct take-profit levels, and separately distinct stop-loss levels, in one pass.
pub const MAX_LEVELS: usize = 32;

/// Distinct trailing-stop (activation, distance) pairs in one pass.
pub const MAX_TRAILING: usize = 32;

/// Positions one cell's account can hold at once (the largest `max_open_trades`).
pub const MAX_OPEN_TRADES: usize = 16;

/// Walk-forward folds of Phase 4.
pub const MAX_FOLDS: usize = 12;

/// Weight groups per profile.
pub const MAX_GROUPS: usize = 8;

/// Starting points of the multi-start search.
pub const MAX_STARTS: usize = 4;

/// Largest seeded sample of candidates (`--sample N`).
pub const MAX_SAMPLE: usize = 4096;

/// Bars in the volume-ratio mean (previous 20 bars).
pub const VOLUME_WINDOW: usize = 20;

/// Bars in the previous-range high/low (previous 20 bars, excluding the current one).
pub const RANGE_WINDOW: usize = 20;

/// Score components of a signal (momentum, volume, breakout, wick, trend, EMA divergence,
/// 4h strength, volatility, volume pulse, acceleration).
pub const COMPONENTS: usize = 10;

/// Symbols of the microcontroller profile.
pub const SMALL_SYMBOLS: usize = 2;
/// Window bars of the microcontroller profile (72 h of 1h bars, 24 h of 15m bars).
pub const SMALL_H_MAX: usize = 96;
/// Cells of the microcontroller profile (enough for a search round of 4 starts).
pub const SMALL_CELLS: usize = 64;

/// A workspace with its lanes inside: [`FIXED_SYMBOLS`] lanes of [`FIXED_DEPTH`] bars,
/// windows up to [`H_MAX`] bars (and the lane depth), [`MAX_CELLS`] cells.
pub type DefaultWorkspace = crate::engine::Workspace<
    H_MAX,
    MAX_CELLS,
    crate::engine::FixedLanes<FIXED_SYMBOLS, FIXED_DEPTH>,
>;
/// The microcontroller workspace: [`SMALL_SYMBOLS`] lanes of [`SMALL_H_MAX`] bars,
/// [`SMALL_CELLS`] cells.
pub type SmallWorkspace = crate::engine::Workspace<
    SMALL_H_MAX,
    SMALL_CELLS,
    crate::engine::FixedLanes<SMALL_SYMBOLS, SMALL_H_MAX>,
>;

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

/// Rows of the budget table of a workspace with `S` lanes of `D` bars inside, windows
/// of up to `H` bars and `C` cells. The rows add up to the workspace size minus alignment
/// padding (the last row is the total).
#[must_use]
pub const fn table_of<const S: usize, const D: usize, const H: usize, const C: usize>()
-> [BudgetRow; 8] {
    use crate::engine::{FixedLanes, Head, Workspace};
    type W<const S: usize, const D: usize, const H: usize, const C: usize> =
        Workspace<H, C, FixedLanes<S, D>>;
    [
        BudgetRow {
            component: "lane heads: indicators, counters (per symbol)",
            capacity: S,
            bytes: S * size_of::<Head>(),
        },
        BudgetRow {
            component: "bar rings, D bars (per symbol)",
            capacity: S * D,
            bytes: S * W::<S, D, H, C>::RING_BYTES,
        },
        BudgetRow {
            component: "entry queues, D (per symbol)",
            capacity: S * D,
            bytes: S * W::<S, D, H, C>::PENDING_BYTES,
        },
        BudgetRow {
            component: "cell accumulators",
            capacity: C,
            bytes: C * W::<S, D, H, C>::CELL_STATS_BYTES,
        },
        BudgetRow {
            component: "account books (open positions, per cell)",
            capacity: C * MAX_OPEN_TRADES,
            bytes: C * W::<S, D, H, C>::CELL_BOOK_BYTES,
        },
        BudgetRow {
            component: "first-passage hit table",
            capacity: H,
            bytes: W::<S, D, H, C>::HITS_BYTES,
        },
        BudgetRow {
            component: "forward window scratch",
            capacity: H,
            bytes: W::<S, D, H, C>::WINDOW_BYTES,
        },
        BudgetRow {
            component: "total (size_of Workspace)",
            capacity: 1,
            bytes: W::<S, D, H, C>::BYTES,
        },
    ]
}

/// The budget table of the [`DefaultWorkspace`].
#[must_use]
pub const fn table() -> [BudgetRow; 8] {
    table_of::<FIXED_SYMBOLS, FIXED_DEPTH, H_MAX, MAX_CELLS>()
}

/// Rows of the budget table of a workspace whose lanes live elsewhere (a host's heap
/// lanes): cells and scratch; the last row is the total, [`FIXED_PART_BYTES`].
#[must_use]
pub const fn fixed_part_table() -> [BudgetRow; 5] {
    let t = table();
    [
        t[3],
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
/// lanes: cell accumulators, account books and the per-entry scratch of windows up to
/// [`H_MAX`] bars. Add [`crate::engine::lane_bytes`] per symbol.
pub const FIXED_PART_BYTES: usize = size_of::<crate::engine::Workspace<H_MAX, MAX_CELLS, ()>>();

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
const _: () = assert!(H_MAX <= u16::MAX as usize, "window indices are u16");

/// Size of a [`crate::plan::PassPlan`] of [`MAX_CELLS`] cells. Plans are not part of the
/// workspace: the phase functions build them on the caller's stack (Phase 3 keeps up to
/// three at once), so a host thread needs a few times this much stack.
pub const DEFAULT_PLAN_BYTES: usize = size_of::<crate::plan::PassPlan<'static, MAX_CELLS>>();
/// Size of a [`crate::plan::PassPlan`] of [`SMALL_CELLS`] cells (the firmware measures its
/// whole stack need at about 40 KiB in a release build: `firmware/measure-stack.sh`).
pub const SMALL_PLAN_BYTES: usize = size_of::<crate::plan::PassPlan<'static, SMALL_CELLS>>();

const _: () = assert!(DEFAULT_PLAN_BYTES <= 128 * 1024, "pass plan grew");
const _: () = assert!(SMALL_PLAN_BYTES <= 8 * 1024, "small pass plan grew");
