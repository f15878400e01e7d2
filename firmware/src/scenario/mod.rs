//! The firmware's run, as plain `no_std` code over `phasebound-core`: the bars in flash
//! ([`data`]), the small capacity profile ([`profile`], [`search`], [`validation`]) and
//! [`run`], which drives every phase and prints the results as text lines.
//!
//! The firmware calls [`run`] on a [`SmallWorkspace`] in a `static` and writes to the
//! semihosting console; the host test (`tests/firmware`) includes this same file, calls
//! [`run`] on the host with a [`SmallWorkspace`] of its own and compares the text,
//! line by line. Every `f64` is printed with its bit pattern, so equal text means equal
//! bits.
//!
//! # The small capacity profile
//!
//! [`SmallWorkspace`] holds 2 symbols, windows of 96 bars and 64 cells (62 KB). A
//! profile fits it when its longest hold and its opportunity horizon are at most 96 bars
//! (72 h of 1h bars covers swing's longest hold), Phase 2's filter grid (groups ×
//! minimum scores × minimum consensus: 6 × 3 × 2 = 36 cells) and one search round
//! (4 starts × at most 12 lattice neighbours = 48 cells) have at most 64 cells; the
//! dense exit grid (tp × sl × hold × trailing-or-off: 4 × 3 × 3 × 2 = 72) takes two
//! passes. [`profile`] builds the product's default profiles at 1h with these reduced
//! axes; everything else (weight groups, candidate rule, opportunity labels, costs,
//! fills, baseline and fallback exits, search and validation settings except the trade
//! minimums, which are scaled to 4 months of data) is the product's default, and the
//! host test checks that.
//!
//! The phases' own stack frames come on top of the workspace: 40 KiB at most in a
//! release build for Cortex-M (most of it [`PassPlan`]s of 6 KB each), measured by
//! `measure-stack.sh`. Each step below is a separate non-inlined function so that only
//! one phase's frame is on the stack at a time.
//!
//! [`PassPlan`]: phasebound_core::plan::PassPlan

pub mod data;

use core::fmt::{self, Write};
use phasebound_core::account::Stake;
use phasebound_core::budget::COMPONENTS;
use phasebound_core::engine::SmallWorkspace;
use phasebound_core::phase::{
    self, BarSource, DenseCheck, ExitSpace, ProfileConfig, ScreenResult, SearchConfig, StartResult,
    TimeRange, ValidationConfig,
};
use phasebound_core::plan::{CellDef, ProfileSpec};
use phasebound_core::signal::{GROUPS_PER_PROFILE, Profile, Weights, default_groups};
use phasebound_core::stats::{CellStats, Objective};
use phasebound_core::{Bar, EntryTiming, Error, ExitParams, Trailing};

/// Share of the span used in-sample (Phases 1–3); the rest is Phase 4's out-of-sample.
pub const IN_SAMPLE_FRACTION: f64 = 0.5;

/// Round-trip cost in %: the product's default fee (0.05 %) and slippage (0.02 %) per side.
pub const COST_PCT: f64 = 2.0 * (0.05 + 0.02);

/// Seed each Phase 3 start with the best exit of the dense exit grid for its entry
/// filter (the host's default `search.dense_seed`).
pub const DENSE_SEED: bool = true;

/// After the search, evaluate the dense exit grid for the chosen entry filter (the
/// host's default `search.dense_check`).
pub const DENSE_CHECK: bool = true;

/// The profiles the firmware runs, in order.
pub const PROFILES: [Profile; 2] = [Profile::Scalping, Profile::Swing];

/// The bars of [`data`], replayed from flash: symbol `s`'s bar `i` opens at
/// `data::START_MS + i * timeframe`, merged across symbols in time order (ties in
/// symbol order), with no copy and no state beyond the replay loop.
#[derive(Clone, Copy, Debug)]
pub struct FlashSource {
    series: &'static [&'static [[f64; 5]]],
    start_ms: i64,
    timeframe_minutes: u32,
}

impl FlashSource {
    /// The embedded data set.
    #[must_use]
    pub const fn embedded() -> Self {
        Self {
            series: &data::SERIES,
            start_ms: data::START_MS,
            timeframe_minutes: data::TIMEFRAME_MINUTES,
        }
    }

    fn step_ms(&self) -> i64 {
        i64::from(self.timeframe_minutes) * 60_000
    }

    /// Bar `i` of symbol `s`, if it exists.
    #[must_use]
    pub fn bar(&self, s: usize, i: usize) -> Option<Bar> {
        let [open, high, low, close, volume] = *self.series.get(s)?.get(i)?;
        Some(Bar {
            time: self.start_ms + i as i64 * self.step_ms(),
            open,
            high,
            low,
            close,
            volume,
        })
    }
}

