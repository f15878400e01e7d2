//! The supported file layouts and how they are told apart.
//!
//! Detection reads only the start of a file:
//!
//! - first non-blank byte `[` → freqtrade json `[[t,o,h,l,c,v],...]`;
//! - otherwise CSV. If the first field of the first non-blank line is a
//!   number, the file has no header and the column count decides: 12 is a
//!   Binance public-data kline file (spot), 6 is plain OHLCV. Otherwise that
//!   line is a header: its first column must be a time column (`open_time`,
//!   `open_time_ms`, `timestamp`, `time` or `ts`) followed by `open, high, low,
//!   close, volume`, with 12 columns in all (Binance kline with header, as in
//!   futures files) or 6 (`open_time_ms` → the normalized layout, anything
//!   else → plain OHLCV such as a CCXT dump).
//!
//! Only the first six columns are read; Binance's extra columns (close time,
//! quote volume, trade count, taker volumes, ignore) are skipped unparsed.
//! The timestamp unit is not part of the layout: it is told per value (see
//! [`super::time`]). Zip archives are read in place ([`super::archive`]);
//! other compressed and binary files (gzip, feather, parquet, a zip inside a
//! zip) are recognised by their magic bytes and refused with a hint.

use super::error::DataErrorKind;

/// A supported file layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Binance public-data kline CSV, 12 columns; spot files have no header,
    /// futures files (since 2022) have `open_time,open,high,...,ignore`.
    BinanceKline {
        /// Whether the first line is a header row.
        header: bool,
    },
    /// Plain `timestamp,open,high,low,close,volume` CSV, with or without header.
    PlainCsv {
        /// Whether the first line is a header row.
        header: bool,
    },
    /// The normalized `open_time_ms,open,high,low,close,volume` CSV.
    NormalizedCsv,
    /// freqtrade json data file `[[ms,open,high,low,close,volume],...]`.
    FreqtradeJson,
}

impl Layout {
    /// Columns per row (values per candle for json).
    #[must_use]
    pub const fn columns(self) -> usize {
        match self {
            Layout::BinanceKline { .. } => 12,
            Layout::PlainCsv { .. } | Layout::NormalizedCsv | Layout::FreqtradeJson => 6,
        }
    }

    /// Whether the first line of the file is a header row.
    #[must_use]
    pub const fn has_header(self) -> bool {
        match self {
            Layout::BinanceKline { header } | Layout::PlainCsv { header } => header,
            Layout::NormalizedCsv => true,
            Layout::FreqtradeJson => false,
        }
    }

    /// A short stable name for reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Layout::BinanceKline { header: false } => "binance-kline-csv",
            Layout::BinanceKline { header: true } => "binance-kline-csv-header",
            Layout::PlainCsv { header: false } => "ohlcv-csv",
            Layout::PlainCsv { header: true } => "ohlcv-csv-header",
            Layout::NormalizedCsv => "normalized-csv",
            Layout::FreqtradeJson => "freqtrade-json",
        }
    }
}

/// Names the time column may have in a header row.
const TIME_COLUMN_NAMES: [&str; 5] = ["open_time", "open_time_ms", "timestamp", "time", "ts"];
/// The five columns that must follow the time column, in order.
const OHLCV_NAMES: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// What the first non-blank line of a CSV file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FirstLine {
    /// A header row of this layout.
    Header(Layout),
    /// A data row of this layout.
    Data(Layout),
}

