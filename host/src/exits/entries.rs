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

/// Columns of a row: `symbol,time,direction[,atr]`.
const MAX_COLUMNS: usize = 4;

/// Non-canonical symbol spellings remembered per file (a bound: a file of junk symbols
/// must not grow memory row by row; past it, spellings are normalized each time).
const MAX_SPELLINGS: usize = 64;

/// One parsed row.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) symbol: Option<u16>,
    /// The symbol as written, when it is not one of the data's (empty otherwise).
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
    /// Symbol spellings seen that are not canonical names, with their index.
    spellings: Vec<(Box<str>, Option<u16>)>,
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
            spellings: Vec::new(),
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
        // The line buffer is lent out while the row is parsed (parsing updates
        // `spellings`), and kept for the next row.
        let mut buf = std::mem::take(&mut self.buf);
        let row = self.next_row(&mut buf);
        self.buf = buf;
        row
    }

    fn next_row(&mut self, buf: &mut Vec<u8>) -> Result<Option<Row>, AppError> {
        loop {
            buf.clear();
            let n = (&mut self.reader)
                .take(data::MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', buf)
                .map_err(|e| AppError::io(&self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            if buf.len() > data::MAX_LINE_BYTES {
                return Err(self.err(
                    line,
                    format!("line longer than {} bytes", data::MAX_LINE_BYTES),
                ));
            }
            let Ok(text) = std::str::from_utf8(buf) else {
                return Err(self.err(line, "the line is not valid UTF-8 text".into()));
            };
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            // Rows are split into a fixed array: no allocation per row (a row of more
            // columns is an error, counted but not kept).
            let mut fields = [""; MAX_COLUMNS];
            let mut columns = 0usize;
            for f in text.split(',') {
                if let Some(slot) = fields.get_mut(columns) {
                    *slot = f.trim().trim_matches('"').trim();
                }
                columns += 1;
            }
            if !self.header_checked {
                self.header_checked = true;
                if fields[0].eq_ignore_ascii_case("symbol") {
                    let ok = (3..=MAX_COLUMNS).contains(&columns)
                        && fields[1].eq_ignore_ascii_case("time")
                        && fields[2].eq_ignore_ascii_case("direction")
                        && (columns == 3 || fields[3].eq_ignore_ascii_case("atr"));
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
            let row = self.parse(line, &fields, columns)?;
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

    /// The row of `columns` columns whose first ones are `fields`.
    fn parse(
        &mut self,
        line: u64,
        fields: &[&str; MAX_COLUMNS],
        columns: usize,
    ) -> Result<Row, AppError> {
        if !(3..=MAX_COLUMNS).contains(&columns) {
            return Err(self.err(
                line,
                format!("{columns} columns; expected symbol,time,direction[,atr]"),
            ));
        }
        let symbol_text = fields[0];
        let symbol = self.symbol_index(symbol_text);
        let time = parse_time(fields[1]).map_err(|p| self.err(line, p))?;
        let d = fields[2];
        let direction = if d.eq_ignore_ascii_case("long") || d.eq_ignore_ascii_case("buy") {
            Direction::Long
        } else if d.eq_ignore_ascii_case("short") || d.eq_ignore_ascii_case("sell") {
            Direction::Short
        } else {
            return Err(self.err(
                line,
                format!(
                    "direction '{}' is not long, short, buy or sell",
                    d.to_ascii_lowercase()
                ),
            ));
        };
        let atr = match fields[3] {
            "" => None,
            t => match t.parse::<f64>() {
                Ok(a) if a.is_finite() && a > 0.0 => Some(a),
                _ => {
                    return Err(self.err(line, format!("atr '{t}' is not a positive number")));
                }
            },
        };
        Ok(Row {
            line,
            symbol,
            // Kept only for the message about a symbol not in the data.
            symbol_text: if symbol.is_none() {
                symbol_text.to_owned()
            } else {
                String::new()
            },
            time,
            direction,
            atr,
        })
    }

    /// The data's index of a row's symbol text: a canonical name as it is, or any other
    /// spelling through [`data::naming::normalize_symbol`], remembered (up to
    /// [`MAX_SPELLINGS`] of them) so a file's rows allocate nothing per row.
    fn symbol_index(&mut self, text: &str) -> Option<u16> {
        let known = |s: &str| self.symbols.iter().position(|x| x == s).map(|i| i as u16);
        if let Some(i) = known(text) {
            return Some(i);
        }
        if let Some((_, i)) = self.spellings.iter().find(|(s, _)| **s == *text) {
            return *i;
        }
        let index = data::naming::normalize_symbol(text).and_then(|s| known(&s));
        if self.spellings.len() < MAX_SPELLINGS {
            self.spellings.push((text.into(), index));
        }
        index
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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
pub(super) mod tests {
    use super::{EntryReader, MAX_SPELLINGS};
    use phasebound_core::Direction;
    use std::path::PathBuf;

    /// The two symbols of the entries tests, in lane order.
    pub(in crate::exits) const SYMBOLS: [&str; 2] = ["AAAUSDT", "BBBUSDT"];

    /// `text` as the entries file `entries.csv` of a fresh folder (gone with the folder).
    pub(in crate::exits) fn written(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("entries.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// Every row of `text` (or the first error's message), read with [`SYMBOLS`]; and
    /// the spellings the reader remembered.
    fn read(text: &str) -> (Result<Vec<super::Row>, String>, usize) {
        let (_dir, path) = written(text);
        let mut r = EntryReader::open(&path, &SYMBOLS.map(String::from)).unwrap();
        let mut rows = Vec::new();
        loop {
            match r.read_row() {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => return (Ok(rows), r.spellings.len()),
                Err(e) => return (Err(e.to_string()), r.spellings.len()),
            }
        }
    }

    #[test]
    fn symbols_in_any_spelling_find_their_series() {
        let text = "Symbol,TIME,Direction,ATR\n\
                    AAAUSDT,1709294400000,long,\n\
                    aaa/usdt,1709294400000,SELL,2.5\n\
                    \"BBB_USDT\",1709294400000,Buy\n\
                    bbb_usdt_usdt,1709294400000,short\n\
                    aaa/usdt,1709294400000,long\n\
                    CCCUSDT,1709294400000,long\n";
        let (rows, spellings) = read(text);
        let rows = rows.unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.line, r.symbol, r.symbol_text.as_str(), r.direction, r.atr))
            .collect();
        use Direction::{Long, Short};
        assert_eq!(
            got,
            [
                (2, Some(0), "", Long, None),
                (3, Some(0), "", Short, Some(2.5)),
                (4, Some(1), "", Long, None),
                (5, Some(1), "", Short, None),
                (6, Some(0), "", Long, None),
                // Not in the data: the text is kept for the message.
                (7, None, "CCCUSDT", Long, None),
            ]
        );
        // aaa/usdt (once, though read twice), BBB_USDT, bbb_usdt_usdt, CCCUSDT.
        assert_eq!(spellings, 4);
    }

    #[test]
    fn column_counts_and_headers_are_checked() {
        let (r, _) = read("AAAUSDT,1709294400000,long,1,2\n");
        assert!(r.unwrap_err().contains("entries.csv:1: 5 columns"));
        let (r, _) = read("AAAUSDT,1709294400000,long,1,2,3,4,5,6\n");
        assert!(r.unwrap_err().contains("entries.csv:1: 9 columns"));
        let (r, _) = read("symbol,time,side\n");
        assert!(r.unwrap_err().contains("header 'symbol,time,side'"));
        let (r, _) = read("symbol,time,direction,atr,extra\n");
        assert!(r.unwrap_err().contains("is not symbol,time,direction"));
        let (r, _) = read("AAAUSDT,1709294400000,Up\n");
        assert!(r.unwrap_err().contains("direction 'up'"));
    }

    #[test]
    fn remembered_spellings_are_bounded() {
        // Many distinct unknown symbols: the memory of spellings stops at its bound,
        // and every row still resolves (to no series).
        let mut text = String::new();
        for i in 0..3 * MAX_SPELLINGS {
            text.push_str(&format!(
                "x{i}/usdt,1709294400000,long\naaa_usdt,1709294400000,long\n"
            ));
        }
        let (rows, spellings) = read(&text);
        let rows = rows.unwrap();
        assert_eq!(rows.len(), 6 * MAX_SPELLINGS);
        assert_eq!(spellings, MAX_SPELLINGS);
        assert!(rows.iter().step_by(2).all(|r| r.symbol.is_none()));
        assert!(rows.iter().skip(1).step_by(2).all(|r| r.symbol == Some(0)));
    }
}
