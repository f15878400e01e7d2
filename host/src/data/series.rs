//! A series (one symbol, one timeframe, one or more files) streamed and checked.
//!
//! On top of the per-file checks of [`BarFile`], a series requires that its
//! files follow each other in time without overlap and that its bars open on
//! the timeframe's grid: multiples of the timeframe from 00:00 UTC, as every
//! exchange cuts candles of 1m to 1d (each supported timeframe divides a day).
//!
//! - A bar **off the grid** (Binance's 2018 BNB 15m data holds one) is skipped
//!   and counted per file, so one stray row does not stop a nightly run;
//!   [`BarPolicy::strict`] (`--strict`) makes it an error instead. A file
//!   whose bars are mostly off the grid is an error either way: its timeframe
//!   or time zone is wrong, and skipping would leave a wrong series.
//! - A **gap** (a step of several timeframes: missing candles) is counted and
//!   allowed; trades never span one (the engine ends a trade's window at the
//!   last bar before it). A gap longer than [`MAX_GAP_MS`] (32 days: one
//!   missing monthly file is tolerated, two are not) is an error: such files
//!   are separate data sets (another period) merged only by their names.
//! - An **implausible bar**, whose high or low lies more than
//!   [`BarPolicy::max_jump`] times (default [`DEFAULT_MAX_JUMP`]) above or below
//!   the previous kept bar's close (a bad print such as a high of 1e308), is
//!   skipped and counted like a bar off the grid (an error with `--strict`).
//!   [`LEVEL_SHIFT_BARS`] such bars in a row are no bad print but a new price
//!   level (a redenomination, a changed unit, or a real collapse): an error
//!   either way, which names `--max-jump 0` to accept it.
//! - A series in which **no two consecutive bars** are one timeframe apart
//!   holds a longer timeframe than it is read as (1h bars named `-15m`): an
//!   error naming the step found.

use std::path::PathBuf;

use phasebound_core::Bar;

use super::error::{DataError, DataErrorKind, EmptyRange, SeriesGap};
use super::file::BarFile;
use super::merge::TimeRange;
use super::naming::{is_supported_timeframe, timeframe_label};
use super::time::TimeUnit;

/// The longest run of missing bars a series may hold, ms (32 days).
pub const MAX_GAP_MS: i64 = 32 * 86_400_000;
/// Default [`BarPolicy::max_jump`]: a tenfold move within one bar. Real markets
/// do not make one between two consecutive 1m…1d bars outside collapses such as
/// LUNA's in May 2022, which [`LEVEL_SHIFT_BARS`] turns into an error, not a skip.
pub const DEFAULT_MAX_JUMP: u32 = 10;
/// Implausible bars in a row that mean a new price level rather than bad prints.
pub const LEVEL_SHIFT_BARS: u64 = 4;

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
    /// What to do with bars off the grid or implausible.
    pub policy: BarPolicy,
}

/// What a series does with bars that are valid alone but wrong in their series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarPolicy {
    /// A bar off the timeframe's grid, or implausible, is an error
    /// (`--strict`) instead of being skipped and counted.
    pub strict: bool,
    /// A bar whose high exceeds `max_jump` × the previous close, or whose low is
    /// below it / `max_jump`, is implausible; 0 turns the check off (`--max-jump`).
    pub max_jump: u32,
}

impl Default for BarPolicy {
    fn default() -> Self {
        Self {
            strict: false,
            max_jump: DEFAULT_MAX_JUMP,
        }
    }
}

impl SeriesSpec {
    /// A whole-series spec (no range, not strict).
    #[must_use]
    pub fn new(symbol: impl Into<String>, timeframe_minutes: u32, files: Vec<PathBuf>) -> Self {
        Self {
            symbol: symbol.into(),
            timeframe_minutes,
            files,
            range: TimeRange::ALL,
            policy: BarPolicy::default(),
        }
    }

    /// The timeframe in milliseconds.
    #[must_use]
    pub fn timeframe_ms(&self) -> i64 {
        i64::from(self.timeframe_minutes) * 60_000
    }
}

/// What a pass found in one file of a series (bars in the spec's range).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileSummary {
    /// Bars passed on.
    pub bars: u64,
    /// Bars skipped because they open off the timeframe's grid.
    pub off_grid: u64,
    /// Bars skipped as implausible (see [`BarPolicy::max_jump`]).
    pub implausible: u64,
    /// The unit of the file's timestamps, told from their magnitude.
    pub unit: Option<TimeUnit>,
}

/// What a full pass over a series found (its bars in the spec's range).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Per file, in series order.
    pub files: Vec<FileSummary>,
}

