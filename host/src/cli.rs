//! Command line: raw arguments → a validated [`Command`].

use crate::error::AppError;
use crate::pipeline::RunOptions;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// phasebound — re-optimizes a trading bot's entry filters and exits every night,
/// validates them out of sample, in bounded memory.
#[derive(Debug, Parser)]
#[command(name = "phasebound", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do (default: `run` on the embedded synthetic market).
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Exit codes, shown in `--help`.
pub const EXIT_CODES: &str = "Exit codes: 0 success, 1 internal error, 2 usage/config error, \
3 input data error (file and line named), 4 I/O error, 5 capacity exceeded.";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run all phases and write report.json, params.json and run.json.
    Run(Box<RunArgs>),
    /// Evaluate an exit grid on your own entries (CSV: symbol, time, direction, optional atr).
    Exits(Box<crate::exits::ExitsArgs>),
    /// Join the shard files of `exits --shard K/N` into the exits.csv and exits.html of
    /// a single run.
    Merge {
        /// Output folder.
        #[arg(long, default_value = "phasebound-out")]
        out: PathBuf,
        /// No summary on stdout; errors only.
        #[arg(long, short)]
        quiet: bool,
        /// The shards: the output folders of the shard runs (or their exits.shard.json).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
    },
    /// Fetch Binance public kline data (zip files, checksums verified, resumable).
    Download(Box<crate::download::DownloadArgs>),
    /// Export the shipped parameters of params.json for another tool (freqtrade).
    Export(Box<crate::export::ExportArgs>),
    /// Print the default configuration as a TOML file.
    Config,
    /// Print the core's compile-time memory budget.
    Budget,
    /// Write the embedded fixtures (synthetic market) to a folder.
    #[command(hide = true)]
    Fixtures {
        /// Target folder.
        dir: PathBuf,
    },
    /// Write a longer synthetic market (15m CSV; the memory benchmark's inputs).
    #[command(hide = true)]
    Synth {
        /// Years of history (365 days each).
        #[arg(long, default_value_t = 1)]
        years: u32,
        /// Days of history instead of years.
        #[arg(long, conflicts_with = "years")]
        days: Option<u32>,
        /// Symbols, 1 to 1000 (the first four are the fixture symbols).
        #[arg(long, default_value_t = 4)]
        symbols: usize,
        /// Target folder (created).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Arguments of `run`.
#[derive(Debug, Default, clap::Args)]
pub struct RunArgs {
    /// Input data.
    #[command(flatten)]
    pub input: InputArgs,
    /// Configuration file (TOML); see `phasebound config`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "phasebound-out")]
    pub out: PathBuf,
    /// Cache folder (default: OUT/.cache).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Seed (overrides the config).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sample N candidates per profile in Phase 3 (overrides the config; 0 = all).
    #[arg(long)]
    pub sample: Option<u32>,
    /// Previous params.json to compare against.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Worker threads (default: all cores but one). Results never depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Refuse to start (exit 5) when the run's memory estimate exceeds this size (bytes,
    /// or K, M, G with an optional B or iB: all powers of 1024, so 5MB = 5 MiB),
    /// instead of risking an OOM kill.
    #[arg(long, value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Keep normal CPU priority (default: lowered, to leave the live bot room).
    #[arg(long)]
    pub no_nice: bool,
    /// No progress and no summary; errors only.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// A validated command.
#[derive(Debug)]
pub enum Command {
    /// Run the pipeline.
    Run {
        /// Validated options.
        opts: Box<RunOptions>,
        /// Quiet mode.
        quiet: bool,
        /// Machine-readable stdout.
        json: bool,
        /// Lower the CPU priority.
        nice: bool,
    },
    /// Evaluate an exit grid on given entries.
    Exits {
        /// Validated options.
        opts: Box<crate::exits::ExitsOptions>,
        /// Quiet mode.
        quiet: bool,
    },
    /// Join exit-grid shards.
    Merge {
        /// Validated options.
        opts: crate::exits::shard::MergeOptions,
        /// Quiet mode.
        quiet: bool,
    },
    /// Download Binance public data.
    Download {
        /// Validated options.
        opts: Box<crate::download::DownloadOptions>,
    },
    /// Export shipped parameters.
    Export {
        /// Validated options.
        opts: Box<crate::export::FreqtradeOptions>,
    },
    /// Print defaults.
    Config,
    /// Print the budget.
    Budget,
    /// Write fixtures.
    Fixtures(PathBuf),
    /// Write a synthetic market.
    Synth {
        /// Target folder.
        dir: PathBuf,
        /// Number of symbols.
        symbols: usize,
        /// Days of history.
        days: usize,
    },
}

impl RunArgs {
    /// Validates the arguments into run options.
    ///
    /// # Errors
    /// Bad timeframe, unreadable or invalid config, bad thread count.
    pub fn validate(self) -> Result<Command, AppError> {
        let mut config = load_config(self.config.as_deref())?;
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(s) = self.sample {
            config.sample = s;
        }
        config.check()?;
        let input = self.input.validate()?;
        let (threads, cache) = common_options(self.threads, self.cache.as_deref(), &self.out)?;
        Ok(Command::Run {
            opts: Box::new(RunOptions {
                data: input.data,
                symbol: input.symbol,
                timeframe: input.timeframe,
                timerange: input.timerange,
                policy: input.policy,
                out: self.out,
                cache,
                config,
                previous: self.previous,
                threads,
                max_memory: self.max_memory,
                progress: !self.quiet && !self.json,
            }),
            quiet: self.quiet,
            json: self.json,
            nice: !self.no_nice,
        })
    }
}

impl Cli {
    /// Validates the parsed command line.
    ///
    /// # Errors
    /// See [`RunArgs::validate`].
    pub fn validate(self) -> Result<Command, AppError> {
        match self.command {
            None => RunArgs::default_run().validate(),
            Some(Cmd::Run(a)) => a.validate(),
            Some(Cmd::Exits(a)) => {
                let (opts, quiet) = a.validate()?;
                Ok(Command::Exits {
                    opts: Box::new(opts),
                    quiet,
                })
            }
            Some(Cmd::Merge { out, quiet, shards }) => Ok(Command::Merge {
                opts: crate::exits::shard::MergeOptions { shards, out },
                quiet,
            }),
            Some(Cmd::Download(a)) => Ok(Command::Download {
                opts: Box::new(a.validate()?),
            }),
            Some(Cmd::Export(a)) => Ok(Command::Export {
                opts: Box::new(a.validate()?),
            }),
            Some(Cmd::Config) => Ok(Command::Config),
            Some(Cmd::Budget) => Ok(Command::Budget),
            Some(Cmd::Fixtures { dir }) => Ok(Command::Fixtures(dir)),
            Some(Cmd::Synth {
                years,
                days,
                symbols,
                out,
            }) => {
                let max = crate::synth::MAX_SYNTH_SYMBOLS;
                let days = days.map_or(u64::from(years) * 365, u64::from);
                if !(1..=max).contains(&symbols) || !(1..=36_500).contains(&days) {
                    return Err(AppError::Usage(format!(
                        "synth needs --symbols 1..={max} and 1 to 36500 days (100 years)"
                    )));
                }
                Ok(Command::Synth {
                    dir: out,
                    symbols,
                    days: days as usize,
                })
            }
        }
    }
}

impl RunArgs {
    /// `run` with every default (what a bare `phasebound` does).
    #[must_use]
    pub fn default_run() -> Self {
        // `InputArgs::default` is clap's defaults (a derived one gave `max_jump` 0, which
        // turned the bad-print check off; the bare-run test compares the bytes).
        Self {
            out: PathBuf::from("phasebound-out"),
            ..Self::default()
        }
    }
}

pub use crate::args::{Input, InputArgs, common_options, load_config};
pub use crate::resources::parse_size;
