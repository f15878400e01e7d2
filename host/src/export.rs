//! `phasebound export freqtrade`: the shipped parameters of one profile as a freqtrade
//! strategy-parameter file.
//!
//! freqtrade reads `<strategy file>.json` next to a strategy's `.py` file (what its
//! hyperopt writes: `HyperoptTools.export_params`): `strategy_name` (the strategy's class
//! name, checked on load), `params` with one object per space, `ft_stratparam_v: 1` and
//! `export_time` (Python's `str()` of a UTC `datetime`). Within `buy` and `sell`, every
//! key whose name is a parameter (`IntParameter`, `DecimalParameter`, …) declared by the
//! strategy sets that parameter; the special spaces set the strategy's attributes
//! (`stoploss.stoploss`, `roi` → `minimal_roi`, `trailing.*`).
//!
//! phasebound's exits are ATR multiples and a time limit, which freqtrade's fractional
//! `stoploss`/`roi` cannot express; so its native values go into `buy` (entry filter)
//! and `sell` (exits) under their `params.json` names, and the example strategy
//! (`examples/freqtrade/PhaseboundStrategy.py`) turns them into prices per trade in
//! `custom_stoploss`/`custom_exit`. The special spaces are set so that they never act
//! before phasebound's exits: `stoploss` is a wide safety net (`--safety-stoploss`,
//! default [`DEFAULT_SAFETY_STOPLOSS`]), `roi` a target no trade reaches
//! ([`UNREACHABLE_ROI`]), freqtrade's own trailing stop off.
//!
//! Only a profile that ships (`enabled: true`) is exported: a disabled one is refused
//! with exit 3 and the reason recorded in `params.json` (see [`ExportError`]). The output
//! is byte-reproducible: `export_time` comes from `--export-time`, else from the
//! `params.json`'s `generated_at` when it has one, else from the file's modification time
//! (when the run wrote it), never from the clock.

use crate::error::AppError;
pub use crate::error::ExportError;
use crate::input::{InputError, MAX_SMALL_FILE_BYTES, read_small_text};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `params.json` schema this build exports from.
pub const PARAMS_SCHEMA: &str = crate::report::PARAMS_SCHEMA;

/// Default safety-net stop loss, as a fraction of the entry price (30 %).
///
/// freqtrade needs a `stoploss`; it is the stop in force from the entry until the
/// strategy's `custom_stoploss` replaces it with the ATR stop, and freqtrade only ever
/// tightens a stop, so it must be *wider* than any ATR stop phasebound ships or it would
/// cut trades phasebound would have kept. The largest stop multiple of the default
/// lattices is 4 × ATR(14); 30 % leaves room for an ATR of 7.5 % of the price, beyond
/// daily bars of volatile coins. It acts on its own only when the ATR stop cannot be
/// computed (no ATR for the entry candle).
pub const DEFAULT_SAFETY_STOPLOSS: f64 = 0.30;

/// `roi` of the exported file: `{"0": UNREACHABLE_ROI}` (+10,000 %), a return no trade
/// reaches, so freqtrade's ROI table never exits before the ATR take profit.
pub const UNREACHABLE_ROI: f64 = 100.0;

/// Default `strategy_name`: the example strategy's class.
pub const DEFAULT_STRATEGY_NAME: &str = "PhaseboundStrategy";

/// `phasebound export …`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The target format.
    #[command(subcommand)]
    pub target: ExportTarget,
}

/// Export formats.
#[derive(Debug, clap::Subcommand)]
pub enum ExportTarget {
    /// Write one profile's shipped parameters as a freqtrade strategy-parameter file
    /// (`user_data/strategies/<StrategyName>.json`).
    Freqtrade(Box<FreqtradeArgs>),
}

/// A profile of `params.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// `scalping_params`.
    Scalping,
    /// `swing_params`.
    Swing,
}

impl ProfileArg {
    /// Both, in `params.json` order.
    pub const ALL: [ProfileArg; 2] = [ProfileArg::Scalping, ProfileArg::Swing];

    /// `scalping` or `swing`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ProfileArg::Scalping => "scalping",
            ProfileArg::Swing => "swing",
        }
    }

    /// Its key in `params.json`.
    #[must_use]
    pub fn key(self) -> String {
        format!("{}_params", self.name())
    }
}

