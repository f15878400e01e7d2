//! Data input: market data files in, validated bars out, in bounded memory.
//!
//! The path of the data through this module:
//!
//! 1. [`discover()`] turns the command line's files and folders into
//!    [`SeriesSpec`]s — one per symbol, each a list of files in time order —
//!    reading only the first row of each file. Symbol and timeframe come from
//!    file names ([`naming`]) or options.
//! 2. [`build_cache`] streams a series once through the parser and all checks,
//!    writing fixed-width binary records (only the bars in the series' time
//!    range, `--timerange`) to a cache file named after the inputs' SHA-256;
//!    later runs on unchanged inputs reuse it ([`cache`]).
//! 3. [`SeriesReader`] streams one cache file, and [`Merged`] streams several
//!    in chronological order: the form every pass of the optimizer consumes.
//!
//! [`BarFile`] and [`for_each_bar`] stream files directly, without a cache.
//!
//! Supported layouts ([`layout`]): Binance public-data kline CSV (spot without
//! header, futures with header; 12 columns), plain `timestamp,open,high,low,
//! close,volume` CSV with or without header, the normalized
//! `open_time_ms,...` CSV, and freqtrade json; each also as the one member of
//! a zip archive, read in place, as Binance publishes its files ([`archive`],
//! which also verifies a `.CHECKSUM` file beside any input). Timestamps in seconds,
//! milliseconds or microseconds are told apart by magnitude ([`time`]).
//!
//! Every bar passes [`phasebound_core::Bar::validate`]; in addition a series'
//! files must not overlap, come from one market, and its bars open on the
//! timeframe's UTC grid (off-grid bars are skipped and counted, or refused with
//! `--strict`; gaps are counted, up to 32 days; see [`series`]).
//! The first problem stops the work with a [`DataError`] naming file, line and
//! values, and a documented exit code ([`DataError::exit_code`]).
//!
//! Memory never depends on the length of the data: reading uses one
//! [`READ_BUFFER_BYTES`] buffer and one line buffer of at most
//! [`MAX_LINE_BYTES`] per open file; nothing collects rows.

pub mod archive;
pub mod cache;
mod cache_dir;
mod cache_verify;
mod csv;
pub mod discover;
pub mod error;
pub mod file;
mod freqtrade;
pub mod layout;
pub mod merge;
pub mod naming;
pub mod series;
pub mod time;

pub use cache::{CachedSeries, SeriesReader, build_cache};
pub use cache_dir::{CacheGuard, prune_cache};
pub use discover::{DiscoverOptions, discover};
pub use error::{DataError, DataErrorKind, SeriesGap};
pub use file::BarFile;
pub use layout::Layout;
pub use merge::{Merged, TimeRange};
pub use naming::{SUPPORTED_TIMEFRAMES, parse_file_name, parse_timeframe, timeframe_label};
pub use series::{
    BarPolicy, DEFAULT_MAX_JUMP, FileSummary, LEVEL_SHIFT_BARS, MAX_GAP_MS, SeriesSpec,
    SeriesSummary, for_each_bar,
};
pub use time::{
    TimeUnit, Utc, civil_from_ms, format_duration, format_utc, format_yyyymmdd, ms_from_civil,
    parse_yyyymmdd,
};

/// Size of every read buffer (data files and cache files), bytes.
pub const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Longest accepted CSV line, bytes. Kline lines are about 150 bytes; the
/// limit keeps a corrupt file (e.g. binary data without line ends) from
/// growing the line buffer.
pub const MAX_LINE_BYTES: usize = 4096;
