//! The core's settings from a configuration: names to core enums, hours to bars at the
//! timeframe, weight groups and exit grids into a profile's [`ProfileConfig`].

use super::schema::{Config, GroupToml, ParamsToml, ProfileToml};
use super::{ConfigError, err, limits};
use phasebound_core::account::Stake;
use phasebound_core::budget::{H_MAX, MAX_GROUPS, MAX_LEVELS, MAX_TRAILING};
use phasebound_core::phase::{ExitSpace, ProfileConfig, SearchConfig, ValidationConfig};
use phasebound_core::plan::{CellDef, ProfileSpec};
use phasebound_core::signal::{Component, Profile, Weights};
use phasebound_core::stats::Objective;
use phasebound_core::{EntryTiming, ExitParams, Trailing};

/// Hours to bars at `tf` minutes (rounded, at least 1).
#[must_use]
pub fn hours_to_bars(hours: f64, tf: u32) -> u64 {
    let bars = (hours * 60.0 / f64::from(tf)).round();
    if bars < 1.0 { 1 } else { bars as u64 }
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

pub(super) fn weights_of(key: &str, g: &GroupToml) -> Result<Weights, ConfigError> {
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
