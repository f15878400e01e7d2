//! `phasebound exits`: an exit grid evaluated on entries the user supplies.
//!
//! The question it answers: *for the trades my bot actually took, which exits would have
//! been best?* The entries come from a CSV file, `symbol,time,direction[,atr]`, one row
//! per entry (a header row is optional):
//!
//! | column | meaning |
//! |---|---|
//! | `symbol` | as the data names it (`BTCUSDT`; `BTC/USDT`, `BTC_USDT` are the same) |
//! | `time` | open time of the **signal bar**: integer ms (s and µs are told by magnitude, as in kline files) or ISO 8601 UTC (`2024-03-01T12:15:00Z`, `2024-03-01 12:15`) |
//! | `direction` | `long`/`buy` or `short`/`sell` (any case) |
//! | `atr` | optional: the ATR in price units the exit distances are multiples of; empty or absent = the signal bar's ATR(14) |
//!
//! The entry fills as the configuration says (`trading.entry`: the next bar's open by
//! default, or the signal bar's close), and every cell of the grid — take profit × stop
//! loss × holding time × trailing stop or off — is simulated exactly as `run` does,
//! with the same engine (first passage; `--reference` uses the bar-by-bar simulator) and
//! the same costs. Each cell is one account over all symbols, as `run` trades it (see
//! `phasebound_core::account`): by default the config's `trading.max_open_trades` (3)
//! slots, each entry staking equity / max_open_trades of the realized equity
//! (compounding), one position per symbol; entries that find no free slot are counted as
//! skipped. `--max-open-trades`, `--stake fixed` and `--one-position` override those;
//! `--every-entry` is the grid view of the exits alone: a fixed stake, no
//! one-per-symbol rule and all 16 slots (`MAX_OPEN_TRADES`), so every entry trades
//! unless 16 positions are already open (those few are counted as skipped).
//!
//! # Streaming
//!
//! The entries file is read alongside the bars, never loaded: rows must be sorted by
//! time (rows of one time in any symbol order); an earlier time after a later one is an
//! error naming the line. Each entry is queued in the core's workspace right after its
//! signal bar streams by ([`Workspace::enter`]) and evaluated when its window is
//! complete, so memory is the workspace (fixed at compile time) plus one read buffer per
//! file, whatever the number of bars or entries. A grid of more than
//! [`MAX_CELLS`] cells runs as several passes of at most that many cells (in parallel
//! with `--threads`); cells are independent, so the results do not depend on the split.
//!
//! # Bad entries
//!
//! An entry whose symbol is not in the data, whose time is before the symbol's first bar
//! or after its last, is not a bar open time (a gap in the data, or misaligned), whose
//! bar has no ATR(14) yet (the first 13 bars) and no `atr` column, or that cannot fill
//! (signal on the last bar with next-open entries) stops the command with an error
//! naming the line (exit code 3). With `--skip-bad-entries` such rows are skipped and
//! counted by reason instead. Rows that cannot be read (bad number, unknown direction,
//! wrong column count, unsorted time) are always errors.
//!
//! # Outputs
//!
//! `OUT/exits.csv` (written atomically): one row per cell in grid order with its rank
//! by the objective, trades, wins, win rate, skipped entries, expectancy (mean net % per
//! trade) and its standard deviation, total return and CAGR (% of the initial capital),
//! max drawdown (% of peak equity, in exit order), Sharpe, Sortino and Calmar (daily
//! returns, annualized with 365), profit factor, final equity, and the count of each exit
//! reason. `OUT/exits.html` beside it, in the same commit: the grid as heatmaps, the
//! best cells, and the equity and drawdown curves of the [`TOP_CURVES`] best (one more
//! pass over the entries with only those cells, see `curves`).
//! The top cells go to stdout. Same data, entries, grid and config: same bytes, whatever
//! the thread count.
//!
//! [`Workspace::enter`]: phasebound_core::engine::Workspace::enter

use crate::config::{Config, hours_to_bars};
use crate::data::{self, CachedSeries, Merged, SeriesReader, TimeRange};
use crate::error::AppError;
use crate::workspace::{HostWorkspace, LaneShape};
use phasebound_core::account::{AccountSpec, Stake};
use phasebound_core::budget::{H_MAX, MAX_CELLS, MAX_LEVELS, MAX_OPEN_TRADES, MAX_TRAILING};
use phasebound_core::engine::ExternalEntry;
use phasebound_core::plan::{CellDef, EntrySource, EvalMode, PassPlan, ProfileSpec};
use phasebound_core::signal::Profile;
use phasebound_core::stats::{self, CellStats, Objective, better, max_drawdown, profit_factor};
use phasebound_core::{Direction, Error as CoreError, ExitParams, ExitReason};
use phasebound_core::{EntryTiming, Trailing};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};

mod curves;
pub mod shard;
mod trace;
pub use curves::{TOP_CURVES, TopCurve};
use shard::Shard;
use trace::{PassObserver, TraceWriter};

/// Stack of each worker thread: a default workspace is built on it before boxing.
const WORKER_STACK: usize = 16 * 1024 * 1024;

/// Largest grid accepted (cells); larger ones are almost certainly a typo.
pub const MAX_GRID_CELLS: usize = 1 << 20;

/// Most entries waiting at one timestamp (all symbols), read ahead while their bars stream.
pub const MAX_SAME_TIME_ENTRIES: usize = 16 * 1024;

/// Name of the all-cells CSV in the output folder.
pub const CSV_NAME: &str = "exits.csv";
/// The heatmap page beside it.
pub const HTML_NAME: &str = "exits.html";

/// `exits.html` for the ranked `cells` (see [`crate::report::exits_html`]).
fn exits_page(
    cells: &[CellResult],
    scores: &[f64],
    top: &[TopCurve],
    tf: u32,
    (objective, min_trades): (Objective, u32),
    counts: &EntryCounts,
) -> String {
    let view: Vec<crate::report::exits_html::ExitCell<'_>> = cells
        .iter()
        .zip(scores)
        .map(|(c, &score)| crate::report::exits_html::ExitCell {
            exit: &c.exit,
            stats: &c.stats,
            score,
            rank: c.rank,
        })
        .collect();
    let about = format!(
        "{} entries evaluated at {}; objective {} (cells with fewer than {} trades rank last)",
        counts.used,
        data::timeframe_label(tf),
        objective.name(),
        min_trades
    );
    let curves: Vec<(usize, &crate::trades::Curve)> =
        top.iter().map(|t| (t.rank, &t.curve)).collect();
    crate::report::exits_html::page(&view, &curves, tf, &about)
}

