//! The pass engine: streams bars of many symbols and evaluates every candidate entry
//! against every cell of a [`PassPlan`] once its forward window is complete.
//!
//! Per symbol the [`Workspace`] keeps O(1) indicator state, a ring of the last `H` bars
//! and a FIFO of pending candidates; per cell a fixed-size [`CellStats`] accumulator and
//! the bar index each symbol's position (if any) is busy until. Nothing grows with the
//! length of the history: the working memory is `size_of::<Workspace<S, H, C>>()`,
//! a compile-time constant (see [`crate::budget`]).
//!
//! Order of work for each bar of a symbol (bars arrive in timestamp order across symbols):
//! 1. validate it (time increasing per symbol, prices sane) and push it into the ring;
//! 2. evaluate, oldest first, every pending candidate of the symbol whose window of
//!    `plan.window()` bars is now complete;
//! 3. update the indicators with the bar and, if the bar's close yields a candidate
//!    (a signal that passes the profile's loosest filter, inside the plan's time range,
//!    and in the sample if there is one), queue it.
//!
//! [`Workspace::finish`] evaluates what is still pending with the bars that exist
//! (truncated windows). Cells are evaluated in plan order and candidates in the order
//! their windows complete (signal order for gap-free data), so the accumulators, and the
//! drawdown they track, are a pure function of the data and the plan.

use crate::bar::{Bar, Ohlc};
use crate::budget::MAX_GROUPS;
use crate::error::Error;
use crate::first_passage::HitTable;
use crate::indicators::Indicators;
use crate::plan::{EvalMode, PassPlan};
use crate::signal::signal;
use crate::sim::simulate;
use crate::stats::CellStats;
use crate::trade::{Direction, Entry, EntryTiming};
use heapless::Deque;

/// A candidate waiting for its forward window.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pending {
    /// Index of the signal bar in the symbol's stream.
    bar_index: u32,
    direction: Direction,
    atr: f64,
    close: f64,
    consensus: u8,
    /// Score per weight group of the plan's profile.
    scores: [f32; MAX_GROUPS],
}

/// Phase-1 style counters of one symbol in one pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SymbolCounters {
    /// Bars seen.
    pub bars: u32,
    /// Bars seen after indicator warm-up.
    pub warm_bars: u32,
    /// Candidates (signal + loosest filter, in the time range), before sampling.
    pub candidates: u32,
    /// Candidates evaluated (in the sample, if any).
    pub evaluated: u32,
    /// Evaluated candidates whose hindsight favourable move reached the threshold.
    pub opportunities: u32,
    /// Sum over opportunities of the ideal profit in % (best favourable price in the horizon).
    pub ideal_profit_sum: f64,
    /// Sum over opportunities of the bars from entry to that peak (1-based).
    pub time_to_peak_sum: u64,
    /// Long candidates among `candidates`.
    pub longs: u32,
}

/// Per-symbol streaming state.
#[derive(Clone, Debug)]
struct SymbolState<const H: usize> {
    indicators: Option<Indicators>,
    ring: [Ohlc; H],
    /// Bars pushed so far (the next bar's index).
    count: u32,
    last_time: Option<i64>,
    pending: Deque<Pending, H>,
    counters: SymbolCounters,
}

impl<const H: usize> SymbolState<H> {
    const fn new() -> Self {
        Self {
            indicators: None,
            ring: [Ohlc::new(0.0, 0.0, 0.0, 0.0); H],
            count: 0,
            last_time: None,
            pending: Deque::new(),
            counters: SymbolCounters {
                bars: 0,
                warm_bars: 0,
                candidates: 0,
                evaluated: 0,
                opportunities: 0,
                ideal_profit_sum: 0.0,
                time_to_peak_sum: 0,
                longs: 0,
            },
        }
    }
}

/// All the working memory of a pass: `S` symbols, windows of up to `H` bars, `C` cells.
/// The caller owns it (a `static` on a microcontroller, one boxed value per worker on a
/// host) and reuses it for every pass.
#[derive(Clone, Debug)]
pub struct Workspace<const S: usize, const H: usize, const C: usize> {
    symbols: [SymbolState<H>; S],
    active_symbols: u16,
    stats: [CellStats; C],
    /// Per cell and symbol: index of the bar the cell's open position exits on.
    busy_until: [[u32; S]; C],
    hits: HitTable<H>,
    window: [Ohlc; H],
    /// Candidates created so far in this pass (the sampling ordinal).
    ordinal: u32,
    /// Position in the plan's sorted sample.
    sample_cursor: u32,
}

