//! The command-line pieces `run` and `exits` share: the input flags, the configuration
//! file, the worker threads and the cache folder. Below both commands (and [`crate::cli`],
//! which re-exports them), so neither depends on the other.

use crate::config::Config;
use crate::error::AppError;
use std::path::PathBuf;

/// The input flags `run` and `exits` share.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Kline files or folders (Binance CSV or its .zip, freqtrade json, plain CSV). Default:
    /// embedded data.
    #[arg(long, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Symbol, when a file name does not tell it (single file only).
    #[arg(long)]
    pub symbol: Option<String>,
    /// Timeframe (1m … 1d); selects matching files in folders.
    #[arg(long)]
    pub timeframe: Option<String>,
    /// Only bars opening in START (included) … END (excluded), UTC dates:
    /// YYYYMMDD-YYYYMMDD, either side may be left out (20240101-, -20240301).
    #[arg(long, value_name = "START-END", allow_hyphen_values = true)]
    pub timerange: Option<String>,
    /// Stop on a bar off the timeframe's UTC grid or implausible (default: skip and
    /// count it).
    #[arg(long)]
    pub strict: bool,
    /// A bar whose high or low lies more than this factor from the previous close
    /// is implausible (a bad print); 0 turns the check off.
    #[arg(long, value_name = "FACTOR", default_value_t = crate::data::DEFAULT_MAX_JUMP)]
    pub max_jump: u32,
}

/// Validated input flags.
#[derive(Clone, Debug)]
pub struct Input {
    /// Files or folders; empty = the embedded data.
    pub data: Vec<PathBuf>,
    /// Symbol override (single file only).
    pub symbol: Option<String>,
    /// Timeframe in minutes.
    pub timeframe: Option<u32>,
    /// `--timerange` (the whole series without it).
    pub timerange: crate::data::TimeRange,
    /// `--strict`, `--max-jump`.
    pub policy: crate::data::BarPolicy,
}

/// What the flags default to on the command line (a bare `phasebound` uses this).
impl Default for InputArgs {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            symbol: None,
            timeframe: None,
            timerange: None,
            strict: false,
            max_jump: crate::data::DEFAULT_MAX_JUMP,
        }
    }
}

impl InputArgs {
    /// Checks the timeframe name and that `--symbol` goes with a single file.
    ///
    /// # Errors
    /// Usage errors (exit 2).
    pub fn validate(self) -> Result<Input, AppError> {
        let timeframe = match &self.timeframe {
            Some(t) => Some(crate::data::parse_timeframe(t).ok_or_else(|| {
                AppError::Usage(format!(
                    "--timeframe '{t}' is not one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d"
                ))
            })?),
            None => None,
        };
        if self.symbol.is_some() && self.data.len() != 1 {
            return Err(AppError::Usage(
                "--symbol needs exactly one --data file".into(),
            ));
        }
        let timerange = match &self.timerange {
            Some(t) => crate::data::TimeRange::parse(t)
                .map_err(|problem| AppError::Usage(format!("--timerange '{t}': {problem}")))?,
            None => crate::data::TimeRange::ALL,
        };
        Ok(Input {
            data: self.data,
            symbol: self.symbol,
            timeframe,
            timerange,
            policy: crate::data::BarPolicy {
                strict: self.strict,
                max_jump: self.max_jump,
            },
        })
    }
}

/// The configuration: the TOML file if one is given, else the defaults.
///
/// # Errors
/// Unreadable file or not UTF-8 (exit 4), or invalid configuration (exit 2): also a path
/// that is not a regular file or a file over [`crate::input::MAX_SMALL_FILE_BYTES`].
pub fn load_config(path: Option<&std::path::Path>) -> Result<Config, AppError> {
    use crate::input::{InputError, MAX_SMALL_FILE_BYTES, read_small_text};
    match path {
        Some(p) => {
            let text = read_small_text(p, MAX_SMALL_FILE_BYTES).map_err(|e| match e {
                InputError::Io(e) => AppError::io(p, e),
                // As before the bound: text that cannot be read is an I/O error (exit 4).
                InputError::NotUtf8 => AppError::io(
                    p,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    ),
                ),
                other => AppError::Config(crate::config::ConfigError {
                    key: p.display().to_string(),
                    problem: other.to_string(),
                    capacity: false,
                }),
            })?;
            Ok(Config::from_toml(&text, p)?)
        }
        None => Ok(Config::default()),
    }
}

/// The options `run` and `exits` share besides the inputs: worker threads (default all
/// cores but one) and the cache folder (default `OUT/.cache`).
///
/// # Errors
/// `--threads 0`.
pub fn common_options(
    threads: Option<usize>,
    cache: Option<&std::path::Path>,
    out: &std::path::Path,
) -> Result<(usize, PathBuf), AppError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match threads {
        Some(0) => return Err(AppError::Usage("--threads must be at least 1".into())),
        Some(n) => n,
        None => cores.saturating_sub(1).max(1),
    };
    let cache = cache.map_or_else(|| out.join(".cache"), std::path::Path::to_path_buf);
    Ok((threads, cache))
}
