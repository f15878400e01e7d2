//! The bar generator: the seeded stream of one symbol's bars, its regimes and random
//! draws, one bar at a time in constant memory.

use phasebound_core::Bar;
use phasebound_core::math;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::dynamics::{
    BREAKOUT_LOOKBACK, BREAKOUT_VOLUME, BURST_PROB, BURST_SIZE, GAP_SIGMAS, HOUR_VOL, HOUR_VOLUME,
    JUMP_FEEDBACK_CAP, Params, RANGE_VOL, SHOCK_FEEDBACK_CAP, TREND_REVERSAL, TREND_VOL,
    TREND_VOLUME, VOLUME_ACTIVITY_EXPONENT, VOLUME_MOVE_BASE, VOLUME_MOVE_CAP, VOLUME_MOVE_SLOPE,
    VOLUME_NOISE_PERSISTENCE, WEEKEND_VOL, WEEKEND_VOLUME, round_significant,
};
use super::market::SymbolModel;

/// Streams `bars` bars of `model`, the first opening at `start_ms`, one every
/// `timeframe_minutes` (0 counts as 1). Deterministic in all its arguments; the
/// random stream is `seed` jumped `model.stream` × 2^128 draws ahead.
#[must_use]
pub fn generate(
    model: &SymbolModel,
    seed: u64,
    start_ms: i64,
    timeframe_minutes: u32,
    bars: usize,
) -> SynthBars {
    SynthBars::new(model, seed, start_ms, timeframe_minutes, bars)
}

/// The market regime a bar was generated in (see the [`synth`](super) module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// Sideways: the price is pulled back towards the level where the range began.
    Range,
    /// Trending up: a positive drift.
    Up,
    /// Trending down: a negative drift.
    Down,
}

/// The bar stream of one symbol; see [`generate`]. Its size is fixed and it owns no
/// heap memory, so generating any number of bars takes O(1) memory.
#[derive(Clone, Debug)]
pub struct SynthBars {
    p: Params,
    rng: Xoshiro256PlusPlus,
    /// Second normal of the last polar-method pair, not yet used.
    spare_normal: Option<f64>,
    index: usize,
    bars: usize,
    start_ms: i64,
    regime: Regime,
    /// Log price the current range pulls towards.
    anchor: f64,
    /// Unrounded log close of the previous bar.
    log_close: f64,
    /// Rounded close of the previous bar: the next open.
    close: f64,
    /// GARCH variance of the next bar.
    h: f64,
    /// Slow log-volatility factor (stationary mean 0).
    slow: f64,
    /// Persistent part of the log-volume noise.
    volume_ar: f64,
    /// Highs and lows of the last `BREAKOUT_LOOKBACK` bars (a ring; `recent` are filled).
    highs: [f64; BREAKOUT_LOOKBACK],
    lows: [f64; BREAKOUT_LOOKBACK],
    recent: usize,
}

impl SynthBars {
    fn new(
        model: &SymbolModel,
        seed: u64,
        start_ms: i64,
        timeframe_minutes: u32,
        bars: usize,
    ) -> Self {
        let p = Params::new(model, timeframe_minutes);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        rng.jump_ce(model.stream, 128);
        let log_close = math::ln(math::clamp(model.start_price, 1e-6, 1e9));
        let mut s = Self {
            p,
            rng,
            spare_normal: None,
            index: 0,
            bars,
            start_ms,
            regime: Regime::Range,
            anchor: log_close,
            log_close,
            close: round_significant(math::exp(log_close), p.price_digits),
            h: p.h_bar,
            slow: 0.0,
            volume_ar: 0.0,
            highs: [0.0; BREAKOUT_LOOKBACK],
            lows: [0.0; BREAKOUT_LOOKBACK],
            recent: 0,
        };
        // Start in the stationary distributions of the regime chain and the slow factor.
        let range_share = p.p_leave_trend / (p.p_leave_trend + p.p_leave_range);
        s.regime = if s.uniform() < range_share {
            Regime::Range
        } else if s.uniform() < 0.5 {
            Regime::Up
        } else {
            Regime::Down
        };
        s.slow = p.slow_sd * s.normal();
        s
    }

