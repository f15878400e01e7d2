//! Total return and CAGR of the account.

use super::CellStats;
use crate::math;

/// Days in a year, for annualizing (crypto trades every day).
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Total return of the account over the pass, in % of the initial capital
/// (`(equity − 1) × 100`; −100 when ruined); 0.0 when there are no trades.
#[must_use]
pub fn total_return(s: &CellStats) -> f64 {
    (s.equity - 1.0) * 100.0
}

/// Compound annual growth rate in %: `equity^(365 / days) − 1`. 0.0 when the period has
/// no days or there are no trades; −100 when the account is ruined.
#[must_use]
pub fn cagr(s: &CellStats) -> f64 {
    if s.days == 0 || s.trades == 0 {
        return 0.0;
    }
    if s.equity <= 0.0 {
        return -100.0;
    }
    let years = f64::from(s.days) / DAYS_PER_YEAR;
    (math::exp(math::ln(s.equity) / years) - 1.0) * 100.0
}
