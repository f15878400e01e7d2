//! The run configuration: every threshold, grid, weight group, horizon, cost and split,
//! with defaults; a TOML file overrides any of them (unknown keys are errors);
//! `phasebound config` prints the defaults as a valid file.
//!
//! Holding times and horizons are in hours here and become bars for the core once the
//! timeframe is known ([`Config::profile`]).

use phasebound_core::account::Stake;
use phasebound_core::budget::{
    H_MAX, MAX_FOLDS, MAX_GROUPS, MAX_LEVELS, MAX_OPEN_TRADES, MAX_TRAILING,
};
use phasebound_core::phase::{ExitSpace, ProfileConfig, SearchConfig, ValidationConfig};
use phasebound_core::plan::{CellDef, ProfileSpec};
use phasebound_core::signal::{Component, Profile, Weights, default_groups};
use phasebound_core::stats::Objective;
use phasebound_core::{EntryTiming, ExitParams, Trailing};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub mod limits;

/// A configuration problem: the key (dotted path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct ConfigError {
    /// Dotted key, or the file for parse errors.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// The value is valid but beyond the compiled capacities (exit 5, not 2).
    pub capacity: bool,
}

fn err(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
        capacity: false,
    }
}

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

/// Hours to bars at `tf` minutes (rounded, at least 1).
#[must_use]
pub fn hours_to_bars(hours: f64, tf: u32) -> u64 {
    let bars = (hours * 60.0 / f64::from(tf)).round();
    if bars < 1.0 { 1 } else { bars as u64 }
}

fn ascending<T: PartialOrd>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

fn bars_checked(key: &str, hours: f64, tf: u32) -> Result<u16, ConfigError> {
    if !(hours.is_finite() && hours > 0.0) {
        return Err(err(
            key,
            format!("{hours} hours is not a positive duration"),
        ));
    }
    let bars = hours_to_bars(hours, tf);
    if bars > H_MAX as u64 {
        return Err(ConfigError {
            capacity: true,
            ..err(
                key,
                format!(
                    "{hours} h = {bars} bars at {tf}m, over the compiled window capacity H_MAX = {H_MAX} bars; \
                     shorten it or use a longer timeframe"
                ),
            )
        });
    }
    Ok(bars as u16)
}