impl<const S: usize, const H: usize, const C: usize> Default for Workspace<S, H, C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const S: usize, const H: usize, const C: usize> Workspace<S, H, C> {
    /// Total size in bytes: the pass engine's whole working memory.
    pub const BYTES: usize = size_of::<Self>();
    /// Indicator state of one symbol.
    pub const INDICATOR_BYTES: usize = size_of::<Option<Indicators>>();
    /// Bar ring of one symbol (`H` bars).
    pub const RING_BYTES: usize = size_of::<[Ohlc; H]>();
    /// Pending-candidate queue of one symbol (`H` candidates).
    pub const PENDING_BYTES: usize = size_of::<Deque<Pending, H>>();
    /// Everything of one symbol (indicators, ring, queue, counters).
    pub const SYMBOL_BYTES: usize = size_of::<SymbolState<H>>();
    /// One cell's accumulator.
    pub const CELL_STATS_BYTES: usize = size_of::<CellStats>();
    /// One cell's busy-until marks (one per symbol).
    pub const CELL_BUSY_BYTES: usize = size_of::<[u32; S]>();
    /// First-passage hit table (scratch, one per workspace).
    pub const HITS_BYTES: usize = size_of::<HitTable<H>>();
    /// Contiguous forward window (scratch, one per workspace).
    pub const WINDOW_BYTES: usize = size_of::<[Ohlc; H]>();

