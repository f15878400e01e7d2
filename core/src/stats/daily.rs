//! Sharpe and Sortino ratios of the account's daily returns.
//!
//! A day's return is `E_end / E_start − 1` of the realized equity over one UTC day of the
//! pass's period; days without exits return 0 and count (freqtrade and vectorbt fill them
//! the same way). `n` = [`CellStats::days`]. Annualized with √365.

use super::distribution::student_t_sf;
use super::{CellStats, DAYS_PER_YEAR};
use crate::math;

/// Mean daily return (fraction); 0.0 for a period without days.
#[must_use]
pub fn daily_mean(s: &CellStats) -> f64 {
    if s.days == 0 {
        return 0.0;
    }
    s.day_sum / f64::from(s.days)
}

/// Sample standard deviation of the daily returns (n − 1); 0.0 with fewer than 2 days.
#[must_use]
pub fn daily_std_dev(s: &CellStats) -> f64 {
    if s.days < 2 {
        return 0.0;
    }
    let n = f64::from(s.days);
    let variance = (s.day_sum_sq - s.day_sum * s.day_sum / n) / (n - 1.0);
    if variance > 0.0 {
        math::sqrt(variance)
    } else {
        0.0
    }
}

/// Annualized Sharpe ratio of the daily returns (risk-free rate 0):
/// `mean / std × √365`. 0.0 when the deviation is 0 (no trades, or a constant return).
#[must_use]
pub fn sharpe(s: &CellStats) -> f64 {
    let sd = daily_std_dev(s);
    if sd > 0.0 {
        daily_mean(s) / sd * math::sqrt(DAYS_PER_YEAR)
    } else {
        0.0
    }
}

/// Annualized Sortino ratio: `mean / downside deviation × √365`, the downside deviation
/// being `√(Σ min(r, 0)² / n)` over all days. 0.0 without any losing day.
#[must_use]
pub fn sortino(s: &CellStats) -> f64 {
    if s.days == 0 || s.day_down_sq <= 0.0 {
        return 0.0;
    }
    let dd = math::sqrt(s.day_down_sq / f64::from(s.days));
    daily_mean(s) / dd * math::sqrt(DAYS_PER_YEAR)
}

/// The t-statistic of the mean daily return (`mean / (std / √n)`): what Phase 4's
/// one-sided test reads. 0.0 when the deviation is 0.
#[must_use]
pub fn daily_t_stat(s: &CellStats) -> f64 {
    let sd = daily_std_dev(s);
    if sd > 0.0 {
        daily_mean(s) / sd * math::sqrt(f64::from(s.days))
    } else {
        0.0
    }
}

/// One-sided p-value of the t-test "mean daily return > 0" (Student's t with `n − 1`
/// degrees of freedom): small when the mean is reliably positive. 1.0 with fewer than 2
/// days or no variation (nothing to test).
#[must_use]
pub fn daily_p_value(s: &CellStats) -> f64 {
    if s.days < 2 || !crate::trade::positive_finite(daily_std_dev(s)) {
        return 1.0;
    }
    let p = student_t_sf(daily_t_stat(s), f64::from(s.days) - 1.0);
    if p.is_nan() { 1.0 } else { p }
}

/// Skewness of the daily returns (population moments); 0.0 without variation.
#[must_use]
pub fn daily_skewness(s: &CellStats) -> f64 {
    let (n, m, var) = moments(s);
    if !crate::trade::positive_finite(var) {
        return 0.0;
    }
    let m3 = s.day_sum_cu / n - 3.0 * m * s.day_sum_sq / n + 2.0 * m * m * m;
    m3 / (var * math::sqrt(var))
}

/// Kurtosis (not excess: 3 for a normal) of the daily returns (population moments);
/// 3.0 without variation.
#[must_use]
pub fn daily_kurtosis(s: &CellStats) -> f64 {
    let (n, m, var) = moments(s);
    if !crate::trade::positive_finite(var) {
        return 3.0;
    }
    let m4 = s.day_sum_qu / n - 4.0 * m * s.day_sum_cu / n + 6.0 * m * m * s.day_sum_sq / n
        - 3.0 * m * m * m * m;
    m4 / (var * var)
}

/// `(n, mean, population variance)` of the daily returns.
fn moments(s: &CellStats) -> (f64, f64, f64) {
    if s.days == 0 {
        return (1.0, 0.0, 0.0);
    }
    let n = f64::from(s.days);
    let m = s.day_sum / n;
    (n, m, s.day_sum_sq / n - m * m)
}

/// The daily (not annualized) Sharpe ratio: `mean / std`.
#[must_use]
pub fn daily_sharpe(s: &CellStats) -> f64 {
    let sd = daily_std_dev(s);
    if sd > 0.0 { daily_mean(s) / sd } else { 0.0 }
}
