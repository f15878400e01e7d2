//! Maximum drawdown of the account's realized equity, and return over drawdown.

use super::{CellStats, total_return};

/// The smallest drawdown, in %, that [`return_over_drawdown`] and
/// [`calmar`](super::calmar()) divide by.
///
/// A floor instead of a special case keeps the ratio continuous: a cell with a 0.01 %
/// drawdown must not outrank an otherwise identical cell with none by a factor of 100.
/// With the floor at 1 %, a cell that never drew down scores its return itself.
pub const DRAWDOWN_FLOOR_PCT: f64 = 1.0;

/// Largest fall of the realized equity from its running peak (exit order), in % of that
/// peak: `0..=100`; 0.0 when there are no trades.
#[must_use]
pub fn max_drawdown(s: &CellStats) -> f64 {
    s.max_drawdown * 100.0
}

/// `x` divided by `max(max_drawdown %, DRAWDOWN_FLOOR_PCT)`.
#[must_use]
pub(crate) fn over_drawdown(s: &CellStats, x: f64) -> f64 {
    let dd = max_drawdown(s);
    x / if dd > DRAWDOWN_FLOOR_PCT {
        dd
    } else {
        DRAWDOWN_FLOOR_PCT
    }
}

/// Total return (%) divided by `max(max_drawdown %, DRAWDOWN_FLOOR_PCT)`; 0.0 when there
/// are no trades. Negative when the account lost money.
#[must_use]
pub fn return_over_drawdown(s: &CellStats) -> f64 {
    if s.trades == 0 {
        return 0.0;
    }
    over_drawdown(s, total_return(s))
}
