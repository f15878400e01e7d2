//! `exits.html` beside `exits.csv`: the exit grid of `phasebound exits` as heatmaps
//! (take profit × stop loss, and holding time × trailing stop, each square the best
//! objective over the other axes, the best cell framed), the top cells, and the equity
//! and drawdown curves of the best few. One self-contained page like `report.html`.

use std::fmt::Write as _;

use plotters::style::{BLUE, RGBColor};

use phasebound_core::ExitParams;
use phasebound_core::stats::{self, CellStats};

use super::bars_to_hours;
use super::chart::{Line, chart};
use super::escape::esc;
use super::html::{STYLE, grid};
use crate::trades::Curve;

/// Colours of the curves by rank: the best in blue (and wider), then orange, green,
/// red, purple; further ranks reuse them.
const COLOURS: [RGBColor; 5] = [
    BLUE,
    RGBColor(230, 120, 0),
    RGBColor(40, 160, 60),
    RGBColor(200, 40, 40),
    RGBColor(140, 80, 180),
];

/// Cells shown in the table of the best.
const TOP: usize = 10;

/// One grid cell: its exits, account and objective score, and its rank (1 = best).
pub struct ExitCell<'a> {
    /// Exit parameters (hold in bars).
    pub exit: &'a ExitParams,
    /// Its account over the entries.
    pub stats: &'a CellStats,
    /// Objective score.
    pub score: f64,
    /// 1-based rank.
    pub rank: usize,
}

fn trailing(e: &ExitParams) -> String {
    e.trailing.map_or_else(
        || "off".to_owned(),
        |t| format!("{}/{}×ATR", t.activation, t.distance),
    )
}

/// The page for a grid of `cells` (grid order) at timeframe `tf` minutes, with the
/// equity `curves` of the best cells by rank; `about` is one line on the entries and
/// the objective.
#[must_use]
pub fn page(cells: &[ExitCell<'_>], curves: &[(usize, &Curve)], tf: u32, about: &str) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>phasebound exits</title>\n<style>{STYLE}</style></head><body>\n<h1>phasebound exits: {} cells</h1>\n<p class=\"meta\">{}</p>",
        cells.len(),
        esc(about)
    );
    let Some(best) = cells.iter().find(|c| c.rank == 1) else {
        s.push_str("</body></html>\n");
        return s;
    };
    let scored: Vec<(&ExitParams, f64)> = cells.iter().map(|c| (c.exit, c.score)).collect();
    let hold = |e: &&ExitParams| format!("{}h", bars_to_hours(e.hold, tf));
    s.push_str("<h3>Take profit × stop loss (best over holding times and trailing stops; framed: the best cell)</h3>\n");
    s.push_str(&grid(
        &scored,
        |e| format!("{}", e.tp),
        |e| format!("{}", e.sl),
        ("take profit (×ATR)", "stop loss (×ATR)"),
        &best.exit,
    ));
    s.push_str("<h3>Holding time × trailing stop (best over take profits and stop losses)</h3>\n");
    s.push_str(&grid(
        &scored,
        hold,
        |e| trailing(e),
        ("holding time", "trailing stop (activation/distance)"),
        &best.exit,
    ));
    let mut top: Vec<&ExitCell<'_>> = cells.iter().filter(|c| c.rank <= TOP).collect();
    top.sort_by_key(|c| c.rank);
    s.push_str("<h3>The best cells</h3><table><tr><th>rank</th><th>TP ×ATR</th><th>SL ×ATR</th><th>hold</th><th class=\"l\">trailing</th><th>trades</th><th>return %</th><th>max DD %</th><th>Sharpe</th><th>objective</th></tr>\n");
    for c in top {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{:+.2}</td><td>{:.1}</td><td>{:.2}</td><td>{:.3}</td></tr>",
            c.rank,
            c.exit.tp,
            c.exit.sl,
            hold(&c.exit),
            esc(&trailing(c.exit)),
            c.stats.trades,
            stats::total_return(c.stats),
            stats::max_drawdown(c.stats),
            stats::sharpe(c.stats),
            c.score
        );
    }
    s.push_str("</table>\n");
    top_curves(&mut s, cells, curves, tf);
    s.push_str("</body></html>\n");
    s
}

/// The equity and drawdown charts of the best cells, with a legend that gives each
/// curve's cell and final equity.
fn top_curves(s: &mut String, cells: &[ExitCell<'_>], curves: &[(usize, &Curve)], tf: u32) {
    if curves.is_empty() {
        return;
    }
    let colour = |k: usize| COLOURS[k % COLOURS.len()];
    let _ = writeln!(
        s,
        "<h3>Equity (start = 1) and drawdown of the {} best cells</h3><p class=\"meta\">Each cell's account over the entries, realized exit by exit (the best in blue, drawn on top). Curves keep each of {} time buckets' lowest and highest value.</p>",
        curves.len(),
        crate::trades::CURVE_BUCKETS
    );
    // The best last, so it is drawn on top.
    let lines: Vec<Line<'_>> = curves
        .iter()
        .enumerate()
        .rev()
        .map(|(k, (_, curve))| Line {
            curve,
            colour: colour(k),
            width: if k == 0 { 2 } else { 1 },
        })
        .collect();
    s.push_str(&chart(&lines, &[], false));
    s.push_str(&chart(&lines, &[], true));
    s.push_str("<table><tr><th>rank</th><th class=\"l\">curve</th><th>TP ×ATR</th><th>SL ×ATR</th><th>hold</th><th class=\"l\">trailing</th><th>final equity</th><th>return %</th></tr>\n");
    for (k, (rank, curve)) in curves.iter().enumerate() {
        let Some(c) = cells.iter().find(|c| c.rank == *rank) else {
            continue;
        };
        let RGBColor(r, g, b) = colour(k);
        let _ = writeln!(
            s,
            "<tr class=\"curve\"><td>{rank}</td><td class=\"l\" style=\"color:#{r:02x}{g:02x}{b:02x}\">■■■</td><td>{}</td><td>{}</td><td>{}h</td><td class=\"l\">{}</td><td>{:.6}</td><td>{:+.4}</td></tr>",
            c.exit.tp,
            c.exit.sl,
            bars_to_hours(c.exit.hold, tf),
            esc(&trailing(c.exit)),
            curve.last(),
            (curve.last() - 1.0) * 100.0,
        );
    }
    s.push_str("</table>\n");
}
