//! Phase 4: out-of-sample validation.
//!
//! The chosen cell is evaluated, with the same simulator, on signals the search never
//! saw. Explicit criteria give the verdict:
//! - **FAILED**: out-of-sample expectancy after costs is not positive (including no trades);
//! - **WARNING**: positive, but fewer trades than required, or the in-sample expectancy was
//!   not positive itself (nothing was found to validate), or the expectancy fell by more
//!   than the allowed degradation from in-sample;
//! - **PASSED**: otherwise.
//!
//! A FAILED profile falls back to its conservative defaults (the caller reports it).

use super::{BarSource, ProfileConfig, TimeRange, ValidationConfig, run_pass};
use crate::engine::Workspace;
use crate::error::Error;
use crate::plan::{CellDef, PassPlan};
use crate::stats::{CellStats, expectancy};

/// Phase 4 verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Every criterion holds.
    Passed,
    /// Profitable out of sample, but thin or degraded.
    Warning,
    /// Not profitable out of sample: fall back to the conservative defaults.
    Failed,
}

impl Verdict {
    /// Upper-case name, as in the report.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Warning => "WARNING",
            Verdict::Failed => "FAILED",
        }
    }
}

/// The Phase 4 result of one profile.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Validation {
    /// The chosen cell.
    pub cell: CellDef,
    /// Its in-sample statistics (all in-sample candidates).
    pub in_sample: CellStats,
    /// Its out-of-sample statistics.
    pub out_of_sample: CellStats,
    /// Out-of-sample opportunities (capture-rate denominator).
    pub out_of_sample_opportunities: u32,
    /// Enough out-of-sample trades.
    pub enough_trades: bool,
    /// Out-of-sample expectancy > 0.
    pub positive: bool,
    /// In-sample expectancy positive and the out-of-sample drop within the bound.
    pub within_degradation: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// The verdict of the criteria, as a pure function (documented in the module).
#[must_use]
pub fn verdict(
    in_sample: &CellStats,
    out_of_sample: &CellStats,
    cfg: &ValidationConfig,
) -> (bool, bool, bool, Verdict) {
    let enough = out_of_sample.trades >= cfg.min_trades;
    let oos = expectancy(out_of_sample);
    let is = expectancy(in_sample);
    let positive = out_of_sample.trades > 0 && oos > 0.0;
    let within = is > 0.0 && oos >= is * (1.0 - cfg.max_degradation);
    let v = if !positive {
        Verdict::Failed
    } else if enough && within {
        Verdict::Passed
    } else {
        Verdict::Warning
    };
    (enough, positive, within, v)
}

/// Runs Phase 4 for `cell` (whose in-sample statistics on all candidates are `in_sample`)
/// on signals in `out_of_sample`.
///
/// # Errors
/// Capacity, validation or source errors.
pub fn validate<B: BarSource + ?Sized, const S: usize, const H: usize, const C: usize>(
    ws: &mut Workspace<S, H, C>,
    source: &mut B,
    profile: &ProfileConfig,
    cfg: &ValidationConfig,
    cell: &CellDef,
    in_sample: &CellStats,
    out_of_sample: TimeRange,
) -> Result<Validation, Error> {
    if !(cfg.max_degradation.is_finite() && cfg.max_degradation >= 0.0) {
        return Err(Error::InvalidParameter {
            what: "max degradation must be >= 0",
        });
    }
    let mut plan: PassPlan<'_, C> =
        PassPlan::new(&profile.spec, out_of_sample.from, out_of_sample.to)?;
    plan.push_cell(*cell)?;
    plan.finalize()?;
    run_pass(ws, source, &plan)?;
    let oos = ws.stats(1)[0];
    let (enough_trades, positive, within_degradation, v) = verdict(in_sample, &oos, cfg);
    Ok(Validation {
        cell: *cell,
        in_sample: *in_sample,
        out_of_sample: oos,
        out_of_sample_opportunities: ws.totals().opportunities,
        enough_trades,
        positive,
        within_degradation,
        verdict: v,
    })
}