impl BarSource for FlashSource {
    fn symbols(&self) -> usize {
        self.series.len()
    }

    fn timeframe_minutes(&self) -> u32 {
        self.timeframe_minutes
    }

    fn span(&self) -> (i64, i64) {
        let longest = self.series.iter().map(|s| s.len()).max().unwrap_or(0);
        let last = longest.saturating_sub(1) as i64;
        (self.start_ms, self.start_ms + last * self.step_ms())
    }

    fn replay(
        &mut self,
        sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // Every series starts at `start_ms` on the same grid, so time order is index
        // order, and within one index, symbol order.
        let longest = self.series.iter().map(|s| s.len()).max().unwrap_or(0);
        for i in 0..longest {
            for s in 0..self.series.len() {
                if let Some(bar) = self.bar(s, i) {
                    sink(s as u16, &bar)?;
                }
            }
        }
        Ok(())
    }
}

/// Hours to bars at the data's timeframe (1h: the identity).
const fn bars(hours: u16) -> u16 {
    (hours as u32 * 60 / data::TIMEFRAME_MINUTES) as u16
}

/// A fixed-capacity axis from a slice (the `heapless` vectors of [`ExitSpace`] and
/// [`ProfileSpec`], without naming `heapless`: the host test crate includes this file).
fn vec<'a, T: 'a, V: TryFrom<&'a [T]>>(values: &'a [T]) -> Result<V, Error> {
    V::try_from(values).map_err(|_| Error::InvalidParameter {
        what: "axis longer than its capacity",
    })
}

/// A cell with the product's default exits and filters.
fn cell(min_score: f32, min_consensus: u8, tp: f64, sl: f64, hold_hours: u16) -> CellDef {
    CellDef {
        group: 0,
        min_score,
        min_consensus,
        exit: ExitParams {
            tp,
            sl,
            hold: bars(hold_hours),
            trailing: None,
        },
    }
}

/// The product's default profile `p` at the data's timeframe, on a lattice reduced to
/// fit [`SmallWorkspace`] (each axis a subset of the default's).
///
/// # Errors
/// Only if an axis outgrows its capacity (a programming error).
#[inline(never)] // its temporaries stay out of the phases' stack frames
pub fn profile(p: Profile) -> Result<ProfileConfig, Error> {
    let mut weights = [Weights([0.0; COMPONENTS]); GROUPS_PER_PROFILE];
    for (w, g) in weights.iter_mut().zip(default_groups(p)) {
        *w = g.weights;
    }
    let (move_pct, horizon_hours) = match p {
        Profile::Scalping => (1.5, 8),
        Profile::Swing => (4.0, 72),
    };
    let spec = ProfileSpec {
        profile: p,
        groups: vec(&weights)?,
        candidate_min_score: 60.0,
        candidate_min_consensus: 3,
        opportunity_move_pct: move_pct,
        opportunity_horizon: bars(horizon_hours),
        entry_timing: EntryTiming::NextOpen,
        cost_pct: COST_PCT,
        one_position_per_symbol: true,
        max_open_trades: 3,
        stake: Stake::Compounding,
    };
    let (space, baseline) = match p {
        Profile::Scalping => (
            ExitSpace {
                tp: vec(&[1.0, 2.0, 3.0, 5.0])?,
                sl: vec(&[1.0, 1.5, 2.5])?,
                hold: vec(&[bars(2), bars(4), bars(8)])?,
                trailing: vec(&[Trailing {
                    activation: 1.5,
                    distance: 0.75,
                }])?,
                min_score: vec(&[60.0, 70.0, 80.0])?,
                min_consensus: vec(&[3, 4])?,
            },
            cell(60.0, 3, 2.0, 1.0, 4),
        ),
        Profile::Swing => (
            ExitSpace {
                tp: vec(&[3.0, 5.0, 8.0, 12.0])?,
                sl: vec(&[1.5, 2.5, 4.0])?,
                hold: vec(&[bars(12), bars(24), bars(72)])?,
                trailing: vec(&[Trailing {
                    activation: 3.0,
                    distance: 1.5,
                }])?,
                min_score: vec(&[60.0, 70.0, 80.0])?,
                min_consensus: vec(&[3, 4])?,
            },
            cell(60.0, 3, 5.0, 2.0, 24),
        ),
    };
    Ok(ProfileConfig {
        spec,
        baseline: baseline.exit,
        space,
        fallback: None,
    })
}

