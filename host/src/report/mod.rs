//! `report.json`, `params.json` and the human summary, built from the phases' results.
//!
//! Both JSON files are pure functions of the data, the configuration and the seed: no
//! clock, no host name, no thread count, no measured memory (those go to `run.json`),
//! so two runs give byte-identical files. Numbers are rounded to 6 decimals.

use crate::config::{Config, hours_to_bars};
use crate::decision::Decision;
use crate::procedure::FoldOutcome;
use phasebound_core::ExitReason;
use phasebound_core::phase::{
    DenseCheck, OptimizeResult, Reanalysis, ScanResult, ScreenResult, Validation,
};
use phasebound_core::plan::{CellDef, ProfileSpec};
use phasebound_core::signal::Profile;
use phasebound_core::stats::{
    self, CellStats, PROFIT_FACTOR_CAP, Trials, capture_rate, max_drawdown, profit_factor_capped,
};
use serde_json::{Value, json};

mod chart;
mod escape;
pub mod exits_html;
mod html;
mod loaded;
mod summary;
pub use html::page as html_page;
pub use loaded::loaded;
pub use summary::summary;

/// Version of the report schema (bumped on any incompatible change).
pub const REPORT_SCHEMA: &str = "phasebound.report/2";
/// Version of the params schema.
pub const PARAMS_SCHEMA: &str = "phasebound.params/2";

/// Rounds to 6 decimals (stable, readable JSON); non-finite becomes null.
#[must_use]
pub fn num(x: f64) -> Value {
    if x.is_finite() {
        let r = (x * 1e6).round() / 1e6;
        json!(if r == 0.0 { 0.0 } else { r })
    } else {
        Value::Null
    }
}

/// The statistics of one cell's account as JSON. Units are in the key names: `_pct` is
/// per cent (of the entry price per trade, of the initial capital for returns, of the
/// peak equity for drawdown), ratios are plain numbers, `final_equity` is a multiple of
/// the initial capital.
#[must_use]
pub fn stats_json(s: &CellStats, opportunities: Option<u32>) -> Value {
    let reasons = [
        ExitReason::TakeProfit,
        ExitReason::StopLoss,
        ExitReason::Trailing,
        ExitReason::Time,
        ExitReason::Truncated,
    ];
    let mut exits = serde_json::Map::new();
    for r in reasons {
        exits.insert(r.name().into(), json!(s.reason_count(r)));
    }
    let ambiguous_share = if s.trades == 0 {
        0.0
    } else {
        f64::from(s.ambiguous) / f64::from(s.trades)
    };
    let mut v = json!({
        "trades": s.trades,
        "wins": s.wins,
        "win_rate": num(stats::win_rate(s)),
        "skipped_entries": s.skipped,
        "expectancy_pct": num(stats::expectancy(s)),
        "expectancy_std_pct": num(stats::profit_std_dev(s)),
        "sqn": num(stats::sqn(s)),
        "total_return_pct": num(stats::total_return(s)),
        "cagr_pct": num(stats::cagr(s)),
        "max_drawdown_pct": num(max_drawdown(s)),
        "sharpe": num(stats::sharpe(s)),
        "sortino": num(stats::sortino(s)),
        "calmar": num(stats::calmar(s)),
        "profit_factor": num(profit_factor_capped(s, PROFIT_FACTOR_CAP)),
        "final_equity": num(s.equity),
        "days": s.days,
        "exit_reasons": exits,
        "ambiguous_exits": s.ambiguous,
        "ambiguous_share": num(ambiguous_share),
        "captured_opportunities": s.captured,
    });
    if let Some(o) = opportunities {
        v["capture_rate"] = num(capture_rate(s, o));
    }
    v
}

/// Hours of `bars` bars at `tf` minutes.
#[must_use]
pub fn bars_to_hours(bars: u16, tf: u32) -> f64 {
    f64::from(bars) * f64::from(tf) / 60.0
}

