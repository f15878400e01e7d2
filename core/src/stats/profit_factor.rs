//! Profit factor: gross profit over gross loss.

use super::CellStats;

/// `gross_profit / gross_loss`, in capital units (stake × net %), so compounding counts.
///
/// - `None` when it is undefined: no trades, or neither profit nor loss (all break-even).
/// - `Some(f64::INFINITY)` when there is profit but no loss.
/// - `Some(0.0)` when there is loss but no profit.
#[must_use]
pub fn profit_factor(s: &CellStats) -> Option<f64> {
    if s.trades == 0 || (s.gross_profit <= 0.0 && s.gross_loss <= 0.0) {
        None
    } else if s.gross_loss <= 0.0 {
        Some(f64::INFINITY)
    } else {
        Some(s.gross_profit / s.gross_loss)
    }
}

/// [`profit_factor`] for reports: finite and at most `cap` (so JSON never sees infinity),
/// with the undefined case reported as 0.0. A non-finite `cap` is treated as `f64::MAX`.
#[must_use]
pub fn profit_factor_capped(s: &CellStats, cap: f64) -> f64 {
    let cap = if cap.is_finite() { cap } else { f64::MAX };
    match profit_factor(s) {
        None => 0.0,
        Some(pf) if pf <= cap => pf,
        Some(_) => cap,
    }
}
