//! What a grid produced: each cell's result and rank, `exits.csv`, `exits.html` and the
//! summary on stdout.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use phasebound_core::account::AccountSpec;
use phasebound_core::plan::EvalMode;
use phasebound_core::stats::{self, CellStats, Objective, better, max_drawdown, profit_factor};
use phasebound_core::{EntryTiming, ExitParams, ExitReason};

use super::curves::TopCurve;
use super::entries::{BadEntry, EntryCounts};
use super::grid::{ExitGrid, TrailingSetting};
use super::options::ExitsOptions;
use super::passes::Job;
use crate::data;
use crate::error::AppError;

/// Name of the all-cells CSV in the output folder.
pub const CSV_NAME: &str = "exits.csv";
/// The heatmap page beside it.
pub const HTML_NAME: &str = "exits.html";

/// One cell's result.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// Exit parameters (hold in bars).
    pub exit: ExitParams,
    /// Accumulated trades.
    pub stats: CellStats,
    /// 1-based rank by the objective (ties to the lower cell index).
    pub rank: usize,
}

// The memory estimate counts a cell's result by its parts (`memory` is below `exits`).
const _: () = assert!(
    size_of::<CellResult>() == crate::memory::CELL_RESULT_BYTES,
    "CellResult changed: update memory::CELL_RESULT_BYTES"
);

/// Writes `exits.csv` and `exits.html` of a ranked grid into `out` (locked by `lock`)
/// in one atomic commit, so the page never describes another grid; returns their paths.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_grid_files(
    out: &Path,
    lock: &crate::output::OutputLock,
    cells: &[CellResult],
    scores: &[f64],
    top: &[TopCurve],
    tf: u32,
    ranking: (Objective, u32),
    counts: &EntryCounts,
) -> Result<Vec<PathBuf>, AppError> {
    let html = exits_page(cells, scores, top, tf, ranking, counts);
    lock.verify().map_err(|e| AppError::io(out, e))?;
    let written = vec![out.join(CSV_NAME), out.join(HTML_NAME)];
    // The CSV grows with the grid (about 400 bytes a cell): streamed to its temporary,
    // committed with the page.
    let csv_temp = crate::output::temp_path(&written[0]);
    let streamed = File::create(&csv_temp).and_then(|f| {
        let mut w = BufWriter::new(f);
        write_cells_csv(&mut w, cells, tf)?;
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    });
    if let Err(e) = streamed {
        let _ = std::fs::remove_file(&csv_temp);
        return Err(AppError::io(&written[0], e));
    }
    crate::output::write_all_atomic_with(
        &[(written[1].clone(), html.into_bytes())],
        std::slice::from_ref(&written[0]),
    )
    .map_err(|e| AppError::io(out, e))?;
    Ok(written)
}

/// The grid indices by rank, and each cell's 1-based rank, by `scores` (higher is
/// better; ties to the lower index, [`better`]).
pub(super) fn rank(scores: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        if better(scores[a], a as u32, scores[b], b as u32) {
            std::cmp::Ordering::Less
        } else if a == b {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Greater
        }
    });
    let mut rank = vec![0usize; scores.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r + 1;
    }
    (order, rank)
}

/// `exits.html` for the ranked `cells` (see [`crate::report::exits_html`]).
fn exits_page(
    cells: &[CellResult],
    scores: &[f64],
    top: &[TopCurve],
    tf: u32,
    (objective, min_trades): (Objective, u32),
    counts: &EntryCounts,
) -> String {
    let view: Vec<crate::report::exits_html::ExitCell<'_>> = cells
        .iter()
        .zip(scores)
        .map(|(c, &score)| crate::report::exits_html::ExitCell {
            exit: &c.exit,
            stats: &c.stats,
            score,
            rank: c.rank,
        })
        .collect();
    let about = format!(
        "{} entries evaluated at {}; objective {} (cells with fewer than {} trades rank last)",
        counts.used,
        data::timeframe_label(tf),
        objective.name(),
        min_trades
    );
    let curves: Vec<(usize, &crate::trades::Curve)> =
        top.iter().map(|t| (t.rank, &t.curve)).collect();
    crate::report::exits_html::page(&view, &curves, tf, &about)
}