/// A cell's parameters as JSON, in the interface's units.
#[must_use]
pub fn cell_json(cell: &CellDef, groups: &[String], tf: u32) -> Value {
    json!({
        "weight_group": groups.get(usize::from(cell.group)).cloned().unwrap_or_default(),
        "min_signal_score": num(f64::from(cell.min_score)),
        "min_indicator_consensus": cell.min_consensus,
        "atr_tp_multiplier": num(cell.exit.tp),
        "atr_stop_multiplier": num(cell.exit.sl),
        "max_holding_hours": num(bars_to_hours(cell.exit.hold, tf)),
        "max_holding_bars": cell.exit.hold,
        "trailing_stop_enabled": cell.exit.trailing.is_some(),
        "trailing_stop_activation": cell.exit.trailing.map_or(Value::Null, |t| num(t.activation)),
        "trailing_stop_distance": cell.exit.trailing.map_or(Value::Null, |t| num(t.distance)),
    })
}

/// One line describing a cell, for the summary.
#[must_use]
pub fn cell_line(cell: &CellDef, groups: &[String], tf: u32) -> String {
    let trailing = match cell.exit.trailing {
        Some(t) => format!("trailing on ({}×ATR, {}×ATR)", t.activation, t.distance),
        None => "trailing off".into(),
    };
    format!(
        "TP {}×ATR, SL {}×ATR, hold {}h, score ≥ {}, consensus ≥ {}, group '{}', {trailing}",
        cell.exit.tp,
        cell.exit.sl,
        bars_to_hours(cell.exit.hold, tf),
        cell.min_score,
        cell.min_consensus,
        groups
            .get(usize::from(cell.group))
            .map_or("?", |s| s.as_str()),
    )
}

/// Fixed parameters (the incumbent or a configured fallback) judged on the folds.
#[derive(Clone, Debug)]
pub struct Judged {
    /// Where they came from (a file path, or "config").
    pub origin: String,
    /// Their verdict on the folds (cell, all-data figures as `in_sample`, pooled folds).
    pub validation: Validation,
}

/// Everything one profile's phases produced.
#[derive(Clone, Debug)]
pub struct ProfileOutcome {
    /// Which profile.
    pub profile: Profile,
    /// Weight group names, by index.
    pub groups: Vec<String>,
    /// Symbol names, by index.
    pub symbols: Vec<String>,
    /// Phase 1 on all data.
    pub scan: ScanResult,
    /// Phase 1 on all data, per symbol in source order.
    pub scan_per_symbol: Vec<phasebound_core::engine::SymbolCounters>,
    /// Phase 1 on the final fit's span (all data: the nightly procedure's in-sample).
    pub scan_in_sample: ScanResult,
    /// Phase 2 of the final fit.
    pub screen: ScreenResult,
    /// Phase 2 of the final fit, every entry filter with its objective score (the
    /// matrix of report.html).
    pub screening: Vec<(CellDef, f64)>,
    /// Phase 3 of the final fit.
    pub optimize: OptimizeResult,
    /// Whether each start was seeded with the best exit of the dense grid for its filter.
    pub dense_seeded: bool,
    /// Phase 3's dense check of the chosen entry filter, if enabled.
    pub dense: Option<DenseCheck>,
    /// Sample size used by the final fit (None = all candidates).
    pub sample: Option<u32>,
    /// The final fit's sampling stream and first ordinals.
    pub sample_head: (u32, Vec<u32>),
    /// The walk-forward folds.
    pub folds: Vec<FoldOutcome>,
    /// Folds configured (more than `folds.len()` when the data was too short).
    pub folds_asked: u32,
    /// The purge between each fold's training span and the fold, ms.
    pub purge_ms: i64,
    /// Phase 4: the procedure's pooled out-of-sample verdict (cell: the final fit's).
    pub validation: Validation,
    /// Configurations the final fit evaluated.
    pub trials: Trials,
    /// Expected best daily Sharpe ratio of that many unskilled trials.
    pub sr0: f64,
    /// Deflated Sharpe ratio of the final fit's choice.
    pub deflated_sharpe: f64,
    /// The incumbent, judged on the same folds.
    pub incumbent: Option<Judged>,
    /// The configured fallback, judged on the same folds.
    pub fallback: Option<Judged>,
    /// What ships.
    pub decision: Decision,
    /// The parameters fitted on all data tonight.
    pub new_cell: CellDef,
    /// The shipped parameters (or, when nothing ships, tonight's) and the incumbent on
    /// all data.
    pub reanalysis: Reanalysis,
    /// The traced trades' equity curves (report.html).
    pub curves: crate::trades::Curves,
    /// Tonight's dense check: every exit with the chosen filter and its score.
    pub landscape: Vec<(CellDef, f64)>,
    /// Notes for the operator (short data, ignored incumbent, …).
    pub notes: Vec<String>,
    /// The profile's spec (for reporting thresholds).
    pub spec: ProfileSpec,
}

