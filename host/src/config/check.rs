//! Reading a configuration file and checking every value that does not depend on the
//! timeframe (the timeframe-dependent ones are checked as they become core settings).

use super::schema::{Config, ProfileToml};
use super::settings::weights_of;
use super::{ConfigError, err, limits};
use phasebound_core::budget::{MAX_FOLDS, MAX_GROUPS, MAX_OPEN_TRADES};
use std::path::Path;

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
}

fn ascending<T: PartialOrd>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
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
