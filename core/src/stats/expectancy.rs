//! Expectancy: the mean net % per trade, and its standard deviation.

use super::CellStats;
use crate::math;

/// Mean net profit % per trade; 0.0 when there are no trades.
#[must_use]
pub fn expectancy(s: &CellStats) -> f64 {
    if s.trades == 0 {
        0.0
    } else {
        s.sum_profit / f64::from(s.trades)
    }
}

/// Sample standard deviation of the net profit % per trade (n − 1); 0.0 with fewer than
/// 2 trades.
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

/// System quality number as freqtrade's hyperopt loss defines the idea: expectancy × √n
/// (= sum of net % / √n); 0.0 without trades.
#[must_use]
pub fn sqn(s: &CellStats) -> f64 {
    if s.trades == 0 {
        0.0
    } else {
        s.sum_profit / math::sqrt(f64::from(s.trades))
    }
}