/// Arguments of `export freqtrade`.
#[derive(Debug, clap::Args)]
pub struct FreqtradeArgs {
    /// The params.json a run wrote.
    #[arg(long, value_name = "FILE")]
    pub params: PathBuf,
    /// The file to write (written atomically), or an existing folder: then
    /// `<folder>/<strategy name>.json`. freqtrade reads it from beside the strategy's
    /// `.py` file, under the same name with `.json`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The profile to export (default: the one profile that ships; an error when both
    /// or neither do).
    #[arg(long, value_enum)]
    pub profile: Option<ProfileArg>,
    /// The strategy's class name (freqtrade checks it on load).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STRATEGY_NAME)]
    pub strategy_name: String,
    /// `export_time` to record, UTC (ISO 8601 or epoch; default: params.json's
    /// `generated_at`, else its modification time).
    #[arg(long, value_name = "TIME")]
    pub export_time: Option<String>,
    /// freqtrade's `stoploss`: a safety net below the entry price, as a fraction (0 < x < 1),
    /// wider than the ATR stop that `custom_stoploss` sets.
    #[arg(long, value_name = "FRACTION", default_value_t = DEFAULT_SAFETY_STOPLOSS)]
    pub safety_stoploss: f64,
}

/// Validated `export freqtrade` options.
#[derive(Clone, Debug)]
pub struct FreqtradeOptions {
    /// The params.json to read.
    pub params: PathBuf,
    /// The file to write (a folder already resolved to `<folder>/<name>.json`).
    pub out: PathBuf,
    /// `--profile`.
    pub profile: Option<ProfileArg>,
    /// `strategy_name`.
    pub strategy_name: String,
    /// `--export-time`, ms since the epoch.
    pub export_time_ms: Option<i64>,
    /// The safety-net stop, a fraction in (0, 1).
    pub safety_stoploss: f64,
}

impl ExportArgs {
    /// Checks the flags.
    ///
    /// # Errors
    /// Usage errors (exit 2).
    pub fn validate(self) -> Result<FreqtradeOptions, AppError> {
        let ExportTarget::Freqtrade(a) = self.target;
        a.validate()
    }
}

impl FreqtradeArgs {
    /// Checks the flags: a Python class name, a UTC time, a stop fraction in (0, 1).
    ///
    /// # Errors
    /// Usage errors (exit 2).
    pub fn validate(self) -> Result<FreqtradeOptions, AppError> {
        if !is_python_identifier(&self.strategy_name) {
            return Err(AppError::Usage(format!(
                "--strategy-name '{}' is not a Python class name (letters, digits and _, not starting with a digit)",
                self.strategy_name
            )));
        }
        let export_time_ms = match &self.export_time {
            Some(t) => Some(
                crate::exits::parse_time(t)
                    .map_err(|p| AppError::Usage(format!("--export-time: {p}")))?,
            ),
            None => None,
        };
        let s = self.safety_stoploss;
        if !(s > 0.0 && s < 1.0) {
            return Err(AppError::Usage(format!(
                "--safety-stoploss {s} must be a fraction between 0 and 1 (0.30 = 30 % below the entry)"
            )));
        }
        let out = if self.out.is_dir() {
            self.out.join(format!("{}.json", self.strategy_name))
        } else {
            self.out
        };
        Ok(FreqtradeOptions {
            params: self.params,
            out,
            profile: self.profile,
            strategy_name: self.strategy_name,
            export_time_ms,
            safety_stoploss: s,
        })
    }
}

/// What an export did.
#[derive(Debug)]
pub struct Exported {
    /// The file written.
    pub path: PathBuf,
    /// The profile exported.
    pub profile: ProfileArg,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// A few lines for stdout.
    pub summary: String,
}

