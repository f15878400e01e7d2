//! The equity curves of the best cells of `phasebound exits`, drawn in `exits.html`.
//!
//! Once the grid is evaluated and ranked, one more pass streams the same bars and
//! entries with a plan of only the [`TOP_CURVES`] best cells. Each of them is watched
//! by a [`Recorder`] — the replay of the account's rules behind `report.html`'s curves
//! and `trades.csv` — writing into a fixed-size [`Curve`] (no row is written), and each
//! recorder is checked against its cell's account from the grid: the same trades and
//! the same final equity, bit for bit. Cells are independent, so the smaller plan gives
//! every cell the account it had in the grid. Memory: the first grid worker's workspace,
//! reused (the workers are done by then), and [`TOP_CURVES`] curves of fixed size,
//! whatever the number of bars or entries.

use std::io;

use phasebound_core::TradeOutcome;

use phasebound_core::engine::{EntryEvent, Observer};
use phasebound_core::plan::CellDef;

use super::passes::{Job, WORKER_STACK, run_chunk};
use super::results::CellResult;
use super::trace::PassObserver;
use crate::error::AppError;
use crate::trades::{Curve, Labels, Recorder};
use crate::workspace::HostWorkspace;

/// Cells whose curves `exits.html` draws: the best by rank.
pub const TOP_CURVES: usize = 5;

/// The equity curve of one of the best cells.
#[derive(Clone, Debug)]
pub struct TopCurve {
    /// Its rank (1 = best).
    pub rank: usize,
    /// Equity (start = 1) over the data's span, realized exit by exit.
    pub curve: Curve,
}

/// One recorder per cell of the pass: every entry is announced to all, each outcome to
/// its cell's.
struct Recorders<'a> {
    cells: Vec<Recorder<'a, io::Sink>>,
}

impl Observer for Recorders<'_> {
    fn entry(&mut self, event: &EntryEvent) {
        for r in &mut self.cells {
            r.entry(event);
        }
    }

    fn outcome(&mut self, cell: usize, outcome: &TradeOutcome) {
        if let Some(r) = self.cells.get_mut(cell) {
            r.outcome(0, outcome);
        }
    }
}

impl PassObserver for Recorders<'_> {}

/// The curves of the best [`TOP_CURVES`] cells of `cells` (grid order; `order` is the
/// grid indices by rank), traced in one pass through `ws` (a grid worker's, reused) on
/// a worker thread of its own.
///
/// # Errors
/// Source and core errors; [`AppError::Internal`] if a trace disagrees with its cell's
/// account.
pub(super) fn top_curves(
    job: &Job<'_>,
    ws: &mut HostWorkspace,
    cells: &[CellResult],
    order: &[usize],
) -> Result<Vec<TopCurve>, AppError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, || trace(job, ws, cells, order))
            .map_err(|e| AppError::Internal(format!("cannot start worker: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(AppError::Internal("worker panicked".into())))
    })
}

fn trace(
    job: &Job<'_>,
    ws: &mut HostWorkspace,
    cells: &[CellResult],
    order: &[usize],
) -> Result<Vec<TopCurve>, AppError> {
    let top: Vec<usize> = order.iter().take(TOP_CURVES).copied().collect();
    let defs: Vec<CellDef> = top
        .iter()
        .filter_map(|&i| job.cells.get(i))
        .copied()
        .collect();
    let from = job.info.iter().map(|i| i.first).min().unwrap_or(0);
    let to = job
        .info
        .iter()
        .map(|i| i.last + i.step)
        .max()
        .unwrap_or(from + 1);
    let symbols: Vec<String> = job.info.iter().map(|i| i.symbol.clone()).collect();
    let labels = Labels {
        profile: "exits",
        params: "",
        periods: &[],
    };
    let spec = job.spec.account();
    let mut curves: Vec<Curve> = defs.iter().map(|_| Curve::new(from, to, 1.0)).collect();
    let mut sinks: Vec<io::Sink> = defs.iter().map(|_| io::sink()).collect();
    let mut recorders = Recorders {
        cells: sinks
            .iter_mut()
            .zip(curves.iter_mut())
            .map(|(out, curve)| {
                Recorder::new(out, &symbols, labels, job.timeframe, spec, 1.0, curve)
            })
            .collect(),
    };
    let pass = run_chunk(job, ws, &defs, 0, &mut recorders)?;
    for ((rec, &i), traced) in recorders.cells.into_iter().zip(&top).zip(&pass.stats) {
        let (trades, equity) = rec
            .finish()
            .map_err(|e| AppError::Internal(format!("curve trace: {e}")))?;
        let Some(grid) = cells.get(i).map(|c| &c.stats) else {
            continue;
        };
        let agrees =
            |t: u64, e: f64| t == u64::from(grid.trades) && e.to_bits() == grid.equity.to_bits();
        if !(agrees(trades, equity) && agrees(u64::from(traced.trades), traced.equity)) {
            return Err(AppError::Internal(format!(
                "the curve of exits cell {i} disagrees with its account: {trades} trades, equity {equity} (pass: {} and {}) against {} and {}",
                traced.trades, traced.equity, grid.trades, grid.equity
            )));
        }
    }
    Ok(top
        .iter()
        .zip(curves)
        .map(|(&i, curve)| TopCurve {
            rank: cells.get(i).map_or(0, |c| c.rank),
            curve,
        })
        .collect())
}
