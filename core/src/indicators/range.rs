//! The previous [`RANGE_WINDOW`] bars' highest high and lowest low, the current bar
//! excluded — the level a breakout of the current bar is measured against.
//!
//! Before the first previous bar exists there is no range; the current bar's own high
//! and low stand in (so a first bar never "breaks out"). The extremes are recomputed
//! from the ring on every bar (a fixed 20 comparisons), which needs no monotone deque.

use crate::budget::RANGE_WINDOW;

/// Streaming previous-range tracker; state is two fixed rings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrevRange {
    highs: [f64; RANGE_WINDOW],
    lows: [f64; RANGE_WINDOW],
    /// Next slot to overwrite.
    next: usize,
    /// Filled slots, at most `RANGE_WINDOW`.
    len: usize,
    /// Bars seen, saturating just above the window.
    seen: u32,
}

impl Default for PrevRange {
    fn default() -> Self {
        Self::new()
    }
}

impl PrevRange {
    /// An empty window.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            highs: [0.0; RANGE_WINDOW],
            lows: [0.0; RANGE_WINDOW],
            next: 0,
            len: 0,
            seen: 0,
        }
    }

    /// `(highest high, lowest low)` of the stored previous bars, or `None` when empty.
    #[must_use]
    pub fn previous(&self) -> Option<(f64, f64)> {
        let mut it = self.highs.iter().zip(self.lows.iter()).take(self.len);
        let (&h0, &l0) = it.next()?;
        Some(it.fold((h0, l0), |(h, l), (&bh, &bl)| (h.max(bh), l.min(bl))))
    }

    /// Returns `(prev_high, prev_low)` over the previous bars (up to `RANGE_WINDOW`; the
    /// current bar's own `(high, low)` when there is none), then records this bar.
    pub fn update(&mut self, high: f64, low: f64) -> (f64, f64) {
        let out = self.previous().unwrap_or((high, low));
        if let (Some(h), Some(l)) = (self.highs.get_mut(self.next), self.lows.get_mut(self.next)) {
            *h = high;
            *l = low;
        }
        self.next = (self.next + 1) % RANGE_WINDOW;
        self.len = (self.len + 1).min(RANGE_WINDOW);
        self.seen = self.seen.saturating_add(1).min(self.warmup());
        out
    }

    /// True when the last update saw a full window of previous bars.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.seen >= self.warmup()
    }

    /// Bars needed before [`is_ready`](Self::is_ready): `RANGE_WINDOW + 1`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        RANGE_WINDOW as u32 + 1
    }
}