/// Reads the params file, builds the freqtrade file and writes it atomically.
///
/// # Errors
/// [`ExportError`] (exit 2 or 3), an unreadable params file or a failed write (exit 4).
/// On any error the output file is left as it was.
pub fn run(opts: &FreqtradeOptions) -> Result<Exported, AppError> {
    let path = &opts.params;
    let bad = |problem: String| ExportError::Params {
        path: path.clone(),
        problem,
    };
    let text = read_small_text(path, MAX_SMALL_FILE_BYTES).map_err(|e| match e {
        InputError::Io(e) => AppError::io(path, e),
        other => bad(other.to_string()).into(),
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let export_time_ms = match opts.export_time_ms {
        Some(t) => t,
        None => default_export_time(path, &value)?,
    };
    let (profile, v) = freqtrade_value(
        path,
        &value,
        opts.profile,
        &opts.strategy_name,
        export_time_ms,
        opts.safety_stoploss,
    )?;
    let mut bytes = serde_json::to_vec_pretty(&v).map_err(|e| AppError::Internal(e.to_string()))?;
    bytes.push(b'\n');
    crate::output::write_atomic(&opts.out, &bytes).map_err(|e| AppError::io(&opts.out, e))?;
    let summary = summary(&opts.out, &v, profile, &value, &opts.strategy_name);
    Ok(Exported {
        path: opts.out.clone(),
        profile,
        bytes,
        summary,
    })
}

/// `export_time` without `--export-time`: params.json's `generated_at` when present,
/// else the file's modification time (whole seconds).
fn default_export_time(path: &Path, value: &Value) -> Result<i64, AppError> {
    if let Some(g) = value.get("generated_at") {
        let text = g.as_str().ok_or_else(|| ExportError::Params {
            path: path.to_path_buf(),
            problem: "key 'generated_at' must be a UTC time string".into(),
        })?;
        return crate::exits::parse_time(text).map_err(|p| {
            ExportError::Params {
                path: path.to_path_buf(),
                problem: format!("key 'generated_at': {p}"),
            }
            .into()
        });
    }
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| AppError::io(path, e))?;
    let secs = match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 1000),
        Err(e) => -i64::try_from(e.duration().as_secs().saturating_add(1)).unwrap_or(0),
    };
    Ok(secs.saturating_mul(1000))
}

/// Builds the freqtrade parameter file from a parsed `params.json` (`path` only names it
/// in errors). Returns the profile exported and the file as JSON, keys in freqtrade's
/// order.
///
/// # Errors
/// [`ExportError`].
pub fn freqtrade_value(
    path: &Path,
    params: &Value,
    profile: Option<ProfileArg>,
    strategy_name: &str,
    export_time_ms: i64,
    safety_stoploss: f64,
) -> Result<(ProfileArg, Value), ExportError> {
    let bad = |problem: String| ExportError::Params {
        path: path.to_path_buf(),
        problem,
    };
    let top = params.as_object().ok_or_else(|| {
        bad(format!(
            "not a params file: expected a JSON object ({PARAMS_SCHEMA})"
        ))
    })?;
    match top.get("schema") {
        None => {
            return Err(bad(format!(
                "key 'schema' is missing (expected \"{PARAMS_SCHEMA}\")"
            )));
        }
        Some(Value::String(s)) if s == PARAMS_SCHEMA => {}
        Some(other) => {
            return Err(bad(format!(
                "key 'schema' is {other}: this build exports \"{PARAMS_SCHEMA}\" only"
            )));
        }
    }
    let entries = ProfileArg::ALL
        .iter()
        .map(|&p| Ok((p, Entry::read(top, p).map_err(&bad)?)))
        .collect::<Result<Vec<_>, ExportError>>()?;
    let disabled = |e: &Entry, p: ProfileArg| {
        format!(
            "{}.enabled is false (source '{}'): {}",
            p.key(),
            e.source,
            e.reason
        )
    };
    let (profile, entry) = match profile {
        Some(p) => {
            let (_, e) = entries
                .into_iter()
                .find(|(q, _)| *q == p)
                .ok_or_else(|| bad(format!("key '{}' is missing", p.key())))?;
            if e.trading.is_none() {
                return Err(ExportError::NothingShips {
                    path: path.to_path_buf(),
                    problem: disabled(&e, p),
                });
            }
            (p, e)
        }
        None => {
            let shipping: Vec<ProfileArg> = entries
                .iter()
                .filter(|(_, e)| e.trading.is_some())
                .map(|(p, _)| *p)
                .collect();
            match shipping.as_slice() {
                [p] => {
                    let p = *p;
                    let (_, e) = entries
                        .into_iter()
                        .find(|(q, _)| *q == p)
                        .ok_or_else(|| bad("internal: profile vanished".into()))?;
                    (p, e)
                }
                [] => {
                    let reasons: Vec<String> =
                        entries.iter().map(|(p, e)| disabled(e, *p)).collect();
                    return Err(ExportError::NothingShips {
                        path: path.to_path_buf(),
                        problem: reasons.join("; "),
                    });
                }
                _ => {
                    return Err(bad(
                        "both profiles ship: choose one with --profile scalping or --profile swing"
                            .into(),
                    ));
                }
            }
        }
    };
    let Some(t) = entry.trading else {
        return Err(bad("internal: a shipping profile without parameters".into()));
    };
    let mut buy = Map::new();
    buy.insert("phasebound_shipped".into(), json!(true));
    buy.insert("phasebound_profile".into(), json!(profile.name()));
    buy.insert("signal_version".into(), json!(entry.signal_version));
    buy.insert("min_signal_score".into(), t.min_score);
    buy.insert("min_indicator_consensus".into(), json!(t.consensus));
    buy.insert("weight_group".into(), json!(t.group));
    let mut sell = Map::new();
    sell.insert("atr_tp_multiplier".into(), t.tp);
    sell.insert("atr_stop_multiplier".into(), t.sl);
    sell.insert("max_holding_hours".into(), t.hold_hours);
    sell.insert("trailing_stop_enabled".into(), json!(t.trailing.is_some()));
    if let Some((activation, distance)) = t.trailing {
        sell.insert("trailing_stop_activation".into(), activation);
        sell.insert("trailing_stop_distance".into(), distance);
    }
    let v = json!({
        "strategy_name": strategy_name,
        "params": {
            "buy": buy,
            "sell": sell,
            "protection": {},
            "roi": { "0": UNREACHABLE_ROI },
            "stoploss": { "stoploss": -safety_stoploss },
            "trailing": {
                "trailing_stop": false,
                "trailing_stop_positive": null,
                "trailing_stop_positive_offset": 0.0,
                "trailing_only_offset_is_reached": false,
            },
        },
        "ft_stratparam_v": 1,
        "export_time": python_utc(export_time_ms),
    });
    Ok((profile, v))
}

