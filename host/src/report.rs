//! `report.json`, `params.json` and the human summary, built from the phases' results.
//!
//! Both JSON files are pure functions of the data, the configuration and the seed: no
//! clock, no host name, no thread count, no measured memory (those go to `run.json`),
//! so two runs give byte-identical files. Numbers are rounded to 6 decimals.

use crate::config::{Config, hours_to_bars};
use phasebound_core::ExitReason;
use phasebound_core::phase::{
    DenseCheck, OptimizeResult, Reanalysis, ScanResult, ScreenResult, Validation, Verdict,
};
use phasebound_core::plan::{CellDef, ProfileSpec};
use phasebound_core::signal::Profile;
use phasebound_core::stats::{
    self, CellStats, PROFIT_FACTOR_CAP, capture_rate, max_drawdown, profit_factor_capped,
};
use serde_json::{Value, json};

/// Version of the report schema (bumped on any incompatible change).
pub const REPORT_SCHEMA: &str = "phasebound.report/2";
/// Version of the params schema.
pub const PARAMS_SCHEMA: &str = "phasebound.params/1";

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

/// Everything one profile's phases produced.
#[derive(Clone, Debug)]
pub struct ProfileOutcome {
    /// Which profile.
    pub profile: Profile,
    /// Weight group names, by index.
    pub groups: Vec<String>,
    /// Phase 1 on all data.
    pub scan: ScanResult,
    /// Phase 1 on the in-sample period (candidate count for sampling, capture denominators).
    pub scan_in_sample: ScanResult,
    /// Phase 2.
    pub screen: ScreenResult,
    /// Phase 3.
    pub optimize: OptimizeResult,
    /// Whether each start was seeded with the best exit of the dense grid for its filter.
    pub dense_seeded: bool,
    /// Phase 3's dense check of the exit grid for the chosen entry filter, if enabled.
    pub dense: Option<DenseCheck>,
    /// Sample size used (None = all candidates).
    pub sample: Option<u32>,
    /// Phase 4.
    pub validation: Validation,
    /// Walk-forward folds (fold range and result), if requested.
    pub walk_forward: Vec<Validation>,
    /// The parameters written to params.json (the chosen ones or the fallback).
    pub final_cell: CellDef,
    /// Whether `final_cell` is the fallback.
    pub fallback_used: bool,
    /// Final re-analysis on all data.
    pub reanalysis: Reanalysis,
    /// The previous parameters, if given.
    pub previous: Option<CellDef>,
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
    let per: Vec<Value> = s
        .per_symbol
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
        "baseline_exits": cell_json(&o.screen.top.first().map_or(o.final_cell, |e| e.cell), &o.groups, tf)
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
        "sample": match o.sample { Some(k) => json!({"size": k, "seed": seed, "of_candidates": o.scan_in_sample.totals.candidates}), None => Value::Null },
        "starts": starts,
        "chosen_start": r.best,
        "rounds": r.rounds,
        "passes": r.passes,
        "cells_evaluated": r.cells_evaluated,
        "profit_evaluations": r.evaluations,
    })
}

/// Phase 4 JSON of one profile.
#[must_use]
pub fn validation_json(v: &Validation, groups: &[String], tf: u32, is_opp: u32) -> Value {
    json!({
        "parameters": cell_json(&v.cell, groups, tf),
        "in_sample": stats_json(&v.in_sample, Some(is_opp)),
        "out_of_sample": stats_json(&v.out_of_sample, Some(v.out_of_sample_opportunities)),
        "criteria": {
            "enough_trades": v.enough_trades,
            "positive_expectancy": v.positive,
            "degradation_within_bound": v.within_degradation,
        },
        "verdict": v.verdict.name(),
    })
}

/// Phase 4 JSON with fallback and walk-forward.
#[must_use]
pub fn phase4_json(o: &ProfileOutcome, cfg: &Config, tf: u32) -> Value {
    let mut v = validation_json(
        &o.validation,
        &o.groups,
        tf,
        o.scan_in_sample.totals.opportunities,
    );
    v["rules"] = json!({
        "in_sample_fraction": num(cfg.in_sample_fraction),
        "min_out_of_sample_trades": cfg.validation.min_trades,
        "max_degradation": num(cfg.validation.max_degradation),
        "passed": "out-of-sample expectancy > 0, enough trades, expectancy drop within the bound",
        "warning": "expectancy > 0 but too few trades or degraded beyond the bound",
        "failed": "out-of-sample expectancy <= 0: fall back to the conservative defaults",
    });
    v["fallback_used"] = json!(o.fallback_used);
    if !o.walk_forward.is_empty() {
        v["walk_forward"] = Value::Array(
            o.walk_forward
                .iter()
                .map(|w| validation_json(w, &o.groups, tf, 0))
                .collect(),
        );
    }
    v
}

/// Final JSON of one profile.
#[must_use]
pub fn final_json(o: &ProfileOutcome, tf: u32) -> Value {
    let r = &o.reanalysis;
    let mut v = json!({
        "parameters": cell_json(&o.final_cell, &o.groups, tf),
        "all_data": stats_json(&r.new, Some(r.opportunities)),
        "candidates": r.candidates,
        "opportunities": r.opportunities,
    });
    if let (Some(prev), Some(ps)) = (&o.previous, &r.previous) {
        v["previous"] = json!({
            "parameters": cell_json(prev, &o.groups, tf),
            "all_data": stats_json(ps, Some(r.opportunities)),
        });
        v["comparison"] = json!({
            "trades": { "previous": ps.trades, "new": r.new.trades },
            "capture_rate": { "previous": num(capture_rate(ps, r.opportunities)), "new": num(capture_rate(&r.new, r.opportunities)) },
            "total_return_pct": { "previous": num(stats::total_return(ps)), "new": num(stats::total_return(&r.new)) },
        });
    }
    v
}

