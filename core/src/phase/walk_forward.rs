//! Where the walk-forward folds fall: the schedule Phase 4 validates the nightly
//! procedure on.
//!
//! The data's span `[first, last]` (open times of the first and last bar of any symbol) is
//! cut into an initial training span and `K` consecutive test folds:
//!
//! - the first fold starts at `first + ⌊(last + 1 − first) × fraction⌋`, rounded up to
//!   the next UTC midnight (folds hold whole UTC days, so pooled daily returns never
//!   count a day twice);
//! - every fold is `⌊(end − first fold's start) / K⌋` whole days long, the last one
//!   running to the end of the data: `end` is the first UTC midnight after the last bar's
//!   open, so the last fold holds the last bar and every date is a midnight;
//! - fold `k` trains on every signal from `first` up to its start minus the **purge**
//!   (the longest hold plus the opportunity horizon, in time): a training trade's window
//!   can then never reach into the fold it is judged on.
//!
//! Every signal time in a fold belongs to exactly one fold; the folds do not overlap and
//! cover the whole span after the initial training.

use super::TimeRange;
use crate::account::DAY_MS;
use crate::budget::MAX_FOLDS;
use crate::error::Error;
use heapless::Vec;

/// One walk-forward fold: what the procedure trains on, and the period it then trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fold {
    /// Signals the procedure is fitted on (ends `purge` before `test.from`).
    pub train: TimeRange,
    /// Signals the fitted parameters then trade, out of sample.
    pub test: TimeRange,
}

/// The walk-forward schedule of `folds` folds over `span` (see the module docs).
///
/// # Errors
/// [`Error::InvalidParameter`] when `fraction` is not in `(0, 1)`, `folds` is 0, the
/// purge is negative, a fold would be shorter than one day, or a training span would
/// be empty; [`Error::CapacityExceeded`] for more than [`MAX_FOLDS`] folds.
pub fn schedule(
    span: (i64, i64),
    fraction: f64,
    folds: u8,
    purge_ms: i64,
) -> Result<Vec<Fold, MAX_FOLDS>, Error> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Error::InvalidParameter {
            what: "initial training fraction must be in (0, 1)",
        });
    }
    if folds == 0 {
        return Err(Error::InvalidParameter {
            what: "at least one walk-forward fold",
        });
    }
    if usize::from(folds) > MAX_FOLDS {
        return Err(Error::CapacityExceeded {
            what: "MAX_FOLDS",
            capacity: MAX_FOLDS,
        });
    }
    if purge_ms < 0 {
        return Err(Error::InvalidParameter {
            what: "purge must be >= 0",
        });
    }
    let (first, last) = span;
    let len = last.saturating_add(1).saturating_sub(first);
    let end = ceil_day(last.saturating_add(1));
    let start = ceil_day(first + crate::math::floor(len as f64 * fraction) as i64);
    let fold_days = (end - start).div_euclid(DAY_MS) / i64::from(folds);
    if fold_days < 1 {
        return Err(Error::InvalidParameter {
            what: "too little data after the initial training span for one day per fold",
        });
    }
    let mut out = Vec::new();
    for k in 0..i64::from(folds) {
        let from = start + k * fold_days * DAY_MS;
        let to = if k + 1 == i64::from(folds) {
            end
        } else {
            from + fold_days * DAY_MS
        };
        let train = TimeRange {
            from: first,
            to: from - purge_ms,
        };
        if train.to <= train.from {
            return Err(Error::InvalidParameter {
                what: "walk-forward training span empty after the purge",
            });
        }
        let _ = out.push(Fold {
            train,
            test: TimeRange { from, to },
        });
    }
    Ok(out)
}

/// The first UTC midnight at or after `t`.
fn ceil_day(t: i64) -> i64 {
    t.div_euclid(DAY_MS) * DAY_MS + if t.rem_euclid(DAY_MS) == 0 { 0 } else { DAY_MS }
}