impl Config {
    /// Parses a TOML text; `origin` names it in errors.
    ///
    /// # Errors
    /// Syntax errors (with line and column), unknown keys, wrong types, invalid values.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, ConfigError> {
        limits::check_finite(text, origin)?;
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(":{line}")
                })
                .unwrap_or_default();
            err(format!("{}{at}", origin.display()), e.message().to_string())
        })?;
        cfg.check().map_err(|e| ConfigError {
            key: format!("{}: {}", origin.display(), e.key),
            ..e
        })?;
        Ok(cfg)
    }

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

    /// Checks every value that does not depend on the timeframe.
    ///
    /// # Errors
    /// The first invalid value, by key.
    pub fn check(&self) -> Result<(), ConfigError> {
        limits::check_capacities(self)?;
        if !(self.in_sample_fraction > 0.0 && self.in_sample_fraction < 1.0) {
            return Err(err(
                "in_sample_fraction",
                "must be strictly between 0 and 1",
            ));
        }
        if self.sample as usize > phasebound_core::budget::MAX_SAMPLE {
            return Err(err(
                "sample",
                format!(
                    "at most MAX_SAMPLE = {}",
                    phasebound_core::budget::MAX_SAMPLE
                ),
            ));
        }
        let t = &self.trading;
        for (k, v) in [
            ("trading.fee_pct_per_side", t.fee_pct_per_side),
            ("trading.slippage_pct_per_side", t.slippage_pct_per_side),
        ] {
            if !(v.is_finite() && (0.0..10.0).contains(&v)) {
                return Err(err(k, format!("{v} is not a percentage in [0, 10)")));
            }
        }
        self.entry_timing()?;
        self.stake()?;
        if !(1..=MAX_OPEN_TRADES).contains(&usize::from(t.max_open_trades)) {
            return Err(err(
                "trading.max_open_trades",
                format!("{} is not in 1..={MAX_OPEN_TRADES}", t.max_open_trades),
            ));
        }
        self.objective()?;
        if !(1..=4).contains(&self.search.starts) {
            return Err(err("search.starts", "must be 1..=4"));
        }
        if self.search.max_rounds == 0 {
            return Err(err("search.max_rounds", "must be at least 1"));
        }
        let v = &self.validation;
        if !(v.alpha > 0.0 && v.alpha < 1.0) {
            return Err(err("validation.alpha", "must be a probability in (0, 1)"));
        }
        if !(1..=MAX_FOLDS as u32).contains(&v.walk_forward_folds) {
            return Err(err(
                "validation.walk_forward_folds",
                format!("must be 1..={MAX_FOLDS}"),
            ));
        }
        if !(v.incumbent_margin.is_finite() && v.incumbent_margin >= 0.0) {
            return Err(err("validation.incumbent_margin", "must be >= 0"));
        }
        for (name, p) in [("scalping", &self.scalping), ("swing", &self.swing)] {
            check_profile(name, p)?;
        }
        Ok(())
    }

    /// Entry fill convention.
    ///
    /// # Errors
    /// An unknown name.
    pub fn entry_timing(&self) -> Result<EntryTiming, ConfigError> {
        match self.trading.entry.as_str() {
            "next_open" => Ok(EntryTiming::NextOpen),
            "signal_close" => Ok(EntryTiming::SignalClose),
            other => Err(err(
                "trading.entry",
                format!("'{other}' is not next_open or signal_close"),
            )),
        }
    }

    /// How entries are staked.
    ///
    /// # Errors
    /// An unknown name.
    pub fn stake(&self) -> Result<Stake, ConfigError> {
        match self.trading.stake.as_str() {
            "compounding" => Ok(Stake::Compounding),
            "fixed" => Ok(Stake::Fixed),
            other => Err(err(
                "trading.stake",
                format!("'{other}' is not compounding or fixed"),
            )),
        }
    }

    /// The search objective.
    ///
    /// # Errors
    /// An unknown name.
    pub fn objective(&self) -> Result<Objective, ConfigError> {
        Objective::from_name(&self.search.objective).ok_or_else(|| {
            err(
                "search.objective",
                format!(
                    "'{}' is not one of total_profit, expectancy_sqrt_n, profit_factor, return_over_drawdown, sharpe, sortino, calmar",
                    self.search.objective
                ),
            )
        })
    }

    /// Round-trip cost in %.
    #[must_use]
    pub fn cost_pct(&self) -> f64 {
        2.0 * (self.trading.fee_pct_per_side + self.trading.slippage_pct_per_side)
    }

    /// Core search settings.
    ///
    /// # Errors
    /// An invalid objective.
    pub fn search_config(&self) -> Result<SearchConfig, ConfigError> {
        Ok(SearchConfig {
            objective: self.objective()?,
            min_trades: self.search.min_trades,
            max_rounds: self.search.max_rounds,
            starts: self.search.starts,
        })
    }

    /// Core validation settings.
    #[must_use]
    pub fn validation_config(&self) -> ValidationConfig {
        ValidationConfig {
            min_trades: self.validation.min_trades,
            alpha: self.validation.alpha,
        }
    }

    /// The TOML section of a profile.
    #[must_use]
    pub fn profile_toml(&self, p: Profile) -> &ProfileToml {
        match p {
            Profile::Scalping => &self.scalping,
            Profile::Swing => &self.swing,
        }
    }

    /// Names of profile `p`'s weight groups, by index.
    #[must_use]
    pub fn group_names(&self, p: Profile) -> Vec<String> {
        self.profile_toml(p)
            .groups
            .iter()
            .map(|g| g.name.clone())
            .collect()
    }

    /// The core's settings of profile `p` at timeframe `tf` minutes.
    ///
    /// # Errors
    /// Values that do not fit the timeframe or the core's capacities, by key.
    pub fn profile(&self, p: Profile, tf: u32) -> Result<ProfileConfig, ConfigError> {
        let name = p.name();
        let t = self.profile_toml(p);
        let key = |k: &str| format!("{name}.{k}");
        let mut groups = heapless::Vec::<Weights, MAX_GROUPS>::new();
        for g in &t.groups {
            groups
                .push(weights_of(&key("groups"), g)?)
                .map_err(|_| err(key("groups"), format!("at most {MAX_GROUPS} groups")))?;
        }
        let group_index = |k: &str, n: &str| -> Result<u8, ConfigError> {
            t.groups
                .iter()
                .position(|g| g.name == n)
                .map(|i| i as u8)
                .ok_or_else(|| err(key(k), format!("unknown weight group '{n}'")))
        };
        let spec = ProfileSpec {
            profile: p,
            groups,
            candidate_min_score: t.min_scores[0],
            candidate_min_consensus: t.min_consensus[0],
            opportunity_move_pct: t.opportunity_move_pct,
            opportunity_horizon: bars_checked(
                &key("opportunity_horizon_hours"),
                t.opportunity_horizon_hours,
                tf,
            )?,
            entry_timing: self.entry_timing()?,
            cost_pct: self.cost_pct(),
            one_position_per_symbol: self.trading.one_position_per_symbol,
            max_open_trades: self.trading.max_open_trades,
            stake: self.stake()?,
        };
        let mut hold = heapless::Vec::<u16, MAX_LEVELS>::new();
        for &h in &t.hold_hours {
            let b = bars_checked(&key("hold_hours"), h, tf)?;
            // Two hour values may round to the same bar count on long timeframes.
            if hold.last() != Some(&b) && hold.push(b).is_err() {
                return Err(limits::capacity(
                    key("hold_hours"),
                    format!("{} values", t.hold_hours.len()),
                    "MAX_LEVELS",
                    MAX_LEVELS,
                ));
            }
        }
        let space = ExitSpace {
            tp: heapless::Vec::from_slice(&t.tp_atr).map_err(|_| {
                limits::capacity(key("tp_atr"), "too many values", "MAX_LEVELS", MAX_LEVELS)
            })?,
            sl: heapless::Vec::from_slice(&t.sl_atr).map_err(|_| {
                limits::capacity(key("sl_atr"), "too many values", "MAX_LEVELS", MAX_LEVELS)
            })?,
            hold,
            trailing: heapless::Vec::from_slice(
                &t.trailing
                    .iter()
                    .map(|x| Trailing {
                        activation: x.activation_atr,
                        distance: x.distance_atr,
                    })
                    .collect::<Vec<_>>(),
            )
            .map_err(|_| {
                limits::capacity(
                    key("trailing"),
                    format!("{} values", t.trailing.len()),
                    "MAX_TRAILING",
                    MAX_TRAILING,
                )
            })?,
            min_score: heapless::Vec::from_slice(&t.min_scores).map_err(|_| {
                limits::capacity(
                    key("min_scores"),
                    format!("{} values", t.min_scores.len()),
                    "MAX_FILTER_VALUES",
                    limits::MAX_FILTER_VALUES,
                )
            })?,
            min_consensus: heapless::Vec::from_slice(&t.min_consensus)
                .map_err(|_| err(key("min_consensus"), "too many values"))?,
        };
        let cell = |k: &str, x: &ParamsToml| -> Result<CellDef, ConfigError> {
            Ok(CellDef {
                group: group_index(&format!("{k}.group"), &x.group)?,
                min_score: x.min_score,
                min_consensus: x.min_consensus,
                exit: ExitParams {
                    tp: x.tp_atr,
                    sl: x.sl_atr,
                    hold: bars_checked(&key(&format!("{k}.hold_hours")), x.hold_hours, tf)?,
                    trailing: x.trailing.map(|t| Trailing {
                        activation: t.activation_atr,
                        distance: t.distance_atr,
                    }),
                },
            })
        };
        let baseline = cell("baseline", &t.baseline)?.exit;
        let fallback = t
            .fallback
            .as_ref()
            .map(|f| cell("fallback", f))
            .transpose()?;
        let pc = ProfileConfig {
            spec,
            baseline,
            space,
            fallback,
        };
        pc.validate().map_err(|e| err(name, e.to_string()))?;
        Ok(pc)
    }
}