impl SeriesSummary {
    /// Bars skipped off the grid, over all files.
    #[must_use]
    pub fn off_grid(&self) -> u64 {
        self.files.iter().map(|f| f.off_grid).sum()
    }

    /// Bars skipped as implausible, over all files.
    #[must_use]
    pub fn implausible(&self) -> u64 {
        self.files.iter().map(|f| f.implausible).sum()
    }
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
    // The previous bar of the files (order, overlap) and of the kept bars (gaps).
    let mut previous: Option<i64> = None;
    let mut previous_kept: Option<(i64, usize)> = None;
    let mut first: Option<i64> = None;
    let mut smallest_step = i64::MAX;
    // The last kept close, and how many implausible bars in a row followed it.
    let mut reference: Option<f64> = None;
    let mut implausible_run = 0_u64;
    let BarPolicy { strict, max_jump } = spec.policy;
    let jump = f64::from(max_jump);
    // Each file's time unit is detected on its own (and must be uniform within the
    // file): Binance's spot files switched from ms to µs on 2025-01-01, so monthly
    // files of one series legitimately differ, and the magnitudes cannot be confused.
    for (index, path) in spec.files.iter().enumerate() {
        let mut file = BarFile::open_inner(path, expected_hashes.is_some())?;
        let mut first_of_file = true;
        let mut counts = FileSummary::default();
        while let Some(bar) = file.next_bar()? {
            if let Some(prev) = previous
                && first_of_file
                && bar.time <= prev
            {
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
            first.get_or_insert(bar.time);
            first_of_file = false;
            previous = Some(bar.time);
            let on_grid = bar.time.rem_euclid(step) == 0;
            if !on_grid && strict {
                return Err(file.error_here(DataErrorKind::OffGrid {
                    timeframe_ms: step,
                    time: bar.time,
                }));
            }
            if !spec.range.contains(bar.time) {
                continue;
            }
            if !on_grid {
                counts.off_grid += 1;
                continue;
            }
            if let Some(close) = reference
                && max_jump > 0
                && (bar.high > close * jump || bar.low < close / jump)
            {
                let kind = DataErrorKind::ImplausibleBar {
                    previous_close: close,
                    high: bar.high,
                    low: bar.low,
                    max_jump,
                    level_shift: implausible_run + 1 >= LEVEL_SHIFT_BARS,
                };
                if strict || implausible_run + 1 >= LEVEL_SHIFT_BARS {
                    return Err(file.error_here(kind));
                }
                implausible_run += 1;
                counts.implausible += 1;
                continue;
            }
            implausible_run = 0;
            reference = Some(bar.close);
            match previous_kept {
                Some((kept, kept_file)) => {
                    let delta = bar.time - kept;
                    smallest_step = smallest_step.min(delta);
                    if delta > MAX_GAP_MS {
                        let previous_file = (kept_file != index)
                            .then(|| spec.files.get(kept_file).cloned())
                            .flatten();
                        return Err(file.error_here(DataErrorKind::SeriesGap(Box::new(
                            SeriesGap {
                                symbol: spec.symbol.clone(),
                                before: kept,
                                after: bar.time,
                                previous_file,
                            },
                        ))));
                    }
                    if delta > step {
                        summary.gaps += 1;
                        summary.largest_gap_ms = summary.largest_gap_ms.max(delta);
                    }
                }
                None => summary.first_time = bar.time,
            }
            previous_kept = Some((bar.time, index));
            counts.bars += 1;
            summary.bars += 1;
            sink(&bar)?;
        }
        counts.unit = file.time_unit();
        if let Some(expected) = expected_hashes.and_then(|h| h.get(index))
            && file.finish_hash().as_ref() != Some(expected)
        {
            return Err(DataError::new(path, DataErrorKind::InputChanged));
        }
        if counts.off_grid > counts.bars {
            return Err(DataError::new(
                path,
                DataErrorKind::MostlyOffGrid {
                    timeframe_ms: step,
                    off_grid: counts.off_grid,
                    on_grid: counts.bars,
                },
            ));
        }
        summary.files.push(counts);
    }
    // Two steps at least, so that a series of two bars across one gap is not judged.
    if summary.bars >= 3 && smallest_step > step {
        return Err(DataError::new(
            spec.files.first().cloned().unwrap_or_default(),
            DataErrorKind::TimeframeTooShort {
                timeframe_ms: step,
                smallest_step_ms: smallest_step,
            },
        ));
    }
    match (previous_kept, first, previous) {
        (Some((last, _)), _, _) => summary.last_time = last,
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