/// One profile entry of params.json, checked.
struct Entry {
    source: String,
    reason: String,
    signal_version: u64,
    /// `None` when `enabled` is false.
    trading: Option<Trading>,
}

/// The trading keys of an enabled entry, numbers kept as written.
struct Trading {
    tp: Value,
    sl: Value,
    hold_hours: Value,
    min_score: Value,
    consensus: u64,
    group: String,
    trailing: Option<(Value, Value)>,
}

impl Entry {
    fn read(top: &Map<String, Value>, p: ProfileArg) -> Result<Self, String> {
        let key = p.key();
        let e = match top.get(&key) {
            None => return Err(format!("key '{key}' is missing")),
            Some(Value::Object(e)) => e,
            Some(other) => return Err(format!("key '{key}' must be an object, found {other}")),
        };
        let get = |k: &str| {
            e.get(k)
                .ok_or_else(|| format!("key '{key}.{k}' is missing"))
        };
        let string = |k: &str| -> Result<String, String> {
            match get(k)? {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("key '{key}.{k}' must be a string, found {other}")),
            }
        };
        let boolean = |k: &str| -> Result<bool, String> {
            get(k)?
                .as_bool()
                .ok_or_else(|| format!("key '{key}.{k}' must be true or false"))
        };
        let enabled = boolean("enabled")?;
        let source = string("source")?;
        let reason = string("reason")?;
        let signal_version = get("signal_version")?
            .as_u64()
            .filter(|&v| v >= 1)
            .ok_or_else(|| format!("key '{key}.signal_version' must be a whole number ≥ 1"))?;
        if !enabled {
            return Ok(Entry {
                source,
                reason,
                signal_version,
                trading: None,
            });
        }
        // A number in `range`, kept as written (no rounding on the way through).
        let number = |k: &str, what: &str, ok: &dyn Fn(f64) -> bool| -> Result<Value, String> {
            let v = get(k)?;
            match v.as_f64() {
                Some(x) if x.is_finite() && ok(x) => Ok(v.clone()),
                _ => Err(format!("key '{key}.{k}' must be {what}, found {v}")),
            }
        };
        let positive = |x: f64| x > 0.0;
        let tp = number(
            "atr_tp_multiplier",
            "a number above 0 (ATR multiple)",
            &positive,
        )?;
        let sl = number(
            "atr_stop_multiplier",
            "a number above 0 (ATR multiple)",
            &positive,
        )?;
        let hold_hours = number("max_holding_hours", "a number of hours above 0", &positive)?;
        let min_score = number("min_signal_score", "a number from 0 to 100", &|x| {
            (0.0..=100.0).contains(&x)
        })?;
        let consensus = number(
            "min_indicator_consensus",
            "a whole number from 0 to 5",
            &|x| (0.0..=5.0).contains(&x) && x.fract() == 0.0,
        )?
        .as_f64()
        .map_or(0, |x| x as u64);
        let group = string("weight_group")?;
        if group.is_empty() {
            return Err(format!("key '{key}.weight_group' is empty"));
        }
        let trailing = if boolean("trailing_stop_enabled")? {
            Some((
                number(
                    "trailing_stop_activation",
                    "a number above 0 (ATR multiple) when trailing_stop_enabled is true",
                    &positive,
                )?,
                number(
                    "trailing_stop_distance",
                    "a number above 0 (ATR multiple) when trailing_stop_enabled is true",
                    &positive,
                )?,
            ))
        } else {
            None
        };
        Ok(Entry {
            source,
            reason,
            signal_version,
            trading: Some(Trading {
                tp,
                sl,
                hold_hours,
                min_score,
                consensus,
                group,
                trailing,
            }),
        })
    }
}