/// Bars each symbol needs before its first signal at `tf` minutes: the longest indicator
/// period (the 4 h slow EMA, 800 bars at 15m).
#[must_use]
pub fn warmup_bars(tf: u32) -> u32 {
    phasebound_core::indicators::Indicators::new(tf).map_or(0, |i| i.warmup_bars())
}

/// Phase 1 JSON of one profile.
#[must_use]
pub fn phase1_json(o: &ProfileOutcome, symbols: &[String], tf: u32) -> Value {
    let s = &o.scan;
    let per: Vec<Value> = o
        .scan_per_symbol
        .iter()
        .zip(symbols)
        .map(|(c, name)| {
            json!({
                "symbol": name, "bars": c.bars, "bars_after_warmup": c.warm_bars, "candidates": c.candidates,
                "long_candidates": c.longs, "opportunities": c.opportunities,
                "mean_ideal_profit_pct": num(if c.opportunities == 0 { 0.0 } else { c.ideal_profit_sum / f64::from(c.opportunities) }),
            })
        })
        .collect();
    json!({
        "opportunity_rule": {
            "favourable_move_pct": num(o.spec.opportunity_move_pct),
            "horizon_hours": num(bars_to_hours(o.spec.opportunity_horizon, tf)),
            "note": "hindsight labels in the signal's own direction; used for capture rates only, never as the trading universe",
        },
        "warmup_bars": warmup_bars(tf),
        "candidates": s.totals.candidates,
        "long_candidates": s.totals.longs,
        "short_candidates": s.totals.candidates - s.totals.longs,
        "opportunities": s.totals.opportunities,
        "opportunity_share": num(if s.totals.candidates == 0 { 0.0 } else { f64::from(s.totals.opportunities) / f64::from(s.totals.candidates) }),
        "mean_ideal_profit_pct": num(s.mean_ideal_profit_pct()),
        "mean_hours_to_peak": num(s.mean_time_to_peak_bars() * f64::from(tf) / 60.0),
        "in_sample_candidates": o.scan_in_sample.totals.candidates,
        "per_symbol": per,
    })
}

/// Phase 2 JSON of one profile.
#[must_use]
pub fn phase2_json(o: &ProfileOutcome, tf: u32) -> Value {
    let opp = Some(o.scan_in_sample.totals.opportunities);
    let top: Vec<Value> = o
        .screen
        .top
        .iter()
        .enumerate()
        .map(|(rank, e)| {
            json!({
                "rank": rank + 1,
                "weight_group": o.groups.get(usize::from(e.cell.group)).cloned().unwrap_or_default(),
                "min_signal_score": num(f64::from(e.cell.min_score)),
                "min_indicator_consensus": e.cell.min_consensus,
                "objective": num(e.score),
                "in_sample": stats_json(&e.stats, opp),
            })
        })
        .collect();
    json!({
        "combinations": o.screen.cells,
        "baseline_exits": cell_json(&o.screen.top.first().map_or(o.new_cell, |e| e.cell), &o.groups, tf)
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("atr_") || k.starts_with("max_") || k.starts_with("trailing")).map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>())
            .unwrap_or_default(),
        "top": top,
    })
}

