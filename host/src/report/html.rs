//! `report.html`: one self-contained page (inline CSS and SVG, no script, no network)
//! that an operator opens offline: per profile a verdict card, the equity and drawdown
//! curves (walk-forward out of sample, folds marked, and the parameters shown on all
//! data), the folds, the out-of-sample trades per symbol, the exit reasons, incumbent
//! against new, and Phase 2's best entry filters. The figures come from `report.json`
//! (the same values), the curves from the traced trades ([`crate::trades::Curves`]);
//! charts are drawn with plotters' SVG backend.

use std::fmt::Write as _;

use plotters::prelude::*;
use serde_json::Value;

use super::chart::{CHART, Line, chart};
use super::escape::esc;
use super::{ProfileOutcome, cell_line};
use crate::trades::CURVE_BUCKETS;
use phasebound_core::plan::CellDef;

/// The page for a finished run.
#[must_use]
pub fn page(report: &Value, outcomes: &[ProfileOutcome], tf: u32) -> String {
    let run = &report["run"];
    let mut s = String::with_capacity(256 * 1024);
    let symbols: Vec<&str> = run["inputs"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["symbol"].as_str()).collect())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>phasebound report</title>\n<style>{STYLE}</style></head><body>\n<h1>phasebound report</h1>\n<p class=\"meta\">{} symbol(s) of {} bars: {} · seed {} · phasebound {} · params.json SHA-256 <code>{}</code></p>",
        symbols.len(),
        esc(run["timeframe"].as_str().unwrap_or("?")),
        esc(&symbols.join(", ")),
        run["seed"],
        esc(run["version"].as_str().unwrap_or("?")),
        esc(run["params_sha256"].as_str().unwrap_or("")),
    );
    for o in outcomes {
        profile(&mut s, report, o, tf);
    }
    s.push_str("</body></html>\n");
    s
}

