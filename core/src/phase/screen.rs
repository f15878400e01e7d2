//! Phase 2: signal screening.
//!
//! Every weight group × minimum score × minimum consensus of the profile, with the
//! profile's baseline exits, in one in-sample pass; ranked by the objective. The best
//! and the next distinct entry configurations become Phase 3's starting points.

use super::{BarSource, ProfileConfig, SearchConfig, TimeRange, run_pass};
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::plan::{CellDef, PassPlan};
use crate::search::ranks_before;
use crate::stats::CellStats;
use heapless::Vec;

/// How many ranked entries Phase 2 keeps for the report.
pub const SCREEN_TOP: usize = 10;

/// One screened entry configuration and its in-sample result.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScreenEntry {
    /// The cell (entry filter + baseline exits).
    pub cell: CellDef,
    /// Its in-sample statistics.
    pub stats: CellStats,
    /// Objective score.
    pub score: f64,
    /// Index of the cell in the screening pass (the tie-break).
    pub index: u32,
}

/// What Phase 2 found for one profile.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScreenResult {
    /// Cells evaluated.
    pub cells: u32,
    /// The best entries, best first (at most [`SCREEN_TOP`]).
    pub top: Vec<ScreenEntry, SCREEN_TOP>,
}

impl ScreenResult {
    /// The best `n` entries, as Phase 3's starting points.
    #[must_use]
    pub fn starts(&self, n: usize) -> &[ScreenEntry] {
        &self.top[..n.min(self.top.len())]
    }
}

/// Runs Phase 2 for `profile` on signals in `range` (the in-sample period).
///
/// # Errors
/// More filter combinations than the workspace has cells, capacity, validation or
/// source errors.
pub fn screen<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    search: &SearchConfig,
    range: TimeRange,
) -> Result<ScreenResult, Error> {
    screen_visited(ws, source, profile, search, range, &mut |_, _, _| {})
}

/// [`screen`], showing `visit` every screened cell with its statistics and objective
/// score, in screening order (group, then minimum score, then minimum consensus): a
/// host draws the weight group × filter matrix from it; nothing is stored here.
///
/// # Errors
/// As [`screen`].
pub fn screen_visited<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    search: &SearchConfig,
    range: TimeRange,
    visit: &mut dyn FnMut(&CellDef, &CellStats, f64),
) -> Result<ScreenResult, Error> {
    profile.validate()?;
    let mut plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, range.from, range.to)?;
    let space = &profile.space;
    for group in 0..profile.spec.groups.len() as u8 {
        for &min_score in &space.min_score {
            for &min_consensus in &space.min_consensus {
                plan.push_cell(CellDef {
                    group,
                    min_score,
                    min_consensus,
                    exit: profile.baseline,
                })?;
            }
        }
    }
    plan.finalize()?;
    run_pass(ws, source, &plan)?;

    // Keep the best SCREEN_TOP by (score desc, index asc): insertion into a short sorted list.
    let mut top: Vec<ScreenEntry, SCREEN_TOP> = Vec::new();
    for (i, (cell, stats)) in plan
        .cells()
        .iter()
        .zip(ws.stats(plan.cells().len()))
        .enumerate()
    {
        let entry = ScreenEntry {
            cell: *cell,
            stats: *stats,
            score: search.objective.score(stats, search.min_trades),
            index: i as u32,
        };
        visit(cell, stats, entry.score);
        let pos = top
            .iter()
            .position(|e| {
                ranks_before(
                    entry.score,
                    u64::from(entry.index),
                    e.score,
                    u64::from(e.index),
                )
            })
            .unwrap_or(top.len());
        if pos < SCREEN_TOP {
            if top.is_full() {
                let _ = top.pop();
            }
            let _ = top.insert(pos, entry);
        }
    }
    Ok(ScreenResult {
        cells: plan.cells().len() as u32,
        top,
    })
}