/// The params.json entry of one profile: what the live bot reads.
#[must_use]
pub fn params_entry(o: &ProfileOutcome, tf: u32) -> Value {
    let c = &o.final_cell;
    let mut v = cell_json(c, &o.groups, tf);
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
    v["weights"] = Value::Object(weights);
    v["validation_status"] = json!(o.validation.verdict.name());
    v["fallback_used"] = json!(o.fallback_used);
    v
}

/// Human summary of one profile, shaped like the original's Phase 3 output.
#[must_use]
pub fn summary(o: &ProfileOutcome, tf: u32, seed: u64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let name = o.profile.name().to_uppercase();
    let r = &o.optimize;
    let _ = writeln!(s, "Phase 3 {name} exit optimization");
    let _ = writeln!(
        s,
        "  candidates: {} in sample ({} opportunities in hindsight)",
        o.scan_in_sample.totals.candidates, o.scan_in_sample.totals.opportunities
    );
    match o.sample {
        Some(k) => {
            let _ = writeln!(
                s,
                "  sample: {k} candidates (seeded, seed {seed}); full-data result of the chosen cell shown below"
            );
        }
        None => {
            let _ = writeln!(s, "  sample: all candidates");
        }
    }
    if o.dense_seeded {
        let _ = writeln!(
            s,
            "  starts: Phase 2's best entry filters, each with the best exit of the dense exit grid"
        );
    }
    for (i, st) in r.starts.iter().enumerate() {
        let label = phasebound_core::phase::START_LABELS
            .get(i)
            .copied()
            .unwrap_or("start");
        let _ = writeln!(
            s,
            "  [{}/{}] from '{label}' ({} moves) → {}",
            i + 1,
            r.starts.len(),
            st.moves,
            cell_line(&st.best, &o.groups, tf)
        );
        let _ = writeln!(
            s,
            "        {} trades, win rate {:.1} %, return {:+.2} %, expectancy {:+.3} %, objective {:.3}",
            st.stats.trades,
            stats::win_rate(&st.stats) * 100.0,
            stats::total_return(&st.stats),
            stats::expectancy(&st.stats),
            st.score
        );
    }
    if let Some(best) = r.chosen() {
        let full = best.full.unwrap_or(best.stats);
        let opp = o.scan_in_sample.totals.opportunities;
        let _ = writeln!(
            s,
            "  best parameters (start {}): {}",
            r.best + 1,
            cell_line(&best.best, &o.groups, tf)
        );
        let _ = writeln!(
            s,
            "    in sample{}: capture rate {:.1} %, expectancy {:+.3} %, return {:+.2} %, trailing {}",
            if best.full.is_some() {
                " (all candidates)"
            } else {
                ""
            },
            capture_rate(&full, opp) * 100.0,
            stats::expectancy(&full),
            stats::total_return(&full),
            if best.best.exit.trailing.is_some() {
                "on"
            } else {
                "off"
            }
        );
    }
    if let Some(d) = &o.dense {
        let _ = writeln!(
            s,
            "  dense check: {} exits of the grid for the chosen filter; best objective {:.3} ({})",
            d.cells,
            d.score,
            match r.chosen() {
                Some(c) if c.score >= d.score => "the search found it or better".to_string(),
                Some(c) => format!("the search reached {:.3}", c.score),
                None => String::new(),
            }
        );
    }
    let v = &o.validation;
    let _ = writeln!(
        s,
        "Phase 4 {name}: {} — out of sample {} trades, expectancy {:+.3} %, return {:+.2} % (in sample expectancy {:+.3} %)",
        v.verdict.name(),
        v.out_of_sample.trades,
        stats::expectancy(&v.out_of_sample),
        stats::total_return(&v.out_of_sample),
        stats::expectancy(&v.in_sample),
    );
    if o.fallback_used {
        let _ = writeln!(
            s,
            "  FAILED: falling back to the conservative defaults: {}",
            cell_line(&o.final_cell, &o.groups, tf)
        );
    }
    let rr = &o.reanalysis;
    let _ = writeln!(
        s,
        "Final {name} on all data: {} trades, capture {:.1} %, return {:+.2} %",
        rr.new.trades,
        capture_rate(&rr.new, rr.opportunities) * 100.0,
        stats::total_return(&rr.new)
    );
    if let Some(ps) = &rr.previous {
        let _ = writeln!(
            s,
            "  previous parameters: {} trades, capture {:.1} %, return {:+.2} %",
            ps.trades,
            capture_rate(ps, rr.opportunities) * 100.0,
            stats::total_return(ps)
        );
    }
    s
}

/// Converts a `--previous` params entry to a cell; `None` when the profile is absent.
///
/// # Errors
/// A message naming the missing or invalid key.
pub fn previous_cell(
    v: &Value,
    key: &str,
    groups: &[String],
    tf: u32,
) -> Result<Option<CellDef>, String> {
    let Some(p) = v.get(key) else { return Ok(None) };
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
    Ok(Some(cell))
}

/// True when a verdict requires the fallback.
#[must_use]
pub fn needs_fallback(v: Verdict) -> bool {
    v == Verdict::Failed
}
