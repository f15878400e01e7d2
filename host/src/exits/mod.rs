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
//! file, whatever the number of bars or entries. The entry queues hold as many entries
//! of one symbol as wait at once in this file (a pre-scan counts them, see `waiting`). A
//! grid of more than [`MAX_CELLS`] cells runs as several passes of at most that many
//! cells (in parallel with `--threads`); cells are independent, so the results do not
//! depend on the split.
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
//! [`MAX_CELLS`]: phasebound_core::budget::MAX_CELLS

use std::path::PathBuf;

use phasebound_core::plan::CellDef;

use crate::data;
use crate::error::AppError;
use crate::workspace::LaneShape;

/// The equity curves of the best cells.
mod curves;
/// The entries file and its times.
mod entries;
/// The grid's axes and cells.
mod grid;
/// Entry rows paired with the bars as they stream.
mod matcher;
/// The flags and their validation.
mod options;
/// Chunks of cells, one pass each, on the worker threads.
mod passes;
/// Ranks, `exits.csv`, `exits.html`, the summary.
mod results;
pub mod shard;
/// What a pass reports to the per-trade CSV or the curve recorders.
mod trace;
/// How many entries wait at once: the depth of the entry queues.
mod waiting;

pub use crate::error::EntryError;
pub use curves::{TOP_CURVES, TopCurve};
pub use entries::{BadEntry, EntryCounts, parse_time};
pub use grid::{ExitGrid, MAX_GRID_CELLS, TrailingSetting, resolve_grid};
pub use matcher::MAX_SAME_TIME_ENTRIES;
pub use options::{Axes, ExitsArgs, ExitsOptions, parse_trailing};
pub use results::{CSV_NAME, CellResult, HTML_NAME, cells_csv};

use matcher::SeriesInfo;
use passes::{Job, chunks, min_split_cells, run_chunks};
use results::{rank, summary, write_grid_files};

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
    let longest = grid.hold.iter().copied().max().unwrap_or(1);
    let symbols: Vec<String> = specs.iter().map(|s| s.symbol.clone()).collect();
    let waiting = waiting::most_waiting(
        &opts.entries,
        &symbols,
        i64::from(longest) * i64::from(tf) * 60_000,
        LaneShape::entry_queue_cap(longest),
    )?;
    let lanes = LaneShape::entries(specs.len(), longest, waiting.most);
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
    let cells: Vec<CellDef> = {
        let all = grid.cells();
        picked
            .iter()
            .map(|&i| CellDef {
                group: 0,
                min_score: 0.0,
                min_consensus: 0,
                exit: all[i],
            })
            .collect()
    };
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
    let bars = job.series.iter().map(|s| s.bars).sum();
    let ranges = chunks(&job.cells, workers, min_split_cells(bars, waiting.entries));
    // A pass is one worker's: fewer passes than workers leave the rest idle (not started).
    let workers = workers.min(ranges.len()).max(1);
    let (results, mut ws) = run_chunks(&job, &ranges, workers)?;

    // The results move into `cells` chunk by chunk: never two copies of every cell's stats.
    let mut cells: Vec<CellResult> = Vec::with_capacity(job.cells.len());
    let mut counts = EntryCounts::default();
    let mut defs = job.cells.iter();
    for (i, r) in results.into_iter().enumerate() {
        if i == 0 {
            counts = r.counts;
        }
        cells.extend(
            r.stats
                .into_iter()
                .zip(&mut defs)
                .map(|(stats, c)| CellResult {
                    exit: c.exit,
                    stats,
                    rank: 0,
                }),
        );
    }
    let scores: Vec<f64> = cells
        .iter()
        .map(|c| opts.objective.score(&c.stats, opts.min_trades))
        .collect();
    let (order, rank) = rank(&scores);
    for (c, r) in cells.iter_mut().zip(rank) {
        c.rank = r;
    }
    // One more pass, over the best few cells only: their equity curves.
    let top = curves::top_curves(&job, &mut ws, &cells, &order)?;
    drop(ws);
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
