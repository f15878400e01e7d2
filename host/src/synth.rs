//! Seeded synthetic crypto market: the generator behind `fixtures/` and the large
//! data sets of the memory tests.
//!
//! [`generate`] streams bars of one symbol from a [`SymbolModel`]: an iterator whose
//! state is under a kilobyte whatever the number of bars, so a year or ten of 15m
//! data costs nothing to hold. The same model, seed and arguments give the same
//! bars, bit for bit, on every machine: the random stream is xoshiro256++ and all
//! transcendental math goes through `phasebound_core::math` (libm), never the
//! platform's.
//!
//! # The model, per bar
//!
//! * **Volatility clustering.** A GARCH(1,1) variance with long-run level set by
//!   `annual_vol`, shock weight `garch_alpha` and persistence from `vol_half_life_hours`,
//!   times a slow lognormal factor (`slow_vol_sd`, `slow_vol_half_life_hours`) for
//!   calm and hectic weeks. Shocks are Student-t (`tail_df`), scaled to unit variance.
//! * **Regimes.** A three-state Markov chain — ranging, trending up, trending down —
//!   with mean durations `range_hours` and `trend_hours` (days, not bars). Trends
//!   drift by `trend_strength` daily volatilities per day; ranges pull the price back
//!   towards the level where the range began (half-life `range_reversion_hours`), so a
//!   range that turns into a trend is a breakout. Trends are a little more volatile
//!   and busier than ranges.
//! * **Jumps.** On average `jumps_per_day` jumps of `jump_sigmas` long-run bar
//!   volatilities (normal size, random sign); they feed the GARCH variance.
//! * **Intraday seasonality.** Volatility and volume follow a fixed UTC-hour profile
//!   (quiet Asian night, busy US open) and are lower at weekends.
//! * **Volume** scales with the seasonal profile, the current volatility and the size
//!   of the bar's own move, doubles on a close beyond the previous 20 bars' range (as
//!   in real 15m data, where about half such breakouts carry twice the recent volume),
//!   and has persistent lognormal noise and rare bursts; so volume spikes come with
//!   large moves and breakouts.
//! * **OHLC.** Log prices are a random walk of these returns; the high and low are
//!   drawn from the extremes of a Brownian bridge between open and close, so
//!   `high >= max(open, close)` and `low <= min(open, close)` by construction. The
//!   open is the previous close, except for rare small gaps (`gap_prob`).
//! * **Rounding.** Prices are rounded to `price_digits` significant digits and
//!   volumes to `volume_decimals` decimals (at least one unit). Both are produced as
//!   `integer / 10^k`, so Rust's shortest round-trip `Display` writes them as short
//!   decimals and parsing the text gives back the identical `f64`.
//!
//! Every bar consumes the same random draws whatever the parameters, so changing a
//! volume parameter leaves the prices unchanged, and switching trends off
//! (`trend_strength: 0.0`) leaves the noise as it was: a controlled experiment.
//!
//! Parameters outside their documented ranges are clamped into them, never rejected:
//! the generator always yields valid bars ([`Bar::validate`] passes, times strictly
//! increase).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use phasebound_core::Bar;
use phasebound_core::math;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Parameters of one synthetic symbol. Field ranges are those [`generate`] clamps to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SymbolModel {
    /// Symbol name, used for file names (e.g. `SYNBTCUSDT`).
    pub name: &'static str,
    /// Price of the first open, `1e-6 ..= 1e9`.
    pub start_price: f64,
    /// Long-run annualized volatility of the bar returns' noise, jumps included,
    /// `0.01 ..= 5`. Trend drift comes on top at horizons of a day and more.
    pub annual_vol: f64,
    /// GARCH shock weight `alpha` per bar, `0 ..= 0.3`.
    pub garch_alpha: f64,
    /// Half-life of a volatility shock in hours (sets `alpha + beta`), `0.5 ..= 1000`.
    pub vol_half_life_hours: f64,
    /// Standard deviation of the slow log-volatility factor (calm and hectic weeks), `0 ..= 1`.
    pub slow_vol_sd: f64,
    /// Half-life of the slow volatility factor in hours, `1 ..= 10_000`.
    pub slow_vol_half_life_hours: f64,
    /// Degrees of freedom of the Student-t bar shocks (fat tails; 30 is nearly normal), `3 ..= 30`.
    pub tail_df: u32,
    /// Mean length of a ranging regime in hours, `1 ..= 10_000`.
    pub range_hours: f64,
    /// Mean length of a trending regime in hours, `1 ..= 10_000`.
    pub trend_hours: f64,
    /// Drift of a trend, in daily volatilities per day, `0 ..= 5`.
    pub trend_strength: f64,
    /// Half-life in hours of the pull back to the range's level while ranging, `0.5 ..= 10_000`.
    pub range_reversion_hours: f64,
    /// Expected jumps per day, `0 ..= 10`.
    pub jumps_per_day: f64,
    /// Standard deviation of a jump, in long-run bar volatilities, `0 ..= 50`.
    pub jump_sigmas: f64,
    /// Probability that a bar opens with a gap instead of at the previous close, `0 ..= 1`.
    pub gap_prob: f64,
    /// Volume scale in the base asset: a bar's volume at average volatility, time of
    /// day and move, `1e-3 ..= 1e12` (the mean comes out higher: trends, breakouts and
    /// bursts add volume).
    pub base_volume: f64,
    /// Standard deviation of the persistent log-volume noise, `0 ..= 2`.
    pub volume_noise: f64,
    /// Significant digits of every price, `3 ..= 12`.
    pub price_digits: u32,
    /// Decimals of every volume, `0 ..= 8`.
    pub volume_decimals: u32,
    /// Index of this symbol's random stream: symbols with different streams are
    /// independent under the same seed (xoshiro256++ jumps of 2^128 draws).
    pub stream: u64,
}

