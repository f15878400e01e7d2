//! Phase 1: the opportunity scan.
//!
//! One pass with no cells: counts a profile's candidates per symbol and labels, in
//! hindsight, the *opportunities* among them (the favourable move in the signal's own
//! direction reached the profile's threshold within its horizon). The labels only feed
//! reporting (capture rate); they are never the trading universe.

use super::{BarSource, TimeRange, run_pass};
use crate::budget::MAX_SYMBOLS;
use crate::engine::{SymbolCounters, Workspace};
use crate::error::Error;
use crate::phase::ProfileConfig;
use crate::plan::PassPlan;
use heapless::Vec;

/// What Phase 1 found for one profile.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanResult {
    /// Totals over all symbols.
    pub totals: SymbolCounters,
    /// Per symbol, in source order.
    pub per_symbol: Vec<SymbolCounters, MAX_SYMBOLS>,
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
pub fn scan<B: BarSource + ?Sized, const S: usize, const H: usize, const C: usize>(
    ws: &mut Workspace<S, H, C>,
    source: &mut B,
    profile: &ProfileConfig,
    range: TimeRange,
) -> Result<ScanResult, Error> {
    profile.validate()?;
    let plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, range.from, range.to)?;
    run_pass(ws, source, &plan)?;
    let mut per_symbol = Vec::new();
    for c in ws.counters() {
        per_symbol.push(*c).map_err(|_| Error::CapacityExceeded {
            what: "MAX_SYMBOLS",
            capacity: MAX_SYMBOLS,
        })?;
    }
    Ok(ScanResult {
        totals: ws.totals(),
        per_symbol,
    })
}