/// Phase 3 JSON of one profile.
#[must_use]
pub fn phase3_json(o: &ProfileOutcome, seed: u64, tf: u32) -> Value {
    let opp = Some(o.scan_in_sample.totals.opportunities);
    let r = &o.optimize;
    let starts: Vec<Value> = r
        .starts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut v = json!({
                "label": phasebound_core::phase::START_LABELS.get(i).copied().unwrap_or("start"),
                "origin": cell_json(&s.origin, &o.groups, tf),
                "origin_objective": num(s.origin_score),
                "moves": s.moves,
                "best": cell_json(&s.best, &o.groups, tf),
                "objective": num(s.score),
                "in_sample": stats_json(&s.stats, if o.sample.is_some() { None } else { opp }),
            });
            if let Some(full) = &s.full {
                v["in_sample_all_candidates"] = stats_json(full, opp);
            }
            v
        })
        .collect();
    let dense = match (&o.dense, r.chosen()) {
        (Some(d), Some(c)) => json!({
            "cells": d.cells,
            "passes": d.passes,
            "best": cell_json(&d.best, &o.groups, tf),
            "objective": num(d.score),
            "in_sample": stats_json(&d.stats, if o.sample.is_some() { None } else { opp }),
            "search_objective": num(c.score),
            "search_found_grid_best": c.score >= d.score,
        }),
        _ => Value::Null,
    };
    json!({
        "starts_seeded_by_dense_grid": o.dense_seeded,
        "dense_check": dense,
        "sample": match o.sample { Some(k) => json!({"size": k, "seed": seed, "of_candidates": o.scan_in_sample.totals.candidates, "stream": o.sample_head.0, "first_ordinals": o.sample_head.1}), None => Value::Null },
        "starts": starts,
        "chosen_start": r.best,
        "rounds": r.rounds,
        "passes": r.passes,
        "cells_evaluated": r.cells_evaluated,
        "profit_evaluations": r.evaluations,
    })
}

/// The evidence of a verdict: the pooled account, the t-test and the criteria.
#[must_use]
pub fn evidence_json(v: &Validation, cfg: &Config) -> Value {
    let oos = &v.out_of_sample;
    json!({
        "verdict": v.verdict.name(),
        "out_of_sample": stats_json(oos, Some(v.out_of_sample_opportunities)),
        "mean_daily_return_pct": num(stats::daily_mean(oos) * 100.0),
        "t_stat": num(stats::daily_t_stat(oos)),
        "p_value": num(stats::daily_p_value(oos)),
        "alpha": num(cfg.validation.alpha),
        "criteria": {
            "enough_trades": v.enough_trades,
            "positive_mean": v.positive,
            "significant": v.significant,
        },
    })
}

/// One walk-forward fold as JSON.
#[must_use]
pub fn fold_json(f: &FoldOutcome, groups: &[String], symbols: &[String], tf: u32) -> Value {
    let per_symbol: Vec<Value> = f
        .per_symbol
        .iter()
        .zip(symbols)
        .map(|(t, name)| {
            json!({
                "symbol": name,
                "trades": t.trades,
                "wins": t.wins,
                "sum_net_profit_pct": num(t.sum_profit_pct),
            })
        })
        .collect();
    json!({
        "train": { "from": crate::data::format_utc(f.fold.train.from), "to": crate::data::format_utc(f.fold.train.to) },
        "test": { "from": crate::data::format_utc(f.fold.test.from), "to": crate::data::format_utc(f.fold.test.to) },
        "parameters": cell_json(&f.cell, groups, tf),
        "candidates": f.candidates,
        "sample": match &f.sample {
            Some((k, stream, head)) => json!({"size": k, "stream": stream, "first_ordinals": head}),
            None => Value::Null,
        },
        "in_sample": stats_json(&f.in_sample, None),
        "out_of_sample": stats_json(&f.out_of_sample, Some(f.opportunities)),
        "out_of_sample_per_symbol": per_symbol,
    })
}

