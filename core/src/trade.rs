//! The vocabulary of one simulated trade, shared by the reference simulator
//! ([`crate::sim`]) and the first-passage evaluator ([`crate::first_passage`]).
//!
//! Both simulators compute price levels through the functions here, so the same
//! floating-point expressions decide every comparison and the two agree bit for bit.

/// Trade direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    /// Profit when price rises.
    Long,
    /// Profit when price falls.
    Short,
}

impl Direction {
    /// `+1.0` for long, `-1.0` for short.
    #[inline]
    #[must_use]
    pub const fn sign(self) -> f64 {
        match self {
            Direction::Long => 1.0,
            Direction::Short => -1.0,
        }
    }

    /// Price `k` ATRs in the favourable direction from `entry` (the target side).
    #[inline]
    #[must_use]
    pub fn favourable(self, entry: f64, k: f64, atr: f64) -> f64 {
        match self {
            Direction::Long => entry + k * atr,
            Direction::Short => entry - k * atr,
        }
    }

    /// Price `k` ATRs in the adverse direction from `reference` (the stop side).
    #[inline]
    #[must_use]
    pub fn adverse(self, reference: f64, k: f64, atr: f64) -> f64 {
        match self {
            Direction::Long => reference - k * atr,
            Direction::Short => reference + k * atr,
        }
    }

    /// How far `price` lies beyond `entry` on the favourable side, as one subtraction:
    /// `price - entry` for long, `entry - price` for short (negative on the adverse side).
    /// The trailing stop's arming rule compares it with `activation·A` ([`Trailing::armed`]).
    #[inline]
    #[must_use]
    pub fn excursion(self, entry: f64, price: f64) -> f64 {
        match self {
            Direction::Long => price - entry,
            Direction::Short => entry - price,
        }
    }

    /// True when `price` is at or beyond `level` on the favourable side
    /// (`>=` for long, `<=` for short).
    #[inline]
    #[must_use]
    pub fn reached(self, price: f64, level: f64) -> bool {
        match self {
            Direction::Long => price >= level,
            Direction::Short => price <= level,
        }
    }

    /// True when `price` is at or beyond the stop `level` on the adverse side
    /// (`<=` for long, `>=` for short).
    #[inline]
    #[must_use]
    pub fn stopped(self, price: f64, level: f64) -> bool {
        match self {
            Direction::Long => price <= level,
            Direction::Short => price >= level,
        }
    }

    /// The more favourable of two prices (max for long, min for short).
    #[inline]
    #[must_use]
    pub fn best(self, a: f64, b: f64) -> f64 {
        match self {
            Direction::Long => {
                if b > a {
                    b
                } else {
                    a
                }
            }
            Direction::Short => {
                if b < a {
                    b
                } else {
                    a
                }
            }
        }
    }

    /// The tighter of two stop levels (the one closer to price: max for long, min for short).
    #[inline]
    #[must_use]
    pub fn tighter(self, a: f64, b: f64) -> f64 {
        self.best(a, b)
    }

    /// True when stop `a` is strictly tighter than stop `b` (`a > b` for long, `a < b`
    /// for short): how both simulators tell a trailing exit from an initial stop-loss.
    #[inline]
    #[must_use]
    pub fn is_tighter(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Long => a > b,
            Direction::Short => a < b,
        }
    }

    /// The bar's extreme in the favourable direction (high for long, low for short).
    #[inline]
    #[must_use]
    pub fn favourable_extreme(self, bar: &crate::bar::Ohlc) -> f64 {
        match self {
            Direction::Long => bar.high,
            Direction::Short => bar.low,
        }
    }

    /// The bar's extreme in the adverse direction (low for long, high for short).
    #[inline]
    #[must_use]
    pub fn adverse_extreme(self, bar: &crate::bar::Ohlc) -> f64 {
        match self {
            Direction::Long => bar.low,
            Direction::Short => bar.high,
        }
    }
}

/// One entry to simulate: direction, entry price `E` and the signal bar's ATR `A`.
/// The forward window passed with it starts at the bar after the signal bar.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Long or short.
    pub direction: Direction,
    /// Entry price `E` (next bar's open, or the signal bar's close).
    pub price: f64,
    /// ATR of the signal bar, in price units; all exit distances are multiples of it.
    pub atr: f64,
}

impl Entry {
    /// True when the price and the ATR are finite and positive: the precondition of
    /// both simulators.
    #[inline]
    #[must_use]
    pub fn is_valid(&self) -> bool {
        positive_finite(self.price) && positive_finite(self.atr)
    }
}

/// Where the entry fills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryTiming {
    /// At the open of the bar after the signal bar (default; no look-ahead).
    #[default]
    NextOpen,
    /// At the close of the signal bar.
    SignalClose,
}

