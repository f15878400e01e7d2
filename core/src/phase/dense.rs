//! Phase 3's optional dense check: every exit of the profile's lattice (tp × sl × hold ×
//! trailing-or-off) for one entry filter, in as few passes as the workspace's cell
//! capacity allows, to check how far the local search's result is from the best exit
//! on the full grid.

use super::{BarSource, ProfileConfig, SearchConfig, TimeRange, run_pass};
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::grid::{Coords, MAX_DIMS};
use crate::plan::{CellDef, PassPlan};
use crate::search::ranks_before;
use crate::stats::CellStats;

/// The best exit of the dense grid for one entry filter.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DenseCheck {
    /// Cells evaluated (the size of the exit grid).
    pub cells: u32,
    /// Passes needed (cells / workspace capacity, rounded up).
    pub passes: u16,
    /// The best cell.
    pub best: CellDef,
    /// Its statistics.
    pub stats: CellStats,
    /// Its objective score.
    pub score: f64,
}

/// Evaluates every exit of `profile`'s lattice with the entry filter of `filter`
/// (its group, minimum score and minimum consensus) on signals in `range`, on the
/// sampled candidates only when `sample` is given (as the search saw them).
///
/// # Errors
/// Capacity, validation or source errors.
pub fn dense_check<
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
    filter: &CellDef,
    range: TimeRange,
    sample: Option<&[u32]>,
) -> Result<DenseCheck, Error> {
    dense_check_visited(
        ws,
        source,
        profile,
        search,
        filter,
        range,
        sample,
        &mut |_, _, _| {},
    )
}

/// [`dense_check`], showing `visit` every cell of the grid with its statistics and
/// objective score, in grid order (a host draws the landscape from it; nothing is
/// stored here).
///
/// # Errors
/// As [`dense_check`].
#[allow(clippy::too_many_arguments)]
pub fn dense_check_visited<
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
    filter: &CellDef,
    range: TimeRange,
    sample: Option<&[u32]>,
    visit: &mut dyn FnMut(&CellDef, &CellStats, f64),
) -> Result<DenseCheck, Error> {
    profile.validate()?;
    let space = &profile.space;
    let lattice = space.lattice()?;
    // Exit axes only: the filter axes stay at the given values.
    let exits = u64::from(lattice.radix(0))
        * u64::from(lattice.radix(1))
        * u64::from(lattice.radix(2))
        * u64::from(lattice.radix(3));
    let base = space.nearest(&lattice, filter)?;
    let base_coords = lattice.coords(base)?;
    let cell_at = |k: u64| -> Result<CellDef, Error> {
        let mut c: Coords = [0; MAX_DIMS];
        let mut rest = k;
        for (axis, slot) in c.iter_mut().enumerate().take(4) {
            let n = u64::from(lattice.radix(axis));
            *slot = (rest % n) as u16;
            rest /= n;
        }
        c[4] = base_coords[4];
        c[5] = base_coords[5];
        space.cell(&lattice, lattice.index(&c)?, filter.group)
    };
    let mut best: Option<(u64, DenseCheck)> = None;
    let mut passes = 0u16;
    let mut start = 0u64;
    while start < exits {
        let end = (start + C as u64).min(exits);
        let mut plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, range.from, range.to)?;
        if let Some(s) = sample {
            plan.set_sample(s)?;
        }
        for k in start..end {
            plan.push_cell(cell_at(k)?)?;
        }
        plan.finalize()?;
        run_pass(ws, source, &plan)?;
        passes += 1;
        for (i, (cell, stats)) in plan
            .cells()
            .iter()
            .zip(ws.stats(plan.cells().len()))
            .enumerate()
        {
            let k = start + i as u64;
            let score = search.objective.score(stats, search.min_trades);
            visit(cell, stats, score);
            let better = match &best {
                None => true,
                Some((bk, b)) => ranks_before(score, k, b.score, *bk),
            };
            if better {
                best = Some((
                    k,
                    DenseCheck {
                        cells: 0,
                        passes: 0,
                        best: *cell,
                        stats: *stats,
                        score,
                    },
                ));
            }
        }
        start = end;
    }
    let (_, mut result) = best.ok_or(Error::InvalidParameter {
        what: "empty exit grid",
    })?;
    result.cells = exits as u32;
    result.passes = passes;
    Ok(result)
}