impl SymbolModel {
    /// A crypto-like model with the library's default dynamics; only the level,
    /// volatility, volume scale and random stream differ between symbols.
    #[must_use]
    pub const fn crypto(
        name: &'static str,
        start_price: f64,
        annual_vol: f64,
        base_volume: f64,
        stream: u64,
    ) -> Self {
        Self {
            name,
            start_price,
            annual_vol,
            garch_alpha: 0.10,
            vol_half_life_hours: 10.0,
            slow_vol_sd: 0.4,
            slow_vol_half_life_hours: 120.0,
            tail_df: 6,
            range_hours: 60.0,
            trend_hours: 48.0,
            trend_strength: 1.0,
            range_reversion_hours: 8.0,
            jumps_per_day: 0.3,
            jump_sigmas: 6.0,
            gap_prob: 0.002,
            base_volume,
            volume_noise: 0.4,
            price_digits: 6,
            volume_decimals: 3,
            stream,
        }
    }
}

/// Seed of the committed fixtures.
pub const FIXTURE_SEED: u64 = 20_240_101;
/// First open time of the fixtures: 2024-01-01T00:00:00Z in epoch milliseconds.
pub const FIXTURE_START_MS: i64 = 1_704_067_200_000;
/// Timeframe of the fixtures in minutes.
pub const FIXTURE_TIMEFRAME_MINUTES: u32 = 15;
/// Bars per fixture file: 90 days of 15m bars.
pub const FIXTURE_BARS: usize = 90 * 96;

/// The four fixture symbols: different price levels, volatilities and volume scales.
#[must_use]
pub const fn fixture_models() -> [SymbolModel; 4] {
    let doge = SymbolModel::crypto("SYNDOGEUSDT", 0.09, 0.80, 15_000_000.0, 3);
    [
        SymbolModel::crypto("SYNBTCUSDT", 42_000.0, 0.45, 450.0, 0),
        SymbolModel::crypto("SYNETHUSDT", 2_300.0, 0.55, 4_000.0, 1),
        SymbolModel::crypto("SYNSOLUSDT", 100.0, 0.70, 30_000.0, 2),
        // DOGE-like: sub-cent-ish price with a coarse tick and whole-number lots.
        SymbolModel {
            price_digits: 5,
            volume_decimals: 0,
            ..doge
        },
    ]
}

/// The conventional timeframe label: `15m`, `1h`, `4h`, `1d`, `90m` …
#[must_use]
pub fn timeframe_label(minutes: u32) -> String {
    if minutes > 0 && minutes.is_multiple_of(1440) {
        format!("{}d", minutes / 1440)
    } else if minutes > 0 && minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Header line of the normalized CSV layout (without the newline).
pub const CSV_HEADER: &str = "open_time_ms,open,high,low,close,volume";

/// Writes bars in the normalized layout (header, then `open_time_ms,open,high,low,close,volume`
/// rows, `\n` line endings), with shortest round-trip number formatting.
///
/// # Errors
/// Any error of the writer.
pub fn write_csv<W: Write>(mut out: W, bars: impl IntoIterator<Item = Bar>) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for b in bars {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            b.time, b.open, b.high, b.low, b.close, b.volume
        )?;
    }
    out.flush()
}

