//! Calmar ratio: CAGR over the maximum drawdown.

use super::{CellStats, cagr, drawdown::over_drawdown};

/// CAGR (%) divided by `max(max_drawdown %, DRAWDOWN_FLOOR_PCT)`; 0.0 without trades.
///
/// [`DRAWDOWN_FLOOR_PCT`]: super::DRAWDOWN_FLOOR_PCT
#[must_use]
pub fn calmar(s: &CellStats) -> f64 {
    if s.trades == 0 {
        return 0.0;
    }
    over_drawdown(s, cagr(s))
}
