//! Streaming indicators: O(1), fixed-size, `Copy` state per symbol.
//!
//! [`Indicators`] bundles everything the signal needs and turns each bar into a
//! [`Snapshot`] at that bar's close, computed from bars `<= t` only:
//!
//! | field | definition |
//! |---|---|
//! | `ema_fast`, `ema_slow` | EMA 20 / 50 of close on the bar timeframe |
//! | `ema_*_1h`, `ema_*_4h` | the same pair with periods scaled to span 1 h / 4 h (below) |
//! | `rsi` | RSI 14, Wilder ([`Rsi`]) |
//! | `atr` | ATR 14, Wilder ([`Atr`]) |
//! | `macd_hist_rel` | MACD 12/26/9 histogram / close ([`Macd`]) |
//! | `volume_ratio` | volume / mean volume of the previous 20 bars ([`VolumeRatio`]) |
//! | `volume_pulse` | volume / previous bar's volume; 1.0 when that is 0 |
//! | `prev_high`, `prev_low` | previous 20 bars' high and low, current excluded ([`PrevRange`]) |
//! | `body`, `upper_wick`, `lower_wick` | the bar's [`Candle`] |
//! | `prev_body_signed` | previous bar's `close − open` (0 before the first) |
//!
//! **Higher-timeframe trend without resampling.** The 1 h and 4 h pairs are EMAs of the
//! base-timeframe closes with periods multiplied by `60/tf` and `240/tf` (rounded half up,
//! never below the base period): at 15 m the 1 h pair is EMA 80/200 and the 4 h pair
//! EMA 320/800. For `tf >= 60` the 1 h pair equals the base pair, for `tf >= 240` so does
//! the 4 h pair. This keeps O(1) state and updates on every bar instead of once per
//! higher-timeframe candle.
//!
//! **Warm-up.** [`Indicators::update`] returns `None` until every indicator is seeded;
//! that is the longest period in use, the 4 h slow EMA (800 bars at 15 m, 50 at 1 d).
//!
//! **Degenerate input never yields NaN** for validated bars: flat prices give RSI 50,
//! ATR 0 and a 0 histogram; zero volume gives a volume ratio and pulse of 1.0.

mod atr;
mod candle;
mod ema;
mod macd;
mod range;
mod rsi;
mod volume;

pub use atr::Atr;
pub use candle::{Candle, direction_of};
pub use ema::Ema;
pub use macd::Macd;
pub use range::PrevRange;
pub use rsi::Rsi;
pub use volume::VolumeRatio;

use crate::bar::Bar;
use crate::error::Error;

/// Fast period of the trend EMA pair (base timeframe).
pub const EMA_FAST: u32 = 20;
/// Slow period of the trend EMA pair (base timeframe).
pub const EMA_SLOW: u32 = 50;
/// RSI period (Wilder).
pub const RSI_PERIOD: u32 = 14;
/// ATR period (Wilder).
pub const ATR_PERIOD: u32 = 14;
/// MACD fast EMA period.
pub const MACD_FAST: u32 = 12;
/// MACD slow EMA period.
pub const MACD_SLOW: u32 = 26;
/// MACD signal EMA period.
pub const MACD_SIGNAL: u32 = 9;
/// Longest supported bar timeframe, in minutes (1 d).
pub const MAX_TIMEFRAME_MINUTES: u32 = 1440;

/// Everything known about one bar at its close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    /// The bar's open time (Unix ms).
    pub time: i64,
    /// The bar's open.
    pub open: f64,
    /// The bar's high.
    pub high: f64,
    /// The bar's low.
    pub low: f64,
    /// The bar's close.
    pub close: f64,
    /// The bar's volume.
    pub volume: f64,
    /// Fast trend EMA (20) on the bar timeframe.
    pub ema_fast: f64,
    /// Slow trend EMA (50) on the bar timeframe.
    pub ema_slow: f64,
    /// Fast trend EMA scaled to 1 h.
    pub ema_fast_1h: f64,
    /// Slow trend EMA scaled to 1 h.
    pub ema_slow_1h: f64,
    /// Fast trend EMA scaled to 4 h.
    pub ema_fast_4h: f64,
    /// Slow trend EMA scaled to 4 h.
    pub ema_slow_4h: f64,
    /// Wilder RSI 14, in `[0, 100]`.
    pub rsi: f64,
    /// Wilder ATR 14, in price units (`>= 0`).
    pub atr: f64,
    /// MACD 12/26/9 histogram divided by close.
    pub macd_hist_rel: f64,
    /// Volume / mean volume of the previous 20 bars (1.0 when that mean is 0).
    pub volume_ratio: f64,
    /// Volume / previous bar's volume (1.0 when that is 0).
    pub volume_pulse: f64,
    /// Highest high of the previous 20 bars (current excluded).
    pub prev_high: f64,
    /// Lowest low of the previous 20 bars (current excluded).
    pub prev_low: f64,
    /// `|close − open|`.
    pub body: f64,
    /// `high − max(open, close)`.
    pub upper_wick: f64,
    /// `min(open, close) − low`.
    pub lower_wick: f64,
    /// Previous bar's `close − open`.
    pub prev_body_signed: f64,
    /// Whether the 1 h and the 4 h trend pairs vote: only when their span is above the
    /// bar timeframe (at 1 h data the "1 h" pair is the base pair, at 4 h and above both).
    pub higher_votes: [bool; 2],
}

