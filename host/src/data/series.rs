//! A series (one symbol, one timeframe, one or more files) streamed and checked.
//!
//! On top of the per-file checks of [`BarFile`], a series requires that its
//! files follow each other in time without overlap, that all use one timestamp
//! unit, and that every step between consecutive bars is a positive multiple
//! of the timeframe. A step of exactly one timeframe is normal; a larger
//! multiple is a *gap* (missing candles), counted and reported but allowed.
//! Anything else means the timeframe is wrong or the data misaligned.

use std::path::PathBuf;

use phasebound_core::Bar;

use super::error::{DataError, DataErrorKind, EmptyRange};
use super::file::BarFile;
use super::merge::TimeRange;
use super::naming::{is_supported_timeframe, timeframe_label};

/// One symbol's data at one timeframe: its files in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesSpec {
    /// Canonical symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Timeframe in minutes.
    pub timeframe_minutes: u32,
    /// The files, ordered by their first timestamp.
    pub files: Vec<PathBuf>,
    /// The bars used (`--timerange`): every bar of the files is still read and
    /// checked, but only those in the range are passed on and counted.
    pub range: TimeRange,
}

impl SeriesSpec {
    /// The timeframe in milliseconds.
    #[must_use]
    pub fn timeframe_ms(&self) -> i64 {
        i64::from(self.timeframe_minutes) * 60_000
    }
}

/// What a full pass over a series found (its bars in the spec's range).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Number of bars.
    pub bars: u64,
    /// Open time of the first bar, ms.
    pub first_time: i64,
    /// Open time of the last bar, ms.
    pub last_time: i64,
    /// Steps between consecutive bars longer than the timeframe.
    pub gaps: u64,
    /// The longest such step, ms (0 without gaps).
    pub largest_gap_ms: i64,
}

/// Streams every bar of a series, fully validated, into `f`; no cache.
///
/// # Errors
/// The first problem of any file, with file and line.
pub fn for_each_bar(
    spec: &SeriesSpec,
    mut f: impl FnMut(&Bar),
) -> Result<SeriesSummary, DataError> {
    scan(spec, None, |bar| {
        f(bar);
        Ok(())
    })
}

/// The one pass behind [`for_each_bar`] and the cache builder. With
/// `expected_hashes`, each file is hashed while parsed and must match (the
/// file did not change since it was hashed). `sink` may fail (cache writes).
pub(crate) fn scan(
    spec: &SeriesSpec,
    expected_hashes: Option<&[[u8; 32]]>,
    mut sink: impl FnMut(&Bar) -> Result<(), DataError>,
) -> Result<SeriesSummary, DataError> {
    if !is_supported_timeframe(spec.timeframe_minutes) {
        return Err(DataError::new(
            spec.files.first().cloned().unwrap_or_default(),
            DataErrorKind::UnknownTimeframe {
                name: timeframe_label(spec.timeframe_minutes),
            },
        ));
    }
    let step = spec.timeframe_ms();
    let mut summary = SeriesSummary::default();
    // The previous bar of the files (all checks) and of the range (gaps, counts).
    let mut previous: Option<i64> = None;
    let mut previous_kept: Option<i64> = None;
    let mut first: Option<i64> = None;
    // Each file's time unit is detected on its own (and must be uniform within the
    // file): Binance's spot files switched from ms to µs on 2025-01-01, so monthly
    // files of one series legitimately differ, and the magnitudes cannot be confused.
    for (index, path) in spec.files.iter().enumerate() {
        let mut file = BarFile::open_inner(path, expected_hashes.is_some())?;
        let mut first_of_file = true;
        while let Some(bar) = file.next_bar()? {
            if let Some(prev) = previous {
                if first_of_file && bar.time <= prev {
                    return Err(file.error_here(DataErrorKind::FilesOverlap {
                        previous: spec
                            .files
                            .get(index.wrapping_sub(1))
                            .cloned()
                            .unwrap_or_default(),
                        previous_last: Some(prev),
                        first: bar.time,
                    }));
                }
                let delta = bar.time - prev;
                if delta % step != 0 {
                    return Err(file.error_here(DataErrorKind::SpacingNotMultiple {
                        expected_ms: step,
                        got_ms: delta,
                    }));
                }
            } else {
                first = Some(bar.time);
            }
            first_of_file = false;
            previous = Some(bar.time);
            if !spec.range.contains(bar.time) {
                continue;
            }
            match previous_kept {
                Some(kept) => {
                    let delta = bar.time - kept;
                    if delta > step {
                        summary.gaps += 1;
                        summary.largest_gap_ms = summary.largest_gap_ms.max(delta);
                    }
                }
                None => summary.first_time = bar.time,
            }
            previous_kept = Some(bar.time);
            summary.bars += 1;
            sink(&bar)?;
        }
        if let Some(expected) = expected_hashes.and_then(|h| h.get(index))
            && file.finish_hash().as_ref() != Some(expected)
        {
            return Err(DataError::new(path, DataErrorKind::InputChanged));
        }
    }
    match (previous_kept, first, previous) {
        (Some(last), _, _) => summary.last_time = last,
        (None, Some(first), Some(last)) => {
            return Err(DataError::new(
                PathBuf::new(),
                DataErrorKind::EmptyRange(Box::new(EmptyRange {
                    symbol: spec.symbol.clone(),
                    range: spec.range.label().unwrap_or_default(),
                    first,
                    last,
                })),
            ));
        }
        _ => {
            return Err(DataError::new(
                PathBuf::new(),
                DataErrorKind::NoUsableFiles {
                    detail: format!("series {} has no files", spec.symbol),
                },
            ));
        }
    }
    Ok(summary)
}