/// A UTC time as Python's `str(datetime)` of an aware UTC datetime, as freqtrade writes
/// `export_time`: `2024-03-31 00:00:00+00:00`, `.ffffff` only when not whole seconds.
#[must_use]
pub fn python_utc(ms: i64) -> String {
    let iso = crate::data::format_utc(ms); // YYYY-MM-DDTHH:MM:SS[.mmm]Z
    let body = iso.trim_end_matches('Z').replacen('T', " ", 1);
    match body.split_once('.') {
        Some((secs, milli)) => format!("{secs}.{milli}000+00:00"),
        None => format!("{body}+00:00"),
    }
}

fn is_python_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn summary(out: &Path, v: &Value, profile: ProfileArg, params: &Value, name: &str) -> String {
    let p = &v["params"];
    let (buy, sell) = (&p["buy"], &p["sell"]);
    let entry = &params[profile.key()];
    let trailing = if sell["trailing_stop_enabled"] == true {
        format!(
            "trailing on ({}×ATR, {}×ATR)",
            sell["trailing_stop_activation"], sell["trailing_stop_distance"]
        )
    } else {
        "trailing off".into()
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Wrote {}: freqtrade parameters of strategy '{name}' from the {} profile (source {}, signal version {})",
        out.display(),
        profile.name(),
        entry["source"].as_str().unwrap_or("?"),
        buy["signal_version"],
    );
    let _ = writeln!(
        s,
        "  TP {}×ATR, SL {}×ATR, hold {}h, score ≥ {}, consensus ≥ {}, group '{}', {trailing}; safety stoploss {}",
        sell["atr_tp_multiplier"],
        sell["atr_stop_multiplier"],
        sell["max_holding_hours"],
        buy["min_signal_score"],
        buy["min_indicator_consensus"],
        buy["weight_group"].as_str().unwrap_or_default(),
        p["stoploss"]["stoploss"],
    );
    if let Some(tf) = params.get("timeframe").and_then(Value::as_str) {
        let _ = writeln!(
            s,
            "  fitted on {tf} bars: run the strategy with timeframe = \"{tf}\" (its ATR(14) is on that timeframe)"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_times() {
        assert_eq!(python_utc(0), "1970-01-01 00:00:00+00:00");
        assert_eq!(
            python_utc(1_711_843_200_123),
            "2024-03-31 00:00:00.123000+00:00"
        );
    }

    #[test]
    fn identifiers() {
        assert!(is_python_identifier("PhaseboundStrategy"));
        assert!(is_python_identifier("_x1"));
        assert!(!is_python_identifier("1x"));
        assert!(!is_python_identifier("a-b"));
        assert!(!is_python_identifier(""));
    }
}
