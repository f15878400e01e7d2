//! Every capacity of the core, in one place.
//!
//! Each constant bounds one buffer; a full buffer is an [`Error::CapacityExceeded`]
//! naming the constant, never a panic or a reallocation. The sizes of the state
//! types built from them are asserted at compile time at the bottom of this file,
//! and the crate docs carry the same numbers in the memory-budget table
//! (a test checks that the table and these constants agree).
//!
//! [`Error::CapacityExceeded`]: crate::Error::CapacityExceeded

/// Symbols one workspace can stream at once.
pub const MAX_SYMBOLS: usize = 16;

/// Longest forward window in bars (the longest holding time of any cell, and the
/// longest opportunity horizon). 1024 bars = 256 h at 15m, 85 h at 5m.
pub const H_MAX: usize = 1024;

/// Parameter cells one pass evaluates at once (the per-cell accumulators).
pub const MAX_CELLS: usize = 1024;

/// Distinct take-profit levels, and separately distinct stop-loss levels, in one pass.
pub const MAX_LEVELS: usize = 32;

/// Distinct trailing-stop (activation, distance) pairs in one pass.
pub const MAX_TRAILING: usize = 32;

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
