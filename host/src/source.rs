//! The core's [`BarSource`] over cached series: every pass reopens the cache files and
//! merges them by timestamp with fixed-size read buffers, so a pass costs one sequential
//! read of the cache and memory independent of its length.

use crate::data::{CachedSeries, DataError, Merged, SeriesReader, TimeRange};
use crate::error::AppError;
use phasebound_core::phase::BarSource;
use phasebound_core::{Bar, Error};

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
                                crate::data::DataErrorKind::BadCache {
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