fn account_text(a: &AccountSpec) -> String {
    format!(
        "{} stake, {} slot(s) per cell{}",
        a.stake.name(),
        a.max_open_trades,
        if a.one_position_per_symbol {
            ", one position per symbol"
        } else {
            ""
        }
    )
}

fn trailing_text(t: TrailingSetting) -> String {
    t.map_or_else(
        || "off".to_string(),
        |t| format!("{}:{}", t.activation, t.distance),
    )
}

fn hours(bars: u16, tf: u32) -> f64 {
    f64::from(bars) * f64::from(tf) / 60.0
}

/// The all-cells CSV (grid order; exact floats, so files compare byte for byte).
#[must_use]
pub fn cells_csv(cells: &[CellResult], tf: u32) -> String {
    let mut bytes = Vec::with_capacity(64 + cells.len() * 192);
    // Writing into a `Vec` cannot fail, and the text is ASCII.
    let _ = write_cells_csv(&mut bytes, cells, tf);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Writes [`cells_csv`] to `w`, one row at a time.
///
/// # Errors
/// Any write error.
pub fn write_cells_csv<W: Write>(w: &mut W, cells: &[CellResult], tf: u32) -> io::Result<()> {
    w.write_all(
        b"cell,rank,tp_atr,sl_atr,hold_hours,hold_bars,trailing_activation_atr,trailing_distance_atr,\
         trades,wins,win_rate,skipped_entries,expectancy_pct,expectancy_std_pct,total_return_pct,\
         cagr_pct,max_drawdown_pct,sharpe,sortino,calmar,profit_factor,final_equity,\
         take_profit,stop_loss,trailing,time,truncated,ambiguous\n",
    )?;
    for (i, c) in cells.iter().enumerate() {
        let st = &c.stats;
        let (act, dist) = c.exit.trailing.map_or((String::new(), String::new()), |t| {
            (t.activation.to_string(), t.distance.to_string())
        });
        let pf = match profit_factor(st) {
            None => String::new(),
            Some(x) if x.is_infinite() => "inf".into(),
            Some(x) => x.to_string(),
        };
        writeln!(
            w,
            "{i},{},{},{},{},{},{act},{dist},{},{},{},{},{},{},{},{},{},{},{},{},{pf},{},{},{},{},{},{},{}",
            c.rank,
            c.exit.tp,
            c.exit.sl,
            hours(c.exit.hold, tf),
            c.exit.hold,
            st.trades,
            st.wins,
            stats::win_rate(st),
            st.skipped,
            stats::expectancy(st),
            stats::profit_std_dev(st),
            stats::total_return(st),
            stats::cagr(st),
            max_drawdown(st),
            stats::sharpe(st),
            stats::sortino(st),
            stats::calmar(st),
            st.equity,
            st.reason_count(ExitReason::TakeProfit),
            st.reason_count(ExitReason::StopLoss),
            st.reason_count(ExitReason::Trailing),
            st.reason_count(ExitReason::Time),
            st.reason_count(ExitReason::Truncated),
            st.ambiguous,
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn summary(
    opts: &ExitsOptions,
    job: &Job<'_>,
    grid: &ExitGrid,
    cells: &[CellResult],
    order: &[usize],
    counts: &EntryCounts,
    (passes, workers): (usize, usize),
    written: &[PathBuf],
) -> String {
    let tf = job.timeframe;
    let mut s = String::new();
    let first = job.info.iter().map(|i| i.first).min().unwrap_or(0);
    let last = job.info.iter().map(|i| i.last).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "phasebound exits: {} entries ({} long, {} short) on {} symbols, {} bars {} … {}",
        counts.used,
        counts.longs,
        counts.used - counts.longs,
        job.info.len(),
        data::timeframe_label(tf),
        data::format_utc(first),
        data::format_utc(last)
    );
    if counts.skipped_total() > 0 {
        let parts: Vec<String> = BadEntry::ALL
            .iter()
            .filter(|b| counts.skipped[b.index()] > 0)
            .map(|b| format!("{} {}", counts.skipped[b.index()], b.name()))
            .collect();
        let _ = writeln!(
            s,
            "skipped {} of {} rows ({}); first: {}",
            counts.skipped_total(),
            counts.rows,
            parts.join(", "),
            counts.first_skip.as_deref().unwrap_or("")
        );
    }
    let trailing_axis: Vec<String> = grid.trailing.iter().map(|t| trailing_text(*t)).collect();
    let _ = writeln!(
        s,
        "grid: {} tp × {} sl × {} holds × {} trailing = {} cells in {passes} pass(es) on {workers} worker(s); {} engine; \
         cost {} % round trip; entry at {}; {}",
        grid.tp.len(),
        grid.sl.len(),
        grid.hold.len(),
        grid.trailing.len(),
        grid.len(),
        match opts.mode {
            EvalMode::FirstPassage => "first-passage",
            EvalMode::Reference => "reference (bar-by-bar)",
        },
        job.spec.cost_pct,
        match job.spec.entry_timing {
            EntryTiming::NextOpen => "the next open",
            EntryTiming::SignalClose => "the signal close",
        },
        account_text(&opts.account)
    );
    let _ = writeln!(
        s,
        "  tp {:?} ATR; sl {:?} ATR; hold {:?} h; trailing [{}]",
        grid.tp,
        grid.sl,
        grid.hold.iter().map(|&b| hours(b, tf)).collect::<Vec<_>>(),
        trailing_axis.join(", ")
    );
    let shown = opts.top.min(cells.len());
    if shown > 0 {
        let _ = writeln!(
            s,
            "top {shown} by {} (min {} trades):",
            opts.objective.name(),
            opts.min_trades
        );
        let _ = writeln!(
            s,
            "{:>4} {:>6} {:>6} {:>7} {:>9} {:>7} {:>6} {:>8} {:>9} {:>8} {:>6} {:>7} {:>7} {:>7} {:>6}  exits tp/sl/trail/time/trunc",
            "rank",
            "tp",
            "sl",
            "hold h",
            "trailing",
            "trades",
            "win %",
            "exp. %",
            "return %",
            "CAGR %",
            "PF",
            "max DD%",
            "Sharpe",
            "Sortino",
            "Calmar"
        );
        for &c in order.iter().take(shown) {
            let r = &cells[c];
            let st = &r.stats;
            let pf = match profit_factor(st) {
                None => "-".to_string(),
                Some(x) if x.is_infinite() => "inf".into(),
                Some(x) => format!("{x:.2}"),
            };
            let _ = writeln!(
                s,
                "{:>4} {:>6} {:>6} {:>7} {:>9} {:>7} {:>6.1} {:>8.3} {:>9.2} {:>8.1} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>6.2}  {}/{}/{}/{}/{}",
                r.rank,
                r.exit.tp,
                r.exit.sl,
                hours(r.exit.hold, tf),
                trailing_text(r.exit.trailing),
                st.trades,
                100.0 * stats::win_rate(st),
                stats::expectancy(st),
                stats::total_return(st),
                stats::cagr(st),
                pf,
                max_drawdown(st),
                stats::sharpe(st),
                stats::sortino(st),
                stats::calmar(st),
                st.reason_count(ExitReason::TakeProfit),
                st.reason_count(ExitReason::StopLoss),
                st.reason_count(ExitReason::Trailing),
                st.reason_count(ExitReason::Time),
                st.reason_count(ExitReason::Truncated),
            );
        }
    }
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(s, "Wrote {}", files.join(", "));
    s
}
