//! The human summary of one profile: Phases 1 and 2 in a line each, Phase 3 shaped like
//! the original system's output, then the walk-forward folds, the verdict, the decision and the final re-analysis.

use super::{ProfileOutcome, cell_line};
use phasebound_core::stats::{self, capture_rate, max_drawdown};

/// Human summary of one profile, shaped like the original's Phase 3 output.
#[must_use]
pub fn summary(o: &ProfileOutcome, tf: u32, seed: u64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let name = o.profile.name().to_uppercase();
    let r = &o.optimize;
    let scan = &o.scan.totals;
    let _ = writeln!(
        s,
        "Phase 1 {name} opportunity scan (all data): {} candidates ({} long, {} short), {} opportunities in hindsight, mean ideal move {:+.2} %",
        scan.candidates,
        scan.longs,
        scan.candidates.saturating_sub(scan.longs),
        scan.opportunities,
        o.scan.mean_ideal_profit_pct()
    );
    if let Some(best) = o.screen.top.first() {
        let _ = writeln!(
            s,
            "Phase 2 {name} signal screening: {} entry filters with the baseline exits; best: group '{}', score ≥ {}, consensus ≥ {}: {} trades, return {:+.2} %, objective {:.3}",
            o.screen.cells,
            o.groups
                .get(usize::from(best.cell.group))
                .map_or("?", String::as_str),
            best.cell.min_score,
            best.cell.min_consensus,
            best.stats.trades,
            stats::total_return(&best.stats),
            best.score
        );
    }
    let _ = writeln!(s, "Phase 3 {name} exit optimization");
    let _ = writeln!(
        s,
        "  candidates: {} in sample (tonight's fit uses all data; {} opportunities in hindsight)",
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
        "Phase 4 {name} walk-forward: {} of {} fold(s); each fold's parameters fitted on the data before it",
        o.folds.len(),
        o.folds_asked
    );
    for (k, f) in o.folds.iter().enumerate() {
        let st = &f.out_of_sample;
        let _ = writeln!(
            s,
            "  fold {}/{}: train … {} | test {} … {}: {} trades, return {:+.2} %, max DD {:.1} %, Sharpe {:.2} | {}",
            k + 1,
            o.folds.len(),
            crate::data::format_utc(f.fold.train.to),
            crate::data::format_utc(f.fold.test.from),
            crate::data::format_utc(f.fold.test.to),
            st.trades,
            stats::total_return(st),
            max_drawdown(st),
            stats::sharpe(st),
            cell_line(&f.cell, &o.groups, tf)
        );
    }
    let mut per_symbol: Vec<(usize, crate::procedure::SymbolTally)> = Vec::new();
    for f in &o.folds {
        for (i, t) in f.per_symbol.iter().enumerate() {
            match per_symbol.iter_mut().find(|(j, _)| *j == i) {
                Some((_, acc)) => {
                    acc.trades += t.trades;
                    acc.wins += t.wins;
                    acc.sum_profit_pct += t.sum_profit_pct;
                }
                None => per_symbol.push((i, *t)),
            }
        }
    }
    if !per_symbol.is_empty() {
        let parts: Vec<String> = per_symbol
            .iter()
            .map(|(i, t)| {
                format!(
                    "{} {} trades {:+.2} %",
                    o.symbols.get(*i).map_or("?", String::as_str),
                    t.trades,
                    t.sum_profit_pct
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "  out of sample per symbol (sum of net % per trade): {}",
            parts.join(", ")
        );
    }
    let oos = &v.out_of_sample;
    let _ = writeln!(
        s,
        "Phase 4 {name}: {} — pooled out of sample {} trades over {} days, return {:+.2} %, mean daily {:+.4} %, t = {:.2}, p = {:.4}, Sharpe {:.2}, max DD {:.1} %",
        v.verdict.name(),
        oos.trades,
        oos.days,
        stats::total_return(oos),
        stats::daily_mean(oos) * 100.0,
        stats::daily_t_stat(oos),
        stats::daily_p_value(oos),
        stats::sharpe(oos),
        max_drawdown(oos),
    );
    let _ = writeln!(
        s,
        "  tonight's fit on all data (in sample): {} trades, return {:+.2} %, Sharpe {:.2}; {} configurations tried, deflated Sharpe ratio {:.3}",
        v.in_sample.trades,
        stats::total_return(&v.in_sample),
        stats::sharpe(&v.in_sample),
        o.trials.cells,
        o.deflated_sharpe
    );
    for (label, j) in [("incumbent", &o.incumbent), ("fallback", &o.fallback)] {
        if let Some(j) = j {
            let st = &j.validation.out_of_sample;
            let _ = writeln!(
                s,
                "  {label} ({}) on the same folds: {} — {} trades, return {:+.2} %, p = {:.4}, Sharpe {:.2}",
                j.origin,
                j.validation.verdict.name(),
                st.trades,
                stats::total_return(st),
                stats::daily_p_value(st),
                stats::sharpe(st)
            );
        }
    }
    for n in &o.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    let d = &o.decision;
    match &d.cell {
        Some(c) => {
            let _ = writeln!(
                s,
                "Ships {name}: {} parameters — {}\n  {}",
                d.source.name(),
                d.reason,
                cell_line(c, &o.groups, tf)
            );
        }
        None => {
            let _ = writeln!(s, "Ships {name}: nothing (enabled: false) — {}", d.reason);
        }
    }
    let rr = &o.reanalysis;
    let _ = writeln!(
        s,
        "Final {name} on all data ({}): {} trades, capture {:.1} %, return {:+.2} %, max DD {:.1} %",
        if matches!(
            d.source,
            crate::decision::Source::New | crate::decision::Source::None
        ) {
            "in sample for tonight's parameters"
        } else {
            "includes the folds"
        },
        rr.new.trades,
        capture_rate(&rr.new, rr.opportunities) * 100.0,
        stats::total_return(&rr.new),
        max_drawdown(&rr.new),
    );
    if let Some(ps) = &rr.previous {
        let _ = writeln!(
            s,
            "  incumbent on all data: {} trades, capture {:.1} %, return {:+.2} %",
            ps.trades,
            capture_rate(ps, rr.opportunities) * 100.0,
            stats::total_return(ps)
        );
    }
    s
}