    /// The regime of the last bar yielded (before the first bar: the starting regime).
    /// For tests and diagnostics: the engine never sees it.
    #[must_use]
    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// Uniform in `(0, 1]` (never 0, so its logarithm is finite).
    fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal, Marsaglia's polar method (only `ln` and `sqrt`).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = math::sqrt(-2.0 * math::ln(s) / s);
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// Student-t with `tail_df` degrees of freedom, scaled to unit variance.
    fn student_t(&mut self) -> f64 {
        let z = self.normal();
        let mut chi2 = 0.0;
        for _ in 0..self.p.tail_df {
            let n = self.normal();
            chi2 += n * n;
        }
        let df = f64::from(self.p.tail_df);
        z * math::sqrt((df - 2.0) / chi2.max(1e-12))
    }

    fn step_regime(&mut self) {
        let leave = self.uniform();
        let pick = self.uniform();
        self.regime = match self.regime {
            Regime::Range if leave < self.p.p_leave_range => {
                if pick < 0.5 {
                    Regime::Up
                } else {
                    Regime::Down
                }
            }
            Regime::Up if leave < self.p.p_leave_trend && pick < TREND_REVERSAL => Regime::Down,
            Regime::Down if leave < self.p.p_leave_trend && pick < TREND_REVERSAL => Regime::Up,
            Regime::Up | Regime::Down if leave < self.p.p_leave_trend => {
                self.anchor = self.log_close;
                Regime::Range
            }
            r => r,
        };
    }

