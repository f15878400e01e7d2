//! Errors of the data layer.
//!
//! A [`DataError`] names the file, the line (and for freqtrade json, where one
//! line holds many candles, the candle number) and the problem with the values
//! involved, e.g. `BTCUSDT-15m.csv:1234: high 101.5 is below low 102.0`.
//! [`DataError::exit_code`] maps it to the process exit code:
//!
//! | code | class | kinds |
//! |---|---|---|
//! | 2 | usage or configuration | [`NotFound`], [`DanglingLink`], [`NoUsableFiles`], [`UnknownTimeframe`], [`NoSymbol`], [`InvalidSymbol`], [`SymbolConflict`], [`TimeframeConflict`], [`MixedTimeframes`], [`SeriesGap`], [`MixedMarkets`], [`EmptyRange`] |
//! | 3 | bad input data | every kind about the contents of a data file, zip archive or `.CHECKSUM` file, and [`NotRegularFile`] |
//! | 4 | I/O | [`Io`], [`InputChanged`], [`BadCache`] |
//!
//! [`NotFound`]: DataErrorKind::NotFound
//! [`DanglingLink`]: DataErrorKind::DanglingLink
//! [`NotRegularFile`]: DataErrorKind::NotRegularFile
//! [`NoUsableFiles`]: DataErrorKind::NoUsableFiles
//! [`UnknownTimeframe`]: DataErrorKind::UnknownTimeframe
//! [`NoSymbol`]: DataErrorKind::NoSymbol
//! [`InvalidSymbol`]: DataErrorKind::InvalidSymbol
//! [`SymbolConflict`]: DataErrorKind::SymbolConflict
//! [`TimeframeConflict`]: DataErrorKind::TimeframeConflict
//! [`MixedTimeframes`]: DataErrorKind::MixedTimeframes
//! [`EmptyRange`]: DataErrorKind::EmptyRange
//! [`SeriesGap`]: DataErrorKind::SeriesGap
//! [`MixedMarkets`]: DataErrorKind::MixedMarkets
//! [`Io`]: DataErrorKind::Io
//! [`InputChanged`]: DataErrorKind::InputChanged
//! [`BadCache`]: DataErrorKind::BadCache

use std::fmt;
use std::path::{Path, PathBuf};

use phasebound_core::{Bar, BarField, Error as CoreError};

use super::naming::timeframe_label;
use super::time::{TimeUnit, format_duration, format_utc};

/// Exit code of usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of errors in the input data.
pub const EXIT_DATA: u8 = 3;
/// Exit code of I/O errors.
pub const EXIT_IO: u8 = 4;

/// A data-layer error: where, and what.
#[derive(Debug)]
pub struct DataError {
    /// The file (or folder) concerned, as the user named it; empty when the
    /// problem is not about one file (e.g. a command-line option).
    pub file: PathBuf,
    /// 1-based line number in `file`, when the problem is on one line.
    pub line: Option<u64>,
    /// 1-based candle number in `file`, for layouts where a line holds many
    /// candles (freqtrade json).
    pub record: Option<u64>,
    /// The problem.
    pub kind: DataErrorKind,
}

impl DataError {
    /// An error about a whole file.
    #[must_use]
    pub fn new(file: impl Into<PathBuf>, kind: DataErrorKind) -> Self {
        Self {
            file: file.into(),
            line: None,
            record: None,
            kind,
        }
    }

    /// An error on one line of a file.
    #[must_use]
    pub fn at_line(file: impl Into<PathBuf>, line: u64, kind: DataErrorKind) -> Self {
        Self {
            file: file.into(),
            line: Some(line),
            record: None,
            kind,
        }
    }