/// Phases 2–3 settings: the product's defaults (total profit, 4 starts, 20 rounds) with a
/// trade minimum scaled to the small data set.
#[must_use]
pub const fn search() -> SearchConfig {
    SearchConfig {
        objective: Objective::Sharpe,
        min_trades: 10,
        max_rounds: 20,
        starts: 4,
    }
}

/// Phase 4 settings: the product's significance level, a trade minimum scaled to the data.
#[must_use]
pub const fn validation() -> ValidationConfig {
    ValidationConfig {
        min_trades: 5,
        alpha: 0.05,
    }
}

/// Why [`run`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunError {
    /// A phase failed.
    Core(Error),
    /// The output sink failed.
    Write,
}

impl From<Error> for RunError {
    fn from(e: Error) -> Self {
        RunError::Core(e)
    }
}

impl From<fmt::Error> for RunError {
    fn from(_: fmt::Error) -> Self {
        RunError::Write
    }
}

/// An `f64` as its shortest decimal and its exact bits: `1.25[3ff4000000000000]`.
struct Exact(f64);

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{:016x}]", self.0, self.0.to_bits())
    }
}

/// The statistics of one cell: counts, then every sum exactly.
struct Stats<'a>(&'a CellStats);

impl fmt::Display for Stats<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            "trades={} wins={} total_profit={} sum_sq={} gross_profit={} gross_loss={} \
             max_drawdown={} reasons={:?} ambiguous={} captured={}",
            s.trades,
            s.wins,
            Exact(s.sum_profit),
            Exact(s.sum_sq_profit),
            Exact(s.gross_profit),
            Exact(s.gross_loss),
            Exact(s.max_drawdown),
            s.reasons,
            s.ambiguous,
            s.captured,
        )
    }
}

/// A cell's parameters.
struct Cell<'a>(&'a CellDef);

impl fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        write!(
            f,
            "group={} min_score={} min_consensus={} tp={} sl={} hold={}",
            c.group, c.min_score, c.min_consensus, c.exit.tp, c.exit.sl, c.exit.hold
        )?;
        match c.exit.trailing {
            Some(t) => write!(f, " trailing={}/{}", t.activation, t.distance),
            None => write!(f, " trailing=off"),
        }
    }
}

/// A dense-grid result.
struct Dense<'a>(&'a DenseCheck);

impl fmt::Display for Dense<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "cells={} passes={} best=({}) score={} {}",
            d.cells,
            d.passes,
            Cell(&d.best),
            Exact(d.score),
            Stats(&d.stats)
        )
    }
}

/// Runs Phase 1 to the final re-analysis for every profile of [`PROFILES`] on `source`
/// in `ws`, as the host pipeline does (no sampling, no previous parameters), and writes
/// the results to `out`, one line per result.
///
/// # Errors
/// The first phase error, or a failing `out`.
pub fn run<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let span = source.span();
    write!(out, "data symbols={}", source.symbols())?;
    for name in data::NAMES.iter().take(source.symbols()) {
        write!(out, " {name}")?;
    }
    writeln!(
        out,
        " seed={} timeframe={}m span={}..{}",
        data::SEED,
        source.timeframe_minutes(),
        span.0,
        span.1
    )?;
    for p in PROFILES {
        run_profile(ws, source, p, out)?;
    }
    Ok(())
}

/// Every phase for profile `p`.
#[inline(never)]
fn run_profile<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    p: Profile,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let span = source.span();
    let all = TimeRange::all(span);
    let (is, oos) = TimeRange::split(span, IN_SAMPLE_FRACTION)?;
    let pc = profile(p)?;
    phase1(ws, source, &pc, all, out)?;
    let mut screen = phase2(ws, source, &pc, is, out)?;
    let chosen = phase3(ws, source, &pc, &mut screen, is, out)?;
    let verdict = phase4(ws, source, &pc, &chosen, oos, out)?;
    final_step(ws, source, &pc, &chosen, verdict, all, out)
}

/// The final re-analysis on all data of the chosen cell, and whether it ships: only a
/// PASSED verdict ships (as on the host, where nothing unvalidated reaches the bot).
#[inline(never)]
fn final_step<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    chosen: &StartResult,
    verdict: phase::Verdict,
    all: TimeRange,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let final_cell = chosen.best;
    let r = phase::reanalyse(ws, source, pc, &final_cell, None, all)?;
    writeln!(
        out,
        "{} final ships={} cell=({}) opportunities={} {}",
        pc.spec.profile.name(),
        verdict == phase::Verdict::Passed,
        Cell(&final_cell),
        r.opportunities,
        Stats(&r.new)
    )?;
    Ok(())
}

