//! Phase 3: multi-start exit optimization.
//!
//! From each starting point (Phase 2's best entry configurations with the baseline
//! exits, snapped to the profile's lattice) a local search walks the lattice of
//! (tp, sl, hold, trailing, minimum score, minimum consensus), the start's weight group
//! fixed. Each round evaluates the neighbours of every active start in **one** pass,
//! keeps only the best per start and moves; it stops when no start improves or at the
//! round limit. With a sample, the search sees only the sampled candidates, and the
//! chosen cells are then re-evaluated on all candidates so the sampling error is
//! measured, not assumed.

use super::{BarSource, ProfileConfig, ScreenEntry, SearchConfig, TimeRange, run_pass};
use crate::budget::MAX_STARTS;
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::grid::{Lattice, MAX_NEIGHBOURS};
use crate::plan::{CellDef, PassPlan};
use crate::search::MultiStart;
use crate::stats::CellStats;
use heapless::Vec;

/// Names of the starts, as the report prints them.
pub const START_LABELS: [&str; MAX_STARTS] =
    ["Phase 2 best", "Phase 2 #2", "Phase 2 #3", "Phase 2 #4"];

/// The outcome of one start.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartResult {
    /// Where it started (snapped to the lattice).
    pub origin: CellDef,
    /// Objective score at the origin.
    pub origin_score: f64,
    /// The best cell it reached.
    pub best: CellDef,
    /// Statistics of `best` on the candidates the search saw.
    pub stats: CellStats,
    /// Objective score of `best`.
    pub score: f64,
    /// Moves made.
    pub moves: u16,
    /// Statistics of `best` on all in-sample candidates (only when sampling).
    pub full: Option<CellStats>,
}

/// What Phase 3 found for one profile.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OptimizeResult {
    /// One result per start, in start order.
    pub starts: Vec<StartResult, MAX_STARTS>,
    /// Index of the best start.
    pub best: u8,
    /// Search rounds run.
    pub rounds: u16,
    /// Streaming passes run.
    pub passes: u16,
    /// Distinct cells evaluated over all passes.
    pub cells_evaluated: u32,
    /// (candidate, cell) evaluations over all passes: the original's "profit evaluations".
    pub evaluations: u64,
    /// Candidates the search saw per pass (the sample size when sampling).
    pub candidates_seen: u32,
}

impl OptimizeResult {
    /// The chosen start.
    #[must_use]
    pub fn chosen(&self) -> Option<&StartResult> {
        self.starts.get(usize::from(self.best))
    }
}

/// Cells of one pass with the (group, lattice index) each stands for.
struct RoundCells<'a, const C: usize> {
    plan: PassPlan<'a, C>,
    keys: Vec<(u8, u64), C>,
}

impl<'a, const C: usize> RoundCells<'a, C> {
    fn new(
        profile: &'a ProfileConfig,
        range: TimeRange,
        sample: Option<&'a [u32]>,
    ) -> Result<Self, Error> {
        let mut plan = PassPlan::new(&profile.spec, range.from, range.to)?;
        if let Some(s) = sample {
            plan.set_sample(s)?;
        }
        Ok(Self {
            plan,
            keys: Vec::new(),
        })
    }

    /// Adds the cell unless already present.
    fn add(
        &mut self,
        space: &super::ExitSpace,
        lattice: &Lattice,
        group: u8,
        index: u64,
    ) -> Result<(), Error> {
        if self.keys.contains(&(group, index)) {
            return Ok(());
        }
        self.plan.push_cell(space.cell(lattice, index, group)?)?;
        self.keys
            .push((group, index))
            .map_err(|_| Error::CapacityExceeded {
                what: "MAX_CELLS",
                capacity: C,
            })
    }

    /// Empties the round in place for the next one (one plan on the stack, not one per
    /// round: a plan of the default capacity is about 80 KiB).
    fn reset(&mut self, sample: Option<&'a [u32]>) -> Result<(), Error> {
        self.plan.clear();
        if let Some(s) = sample {
            self.plan.set_sample(s)?;
        }
        self.keys.clear();
        Ok(())
    }

    fn find(&self, group: u8, index: u64) -> Option<usize> {
        self.keys.iter().position(|&k| k == (group, index))
    }
}

