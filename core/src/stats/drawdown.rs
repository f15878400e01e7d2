//! Maximum drawdown of the cumulative profit curve, and return over drawdown.

use super::CellStats;

/// The smallest drawdown, in profit points, that [`return_over_drawdown`] divides by.
///
/// A floor instead of a special case keeps the ratio continuous: a cell with a 0.01-point
/// drawdown must not outrank an otherwise identical cell with none by a factor of 100.
/// With the floor at 1 point, a cell that never drew down scores its total profit.
pub const DRAWDOWN_FLOOR_PCT: f64 = 1.0;

/// Largest fall of the cumulative profit curve (entry order) from an earlier high,
/// in profit points, `≥ 0`; 0.0 when there are no trades.
#[must_use]
pub fn max_drawdown(s: &CellStats) -> f64 {
    s.max_drawdown
}

/// Total profit divided by `max(max_drawdown, DRAWDOWN_FLOOR_PCT)`; 0.0 when there are no
/// trades. Negative when the cell lost money. When the curve never drew down, total profit
/// is necessarily `≥ 0` and the result is the total profit itself.
#[must_use]
pub fn return_over_drawdown(s: &CellStats) -> f64 {
    if s.trades == 0 {
        return 0.0;
    }
    let dd = if s.max_drawdown > DRAWDOWN_FLOOR_PCT {
        s.max_drawdown
    } else {
        DRAWDOWN_FLOOR_PCT
    };
    s.sum_profit / dd
}