/// Arguments of `phasebound exits`.
#[derive(Debug, Default, clap::Args)]
pub struct ExitsArgs {
    /// Entries CSV: symbol,time,direction[,atr], sorted by time.
    #[arg(long)]
    pub entries: PathBuf,
    /// Kline data, as for `run` (default: the embedded data).
    #[command(flatten)]
    pub input: crate::cli::InputArgs,
    /// Configuration file (TOML): costs, fills, objective, and the profile's exit lattice.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Profile whose exit lattice is the default grid (scalping or swing).
    #[arg(long, default_value = "scalping")]
    pub profile: String,
    /// Take-profit axis in ATRs, e.g. 1,1.5,2 (default: the profile's). Any length: a
    /// pass takes 32 distinct levels of each kind (MAX_LEVELS), longer axes run as more
    /// passes (`phasebound budget` lists the limits).
    #[arg(long, value_delimiter = ',')]
    pub tp: Vec<f64>,
    /// Stop-loss axis in ATRs, e.g. 1,2 (default: the profile's).
    #[arg(long, value_delimiter = ',')]
    pub sl: Vec<f64>,
    /// Holding-time axis in hours, e.g. 4,8 (default: the profile's); each at most 8192
    /// bars (H_MAX).
    #[arg(long, value_delimiter = ',')]
    pub hold_hours: Vec<f64>,
    /// Trailing axis: `off` and/or activation:distance in ATRs, e.g. off,1:0.5
    /// (default: off plus the profile's). Any length, as for --tp (32 a pass: MAX_TRAILING).
    #[arg(long, value_delimiter = ',')]
    pub trailing: Vec<String>,
    /// Round-trip cost in % (default: the config's fees and slippage, 0.14).
    #[arg(long)]
    pub cost_pct: Option<f64>,
    /// One position per symbol and cell (default: the config's
    /// trading.one_position_per_symbol, true).
    #[arg(long)]
    pub one_position: bool,
    /// Positions each cell's account holds at once, 1..=16 (default: the config's
    /// trading.max_open_trades, 3).
    #[arg(long)]
    pub max_open_trades: Option<u8>,
    /// `compounding` (equity / max_open_trades per entry) or `fixed` (initial capital /
    /// max_open_trades) (default: the config's trading.stake, compounding).
    #[arg(long)]
    pub stake: Option<String>,
    /// The exits alone: a fixed stake, all 16 slots, no one-per-symbol rule, so every
    /// entry trades (unless 16 positions are open at once).
    #[arg(long, conflicts_with_all = ["one_position", "max_open_trades", "stake"])]
    pub every_entry: bool,
    /// Skip (and count) entries outside the data, on gaps or without ATR, instead of failing.
    #[arg(long)]
    pub skip_bad_entries: bool,
    /// Ranking objective (default: the config's, sharpe): sharpe, sortino, calmar,
    /// total_profit, expectancy_sqrt_n, profit_factor, return_over_drawdown.
    #[arg(long)]
    pub objective: Option<String>,
    /// Cells with fewer trades rank last (default: the config's search.min_trades).
    #[arg(long)]
    pub min_trades: Option<u32>,
    /// Cells shown on stdout.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Output folder (exits.csv).
    #[arg(long, default_value = "phasebound-out")]
    pub out: PathBuf,
    /// Cache folder (default: OUT/.cache).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Worker threads for grids of several passes (default: all cores but one; at most
    /// the cores and one per two cells are used).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Refuse to start (exit 5) when the memory estimate exceeds this size (as for `run`).
    #[arg(long, value_parser = crate::resources::parse_size)]
    pub max_memory: Option<u64>,
    /// No summary on stdout; errors only.
    #[arg(long, short)]
    pub quiet: bool,
    /// Use the bar-by-bar reference simulator instead of first passage (benchmarks).
    #[arg(long, hide = true)]
    pub reference: bool,
    /// Write every (entry, cell) outcome to this CSV (agreement checks; large).
    #[arg(long, hide = true)]
    pub trades: Option<PathBuf>,
    /// Evaluate only shard K of N of the grid (cells i with i mod N = K − 1) and write
    /// OUT/exits.shard.json instead of exits.csv; `phasebound merge` joins the N shards
    /// into the bytes a single run writes.
    #[arg(long, value_name = "K/N", conflicts_with = "trades")]
    pub shard: Option<String>,
}

/// One axis value of the trailing stop: off, or a pair.
pub type TrailingSetting = Option<Trailing>;

/// The exit grid: the product of four axes, enumerated tp-major, then sl, trailing, hold
/// (hold innermost: cells that differ only in holding time are neighbours, which is the
/// order the engine resolves them in).
#[derive(Clone, Debug, PartialEq)]
pub struct ExitGrid {
    /// Take-profit multipliers (ATRs).
    pub tp: Vec<f64>,
    /// Stop-loss multipliers (ATRs).
    pub sl: Vec<f64>,
    /// Holding times in bars.
    pub hold: Vec<u16>,
    /// Trailing settings.
    pub trailing: Vec<TrailingSetting>,
}

impl ExitGrid {
    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tp.len() * self.sl.len() * self.hold.len() * self.trailing.len()
    }

    /// True when an axis is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every cell's exit parameters, in grid order.
    #[must_use]
    pub fn cells(&self) -> Vec<ExitParams> {
        let mut v = Vec::with_capacity(self.len());
        for &tp in &self.tp {
            for &sl in &self.sl {
                for &trailing in &self.trailing {
                    for &hold in &self.hold {
                        v.push(ExitParams {
                            tp,
                            sl,
                            hold,
                            trailing,
                        });
                    }
                }
            }
        }
        v
    }
}

