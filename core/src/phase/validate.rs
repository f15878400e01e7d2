//! Phase 4: the out-of-sample evidence and the verdict.
//!
//! The chosen parameters trade periods the search never saw ([`trade_period`], one pass
//! each); the periods' accounts are chained into one pooled out-of-sample account
//! ([`pool`]), and the verdict is a statistical test of its daily returns ([`verdict`]):
//!
//! - **FAILED**: the pooled mean daily return is not positive (no trades included);
//! - **PASSED**: positive, at least `min_trades` trades, trades in more than half of the
//!   periods, and significant: the one-sided t-test of the daily returns (H₀: mean ≤ 0)
//!   has a p-value below `alpha`;
//! - **WARNING**: positive, but not significant or too thin. Only PASSED may ship.
//!
//! The host validates the nightly *procedure* this way on walk-forward folds (each fold
//! with the parameters fitted before it); [`validate`] is the case of one cell over
//! several periods (an incumbent, a configured fallback, or the firmware's single split).

use super::{BarSource, ProfileConfig, TimeRange, ValidationConfig, run_pass};
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::plan::{CellDef, PassPlan};
use crate::stats::{CellStats, daily_mean, daily_p_value};

/// Phase 4 verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Positive, significant and enough evidence: may ship.
    Passed,
    /// Positive out of sample, but not significant or too thin: does not ship.
    Warning,
    /// Not profitable out of sample.
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
    /// The cell judged (for walk-forward: the final one fitted on all data).
    pub cell: CellDef,
    /// Its in-sample statistics.
    pub in_sample: CellStats,
    /// The pooled out-of-sample account.
    pub out_of_sample: CellStats,
    /// Out-of-sample opportunities (capture-rate denominator).
    pub out_of_sample_opportunities: u32,
    /// Enough trades, and trades in more than half of the periods.
    pub enough_trades: bool,
    /// Pooled mean daily return > 0.
    pub positive: bool,
    /// One-sided p-value of the daily returns below `alpha`.
    pub significant: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// The verdict of the pooled account `pooled` over `periods` periods of which
/// `periods_with_trades` had trades, as a pure function (documented in the module).
/// Returns `(enough_trades, positive, significant, verdict)`.
#[must_use]
pub fn verdict(
    pooled: &CellStats,
    periods: usize,
    periods_with_trades: usize,
    cfg: &ValidationConfig,
) -> (bool, bool, bool, Verdict) {
    let enough = pooled.trades >= cfg.min_trades && 2 * periods_with_trades > periods;
    let positive = pooled.trades > 0 && daily_mean(pooled) > 0.0;
    let significant = daily_p_value(pooled) < cfg.alpha;
    let v = if !positive {
        Verdict::Failed
    } else if enough && significant {
        Verdict::Passed
    } else {
        Verdict::Warning
    };
    (enough, positive, significant, v)
}

/// The accounts of consecutive disjoint periods chained into one (see
/// [`CellStats::chain`]), and how many of them had trades.
#[must_use]
pub fn pool<'a>(periods: impl IntoIterator<Item = &'a CellStats>) -> (CellStats, usize) {
    let mut pooled = CellStats::new();
    let mut with_trades = 0;
    for s in periods {
        pooled.chain(s);
        with_trades += usize::from(s.trades > 0);
    }
    (pooled, with_trades)
}

/// One pass: `cell` trading the signals in `period`. Returns its account and the
/// period's opportunity count.
///
/// # Errors
/// Capacity, validation or source errors.
pub fn trade_period<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    cell: &CellDef,
    period: TimeRange,
) -> Result<(CellStats, u32), Error> {
    let mut plan: PassPlan<'_, C> = PassPlan::new(&profile.spec, period.from, period.to)?;
    plan.push_cell(*cell)?;
    plan.finalize()?;
    run_pass(ws, source, &plan)?;
    Ok((ws.stats(1)[0], ws.totals().opportunities))
}

/// Phase 4 for one `cell` (whose in-sample statistics are `in_sample`) over the
/// out-of-sample `periods`, pooled.
///
/// # Errors
/// An invalid `alpha` (not in `(0, 1)`), no periods; capacity, validation or source
/// errors.
pub fn validate<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    profile: &ProfileConfig,
    cfg: &ValidationConfig,
    cell: &CellDef,
    in_sample: &CellStats,
    periods: &[TimeRange],
) -> Result<Validation, Error> {
    if !(cfg.alpha > 0.0 && cfg.alpha < 1.0) {
        return Err(Error::InvalidParameter {
            what: "alpha must be in (0, 1)",
        });
    }
    if periods.is_empty() {
        return Err(Error::InvalidParameter {
            what: "no out-of-sample period",
        });
    }
    let mut pooled = CellStats::new();
    let mut with_trades = 0usize;
    let mut opportunities = 0u32;
    for p in periods {
        let (st, opp) = trade_period(ws, source, profile, cell, *p)?;
        pooled.chain(&st);
        with_trades += usize::from(st.trades > 0);
        opportunities = opportunities.saturating_add(opp);
    }
    let (enough_trades, positive, significant, v) =
        verdict(&pooled, periods.len(), with_trades, cfg);
    Ok(Validation {
        cell: *cell,
        in_sample: *in_sample,
        out_of_sample: pooled,
        out_of_sample_opportunities: opportunities,
        enough_trades,
        positive,
        significant,
        verdict: v,
    })
}
