//! [`CellStats`]: everything the metrics need about a cell's account, in O(1) memory.
//!
//! Two kinds of figures live here, kept apart:
//! - **per trade**, in net % of the entry price, folded when a position opens (its outcome
//!   is known then): trades, wins, exit reasons, ambiguous exits, captured opportunities,
//!   the sum and sum of squares of the net %;
//! - **per account**, in units of the initial capital (1.0), folded when a position is
//!   realized, in exit order (see [`crate::account`]): equity, its peak, the largest
//!   drawdown, gross profit and loss, and the daily-return sums.
//!
//! A cell's stats are a pure function of its parameters and the data: the engine feeds
//! each cell's [`Book`](crate::account::Book) in global signal order, whatever the other
//! cells of the pass. A pass cannot be cut into pieces and merged (an account's later
//! trades depend on its earlier equity), but the accounts of consecutive, disjoint
//! periods can be chained into one, as if the second period's account had started with
//! the first one's equity ([`CellStats::chain`]): how Phase 4 pools its walk-forward
//! folds.

use crate::trade::{ExitReason, TradeOutcome};

/// The statistics of one parameter cell's account. [`CellStats::new`] is the empty account.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CellStats {
    /// Trades opened (and, by the end of a pass, closed).
    pub trades: u32,
    /// Trades with net profit `> 0`.
    pub wins: u32,
    /// Entries the cell's filter admitted but its account could not take (all slots in
    /// use, the symbol already held, or the equity gone).
    pub skipped: u32,
    /// Trades per exit reason, indexed by [`ExitReason::index`] (truncated trades included).
    pub reasons: [u32; ExitReason::COUNT],
    /// Trades whose exit bar touched both stop and target (the stop was taken).
    pub ambiguous: u32,
    /// Trades entered on a Phase 1 opportunity that closed in profit.
    pub captured: u32,
    /// Length of the pass's period in UTC days (the daily-return count), set at its end.
    pub days: u32,
    /// Sum of net profit % per trade.
    pub sum_profit: f64,
    /// Sum of squared net profit % per trade.
    pub sum_sq_profit: f64,
    /// Sum of realized profits, in initial capital (`≥ 0`).
    pub gross_profit: f64,
    /// Sum of realized losses as a positive number, in initial capital (`≥ 0`).
    pub gross_loss: f64,
    /// Realized equity, in initial capital (starts at 1.0; `0.0` = ruined).
    pub equity: f64,
    /// Highest realized equity so far (starts at 1.0).
    pub peak: f64,
    /// Lowest realized equity so far (starts at 1.0).
    pub trough: f64,
    /// Largest fall of the realized equity from its running peak, as a fraction of the
    /// peak (`0..=1`).
    pub max_drawdown: f64,
    /// Sum of the daily returns (fractions) of the days with exits.
    pub day_sum: f64,
    /// Sum of their squares.
    pub day_sum_sq: f64,
    /// Sum of the squares of the negative daily returns.
    pub day_down_sq: f64,
    /// Sum of the cubes of the daily returns (skewness).
    pub day_sum_cu: f64,
    /// Sum of the fourth powers of the daily returns (kurtosis).
    pub day_sum_qu: f64,
}

impl CellStats {
    /// All zero: a placeholder (equity 0) that idle workspaces hold until a pass starts,
    /// so they can be built in place (a memset) rather than on the stack.
    pub const ZEROED: Self = Self {
        equity: 0.0,
        peak: 0.0,
        trough: 0.0,
        ..Self::new()
    };

