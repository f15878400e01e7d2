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
//! the generator always yields valid bars ([`Bar::validate`](phasebound_core::Bar::validate) passes, times strictly
//! increase).
//!
//! By concern: `market` (the symbol models, the fixture and benchmark markets),
//! `dynamics` (the calibration constants and the per-bar constants of a model),
//! `bars` (the bar stream) and `files` (the CSV files of the fixtures and of
//! `phasebound synth`).

mod bars;
mod dynamics;
mod files;
mod market;

pub use bars::{Regime, SynthBars, generate};
pub use files::{
    CSV_HEADER, timeframe_label, write_csv, write_fixtures, write_market, write_symbol_csv,
};
pub use market::{
    FIXTURE_BARS, FIXTURE_SEED, FIXTURE_START_MS, FIXTURE_TIMEFRAME_MINUTES, MAX_SYNTH_SYMBOLS,
    SymbolModel, fixture_models, market_models,
};