/// The indicator state of one symbol.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Indicators {
    ema_fast: Ema,
    ema_slow: Ema,
    ema_fast_1h: Ema,
    ema_slow_1h: Ema,
    ema_fast_4h: Ema,
    ema_slow_4h: Ema,
    rsi: Rsi,
    atr: Atr,
    macd: Macd,
    volume: VolumeRatio,
    range: PrevRange,
    prev_volume: f64,
    prev_body_signed: f64,
    /// Bars fed, saturating at `warmup`.
    bars: u32,
    warmup: u32,
    /// Whether the 1 h and 4 h pairs are votes (their span is above the bar's).
    higher_votes: [bool; 2],
}

/// `period × factor_minutes / tf`, rounded half up, never below `period` (so a timeframe
/// at or above the target span keeps the base period). `tf >= 1`.
const fn scaled(period: u32, factor_minutes: u32, tf: u32) -> u32 {
    if tf >= factor_minutes {
        return period;
    }
    // Integer rounding keeps `new` const; u64 cannot overflow for these inputs.
    let num = 2 * period as u64 * factor_minutes as u64 + tf as u64;
    let r = num / (2 * tf as u64);
    if r > u32::MAX as u64 {
        u32::MAX
    } else {
        r as u32
    }
}

const fn max_u32(a: u32, b: u32) -> u32 {
    if a > b { a } else { b }
}

/// Unwraps a period constructor inside a `const fn` (where `?` is unavailable).
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(e),
        }
    };
}

impl Indicators {
    /// Indicator state for bars of `timeframe_minutes` (1..=1440).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the timeframe is 0 or above 1440.
    pub const fn new(timeframe_minutes: u32) -> Result<Self, Error> {
        let tf = timeframe_minutes;
        if tf == 0 || tf > MAX_TIMEFRAME_MINUTES {
            return Err(Error::InvalidParameter {
                what: "timeframe_minutes",
            });
        }
        let ema_fast = tri!(Ema::new(EMA_FAST));
        let ema_slow = tri!(Ema::new(EMA_SLOW));
        let ema_fast_1h = tri!(Ema::new(scaled(EMA_FAST, 60, tf)));
        let ema_slow_1h = tri!(Ema::new(scaled(EMA_SLOW, 60, tf)));
        let ema_fast_4h = tri!(Ema::new(scaled(EMA_FAST, 240, tf)));
        let ema_slow_4h = tri!(Ema::new(scaled(EMA_SLOW, 240, tf)));
        let rsi = tri!(Rsi::new(RSI_PERIOD));
        let atr = tri!(Atr::new(ATR_PERIOD));
        let macd = tri!(Macd::new(MACD_FAST, MACD_SLOW, MACD_SIGNAL));
        let volume = VolumeRatio::new();
        let range = PrevRange::new();
        // The 4h slow EMA dominates for every valid timeframe; the max keeps that true
        // should a period constant change.
        let mut warmup = ema_slow_4h.warmup();
        warmup = max_u32(warmup, ema_fast_4h.warmup());
        warmup = max_u32(warmup, ema_slow_1h.warmup());
        warmup = max_u32(warmup, ema_fast_1h.warmup());
        warmup = max_u32(warmup, ema_slow.warmup());
        warmup = max_u32(warmup, ema_fast.warmup());
        warmup = max_u32(warmup, rsi.warmup());
        warmup = max_u32(warmup, atr.warmup());
        warmup = max_u32(warmup, macd.warmup());
        warmup = max_u32(warmup, volume.warmup());
        warmup = max_u32(warmup, range.warmup());
        Ok(Self {
            ema_fast,
            ema_slow,
            ema_fast_1h,
            ema_slow_1h,
            ema_fast_4h,
            ema_slow_4h,
            rsi,
            atr,
            macd,
            volume,
            range,
            prev_volume: 0.0,
            prev_body_signed: 0.0,
            bars: 0,
            warmup,
            higher_votes: [tf < 60, tf < 240],
        })
    }