/// Phase 4 JSON: the folds, the pooled verdict, the deflated Sharpe ratio, the
/// incumbent and fallback on the same folds, and the decision.
#[must_use]
pub fn phase4_json(o: &ProfileOutcome, cfg: &Config, symbols: &[String], tf: u32) -> Value {
    let judged = |j: &Option<Judged>| match j {
        Some(j) => {
            let mut v = evidence_json(&j.validation, cfg);
            v["origin"] = json!(j.origin);
            v["parameters"] = cell_json(&j.validation.cell, &o.groups, tf);
            v["all_data"] = stats_json(&j.validation.in_sample, None);
            v
        }
        None => Value::Null,
    };
    let procedure = evidence_json(&o.validation, cfg);
    json!({
        "rules": {
            "procedure": "walk-forward: on each fold, Phases 1-3 run on the data before it (minus the purge) and the chosen parameters trade the fold; the folds' accounts pool into one out-of-sample account",
            "initial_training_fraction": num(cfg.in_sample_fraction),
            "folds_configured": o.folds_asked,
            "folds_used": o.folds.len(),
            "purge_hours": num(o.purge_ms as f64 / 3_600_000.0),
            "min_out_of_sample_trades": cfg.validation.min_trades,
            "alpha": num(cfg.validation.alpha),
            "passed": "pooled mean daily return > 0, one-sided t-test p-value < alpha, at least min trades, trades in more than half of the folds",
            "warning": "pooled mean daily return > 0 but not significant or too few trades: does not ship",
            "failed": "pooled mean daily return <= 0 (or no trades): does not ship",
            "incumbent_margin_sharpe": num(cfg.validation.incumbent_margin),
        },
        "folds": o.folds.iter().map(|f| fold_json(f, &o.groups, symbols, tf)).collect::<Vec<_>>(),
        "procedure": procedure,
        "final_choice": {
            "parameters": cell_json(&o.new_cell, &o.groups, tf),
            "in_sample_all_data": stats_json(&o.validation.in_sample, Some(o.scan_in_sample.totals.opportunities)),
            "configurations_tried": o.trials.cells,
            "configurations_with_trades": o.trials.traded,
            "trial_sharpe_variance_daily": num(o.trials.sharpe_variance()),
            "expected_max_sharpe_daily": num(o.sr0),
            "sharpe_daily": num(stats::daily_sharpe(&o.validation.in_sample)),
            "deflated_sharpe_ratio": num(o.deflated_sharpe),
        },
        "incumbent": judged(&o.incumbent),
        "fallback": judged(&o.fallback),
        "decision": {
            "enabled": o.decision.cell.is_some(),
            "source": o.decision.source.name(),
            "reason": o.decision.reason,
        },
        "notes": o.notes,
    })
}

/// Final JSON of one profile: the shipped parameters (or tonight's, when nothing ships)
/// and the incumbent on all data, with the out-of-sample evidence apart.
#[must_use]
pub fn final_json(o: &ProfileOutcome, tf: u32) -> Value {
    let r = &o.reanalysis;
    let shipped = o.decision.cell.unwrap_or(o.new_cell);
    let all_data_note = match o.decision.source {
        crate::decision::Source::New | crate::decision::Source::None => {
            "in sample: tonight's parameters were fitted on all of these data"
        }
        _ => "all data, including the out-of-sample folds",
    };
    let mut v = json!({
        "enabled": o.decision.cell.is_some(),
        "source": o.decision.source.name(),
        "parameters": cell_json(&shipped, &o.groups, tf),
        "all_data": stats_json(&r.new, Some(r.opportunities)),
        "all_data_note": all_data_note,
        "out_of_sample": match o.decision.source {
            crate::decision::Source::Incumbent => o.incumbent.as_ref().map_or(Value::Null, |j| stats_json(&j.validation.out_of_sample, None)),
            crate::decision::Source::Fallback => o.fallback.as_ref().map_or(Value::Null, |j| stats_json(&j.validation.out_of_sample, None)),
            _ => stats_json(&o.validation.out_of_sample, Some(o.validation.out_of_sample_opportunities)),
        },
        "candidates": r.candidates,
        "opportunities": r.opportunities,
    });
    if let (Some(inc), Some(ps)) = (&o.incumbent, &r.previous) {
        v["incumbent"] = json!({
            "parameters": cell_json(&inc.validation.cell, &o.groups, tf),
            "all_data": stats_json(ps, Some(r.opportunities)),
            "out_of_sample": stats_json(&inc.validation.out_of_sample, None),
        });
    }
    v
}