fn weights_of(key: &str, g: &GroupToml) -> Result<Weights, ConfigError> {
    let mut w = [0.0; phasebound_core::budget::COMPONENTS];
    for (name, &v) in &g.weights {
        let c = Component::ALL
            .iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                err(
                    format!("{key}.{}", g.name),
                    format!("unknown component '{name}'"),
                )
            })?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(err(
                format!("{key}.{}.{name}", g.name),
                "weight must be finite and >= 0",
            ));
        }
        w[c.index()] = v;
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(err(format!("{key}.{}", g.name), "all weights are 0"));
    }
    Ok(Weights(w))
}

fn check_profile(name: &str, p: &ProfileToml) -> Result<(), ConfigError> {
    let key = |k: &str| format!("{name}.{k}");
    if !(p.opportunity_move_pct.is_finite() && p.opportunity_move_pct > 0.0) {
        return Err(err(key("opportunity_move_pct"), "must be > 0"));
    }
    let pos = |k: &str, v: &[f64]| -> Result<(), ConfigError> {
        if v.is_empty() || !ascending(v) || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(err(
                key(k),
                "must be a non-empty ascending list of positive numbers",
            ));
        }
        Ok(())
    };
    pos("tp_atr", &p.tp_atr)?;
    pos("sl_atr", &p.sl_atr)?;
    pos("hold_hours", &p.hold_hours)?;
    if p.min_scores.is_empty()
        || !ascending(&p.min_scores)
        || p.min_scores.iter().any(|x| !(0.0..=100.0).contains(x))
    {
        return Err(err(
            key("min_scores"),
            "must be a non-empty ascending list within 0..=100",
        ));
    }
    if p.min_consensus.is_empty()
        || !ascending(&p.min_consensus)
        || p.min_consensus.iter().any(|&x| x > 5)
    {
        return Err(err(
            key("min_consensus"),
            "must be a non-empty ascending list within 0..=5",
        ));
    }
    for t in &p.trailing {
        if !(t.activation_atr.is_finite()
            && t.activation_atr > 0.0
            && t.distance_atr.is_finite()
            && t.distance_atr > 0.0)
        {
            return Err(err(
                key("trailing"),
                "activation_atr and distance_atr must be > 0",
            ));
        }
    }
    if p.groups.is_empty() || p.groups.len() > MAX_GROUPS {
        return Err(err(
            key("groups"),
            format!("1..={MAX_GROUPS} weight groups"),
        ));
    }
    for (i, g) in p.groups.iter().enumerate() {
        if p.groups[..i].iter().any(|h| h.name == g.name) {
            return Err(err(
                key("groups"),
                format!("duplicate group name '{}'", g.name),
            ));
        }
        weights_of(&key("groups"), g)?;
    }
    let fallback = p.fallback.as_ref().map(|f| ("fallback", f));
    for (k, x) in std::iter::once(("baseline", &p.baseline)).chain(fallback) {
        if !p.groups.iter().any(|g| g.name == x.group) {
            return Err(err(
                key(&format!("{k}.group")),
                format!("unknown weight group '{}'", x.group),
            ));
        }
        for (kk, v) in [
            ("tp_atr", x.tp_atr),
            ("sl_atr", x.sl_atr),
            ("hold_hours", x.hold_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(key(&format!("{k}.{kk}")), "must be > 0"));
            }
        }
        if !(0.0..=100.0).contains(&x.min_score) || x.min_consensus > 5 {
            return Err(err(
                key(k),
                "min_score must be 0..=100 and min_consensus 0..=5",
            ));
        }
    }
    Ok(())
}