    fn next_bar(&mut self) -> Bar {
        let p = self.p;
        let time = self
            .start_ms
            .saturating_add((self.index as i64).saturating_mul(p.tf_ms));
        self.step_regime();

        let (hour, weekend) = hour_and_weekend(time);
        let season = HOUR_VOL.get(hour).copied().unwrap_or(1.0)
            * if weekend { WEEKEND_VOL } else { 1.0 }
            * p.season_norm;
        let (regime_vol, regime_volume, drift) = match self.regime {
            Regime::Range => (
                RANGE_VOL,
                1.0,
                -p.reversion * (self.log_close - self.anchor),
            ),
            Regime::Up => (TREND_VOL, TREND_VOLUME, p.trend_drift),
            Regime::Down => (TREND_VOL, TREND_VOLUME, -p.trend_drift),
        };
        // exp(slow - sd^2) has mean square 1, so the slow factor keeps the variance budget.
        let slow = math::exp(self.slow - p.slow_sd * p.slow_sd);
        let garch_sd = math::sqrt(self.h);
        // Volatility level apart from the time of day, relative to the long run.
        let activity = garch_sd / math::sqrt(p.h_bar) * slow * regime_vol;
        let sigma = garch_sd * slow * regime_vol * season;

        // Every bar takes the same draws in the same order, used or not, so the
        // prices do not depend on the volume parameters and a switched-off feature
        // leaves the rest of the path as it was.
        let z = self.student_t();
        let (u_jump, n_jump) = (self.uniform(), self.normal());
        let (u_gap, n_gap) = (self.uniform(), self.normal());
        let (u_high, u_low) = (self.uniform(), self.uniform());
        let slow_shock = self.normal();
        let volume_shock = self.normal();
        let (u_burst, n_burst) = (self.uniform(), self.normal());
        let jump = if u_jump < p.p_jump {
            n_jump * p.jump_sd
        } else {
            0.0
        };
        let gap = if u_gap < p.gap_prob {
            n_gap * GAP_SIGMAS * sigma
        } else {
            0.0
        };
        let burst = if u_burst < BURST_PROB {
            BURST_SIZE * math::exp(0.3 * n_burst)
        } else {
            1.0
        };

        let log_open = math::clamp(self.log_close + gap, p.log_floor, p.log_ceiling);
        let move_ = drift + sigma * z + jump;
        let log_close = math::clamp(log_open + move_, p.log_floor, p.log_ceiling);
        let x = log_close - log_open;
        // Extremes of a Brownian bridge from 0 to x with variance sigma^2: both
        // are beyond the end points, so the OHLC order holds before rounding.
        let s2 = sigma * sigma;
        let up = 0.5 * (x + math::sqrt(x * x - 2.0 * s2 * math::ln(u_high)));
        let down = 0.5 * (x - math::sqrt(x * x - 2.0 * s2 * math::ln(u_low)));

        let open = if gap == 0.0 {
            self.close
        } else {
            round_significant(math::exp(log_open), p.price_digits)
        };
        let close = round_significant(math::exp(log_close), p.price_digits);
        // Rounding is monotone; max/min only guard against a last-ulp wobble of exp.
        let high = round_significant(math::exp(log_open + up), p.price_digits)
            .max(open)
            .max(close);
        let low = round_significant(math::exp(log_open + down), p.price_digits)
            .min(open)
            .min(close);

        self.volume_ar = VOLUME_NOISE_PERSISTENCE * self.volume_ar
            + math::sqrt(1.0 - VOLUME_NOISE_PERSISTENCE * VOLUME_NOISE_PERSISTENCE) * volume_shock;
        let noise = p.volume_noise * self.volume_ar - 0.5 * p.volume_noise * p.volume_noise;
        let hour_volume = HOUR_VOLUME.get(hour).copied().unwrap_or(1.0)
            * if weekend { WEEKEND_VOLUME } else { 1.0 }
            * p.volume_norm;
        let move_factor =
            (VOLUME_MOVE_BASE + VOLUME_MOVE_SLOPE * math::abs(move_) / sigma).min(VOLUME_MOVE_CAP);
        let breakout = self.recent >= BREAKOUT_LOOKBACK
            && (close > self.highs.iter().fold(0.0, |a: f64, &b| a.max(b))
                || close < self.lows.iter().fold(f64::MAX, |a: f64, &b| a.min(b)));
        let slot = self.index % BREAKOUT_LOOKBACK;
        if let (Some(h), Some(l)) = (self.highs.get_mut(slot), self.lows.get_mut(slot)) {
            *h = high;
            *l = low;
        }
        self.recent = (self.recent + 1).min(BREAKOUT_LOOKBACK);
        let volume_raw = p.base_volume
            * hour_volume
            * regime_volume
            * math::exp(VOLUME_ACTIVITY_EXPONENT * math::ln(activity))
            * move_factor
            * math::exp(noise)
            * burst
            * if breakout { BREAKOUT_VOLUME } else { 1.0 };
        let volume = math::round(volume_raw * p.volume_scale).max(1.0) / p.volume_scale;

        // GARCH update on the diffusive shock plus a capped share of the jump.
        let jump_feedback = (jump * jump).min(JUMP_FEEDBACK_CAP * p.bar_var);
        self.h = p.omega
            + p.alpha * (self.h * (z * z).min(SHOCK_FEEDBACK_CAP) + jump_feedback)
            + p.beta * self.h;
        self.slow = p.slow_phi * self.slow + p.slow_innovation * slow_shock;
        self.log_close = log_close;
        self.close = close;
        Bar {
            time,
            open,
            high,
            low,
            close,
            volume,
        }
    }
}

impl Iterator for SynthBars {
    type Item = Bar;

    fn next(&mut self) -> Option<Bar> {
        if self.index >= self.bars {
            return None;
        }
        let bar = self.next_bar();
        self.index += 1;
        Some(bar)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bars.saturating_sub(self.index);
        (n, Some(n))
    }
}

impl ExactSizeIterator for SynthBars {}
impl std::iter::FusedIterator for SynthBars {}

/// UTC hour of day and whether the day is a Saturday or Sunday.
fn hour_and_weekend(time_ms: i64) -> (usize, bool) {
    let hours = time_ms.div_euclid(3_600_000);
    let days = hours.div_euclid(24);
    // 1970-01-01 was a Thursday: day 0 has weekday 3 counting from Monday = 0.
    let weekday = (days + 3).rem_euclid(7);
    (hours.rem_euclid(24) as usize, weekday >= 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_and_hour() {
        // 2024-01-06T13:30Z is a Saturday; 2024-01-08T00:00Z a Monday.
        assert_eq!(hour_and_weekend(1_704_547_800_000), (13, true));
        assert_eq!(hour_and_weekend(1_704_672_000_000), (0, false));
        assert_eq!(hour_and_weekend(-1), (23, false)); // 1969-12-31, a Wednesday
    }
}
