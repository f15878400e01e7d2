//! Score weights and the original system's weight groups (DESIGN §3), per profile.
//!
//! A [`Weights`] holds one weight per [`Component`] in [`Component::ALL`] order. Only
//! ratios matter: [`Signal::score`](super::Signal::score) divides by the sum. Components
//! a profile's table has no column for get weight 0 (scalping ignores EMA divergence and
//! 4 h strength; swing ignores wick, volatility, volume pulse and acceleration).

use super::{Component, Profile};
use crate::budget::{COMPONENTS, MAX_GROUPS};

/// One non-negative weight per score component, indexed by [`Component::index`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights(pub [f64; COMPONENTS]);

impl Weights {
    /// The weight of one component.
    #[must_use]
    pub const fn get(&self, c: Component) -> f64 {
        self.0[c.index()]
    }

    /// Sum of all weights (the score's normalizer).
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.0.iter().sum()
    }

    /// A scalping row in the column order of DESIGN's table: momentum, volume, breakout,
    /// wick, trend, volatility, volume pulse, acceleration.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub const fn scalping(
        momentum: f64,
        volume: f64,
        breakout: f64,
        wick: f64,
        trend: f64,
        volatility: f64,
        volume_pulse: f64,
        acceleration: f64,
    ) -> Self {
        let mut w = [0.0; COMPONENTS];
        w[Component::Momentum.index()] = momentum;
        w[Component::Volume.index()] = volume;
        w[Component::Breakout.index()] = breakout;
        w[Component::Wick.index()] = wick;
        w[Component::Trend.index()] = trend;
        w[Component::Volatility.index()] = volatility;
        w[Component::VolumePulse.index()] = volume_pulse;
        w[Component::Acceleration.index()] = acceleration;
        Self(w)
    }

    /// A swing row in the column order of DESIGN's table: momentum, volume, breakout,
    /// trend, EMA divergence, 4 h strength.
    #[must_use]
    pub const fn swing(
        momentum: f64,
        volume: f64,
        breakout: f64,
        trend: f64,
        ema_divergence: f64,
        h4_strength: f64,
    ) -> Self {
        let mut w = [0.0; COMPONENTS];
        w[Component::Momentum.index()] = momentum;
        w[Component::Volume.index()] = volume;
        w[Component::Breakout.index()] = breakout;
        w[Component::Trend.index()] = trend;
        w[Component::EmaDivergence.index()] = ema_divergence;
        w[Component::H4Strength.index()] = h4_strength;
        Self(w)
    }
}

/// A named weight set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightGroup {
    /// Stable snake_case name (reports, config, `params.json`).
    pub name: &'static str,
    /// The weights.
    pub weights: Weights,
}

/// Weight groups per profile in the built-in tables.
pub const GROUPS_PER_PROFILE: usize = 6;

const _: () = assert!(GROUPS_PER_PROFILE <= MAX_GROUPS);

/// The scalping weight groups of DESIGN §3, in table order.
pub const SCALPING_GROUPS: [WeightGroup; GROUPS_PER_PROFILE] = [
    WeightGroup {
        name: "default",
        weights: Weights::scalping(25.0, 30.0, 25.0, 15.0, 12.0, 20.0, 15.0, 15.0),
    },
    WeightGroup {
        name: "momentum_first",
        weights: Weights::scalping(30.0, 28.0, 25.0, 15.0, 10.0, 18.0, 12.0, 20.0),
    },
    WeightGroup {
        name: "volume_first",
        weights: Weights::scalping(22.0, 35.0, 22.0, 15.0, 10.0, 18.0, 20.0, 12.0),
    },
    WeightGroup {
        name: "breakout_first",
        weights: Weights::scalping(22.0, 28.0, 30.0, 15.0, 10.0, 25.0, 12.0, 12.0),
    },
    WeightGroup {
        name: "balanced",
        weights: Weights::scalping(24.0, 29.0, 24.0, 14.0, 11.0, 19.0, 14.0, 14.0),
    },
    WeightGroup {
        name: "high_reward_risk",
        weights: Weights::scalping(35.0, 20.0, 20.0, 10.0, 5.0, 25.0, 10.0, 30.0),
    },
];

/// The swing weight groups of DESIGN §3, in table order.
pub const SWING_GROUPS: [WeightGroup; GROUPS_PER_PROFILE] = [
    WeightGroup {
        name: "default",
        weights: Weights::swing(20.0, 35.0, 25.0, 35.0, 15.0, 25.0),
    },
    WeightGroup {
        name: "trend_first",
        weights: Weights::swing(20.0, 30.0, 20.0, 40.0, 15.0, 25.0),
    },
    WeightGroup {
        name: "h4_first",
        weights: Weights::swing(20.0, 30.0, 20.0, 35.0, 10.0, 35.0),
    },
    WeightGroup {
        name: "momentum_volume",
        weights: Weights::swing(25.0, 40.0, 20.0, 30.0, 15.0, 20.0),
    },
    WeightGroup {
        name: "balanced",
        weights: Weights::swing(22.0, 33.0, 23.0, 33.0, 15.0, 25.0),
    },
    WeightGroup {
        name: "high_reward_risk",
        weights: Weights::swing(15.0, 15.0, 15.0, 10.0, 5.0, 10.0),
    },
];

/// The built-in weight groups of a profile.
#[must_use]
pub const fn default_groups(p: Profile) -> &'static [WeightGroup; GROUPS_PER_PROFILE] {
    match p {
        Profile::Scalping => &SCALPING_GROUPS,
        Profile::Swing => &SWING_GROUPS,
    }
}

/// A built-in group of a profile by name.
#[must_use]
pub fn find_group(p: Profile, name: &str) -> Option<&'static WeightGroup> {
    default_groups(p).iter().find(|g| g.name == name)
}
