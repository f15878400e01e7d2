//! [`CellStats`]: everything the metrics need about a cell's trades, in O(1) memory.
//!
//! # Drawdown
//!
//! The profit curve is the running sum of trade profits in entry order, starting at 0:
//! `E_0 = 0`, `E_i = p_1 + … + p_i`. The maximum drawdown is `max over j ≤ i of
//! (E_j − E_i)`, in profit points. Besides it, the accumulator keeps the final `equity`,
//! its `peak` (max of `E_0..E_n`, so ≥ 0) and `trough` (min of `E_0..E_n`, so ≤ 0), which
//! is exactly what [`CellStats::merge`] needs: a drawdown that spans the seam of two runs
//! A then B falls from A's peak to A's equity plus B's trough.
//!
//! # Merging and determinism
//!
//! [`CellStats::merge`] is exact for the counters and mathematically exact for the sums
//! and the drawdown, but floating-point addition is not associative: merging chunks gives
//! sums that differ from one sequential fold in the last bits. The engine therefore always
//! merges partial results in one fixed order (by entry time, then chunk index), never in
//! completion order, so reports are byte-identical whatever the thread count.

use crate::trade::{ExitReason, TradeOutcome};

/// The running statistics of one parameter cell. All zero is the empty cell.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CellStats {
    /// Trades recorded.
    pub trades: u32,
    /// Trades with net profit `> 0`.
    pub wins: u32,
    /// Sum of net profit %.
    pub sum_profit: f64,
    /// Sum of squared net profit % (for the standard deviation).
    pub sum_sq_profit: f64,
    /// Sum of the profits of winning trades (`≥ 0`).
    pub gross_profit: f64,
    /// Sum of the losses of losing trades, as a positive number (`≥ 0`).
    pub gross_loss: f64,
    /// Final value of the cumulative profit curve (equals `sum_profit` up to rounding).
    pub equity: f64,
    /// Highest point of the cumulative profit curve, including its start at 0.
    pub peak: f64,
    /// Lowest point of the cumulative profit curve, including its start at 0.
    pub trough: f64,
    /// Largest fall of the cumulative profit curve from an earlier high, in profit points.
    pub max_drawdown: f64,
    /// Trades per exit reason, indexed by [`ExitReason::index`] (truncated trades included).
    pub reasons: [u32; ExitReason::COUNT],
    /// Trades whose exit bar touched both stop and target (the stop was taken).
    pub ambiguous: u32,
    /// Trades entered on a Phase 1 opportunity that closed in profit.
    pub captured: u32,
}

impl CellStats {
    /// The empty cell: no trades, flat curve.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            trades: 0,
            wins: 0,
            sum_profit: 0.0,
            sum_sq_profit: 0.0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            equity: 0.0,
            peak: 0.0,
            trough: 0.0,
            max_drawdown: 0.0,
            reasons: [0; ExitReason::COUNT],
            ambiguous: 0,
            captured: 0,
        }
    }

    /// Folds in the next trade in entry order. `is_opportunity` says whether the entry was
    /// labelled a Phase 1 opportunity (it then counts as captured if it closed in profit).
    /// Counters saturate at `u32::MAX` rather than wrap.
    pub fn record(&mut self, o: &TradeOutcome, is_opportunity: bool) {
        let p = o.profit_pct;
        // Selects, not branches: win or loss is a coin flip to the branch predictor, and
        // this runs once per (entry, cell). Adding +0.0 (or subtracting it) leaves every
        // sum bit for bit as the branches did, as neither sum ever holds -0.0.
        let win = p > 0.0;
        let gain = if win { p } else { 0.0 };
        let loss = if p < 0.0 { p } else { 0.0 };
        self.trades = self.trades.saturating_add(1);
        self.wins = self.wins.saturating_add(u32::from(win));
        self.captured = self
            .captured
            .saturating_add(u32::from(win & is_opportunity));
        self.gross_profit += gain;
        self.gross_loss -= loss;
        self.sum_profit += p;
        self.sum_sq_profit += p * p;
        self.equity += p;
        if self.equity > self.peak {
            self.peak = self.equity;
        }
        if self.equity < self.trough {
            self.trough = self.equity;
        }
        let fall = self.peak - self.equity;
        if fall > self.max_drawdown {
            self.max_drawdown = fall;
        }
        if let Some(n) = self.reasons.get_mut(o.reason.index()) {
            *n = n.saturating_add(1);
        }
        self.ambiguous = self.ambiguous.saturating_add(u32::from(o.ambiguous));
    }

    /// Appends `later`, whose trades were all entered after this cell's, as if its trades
    /// had been recorded here one by one (see the module docs on rounding).
    pub fn merge(&mut self, later: &CellStats) {
        self.trades = self.trades.saturating_add(later.trades);
        self.wins = self.wins.saturating_add(later.wins);
        self.sum_profit += later.sum_profit;
        self.sum_sq_profit += later.sum_sq_profit;
        self.gross_profit += later.gross_profit;
        self.gross_loss += later.gross_loss;
        // A fall across the seam: from this run's peak down to later's trough, shifted
        // by this run's final equity.
        let across = self.peak - (self.equity + later.trough);
        let later_peak = self.equity + later.peak;
        let later_trough = self.equity + later.trough;
        if later.max_drawdown > self.max_drawdown {
            self.max_drawdown = later.max_drawdown;
        }
        if across > self.max_drawdown {
            self.max_drawdown = across;
        }
        if later_peak > self.peak {
            self.peak = later_peak;
        }
        if later_trough < self.trough {
            self.trough = later_trough;
        }
        self.equity += later.equity;
        for (mine, theirs) in self.reasons.iter_mut().zip(later.reasons) {
            *mine = mine.saturating_add(theirs);
        }
        self.ambiguous = self.ambiguous.saturating_add(later.ambiguous);
        self.captured = self.captured.saturating_add(later.captured);
    }

    /// Trades that closed for `reason`.
    #[must_use]
    pub fn reason_count(&self, reason: ExitReason) -> u32 {
        self.reasons.get(reason.index()).copied().unwrap_or(0)
    }

    /// Trades with net profit `≤ 0` (losses and exact break-evens).
    #[must_use]
    pub const fn non_wins(&self) -> u32 {
        self.trades.saturating_sub(self.wins)
    }
}

impl Default for CellStats {
    fn default() -> Self {
        Self::new()
    }
}