/// Phase 1: the opportunity scan over all data.
#[inline(never)]
fn phase1<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    all: TimeRange,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let scan = phase::scan(ws, source, pc, all)?;
    let t = &scan.totals;
    writeln!(
        out,
        "{} phase1 bars={} warm_bars={} candidates={} longs={} opportunities={} \
         ideal_profit_sum={} time_to_peak_sum={}",
        pc.spec.profile.name(),
        t.bars,
        t.warm_bars,
        t.candidates,
        t.longs,
        t.opportunities,
        Exact(t.ideal_profit_sum),
        t.time_to_peak_sum
    )?;
    Ok(())
}

/// Phase 2: screening in-sample.
#[inline(never)]
fn phase2<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    is: TimeRange,
    out: &mut dyn Write,
) -> Result<ScreenResult, RunError> {
    let search = search();
    let screen = phase::screen(ws, source, pc, &search, is)?;
    for (rank, e) in screen.top.iter().enumerate() {
        writeln!(
            out,
            "{} phase2 cells={} rank={rank} {} score={} {}",
            pc.spec.profile.name(),
            screen.cells,
            Cell(&e.cell),
            Exact(e.score),
            Stats(&e.stats)
        )?;
    }
    Ok(screen)
}

/// Phase 3: the starts seeded from the dense exit grid, the multi-start search, the
/// dense check of the result, all in-sample; returns the chosen start.
#[inline(never)]
fn phase3<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    screen: &mut ScreenResult,
    is: TimeRange,
    out: &mut dyn Write,
) -> Result<StartResult, RunError> {
    let name = pc.spec.profile.name();
    let search = search();
    if DENSE_SEED {
        for (i, st) in screen
            .top
            .iter_mut()
            .take(usize::from(search.starts))
            .enumerate()
        {
            let d = phase::dense_check(ws, source, pc, &search, &st.cell, is, None)?;
            writeln!(out, "{name} phase3 seed start={i} {}", Dense(&d))?;
            st.cell = d.best;
        }
    }
    let chosen = local_search(ws, source, pc, screen, is, out)?;
    if DENSE_CHECK {
        let d = phase::dense_check(ws, source, pc, &search, &chosen.best, is, None)?;
        writeln!(out, "{name} phase3 dense {}", Dense(&d))?;
    }
    Ok(chosen)
}

/// Phase 3's multi-start local search from Phase 2's best entries.
#[inline(never)]
fn local_search<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    screen: &ScreenResult,
    is: TimeRange,
    out: &mut dyn Write,
) -> Result<StartResult, RunError> {
    let name = pc.spec.profile.name();
    let search = search();
    let starts = screen.starts(usize::from(search.starts));
    let opt = phase::optimize(ws, source, pc, &search, starts, is, None)?;
    for (i, s) in opt.starts.iter().enumerate() {
        writeln!(
            out,
            "{name} phase3 start={i} origin=({}) moves={} best=({}) score={} {}",
            Cell(&s.origin),
            s.moves,
            Cell(&s.best),
            Exact(s.score),
            Stats(&s.stats)
        )?;
    }
    let chosen = *opt.chosen().ok_or(Error::InvalidParameter {
        what: "Phase 3 returned no start",
    })?;
    writeln!(
        out,
        "{name} phase3 chosen start={} rounds={} passes={} cells_evaluated={} evaluations={} \
         cell=({}) trades={} wins={} total_profit={}",
        opt.best,
        opt.rounds,
        opt.passes,
        opt.cells_evaluated,
        opt.evaluations,
        Cell(&chosen.best),
        chosen.stats.trades,
        chosen.stats.wins,
        Exact(chosen.stats.sum_profit)
    )?;
    Ok(chosen)
}

/// Phase 4: the chosen cell out-of-sample; returns the verdict.
#[inline(never)]
fn phase4<B: BarSource + ?Sized>(
    ws: &mut SmallWorkspace,
    source: &mut B,
    pc: &ProfileConfig,
    chosen: &StartResult,
    oos: TimeRange,
    out: &mut dyn Write,
) -> Result<phase::Verdict, RunError> {
    let v = phase::validate(
        ws,
        source,
        pc,
        &validation(),
        &chosen.best,
        &chosen.stats,
        &[oos],
    )?;
    writeln!(
        out,
        "{} phase4 verdict={} enough_trades={} positive={} significant={} \
         opportunities={} {}",
        pc.spec.profile.name(),
        v.verdict.name(),
        v.enough_trades,
        v.positive,
        v.significant,
        v.out_of_sample_opportunities,
        Stats(&v.out_of_sample)
    )?;
    Ok(v.verdict)
}