/// Generates one symbol into `dir/<name>-<timeframe>.csv` and returns the path.
///
/// # Errors
/// Creating or writing the file.
pub fn write_symbol_csv(
    dir: &Path,
    model: &SymbolModel,
    seed: u64,
    start_ms: i64,
    timeframe_minutes: u32,
    bars: usize,
) -> io::Result<PathBuf> {
    let tf = timeframe_minutes.max(1);
    let path = dir.join(format!("{}-{}.csv", model.name, timeframe_label(tf)));
    let file = BufWriter::new(File::create(&path)?);
    write_csv(file, generate(model, seed, start_ms, tf, bars))?;
    Ok(path)
}

/// Writes the fixture files (`SYNBTCUSDT-15m.csv` …) into `dir`, which must exist.
/// This is how `fixtures/` was made; the `synth` test checks it still gives the same bytes.
///
/// # Errors
/// Creating or writing a file.
pub fn write_fixtures(dir: &Path) -> io::Result<()> {
    for model in &fixture_models() {
        write_symbol_csv(
            dir,
            model,
            FIXTURE_SEED,
            FIXTURE_START_MS,
            FIXTURE_TIMEFRAME_MINUTES,
            FIXTURE_BARS,
        )?;
    }
    Ok(())
}

/// Most symbols `phasebound synth` writes (a benchmark market, not a limit of runs).
pub const MAX_SYNTH_SYMBOLS: usize = 1000;

/// Names of the symbols of [`market_models`] after the four fixture symbols.
const MORE_NAMES: [&str; 12] = [
    "SYN05USDT",
    "SYN06USDT",
    "SYN07USDT",
    "SYN08USDT",
    "SYN09USDT",
    "SYN10USDT",
    "SYN11USDT",
    "SYN12USDT",
    "SYN13USDT",
    "SYN14USDT",
    "SYN15USDT",
    "SYN16USDT",
];

/// The first `count` symbols of the synthetic market: the four fixture symbols, then
/// `SYN05USDT`, `SYN06USDT`, … (`SYN100USDT` after `SYN99USDT`), each the dynamics of
/// fixture symbol `i mod 4` on its own random stream `i`.
#[must_use]
pub fn market_models(count: usize) -> Vec<SymbolModel> {
    let fixtures = fixture_models();
    let more = (0..count.saturating_sub(fixtures.len())).map(|i| {
        // Names past the table are made once per process (a synthetic market is built
        // once) and live as long as it: leaking them keeps `SymbolModel` `Copy`.
        let name = MORE_NAMES
            .get(i)
            .copied()
            .unwrap_or_else(|| Box::leak(format!("SYN{:02}USDT", i + 5).into_boxed_str()));
        SymbolModel {
            name,
            stream: 4 + i as u64,
            ..fixtures[i % fixtures.len()]
        }
    });
    fixtures.into_iter().chain(more).take(count).collect()
}

/// Writes [`market_models`]`(count)` with `days` days of 15m bars each from
/// [`FIXTURE_START_MS`] into `dir` (created if missing), and returns the paths. With the
/// fixture seed the first 90 days of the first four symbols are `fixtures/`, byte for
/// byte: a longer history of the same market (`phasebound synth`, the memory benchmark).
///
/// # Errors
/// Creating the folder or writing a file.
pub fn write_market(dir: &Path, count: usize, days: usize, seed: u64) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    market_models(count)
        .iter()
        .map(|m| {
            write_symbol_csv(
                dir,
                m,
                seed,
                FIXTURE_START_MS,
                FIXTURE_TIMEFRAME_MINUTES,
                days * 96,
            )
        })
        .collect()
}

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

