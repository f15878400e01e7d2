//! Every capacity of the core, in one place.
//!
//! Each constant bounds one buffer; a full buffer is an [`Error::CapacityExceeded`]
//! naming the constant, never a panic or a reallocation. This module is a leaf: the
//! workspaces built from these constants, their sizes, the budget tables and the
//! compile-time size assertions are in [`crate::engine::footprint`], and the crate docs
//! carry the same numbers in the memory-budget table (a test checks that the table and
//! the code agree).
//!
//! [`Error::CapacityExceeded`]: crate::Error::CapacityExceeded

/// Longest forward window in bars (the longest holding time of any cell, and the
/// longest opportunity horizon): the size of a workspace's per-entry scratch, not of
/// its per-symbol lanes, which are as deep as the caller makes them (see
/// [`crate::engine::Lanes`]). 8192 bars = 136 h at 1m, 85 days at 15m.
pub const H_MAX: usize = 8192;

/// Lanes (symbols) of the [`DefaultWorkspace`](crate::engine::DefaultWorkspace), whose lanes are arrays inside it. A host
/// that sizes its lanes at start-up has no symbol ceiling below `u16::MAX`.
pub const FIXED_SYMBOLS: usize = 16;

/// Ring bars and queue slots per lane of the
/// [`DefaultWorkspace`](crate::engine::DefaultWorkspace) (its longest window).
pub const FIXED_DEPTH: usize = 1024;

/// Parameter cells one pass evaluates at once (the per-cell accumulators).
pub const MAX_CELLS: usize = 1024;

/// Distinct take-profit levels, and separately distinct stop-loss levels, in one pass.
pub const MAX_LEVELS: usize = 32;

/// Distinct trailing-stop (activation, distance) pairs in one pass.
pub const MAX_TRAILING: usize = 32;

/// Batch depth of a host workspace: one of `C` cells folds entries into its accounts in
/// batches whose exit records (one per exit group and one per distinct hold, for each
/// entry) fill `BATCH_DEPTH · C` slots (see [`crate::engine::Workspace`]).
pub const BATCH_DEPTH: usize = 4;

/// Entries a batch holds at most, per unit of batch depth.
pub const BATCH_ENTRIES: usize = 16;

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

const _: () = assert!(H_MAX <= u16::MAX as usize, "window indices are u16");