/// Whether a field looks like the start of a number (so the line is data).
fn looks_numeric(field: &str) -> bool {
    let digits = field.strip_prefix(['-', '+']).unwrap_or(field);
    digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// A field without surrounding blanks and double quotes.
pub(crate) fn clean_field(field: &str) -> &str {
    let t = field.trim();
    t.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
}

/// Classifies the first non-blank line of a CSV file from its fields (at least
/// the first 6, if present) and its total column count.
pub(crate) fn classify_first_line(
    fields: &[&str],
    count: usize,
) -> Result<FirstLine, DataErrorKind> {
    let first = fields.first().map_or("", |f| clean_field(f));
    if looks_numeric(first) {
        return match count {
            12 => Ok(FirstLine::Data(Layout::BinanceKline { header: false })),
            6 => Ok(FirstLine::Data(Layout::PlainCsv { header: false })),
            n => Err(DataErrorKind::UnknownLayout {
                detail: format!(
                    "the first row has {n} columns; expected 6 (time,open,high,low,close,volume) or 12 (Binance kline)"
                ),
            }),
        };
    }
    let lower: Vec<String> = fields
        .iter()
        .map(|f| clean_field(f).to_ascii_lowercase())
        .collect();
    let time_ok = TIME_COLUMN_NAMES.contains(&first.to_ascii_lowercase().as_str());
    let ohlcv_ok = lower.len() >= 6 && lower.iter().skip(1).zip(OHLCV_NAMES).all(|(a, b)| a == b);
    if !(time_ok && ohlcv_ok && (count == 6 || count == 12)) {
        let shown =
            crate::text::escape_controls(&fields.join(",").chars().take(120).collect::<String>());
        return Err(DataErrorKind::UnknownLayout {
            detail: format!(
                "header \"{shown}\" not recognized; expected a time column (open_time, open_time_ms, timestamp, time or ts) then open,high,low,close,volume, 6 or 12 columns"
            ),
        });
    }
    Ok(FirstLine::Header(
        match (count, first.eq_ignore_ascii_case("open_time_ms")) {
            (12, _) => Layout::BinanceKline { header: true },
            (_, true) => Layout::NormalizedCsv,
            _ => Layout::PlainCsv { header: true },
        },
    ))
}

/// A hint when the file starts like a known binary or compressed format.
pub(crate) fn sniff_binary(prefix: &[u8]) -> Option<&'static str> {
    if prefix.starts_with(b"PK\x03\x04") {
        // Zip files are read (see `super::archive`); this is a zip inside one.
        Some("a zip archive inside a zip archive; nested archives are not read")
    } else if prefix.starts_with(&[0x1f, 0x8b]) {
        Some("a gzip-compressed file (e.g. freqtrade jsongz); decompress it first")
    } else if prefix.starts_with(b"ARROW1") {
        Some("a feather file; convert it with `freqtrade convert-data --format-to json`")
    } else if prefix.starts_with(b"PAR1") {
        Some("a parquet file; export it to CSV or freqtrade json first")
    } else {
        None
    }
}

/// A hint when a text file is in an encoding or with line ends the readers do not take:
/// UTF-16 (a byte-order mark `FF FE` / `FE FF`, or a NUL in every other byte of the
/// start) or, for CSV (`csv`), lines ending in CR alone (classic Mac OS).
pub(crate) fn sniff_text_encoding(start: &[u8], csv: bool) -> Option<&'static str> {
    const UTF16: &str = "UTF-16 text: save it as UTF-8";
    if start.starts_with(b"\xFF\xFE") || start.starts_with(b"\xFE\xFF") {
        return Some(UTF16);
    }
    // Without a mark: ASCII text as UTF-16 has a NUL in one half of the bytes and
    // (almost) none in the other. A file of NULs only is not text at all.
    let head = &start[..start.len().min(256) & !1];
    if head.len() >= 8 {
        let pairs = head.len() / 2;
        let nul_at = |parity: usize| {
            head.iter()
                .skip(parity)
                .step_by(2)
                .filter(|&&b| b == 0)
                .count()
        };
        let (even, odd) = (nul_at(0), nul_at(1));
        let one_sided = |a: usize, b: usize| a * 10 >= pairs * 9 && b * 10 <= pairs;
        if one_sided(even, odd) || one_sided(odd, even) {
            return Some(UTF16);
        }
    }
    if csv && !start.contains(&b'\n') {
        // A CR followed by more text, and no LF anywhere in the first block.
        let text_after_cr = start
            .iter()
            .position(|&b| b == b'\r')
            .is_some_and(|i| start[i..].iter().any(|b| !b.is_ascii_whitespace()));
        if text_after_cr {
            return Some("lines end in CR only (old Mac): convert to LF");
        }
    }
    None
}