pub(super) const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}\
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #ccc}h3{font-size:1.05em}\
.meta{color:#555}.card{border:2px solid #999;border-radius:6px;padding:.8em 1.2em;margin:1em 0}\
.ships{border-color:#2a7;background:#f0fff5}.off{border-color:#c53;background:#fff5f2}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
th{background:#f2f2f2}td.l,th.l{text-align:left}code{font-size:.85em}svg{display:block;margin:.5em 0}";

pub(super) fn f(v: &Value, digits: usize) -> String {
    v.as_f64()
        .map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

fn profile(s: &mut String, report: &Value, o: &ProfileOutcome, tf: u32) {
    let name = o.profile.name();
    let p4 = &report["phase4"][name];
    let decision = &p4["decision"];
    let enabled = decision["enabled"].as_bool().unwrap_or(false);
    let proc_ = &p4["procedure"];
    let oos = &proc_["out_of_sample"];
    let _ = writeln!(
        s,
        "<h2>{}</h2>\n<div class=\"card {}\"><b>{}</b> — source <b>{}</b>: {}<br>walk-forward verdict <b>{}</b>: out of sample {} trades over {} days, return {} %, Sharpe {}, max drawdown {} %, t = {}, p = {} (α = {}); deflated Sharpe ratio of tonight's choice {}</div>",
        name.to_uppercase(),
        if enabled { "ships" } else { "off" },
        if enabled {
            "ships tonight"
        } else {
            "nothing ships (enabled: false)"
        },
        esc(decision["source"].as_str().unwrap_or("?")),
        esc(decision["reason"].as_str().unwrap_or("")),
        esc(proc_["verdict"].as_str().unwrap_or("?")),
        oos["trades"],
        oos["days"],
        f(&oos["total_return_pct"], 2),
        f(&oos["sharpe"], 2),
        f(&oos["max_drawdown_pct"], 1),
        f(&proc_["t_stat"], 2),
        f(&proc_["p_value"], 4),
        proc_["alpha"],
        f(&p4["final_choice"]["deflated_sharpe_ratio"], 3),
    );
    let c = &o.curves;
    let starts: Vec<i64> = o.folds.iter().map(|f| f.fold.test.from).collect();
    let _ = writeln!(
        s,
        "<h3>Equity (start = 1) and drawdown</h3><p class=\"meta\">Blue: walk-forward out of sample, each fold traded by the parameters fitted before it, folds chained. Grey: the parameters shown ({}) on all data, in sample for tonight's fit. Dashed lines: fold starts. Curves keep each of {} time buckets' lowest and highest value.</p>",
        esc(&c.shown_params),
        CURVE_BUCKETS
    );
    let mut lines: Vec<Line<'_>> = c
        .out_of_sample
        .iter()
        .map(|curve| Line {
            curve,
            colour: BLUE,
            width: 2,
        })
        .collect();
    lines.push(Line {
        curve: &c.shown,
        colour: GREY,
        width: 1,
    });
    s.push_str(&chart(&lines, &starts, false));
    s.push_str(&chart(&lines, &starts, true));
    folds_table(s, p4, o, tf);
    per_symbol(s, p4, &o.symbols);
    reasons(s, report, name);
    incumbent(s, p4);
    landscape(s, o, tf);
    phase2(s, &report["phase2"][name], o);
}

/// The grey of the curve of the parameters shown.
pub(super) const GREY: RGBColor = RGBColor(120, 120, 120);

fn folds_table(s: &mut String, p4: &Value, po: &ProfileOutcome, tf: u32) {
    s.push_str("<h3>Walk-forward folds</h3><table><tr><th>fold</th><th class=\"l\">trained until</th><th class=\"l\">test period</th><th>trades</th><th>return %</th><th>max DD %</th><th>Sharpe</th><th class=\"l\">parameters fitted before it</th></tr>\n");
    for (k, fold) in p4["folds"].as_array().into_iter().flatten().enumerate() {
        let o = &fold["out_of_sample"];
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{} … {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            k + 1,
            esc(fold["train"]["to"].as_str().unwrap_or("")),
            esc(fold["test"]["from"].as_str().unwrap_or("")),
            esc(fold["test"]["to"].as_str().unwrap_or("")),
            o["trades"],
            f(&o["total_return_pct"], 2),
            f(&o["max_drawdown_pct"], 1),
            f(&o["sharpe"], 2),
            po.folds
                .get(k)
                .map(|f| esc(&cell_line(&f.cell, &po.groups, tf)))
                .unwrap_or_default(),
        );
    }
    s.push_str("</table>\n");
}

fn per_symbol(s: &mut String, p4: &Value, symbols: &[String]) {
    let mut rows: Vec<(u64, u64, f64)> = vec![(0, 0, 0.0); symbols.len()];
    for fold in p4["folds"].as_array().into_iter().flatten() {
        for t in fold["out_of_sample_per_symbol"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(i) = symbols
                .iter()
                .position(|x| Some(x.as_str()) == t["symbol"].as_str())
                && let Some(r) = rows.get_mut(i)
            {
                r.0 += t["trades"].as_u64().unwrap_or(0);
                r.1 += t["wins"].as_u64().unwrap_or(0);
                r.2 += t["sum_net_profit_pct"].as_f64().unwrap_or(0.0);
            }
        }
    }
    s.push_str("<h3>Out of sample per symbol (all folds)</h3><table><tr><th class=\"l\">symbol</th><th>trades</th><th>wins</th><th>sum of net % per trade</th></tr>\n");
    for (sym, (trades, wins, sum)) in symbols.iter().zip(rows) {
        let _ = writeln!(
            s,
            "<tr><td class=\"l\">{}</td><td>{trades}</td><td>{wins}</td><td>{sum:+.2}</td></tr>",
            esc(sym)
        );
    }
    s.push_str("</table>\n");
}

fn reasons(s: &mut String, report: &Value, name: &str) {
    let fin = &report["final"][name];
    let oos = &report["phase4"][name]["procedure"]["out_of_sample"];
    s.push_str("<h3>Exit reasons</h3><table><tr><th class=\"l\">reason</th><th>walk-forward out of sample</th><th>parameters shown, all data</th></tr>\n");
    for reason in ["take_profit", "stop_loss", "trailing", "time", "truncated"] {
        let _ = writeln!(
            s,
            "<tr><td class=\"l\">{reason}</td><td>{}</td><td>{}</td></tr>",
            oos["exit_reasons"][reason], fin["all_data"]["exit_reasons"][reason]
        );
    }
    s.push_str("</table>\n");
}

fn incumbent(s: &mut String, p4: &Value) {
    s.push_str("<h3>Incumbent against new</h3><table><tr><th class=\"l\"></th><th>out-of-sample trades</th><th>return %</th><th>Sharpe</th><th>max DD %</th><th class=\"l\">verdict</th></tr>\n");
    let row = |s: &mut String, label: &str, v: &Value| {
        let o = &v["out_of_sample"];
        let _ = writeln!(
            s,
            "<tr><td class=\"l\">{label}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            o["trades"],
            f(&o["total_return_pct"], 2),
            f(&o["sharpe"], 2),
            f(&o["max_drawdown_pct"], 1),
            esc(v["verdict"].as_str().unwrap_or("–"))
        );
    };
    row(s, "new (the procedure)", &p4["procedure"]);
    for who in ["incumbent", "fallback"] {
        if p4[who].is_object() {
            row(s, who, &p4[who]);
        } else {
            let _ = writeln!(
                s,
                "<tr><td class=\"l\">{who}</td><td colspan=\"5\" class=\"l\">none</td></tr>"
            );
        }
    }
    s.push_str("</table>\n");
}

/// Phase 2 as a matrix (rows: weight groups; columns: minimum score / minimum
/// consensus; colour: the objective with the baseline exits; framed: tonight's entry
/// filter), then its best entry filters as a table.
fn phase2(s: &mut String, p2: &Value, o: &ProfileOutcome) {
    if !o.screening.is_empty() {
        let group = |c: &CellDef| {
            o.groups
                .get(usize::from(c.group))
                .cloned()
                .unwrap_or_else(|| format!("group {}", c.group))
        };
        let _ = writeln!(
            s,
            "<h3>Phase 2: weight group × entry filter ({} combinations, objective with the baseline exits; framed: tonight's entry filter)</h3>",
            o.screening.len()
        );
        s.push_str(&grid(
            &o.screening,
            |c| format!("{}/{}", c.min_score, c.min_consensus),
            group,
            ("minimum score / minimum consensus", "weight group"),
            &o.new_cell,
        ));
    }
    let _ = writeln!(
        s,
        "<h3>Phase 2: the best entry filters ({} combinations of weight group × minimum score × minimum consensus, with the baseline exits)</h3><table><tr><th>rank</th><th class=\"l\">weight group</th><th>min score</th><th>min consensus</th><th>objective</th><th>trades</th><th>return %</th></tr>",
        p2["combinations"],
    );
    for t in p2["top"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t["rank"],
            esc(t["weight_group"].as_str().unwrap_or("")),
            t["min_signal_score"],
            t["min_indicator_consensus"],
            f(&t["objective"], 3),
            t["in_sample"]["trades"],
            f(&t["in_sample"]["total_return_pct"], 2),
        );
    }
    s.push_str("</table>\n");
}

/// The dense check's landscape: best objective per (TP, SL) over holds and trailing
/// stops, and per (hold, trailing) over TP and SL; tonight's choice framed.
fn landscape(s: &mut String, o: &ProfileOutcome, tf: u32) {
    if o.landscape.is_empty() {
        return;
    }
    let trailing = |c: &CellDef| {
        c.exit.trailing.map_or_else(
            || "off".to_owned(),
            |t| format!("{}/{}×ATR", t.activation, t.distance),
        )
    };
    let hold = |c: &CellDef| format!("{}h", super::bars_to_hours(c.exit.hold, tf));
    let chosen = &o.new_cell;
    let _ = writeln!(
        s,
        "<h3>Exit landscape of tonight's entry filter ({} exits, objective per cell; best over the other axes; framed: tonight's choice)</h3>",
        o.landscape.len()
    );
    s.push_str(&grid(
        &o.landscape,
        |c| format!("{}", c.exit.tp),
        |c| format!("{}", c.exit.sl),
        ("take profit (×ATR)", "stop loss (×ATR)"),
        chosen,
    ));
    s.push_str(&grid(
        &o.landscape,
        hold,
        trailing,
        ("holding time", "trailing stop (activation/distance)"),
        chosen,
    ));
}

/// A heatmap of the best score per (x, y) label pair; `chosen`'s square framed.
pub(super) fn grid<T>(
    cells: &[(T, f64)],
    x_of: impl Fn(&T) -> String,
    y_of: impl Fn(&T) -> String,
    (x_desc, y_desc): (&str, &str),
    chosen: &T,
) -> String {
    // Axis labels in grid order of first appearance, sorted numerically where they are numbers.
    let axis = |f: &dyn Fn(&T) -> String| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (c, _) in cells {
            let l = f(c);
            if !v.contains(&l) {
                v.push(l);
            }
        }
        let key = |l: &String| l.trim_end_matches('h').parse::<f64>().unwrap_or(f64::MAX);
        v.sort_by(|a, b| key(a).total_cmp(&key(b)));
        v
    };
    let xs = axis(&x_of);
    let ys = axis(&y_of);
    let mut best = vec![vec![f64::NEG_INFINITY; ys.len()]; xs.len()];
    for (c, score) in cells {
        let (Some(i), Some(j)) = (
            xs.iter().position(|l| *l == x_of(c)),
            ys.iter().position(|l| *l == y_of(c)),
        ) else {
            continue;
        };
        if score.is_finite() && *score > best[i][j] {
            best[i][j] = *score;
        }
    }
    let finite = best.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let mark = (
        xs.iter().position(|l| *l == x_of(chosen)),
        ys.iter().position(|l| *l == y_of(chosen)),
    );
    let colour = |v: f64| -> RGBColor {
        if !v.is_finite() || !lo.is_finite() {
            return RGBColor(225, 225, 225);
        }
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        // Red (worst) through pale yellow to green (best).
        let mix = |a: f64, b: f64, t: f64| (a + (b - a) * t).round() as u8;
        if t < 0.5 {
            let u = t * 2.0;
            RGBColor(
                mix(200.0, 250.0, u),
                mix(60.0, 240.0, u),
                mix(50.0, 180.0, u),
            )
        } else {
            let u = (t - 0.5) * 2.0;
            RGBColor(
                mix(250.0, 40.0, u),
                mix(240.0, 150.0, u),
                mix(180.0, 70.0, u),
            )
        }
    };
    let mut svg = String::new();
    // Room for the longest row label (about 6 px a character) beside the axis title.
    let longest = ys.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    let y_area = (30 + 6 * longest).max(110);
    let size = (
        (y_area + 30 + 60 * xs.len() as u32).min(CHART.0),
        (90 + 28 * ys.len() as u32).min(520),
    );
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ch = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(y_area)
            .build_cartesian_2d(
                (0..xs.len() as i32).into_segmented(),
                (0..ys.len() as i32).into_segmented(),
            )?;
        let label = |v: &SegmentValue<i32>, names: &[String]| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        ch.configure_mesh()
            .disable_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(xs.len())
            .y_labels(ys.len())
            .x_label_formatter(&|v| label(v, &xs))
            .y_label_formatter(&|v| label(v, &ys))
            .draw()?;
        for (i, column) in best.iter().enumerate() {
            for (j, v) in column.iter().enumerate() {
                let (i, j) = (i as i32, j as i32);
                let corners = || {
                    [
                        (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                        (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                    ]
                };
                ch.draw_series(std::iter::once(Rectangle::new(
                    corners(),
                    colour(*v).filled(),
                )))?;
                if (Some(i as usize), Some(j as usize)) == mark {
                    ch.draw_series(std::iter::once(Rectangle::new(
                        corners(),
                        BLACK.stroke_width(3),
                    )))?;
                }
            }
        }
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => format!(
            "{svg}<p class=\"meta\">Objective from {lo:.3} (red) to {hi:.3} (green); grey: no score (too few trades).</p>\n"
        ),
        Err(e) => format!("<p>chart not drawn: {}</p>", esc(&e.to_string())),
    }
}
