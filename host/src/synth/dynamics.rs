//! The generator's calibration: the fixed constants of the market's dynamics, the
//! per-bar constants derived from a [`SymbolModel`] at a timeframe, and decimal rounding.

use phasebound_core::math;

use super::market::SymbolModel;

/// Volatility multiplier by UTC hour (normalized at run time): the shape of 2024
/// Binance spot 15m majors — quiet Asian night, a peak around the US open.
pub(super) const HOUR_VOL: [f64; 24] = [
    0.98, 1.21, 1.00, 0.83, 0.77, 0.79, 0.92, 0.81, 0.88, 0.79, 0.80, 0.84, //
    1.19, 1.20, 1.37, 1.16, 1.15, 1.07, 1.10, 1.03, 0.99, 1.10, 0.92, 0.75,
];
/// Volume multiplier by UTC hour (normalized at run time), same source.
pub(super) const HOUR_VOLUME: [f64; 24] = [
    0.89, 1.00, 0.89, 0.76, 0.73, 0.76, 0.81, 0.90, 0.96, 0.91, 0.86, 0.89, //
    1.19, 1.35, 1.71, 1.56, 1.42, 1.15, 1.09, 1.05, 0.96, 0.80, 0.70, 0.66,
];
/// Weekend (Saturday, Sunday UTC) multipliers of volatility and of volume.
pub(super) const WEEKEND_VOL: f64 = 0.7;
pub(super) const WEEKEND_VOLUME: f64 = 0.55;
/// Volatility multiplier while ranging and while trending.
pub(super) const RANGE_VOL: f64 = 0.85;
pub(super) const TREND_VOL: f64 = 1.15;
/// Volume multiplier while trending (ranging is 1).
pub(super) const TREND_VOLUME: f64 = 1.2;
/// Of the trends that end, the share that reverses straight into the opposite trend.
pub(super) const TREND_REVERSAL: f64 = 0.3;
/// Elasticity of volume to the (non-seasonal) volatility level.
pub(super) const VOLUME_ACTIVITY_EXPONENT: f64 = 1.0;
/// Volume factor of a bar's own move `m` in current volatilities: `BASE + SLOPE * m`,
/// capped at `CAP` (a jump bar trades a few times the usual, not fifty).
pub(super) const VOLUME_MOVE_BASE: f64 = 0.6;
pub(super) const VOLUME_MOVE_SLOPE: f64 = 0.5;
pub(super) const VOLUME_MOVE_CAP: f64 = 5.0;
/// A close beyond the previous `BREAKOUT_LOOKBACK` bars' range trades `BREAKOUT_VOLUME`
/// times the volume (stops and breakout traders), as in real 15m data where about
/// half the 20-bar breakouts carry twice the recent volume.
pub(super) const BREAKOUT_LOOKBACK: usize = 20;
pub(super) const BREAKOUT_VOLUME: f64 = 2.0;
/// Lag-1 autocorrelation of the log-volume noise.
pub(super) const VOLUME_NOISE_PERSISTENCE: f64 = 0.7;
/// Probability and mean multiplier of a volume burst unrelated to the price move.
pub(super) const BURST_PROB: f64 = 0.006;
pub(super) const BURST_SIZE: f64 = 3.0;
/// Largest squared jump fed to the GARCH variance, in long-run bar variances, and
/// largest squared Student-t shock fed to it (keeps the variance's tail finite).
pub(super) const JUMP_FEEDBACK_CAP: f64 = 16.0;
pub(super) const SHOCK_FEEDBACK_CAP: f64 = 16.0;
/// Size of an opening gap, in current bar volatilities.
pub(super) const GAP_SIGMAS: f64 = 0.3;
/// The log price stays within this many natural-log units of the start price, so
/// every price has a representable decimal rounding however long the run.
const LOG_PRICE_SPAN: f64 = 12.0;

