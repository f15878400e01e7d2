//! Profit moments: total, average (= expectancy) and standard deviation of trade profit.

use super::CellStats;
use crate::math;

/// Sum of net trade profit %; 0.0 when there are no trades.
#[must_use]
pub fn total_profit(s: &CellStats) -> f64 {
    s.sum_profit
}

/// Mean net profit % per trade; 0.0 when there are no trades.
#[must_use]
pub fn average_profit(s: &CellStats) -> f64 {
    if s.trades == 0 {
        0.0
    } else {
        s.sum_profit / f64::from(s.trades)
    }
}

/// Expectancy: the expected net profit % of one trade, `win_rate · avg_win −
/// loss_rate · avg_loss`, which is algebraically the mean profit. It is computed as
/// [`average_profit`] (one rounding path, so the two never disagree in reports);
/// 0.0 when there are no trades.
#[must_use]
pub fn expectancy(s: &CellStats) -> f64 {
    average_profit(s)
}

/// Sample standard deviation of net trade profit % (divisor `n − 1`); 0.0 for fewer than
/// two trades.
///
/// Computed from the running sums `Σp` and `Σp²`, which merge trivially; the price is an
/// absolute error of about `√(n·ε)·|mean|` (ε = 2⁻⁵²), i.e. ~1e-7 profit points for
/// realistic trades, far below report precision. A variance made slightly negative by
/// that rounding (all trades equal) is clamped to 0.
#[must_use]
pub fn profit_std_dev(s: &CellStats) -> f64 {
    if s.trades < 2 {
        return 0.0;
    }
    let n = f64::from(s.trades);
    let variance = (s.sum_sq_profit - s.sum_profit * s.sum_profit / n) / (n - 1.0);
    if variance > 0.0 {
        math::sqrt(variance)
    } else {
        0.0
    }
}
