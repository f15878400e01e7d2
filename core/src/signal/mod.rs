//! The ex-ante signal at a bar's close: a direction by vote, a consensus count, and
//! ten score components in `[0, 1]` that a profile's [`Weights`] turn into a 0–100 score.
//!
//! **Direction.** Up to five directional indicators vote: the base, 1 h and 4 h trend
//! pairs (`sign(ema_fast − ema_slow)` of each), the MACD histogram sign and the candle
//! colour (`sign(close − open)`). The 1 h pair votes only on bars shorter than 1 h and
//! the 4 h pair only on bars shorter than 4 h: on 1 h data the "1 h trend" is the base
//! trend and must not count twice, so there are 5 voters below 1 h, 4 from 1 h and 3 from
//! 4 h. A zero counts for neither side; more long than short votes is long and vice versa;
//! a tie (including no votes at all) is no signal. `consensus` is the number of votes for
//! the chosen direction (1..=voters). This definition is [`SIGNAL_VERSION`] 2 (version
//! 1 counted all five at every timeframe); `params.json` names it so a bot can tell
//! what its parameters were tuned on.
//!
//! **Components** (each clamped to `[0, 1]`; a NaN becomes 0; any quotient whose
//! denominator is not positive — ATR 0, zero range — is 0):
//!
//! | component | value for the signal's direction |
//! |---|---|
//! | momentum | `body / ATR`; 0 unless the candle's colour is the direction |
//! | volume | `(volume_ratio − 1) / 2`: 0 at average volume, 1 at three times it |
//! | breakout | 1 if close is beyond the previous 20-bar high (long) / low (short); 0.5 if only the wick is; else 0 |
//! | wick | rejection wick (lower for long, upper for short) / `(high − low)` |
//! | trend | share of the three trend pairs pointing in the direction |
//! | EMA divergence | `|ema_fast − ema_slow| / (2·ATR)` if the base pair points in the direction, else 0 |
//! | 4 h strength | `|ema_fast_4h − ema_slow_4h| / close / 0.02` if the 4 h pair points in the direction, else 0 |
//! | volatility | `(ATR / close) / 0.02`: saturates at a 2 % ATR |
//! | volume pulse | `(volume_pulse − 1) / 2`: 0 at the previous bar's volume, 1 at three times it |
//! | acceleration | `(b_t − b_{t−1}) / ATR` with `b` = body signed in the direction, if `b_t > 0`, else 0 |
//!
//! Acceleration is the change of the directional body: a bigger candle after a smaller
//! one of the same colour scores its growth, a candle after an opposite one scores the
//! whole swing (`body + previous body`), a shrinking candle scores 0.
//!
//! **Score.** `100 · Σ w·c / Σ w` minus the [RSI penalty](rsi_penalty), clamped to
//! `[0, 100]`. Normalizing by the weights means a score of 100 needs every weighted
//! component at 1 — it does not saturate the way a plain capped sum does.

mod weights;

pub use weights::{
    GROUPS_PER_PROFILE, SCALPING_GROUPS, SWING_GROUPS, WeightGroup, Weights, default_groups,
    find_group,
};

use crate::budget::COMPONENTS;
use crate::indicators::{Snapshot, direction_of};
use crate::math;
use crate::trade::Direction;

/// One score component; [`index`](Self::index) is its slot in [`Weights`] and
/// [`Signal::components`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Candle body relative to ATR.
    Momentum,
    /// Volume relative to the previous 20 bars.
    Volume,
    /// Breakout of the previous 20-bar range.
    Breakout,
    /// Rejection wick.
    Wick,
    /// Agreement of the three trend pairs.
    Trend,
    /// Spread of the base trend pair relative to ATR.
    EmaDivergence,
    /// Spread of the 4 h trend pair relative to price.
    H4Strength,
    /// ATR relative to price.
    Volatility,
    /// Volume relative to the previous bar.
    VolumePulse,
    /// Growth of the directional body.
    Acceleration,
}

impl Component {
    /// Every component, in index order.
    pub const ALL: [Component; COMPONENTS] = [
        Component::Momentum,
        Component::Volume,
        Component::Breakout,
        Component::Wick,
        Component::Trend,
        Component::EmaDivergence,
        Component::H4Strength,
        Component::Volatility,
        Component::VolumePulse,
        Component::Acceleration,
    ];

    /// Dense index `0..COMPONENTS`.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Stable snake_case name (reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Component::Momentum => "momentum",
            Component::Volume => "volume",
            Component::Breakout => "breakout",
            Component::Wick => "wick",
            Component::Trend => "trend",
            Component::EmaDivergence => "ema_divergence",
            Component::H4Strength => "h4_strength",
            Component::Volatility => "volatility",
            Component::VolumePulse => "volume_pulse",
            Component::Acceleration => "acceleration",
        }
    }
}

/// A trading profile: its own horizon, exits and weight groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Short holds (hours).
    Scalping,
    /// Longer holds (days).
    Swing,
}

impl Profile {
    /// Both profiles, scalping first (the order phases run them in).
    pub const ALL: [Profile; 2] = [Profile::Scalping, Profile::Swing];

    /// Stable lower-case name, the same as the serde name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Scalping => "scalping",
            Profile::Swing => "swing",
        }
    }
}

/// Largest RSI penalty, in score points (reached at RSI 100 long, RSI 0 short).
pub const RSI_PENALTY_MAX: f64 = 20.0;
/// A long signal above this RSI is penalized.
pub const RSI_OVERBOUGHT: f64 = 75.0;
/// A short signal below this RSI is penalized.
pub const RSI_OVERSOLD: f64 = 25.0;

