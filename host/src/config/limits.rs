//! Configuration checks kept apart from `config/check.rs`: values beyond the core's compiled
//! capacities (exit 5, not a configuration error: the file is valid, this build cannot
//! hold it), and non-finite numbers (`nan`, `inf`), found in the TOML text itself so
//! the message names the key and its line.

use super::{Config, ConfigError};
use phasebound_core::budget::{
    MAX_FOLDS, MAX_GROUPS, MAX_LEVELS, MAX_OPEN_TRADES, MAX_SAMPLE, MAX_TRAILING,
};

/// Values of a profile's `min_scores` axis a pass holds (the core's `MAX_FILTER_VALUES`,
/// not exported; [`Config::profile`] also refuses more, as a capacity error).
pub const MAX_FILTER_VALUES: usize = 16;
use phasebound_core::signal::Profile;

/// A capacity problem: `key` holds `got`, the compiled `name` is `limit`.
#[must_use]
pub fn capacity(
    key: impl Into<String>,
    got: impl std::fmt::Display,
    name: &str,
    limit: usize,
) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: format!(
            "{got}, over the compiled capacity {name} = {limit}; use at most {limit} \
             (a larger capacity needs phasebound-core rebuilt with a larger budget)"
        ),
        capacity: true,
    }
}

/// Every value of `cfg` that does not fit the compiled capacities, by key: the first.
///
/// # Errors
/// A [`ConfigError`] with `capacity` set.
pub fn check_capacities(cfg: &Config) -> Result<(), ConfigError> {
    if cfg.sample as usize > MAX_SAMPLE {
        return Err(capacity(
            "sample",
            format!("{} candidates", cfg.sample),
            "MAX_SAMPLE",
            MAX_SAMPLE,
        ));
    }
    let trades = usize::from(cfg.trading.max_open_trades);
    if trades > MAX_OPEN_TRADES {
        return Err(capacity(
            "trading.max_open_trades",
            format!("{trades} slots"),
            "MAX_OPEN_TRADES",
            MAX_OPEN_TRADES,
        ));
    }
    let folds = cfg.validation.walk_forward_folds as usize;
    if folds > MAX_FOLDS {
        return Err(capacity(
            "validation.walk_forward_folds",
            format!("{folds} folds"),
            "MAX_FOLDS",
            MAX_FOLDS,
        ));
    }
    for p in Profile::ALL {
        let t = cfg.profile_toml(p);
        let key = |k: &str| format!("{}.{k}", p.name());
        for (k, n, name, limit) in [
            ("tp_atr", t.tp_atr.len(), "MAX_LEVELS", MAX_LEVELS),
            ("sl_atr", t.sl_atr.len(), "MAX_LEVELS", MAX_LEVELS),
            ("hold_hours", t.hold_hours.len(), "MAX_LEVELS", MAX_LEVELS),
            ("trailing", t.trailing.len(), "MAX_TRAILING", MAX_TRAILING),
            (
                "min_scores",
                t.min_scores.len(),
                "MAX_FILTER_VALUES",
                MAX_FILTER_VALUES,
            ),
            ("groups", t.groups.len(), "MAX_GROUPS", MAX_GROUPS),
        ] {
            if n > limit {
                return Err(capacity(key(k), format!("{n} values"), name, limit));
            }
        }
    }
    Ok(())
}

/// The first `nan` or `inf` in a TOML text, named by its dotted key and line (e.g.
/// `cfg.toml:3: scalping.tp_atr[1]: nan is not a finite number`). Text that does not
/// parse is left to the real parser, whose error is better.
///
/// # Errors
/// The first non-finite number.
pub fn check_finite(text: &str, origin: &std::path::Path) -> Result<(), ConfigError> {
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return Ok(());
    };
    let mut found = None;
    walk_table(doc.get_ref(), "", &mut found);
    match found {
        None => Ok(()),
        Some((key, raw, at)) => {
            let line = text[..at.min(text.len())].matches('\n').count() + 1;
            Err(ConfigError {
                key: format!("{}:{line}: {key}", origin.display()),
                problem: format!("{raw} is not a finite number"),
                capacity: false,
            })
        }
    }
}

type Found = Option<(String, String, usize)>;

fn walk_table(t: &toml::de::DeTable<'_>, prefix: &str, found: &mut Found) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        walk_value(v, &key, found);
        if found.is_some() {
            return;
        }
    }
}

fn walk_value(v: &toml::Spanned<toml::de::DeValue<'_>>, key: &str, found: &mut Found) {
    use toml::de::DeValue;
    match v.get_ref() {
        DeValue::Float(f) => {
            let raw = f.as_str();
            let finite = raw
                .replace('_', "")
                .parse::<f64>()
                .is_ok_and(f64::is_finite);
            if !finite {
                *found = Some((key.to_owned(), raw.to_owned(), v.span().start));
            }
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_value(item, &format!("{key}[{i}]"), found);
                if found.is_some() {
                    return;
                }
            }
        }
        DeValue::Table(t) => walk_table(t, key, found),
        _ => {}
    }
}