/// The params.json entry of one profile: what the live bot reads. A disabled profile
/// carries `enabled: false` and no trading parameters.
#[must_use]
pub fn params_entry(o: &ProfileOutcome, tf: u32) -> Value {
    let v = &o.validation;
    let verdict = json!({
        "status": v.verdict.name(),
        "out_of_sample_trades": v.out_of_sample.trades,
        "folds": o.folds.len(),
        "mean_daily_return_pct": num(stats::daily_mean(&v.out_of_sample) * 100.0),
        "t_stat": num(stats::daily_t_stat(&v.out_of_sample)),
        "p_value": num(stats::daily_p_value(&v.out_of_sample)),
        "sharpe": num(stats::sharpe(&v.out_of_sample)),
        "total_return_pct": num(stats::total_return(&v.out_of_sample)),
        "max_drawdown_pct": num(max_drawdown(&v.out_of_sample)),
        "deflated_sharpe_ratio": num(o.deflated_sharpe),
        "configurations_tried": o.trials.cells,
    });
    let mut out = json!({
        "enabled": o.decision.cell.is_some(),
        "source": o.decision.source.name(),
        "reason": o.decision.reason,
        "signal_version": phasebound_core::signal::SIGNAL_VERSION,
        "verdict": verdict,
        "validation_status": v.verdict.name(),
    });
    if let Some(c) = &o.decision.cell {
        let params = cell_json(c, &o.groups, tf);
        if let (Some(dst), Some(src)) = (out.as_object_mut(), params.as_object()) {
            for (k, x) in src {
                dst.insert(k.clone(), x.clone());
            }
        }
        let w = o
            .spec
            .groups
            .get(usize::from(c.group))
            .map(|w| w.0)
            .unwrap_or_default();
        let weights: serde_json::Map<String, Value> = phasebound_core::signal::Component::ALL
            .iter()
            .map(|k| (k.name().to_string(), num(w[k.index()])))
            .collect();
        out["weights"] = Value::Object(weights);
    }
    out
}

/// Converts a params.json entry (`--previous`, or the output folder's) to the incumbent
/// cell. `Ok(None)` when the profile is absent or disabled (`enabled: false`); an entry
/// tuned on another signal version (none given: version 1) is no incumbent either, and
/// says so in the returned note.
///
/// # Errors
/// A message naming the missing or invalid key.
pub fn previous_cell(
    v: &Value,
    key: &str,
    groups: &[String],
    tf: u32,
) -> Result<(Option<CellDef>, Option<String>), String> {
    let Some(p) = v.get(key) else {
        return Ok((None, None));
    };
    if p.get("enabled").and_then(Value::as_bool) == Some(false) {
        return Ok((None, None));
    }

    let f = |k: &str| -> Result<f64, String> {
        p.get(k)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{key}.{k} is missing or not a number"))
    };
    let group_name = p
        .get("weight_group")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let group = groups
        .iter()
        .position(|g| g == group_name)
        .ok_or_else(|| format!("{key}.weight_group '{group_name}' is not a configured group"))?;
    let trailing = match p.get("trailing_stop_enabled").and_then(Value::as_bool) {
        Some(true) => Some(phasebound_core::Trailing {
            activation: f("trailing_stop_activation")?,
            distance: f("trailing_stop_distance")?,
        }),
        Some(false) | None => None,
    };
    let hours = f("max_holding_hours")?;
    let consensus = f("min_indicator_consensus")?;
    let min_score = f("min_signal_score")?;
    if !(0.0..=5.0).contains(&consensus) || !(0.0..=100.0).contains(&min_score) || hours <= 0.0 {
        return Err(format!(
            "{key}: min_indicator_consensus, min_signal_score or max_holding_hours out of range"
        ));
    }
    let bars = hours_to_bars(hours, tf);
    if bars > phasebound_core::budget::H_MAX as u64 {
        return Err(format!(
            "{key}.max_holding_hours {hours} exceeds the window capacity"
        ));
    }
    let cell = CellDef {
        group: group as u8,
        min_score: min_score as f32,
        min_consensus: consensus as u8,
        exit: phasebound_core::ExitParams {
            tp: f("atr_tp_multiplier")?,
            sl: f("atr_stop_multiplier")?,
            hold: bars as u16,
            trailing,
        },
    };
    if !cell.exit.is_valid() {
        return Err(format!(
            "{key}: take profit, stop or trailing values are not positive"
        ));
    }
    // Well-formed, but tuned on another signal definition: not comparable.
    let version = p.get("signal_version").and_then(Value::as_u64).unwrap_or(1);
    if version != u64::from(phasebound_core::signal::SIGNAL_VERSION) {
        return Ok((
            None,
            Some(format!(
                "{key} was tuned on signal version {version}, this build computes version {}: not used as the incumbent",
                phasebound_core::signal::SIGNAL_VERSION
            )),
        ));
    }
    Ok((Some(cell), None))
}
