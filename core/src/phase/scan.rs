//! Phase 1: the opportunity scan.
//!
//! One pass with no cells: counts a profile's candidates per symbol and labels, in
//! hindsight, the *opportunities* among them (the favourable move in the signal's own
//! direction reached the profile's threshold within its horizon). The labels only feed
//! reporting (capture rate); they are never the trading universe.

use super::{BarSource, TimeRange, run_pass};
use crate::engine::{Lanes, SymbolCounters, Workspace};
use crate::error::Error;
use crate::phase::ProfileConfig;
use crate::plan::PassPlan;

/// What Phase 1 found for one profile: the totals over all symbols. The per-symbol
/// counters stay in the workspace until its next pass ([`Workspace::counters`]), so the
/// result's size does not depend on the number of symbols.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanResult {
    /// Totals over all symbols.
    pub totals: SymbolCounters,
}

impl ScanResult {
    /// Mean ideal profit of the opportunities, in % (0 when there are none).
    #[must_use]
    pub fn mean_ideal_profit_pct(&self) -> f64 {
        if self.totals.opportunities == 0 {
            0.0
        } else {
            self.totals.ideal_profit_sum / f64::from(self.totals.opportunities)
        }
    }

    /// Mean bars from entry to the opportunity's peak (0 when there are none).
    #[must_use]
    pub fn mean_time_to_peak_bars(&self) -> f64 {
        if self.totals.opportunities == 0 {
            0.0
        } else {
            self.totals.time_to_peak_sum as f64 / f64::from(self.totals.opportunities)
        }
    }
}

/// Runs Phase 1 for `profile` over signals in `range`.
///
/// # Errors
/// Capacity, validation or source errors.
pub fn scan<B: BarSource + ?Sized, L: Lanes, const H: usize, const C: usize, const BATCH: usize>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    range: TimeRange,
) -> Result<ScanResult, Error> {
    profile.validate()?;
    let plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, range.from, range.to)?;
    run_pass(ws, source, &plan)?;
    Ok(ScanResult {
        totals: ws.totals(),
    })
}