/// Validated options of `phasebound exits`.
#[derive(Clone, Debug)]
pub struct ExitsOptions {
    /// The entries CSV.
    pub entries: PathBuf,
    /// Inputs (empty = embedded data).
    pub data: Vec<PathBuf>,
    /// Symbol override.
    pub symbol: Option<String>,
    /// Timeframe in minutes.
    pub timeframe: Option<u32>,
    /// `--timerange`: the bars used.
    pub timerange: TimeRange,
    /// `--strict`, `--max-jump`: bars off the grid or implausible.
    pub policy: data::BarPolicy,
    /// The configuration.
    pub config: Config,
    /// Profile whose lattice fills the axes not given.
    pub profile: Profile,
    /// Axes given on the command line (hold in hours), `None` = the profile's.
    pub axes: Axes,
    /// Round-trip cost override, %.
    pub cost_pct: Option<f64>,
    /// The account rules of every cell.
    pub account: AccountSpec,
    /// Skip bad entries instead of failing.
    pub skip_bad_entries: bool,
    /// Ranking objective.
    pub objective: Objective,
    /// Minimum trades to rank.
    pub min_trades: u32,
    /// Cells on stdout.
    pub top: usize,
    /// Output folder.
    pub out: PathBuf,
    /// Cache folder.
    pub cache: PathBuf,
    /// Worker threads (>= 1).
    pub threads: usize,
    /// `--max-memory`: refuse to start when the estimate exceeds it.
    pub max_memory: Option<u64>,
    /// Evaluation engine.
    pub mode: EvalMode,
    /// Per-trade CSV, if wanted.
    pub trades: Option<PathBuf>,
    /// `--shard K/N`: only this part of the grid, written as a shard file.
    pub shard: Option<Shard>,
}

/// Axes from the command line; `None` takes the profile's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Axes {
    /// Take profit, ATRs.
    pub tp: Option<Vec<f64>>,
    /// Stop loss, ATRs.
    pub sl: Option<Vec<f64>>,
    /// Holding times, hours.
    pub hold_hours: Option<Vec<f64>>,
    /// Trailing settings.
    pub trailing: Option<Vec<TrailingSetting>>,
}

/// Parses one `--trailing` value: `off`, or `activation:distance` in ATRs.
///
/// # Errors
/// Anything else, or a pair that is not valid (activation `>= 0`, distance `> 0`).
pub fn parse_trailing(s: &str) -> Result<TrailingSetting, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("off") || t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || format!("--trailing '{s}' is not 'off' or activation:distance (e.g. 1:0.5)");
    let (a, d) = t.split_once(':').ok_or_else(bad)?;
    let activation: f64 = a.trim().parse().map_err(|_| bad())?;
    let distance: f64 = d.trim().parse().map_err(|_| bad())?;
    let tr = Trailing {
        activation,
        distance,
    };
    if !tr.is_valid() {
        return Err(format!(
            "--trailing '{s}': activation must be >= 0 and distance > 0 (ATRs)"
        ));
    }
    Ok(Some(tr))
}

impl ExitsArgs {
    /// Validates the arguments.
    ///
    /// # Errors
    /// Bad flags or config, as usage/config errors (exit code 2).
    pub fn validate(self) -> Result<(ExitsOptions, bool), AppError> {
        let mut config = crate::cli::load_config(self.config.as_deref())?;
        config.check()?;
        let profile = match self.profile.to_ascii_lowercase().as_str() {
            "scalping" => Profile::Scalping,
            "swing" => Profile::Swing,
            other => {
                return Err(AppError::Usage(format!(
                    "--profile '{other}' is not scalping or swing"
                )));
            }
        };
        let input = self.input.validate()?;
        let positive = |name: &str, v: &[f64]| -> Result<Option<Vec<f64>>, AppError> {
            if v.is_empty() {
                return Ok(None);
            }
            if let Some(x) = v.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
                return Err(AppError::Usage(format!(
                    "--{name}: {x} is not a positive number"
                )));
            }
            Ok(Some(v.to_vec()))
        };
        let trailing = if self.trailing.is_empty() {
            None
        } else {
            Some(
                self.trailing
                    .iter()
                    .map(|s| parse_trailing(s))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(AppError::Usage)?,
            )
        };
        let axes = Axes {
            tp: positive("tp", &self.tp)?,
            sl: positive("sl", &self.sl)?,
            hold_hours: positive("hold-hours", &self.hold_hours)?,
            trailing,
        };
        if let Some(c) = self.cost_pct
            && !(c.is_finite() && (0.0..100.0).contains(&c))
        {
            return Err(AppError::Usage(format!(
                "--cost-pct {c} is not a percentage in [0, 100)"
            )));
        }
        if let Some(o) = &self.objective {
            config.search.objective.clone_from(o);
        }
        if self.every_entry {
            config.trading.stake = Stake::Fixed.name().into();
            config.trading.max_open_trades = MAX_OPEN_TRADES as u8;
            config.trading.one_position_per_symbol = false;
        }
        if let Some(n) = self.max_open_trades {
            config.trading.max_open_trades = n;
        }
        if let Some(st) = &self.stake {
            config.trading.stake.clone_from(st);
        }
        if self.one_position {
            config.trading.one_position_per_symbol = true;
        }
        config.check().map_err(|e| {
            let text = e
                .to_string()
                .replace("trading.max_open_trades", "--max-open-trades")
                .replace("trading.stake", "--stake");
            if e.capacity {
                AppError::Capacity(text)
            } else {
                AppError::Usage(text)
            }
        })?;
        let account = AccountSpec {
            max_open_trades: config.trading.max_open_trades,
            stake: config.stake()?,
            one_position_per_symbol: config.trading.one_position_per_symbol,
        };
        let objective = config.objective()?;
        let min_trades = self.min_trades.unwrap_or(config.search.min_trades);
        let shard = self
            .shard
            .as_deref()
            .map(Shard::parse)
            .transpose()
            .map_err(AppError::Usage)?;
        let (threads, cache) =
            crate::cli::common_options(self.threads, self.cache.as_deref(), &self.out)?;
        Ok((
            ExitsOptions {
                entries: self.entries,
                data: input.data,
                symbol: input.symbol,
                timeframe: input.timeframe,
                timerange: input.timerange,
                policy: input.policy,
                config,
                profile,
                axes,
                cost_pct: self.cost_pct,
                account,
                skip_bad_entries: self.skip_bad_entries,
                objective,
                min_trades,
                top: self.top,
                out: self.out,
                cache,
                threads,
                max_memory: self.max_memory,
                mode: if self.reference {
                    EvalMode::Reference
                } else {
                    EvalMode::FirstPassage
                },
                trades: self.trades,
                shard,
            },
            self.quiet,
        ))
    }
}

