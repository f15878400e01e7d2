//! The first lines of the human summary: what was loaded (symbols, periods,
//! bars, gaps, skipped bars) and how the walk-forward cut it (split dates).

use std::fmt::Write as _;

use super::ProfileOutcome;
use crate::data::{self, CachedSeries, TimeRange, format_duration, format_utc};

/// The data block: one line for the whole, one per symbol, then the split dates.
#[must_use]
pub fn loaded(
    series: &[CachedSeries],
    tf: u32,
    range: TimeRange,
    embedded: bool,
    outcomes: &[ProfileOutcome],
) -> String {
    let mut s = String::new();
    let first = series
        .iter()
        .map(|x| x.first_time)
        .min()
        .unwrap_or_default();
    let last = series.iter().map(|x| x.last_time).max().unwrap_or_default();
    let _ = writeln!(
        s,
        "Data: {} symbol(s) of {} bars, {} … {}{}{}",
        series.len(),
        data::timeframe_label(tf),
        format_utc(first),
        format_utc(last),
        range
            .label()
            .map(|l| format!(" (--timerange {l})"))
            .unwrap_or_default(),
        if embedded {
            ", the embedded synthetic market"
        } else {
            ""
        },
    );
    for x in series {
        let _ = write!(
            s,
            "  {}: {} bars, {} … {}, {} file(s)",
            x.symbol,
            x.bars,
            format_utc(x.first_time),
            format_utc(x.last_time),
            x.files.len()
        );
        if x.gaps > 0 {
            let _ = write!(
                s,
                ", {} gap(s) (longest {})",
                x.gaps,
                format_duration(x.largest_gap_ms)
            );
        }
        let skipped: u64 = x.files.iter().map(|f| f.off_grid).sum();
        if skipped > 0 {
            let _ = write!(s, ", {skipped} bar(s) off the timeframe's grid skipped");
        }
        let implausible: u64 = x.files.iter().map(|f| f.implausible).sum();
        if implausible > 0 {
            let _ = write!(s, ", {implausible} implausible bar(s) skipped");
        }
        let _ = writeln!(s);
    }
    if let Some(o) = outcomes.first()
        && let (Some(f1), Some(fl)) = (o.folds.first(), o.folds.last())
    {
        let starts: Vec<String> = o
            .folds
            .iter()
            .map(|f| format_utc(f.fold.test.from))
            .collect();
        let purges: Vec<String> = outcomes
            .iter()
            .map(|o| format!("{} {}", o.profile.name(), format_duration(o.purge_ms)))
            .collect();
        let _ = writeln!(
            s,
            "Walk-forward: initial training {} … {}; {} out-of-sample fold(s) starting {}, the last ending at {}; purge before each fold: {}",
            format_utc(first),
            format_utc(f1.fold.test.from),
            o.folds.len(),
            starts.join(", "),
            format_utc(fl.fold.test.to),
            purges.join(", ")
        );
    }
    s
}