/// Score points deducted for entering into an RSI extreme: for a long, 0 up to RSI 75
/// then linearly to [`RSI_PENALTY_MAX`] at RSI 100; for a short, mirrored (0 down to
/// RSI 25, the maximum at RSI 0). A NaN RSI costs nothing.
#[must_use]
pub fn rsi_penalty(direction: Direction, rsi: f64) -> f64 {
    let excess = match direction {
        Direction::Long => (rsi - RSI_OVERBOUGHT) / (100.0 - RSI_OVERBOUGHT),
        Direction::Short => (RSI_OVERSOLD - rsi) / RSI_OVERSOLD,
    };
    RSI_PENALTY_MAX * math::clamp(excess, 0.0, 1.0)
}

/// The signal of one bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signal {
    /// Direction won by the vote.
    pub direction: Direction,
    /// Votes for `direction`, `1..=5` for a signal returned by [`signal`].
    pub consensus: u8,
    /// Component values in `[0, 1]`, indexed by [`Component::index`].
    pub components: [f64; COMPONENTS],
    /// The bar's RSI (for the penalty).
    pub rsi: f64,
}

impl Signal {
    /// One component's value.
    #[must_use]
    pub const fn component(&self, c: Component) -> f64 {
        self.components[c.index()]
    }

    /// Score in `[0, 100]`: `100 · Σ w·c / Σ w − rsi_penalty`, clamped; 0 when the
    /// weights do not sum to a positive number. Weights are meant to be non-negative;
    /// scaling all of them by the same factor does not change the score.
    #[must_use]
    pub fn score(&self, w: &Weights) -> f64 {
        let mut num = 0.0;
        let mut den = 0.0;
        for (wi, ci) in w.0.iter().zip(self.components.iter()) {
            num += wi * ci;
            den += wi;
        }
        if den > 0.0 {
            math::clamp(
                100.0 * num / den - rsi_penalty(self.direction, self.rsi),
                0.0,
                100.0,
            )
        } else {
            0.0
        }
    }
}

/// `num / den` clamped to `[0, 1]`; 0 when `den` is not positive or the quotient is NaN.
#[inline]
fn unit_ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        math::clamp(num / den, 0.0, 1.0)
    } else {
        0.0
    }
}

/// Version of the signal definition (the votes and the score): `params.json` carries it.
pub const SIGNAL_VERSION: u32 = 2;

/// The ex-ante signal at a bar's close, or `None` when the directional votes tie.
/// Uses only the snapshot, i.e. bars `<= t`.
#[must_use]
pub fn signal(s: &Snapshot) -> Option<Signal> {
    let trend = [
        direction_of(s.ema_fast - s.ema_slow),
        direction_of(s.ema_fast_1h - s.ema_slow_1h),
        direction_of(s.ema_fast_4h - s.ema_slow_4h),
    ];
    let colour = direction_of(s.close - s.open);
    let [vote_1h, vote_4h] = s.higher_votes;
    let votes = [
        trend[0],
        trend[1].filter(|_| vote_1h),
        trend[2].filter(|_| vote_4h),
        direction_of(s.macd_hist_rel),
        colour,
    ];
    let count = |d: Direction| votes.iter().filter(|v| **v == Some(d)).count() as u8;
    let (longs, shorts) = (count(Direction::Long), count(Direction::Short));
    let direction = match longs.cmp(&shorts) {
        core::cmp::Ordering::Greater => Direction::Long,
        core::cmp::Ordering::Less => Direction::Short,
        core::cmp::Ordering::Equal => return None,
    };
    let consensus = longs.max(shorts);
    let agrees = |v: Option<Direction>| v == Some(direction);
    let sign = direction.sign();

    let mut c = [0.0; COMPONENTS];
    c[Component::Momentum.index()] = if agrees(colour) {
        unit_ratio(s.body, s.atr)
    } else {
        0.0
    };
    c[Component::Volume.index()] = math::clamp((s.volume_ratio - 1.0) / 2.0, 0.0, 1.0);
    let (beyond_close, beyond_wick) = match direction {
        Direction::Long => (s.close > s.prev_high, s.high > s.prev_high),
        Direction::Short => (s.close < s.prev_low, s.low < s.prev_low),
    };
    c[Component::Breakout.index()] = if beyond_close {
        1.0
    } else if beyond_wick {
        0.5
    } else {
        0.0
    };
    let rejection = match direction {
        Direction::Long => s.lower_wick,
        Direction::Short => s.upper_wick,
    };
    c[Component::Wick.index()] = unit_ratio(rejection, s.high - s.low);
    // Share of the distinct trend pairs that point in the direction.
    let pairs = 1 + usize::from(vote_1h) + usize::from(vote_4h);
    let aligned = votes[..3].iter().filter(|t| agrees(**t)).count();
    c[Component::Trend.index()] = aligned as f64 / pairs as f64;
    c[Component::EmaDivergence.index()] = if agrees(trend[0]) {
        unit_ratio(math::abs(s.ema_fast - s.ema_slow), 2.0 * s.atr)
    } else {
        0.0
    };
    c[Component::H4Strength.index()] = if agrees(trend[2]) {
        unit_ratio(math::abs(s.ema_fast_4h - s.ema_slow_4h), s.close * 0.02)
    } else {
        0.0
    };
    c[Component::Volatility.index()] = unit_ratio(s.atr, s.close * 0.02);
    c[Component::VolumePulse.index()] = math::clamp((s.volume_pulse - 1.0) / 2.0, 0.0, 1.0);
    let body_now = (s.close - s.open) * sign;
    let body_prev = s.prev_body_signed * sign;
    c[Component::Acceleration.index()] = if body_now > 0.0 {
        unit_ratio(body_now - body_prev, s.atr)
    } else {
        0.0
    };

    Some(Signal {
        direction,
        consensus,
        components: c,
        rsi: s.rsi,
    })
}