    /// Feeds one validated bar and returns the snapshot at its close, or `None` while
    /// warming up (the first [`warmup_bars`](Self::warmup_bars)` − 1` bars).
    pub fn update(&mut self, bar: &Bar) -> Option<Snapshot> {
        let ema_fast = self.ema_fast.update(bar.close);
        let ema_slow = self.ema_slow.update(bar.close);
        let ema_fast_1h = self.ema_fast_1h.update(bar.close);
        let ema_slow_1h = self.ema_slow_1h.update(bar.close);
        let ema_fast_4h = self.ema_fast_4h.update(bar.close);
        let ema_slow_4h = self.ema_slow_4h.update(bar.close);
        let rsi = self.rsi.update(bar.close);
        let atr = self.atr.update(bar.high, bar.low, bar.close);
        let hist = self.macd.update(bar.close);
        let volume_ratio = self.volume.update(bar.volume);
        let (prev_high, prev_low) = self.range.update(bar.high, bar.low);
        let candle = Candle::new(bar.open, bar.high, bar.low, bar.close);
        let volume_pulse = if self.prev_volume > 0.0 {
            bar.volume / self.prev_volume
        } else {
            1.0
        };
        let prev_body_signed = self.prev_body_signed;
        self.prev_volume = bar.volume;
        self.prev_body_signed = candle.signed_body;
        self.bars = self.bars.saturating_add(1).min(self.warmup);
        if self.bars < self.warmup {
            return None;
        }
        Some(Snapshot {
            time: bar.time,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
            ema_fast,
            ema_slow,
            ema_fast_1h,
            ema_slow_1h,
            ema_fast_4h,
            ema_slow_4h,
            rsi,
            atr,
            macd_hist_rel: if bar.close > 0.0 {
                hist / bar.close
            } else {
                0.0
            },
            volume_ratio,
            volume_pulse,
            prev_high,
            prev_low,
            body: candle.body,
            upper_wick: candle.upper_wick,
            lower_wick: candle.lower_wick,
            prev_body_signed,
            higher_votes: self.higher_votes,
        })
    }

    /// Feeds `bar` to the ATR alone, for passes whose entries come from outside and
    /// need no signal: [`Indicators::atr`] is then exactly what [`Indicators::update`]
    /// would give, the other indicators are left behind. Returns whether `update` would
    /// have returned a snapshot (the warm-up count advances the same way).
    pub fn update_atr(&mut self, bar: &Bar) -> bool {
        self.atr.update(bar.high, bar.low, bar.close);
        self.bars = self.bars.saturating_add(1).min(self.warmup);
        self.bars >= self.warmup
    }

    /// Bars up to and including the first one that yields a snapshot: the 4 h slow EMA
    /// period (12 000 at 1 m, 800 at 15 m, 200 at 1 h, 50 from 4 h up).
    #[must_use]
    pub const fn warmup_bars(&self) -> u32 {
        self.warmup
    }

    /// The trend EMA periods `[(fast, slow); 3]` for the base timeframe, 1 h and 4 h.
    #[must_use]
    pub const fn trend_periods(&self) -> [(u32, u32); 3] {
        [
            (self.ema_fast.period(), self.ema_slow.period()),
            (self.ema_fast_1h.period(), self.ema_slow_1h.period()),
            (self.ema_fast_4h.period(), self.ema_slow_4h.period()),
        ]
    }

    /// The ATR after the last bar fed, once [`ATR_PERIOD`] bars were seen: available long
    /// before the full warm-up (external entries need only the ATR). Equal to the
    /// snapshot's `atr` once snapshots are returned.
    #[must_use]
    pub fn atr(&self) -> Option<f64> {
        self.atr.is_ready().then_some(self.atr.value())
    }

    /// True once [`update`](Self::update) returns snapshots.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.bars >= self.warmup
    }
}