    /// An idle workspace (const, so it can be a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            symbols: [const { SymbolState::new() }; S],
            active_symbols: 0,
            stats: [CellStats::new(); C],
            busy_until: [[0; S]; C],
            hits: HitTable::new(),
            window: [Ohlc::new(0.0, 0.0, 0.0, 0.0); H],
            ordinal: 0,
            sample_cursor: 0,
        }
    }

    /// Starts a pass over `symbols` series of `timeframe_minutes` bars, resetting all state.
    ///
    /// # Errors
    /// More symbols than `S`, a plan needing more than `H` bars of window or more than `C`
    /// cells, or an invalid timeframe.
    pub fn begin<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        symbols: usize,
        timeframe_minutes: u32,
    ) -> Result<(), Error> {
        if symbols > S {
            return Err(Error::CapacityExceeded {
                what: "MAX_SYMBOLS",
                capacity: S,
            });
        }
        if plan.window() as usize > H {
            return Err(Error::CapacityExceeded {
                what: "H_MAX",
                capacity: H,
            });
        }
        if plan.cells().len() > C {
            return Err(Error::CapacityExceeded {
                what: "MAX_CELLS",
                capacity: C,
            });
        }
        let indicators = Indicators::new(timeframe_minutes)?;
        for (i, s) in self.symbols.iter_mut().enumerate() {
            *s = SymbolState::new();
            if i < symbols {
                s.indicators = Some(indicators);
            }
        }
        self.active_symbols = symbols as u16;
        for st in &mut self.stats {
            *st = CellStats::new();
        }
        for row in &mut self.busy_until {
            *row = [0; S];
        }
        self.ordinal = 0;
        self.sample_cursor = 0;
        Ok(())
    }

    /// Feeds the next bar of symbol `symbol`.
    ///
    /// # Errors
    /// Unknown symbol, or a bar that fails [`Bar::validate`] (including non-increasing time).
    pub fn push<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        symbol: u16,
        bar: &Bar,
    ) -> Result<(), Error> {
        let sym = usize::from(symbol);
        if symbol >= self.active_symbols {
            return Err(Error::UnknownSymbol(symbol));
        }
        let state = self
            .symbols
            .get_mut(sym)
            .ok_or(Error::UnknownSymbol(symbol))?;
        bar.validate(state.last_time)?;
        state.last_time = Some(bar.time);
        let index = state.count;
        state.ring[index as usize % H] = Ohlc::from(bar);
        state.count = index.wrapping_add(1);
        state.counters.bars += 1;

        // Candidates whose window ends at this bar.
        let window = plan.window();
        while let Some(p) = state_front(&self.symbols[sym]) {
            if index < p.bar_index + u32::from(window) {
                break;
            }
            let _ = self.symbols[sym].pending.pop_front();
            self.evaluate(plan, sym, &p, window)?;
        }

        let state = &mut self.symbols[sym];
        let Some(ind) = state.indicators.as_mut() else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let Some(snapshot) = ind.update(bar) else {
            return Ok(());
        };
        state.counters.warm_bars += 1;
        if !plan.in_range(bar.time) {
            return Ok(());
        }
        let Some(sig) = signal(&snapshot) else {
            return Ok(());
        };
        if !(snapshot.atr.is_finite() && snapshot.atr > 0.0) {
            return Ok(());
        }
        let mut scores = [0f32; MAX_GROUPS];
        let mut best = f32::NEG_INFINITY;
        for (slot, w) in scores.iter_mut().zip(plan.groups()) {
            *slot = sig.score(w) as f32;
            if *slot > best {
                best = *slot;
            }
        }
        if sig.consensus < plan.candidate_min_consensus() || best < plan.candidate_min_score() {
            return Ok(());
        }
        state.counters.candidates += 1;
        if sig.direction == Direction::Long {
            state.counters.longs += 1;
        }
        let ordinal = self.ordinal;
        self.ordinal = self.ordinal.wrapping_add(1);
        if let Some(sample) = plan.sample() {
            let cursor = self.sample_cursor as usize;
            match sample.get(cursor) {
                Some(&k) if k == ordinal => self.sample_cursor += 1,
                _ => return Ok(()),
            }
        }
        let pending = Pending {
            bar_index: index,
            direction: sig.direction,
            atr: snapshot.atr,
            close: snapshot.close,
            consensus: sig.consensus,
            scores,
        };
        // At most one candidate per bar and a window of at most H bars: the queue cannot
        // hold more than H, but a full queue is still an error value, not a panic.
        self.symbols[sym]
            .pending
            .push_back(pending)
            .map_err(|_| Error::CapacityExceeded {
                what: "H_MAX",
                capacity: H,
            })
    }

    /// Ends the pass: evaluates every pending candidate with the bars that exist
    /// (windows cut short by the end of the data are truncated), symbol by symbol.
    ///
    /// # Errors
    /// Only capacity errors from evaluation (none for a plan accepted by `begin`).
    pub fn finish<const PC: usize>(&mut self, plan: &PassPlan<'_, PC>) -> Result<(), Error> {
        let window = plan.window();
        for sym in 0..usize::from(self.active_symbols) {
            while let Some(p) = self.symbols[sym].pending.pop_front() {
                self.evaluate(plan, sym, &p, window)?;
            }
        }
        Ok(())
    }

    /// The accumulators of the plan's cells, in plan order.
    #[must_use]
    pub fn stats(&self, cells: usize) -> &[CellStats] {
        &self.stats[..cells.min(C)]
    }

    /// Per-symbol counters of the pass.
    pub fn counters(&self) -> impl Iterator<Item = &SymbolCounters> {
        self.symbols[..usize::from(self.active_symbols)]
            .iter()
            .map(|s| &s.counters)
    }

    /// Sum of the per-symbol counters.
    #[must_use]
    pub fn totals(&self) -> SymbolCounters {
        let mut t = SymbolCounters::default();
        for c in self.counters() {
            t.bars += c.bars;
            t.warm_bars += c.warm_bars;
            t.candidates += c.candidates;
            t.evaluated += c.evaluated;
            t.opportunities += c.opportunities;
            t.ideal_profit_sum += c.ideal_profit_sum;
            t.time_to_peak_sum += c.time_to_peak_sum;
            t.longs += c.longs;
        }
        t
    }

    /// Evaluates one candidate of symbol `sym` against every cell.
    fn evaluate<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        sym: usize,
        p: &Pending,
        window: u16,
    ) -> Result<(), Error> {
        let state = &mut self.symbols[sym];
        // Bars after the signal bar that exist, up to the window.
        let newest = state.count.wrapping_sub(1);
        let available = newest.saturating_sub(p.bar_index).min(u32::from(window)) as usize;
        let (first, entry_price) = match plan.entry_timing() {
            EntryTiming::NextOpen => {
                if available == 0 {
                    return Ok(()); // data ended on the signal bar: no fill
                }
                let first = (p.bar_index + 1) as usize % H;
                (first, state.ring[first].open)
            }
            EntryTiming::SignalClose => ((p.bar_index + 1) as usize % H, p.close),
        };
        for k in 0..available {
            self.window[k] = state.ring[(first + k) % H];
        }
        let bars = &self.window[..available];
        let entry = Entry {
            direction: p.direction,
            price: entry_price,
            atr: p.atr,
        };

        // Hindsight label (reporting only): favourable move within the horizon.
        let horizon = bars.len().min(usize::from(plan.opportunity_horizon()));
        let mut peak = entry_price;
        let mut peak_at = 0usize;
        for (k, b) in bars[..horizon].iter().enumerate() {
            let x = p.direction.favourable_extreme(b);
            if p.direction.best(peak, x) != peak {
                peak = x;
                peak_at = k + 1;
            }
        }
        let ideal = crate::trade::profit_pct(p.direction, entry_price, peak, 0.0);
        let is_opportunity = ideal >= plan.opportunity_move_pct();
        state.counters.evaluated += 1;
        if is_opportunity {
            state.counters.opportunities += 1;
            state.counters.ideal_profit_sum += ideal;
            state.counters.time_to_peak_sum += peak_at as u64;
        }
        if bars.is_empty() || plan.cells().is_empty() {
            return Ok(());
        }

        let mode = plan.eval_mode();
        if mode == EvalMode::FirstPassage {
            self.hits.scan(plan.grid(), &entry, bars)?;
        }
        let cost = plan.cost_pct();
        for (c, cell) in plan.cells().iter().enumerate() {
            let g = usize::from(cell.group);
            let score = p.scores.get(g).copied().unwrap_or(f32::NEG_INFINITY);
            if p.consensus < cell.min_consensus || score < cell.min_score {
                continue;
            }
            if plan.one_position_per_symbol() && p.bar_index < self.busy_until[c][sym] {
                continue;
            }
            let outcome = match mode {
                EvalMode::FirstPassage => {
                    self.hits
                        .outcome(plan.grid(), &entry, bars, plan.cell_exit(c), cost)
                }
                EvalMode::Reference => simulate(&entry, bars, &cell.exit, cost),
            };
            if let Some(o) = outcome {
                self.stats[c].record(&o, is_opportunity);
                self.busy_until[c][sym] = p.bar_index + 1 + u32::from(o.exit_index);
            }
        }
        Ok(())
    }
}

fn state_front<const H: usize>(s: &SymbolState<H>) -> Option<Pending> {
    s.pending.front().copied()
}