/// A problem with one row of the entries file (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {problem}", path.display())]
pub struct EntryError {
    /// The entries file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

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

    fn index(self) -> usize {
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

/// One cell's result.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// Exit parameters (hold in bars).
    pub exit: ExitParams,
    /// Accumulated trades.
    pub stats: CellStats,
    /// 1-based rank by the objective (ties to the lower cell index).
    pub rank: usize,
}

/// What `phasebound exits` produced.
#[derive(Debug)]
pub struct ExitsOutcome {
    /// Cells in grid order.
    pub cells: Vec<CellResult>,
    /// Entry bookkeeping.
    pub entries: EntryCounts,
    /// Passes (chunks of at most `MAX_CELLS` cells).
    pub passes: usize,
    /// Worker threads used (`--threads` clamped to what helps).
    pub workers: usize,
    /// Bar timeframe, minutes.
    pub timeframe: u32,
    /// The human summary.
    pub summary: String,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// The equity curves of the best cells, best first (drawn in `exits.html`).
    pub curves: Vec<TopCurve>,
}

// ------------------------------------------------------------------ entries file

/// One parsed row.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    line: u64,
    symbol: Option<u16>,
    symbol_text: String,
    time: i64,
    direction: Direction,
    atr: Option<f64>,
}

/// Streams the entries file row by row, checking the time order.
struct EntryReader {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    line: u64,
    last_time: Option<(i64, u64)>,
    symbols: Vec<String>,
    peeked: Option<Row>,
    header_checked: bool,
}