/// Runs Phase 3 for `profile` from `starts` (Phase 2's best first) on signals in `range`,
/// optionally only on the candidates whose ordinals are in `sample` (sorted).
///
/// # Errors
/// No starts, too few workspace cells for a round, capacity, validation or source errors.
#[allow(clippy::too_many_arguments)]
pub fn optimize<
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
    starts: &[ScreenEntry],
    range: TimeRange,
    sample: Option<&[u32]>,
) -> Result<OptimizeResult, Error> {
    profile.validate()?;
    let n = starts.len().min(usize::from(search.starts)).min(MAX_STARTS);
    if n == 0 {
        return Err(Error::InvalidParameter {
            what: "Phase 3 needs at least one start",
        });
    }
    let space = &profile.space;
    let lattice = space.lattice()?;
    let score_of = |st: &CellStats| search.objective.score(st, search.min_trades);
    let mut passes = 0u16;
    let mut cells_evaluated = 0u32;
    let mut evaluations = 0u64;
    let mut candidates_seen = 0u32;

    // Round 0: the origins themselves.
    let mut groups = [0u8; MAX_STARTS];
    let mut origins = [0u64; MAX_STARTS];
    let mut round = RoundCells::<C>::new(profile, range, sample)?;
    for (i, st) in starts[..n].iter().enumerate() {
        groups[i] = st.cell.group;
        origins[i] = space.nearest(&lattice, &st.cell)?;
        round.add(space, &lattice, groups[i], origins[i])?;
    }
    round.plan.finalize()?;
    run_pass(ws, source, &round.plan)?;
    passes += 1;
    let seen = ws.totals().evaluated;
    candidates_seen = candidates_seen.max(seen);
    cells_evaluated += round.keys.len() as u32;
    evaluations += u64::from(seen) * round.keys.len() as u64;

    let mut ms: MultiStart<MAX_STARTS> = MultiStart::new();
    let mut best_stats = [CellStats::new(); MAX_STARTS];
    let mut origin_scores = [0f64; MAX_STARTS];
    for i in 0..n {
        let c = round
            .find(groups[i], origins[i])
            .ok_or(Error::InvalidParameter { what: "start cell" })?;
        let st = ws.stats(round.keys.len())[c];
        best_stats[i] = st;
        origin_scores[i] = score_of(&st);
        ms.add_start(origins[i], origin_scores[i])?;
    }

    // Local search rounds.
    let mut neighbours: Vec<u64, MAX_NEIGHBOURS> = Vec::new();
    while ms.any_active() {
        if ms.rounds() >= search.max_rounds {
            ms.stop();
            break;
        }
        round.reset(sample)?;
        for i in 0..n {
            ms.neighbours(&lattice, i, &mut neighbours)?;
            for &nb in &neighbours {
                round.add(space, &lattice, groups[i], nb)?;
            }
        }
        round.plan.finalize()?;
        run_pass(ws, source, &round.plan)?;
        passes += 1;
        let seen = ws.totals().evaluated;
        cells_evaluated += round.keys.len() as u32;
        evaluations += u64::from(seen) * round.keys.len() as u64;
        let stats = ws.stats(round.keys.len());
        for i in 0..n {
            ms.neighbours(&lattice, i, &mut neighbours)?;
            for &nb in &neighbours {
                if let Some(c) = round.find(groups[i], nb) {
                    ms.offer(i, nb, score_of(&stats[c]));
                }
            }
        }
        // Where each start stood, to pick up the stats of the cell it moves to.
        let before: [u64; MAX_STARTS] =
            core::array::from_fn(|i| ms.starts().get(i).map_or(0, |s| s.current));
        ms.end_round();
        for i in 0..n {
            let now = ms.starts()[i].current;
            if now != before[i]
                && let Some(c) = round.find(groups[i], now)
            {
                best_stats[i] = stats[c];
            }
        }
    }

    // With a sample: the chosen cells on every candidate.
    let mut full = [None::<CellStats>; MAX_STARTS];
    if sample.is_some() {
        round.reset(None)?;
        for i in 0..n {
            round.add(space, &lattice, groups[i], ms.starts()[i].current)?;
        }
        round.plan.finalize()?;
        run_pass(ws, source, &round.plan)?;
        passes += 1;
        let stats = ws.stats(round.keys.len());
        for i in 0..n {
            full[i] = round
                .find(groups[i], ms.starts()[i].current)
                .map(|c| stats[c]);
        }
    }

    let mut results: Vec<StartResult, MAX_STARTS> = Vec::new();
    for (i, s) in ms.starts().iter().enumerate() {
        let _ = results.push(StartResult {
            origin: space.cell(&lattice, s.origin, groups[i])?,
            origin_score: origin_scores[i],
            best: space.cell(&lattice, s.current, groups[i])?,
            stats: best_stats[i],
            score: s.score,
            moves: s.moves,
            full: full[i],
        });
    }
    Ok(OptimizeResult {
        best: ms.best().unwrap_or(0) as u8,
        starts: results,
        rounds: ms.rounds(),
        passes,
        cells_evaluated,
        evaluations,
        candidates_seen,
    })
}