/// A trailing stop: once the best price since entry is `activation` ATRs beyond the
/// entry ([`Trailing::armed`]: `best - E >= activation·A`), the stop ratchets to
/// `best - distance·A` (mirrored for short).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trailing {
    /// Favourable move, in ATRs, that arms the trailing stop.
    pub activation: f64,
    /// Distance of the trailing stop behind the best price, in ATRs.
    pub distance: f64,
}

impl Trailing {
    /// True when `activation` is finite and `>= 0` (0 arms the stop after the first bar)
    /// and `distance` is finite and `> 0`.
    #[inline]
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.activation.is_finite() && self.activation >= 0.0 && positive_finite(self.distance)
    }

    /// `activation·A`: the favourable excursion that arms the stop, for ATR `atr`.
    #[inline]
    #[must_use]
    pub fn activation_move(&self, atr: f64) -> f64 {
        self.activation * atr
    }

    /// True when the stop is armed for the best price since entry `best`: the favourable
    /// excursion [`Direction::excursion`]`(entry, best)` (`best - E` long, `E - best`
    /// short) is `>=` [`Trailing::activation_move`] (`activation·A`), as DESIGN states it.
    ///
    /// This is *not* `best >= E + activation·A`: the two round differently when `best` is
    /// within an ulp of the level (long `E = 100`, `A = 1.1`, activation 1, `best = 101.1`:
    /// `101.1 >= 100 + 1.1` holds, but `101.1 - 100 = 1.0999999999999943 < 1.1`, not armed).
    /// Both simulators and every peer decide arming with this function's expression only.
    #[inline]
    #[must_use]
    pub fn armed(&self, direction: Direction, entry: f64, atr: f64, best: f64) -> bool {
        direction.excursion(entry, best) >= self.activation_move(atr)
    }
}

/// Exit parameters of one cell.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExitParams {
    /// Take-profit distance in ATRs (`> 0`).
    pub tp: f64,
    /// Stop-loss distance in ATRs (`> 0`).
    pub sl: f64,
    /// Maximum holding time in bars (`>= 1`); exit at that bar's close.
    pub hold: u16,
    /// Optional trailing stop.
    pub trailing: Option<Trailing>,
}

impl ExitParams {
    /// True when `tp` and `sl` are finite and `> 0`, `hold >= 1` and the trailing stop,
    /// if any, is valid.
    #[inline]
    #[must_use]
    pub fn is_valid(&self) -> bool {
        positive_finite(self.tp)
            && positive_finite(self.sl)
            && self.hold >= 1
            && self.trailing.is_none_or(|t| t.is_valid())
    }
}

/// `x` is finite and `> 0` (NaN fails both).
#[inline]
#[must_use]
pub fn positive_finite(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Why a trade closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExitReason {
    /// The take-profit level was reached.
    TakeProfit,
    /// The initial stop-loss was hit.
    StopLoss,
    /// The ratcheted trailing stop (above the initial stop) was hit.
    Trailing,
    /// No exit within `hold` bars: closed at that bar's close.
    Time,
    /// The data ended before `hold` bars: closed at the last close.
    Truncated,
}

impl ExitReason {
    /// Number of reasons (size of per-reason counters).
    pub const COUNT: usize = 5;

    /// Dense index `0..COUNT`, for counters.
    #[inline]
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            ExitReason::TakeProfit => 0,
            ExitReason::StopLoss => 1,
            ExitReason::Trailing => 2,
            ExitReason::Time => 3,
            ExitReason::Truncated => 4,
        }
    }

    /// Stable lower-case name (used in reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ExitReason::TakeProfit => "take_profit",
            ExitReason::StopLoss => "stop_loss",
            ExitReason::Trailing => "trailing",
            ExitReason::Time => "time",
            ExitReason::Truncated => "truncated",
        }
    }
}

/// The result of simulating one entry under one cell's exit parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TradeOutcome {
    /// Index into the forward window of the exit bar (0 = first bar after the signal).
    pub exit_index: u16,
    /// Fill price of the exit.
    pub exit_price: f64,
    /// Why it closed.
    pub reason: ExitReason,
    /// The exit bar touched both the stop and the target with no gap to decide:
    /// the stop was taken (conservative policy).
    pub ambiguous: bool,
    /// Net profit in percent of the entry price, after the round-trip cost.
    pub profit_pct: f64,
}

/// Net profit in percent: `(exit - E) / E * 100` (reversed for short) minus the round-trip cost.
/// The single formula both simulators use.
#[inline]
#[must_use]
pub fn profit_pct(direction: Direction, entry: f64, exit: f64, round_trip_cost_pct: f64) -> f64 {
    (exit - entry) / entry * 100.0 * direction.sign() - round_trip_cost_pct
}

/// Default round-trip cost in percent: 0.05 % taker fee + 0.02 % slippage, per side.
pub const DEFAULT_ROUND_TRIP_COST_PCT: f64 = 0.14;
