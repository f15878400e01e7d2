//! Win rate: the share of trades with net profit `> 0`.

use super::CellStats;

/// `wins / trades` in `[0, 1]`; 0.0 when there are no trades. Break-even trades
/// (profit exactly 0) are not wins.
#[must_use]
pub fn win_rate(s: &CellStats) -> f64 {
    if s.trades == 0 {
        0.0
    } else {
        f64::from(s.wins) / f64::from(s.trades)
    }
}
