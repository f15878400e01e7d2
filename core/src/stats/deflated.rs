//! The deflated Sharpe ratio (Bailey & López de Prado, 2014): the probability that a
//! strategy's true Sharpe ratio is above zero, given that it is the best of `N` trials.
//!
//! - `SR₀ = √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e)))`, the Sharpe ratio the best of
//!   `N` trials with no skill is expected to reach (`V`: the variance of the trials'
//!   Sharpe ratios, `γ`: the Euler–Mascheroni constant);
//! - `DSR = Φ((SR − SR₀) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 · SR²))`, with `T` returns of
//!   skewness `γ₃` and kurtosis `γ₄` (3 for a normal).
//!
//! All Sharpe ratios here are per period (daily), not annualized. The paper's numerical
//! example (`N` = 100, `V` = 0.5/250, `T` = 1250, `SR` = 2.5/√250, `γ₃` = −3, `γ₄` = 10)
//! gives `SR₀` ≈ 0.1132 and `DSR` ≈ 0.9004; a test checks it.

use super::distribution::{normal_cdf, normal_quantile};
use crate::math;

/// The Euler–Mascheroni constant.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// `SR₀`: the expected maximum Sharpe ratio of `trials` unskilled trials whose Sharpe
/// ratios have variance `variance`. 0.0 for a single trial or no variance.
#[must_use]
pub fn expected_max_sharpe(trials: u64, variance: f64) -> f64 {
    if trials < 2 || !crate::trade::positive_finite(variance) {
        return 0.0;
    }
    let n = trials as f64;
    let e = core::f64::consts::E;
    math::sqrt(variance)
        * ((1.0 - EULER_GAMMA) * normal_quantile(1.0 - 1.0 / n)
            + EULER_GAMMA * normal_quantile(1.0 - 1.0 / (n * e)))
}

/// The deflated Sharpe ratio, a probability in `[0, 1]`: `sharpe` observed over
/// `observations` returns of skewness `skew` and (non-excess) kurtosis `kurtosis`,
/// against the benchmark `sr0` ([`expected_max_sharpe`]). 0.0 with fewer than 2
/// observations or a non-positive variance term.
#[must_use]
pub fn deflated_sharpe(sharpe: f64, sr0: f64, observations: u32, skew: f64, kurtosis: f64) -> f64 {
    if observations < 2 {
        return 0.0;
    }
    let denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe;
    if !crate::trade::positive_finite(denom) {
        return 0.0;
    }
    let z = (sharpe - sr0) * math::sqrt(f64::from(observations) - 1.0) / math::sqrt(denom);
    let p = normal_cdf(z);
    if p.is_nan() { 0.0 } else { p }
}
