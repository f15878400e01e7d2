//! What the engine shows of its work as it happens: every entry it evaluates and every
//! trade a cell takes ([`Observer`]), so a host can trace single trades without the core
//! storing them.

use crate::trade::{Direction, TradeOutcome};

/// An entry at the moment the engine evaluates it (see [`Observer`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryEvent {
    /// Symbol index.
    pub symbol: u16,
    /// Index of the signal bar in the symbol's stream (0-based).
    pub bar_index: u32,
    /// Open time of the signal bar, ms (the entry fills one timeframe later; window
    /// bar `k` of an outcome opens `(k + 1)` timeframes after it).
    pub time: i64,
    /// Long or short.
    pub direction: Direction,
    /// The ATR the exits are multiples of.
    pub atr: f64,
    /// The fill price; `None` when the entry cannot fill (entry at the next open, but
    /// the data ends at the signal bar): no outcome follows.
    pub price: Option<f64>,
}

/// Sees every evaluation of a pass, in the engine's order: for each entry whose window is
/// complete, [`Observer::entry`] once, then [`Observer::outcome`] once for each cell that
/// traded it (in an order of the engine's choosing). Entries of one symbol come in the order they were
/// queued. Both methods do nothing by default; `()` observes nothing.
pub trait Observer {
    /// The next evaluated entry.
    #[inline]
    fn entry(&mut self, event: &EntryEvent) {
        let _ = event;
    }

    /// The outcome of the last announced entry under cell `cell` (index in the plan).
    #[inline]
    fn outcome(&mut self, cell: usize, outcome: &TradeOutcome) {
        let _ = (cell, outcome);
    }

    /// Whether [`Observer::outcome`] must be called (true by default). Answering `false`
    /// lets the engine fold entries into the cells' accounts a batch at a time (the same
    /// results, faster for many cells); it then calls no `outcome`, and still calls
    /// [`Observer::entry`]. Without a batch (depth 0, or a pass too wide for it) the
    /// outcomes are shown as usual.
    #[inline]
    fn wants_outcomes(&self) -> bool {
        true
    }
}

impl Observer for () {
    #[inline]
    fn wants_outcomes(&self) -> bool {
        false
    }
}
