//! The entries file of `phasebound exits` (`symbol,time,direction[,atr]`, sorted by
//! time), streamed row by row: its rows, its times (epoch or ISO 8601 UTC), and the
//! bookkeeping of entries used and skipped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use phasebound_core::Direction;

use crate::data;
use crate::error::{AppError, EntryError};

/// Why an entry was skipped (`--skip-bad-entries`) or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BadEntry {
    /// The symbol is not among the data's symbols.
    UnknownSymbol,
    /// Before the symbol's first bar.
    BeforeData,
    /// After the symbol's last bar.
    AfterData,
    /// Inside the data but not a bar open time: a gap (missing candles) or a time off the
    /// timeframe's grid.
    NoBar,
    /// No `atr` column and the bar has no ATR(14) yet (or a zero ATR: flat prices).
    NoAtr,
    /// Next-open entry on the symbol's last bar: nothing to fill at.
    NoFill,
}

impl BadEntry {
    /// Every reason, in report order.
    pub const ALL: [BadEntry; 6] = [
        BadEntry::UnknownSymbol,
        BadEntry::BeforeData,
        BadEntry::AfterData,
        BadEntry::NoBar,
        BadEntry::NoAtr,
        BadEntry::NoFill,
    ];

    /// Stable snake_case name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            BadEntry::UnknownSymbol => "unknown_symbol",
            BadEntry::BeforeData => "before_data",
            BadEntry::AfterData => "after_data",
            BadEntry::NoBar => "no_bar_at_time",
            BadEntry::NoAtr => "no_atr",
            BadEntry::NoFill => "no_fill",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// Entries read, used and skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntryCounts {
    /// Rows read (excluding header and blank lines).
    pub rows: u64,
    /// Entries queued in the engine.
    pub used: u64,
    /// Of them, long.
    pub longs: u64,
    /// Skipped, per [`BadEntry`] (index order of [`BadEntry::ALL`]).
    pub skipped: [u64; 6],
    /// The first skipped row's message, for the summary.
    pub first_skip: Option<String>,
}

impl EntryCounts {
    /// All skipped rows.
    #[must_use]
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }
}

/// One parsed row.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) symbol: Option<u16>,
    pub(super) symbol_text: String,
    pub(super) time: i64,
    pub(super) direction: Direction,
    pub(super) atr: Option<f64>,
}

/// Streams the entries file row by row, checking the time order.
pub(super) struct EntryReader {
    pub(super) path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    line: u64,
    last_time: Option<(i64, u64)>,
    symbols: Vec<String>,
    peeked: Option<Row>,
    header_checked: bool,
}

impl EntryReader {
    pub(super) fn open(path: &Path, symbols: &[String]) -> Result<Self, AppError> {
        let f = crate::input::open_regular(path).map_err(|e| match e {
            crate::input::InputError::Io(e) => AppError::io(path, e),
            crate::input::InputError::NotRegular(what) => AppError::Data(data::DataError::new(
                path,
                data::DataErrorKind::NotRegularFile { what },
            )),
            other => AppError::io(path, io::Error::other(other.to_string())),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(data::READ_BUFFER_BYTES, f),
            buf: Vec::with_capacity(256),
            line: 0,
            last_time: None,
            symbols: symbols.to_vec(),
            peeked: None,
            header_checked: false,
        })
    }

    pub(super) fn err(&self, line: u64, problem: String) -> AppError {
        AppError::Entries(EntryError {
            path: self.path.clone(),
            line,
            // Fields of the row are echoed: make control bytes in them visible.
            problem: crate::text::escape_controls(&problem),
        })
    }

    pub(super) fn peek(&mut self) -> Result<Option<&Row>, AppError> {
        if self.peeked.is_none() {
            self.peeked = self.read_row()?;
        }
        Ok(self.peeked.as_ref())
    }

    pub(super) fn take(&mut self) -> Option<Row> {
        self.peeked.take()
    }