    /// The empty account: no trades, equity 1.0.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            trades: 0,
            wins: 0,
            skipped: 0,
            reasons: [0; ExitReason::COUNT],
            ambiguous: 0,
            captured: 0,
            days: 0,
            sum_profit: 0.0,
            sum_sq_profit: 0.0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            equity: 1.0,
            peak: 1.0,
            trough: 1.0,
            max_drawdown: 0.0,
            day_sum: 0.0,
            day_sum_sq: 0.0,
            day_down_sq: 0.0,
            day_sum_cu: 0.0,
            day_sum_qu: 0.0,
        }
    }

    /// Folds the per-trade figures of an opened trade. `is_opportunity` says whether the
    /// entry was labelled a Phase 1 opportunity (then a profitable close counts as
    /// captured). Counters saturate at `u32::MAX` rather than wrap.
    #[inline]
    pub fn record_trade(&mut self, o: &TradeOutcome, is_opportunity: bool) {
        self.record(o.profit_pct, o.reason, o.ambiguous, is_opportunity);
    }

    /// [`CellStats::record_trade`] of a trade of net `profit_pct` %, closed for `reason`,
    /// `ambiguous` as [`TradeOutcome::ambiguous`].
    #[inline]
    pub fn record(
        &mut self,
        profit_pct: f64,
        reason: ExitReason,
        ambiguous: bool,
        is_opportunity: bool,
    ) {
        let p = profit_pct;
        let win = p > 0.0;
        self.trades = self.trades.saturating_add(1);
        self.wins = self.wins.saturating_add(u32::from(win));
        self.captured = self
            .captured
            .saturating_add(u32::from(win & is_opportunity));
        self.sum_profit += p;
        self.sum_sq_profit += p * p;
        if let Some(n) = self.reasons.get_mut(reason.index()) {
            *n = n.saturating_add(1);
        }
        self.ambiguous = self.ambiguous.saturating_add(u32::from(ambiguous));
    }

    /// Realizes a profit of `pnl` (initial-capital units) into the equity curve. The
    /// equity never goes below 0 (ruin).
    #[inline]
    pub fn realize(&mut self, pnl: f64) {
        // Branch-free (wins and losses alternate unpredictably): adding the other side's
        // 0.0 leaves a sum unchanged, and `max`/`min` drop a NaN as the comparisons did.
        self.gross_profit += pnl.max(0.0);
        self.gross_loss -= pnl.min(0.0);
        self.equity += pnl;
        if self.equity <= 0.0 || self.equity.is_nan() {
            self.equity = 0.0;
        }
        if self.equity >= self.peak {
            // At a new high the fall is 0, which never raises the drawdown.
            self.peak = self.equity;
            return;
        }
        if self.equity < self.trough {
            self.trough = self.equity;
        }
        // The division only where the fall can beat the record: below 0.999999 of it
        // (products rounded by ~1e-16 relative) the quotient rounds to at most the record.
        let drop = self.peak - self.equity;
        if drop >= self.max_drawdown * self.peak * 0.999_999 {
            let fall = drop / self.peak;
            if fall > self.max_drawdown {
                self.max_drawdown = fall;
            }
        }
    }

    /// Folds one day's return, from equity `start` to `end`.
    #[inline]
    pub fn record_day(&mut self, start: f64, end: f64) {
        let r = if start > 0.0 { end / start - 1.0 } else { 0.0 };
        let r2 = r * r;
        self.day_sum += r;
        self.day_sum_sq += r2;
        if r < 0.0 {
            self.day_down_sq += r2;
        }
        self.day_sum_cu += r2 * r;
        self.day_sum_qu += r2 * r2;
    }

    /// Appends the account of a later, disjoint period (`later`, which started from an
    /// equity of 1.0) as if it had started from this account's final equity: counts and
    /// per-trade sums add, equity and capital figures scale by this account's equity,
    /// daily sums and days add, and the drawdown across the seam is exact (the largest
    /// fall is within either period or from this period's peak to the later one's scaled
    /// trough).
    pub fn chain(&mut self, later: &CellStats) {
        let base = self.equity;
        self.trades = self.trades.saturating_add(later.trades);
        self.wins = self.wins.saturating_add(later.wins);
        self.skipped = self.skipped.saturating_add(later.skipped);
        for (mine, theirs) in self.reasons.iter_mut().zip(later.reasons) {
            *mine = mine.saturating_add(theirs);
        }
        self.ambiguous = self.ambiguous.saturating_add(later.ambiguous);
        self.captured = self.captured.saturating_add(later.captured);
        self.days = self.days.saturating_add(later.days);
        self.sum_profit += later.sum_profit;
        self.sum_sq_profit += later.sum_sq_profit;
        self.gross_profit += base * later.gross_profit;
        self.gross_loss += base * later.gross_loss;
        let across = if self.peak > 0.0 {
            (self.peak - base * later.trough) / self.peak
        } else {
            0.0
        };
        self.max_drawdown = self.max_drawdown.max(later.max_drawdown).max(across);
        self.peak = self.peak.max(base * later.peak);
        self.trough = self.trough.min(base * later.trough);
        self.equity = base * later.equity;
        self.day_sum += later.day_sum;
        self.day_sum_sq += later.day_sum_sq;
        self.day_down_sq += later.day_down_sq;
        self.day_sum_cu += later.day_sum_cu;
        self.day_sum_qu += later.day_sum_qu;
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