    /// The documented process exit code for this error (see the module docs).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.as_os_str().is_empty() {
            write!(f, "{}", self.file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        if let Some(record) = self.record {
            write!(f, "candle {record}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DataErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// An error kind with its position in a file not yet named.
#[derive(Debug)]
pub(crate) struct Located {
    /// 1-based line.
    pub line: Option<u64>,
    /// 1-based candle number (json).
    pub record: Option<u64>,
    /// The problem.
    pub kind: DataErrorKind,
}

impl Located {
    /// Attaches the file.
    pub(crate) fn in_file(self, file: &Path) -> DataError {
        DataError {
            file: file.to_path_buf(),
            line: self.line,
            record: self.record,
            kind: self.kind,
        }
    }
}

/// A file's SHA-256 and the one its `.CHECKSUM` file gives.
#[derive(Debug)]
pub struct ChecksumMismatch {
    /// The checksum file.
    pub checksum_file: PathBuf,
    /// The SHA-256 it gives, lower-case hex.
    pub expected: String,
    /// The SHA-256 of the file, lower-case hex.
    pub got: String,
}

/// A time range that holds no bar of a series.
#[derive(Debug)]
pub struct EmptyRange {
    /// The series' symbol.
    pub symbol: String,
    /// The range in `--timerange` syntax.
    pub range: String,
    /// First bar time of the series' files, ms.
    pub first: i64,
    /// Last bar time of the series' files, ms.
    pub last: i64,
}

/// Bars of a series missing for longer than the limit.
#[derive(Debug)]
pub struct SeriesGap {
    /// The series' symbol.
    pub symbol: String,
    /// Open time of the last bar before the gap, ms.
    pub before: i64,
    /// Open time of the first bar after it, ms.
    pub after: i64,
    /// The file of the bar before the gap, when it is another file.
    pub previous_file: Option<PathBuf>,
}

/// What is wrong. Displays as a sentence with the offending values.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataErrorKind {
    /// Reading or writing failed.
    Io(std::io::Error),
    /// The named file or folder does not exist.
    NotFound,
    /// A symbolic link (named, or in a data folder and of the run's timeframe) whose
    /// target does not exist.
    DanglingLink,
    /// The path is not a regular file (a FIFO, a device, a socket): refused instead of
    /// read, so nothing blocks or reads forever.
    NotRegularFile {
        /// What it is instead.
        what: &'static str,
    },
    /// The file has no rows at all.
    Empty,
    /// The file has a header row but no data rows.
    HeaderOnly,
    /// A row has the wrong number of columns for the file's layout.
    WrongColumnCount {
        /// Columns of the layout (from the first row).
        expected: usize,
        /// Columns of this row.
        got: usize,
    },
    /// A field is not a number.
    NotNumber {
        /// Column name (`time`, `open`, `high`, `low`, `close`, `volume`).
        column: &'static str,
        /// The field's text (cut to 40 characters).
        text: String,
    },
    /// A timestamp is outside every accepted range (see [`super::time`]).
    BadTimestamp {
        /// The raw value.
        raw: i64,
    },
    /// The bar fails [`Bar::validate`] (not finite, not positive, high below
    /// low, open/close outside the range, unsorted or duplicate time).
    InvalidBar {
        /// The check that failed.
        error: CoreError,
        /// The bar (time already in ms; boxed to keep errors small).
        bar: Box<Bar>,
    },
    /// Timestamps in different units, in one file or across the files of a series.
    MixedTimeUnits {
        /// Unit of the first timestamp of the series (or file).
        expected: TimeUnit,
        /// Unit of this timestamp.
        got: TimeUnit,
        /// The file that set `expected`, when it is another file.
        other: Option<PathBuf>,
    },
    /// With `--strict`: a bar does not open on the timeframe's grid (a multiple
    /// of the timeframe since 00:00 UTC). Without it such bars are skipped and counted.
    OffGrid {
        /// The timeframe in ms.
        timeframe_ms: i64,
        /// The bar's open time, ms.
        time: i64,
    },
    /// A bar's high or low lies more than `max_jump` times away from the
    /// previous close: a bad print (with `--strict`), or, several in a row, a
    /// new price level (always).
    ImplausibleBar {
        /// The close of the last plausible bar.
        previous_close: f64,
        /// This bar's high.
        high: f64,
        /// This bar's low.
        low: f64,
        /// The factor allowed.
        max_jump: u32,
        /// Whether this is the last of [`super::series::LEVEL_SHIFT_BARS`] in a row.
        level_shift: bool,
    },
    /// Most bars of a file are off the timeframe's grid: the timeframe or the
    /// time zone is wrong, so skipping them would leave a wrong series.
    MostlyOffGrid {
        /// The timeframe in ms.
        timeframe_ms: i64,
        /// Bars off the grid.
        off_grid: u64,
        /// Bars on it.
        on_grid: u64,
    },
    /// No two consecutive bars are one timeframe apart: the file holds a
    /// longer timeframe than it is read as (e.g. 1h bars named `-15m`).
    TimeframeTooShort {
        /// The timeframe in ms.
        timeframe_ms: i64,
        /// The smallest step between consecutive bars, ms.
        smallest_step_ms: i64,
    },
    /// Bars are missing for longer than [`super::series::MAX_GAP_MS`]: the
    /// files look like separate data sets (far-apart periods) merged by name.
    SeriesGap(Box<SeriesGap>),
    /// Files of one symbol come from different markets (spot and futures).
    MixedMarkets {
        /// The market of an earlier file.
        first: &'static str,
        /// That file.
        first_file: PathBuf,
        /// The market of this file.
        second: &'static str,
    },
    /// Two files of one series overlap in time.
    FilesOverlap {
        /// The file before this one in the series.
        previous: PathBuf,
        /// Last bar time of `previous`, ms; `None` when both files start at
        /// the same time (found before reading them through).
        previous_last: Option<i64>,
        /// First bar time of this file, ms.
        first: i64,
    },
    /// The last line stops before its last column: the file is truncated.
    TruncatedLine {
        /// Columns of the layout.
        expected: usize,
        /// Columns present (the last possibly cut short).
        got: usize,
    },
    /// A line is longer than [`super::MAX_LINE_BYTES`].
    LineTooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// A line is not valid UTF-8.
    InvalidUtf8,
    /// A freqtrade json file does not have the shape `[[t,o,h,l,c,v],...]`.
    JsonSyntax {
        /// What the parser expected.
        expected: &'static str,
        /// The byte found instead; `None` at the end of the file.
        found: Option<u8>,
    },
    /// The file is in none of the supported layouts.
    UnknownLayout {
        /// What was seen.
        detail: String,
    },
    /// A folder holds no usable data files.
    NoUsableFiles {
        /// Why (what was looked for, what filter applied).
        detail: String,
    },
    /// The timeframe is missing from the file name or is not supported.
    UnknownTimeframe {
        /// The name or value that was looked at.
        name: String,
    },
    /// A symbol given as an option is not letters and digits.
    InvalidSymbol {
        /// The symbol as given.
        name: String,
    },
    /// The symbol cannot be told from the file name and no symbol was given.
    NoSymbol,
    /// A symbol override applied to files of different symbols.
    SymbolConflict {
        /// The symbol of an earlier file.
        first: String,
        /// The symbol of this file.
        second: String,
    },
    /// An explicitly named file's timeframe differs from the timeframe option.
    TimeframeConflict {
        /// Timeframe from the file name, minutes.
        file_minutes: u32,
        /// Timeframe requested, minutes.
        requested_minutes: u32,
    },
    /// The inputs hold several timeframes; one run uses one.
    MixedTimeframes {
        /// One timeframe found, minutes.
        first: u32,
        /// Another timeframe found, minutes.
        second: u32,
    },
    /// The file changed while it was read (its hash differs between two reads).
    InputChanged,
    /// A cache file is not a valid bar cache.
    BadCache {
        /// What is wrong with it.
        detail: &'static str,
    },
    /// A zip archive is damaged, hostile or not in the shape Binance publishes
    /// (one unencrypted file; see [`super::archive`]).
    Archive {
        /// What is wrong with it.
        detail: String,
    },
    /// The file's SHA-256 differs from the one in the `.CHECKSUM` file beside it
    /// (boxed to keep errors small).
    ChecksumMismatch(Box<ChecksumMismatch>),
    /// A `.CHECKSUM` file is not `<sha256 hex>  <file name>`.
    BadChecksumFile {
        /// What is wrong with it.
        detail: String,
    },
    /// The time range selects no bar of a series (boxed to keep errors small).
    EmptyRange(Box<EmptyRange>),
}

impl DataErrorKind {
    /// The documented process exit code of this kind (see the module docs).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        use DataErrorKind as K;
        match self {
            K::NotFound
            | K::DanglingLink
            | K::NoUsableFiles { .. }
            | K::UnknownTimeframe { .. }
            | K::NoSymbol
            | K::InvalidSymbol { .. }
            | K::SymbolConflict { .. }
            | K::TimeframeConflict { .. }
            | K::MixedTimeframes { .. }
            | K::SeriesGap(_)
            | K::MixedMarkets { .. }
            | K::EmptyRange(_) => EXIT_USAGE,
            K::Io(_) | K::InputChanged | K::BadCache { .. } => EXIT_IO,
            K::Empty
            | K::HeaderOnly
            | K::WrongColumnCount { .. }
            | K::NotNumber { .. }
            | K::BadTimestamp { .. }
            | K::InvalidBar { .. }
            | K::MixedTimeUnits { .. }
            | K::OffGrid { .. }
            | K::ImplausibleBar { .. }
            | K::MostlyOffGrid { .. }
            | K::TimeframeTooShort { .. }
            | K::FilesOverlap { .. }
            | K::TruncatedLine { .. }
            | K::LineTooLong { .. }
            | K::InvalidUtf8
            | K::JsonSyntax { .. }
            | K::UnknownLayout { .. }
            | K::Archive { .. }
            | K::ChecksumMismatch(_)
            | K::BadChecksumFile { .. }
            | K::NotRegularFile { .. } => EXIT_DATA,
        }
    }
}

impl From<std::io::Error> for DataErrorKind {
    fn from(e: std::io::Error) -> Self {
        DataErrorKind::Io(e)
    }
}

fn field_value(bar: &Bar, field: BarField) -> f64 {
    match field {
        BarField::Time => bar.time as f64,
        BarField::Open => bar.open,
        BarField::High => bar.high,
        BarField::Low => bar.low,
        BarField::Close => bar.close,
        BarField::Volume => bar.volume,
    }
}

/// The failed check of a bar, with its values. `{:?}` on floats keeps `102.0`
/// distinguishable from an integer and prints `NaN` and `inf` as such.
fn describe_bar(f: &mut fmt::Formatter<'_>, error: CoreError, bar: &Bar) -> fmt::Result {
    match error {
        CoreError::NotFinite(field) => {
            write!(
                f,
                "{field} is {:?}, not a finite number",
                field_value(bar, field)
            )
        }
        CoreError::NotPositive(field) => {
            write!(
                f,
                "{field} {:?} is not a positive price",
                field_value(bar, field)
            )
        }
        CoreError::NegativeVolume => write!(f, "volume {:?} is negative", bar.volume),
        CoreError::HighBelowLow => write!(f, "high {:?} is below low {:?}", bar.high, bar.low),
        CoreError::OutsideRange(field) => write!(
            f,
            "{field} {:?} lies outside the bar's range [low {:?}, high {:?}]",
            field_value(bar, field),
            bar.low,
            bar.high
        ),
        CoreError::TimeNotIncreasing { previous, got } if previous == got => write!(
            f,
            "duplicate timestamp {got} ({}): the previous bar has the same time",
            format_utc(got)
        ),
        CoreError::TimeNotIncreasing { previous, got } => write!(
            f,
            "timestamp {got} ({}) is before the previous bar's {previous} ({}): rows are not in time order",
            format_utc(got),
            format_utc(previous)
        ),
        other => write!(f, "{other}"),
    }
}

fn describe_byte(b: Option<u8>) -> String {
    match b {
        None => "the end of the file".to_owned(),
        Some(b) if b.is_ascii_graphic() => format!("'{}'", char::from(b)),
        Some(b) => format!("byte 0x{b:02x}"),
    }
}

impl fmt::Display for DataErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataErrorKind as K;
        match self {
            K::Io(e) => write!(f, "I/O error: {e}"),
            K::NotFound => f.write_str("no such file or folder"),
            K::DanglingLink => {
                f.write_str("a symbolic link to a file that does not exist (fix or remove the link)")
            }
            K::NotRegularFile { what } => {
                write!(f, "not a regular file ({what}); give a regular file")
            }
            K::Empty => f.write_str("the file has no rows"),
            K::HeaderOnly => f.write_str("the file has a header row but no data rows"),
            K::WrongColumnCount { expected, got } => {
                write!(f, "{got} columns, but the file's layout has {expected}")
            }
            K::NotNumber { column, text } => {
                write!(f, "{column} \"{text}\" is not a number")
            }
            K::BadTimestamp { raw } => write!(
                f,
                "timestamp {raw} is not a Unix epoch time in seconds, milliseconds or microseconds after 1973"
            ),
            K::InvalidBar { error, bar } => describe_bar(f, *error, bar),
            K::MixedTimeUnits { expected, got, other: None } => write!(
                f,
                "timestamp is in {got}, but the file's first timestamp is in {expected}"
            ),
            K::MixedTimeUnits { expected, got, other: Some(other) } => write!(
                f,
                "timestamps are in {got}, but in {expected} in {} of the same series",
                other.display()
            ),
            K::OffGrid { timeframe_ms, time } => write!(
                f,
                "this bar opens at {}, off the {} grid (open times are multiples of {} from 00:00 UTC); --strict makes this an error, without it such bars are skipped and counted",
                format_utc(*time),
                format_duration(*timeframe_ms),
                format_duration(*timeframe_ms)
            ),
            K::ImplausibleBar { previous_close, high, low, max_jump, level_shift: false } => write!(
                f,
                "implausible bar: high {high:?} / low {low:?} against the previous close {previous_close:?} (more than {max_jump}× away); --strict makes this an error, without it such bars are skipped and counted"
            ),
            K::ImplausibleBar { previous_close, high, low, max_jump, level_shift: true } => write!(
                f,
                "the price level moved more than {max_jump}× and stayed there ({} bars in a row, now high {high:?} / low {low:?} against the close {previous_close:?} before): a redenomination, another unit, or a real collapse? Split the data there, or pass --max-jump 0 to accept it",
                super::series::LEVEL_SHIFT_BARS
            ),
            K::MostlyOffGrid { timeframe_ms, off_grid, on_grid } => write!(
                f,
                "{off_grid} of {} bars do not open on the {} grid (multiples of {} from 00:00 UTC): wrong timeframe, or times in another zone than UTC?",
                off_grid + on_grid,
                format_duration(*timeframe_ms),
                format_duration(*timeframe_ms)
            ),
            K::TimeframeTooShort { timeframe_ms, smallest_step_ms } => write!(
                f,
                "read as {} bars, but no two consecutive bars are {} apart (the smallest step is {}): the data is probably {} bars; rename the file or pass --timeframe",
                format_duration(*timeframe_ms),
                format_duration(*timeframe_ms),
                format_duration(*smallest_step_ms),
                format_duration(*smallest_step_ms)
            ),
            K::SeriesGap(g) => {
                write!(
                    f,
                    "{} has no bars from {} to {} ({}), more than the {} a series may miss",
                    g.symbol,
                    format_utc(g.before),
                    format_utc(g.after),
                    format_duration(g.after - g.before),
                    format_duration(super::series::MAX_GAP_MS)
                )?;
                if let Some(previous) = &g.previous_file {
                    write!(f, " (between {} and this file)", previous.display())?;
                }
                f.write_str(": these look like separate data sets (another period or market); use --timerange to pick one period, or pass only the files of one")
            }
            K::MixedMarkets { first, first_file, second } => write!(
                f,
                "this {second} file has the same symbol as the {first} file {}: spot and futures are different instruments; pass the files of one market (e.g. only the spot/ or only the futures/ folder)",
                first_file.display()
            ),
            K::FilesOverlap { previous, previous_last: Some(last), first } => write!(
                f,
                "overlaps {}: this file starts at {} but that one ends at {}",
                previous.display(),
                format_utc(*first),
                format_utc(*last)
            ),
            K::FilesOverlap { previous, previous_last: None, first } => write!(
                f,
                "overlaps {}: both files start at {}",
                previous.display(),
                format_utc(*first)
            ),
            K::TruncatedLine { expected, got } => write!(
                f,
                "the last line is cut short ({got} of {expected} columns, no line end): the file looks truncated"
            ),
            K::LineTooLong { max } => write!(f, "line longer than {max} bytes"),
            K::InvalidUtf8 => f.write_str("the line is not valid UTF-8 text"),
            K::JsonSyntax { expected, found } => {
                write!(f, "expected {expected}, found {}", describe_byte(*found))
            }
            K::UnknownLayout { detail } => write!(f, "unrecognized data layout: {detail}"),
            K::NoUsableFiles { detail } => write!(f, "no usable data files: {detail}"),
            K::UnknownTimeframe { name } => write!(
                f,
                "no supported timeframe in \"{name}\" (1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d); name files like BTCUSDT-15m.csv or give the timeframe option"
            ),
            K::NoSymbol => f.write_str(
                "cannot tell the symbol from the file name; name it like BTCUSDT-15m.csv or give the symbol option",
            ),
            K::InvalidSymbol { name } => write!(
                f,
                "symbol \"{name}\" is not a trading pair like BTCUSDT or BTC/USDT"
            ),
            K::SymbolConflict { first, second } => write!(
                f,
                "the symbol option applies to one symbol, but the inputs hold {first} and {second}"
            ),
            K::TimeframeConflict { file_minutes, requested_minutes } => write!(
                f,
                "the file name says {} but the timeframe option asks for {}",
                timeframe_label(*file_minutes),
                timeframe_label(*requested_minutes)
            ),
            K::MixedTimeframes { first, second } => write!(
                f,
                "the inputs hold several timeframes ({} and {}); choose one with the timeframe option",
                timeframe_label(*first),
                timeframe_label(*second)
            ),
            K::InputChanged => f.write_str("the file changed while it was being read"),
            K::BadCache { detail } => write!(f, "not a valid bar cache file: {detail}"),
            K::Archive { detail } => write!(f, "zip archive refused: {detail}"),
            K::ChecksumMismatch(m) => write!(
                f,
                "SHA-256 {} does not match {} in {}: the file is damaged or incomplete (download it again)",
                m.got,
                m.expected,
                m.checksum_file.display()
            ),
            K::BadChecksumFile { detail } => write!(f, "not a valid checksum file: {detail}"),
            K::EmptyRange(e) => write!(
                f,
                "--timerange {} holds no bar of {}, whose data runs from {} to {}",
                e.range,
                e.symbol,
                format_utc(e.first),
                format_utc(e.last)
            ),
        }
    }
}