    pub(super) fn read_row(&mut self) -> Result<Option<Row>, AppError> {
        loop {
            self.buf.clear();
            let n = (&mut self.reader)
                .take(data::MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| AppError::io(&self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            if self.buf.len() > data::MAX_LINE_BYTES {
                return Err(self.err(
                    line,
                    format!("line longer than {} bytes", data::MAX_LINE_BYTES),
                ));
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return Err(self.err(line, "the line is not valid UTF-8 text".into()));
            };
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            let fields: Vec<&str> = text
                .split(',')
                .map(|f| f.trim().trim_matches('"').trim())
                .collect();
            if !self.header_checked {
                self.header_checked = true;
                if fields
                    .first()
                    .is_some_and(|f| f.eq_ignore_ascii_case("symbol"))
                {
                    let names: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
                    let ok = names.len() >= 3
                        && names.len() <= 4
                        && names[1] == "time"
                        && names[2] == "direction"
                        && names.get(3).is_none_or(|n| n == "atr");
                    if !ok {
                        return Err(self.err(
                            line,
                            format!(
                                "header '{text}' is not symbol,time,direction or symbol,time,direction,atr"
                            ),
                        ));
                    }
                    continue;
                }
            }
            let row = self.parse(line, &fields)?;
            if let Some((prev, prev_line)) = self.last_time
                && row.time < prev
            {
                return Err(self.err(
                    line,
                    format!(
                        "entries are not sorted by time: {} comes after {} (line {prev_line}); sort the file by time",
                        data::format_utc(row.time),
                        data::format_utc(prev)
                    ),
                ));
            }
            self.last_time = Some((row.time, line));
            return Ok(Some(row));
        }
    }

    fn parse(&self, line: u64, fields: &[&str]) -> Result<Row, AppError> {
        if !(3..=4).contains(&fields.len()) {
            return Err(self.err(
                line,
                format!(
                    "{} columns; expected symbol,time,direction[,atr]",
                    fields.len()
                ),
            ));
        }
        let symbol_text = fields[0];
        let symbol = data::naming::normalize_symbol(symbol_text)
            .and_then(|s| self.symbols.iter().position(|x| *x == s))
            .map(|i| i as u16);
        let time = parse_time(fields[1]).map_err(|p| self.err(line, p))?;
        let direction = match fields[2].to_ascii_lowercase().as_str() {
            "long" | "buy" => Direction::Long,
            "short" | "sell" => Direction::Short,
            other => {
                return Err(self.err(
                    line,
                    format!("direction '{other}' is not long, short, buy or sell"),
                ));
            }
        };
        let atr = match fields.get(3) {
            None | Some(&"") => None,
            Some(t) => match t.parse::<f64>() {
                Ok(a) if a.is_finite() && a > 0.0 => Some(a),
                _ => {
                    return Err(self.err(line, format!("atr '{t}' is not a positive number")));
                }
            },
        };
        Ok(Row {
            line,
            symbol,
            symbol_text: symbol_text.to_string(),
            time,
            direction,
            atr,
        })
    }
}

/// Parses an entry time: integer epoch (s, ms or µs by magnitude) or ISO 8601 UTC.
///
/// # Errors
/// A message naming the text.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(raw) = t.parse::<i64>() {
        return data::TimeUnit::detect(raw)
            .map(|u| u.to_millis(raw))
            .ok_or_else(|| {
                format!("time {raw} is not an epoch time in seconds, milliseconds or microseconds")
            });
    }
    parse_iso_utc(t).ok_or_else(|| {
        format!(
            "time '{t}' is neither epoch milliseconds nor ISO 8601 UTC (e.g. 2024-03-01T12:15:00Z)"
        )
    })
}

/// `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+00:00]` → ms since the epoch (UTC only).
fn parse_iso_utc(s: &str) -> Option<i64> {
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .or_else(|| s.strip_suffix("+0000"))
        .unwrap_or(s);
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (y, m, dd) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() || y.len() != 4 || m.len() != 2 || dd.len() != 2 {
        return None;
    }
    let year: i64 = y.parse().ok()?;
    let month: i64 = m.parse().ok()?;
    let day: i64 = dd.parse().ok()?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if let Some(time) = time {
        let mut parts = time.split(':');
        let (h, mi) = (parts.next()?, parts.next()?);
        let sec = parts.next();
        if parts.next().is_some() || h.len() != 2 || mi.len() != 2 {
            return None;
        }
        let hour: i64 = h.parse().ok()?;
        let minute: i64 = mi.parse().ok()?;
        if hour > 23 || minute > 59 {
            return None;
        }
        ms += (hour * 60 + minute) * 60_000;
        if let Some(sec) = sec {
            let (whole, frac) = match sec.split_once('.') {
                Some((w, f)) => (w, Some(f)),
                None => (sec, None),
            };
            if whole.len() != 2 {
                return None;
            }
            let secs: i64 = whole.parse().ok()?;
            if secs > 59 {
                return None;
            }
            ms += secs * 1000;
            if let Some(f) = frac {
                if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let padded = format!("{f:0<3}");
                ms += padded[..3].parse::<i64>().ok()?;
            }
        }
    }
    Some(ms)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