const MS_PER_MINUTE: i64 = 60_000;
const MINUTES_PER_DAY: f64 = 1440.0;
const DAYS_PER_YEAR: f64 = 365.0;

/// Per-bar constants derived once from a [`SymbolModel`] and a timeframe.
#[derive(Clone, Copy, Debug)]
pub(super) struct Params {
    pub(super) tf_ms: i64,
    /// Long-run variance of one bar's log return, everything included.
    pub(super) bar_var: f64,
    /// Long-run level of the GARCH variance (the diffusive part, before multipliers).
    pub(super) h_bar: f64,
    pub(super) omega: f64,
    pub(super) alpha: f64,
    pub(super) beta: f64,
    /// Slow log-volatility factor: AR(1) coefficient, innovation sd, stationary sd.
    pub(super) slow_phi: f64,
    pub(super) slow_innovation: f64,
    pub(super) slow_sd: f64,
    pub(super) tail_df: u32,
    /// Normalizes the hourly volatility profile to a mean square of 1.
    pub(super) season_norm: f64,
    /// Normalizes the hourly volume profile to a mean of 1.
    pub(super) volume_norm: f64,
    pub(super) p_leave_range: f64,
    pub(super) p_leave_trend: f64,
    pub(super) trend_drift: f64,
    pub(super) reversion: f64,
    pub(super) p_jump: f64,
    pub(super) jump_sd: f64,
    pub(super) gap_prob: f64,
    pub(super) base_volume: f64,
    pub(super) volume_noise: f64,
    pub(super) price_digits: u32,
    pub(super) volume_scale: f64,
    pub(super) log_floor: f64,
    pub(super) log_ceiling: f64,
}

/// `0.5^(elapsed / half_life)`: the share of a shock left after `elapsed`.
fn decay(elapsed: f64, half_life: f64) -> f64 {
    math::exp(-core::f64::consts::LN_2 * elapsed / half_life)
}

