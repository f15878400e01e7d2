//! The final step: the final parameters (and, if given, the previous ones) on the whole
//! data, side by side, as the original's step 4.5 did.

use super::{BarSource, ProfileConfig, TimeRange, run_pass};
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::plan::{CellDef, PassPlan};
use crate::stats::CellStats;

/// The final re-analysis of one profile.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reanalysis {
    /// The final parameters' statistics on all data.
    pub new: CellStats,
    /// The previous parameters' statistics on all data, when given.
    pub previous: Option<CellStats>,
    /// Opportunities on all data (capture-rate denominator).
    pub opportunities: u32,
    /// Candidates on all data.
    pub candidates: u32,
}

/// Evaluates `new` (and `previous`) on signals in `range`, in one pass.
///
/// # Errors
/// Capacity, validation or source errors.
pub fn reanalyse<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    new: &CellDef,
    previous: Option<&CellDef>,
    range: TimeRange,
) -> Result<Reanalysis, Error> {
    let mut plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, range.from, range.to)?;
    plan.push_cell(*new)?;
    if let Some(p) = previous {
        plan.push_cell(*p)?;
    }
    plan.finalize()?;
    run_pass(ws, source, &plan)?;
    let stats = ws.stats(plan.cells().len());
    let totals = ws.totals();
    Ok(Reanalysis {
        new: stats[0],
        previous: previous.and(stats.get(1).copied()),
        opportunities: totals.opportunities,
        candidates: totals.candidates,
    })
}
