//! The four phases and the final re-analysis, as functions over a [`BarSource`] and a
//! caller-owned [`Workspace`]. The host runs them on cached kline files; a
//! microcontroller runs the same functions on bars in flash, with identical numbers.
//!
//! Every phase is one or a few streaming passes ([`run_pass`]): the source replays all
//! bars in timestamp order, the workspace folds them into per-cell accumulators.

mod config;
mod dense;
mod optimize;
mod reanalysis;
mod scan;
mod screen;
mod validate;
mod walk_forward;

pub use config::{ExitSpace, ProfileConfig, SearchConfig, ValidationConfig};
pub use dense::{DenseCheck, dense_check, dense_check_visited};
pub use optimize::{OptimizeResult, START_LABELS, StartResult, optimize};
pub use reanalysis::{Reanalysis, reanalyse};
pub use scan::{ScanResult, scan};
pub use screen::{SCREEN_TOP, ScreenEntry, ScreenResult, screen, screen_visited};
pub use validate::{Validation, Verdict, pool, trade_period, validate, verdict};
pub use walk_forward::{Fold, schedule};

use crate::bar::Bar;
use crate::engine::{Lanes, Workspace};
use crate::error::Error;
use crate::plan::PassPlan;

/// Where the bars of a pass come from: every symbol's bars, merged in timestamp order
/// (ties in symbol order), replayed from the start on each call.
pub trait BarSource {
    /// Number of symbols (indices `0..symbols()`).
    fn symbols(&self) -> usize;
    /// Bar length in minutes (the same for every symbol).
    fn timeframe_minutes(&self) -> u32;
    /// Open time of the first bar and of the last bar of the data, in ms.
    fn span(&self) -> (i64, i64);
    /// Calls `sink(symbol, bar)` for every bar in order, stopping at the first error.
    ///
    /// # Errors
    /// The sink's error, or [`Error::Source`] when reading fails (the source keeps why).
    fn replay(&mut self, sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>)
    -> Result<(), Error>;
}

/// A half-open range of signal times, in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    /// First signal time included.
    pub from: i64,
    /// First signal time excluded.
    pub to: i64,
}

impl TimeRange {
    /// Splits the source's span at `fraction` (e.g. 0.7): in-sample first, out-of-sample rest.
    ///
    /// # Errors
    /// `fraction` not strictly between 0 and 1.
    pub fn split(span: (i64, i64), fraction: f64) -> Result<(TimeRange, TimeRange), Error> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(Error::InvalidParameter {
                what: "in-sample fraction must be in (0, 1)",
            });
        }
        let (first, last) = span;
        let len = (last - first) as f64;
        let split = first + crate::math::floor(len * fraction) as i64;
        let end = last.saturating_add(1);
        Ok((
            TimeRange {
                from: first,
                to: split,
            },
            TimeRange {
                from: split,
                to: end,
            },
        ))
    }

    /// The whole span.
    #[must_use]
    pub fn all(span: (i64, i64)) -> TimeRange {
        TimeRange {
            from: span.0,
            to: span.1.saturating_add(1),
        }
    }
}

/// Runs one streaming pass of `plan` over `source` in `ws`.
///
/// # Errors
/// Capacity, validation or source errors.
pub fn run_pass<
    B: BarSource + ?Sized,
    L: Lanes,
    const H: usize,
    const C: usize,
    const BATCH: usize,
>(
    ws: &mut Workspace<H, C, L, BATCH>,
    source: &mut B,
    plan: &PassPlan<'_, C>,
) -> Result<(), Error> {
    ws.begin(plan, source.symbols(), source.timeframe_minutes())?;
    source.replay(&mut |symbol, bar| ws.push(plan, symbol, bar))?;
    ws.finish(plan)
}