impl EntryReader {
    fn open(path: &Path, symbols: &[String]) -> Result<Self, AppError> {
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

    fn err(&self, line: u64, problem: String) -> AppError {
        AppError::Entries(EntryError {
            path: self.path.clone(),
            line,
            // Fields of the row are echoed: make control bytes in them visible.
            problem: crate::text::escape_controls(&problem),
        })
    }

    fn peek(&mut self) -> Result<Option<&Row>, AppError> {
        if self.peeked.is_none() {
            self.peeked = self.read_row()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn take(&mut self) -> Option<Row> {
        self.peeked.take()
    }

    fn read_row(&mut self) -> Result<Option<Row>, AppError> {
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

// ------------------------------------------------------------------ matching

/// What the pass needs to know about each series.
#[derive(Clone, Debug)]
struct SeriesInfo {
    symbol: String,
    first: i64,
    last: i64,
    step: i64,
}

/// Pairs entry rows with the bars as they stream: rows of time `t` wait in `group` until
/// the bars of time `t` have passed.
struct Matcher {
    reader: EntryReader,
    info: Vec<SeriesInfo>,
    group: Vec<Row>,
    skip: bool,
    counts: EntryCounts,
}

impl Matcher {
    fn bad(&mut self, row: &Row, why: BadEntry) -> Result<(), AppError> {
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
    fn advance_to(&mut self, t: i64) -> Result<(), AppError> {
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
    fn take_for(&mut self, symbol: u16, out: &mut Vec<Row>) {
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
    fn finish(&mut self) -> Result<(), AppError> {
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

// ------------------------------------------------------------------ passes

/// Everything a pass needs, shared by the workers.
struct Job<'a> {
    series: &'a [CachedSeries],
    info: Vec<SeriesInfo>,
    spec: ProfileSpec,
    cells: Vec<CellDef>,
    timeframe: u32,
    opts: &'a ExitsOptions,
    /// The workers' lanes: one per symbol, as deep as the longest hold.
    lanes: LaneShape,
}

struct ChunkResult {
    stats: Vec<CellStats>,
    counts: EntryCounts,
}

/// One pass over the bars and entries for `cells` (grid cells from `offset` on),
/// watched by `obs`.
fn run_chunk<O: PassObserver + ?Sized>(
    job: &Job<'_>,
    ws: &mut HostWorkspace,
    cells: &[CellDef],
    offset: usize,
    obs: &mut O,
) -> Result<ChunkResult, AppError> {
    let core = AppError::core;
    let mut plan: PassPlan<'_, MAX_CELLS> =
        PassPlan::new(&job.spec, i64::MIN, i64::MAX).map_err(core)?;
    for c in cells {
        plan.push_cell(*c).map_err(core)?;
    }
    plan.finalize().map_err(core)?;
    plan.set_mode(job.opts.mode);
    plan.set_entry_source(EntrySource::External);
    ws.begin(&plan, job.series.len(), job.timeframe)
        .map_err(core)?;

    let mut readers = Vec::with_capacity(job.series.len());
    for s in job.series {
        readers.push(SeriesReader::open_cached(s)?);
    }
    let mut merged = Merged::new(readers, TimeRange::ALL).map_err(|e| AppError::io("cache", e))?;
    let mut matcher = Matcher {
        reader: EntryReader::open(
            &job.opts.entries,
            &job.info
                .iter()
                .map(|i| i.symbol.clone())
                .collect::<Vec<_>>(),
        )?,
        info: job.info.clone(),
        group: Vec::new(),
        skip: job.opts.skip_bad_entries,
        counts: EntryCounts::default(),
    };
    let next_open = job.spec.entry_timing == EntryTiming::NextOpen;
    let mut rows = Vec::new();
    obs.begin(job.series.len(), offset);
    while let Some((sym, bar)) = merged.next_bar().map_err(|e| AppError::io("cache", e))? {
        matcher.advance_to(bar.time)?;
        ws.push_observed(&plan, sym, &bar, obs).map_err(core)?;
        matcher.take_for(sym, &mut rows);
        for row in &rows {
            let info = &matcher.info[usize::from(sym)];
            if next_open && bar.time == info.last {
                matcher.bad(row, BadEntry::NoFill)?;
                continue;
            }
            let entry = ExternalEntry {
                direction: row.direction,
                atr: row.atr,
            };
            match ws.enter(&plan, sym, entry) {
                Ok(()) => {
                    matcher.counts.used += 1;
                    if row.direction == Direction::Long {
                        matcher.counts.longs += 1;
                    }
                    obs.queued(usize::from(sym), row.line);
                }
                Err(CoreError::InvalidParameter { .. }) => matcher.bad(row, BadEntry::NoAtr)?,
                Err(CoreError::CapacityExceeded { .. }) => {
                    return Err(AppError::Capacity(format!(
                        "{}:{}: more than {} entries of {} wait for their windows at once \
                         (ENTRY_QUEUE, or the longest hold); space the entries out or shorten the holds",
                        job.opts.entries.display(),
                        row.line,
                        job.lanes.queue,
                        matcher.info[usize::from(sym)].symbol
                    )));
                }
                Err(e) => return Err(core(e)),
            }
        }
    }
    matcher.finish()?;
    ws.finish_observed(&plan, obs).map_err(core)?;
    if let Some(e) = obs.take_error() {
        return Err(AppError::io(job.opts.trades.clone().unwrap_or_default(), e));
    }
    Ok(ChunkResult {
        stats: ws.stats(cells.len()).to_vec(),
        counts: matcher.counts,
    })
}

/// The passes of a grid of `cells` for `threads` workers: ranges of consecutive cells,
/// each of at most [`MAX_CELLS`] cells and at most [`MAX_LEVELS`] distinct take profits,
/// as many stop losses and [`MAX_TRAILING`] trailing settings (what one pass's plan
/// holds), split so that the workers share the work. Cells are independent, so the
/// split never changes a result; axes longer than a pass holds only cost more passes.
fn chunks(cells: &[CellDef], threads: usize) -> Vec<std::ops::Range<usize>> {
    let even = even_chunks(cells.len(), threads);
    if even.iter().all(|r| fits_one_pass(&cells[r.clone()])) {
        return even;
    }
    // Longer axes: the longest runs that fit, each shared among the workers.
    let mut out = Vec::new();
    let mut start = 0;
    let mut levels = PassLevels::default();
    for (i, c) in cells.iter().enumerate() {
        if !levels.admit(c) || i - start == MAX_CELLS {
            out.extend(
                even_chunks(i - start, threads)
                    .into_iter()
                    .map(|r| r.start + start..r.end + start),
            );
            start = i;
            levels = PassLevels::default();
            levels.admit(c);
        }
    }
    out.extend(
        even_chunks(cells.len() - start, threads)
            .into_iter()
            .map(|r| r.start + start..r.end + start),
    );
    out
}

/// The distinct levels of the cells of one pass so far.
#[derive(Default)]
struct PassLevels {
    tp: Vec<u64>,
    sl: Vec<u64>,
    trailing: Vec<(u64, u64)>,
}

impl PassLevels {
    /// Adds `c`'s levels if the pass still holds them all; `false` (nothing added) if not.
    fn admit(&mut self, c: &CellDef) -> bool {
        let e = &c.exit;
        let (tp, sl) = (e.tp.to_bits(), e.sl.to_bits());
        let trailing = e
            .trailing
            .map(|t| (t.activation.to_bits(), t.distance.to_bits()));
        let new_tp = !self.tp.contains(&tp);
        let new_sl = !self.sl.contains(&sl);
        let new_trailing = trailing.filter(|t| !self.trailing.contains(t));
        if (new_tp && self.tp.len() == MAX_LEVELS)
            || (new_sl && self.sl.len() == MAX_LEVELS)
            || (new_trailing.is_some() && self.trailing.len() == MAX_TRAILING)
        {
            return false;
        }
        if new_tp {
            self.tp.push(tp);
        }
        if new_sl {
            self.sl.push(sl);
        }
        self.trailing.extend(new_trailing);
        true
    }
}

/// Whether one pass's plan holds `cells`: see [`chunks`].
fn fits_one_pass(cells: &[CellDef]) -> bool {
    let mut levels = PassLevels::default();
    cells.len() <= MAX_CELLS && cells.iter().all(|c| levels.admit(c))
}

/// `0..n` in equal consecutive parts: enough for [`MAX_CELLS`] a part, a multiple of
/// `threads` when there is work for all of them.
fn even_chunks(n: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let needed = n.div_ceil(MAX_CELLS).max(1);
    let count = if threads > 1 && n >= 2 * threads {
        needed.div_ceil(threads) * threads
    } else {
        needed
    };
    let base = n / count;
    let extra = n % count;
    let mut out = Vec::with_capacity(count);
    let mut start = 0;
    for i in 0..count {
        let len = base + usize::from(i < extra);
        out.push(start..start + len);
        start += len;
    }
    out
}

/// Resolves the grid: command-line axes, else the profile's lattice.
///
/// # Errors
/// Axes beyond the core's level capacities, holds beyond `H_MAX`, an empty or huge grid.
pub fn resolve_grid(opts: &ExitsOptions, tf: u32) -> Result<ExitGrid, AppError> {
    let p = opts.config.profile_toml(opts.profile);
    let tp = opts.axes.tp.clone().unwrap_or_else(|| p.tp_atr.clone());
    let sl = opts.axes.sl.clone().unwrap_or_else(|| p.sl_atr.clone());
    let hours = opts
        .axes
        .hold_hours
        .clone()
        .unwrap_or_else(|| p.hold_hours.clone());
    let trailing = opts.axes.trailing.clone().unwrap_or_else(|| {
        std::iter::once(None)
            .chain(p.trailing.iter().map(|t| {
                Some(Trailing {
                    activation: t.activation_atr,
                    distance: t.distance_atr,
                })
            }))
            .collect()
    });
    let dedup_f = |v: Vec<f64>| -> Vec<f64> {
        let mut out: Vec<f64> = Vec::with_capacity(v.len());
        for x in v {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    };
    let tp = dedup_f(tp);
    let sl = dedup_f(sl);
    let mut hold: Vec<u16> = Vec::new();
    for h in hours {
        let bars = hours_to_bars(h, tf);
        if bars > H_MAX as u64 {
            return Err(AppError::Capacity(format!(
                "{}: hold {h} h = {bars} bars at {}, over the compiled window capacity H_MAX = {H_MAX} bars; \
                 shorten it or use a longer timeframe",
                axis_key(
                    opts,
                    opts.axes.hold_hours.is_some(),
                    "hold-hours",
                    "hold_hours"
                ),
                data::timeframe_label(tf)
            )));
        }
        if !hold.contains(&(bars as u16)) {
            hold.push(bars as u16);
        }
    }
    let mut trails: Vec<TrailingSetting> = Vec::new();
    for t in trailing {
        if !trails.contains(&t) {
            trails.push(t);
        }
    }
    let grid = ExitGrid {
        tp,
        sl,
        hold,
        trailing: trails,
    };
    if grid.is_empty() {
        return Err(AppError::Usage("the exit grid has no cells".into()));
    }
    if grid.len() > MAX_GRID_CELLS {
        return Err(AppError::Capacity(format!(
            "--tp × --sl × --hold-hours × --trailing: {} cells, over the limit MAX_GRID_CELLS = {MAX_GRID_CELLS}; \
             give fewer values on an axis (or split the grid into several runs)",
            grid.len()
        )));
    }
    Ok(grid)
}

/// How a grid axis is named in messages: its flag, or the profile's config key.
fn axis_key(opts: &ExitsOptions, given: bool, flag: &str, key: &str) -> String {
    if given {
        format!("--{flag}")
    } else {
        format!("{}.{key}", opts.profile.name())
    }
}

/// Runs `phasebound exits` and writes `exits.csv` atomically.
///
/// # Errors
/// Any [`AppError`]; the output file is then unchanged.
pub fn run(opts: &ExitsOptions) -> Result<ExitsOutcome, AppError> {
    let lock = crate::resources::lock_output(&opts.out)?;
    let (specs, tf) = crate::source::discover_series(
        &opts.data,
        opts.symbol.as_deref(),
        opts.timeframe,
        opts.timerange,
        opts.policy,
        &opts.cache,
    )?;
    let grid = resolve_grid(opts, tf)?;
    if let Some(s) = opts.shard
        && s.n as usize > grid.len()
    {
        return Err(AppError::Usage(format!(
            "--shard {}/{}: more shards than the grid's {} cells",
            s.k,
            s.n,
            grid.len()
        )));
    }
    let workers = if opts.trades.is_some() {
        1
    } else {
        crate::resources::exits_workers(opts.threads, grid.len())
    };
    let lanes = LaneShape::entries(specs.len(), grid.hold.iter().copied().max().unwrap_or(1));
    crate::resources::check_memory(
        &crate::memory::exits_need(workers, lanes, grid.len()),
        opts.max_memory,
    )?;
    let cache_use =
        data::CacheGuard::begin(&opts.cache).map_err(|e| AppError::io(&opts.cache, e))?;
    let mut series = Vec::with_capacity(specs.len());
    for spec in &specs {
        series.push(data::build_cache(spec, &opts.cache)?);
    }
    let pc = opts.config.profile(opts.profile, tf)?;
    let mut spec = pc.spec;
    spec.opportunity_horizon = 1;
    spec.candidate_min_score = 0.0;
    spec.candidate_min_consensus = 0;
    spec.one_position_per_symbol = opts.account.one_position_per_symbol;
    spec.max_open_trades = opts.account.max_open_trades;
    spec.stake = opts.account.stake;
    if let Some(c) = opts.cost_pct {
        spec.cost_pct = c;
    }
    // A shard evaluates its part of the grid; `picked[j]` is the grid index of cell `j`.
    let picked: Vec<usize> = (0..grid.len())
        .filter(|&i| opts.shard.is_none_or(|s| s.picks(i)))
        .collect();
    let all = grid.cells();
    let cells: Vec<CellDef> = picked
        .iter()
        .map(|&i| CellDef {
            group: 0,
            min_score: 0.0,
            min_consensus: 0,
            exit: all[i],
        })
        .collect();
    let info: Vec<SeriesInfo> = series
        .iter()
        .map(|s| SeriesInfo {
            symbol: s.symbol.clone(),
            first: s.first_time,
            last: s.last_time,
            step: i64::from(s.timeframe_minutes) * 60_000,
        })
        .collect();
    let job = Job {
        series: &series,
        info,
        spec,
        cells,
        timeframe: tf,
        opts,
        lanes,
    };
    let ranges = chunks(&job.cells, workers);
    let results = run_chunks(&job, &ranges, workers)?;

    let mut stats = Vec::with_capacity(job.cells.len());
    let mut counts = EntryCounts::default();
    for (i, r) in results.into_iter().enumerate() {
        if i == 0 {
            counts = r.counts;
        }
        stats.extend(r.stats);
    }
    let scores: Vec<f64> = stats
        .iter()
        .map(|s| opts.objective.score(s, opts.min_trades))
        .collect();
    let (order, rank) = rank(&scores);
    let cells: Vec<CellResult> = job
        .cells
        .iter()
        .zip(stats)
        .zip(rank)
        .map(|((c, s), r)| CellResult {
            exit: c.exit,
            stats: s,
            rank: r,
        })
        .collect();
    // One more pass, over the best few cells only: their equity curves.
    let top = curves::top_curves(&job, &cells, &order)?;
    let (summary, written) = if let Some(s) = opts.shard {
        lock.verify().map_err(|e| AppError::io(&opts.out, e))?;
        let path = shard::write(&job, &grid, &picked, &cells, &order, &top, &counts)?;
        let summary = format!(
            "phasebound exits: shard {}/{}: {} of the grid's {} cells on {} entries\nWrote {}\n",
            s.k,
            s.n,
            cells.len(),
            grid.len(),
            counts.used,
            path.display()
        );
        (summary, vec![path])
    } else {
        let mut written = write_grid_files(
            &opts.out,
            &lock,
            &cells,
            &scores,
            &top,
            tf,
            (opts.objective, opts.min_trades),
            &counts,
        )?;
        if let Some(t) = &opts.trades {
            written.push(t.clone());
        }
        let summary = summary(
            opts,
            &job,
            &grid,
            &cells,
            &order,
            &counts,
            (ranges.len(), workers),
            &written,
        );
        (summary, written)
    };
    cache_use.finish(job.series);
    Ok(ExitsOutcome {
        cells,
        entries: counts,
        passes: ranges.len(),
        workers,
        timeframe: tf,
        summary,
        written,
        curves: top,
    })
}

/// Writes `exits.csv` and `exits.html` of a ranked grid into `out` (locked by `lock`)
/// in one atomic commit, so the page never describes another grid; returns their paths.
#[allow(clippy::too_many_arguments)]
fn write_grid_files(
    out: &Path,
    lock: &crate::output::OutputLock,
    cells: &[CellResult],
    scores: &[f64],
    top: &[TopCurve],
    tf: u32,
    ranking: (Objective, u32),
    counts: &EntryCounts,
) -> Result<Vec<PathBuf>, AppError> {
    let csv = cells_csv(cells, tf);
    let html = exits_page(cells, scores, top, tf, ranking, counts);
    lock.verify().map_err(|e| AppError::io(out, e))?;
    let written = vec![out.join(CSV_NAME), out.join(HTML_NAME)];
    crate::output::write_all_atomic(&[
        (written[0].clone(), csv.into_bytes()),
        (written[1].clone(), html.into_bytes()),
    ])
    .map_err(|e| AppError::io(out, e))?;
    Ok(written)
}

/// The grid indices by rank, and each cell's 1-based rank, by `scores` (higher is
/// better; ties to the lower index, [`better`]).
fn rank(scores: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        if better(scores[a], a as u32, scores[b], b as u32) {
            std::cmp::Ordering::Less
        } else if a == b {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Greater
        }
    });
    let mut rank = vec![0usize; scores.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r + 1;
    }
    (order, rank)
}

/// Runs the chunks on `threads` workers (chunk `i` on worker `i % threads`), each with its
/// own workspace; results come back in chunk order.
fn run_chunks(
    job: &Job<'_>,
    ranges: &[std::ops::Range<usize>],
    threads: usize,
) -> Result<Vec<ChunkResult>, AppError> {
    let workers = threads.min(ranges.len()).max(1);
    let per_worker: Vec<Result<Vec<(usize, ChunkResult)>, AppError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || worker(job, ranges, w, workers))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(AppError::Internal("worker panicked".into()))),
                Err(e) => Err(AppError::Internal(format!("cannot start worker: {e}"))),
            })
            .collect()
    });
    let mut all: Vec<(usize, ChunkResult)> = Vec::with_capacity(ranges.len());
    let mut first_error: Option<(usize, AppError)> = None;
    for (w, r) in per_worker.into_iter().enumerate() {
        match r {
            Ok(v) => all.extend(v),
            // Every pass meets the same rows: report the error of the lowest worker.
            Err(e) => {
                if first_error.as_ref().is_none_or(|(fw, _)| w < *fw) {
                    first_error = Some((w, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

fn worker(
    job: &Job<'_>,
    ranges: &[std::ops::Range<usize>],
    w: usize,
    workers: usize,
) -> Result<Vec<(usize, ChunkResult)>, AppError> {
    let mut ws = crate::workspace::new_workspace(job.lanes);
    let trace_tmp = job
        .opts
        .trades
        .as_deref()
        .map(crate::output::unique_temp_path);
    let mut trace = match &trace_tmp {
        Some(tmp) => {
            let f = File::create(tmp).map_err(|e| AppError::io(tmp, e))?;
            let mut out = BufWriter::with_capacity(1 << 16, f);
            writeln!(
                out,
                "entry_line,cell,exit_bar,exit_reason,exit_price,profit_pct"
            )
            .map_err(|e| AppError::io(tmp, e))?;
            Some(TraceWriter {
                out,
                queued: Vec::new(),
                line: 0,
                cell_offset: 0,
                error: None,
            })
        }
        None => None,
    };
    let mut out = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        if i % workers != w {
            continue;
        }
        let cells = &job.cells[r.clone()];
        let result = match trace.as_mut() {
            Some(t) => run_chunk(job, &mut ws, cells, r.start, t)?,
            None => run_chunk(job, &mut ws, cells, r.start, &mut ())?,
        };
        out.push((i, result));
    }
    if let (Some(t), Some(p), Some(tmp)) = (trace, &job.opts.trades, trace_tmp) {
        let f = t
            .out
            .into_inner()
            .map_err(|e| AppError::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, p).map_err(|e| AppError::io(p, e))?;
    }
    Ok(out)
}

// ------------------------------------------------------------------ outputs

fn account_text(a: &AccountSpec) -> String {
    format!(
        "{} stake, {} slot(s) per cell{}",
        a.stake.name(),
        a.max_open_trades,
        if a.one_position_per_symbol {
            ", one position per symbol"
        } else {
            ""
        }
    )
}

fn trailing_text(t: TrailingSetting) -> String {
    t.map_or_else(
        || "off".to_string(),
        |t| format!("{}:{}", t.activation, t.distance),
    )
}

fn hours(bars: u16, tf: u32) -> f64 {
    f64::from(bars) * f64::from(tf) / 60.0
}

/// The all-cells CSV (grid order; exact floats, so files compare byte for byte).
#[must_use]
pub fn cells_csv(cells: &[CellResult], tf: u32) -> String {
    let mut s = String::with_capacity(64 + cells.len() * 192);
    s.push_str(
        "cell,rank,tp_atr,sl_atr,hold_hours,hold_bars,trailing_activation_atr,trailing_distance_atr,\
         trades,wins,win_rate,skipped_entries,expectancy_pct,expectancy_std_pct,total_return_pct,\
         cagr_pct,max_drawdown_pct,sharpe,sortino,calmar,profit_factor,final_equity,\
         take_profit,stop_loss,trailing,time,truncated,ambiguous\n",
    );
    for (i, c) in cells.iter().enumerate() {
        let st = &c.stats;
        let (act, dist) = c.exit.trailing.map_or((String::new(), String::new()), |t| {
            (t.activation.to_string(), t.distance.to_string())
        });
        let pf = match profit_factor(st) {
            None => String::new(),
            Some(x) if x.is_infinite() => "inf".into(),
            Some(x) => x.to_string(),
        };
        let _ = writeln!(
            s,
            "{i},{},{},{},{},{},{act},{dist},{},{},{},{},{},{},{},{},{},{},{},{},{pf},{},{},{},{},{},{},{}",
            c.rank,
            c.exit.tp,
            c.exit.sl,
            hours(c.exit.hold, tf),
            c.exit.hold,
            st.trades,
            st.wins,
            stats::win_rate(st),
            st.skipped,
            stats::expectancy(st),
            stats::profit_std_dev(st),
            stats::total_return(st),
            stats::cagr(st),
            max_drawdown(st),
            stats::sharpe(st),
            stats::sortino(st),
            stats::calmar(st),
            st.equity,
            st.reason_count(ExitReason::TakeProfit),
            st.reason_count(ExitReason::StopLoss),
            st.reason_count(ExitReason::Trailing),
            st.reason_count(ExitReason::Time),
            st.reason_count(ExitReason::Truncated),
            st.ambiguous,
        );
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn summary(
    opts: &ExitsOptions,
    job: &Job<'_>,
    grid: &ExitGrid,
    cells: &[CellResult],
    order: &[usize],
    counts: &EntryCounts,
    (passes, workers): (usize, usize),
    written: &[PathBuf],
) -> String {
    let tf = job.timeframe;
    let mut s = String::new();
    let first = job.info.iter().map(|i| i.first).min().unwrap_or(0);
    let last = job.info.iter().map(|i| i.last).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "phasebound exits: {} entries ({} long, {} short) on {} symbols, {} bars {} … {}",
        counts.used,
        counts.longs,
        counts.used - counts.longs,
        job.info.len(),
        data::timeframe_label(tf),
        data::format_utc(first),
        data::format_utc(last)
    );
    if counts.skipped_total() > 0 {
        let parts: Vec<String> = BadEntry::ALL
            .iter()
            .filter(|b| counts.skipped[b.index()] > 0)
            .map(|b| format!("{} {}", counts.skipped[b.index()], b.name()))
            .collect();
        let _ = writeln!(
            s,
            "skipped {} of {} rows ({}); first: {}",
            counts.skipped_total(),
            counts.rows,
            parts.join(", "),
            counts.first_skip.as_deref().unwrap_or("")
        );
    }
    let trailing_axis: Vec<String> = grid.trailing.iter().map(|t| trailing_text(*t)).collect();
    let _ = writeln!(
        s,
        "grid: {} tp × {} sl × {} holds × {} trailing = {} cells in {passes} pass(es) on {workers} worker(s); {} engine; \
         cost {} % round trip; entry at {}; {}",
        grid.tp.len(),
        grid.sl.len(),
        grid.hold.len(),
        grid.trailing.len(),
        grid.len(),
        match opts.mode {
            EvalMode::FirstPassage => "first-passage",
            EvalMode::Reference => "reference (bar-by-bar)",
        },
        job.spec.cost_pct,
        match job.spec.entry_timing {
            EntryTiming::NextOpen => "the next open",
            EntryTiming::SignalClose => "the signal close",
        },
        account_text(&opts.account)
    );
    let _ = writeln!(
        s,
        "  tp {:?} ATR; sl {:?} ATR; hold {:?} h; trailing [{}]",
        grid.tp,
        grid.sl,
        grid.hold.iter().map(|&b| hours(b, tf)).collect::<Vec<_>>(),
        trailing_axis.join(", ")
    );
    let shown = opts.top.min(cells.len());
    if shown > 0 {
        let _ = writeln!(
            s,
            "top {shown} by {} (min {} trades):",
            opts.objective.name(),
            opts.min_trades
        );
        let _ = writeln!(
            s,
            "{:>4} {:>6} {:>6} {:>7} {:>9} {:>7} {:>6} {:>8} {:>9} {:>8} {:>6} {:>7} {:>7} {:>7} {:>6}  exits tp/sl/trail/time/trunc",
            "rank",
            "tp",
            "sl",
            "hold h",
            "trailing",
            "trades",
            "win %",
            "exp. %",
            "return %",
            "CAGR %",
            "PF",
            "max DD%",
            "Sharpe",
            "Sortino",
            "Calmar"
        );
        for &c in order.iter().take(shown) {
            let r = &cells[c];
            let st = &r.stats;
            let pf = match profit_factor(st) {
                None => "-".to_string(),
                Some(x) if x.is_infinite() => "inf".into(),
                Some(x) => format!("{x:.2}"),
            };
            let _ = writeln!(
                s,
                "{:>4} {:>6} {:>6} {:>7} {:>9} {:>7} {:>6.1} {:>8.3} {:>9.2} {:>8.1} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>6.2}  {}/{}/{}/{}/{}",
                r.rank,
                r.exit.tp,
                r.exit.sl,
                hours(r.exit.hold, tf),
                trailing_text(r.exit.trailing),
                st.trades,
                100.0 * stats::win_rate(st),
                stats::expectancy(st),
                stats::total_return(st),
                stats::cagr(st),
                pf,
                max_drawdown(st),
                stats::sharpe(st),
                stats::sortino(st),
                stats::calmar(st),
                st.reason_count(ExitReason::TakeProfit),
                st.reason_count(ExitReason::StopLoss),
                st.reason_count(ExitReason::Trailing),
                st.reason_count(ExitReason::Time),
                st.reason_count(ExitReason::Truncated),
            );
        }
    }
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(s, "Wrote {}", files.join(", "));
    s
}
