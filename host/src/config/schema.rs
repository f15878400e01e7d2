//! The configuration file's tables as serde structs, and how a profile section is laid
//! over that profile's defaults.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every random choice (sampling). Same data + config + seed → same bytes.
    pub seed: u64,
    /// Share of the time span that forms the initial training span of the walk-forward
    /// validation; the rest is cut into `validation.walk_forward_folds` test folds.
    pub in_sample_fraction: f64,
    /// Candidates per profile the search samples (0 = all).
    pub sample: u32,
    /// Costs and fills.
    pub trading: Trading,
    /// Phases 2–3 search.
    pub search: Search,
    /// Phase 4.
    pub validation: Validation,
    /// Scalping profile.
    #[serde(deserialize_with = "scalping_over_defaults")]
    pub scalping: ProfileToml,
    /// Swing profile.
    #[serde(deserialize_with = "swing_over_defaults")]
    pub swing: ProfileToml,
}

// A profile section may set any subset of its keys (the rest keep that profile's
// defaults), so it is read as a generic value and laid over the profile's own defaults:
// a plain `#[serde(default)]` cannot, as scalping and swing have different defaults.
fn scalping_over_defaults<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ProfileToml, D::Error> {
    over_defaults(d, ProfileToml::scalping())
}

fn swing_over_defaults<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ProfileToml, D::Error> {
    over_defaults(d, ProfileToml::swing())
}

fn over_defaults<'de, D: serde::Deserializer<'de>>(
    d: D,
    defaults: ProfileToml,
) -> Result<ProfileToml, D::Error> {
    use serde::de::Error as _;
    let user = serde_json::Value::deserialize(d)?;
    let mut merged = serde_json::to_value(defaults).map_err(D::Error::custom)?;
    merge_values(&mut merged, user);
    ProfileToml::deserialize(merged).map_err(D::Error::custom)
}

/// Lays `over` onto `base`: tables merge key by key, any other value (arrays included)
/// replaces the base value.
fn merge_values(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge_values(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Costs and fills.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Trading {
    /// Taker fee per side, %.
    pub fee_pct_per_side: f64,
    /// Slippage per side, %.
    pub slippage_pct_per_side: f64,
    /// `next_open` (default) or `signal_close`.
    pub entry: String,
    /// One open position per symbol and parameter cell.
    pub one_position_per_symbol: bool,
    /// Positions one parameter cell's account holds at once (freqtrade's
    /// `max_open_trades`), 1..=16.
    pub max_open_trades: u8,
    /// `compounding` (default: each entry stakes equity / max_open_trades, freqtrade's
    /// unlimited stake) or `fixed` (initial capital / max_open_trades every entry).
    pub stake: String,
}

/// Phases 2–3 search settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Search {
    /// `sharpe` (default), `sortino`, `calmar`, `total_profit`, `expectancy_sqrt_n`,
    /// `profit_factor` or `return_over_drawdown`.
    pub objective: String,
    /// Cells with fewer in-sample trades cannot win.
    pub min_trades: u32,
    /// Round limit of the local search.
    pub max_rounds: u16,
    /// Starting points (Phase 2 best + next), 1..=4.
    pub starts: u8,
    /// Seed each start with the best exit of the whole exit grid for its entry filter
    /// (one dense pass per start) before the local search.
    pub dense_seed: bool,
    /// After the search, evaluate the whole exit grid for the chosen entry filter, to
    /// check how close the search came.
    pub dense_check: bool,
}

/// Phase 4 settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Validation {
    /// Pooled out-of-sample trades needed for PASSED (and trades in more than half of
    /// the folds).
    pub min_trades: u32,
    /// Significance level of the one-sided t-test of the pooled out-of-sample daily
    /// returns (PASSED needs a p-value below it).
    pub alpha: f64,
    /// Walk-forward test folds after the initial training span (1..=12; 4 by default).
    pub walk_forward_folds: u32,
    /// How much higher (annualized Sharpe of the pooled out-of-sample daily returns) a
    /// challenger must score to replace an incumbent that still passes.
    pub incumbent_margin: f64,
}

/// A trailing-stop setting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailingToml {
    /// Favourable move, in ATRs, that arms it.
    pub activation_atr: f64,
    /// Distance behind the best price, in ATRs.
    pub distance_atr: f64,
}

/// One set of parameters (baseline exits or the conservative fallback).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsToml {
    /// Weight group name.
    pub group: String,
    /// Minimum score.
    pub min_score: f32,
    /// Minimum consensus.
    pub min_consensus: u8,
    /// Take profit, ATRs.
    pub tp_atr: f64,
    /// Stop loss, ATRs.
    pub sl_atr: f64,
    /// Holding time, hours.
    pub hold_hours: f64,
    /// Trailing stop, if any.
    pub trailing: Option<TrailingToml>,
}

/// One weight group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupToml {
    /// Name (reported and written to params.json).
    pub name: String,
    /// Weight per component name; missing components weigh 0.
    pub weights: BTreeMap<String, f64>,
}

/// One profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileToml {
    /// Hindsight opportunity: favourable move, %.
    pub opportunity_move_pct: f64,
    /// Hindsight opportunity: horizon, hours.
    pub opportunity_horizon_hours: f64,
    /// Entry-filter axis: minimum scores (ascending); the first is the candidate rule.
    pub min_scores: Vec<f32>,
    /// Entry-filter axis: minimum consensus (ascending, 0..=5).
    pub min_consensus: Vec<u8>,
    /// Take-profit axis, ATRs.
    pub tp_atr: Vec<f64>,
    /// Stop-loss axis, ATRs.
    pub sl_atr: Vec<f64>,
    /// Holding-time axis, hours.
    pub hold_hours: Vec<f64>,
    /// Trailing-stop settings tried besides off.
    pub trailing: Vec<TrailingToml>,
    /// Exits of Phase 2 screening (and the search's starting exits); group and filters ignored.
    pub baseline: ParamsToml,
    /// Optional conservative parameters, a candidate besides the search's: validated on
    /// the walk-forward folds like any other, shipped only when they pass and neither the
    /// new parameters nor the incumbent do. None by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<ParamsToml>,
    /// Weight groups (default: the original system's six).
    pub groups: Vec<GroupToml>,
}
