//! The core's [`BarSource`] over cached series: every pass reopens the cache files and
//! merges them by timestamp with fixed-size read buffers, so a pass costs one sequential
//! read of the cache and memory independent of its length.

use crate::data::{
    self, CachedSeries, DataError, DiscoverOptions, Merged, SeriesReader, SeriesSpec, TimeRange,
};
use crate::error::AppError;
use phasebound_core::phase::BarSource;
use phasebound_core::{Bar, Error};
use std::path::{Path, PathBuf};

/// Most symbols one run takes: the core numbers symbols with 16 bits. Memory grows by one
/// lane per symbol (see [`crate::workspace`]), so this is the only ceiling.
pub const MAX_RUN_SYMBOLS: usize = u16::MAX as usize;

/// Replays cached series, merged by (time, symbol index).
pub struct CacheSource<'a> {
    series: &'a [CachedSeries],
    timeframe: u32,
    span: (i64, i64),
    error: Option<AppError>,
    /// Bars replayed over all passes (progress and tests).
    pub bars_replayed: u64,
}

impl<'a> CacheSource<'a> {
    /// A source over `series` (all of timeframe `timeframe` minutes).
    ///
    /// # Errors
    /// No series, or an empty one.
    pub fn new(series: &'a [CachedSeries], timeframe: u32) -> Result<Self, AppError> {
        let first = series.iter().map(|s| s.first_time).min();
        let last = series.iter().map(|s| s.last_time).max();
        let (Some(first), Some(last)) = (first, last) else {
            return Err(AppError::Usage("no input series".into()));
        };
        Ok(Self {
            series,
            timeframe,
            span: (first, last),
            error: None,
            bars_replayed: 0,
        })
    }

    /// The error behind the last [`Error::Source`], if any.
    pub fn take_error(&mut self) -> Option<AppError> {
        self.error.take()
    }

    fn fail(&mut self, e: AppError) -> Error {
        self.error = Some(e);
        Error::Source
    }
}

impl BarSource for CacheSource<'_> {
    fn symbols(&self) -> usize {
        self.series.len()
    }

    fn timeframe_minutes(&self) -> u32 {
        self.timeframe
    }

    fn span(&self) -> (i64, i64) {
        self.span
    }

    fn replay(
        &mut self,
        sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut readers = Vec::with_capacity(self.series.len());
        for s in self.series {
            match SeriesReader::open_cached(s) {
                Ok(r) => readers.push(r),
                Err(e) => return Err(self.fail(AppError::Data(e))),
            }
        }
        let mut merged = match Merged::new(readers, TimeRange::ALL) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(AppError::io("cache", e))),
        };
        loop {
            match merged.next_bar() {
                Ok(Some((symbol, bar))) => {
                    self.bars_replayed += 1;
                    if let Err(e) = sink(symbol, &bar) {
                        // Cached bars were validated when the cache was built: a
                        // validation error here means the cache changed under us.
                        if !matches!(
                            e,
                            Error::CapacityExceeded { .. } | Error::InvalidParameter { .. }
                        ) {
                            let path = self
                                .series
                                .get(usize::from(symbol))
                                .map(|s| s.path.clone())
                                .unwrap_or_default();
                            let _ = bar;
                            self.error = Some(AppError::Data(DataError::new(
                                path,
                                data::DataErrorKind::BadCache {
                                    detail: "a cached bar was rejected (cache modified?)",
                                },
                            )));
                        }
                        return Err(e);
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(AppError::io("cache", e))),
            }
        }
    }
}

/// The series of a run: the given files and folders (or, when `data` is empty, the
/// embedded fixtures, materialized under `cache/embedded`), discovered, at most
/// [`MAX_RUN_SYMBOLS`] of them, all of one timeframe (returned in minutes), each limited
/// to `range` (`--timerange`: only its bars reach the cache, so every phase sees
/// only them), with `policy` for bars off the grid or implausible.
///
/// # Errors
/// Discovery errors, too many symbols (exit 5), mixed timeframes (exit 2), I/O.
pub fn discover_series(
    data: &[PathBuf],
    symbol: Option<&str>,
    timeframe: Option<u32>,
    range: TimeRange,
    policy: data::BarPolicy,
    cache: &Path,
) -> Result<(Vec<SeriesSpec>, u32), AppError> {
    let inputs = if data.is_empty() {
        vec![
            crate::fixtures::materialize(&cache.join("embedded"))
                .map_err(|e| AppError::io(cache, e))?,
        ]
    } else {
        data.to_vec()
    };
    let mut specs = data::discover(
        &inputs,
        &DiscoverOptions {
            symbol: symbol.map(str::to_string),
            timeframe,
        },
    )?;
    for spec in &mut specs {
        spec.range = range;
        spec.policy = policy;
    }
    if specs.len() > MAX_RUN_SYMBOLS {
        return Err(AppError::Capacity(format!(
            "{} symbols given; a run takes at most {MAX_RUN_SYMBOLS} (symbol indices are 16-bit): split the symbols into several runs",
            specs.len()
        )));
    }
    let tf = specs.first().map_or(15, |s| s.timeframe_minutes);
    if let Some(other) = specs.iter().find(|s| s.timeframe_minutes != tf) {
        return Err(AppError::Usage(format!(
            "mixed timeframes ({} and {}): pass --timeframe to choose one",
            data::timeframe_label(tf),
            data::timeframe_label(other.timeframe_minutes)
        )));
    }
    Ok((specs, tf))
}
