//! The chronological k-way merge of several series.
//!
//! [`Merged`] holds one head bar per series and yields the smallest
//! `(time, symbol_index)` each time, so bars of equal time come out in symbol
//! order and the sequence is the same on every run. The heads are kept in a binary
//! heap keyed by `(time, symbol_index)`, so a bar costs O(log n) for n series (a run
//! may have hundreds). Memory: one read buffer, one bar and one heap slot per series.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;

use phasebound_core::Bar;

use super::cache::SeriesReader;
use super::time::{format_yyyymmdd, parse_yyyymmdd};

/// A half-open time range `[from, to)` in ms; `None` leaves a side open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// First time included, ms.
    pub from: Option<i64>,
    /// First time excluded, ms.
    pub to: Option<i64>,
}

impl TimeRange {
    /// The whole time axis.
    pub const ALL: TimeRange = TimeRange {
        from: None,
        to: None,
    };

    /// Whether `t` lies in the range.
    #[must_use]
    pub fn contains(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// Parses freqtrade's `--timerange` syntax, `YYYYMMDD-YYYYMMDD`, either side
    /// optional (`20240101-`, `-20240301`): bars whose open time is at or after
    /// the first date's midnight UTC and before the second date's midnight UTC.
    /// The end date is excluded, so `20240301-20240401` is March 2024.
    ///
    /// # Errors
    /// A message saying what is wrong (no `-`, not a date, an empty range).
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((start, end)) = text.trim().split_once('-') else {
            return Err(
                "expected YYYYMMDD-YYYYMMDD (either side may be left out: 20240101-, -20240301)"
                    .to_owned(),
            );
        };
        let side = |t: &str| (!t.is_empty()).then(|| parse_yyyymmdd(t)).transpose();
        let range = TimeRange {
            from: side(start)?,
            to: side(end)?,
        };
        match (range.from, range.to) {
            (None, None) => Err("give a start date, an end date or both".to_owned()),
            (Some(from), Some(to)) if to <= from => Err(format!(
                "the end date {end} is not after the start date {start} (the end date is excluded)"
            )),
            _ => Ok(range),
        }
    }

    /// The range in `--timerange` syntax (`20240301-20240401`, `20240301-`);
    /// `None` for the whole time axis.
    #[must_use]
    pub fn label(&self) -> Option<String> {
        if *self == Self::ALL {
            return None;
        }
        let side = |t: Option<i64>| t.map(format_yyyymmdd).unwrap_or_default();
        Some(format!("{}-{}", side(self.from), side(self.to)))
    }
}

/// Bars of several series in `(time, symbol_index)` order, where
/// `symbol_index` is the position of the series' reader in the list given to
/// [`Merged::new`].
#[derive(Debug)]
pub struct Merged {
    readers: Vec<SeriesReader>,
    heads: Vec<Option<Bar>>,
    /// `(time, index)` of every series that has a head: the smallest comes out first.
    order: BinaryHeap<Reverse<(i64, u16)>>,
    range: TimeRange,
}

impl Merged {
    /// Starts the merge; each reader is first positioned at `range.from`.
    ///
    /// # Errors
    /// I/O errors of the readers; `InvalidInput` for more than 65,536 readers.
    pub fn new(mut readers: Vec<SeriesReader>, range: TimeRange) -> io::Result<Self> {
        if readers.len() > usize::from(u16::MAX) + 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "more series than a u16 index holds",
            ));
        }
        let mut heads = Vec::with_capacity(readers.len());
        let mut order = BinaryHeap::with_capacity(readers.len());
        for (i, reader) in readers.iter_mut().enumerate() {
            match range.from {
                Some(from) => reader.seek_to_time(from)?,
                None => reader.rewind()?,
            }
            let head = Self::pull(reader, range)?;
            if let Some(bar) = &head {
                order.push(Reverse((bar.time, i as u16)));
            }
            heads.push(head);
        }
        Ok(Self {
            readers,
            heads,
            order,
            range,
        })
    }

    /// Number of series merged.
    #[must_use]
    pub fn series(&self) -> usize {
        self.readers.len()
    }

    /// The next bar of all series, with its series index; `Ok(None)` when every
    /// series is past the range.
    ///
    /// # Errors
    /// I/O errors of the readers.
    pub fn next_bar(&mut self) -> io::Result<Option<(u16, Bar)>> {
        let Some(Reverse((_, index))) = self.order.pop() else {
            return Ok(None);
        };
        let i = usize::from(index);
        let (Some(reader), Some(head)) = (self.readers.get_mut(i), self.heads.get_mut(i)) else {
            return Ok(None);
        };
        let Some(bar) = head.take() else {
            return Ok(None);
        };
        *head = Self::pull(reader, self.range)?;
        if let Some(next) = head {
            self.order.push(Reverse((next.time, index)));
        }
        Ok(Some((index, bar)))
    }

    /// The next bar of one reader if it lies before the range's end.
    fn pull(reader: &mut SeriesReader, range: TimeRange) -> io::Result<Option<Bar>> {
        Ok(reader
            .next_bar()?
            .filter(|b| range.to.is_none_or(|to| b.time < to)))
    }
}

impl Iterator for Merged {
    type Item = io::Result<(u16, Bar)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_bar().transpose()
    }
}
