//! The command line of `phasebound exits`: its flags ([`ExitsArgs`]) and their
//! validation into [`ExitsOptions`].

use std::path::PathBuf;

use phasebound_core::Trailing;
use phasebound_core::account::{AccountSpec, Stake};
use phasebound_core::budget::MAX_OPEN_TRADES;
use phasebound_core::plan::EvalMode;
use phasebound_core::signal::Profile;
use phasebound_core::stats::Objective;

use super::grid::TrailingSetting;
use super::shard::Shard;
use crate::config::Config;
use crate::data::{self, TimeRange};
use crate::error::AppError;

/// Arguments of `phasebound exits`.
#[derive(Debug, Default, clap::Args)]
pub struct ExitsArgs {
    /// Entries CSV: symbol,time,direction and an optional atr column, sorted by time.
    #[arg(long)]
    pub entries: PathBuf,
    /// Kline data, as for `run` (default: the embedded data).
    #[command(flatten)]
    pub input: crate::args::InputArgs,
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
    /// Worker threads (default: all cores but one; at most the cores are used; a grid
    /// that fits one pass is split among them only when each part's evaluation outweighs
    /// reading all the bars and entries again, twice over).
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
        let mut config = crate::args::load_config(self.config.as_deref())?;
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
            crate::args::common_options(self.threads, self.cache.as_deref(), &self.out)?;
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
