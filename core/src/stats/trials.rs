//! [`Trials`]: how many configurations a search tried, and the spread of their Sharpe
//! ratios — what the deflated Sharpe ratio needs.

use super::{CellStats, daily_sharpe};

/// The configurations a workspace has evaluated since
/// [`Workspace::reset_trials`](crate::engine::Workspace::reset_trials): every
/// cell of every finished pass counts as one trial (an upper bound on the distinct
/// configurations, as searches revisit cells), and the daily Sharpe ratios of those
/// that traded are summed for their variance. The deflated Sharpe ratio reads them.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trials {
    /// Cells evaluated.
    pub cells: u64,
    /// Cells with at least one trade.
    pub traded: u64,
    /// Sum of their daily Sharpe ratios.
    pub sharpe_sum: f64,
    /// Sum of their squares.
    pub sharpe_sum_sq: f64,
}

impl Trials {
    /// No trials yet (const, so workspaces can be `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            cells: 0,
            traded: 0,
            sharpe_sum: 0.0,
            sharpe_sum_sq: 0.0,
        }
    }

    /// Counts one evaluated cell (its pass finished).
    pub fn record(&mut self, st: &CellStats) {
        self.cells += 1;
        if st.trades > 0 {
            let sr = daily_sharpe(st);
            self.traded += 1;
            self.sharpe_sum += sr;
            self.sharpe_sum_sq += sr * sr;
        }
    }

    /// Sample variance of the traded cells' daily Sharpe ratios (0.0 below 2).
    #[must_use]
    pub fn sharpe_variance(&self) -> f64 {
        if self.traded < 2 {
            return 0.0;
        }
        let n = self.traded as f64;
        let v = (self.sharpe_sum_sq - self.sharpe_sum * self.sharpe_sum / n) / (n - 1.0);
        if v > 0.0 { v } else { 0.0 }
    }
}
