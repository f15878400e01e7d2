//! The nightly procedure (Phases 1–3 on a training span) and its walk-forward validation
//! (Phase 4), per profile.
//!
//! [`fit`] is exactly what runs every night: Phase 1's scan of the span, Phase 2's
//! screening, each of Phase 3's starts seeded by the dense exit grid, the multi-start
//! search and the dense check, with the configured sampling. [`walk_forward`] runs that
//! same function on the data before each fold of [`phase::schedule`] (minus the purge)
//! and trades the fold with the result; the folds' accounts pool into one out-of-sample
//! account ([`phase::pool`]) that [`phase::verdict`] judges.

use crate::config::Config;
use crate::error::AppError;
use crate::progress::Progress;
use crate::source::CacheSource;
use crate::workspace::HostWorkspace;
use phasebound_core::TradeOutcome;
use phasebound_core::budget::{MAX_FOLDS, MAX_SAMPLE};
use phasebound_core::engine::{EntryEvent, Observer, SymbolCounters};
use phasebound_core::phase::{
    self, BarSource, DenseCheck, Fold, OptimizeResult, ProfileConfig, ScanResult, ScreenResult,
    SearchConfig, TimeRange,
};
use phasebound_core::plan::{CellDef, PassPlan};
use phasebound_core::sampling;
use phasebound_core::stats::CellStats;
use phasebound_core::stats::Trials;

/// Sampling sub-stream of the final fit on all data (folds use their index).
pub const FINAL_FIT_STREAM: u32 = 0xFF;

/// Ordinals of a fit's sample the report lists, so a reader can check which sample a fit
/// drew (the sample itself can hold thousands).
pub const SAMPLE_HEAD: usize = 8;

/// One run of the nightly procedure on a span.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The span it was fitted on.
    pub span: TimeRange,
    /// Phase 1 on the span (candidates, opportunities).
    pub scan: ScanResult,
    /// Phase 1 per symbol, in source order.
    pub scan_per_symbol: Vec<SymbolCounters>,
    /// Phase 2.
    pub screen: ScreenResult,
    /// Phase 2's matrix: every screened entry filter (weight group × minimum score ×
    /// minimum consensus, baseline exits) and its objective score, in screening order
    /// (bounded by the lattice, not the data).
    pub screening: Vec<(CellDef, f64)>,
    /// Phase 3.
    pub optimize: OptimizeResult,
    /// Phase 3's dense check of the chosen filter, if enabled.
    pub dense: Option<DenseCheck>,
    /// Sample size, if Phase 3 sampled.
    pub sample: Option<u32>,
    /// The sampling stream (see [`sample_stream`]) and the first ordinals it drew.
    pub sample_head: (u32, Vec<u32>),
    /// The chosen parameters.
    pub cell: CellDef,
    /// Their statistics on the span (all candidates, also when sampled).
    pub stats: CellStats,
    /// Every configuration evaluated (for the deflated Sharpe ratio).
    pub trials: Trials,
    /// The dense check's grid: every exit of the lattice with the chosen entry filter
    /// and its objective score, in grid order (bounded by the lattice, not the data).
    pub landscape: Vec<(CellDef, f64)>,
}

/// The sampling stream of profile `profile` and fit `fit` (a fold index or
/// [`FINAL_FIT_STREAM`]): every fit of every profile draws its own sample.
#[must_use]
pub fn sample_stream(profile: usize, fit: u32) -> u32 {
    ((profile as u32) << 8) | (fit & 0xFF)
}

