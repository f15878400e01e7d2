//! Entries meet bars: each row of the entries file waits until the bars of its time
//! stream by, and is then queued for its symbol or refused with its reason
//! ([`BadEntry`]).

use super::entries::{BadEntry, EntryCounts, EntryReader, Row};
use crate::data;
use crate::error::AppError;

/// Most entries waiting at one timestamp (all symbols), read ahead while their bars stream.
pub const MAX_SAME_TIME_ENTRIES: usize = 16 * 1024;

/// What the pass needs to know about each series.
#[derive(Clone, Debug)]
pub(super) struct SeriesInfo {
    pub(super) symbol: String,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) step: i64,
}

/// Pairs entry rows with the bars as they stream: rows of time `t` wait in `group` until
/// the bars of time `t` have passed.
pub(super) struct Matcher {
    pub(super) reader: EntryReader,
    pub(super) info: Vec<SeriesInfo>,
    pub(super) group: Vec<Row>,
    pub(super) skip: bool,
    pub(super) counts: EntryCounts,
}

impl Matcher {
    pub(super) fn bad(&mut self, row: &Row, why: BadEntry) -> Result<(), AppError> {
        let message = self.describe(row, why);
        if self.skip {
            self.counts.skipped[why.index()] += 1;
            if self.counts.first_skip.is_none() {
                self.counts.first_skip = Some(format!("line {}: {message}", row.line));
            }
            Ok(())
        } else {
            Err(self.reader.err(
                row.line,
                format!("{message} (use --skip-bad-entries to skip such rows)"),
            ))
        }
    }

    fn describe(&self, row: &Row, why: BadEntry) -> String {
        let when = data::format_utc(row.time);
        let info = row.symbol.and_then(|s| self.info.get(usize::from(s)));
        match (why, info) {
            (BadEntry::UnknownSymbol, _) | (_, None) => {
                let known: Vec<&str> = self.info.iter().map(|i| i.symbol.as_str()).collect();
                format!(
                    "symbol '{}' is not in the data (symbols: {})",
                    row.symbol_text,
                    known.join(", ")
                )
            }
            (BadEntry::BeforeData, Some(i)) => format!(
                "{when} is before the first bar of {} ({})",
                i.symbol,
                data::format_utc(i.first)
            ),
            (BadEntry::AfterData, Some(i)) => format!(
                "{when} is after the last bar of {} ({})",
                i.symbol,
                data::format_utc(i.last)
            ),
            (BadEntry::NoBar, Some(i)) => {
                if (row.time - i.first).rem_euclid(i.step) == 0 {
                    format!(
                        "{} has no bar at {when}: a gap in the data (missing candles)",
                        i.symbol
                    )
                } else {
                    format!(
                        "{when} is not a bar open time of {} ({} bars from {})",
                        i.symbol,
                        data::format_duration(i.step),
                        data::format_utc(i.first)
                    )
                }
            }
            (BadEntry::NoAtr, Some(i)) => format!(
                "{} at {when} has no ATR(14) yet (fewer than 14 bars, or flat prices): give an atr column",
                i.symbol
            ),
            (BadEntry::NoFill, Some(i)) => format!(
                "{when} is the last bar of {}: no next bar to enter at (trading.entry = next_open)",
                i.symbol
            ),
        }
    }

    /// Why a row no bar matched was not matched.
    fn unmatched(&mut self, row: &Row) -> Result<(), AppError> {
        let why = match row.symbol.and_then(|s| self.info.get(usize::from(s))) {
            None => BadEntry::UnknownSymbol,
            Some(i) if row.time < i.first => BadEntry::BeforeData,
            Some(i) if row.time > i.last => BadEntry::AfterData,
            Some(_) => BadEntry::NoBar,
        };
        self.bad(row, why)
    }

    /// Settles every row before `t` and gathers the rows at `t`.
    pub(super) fn advance_to(&mut self, t: i64) -> Result<(), AppError> {
        if self.group.first().is_some_and(|r| r.time < t) {
            let rows = std::mem::take(&mut self.group);
            for r in &rows {
                self.unmatched(r)?;
            }
        }
        loop {
            let Some(row) = self.reader.peek()? else {
                return Ok(());
            };
            if row.time > t {
                return Ok(());
            }
            let Some(row) = self.reader.take() else {
                return Ok(());
            };
            self.counts.rows += 1;
            if row.symbol.is_none() {
                self.bad(&row, BadEntry::UnknownSymbol)?;
            } else if row.time < t {
                self.unmatched(&row)?;
            } else {
                if self.group.len() >= MAX_SAME_TIME_ENTRIES {
                    return Err(AppError::Capacity(format!(
                        "{}:{}: more than {MAX_SAME_TIME_ENTRIES} entries at {}",
                        self.reader.path.display(),
                        row.line,
                        data::format_utc(row.time)
                    )));
                }
                self.group.push(row);
            }
        }
    }

    /// Removes and returns the waiting rows of `symbol` (in file order).
    pub(super) fn take_for(&mut self, symbol: u16, out: &mut Vec<Row>) {
        out.clear();
        if self.group.iter().all(|r| r.symbol != Some(symbol)) {
            return;
        }
        let mut rest = Vec::with_capacity(self.group.len());
        for r in self.group.drain(..) {
            if r.symbol == Some(symbol) {
                out.push(r);
            } else {
                rest.push(r);
            }
        }
        self.group = rest;
    }

    /// The bars are done: every row left was not matched.
    pub(super) fn finish(&mut self) -> Result<(), AppError> {
        let rows = std::mem::take(&mut self.group);
        for r in &rows {
            self.unmatched(r)?;
        }
        while let Some(row) = self.reader.read_row()? {
            self.counts.rows += 1;
            self.unmatched(&row)?;
        }
        if let Some(row) = self.reader.take() {
            self.counts.rows += 1;
            self.unmatched(&row)?;
        }
        Ok(())
    }
}