/// Volatility multiplier by UTC hour (normalized at run time): the shape of 2024
/// Binance spot 15m majors — quiet Asian night, a peak around the US open.
const HOUR_VOL: [f64; 24] = [
    0.98, 1.21, 1.00, 0.83, 0.77, 0.79, 0.92, 0.81, 0.88, 0.79, 0.80, 0.84, //
    1.19, 1.20, 1.37, 1.16, 1.15, 1.07, 1.10, 1.03, 0.99, 1.10, 0.92, 0.75,
];
/// Volume multiplier by UTC hour (normalized at run time), same source.
const HOUR_VOLUME: [f64; 24] = [
    0.89, 1.00, 0.89, 0.76, 0.73, 0.76, 0.81, 0.90, 0.96, 0.91, 0.86, 0.89, //
    1.19, 1.35, 1.71, 1.56, 1.42, 1.15, 1.09, 1.05, 0.96, 0.80, 0.70, 0.66,
];
/// Weekend (Saturday, Sunday UTC) multipliers of volatility and of volume.
const WEEKEND_VOL: f64 = 0.7;
const WEEKEND_VOLUME: f64 = 0.55;
/// Volatility multiplier while ranging and while trending.
const RANGE_VOL: f64 = 0.85;
const TREND_VOL: f64 = 1.15;
/// Volume multiplier while trending (ranging is 1).
const TREND_VOLUME: f64 = 1.2;
/// Of the trends that end, the share that reverses straight into the opposite trend.
const TREND_REVERSAL: f64 = 0.3;
/// Elasticity of volume to the (non-seasonal) volatility level.
const VOLUME_ACTIVITY_EXPONENT: f64 = 1.0;
/// Volume factor of a bar's own move `m` in current volatilities: `BASE + SLOPE * m`,
/// capped at `CAP` (a jump bar trades a few times the usual, not fifty).
const VOLUME_MOVE_BASE: f64 = 0.6;
const VOLUME_MOVE_SLOPE: f64 = 0.5;
const VOLUME_MOVE_CAP: f64 = 5.0;
/// A close beyond the previous `BREAKOUT_LOOKBACK` bars' range trades `BREAKOUT_VOLUME`
/// times the volume (stops and breakout traders), as in real 15m data where about
/// half the 20-bar breakouts carry twice the recent volume.
const BREAKOUT_LOOKBACK: usize = 20;
const BREAKOUT_VOLUME: f64 = 2.0;
/// Lag-1 autocorrelation of the log-volume noise.
const VOLUME_NOISE_PERSISTENCE: f64 = 0.7;
/// Probability and mean multiplier of a volume burst unrelated to the price move.
const BURST_PROB: f64 = 0.006;
const BURST_SIZE: f64 = 3.0;
/// Largest squared jump fed to the GARCH variance, in long-run bar variances, and
/// largest squared Student-t shock fed to it (keeps the variance's tail finite).
const JUMP_FEEDBACK_CAP: f64 = 16.0;
const SHOCK_FEEDBACK_CAP: f64 = 16.0;
/// Size of an opening gap, in current bar volatilities.
const GAP_SIGMAS: f64 = 0.3;
/// The log price stays within this many natural-log units of the start price, so
/// every price has a representable decimal rounding however long the run.
const LOG_PRICE_SPAN: f64 = 12.0;

const MS_PER_MINUTE: i64 = 60_000;
const MINUTES_PER_DAY: f64 = 1440.0;
const DAYS_PER_YEAR: f64 = 365.0;

/// The market regime a bar was generated in (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// Sideways: the price is pulled back towards the level where the range began.
    Range,
    /// Trending up: a positive drift.
    Up,
    /// Trending down: a negative drift.
    Down,
}

/// Per-bar constants derived once from a [`SymbolModel`] and a timeframe.
#[derive(Clone, Copy, Debug)]
struct Params {
    tf_ms: i64,
    /// Long-run variance of one bar's log return, everything included.
    bar_var: f64,
    /// Long-run level of the GARCH variance (the diffusive part, before multipliers).
    h_bar: f64,
    omega: f64,
    alpha: f64,
    beta: f64,
    /// Slow log-volatility factor: AR(1) coefficient, innovation sd, stationary sd.
    slow_phi: f64,
    slow_innovation: f64,
    slow_sd: f64,
    tail_df: u32,
    /// Normalizes the hourly volatility profile to a mean square of 1.
    season_norm: f64,
    /// Normalizes the hourly volume profile to a mean of 1.
    volume_norm: f64,
    p_leave_range: f64,
    p_leave_trend: f64,
    trend_drift: f64,
    reversion: f64,
    p_jump: f64,
    jump_sd: f64,
    gap_prob: f64,
    base_volume: f64,
    volume_noise: f64,
    price_digits: u32,
    volume_scale: f64,
    log_floor: f64,
    log_ceiling: f64,
}

/// `0.5^(elapsed / half_life)`: the share of a shock left after `elapsed`.
fn decay(elapsed: f64, half_life: f64) -> f64 {
    math::exp(-core::f64::consts::LN_2 * elapsed / half_life)
}

impl Params {
    fn new(m: &SymbolModel, timeframe_minutes: u32) -> Self {
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
fn round_significant(x: f64, digits: u32) -> f64 {
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

    #[test]
    fn weekday_and_hour() {
        // 2024-01-06T13:30Z is a Saturday; 2024-01-08T00:00Z a Monday.
        assert_eq!(hour_and_weekend(1_704_547_800_000), (13, true));
        assert_eq!(hour_and_weekend(1_704_672_000_000), (0, false));
        assert_eq!(hour_and_weekend(-1), (23, false)); // 1969-12-31, a Wednesday
    }

    #[test]
    fn labels() {
        assert_eq!(timeframe_label(15), "15m");
        assert_eq!(timeframe_label(60), "1h");
        assert_eq!(timeframe_label(240), "4h");
        assert_eq!(timeframe_label(1440), "1d");
        assert_eq!(timeframe_label(90), "90m");
    }
}