/// Runs the nightly procedure on the signals of `span`.
///
/// # Errors
/// Core or source errors.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    cfg: &Config,
    search: &SearchConfig,
    span: TimeRange,
    stream: u32,
    bar: &Progress,
    label: &str,
) -> Result<Fit, AppError> {
    let core = AppError::core;
    ws.reset_trials();
    bar.set_message(format!("{label}: Phase 1 scan"));
    let scan = phase::scan(ws, source, pc, span).map_err(core)?;
    let scan_per_symbol: Vec<SymbolCounters> = ws.counters().copied().collect();
    bar.set_message(format!("{label}: Phase 2 signal screening"));
    let mut screening = Vec::new();
    let mut visit = |c: &CellDef, _: &CellStats, score: f64| screening.push((*c, score));
    let screen = phase::screen_visited(ws, source, pc, search, span, &mut visit).map_err(core)?;
    let n = scan.totals.candidates;
    let mut sample_buf: heapless::Vec<u32, MAX_SAMPLE> = heapless::Vec::new();
    let sample = if cfg.sample > 0 && cfg.sample < n {
        let mut rng = sampling::stream(cfg.seed, 3, stream);
        sampling::sample_without_replacement(&mut rng, n, cfg.sample, &mut sample_buf)
            .map_err(core)?;
        Some(cfg.sample)
    } else {
        None
    };
    let sampled = sample.map(|_| sample_buf.as_slice());
    let sample_head = (
        stream,
        sample_buf.iter().take(SAMPLE_HEAD).copied().collect(),
    );
    let mut starts = screen.starts(usize::from(search.starts)).to_vec();
    if cfg.search.dense_seed {
        for (i, st) in starts.iter_mut().enumerate() {
            bar.set_message(format!("{label}: Phase 3 dense seed {}", i + 1));
            let d = phase::dense_check(ws, source, pc, search, &st.cell, span, sampled)
                .map_err(core)?;
            st.cell = d.best;
        }
    }
    bar.set_message(format!("{label}: Phase 3 multi-start search"));
    let optimize = phase::optimize(ws, source, pc, search, &starts, span, sampled).map_err(core)?;
    let chosen = optimize
        .chosen()
        .ok_or_else(|| AppError::Internal("Phase 3 returned no start".into()))?;
    let (cell, stats) = (chosen.best, chosen.full.unwrap_or(chosen.stats));
    let mut landscape = Vec::new();
    let dense = if cfg.search.dense_check {
        bar.set_message(format!("{label}: Phase 3 dense check"));
        let mut visit = |c: &CellDef, _: &CellStats, score: f64| landscape.push((*c, score));
        Some(
            phase::dense_check_visited(ws, source, pc, search, &cell, span, sampled, &mut visit)
                .map_err(core)?,
        )
    } else {
        None
    };
    Ok(Fit {
        span,
        scan,
        scan_per_symbol,
        screen,
        screening,
        optimize,
        dense,
        sample,
        sample_head,
        cell,
        stats,
        trials: ws.trials(),
        landscape,
    })
}

/// Trades and wins of one symbol in a period.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SymbolTally {
    /// Trades.
    pub trades: u32,
    /// Trades with net profit > 0.
    pub wins: u32,
    /// Sum of net profit %, per trade.
    pub sum_profit_pct: f64,
}

/// Counts each taken trade under its symbol (a single-cell pass).
struct Tally<'a> {
    symbol: usize,
    per_symbol: &'a mut [SymbolTally],
}

impl Observer for Tally<'_> {
    fn entry(&mut self, event: &EntryEvent) {
        self.symbol = usize::from(event.symbol);
    }
    fn outcome(&mut self, _cell: usize, o: &TradeOutcome) {
        if let Some(t) = self.per_symbol.get_mut(self.symbol) {
            t.trades += 1;
            t.wins += u32::from(o.profit_pct > 0.0);
            t.sum_profit_pct += o.profit_pct;
        }
    }
}

/// `cell` trading the signals of `period`: its account, the period's opportunities, and
/// the trades per symbol.
///
/// # Errors
/// Core or source errors.
pub fn trade(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    cell: &CellDef,
    period: TimeRange,
) -> Result<(CellStats, u32, Vec<SymbolTally>), AppError> {
    let mut per_symbol = vec![SymbolTally::default(); source.symbols()];
    let mut tally = Tally {
        symbol: 0,
        per_symbol: &mut per_symbol,
    };
    let stats = trade_observed(ws, source, pc, cell, period, &mut tally)?;
    Ok((stats, ws.totals().opportunities, per_symbol))
}

/// `cell` trading the signals of `period` with `observer` watching every entry and
/// trade: its account.
///
/// # Errors
/// Core or source errors.
pub fn trade_observed(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    cell: &CellDef,
    period: TimeRange,
    observer: &mut dyn Observer,
) -> Result<CellStats, AppError> {
    let core = AppError::core;
    let mut plan: PassPlan<'_, { phasebound_core::budget::MAX_CELLS }> =
        PassPlan::new(&pc.spec, period.from, period.to).map_err(core)?;
    plan.push_cell(*cell).map_err(core)?;
    plan.finalize().map_err(core)?;
    ws.begin(&plan, source.symbols(), source.timeframe_minutes())
        .map_err(core)?;
    source
        .replay(&mut |s, b| ws.push_observed(&plan, s, b, observer))
        .map_err(core)?;
    ws.finish_observed(&plan, observer).map_err(core)?;
    Ok(ws.stats(1)[0])
}

/// One walk-forward fold: where it fell, what the procedure chose on the data before
/// it, and how that traded the fold.
#[derive(Clone, Debug)]
pub struct FoldOutcome {
    /// Training span and test period.
    pub fold: Fold,
    /// The parameters fitted on the training span.
    pub cell: CellDef,
    /// Their statistics on the training span (in sample).
    pub in_sample: CellStats,
    /// Their account on the fold (out of sample).
    pub out_of_sample: CellStats,
    /// The fold's opportunities.
    pub opportunities: u32,
    /// The fold's trades per symbol.
    pub per_symbol: Vec<SymbolTally>,
    /// Candidates of the training span (what a sample is drawn from).
    pub candidates: u32,
    /// The training fit's sample: size, stream and first ordinals (`None`: all).
    pub sample: Option<(u32, u32, Vec<u32>)>,
}

