//! Streaming CSV rows: one bounded line buffer, no allocation per row.
//!
//! Lines end in `\n` or `\r\n`; blank lines are skipped; a UTF-8 byte-order
//! mark is dropped by the caller. Fields are split at `,`, trimmed, and may be
//! double-quoted. A line longer than [`MAX_LINE_BYTES`] is an error rather than
//! a reason to grow the buffer. The last line may lack its line end; if it also
//! lacks columns (or its last field is empty) the file was cut off mid-write,
//! which is reported as [`DataErrorKind::TruncatedLine`].

use std::io::BufRead;

use super::MAX_LINE_BYTES;
use super::error::{DataErrorKind, Located};
use super::layout::{FirstLine, Layout, classify_first_line, clean_field};

/// Names of the six columns that are read, for messages.
pub(crate) const COLUMN_NAMES: [&str; 6] = ["time", "open", "high", "low", "close", "volume"];

/// Most fields of a row that are kept (Binance kline rows have 12).
const MAX_FIELDS: usize = 12;

/// One row as read: the raw timestamp (unit not yet known) and
/// open, high, low, close, volume.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RawRow {
    /// Raw timestamp.
    pub time: i64,
    /// Open, high, low, close, volume.
    pub values: [f64; 5],
}

/// Parses a timestamp field: an integer, or a float with no fractional part
/// (some tools write `1709251200000.0`).
pub(crate) fn parse_time(text: &str) -> Result<i64, DataErrorKind> {
    if let Ok(v) = text.parse::<i64>() {
        return Ok(v);
    }
    match text.parse::<f64>() {
        // Below 2^53 every integer is exact, so the cast loses nothing.
        Ok(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(v as i64),
        _ => Err(not_number(0, text)),
    }
}

/// Parses a price or volume field. `NaN` and `inf` parse here and are
/// refused by validation, with the value in the message.
pub(crate) fn parse_value(column: usize, text: &str) -> Result<f64, DataErrorKind> {
    text.parse::<f64>().map_err(|_| not_number(column, text))
}

pub(crate) fn not_number(column: usize, text: &str) -> DataErrorKind {
    DataErrorKind::NotNumber {
        column: COLUMN_NAMES.get(column).copied().unwrap_or("value"),
        text: crate::text::escape_controls(&text.chars().take(40).collect::<String>()),
    }
}

/// Splits a line at commas; keeps the first [`MAX_FIELDS`] fields and counts all.
fn split(line: &str) -> ([&str; MAX_FIELDS], usize) {
    let mut fields = [""; MAX_FIELDS];
    let mut count = 0;
    for field in line.split(',') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = field;
        }
        count += 1;
    }
    (fields, count)
}

/// Parses the six read columns of a split row.
fn parse_fields(fields: &[&str; MAX_FIELDS]) -> Result<RawRow, DataErrorKind> {
    let time = parse_time(clean_field(fields[0]))?;
    let mut values = [0.0; 5];
    for (i, v) in values.iter_mut().enumerate() {
        *v = parse_value(i + 1, clean_field(fields[i + 1]))?;
    }
    Ok(RawRow { time, values })
}

/// A line buffer as trimmed text.
fn line_text(buf: &[u8], line: u64) -> Result<&str, Located> {
    std::str::from_utf8(buf)
        .map(str::trim)
        .map_err(|_| Located {
            line: Some(line),
            record: None,
            kind: DataErrorKind::InvalidUtf8,
        })
}

/// How a line read ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineEnd {
    Newline,
    EndOfFile,
}

/// The rows of one CSV file.
pub(crate) struct CsvRows<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    layout: Layout,
    pending: Option<RawRow>,
}

impl<R: BufRead> CsvRows<R> {
    /// Reads up to the first non-blank line and detects the layout. A data
    /// first line is parsed and kept for [`CsvRows::next_row`]. `Ok(None)`:
    /// the file has no non-blank line.
    pub(crate) fn open(reader: R) -> Result<Option<Self>, Located> {
        let mut rows = Self {
            reader,
            buf: Vec::with_capacity(MAX_LINE_BYTES),
            line: 0,
            layout: Layout::PlainCsv { header: false },
            pending: None,
        };
        loop {
            let Some(end) = rows.read_line()? else {
                return Ok(None);
            };
            let line = line_text(&rows.buf, rows.line)?;
            if line.is_empty() {
                continue;
            }
            let (fields, count) = split(line);
            let first = classify_first_line(&fields[..count.min(MAX_FIELDS)], count)
                .map_err(|kind| rows.here(kind))?;
            match first {
                FirstLine::Header(layout) => rows.layout = layout,
                FirstLine::Data(layout) => {
                    rows.layout = layout;
                    let row = rows.check_and_parse(&fields, count, end)?;
                    rows.pending = Some(row);
                }
            }
            return Ok(Some(rows));
        }
    }

    /// The detected layout.
    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    /// Line number of the last line read (1-based).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The underlying reader.
    pub(crate) fn into_reader(self) -> R {
        self.reader
    }

    /// The next data row; `Ok(None)` at the end of the file.
    pub(crate) fn next_row(&mut self) -> Result<Option<RawRow>, Located> {
        if let Some(row) = self.pending.take() {
            return Ok(Some(row));
        }
        loop {
            let Some(end) = self.read_line()? else {
                return Ok(None);
            };
            let line = line_text(&self.buf, self.line)?;
            if line.is_empty() {
                continue;
            }
            let (fields, count) = split(line);
            return self.check_and_parse(&fields, count, end).map(Some);
        }
    }

    fn check_and_parse(
        &self,
        fields: &[&str; MAX_FIELDS],
        count: usize,
        end: LineEnd,
    ) -> Result<RawRow, Located> {
        let expected = self.layout.columns();
        let last_empty = fields
            .get(count.wrapping_sub(1))
            .is_some_and(|f| f.trim().is_empty());
        if end == LineEnd::EndOfFile && (count < expected || (count == expected && last_empty)) {
            return Err(self.here(DataErrorKind::TruncatedLine {
                expected,
                got: count,
            }));
        }
        if count != expected {
            return Err(self.here(DataErrorKind::WrongColumnCount {
                expected,
                got: count,
            }));
        }
        parse_fields(fields).map_err(|kind| self.here(kind))
    }

    fn here(&self, kind: DataErrorKind) -> Located {
        Located {
            line: Some(self.line),
            record: None,
            kind,
        }
    }

    /// Reads the next line into `buf` (without its line end); `Ok(None)` at the
    /// end of the file.
    fn read_line(&mut self) -> Result<Option<LineEnd>, Located> {
        self.buf.clear();
        self.line += 1;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.here(DataErrorKind::Io(e))),
            };
            if available.is_empty() {
                if self.buf.is_empty() {
                    self.line -= 1;
                    return Ok(None);
                }
                return Ok(Some(LineEnd::EndOfFile));
            }
            let (take, consume, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i, i + 1, true),
                None => (available.len(), available.len(), false),
            };
            if self.buf.len() + take > MAX_LINE_BYTES {
                return Err(self.here(DataErrorKind::LineTooLong {
                    max: MAX_LINE_BYTES,
                }));
            }
            self.buf
                .extend_from_slice(available.get(..take).unwrap_or_default());
            self.reader.consume(consume);
            if done {
                return Ok(Some(LineEnd::Newline));
            }
        }
    }
}
