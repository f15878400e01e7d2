//! The synthetic market's symbols: the parameters of one symbol, the four fixture
//! symbols, and the larger market of `phasebound synth` built from them.

/// Parameters of one synthetic symbol. Field ranges are those [`generate`](super::generate) clamps to.
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