/// The walk-forward schedule for this data: `walk_forward_folds` folds if the data
/// allows, else as many as fit (each at least a day, each with a training span after the
/// purge), possibly none. Returns the folds and the count that was asked for.
#[must_use]
pub fn folds(span: (i64, i64), cfg: &Config, purge_ms: i64) -> (Vec<Fold>, u32) {
    let asked = cfg.validation.walk_forward_folds.min(MAX_FOLDS as u32);
    for k in (1..=asked).rev() {
        if let Ok(f) = phase::schedule(span, cfg.in_sample_fraction, k as u8, purge_ms) {
            return (f.to_vec(), asked);
        }
    }
    (Vec::new(), asked)
}

/// The purge between a fold's training span and the fold: the longest hold of the
/// profile's lattice (and baseline) plus its opportunity horizon, in ms.
#[must_use]
pub fn purge_ms(pc: &ProfileConfig, tf: u32) -> i64 {
    let longest_hold = pc
        .space
        .hold
        .iter()
        .copied()
        .chain(core::iter::once(pc.baseline.hold))
        .chain(pc.fallback.map(|f| f.exit.hold))
        .max()
        .unwrap_or(0);
    (i64::from(longest_hold) + i64::from(pc.spec.opportunity_horizon)) * i64::from(tf) * 60_000
}

/// Runs the procedure on each fold's training span and trades the fold.
///
/// # Errors
/// Core or source errors.
#[allow(clippy::too_many_arguments)]
pub fn walk_forward(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    cfg: &Config,
    search: &SearchConfig,
    profile: usize,
    folds: &[Fold],
    bar: &Progress,
) -> Result<Vec<FoldOutcome>, AppError> {
    let mut out = Vec::with_capacity(folds.len());
    for (k, fold) in folds.iter().enumerate() {
        let label = format!("fold {}/{}", k + 1, folds.len());
        let f = fit(
            ws,
            source,
            pc,
            cfg,
            search,
            fold.train,
            sample_stream(profile, k as u32),
            bar,
            &label,
        )?;
        bar.set_message(format!("{label}: trading the fold"));
        let (oos, opportunities, per_symbol) = trade(ws, source, pc, &f.cell, fold.test)?;
        out.push(FoldOutcome {
            // What the fit actually used, so the report shows it (not the plan).
            fold: Fold {
                train: f.span,
                test: fold.test,
            },
            cell: f.cell,
            in_sample: f.stats,
            out_of_sample: oos,
            opportunities,
            per_symbol,
            candidates: f.scan.totals.candidates,
            sample: f
                .sample
                .map(|k| (k, f.sample_head.0, f.sample_head.1.clone())),
        });
    }
    Ok(out)
}

/// Fixed parameters (an incumbent or a fallback) traded on every fold, pooled and judged
/// like the procedure. `in_sample` is what to report as their in-sample figures.
///
/// # Errors
/// Core or source errors.
pub fn judge_fixed(
    ws: &mut HostWorkspace,
    source: &mut CacheSource,
    pc: &ProfileConfig,
    cfg: &Config,
    cell: &CellDef,
    in_sample: &CellStats,
    folds: &[Fold],
) -> Result<phase::Validation, AppError> {
    let tests: Vec<TimeRange> = folds.iter().map(|f| f.test).collect();
    if tests.is_empty() {
        return Ok(unjudged(cell, in_sample));
    }
    phase::validate(
        ws,
        source,
        pc,
        &cfg.validation_config(),
        cell,
        in_sample,
        &tests,
    )
    .map_err(AppError::core)
}

/// The verdict when there is no out-of-sample period at all: FAILED, no evidence.
#[must_use]
pub fn unjudged(cell: &CellDef, in_sample: &CellStats) -> phase::Validation {
    phase::Validation {
        cell: *cell,
        in_sample: *in_sample,
        out_of_sample: CellStats::new(),
        out_of_sample_opportunities: 0,
        enough_trades: false,
        positive: false,
        significant: false,
        verdict: phase::Verdict::Failed,
    }
}

/// Pools the folds' out-of-sample accounts and judges the procedure; `cell` and
/// `in_sample` are the final fit's (what would ship).
#[must_use]
pub fn judge_procedure(
    folds: &[FoldOutcome],
    cfg: &Config,
    cell: &CellDef,
    in_sample: &CellStats,
) -> phase::Validation {
    if folds.is_empty() {
        return unjudged(cell, in_sample);
    }
    let (pooled, with_trades) = phase::pool(folds.iter().map(|f| &f.out_of_sample));
    let (enough_trades, positive, significant, verdict) =
        phase::verdict(&pooled, folds.len(), with_trades, &cfg.validation_config());
    phase::Validation {
        cell: *cell,
        in_sample: *in_sample,
        out_of_sample: pooled,
        out_of_sample_opportunities: folds.iter().map(|f| f.opportunities).sum(),
        enough_trades,
        positive,
        significant,
        verdict,
    }
}