impl Params {
    pub(super) fn new(m: &SymbolModel, timeframe_minutes: u32) -> Self {
        let tf_min = f64::from(timeframe_minutes.max(1));
        let tf_hours = tf_min / 60.0;
        let bars_per_day = MINUTES_PER_DAY / tf_min;
        let annual_vol = math::clamp(m.annual_vol, 0.01, 5.0);
        let bar_var = annual_vol * annual_vol / (DAYS_PER_YEAR * bars_per_day);

        // Share of time ranging vs trending, from the chain's mean durations.
        let range_hours = math::clamp(m.range_hours, 1.0, 10_000.0);
        let trend_hours = math::clamp(m.trend_hours, 1.0, 10_000.0);
        let pi_range = range_hours / (range_hours + trend_hours);
        let regime_ms = pi_range * RANGE_VOL * RANGE_VOL + (1.0 - pi_range) * TREND_VOL * TREND_VOL;

        let (mut sum_sq, mut sum_v) = (0.0, 0.0);
        for (v, w) in HOUR_VOL.iter().zip(HOUR_VOLUME) {
            sum_sq += v * v;
            sum_v += w;
        }
        let weekend_share = 2.0 / 7.0;
        let season_ms =
            sum_sq / 24.0 * (1.0 - weekend_share + weekend_share * WEEKEND_VOL * WEEKEND_VOL);
        let volume_mean = sum_v / 24.0 * (1.0 - weekend_share + weekend_share * WEEKEND_VOLUME);

        // Jumps take their share of the variance budget; the diffusion gets the rest.
        let p_jump = math::clamp(
            math::clamp(m.jumps_per_day, 0.0, 10.0) / bars_per_day,
            0.0,
            0.5,
        );
        let jump_sigmas = math::clamp(m.jump_sigmas, 0.0, 50.0);
        let jump_share = math::clamp(p_jump * jump_sigmas * jump_sigmas, 0.0, 0.8);
        let h_bar = bar_var * (1.0 - jump_share) / (season_ms * regime_ms);

        let persistence = decay(tf_hours, math::clamp(m.vol_half_life_hours, 0.5, 1000.0));
        let alpha = math::clamp(m.garch_alpha, 0.0, 0.3).min(persistence);
        let slow_phi = decay(
            tf_hours,
            math::clamp(m.slow_vol_half_life_hours, 1.0, 10_000.0),
        );
        let slow_sd = math::clamp(m.slow_vol_sd, 0.0, 1.0);

        let daily_vol = annual_vol / math::sqrt(DAYS_PER_YEAR);
        let log_start = math::ln(math::clamp(m.start_price, 1e-6, 1e9));
        Self {
            tf_ms: i64::from(timeframe_minutes.max(1)) * MS_PER_MINUTE,
            bar_var,
            h_bar,
            omega: h_bar * (1.0 - persistence),
            alpha,
            beta: persistence - alpha,
            slow_phi,
            slow_innovation: slow_sd * math::sqrt(1.0 - slow_phi * slow_phi),
            slow_sd,
            tail_df: m.tail_df.clamp(3, 30),
            season_norm: 1.0 / math::sqrt(season_ms),
            volume_norm: 1.0 / volume_mean,
            p_leave_range: math::clamp(tf_hours / range_hours, 0.0, 1.0),
            p_leave_trend: math::clamp(tf_hours / trend_hours, 0.0, 1.0),
            trend_drift: math::clamp(m.trend_strength, 0.0, 5.0) * daily_vol / bars_per_day,
            reversion: 1.0
                - decay(
                    tf_hours,
                    math::clamp(m.range_reversion_hours, 0.5, 10_000.0),
                ),
            p_jump,
            jump_sd: jump_sigmas * math::sqrt(bar_var),
            gap_prob: math::clamp(m.gap_prob, 0.0, 1.0),
            base_volume: math::clamp(m.base_volume, 1e-3, 1e12),
            volume_noise: math::clamp(m.volume_noise, 0.0, 2.0),
            price_digits: m.price_digits.clamp(3, 12),
            volume_scale: pow10(m.volume_decimals.min(8) as i32),
            log_floor: log_start - LOG_PRICE_SPAN,
            log_ceiling: log_start + LOG_PRICE_SPAN,
        }
    }
}

/// `10^k` for `|k| <= 22`, exactly where the result is an integer.
fn pow10(k: i32) -> f64 {
    let mut p = 1.0;
    for _ in 0..k.unsigned_abs().min(22) {
        p *= 10.0;
    }
    if k < 0 { 1.0 / p } else { p }
}

/// Rounds a positive `x` to `digits` significant digits, as `n * 10^e` or `n / 10^-e`
/// with an exact power of ten, so the result is the `f64` nearest to a short decimal.
pub(super) fn round_significant(x: f64, digits: u32) -> f64 {
    // Decimal exponent of x: 10^k <= x < 10^(k+1), found by exact comparisons.
    let mut k: i32 = 0;
    while k < 22 && x >= pow10(k + 1) {
        k += 1;
    }
    while k > -22 && x < pow10(k) {
        k -= 1;
    }
    let e = k + 1 - digits as i32;
    if e >= 0 {
        let scale = pow10(e);
        (math::round(x / scale).max(1.0)) * scale
    } else {
        let scale = pow10(-e);
        math::round(x * scale).max(1.0) / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_significant_gives_short_decimals() {
        assert_eq!(round_significant(42_123.456_7, 6), 42_123.5);
        assert_eq!(round_significant(0.091_234_56, 5), 0.091_235);
        assert_eq!(round_significant(999_999.7, 6), 1_000_000.0);
        assert_eq!(round_significant(1.0, 6), 1.0);
        assert_eq!(format!("{}", round_significant(2_301.234_9, 6)), "2301.23");
        assert_eq!(format!("{}", round_significant(0.1 + 0.2, 6)), "0.3");
    }
}
