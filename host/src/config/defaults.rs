//! The defaults of every key, and `phasebound config`'s commented TOML file of them.

use super::schema::{
    Config, GroupToml, ParamsToml, ProfileToml, Search, Trading, TrailingToml, Validation,
};
use phasebound_core::account::Stake;
use phasebound_core::signal::{Component, Profile, default_groups};
use phasebound_core::stats::Objective;
use std::fmt::Write as _;

impl Default for Trading {
    fn default() -> Self {
        Self {
            fee_pct_per_side: 0.05,
            slippage_pct_per_side: 0.02,
            entry: "next_open".into(),
            one_position_per_symbol: true,
            max_open_trades: 3,
            stake: Stake::Compounding.name().into(),
        }
    }
}

impl Default for Search {
    fn default() -> Self {
        Self {
            objective: Objective::default().name().into(),
            min_trades: 30,
            max_rounds: 20,
            starts: 4,
            dense_seed: true,
            dense_check: true,
        }
    }
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            min_trades: 30,
            alpha: 0.05,
            walk_forward_folds: 4,
            incumbent_margin: 0.25,
        }
    }
}

fn groups_toml(p: Profile) -> Vec<GroupToml> {
    default_groups(p)
        .iter()
        .map(|g| GroupToml {
            name: g.name.into(),
            weights: Component::ALL
                .iter()
                .filter(|c| g.weights.get(**c) != 0.0)
                .map(|c| (c.name().to_string(), g.weights.get(*c)))
                .collect(),
        })
        .collect()
}

fn trail(a: f64, d: f64) -> TrailingToml {
    TrailingToml {
        activation_atr: a,
        distance_atr: d,
    }
}

fn params(
    group: &str,
    min_score: f32,
    min_consensus: u8,
    tp: f64,
    sl: f64,
    hold: f64,
) -> ParamsToml {
    ParamsToml {
        group: group.into(),
        min_score,
        min_consensus,
        tp_atr: tp,
        sl_atr: sl,
        hold_hours: hold,
        trailing: None,
    }
}

impl ProfileToml {
    /// The default scalping profile (for 15m bars; holds 1–8 h).
    #[must_use]
    pub fn scalping() -> Self {
        Self {
            opportunity_move_pct: 1.5,
            opportunity_horizon_hours: 8.0,
            min_scores: vec![60.0, 70.0, 80.0, 90.0],
            min_consensus: vec![3, 4, 5],
            tp_atr: vec![1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0],
            sl_atr: vec![0.75, 1.0, 1.25, 1.5, 2.0, 2.5],
            hold_hours: vec![1.0, 2.0, 4.0, 6.0, 8.0],
            trailing: vec![trail(1.0, 0.5), trail(1.5, 0.75), trail(2.0, 1.0)],
            baseline: params("default", 60.0, 3, 2.0, 1.0, 4.0),
            fallback: None,
            groups: groups_toml(Profile::Scalping),
        }
    }

    /// The default swing profile (for 15m bars; holds 6–72 h).
    #[must_use]
    pub fn swing() -> Self {
        Self {
            opportunity_move_pct: 4.0,
            opportunity_horizon_hours: 72.0,
            min_scores: vec![60.0, 70.0, 80.0, 90.0],
            min_consensus: vec![3, 4, 5],
            tp_atr: vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0],
            sl_atr: vec![1.5, 2.0, 2.5, 3.0, 4.0],
            hold_hours: vec![6.0, 12.0, 24.0, 48.0, 72.0],
            trailing: vec![trail(2.0, 1.0), trail(3.0, 1.5), trail(4.0, 2.0)],
            baseline: params("default", 60.0, 3, 5.0, 2.0, 24.0),
            fallback: None,
            groups: groups_toml(Profile::Swing),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 42,
            in_sample_fraction: 0.5,
            sample: 0,
            trading: Trading::default(),
            search: Search::default(),
            validation: Validation::default(),
            scalping: ProfileToml::scalping(),
            swing: ProfileToml::swing(),
        }
    }
}

impl Config {
    /// The defaults as a commented TOML file that parses back to [`Config::default`].
    #[must_use]
    pub fn defaults_toml() -> String {
        let body = toml::to_string(&Config::default()).unwrap_or_default();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# phasebound configuration: every key is optional; these are the defaults.\n\
             # Holding times and horizons are in hours, converted to bars by the timeframe.\n\
             # Exit distances are multiples of the signal bar's ATR(14). Profits are % after costs.\n"
        );
        out.push_str(&body);
        out
    }
}
