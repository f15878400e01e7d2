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
//! With [`EntrySource::External`] step 3 only updates the indicators: the caller queues
//! its own entries with [`Workspace::enter`] right after pushing each entry's signal bar,
//! and they wait in the same queue and meet the same evaluation (see `enter`).
//!
//! [`Workspace::finish`] evaluates what is still pending with the bars that exist
//! (truncated windows). Candidates are evaluated in the order their windows complete
//! (signal order for gap-free data) and each cell has its own accumulator and marks, so
//! the accumulators, and the drawdown they track, are a pure function of the data and
//! the plan, whatever order the cells of one candidate are visited in (first passage
//! visits them by groups sharing their price levels, the reference in plan order).
//!
//! An [`Observer`] passed to [`Workspace::push_observed`] and
//! [`Workspace::finish_observed`] sees every evaluation as it happens (per entry, then
//! per cell): how a host traces single trades without the core storing them.

use crate::bar::{Bar, Ohlc};
use crate::budget::MAX_GROUPS;
use crate::error::Error;
use crate::first_passage::HitTable;
use crate::indicators::Indicators;
use crate::plan::{EntrySource, EvalMode, PassPlan};
use crate::signal::signal;
use crate::sim::{close_out, simulate};
use crate::stats::CellStats;
use crate::trade::{Direction, Entry, EntryTiming, TradeOutcome, positive_finite};
use heapless::Deque;

/// Slots of the per-entry cache of time exits (by holding time, direct-mapped).
const TIME_EXIT_SLOTS: usize = 16;

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

/// An entry supplied by the caller (see [`Workspace::enter`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExternalEntry {
    /// Long or short.
    pub direction: Direction,
    /// ATR in price units that every exit distance is a multiple of; `None` = the
    /// ATR(14) of the signal bar, as for signal candidates.
    pub atr: Option<f64>,
}

/// An entry at the moment the engine evaluates it (see [`Observer`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryEvent {
    /// Symbol index.
    pub symbol: u16,
    /// Index of the signal bar in the symbol's stream (0-based).
    pub bar_index: u32,
    /// Long or short.
    pub direction: Direction,
    /// The ATR the exits are multiples of.
    pub atr: f64,
    /// The fill price; `None` when the entry cannot fill (entry at the next open, but
    /// the data ends at the signal bar): no outcome follows.
    pub price: Option<f64>,
}

/// Sees every evaluation of a pass, in the engine's order: for each entry whose window is
/// complete, [`Observer::entry`] once, then [`Observer::outcome`] once for each cell that
/// traded it (in an order of the engine's choosing). Entries of one symbol come in the order they were
/// queued. Both methods do nothing by default; `()` observes nothing.
pub trait Observer {
    /// The next evaluated entry.
    #[inline]
    fn entry(&mut self, event: &EntryEvent) {
        let _ = event;
    }

    /// The outcome of the last announced entry under cell `cell` (index in the plan).
    #[inline]
    fn outcome(&mut self, cell: usize, outcome: &TradeOutcome) {
        let _ = (cell, outcome);
    }
}

impl Observer for () {}

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
        self.push_observed(plan, symbol, bar, &mut ())
    }

    /// [`Workspace::push`], showing every evaluation it makes to `observer`.
    ///
    /// # Errors
    /// As [`Workspace::push`].
    pub fn push_observed<const PC: usize, O: Observer + ?Sized>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        symbol: u16,
        bar: &Bar,
        observer: &mut O,
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
            self.evaluate(plan, sym, &p, window, observer)?;
        }

        let state = &mut self.symbols[sym];
        let Some(ind) = state.indicators.as_mut() else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let Some(snapshot) = ind.update(bar) else {
            return Ok(());
        };
        state.counters.warm_bars += 1;
        if plan.entry_source() == EntrySource::External {
            return Ok(());
        }
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

    /// Queues an external entry of `symbol` whose signal bar is the bar of that symbol
    /// pushed last; call it right after that [`Workspace::push`], once per entry (several
    /// entries may share a bar). The plan must take [`EntrySource::External`] entries.
    ///
    /// The entry then lives exactly like a signal candidate: it waits in the symbol's
    /// queue until its window of `plan.window()` bars is complete (or the pass finishes),
    /// fills by the plan's [`EntryTiming`] (next bar's open, or the signal bar's close),
    /// and is evaluated against every cell; it passes every entry filter (consensus 5,
    /// score 100 in every weight group) and counts as a candidate in the symbol's
    /// counters. Memory stays bounded: at most `H` queued entries per symbol.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the plan takes signal candidates, no bar of the
    /// symbol was pushed yet, the given ATR is not finite and `> 0`, or no ATR is given and
    /// the symbol has fewer than [`ATR_PERIOD`](crate::indicators::ATR_PERIOD) bars or a
    /// zero ATR (flat prices); [`Error::UnknownSymbol`]; [`Error::CapacityExceeded`]
    /// (`H_MAX`) when `H` entries of the symbol are already waiting.
    pub fn enter<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        symbol: u16,
        entry: ExternalEntry,
    ) -> Result<(), Error> {
        if plan.entry_source() != EntrySource::External {
            return Err(Error::InvalidParameter {
                what: "entry source: the plan takes signal candidates",
            });
        }
        if symbol >= self.active_symbols {
            return Err(Error::UnknownSymbol(symbol));
        }
        let state = self
            .symbols
            .get_mut(usize::from(symbol))
            .ok_or(Error::UnknownSymbol(symbol))?;
        let Some(index) = state.count.checked_sub(1) else {
            return Err(Error::InvalidParameter {
                what: "entry before the symbol's first bar",
            });
        };
        let atr = match entry.atr {
            Some(a) if positive_finite(a) => a,
            Some(_) => {
                return Err(Error::InvalidParameter {
                    what: "entry ATR must be finite and > 0",
                });
            }
            None => state
                .indicators
                .as_ref()
                .and_then(Indicators::atr)
                .filter(|a| positive_finite(*a))
                .ok_or(Error::InvalidParameter {
                    what: "entry ATR unavailable (fewer than 14 bars, or flat prices)",
                })?,
        };
        let pending = Pending {
            bar_index: index,
            direction: entry.direction,
            atr,
            close: state.ring[index as usize % H].close,
            consensus: 5,
            scores: [100.0; MAX_GROUPS],
        };
        state
            .pending
            .push_back(pending)
            .map_err(|_| Error::CapacityExceeded {
                what: "H_MAX",
                capacity: H,
            })?;
        state.counters.candidates += 1;
        if entry.direction == Direction::Long {
            state.counters.longs += 1;
        }
        Ok(())
    }

    /// Ends the pass: evaluates every pending candidate with the bars that exist
    /// (windows cut short by the end of the data are truncated), symbol by symbol.
    ///
    /// # Errors
    /// Only capacity errors from evaluation (none for a plan accepted by `begin`).
    pub fn finish<const PC: usize>(&mut self, plan: &PassPlan<'_, PC>) -> Result<(), Error> {
        self.finish_observed(plan, &mut ())
    }

    /// [`Workspace::finish`], showing every evaluation it makes to `observer`.
    ///
    /// # Errors
    /// As [`Workspace::finish`].
    pub fn finish_observed<const PC: usize, O: Observer + ?Sized>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        observer: &mut O,
    ) -> Result<(), Error> {
        let window = plan.window();
        for sym in 0..usize::from(self.active_symbols) {
            while let Some(p) = self.symbols[sym].pending.pop_front() {
                self.evaluate(plan, sym, &p, window, observer)?;
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
    fn evaluate<const PC: usize, O: Observer + ?Sized>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        sym: usize,
        p: &Pending,
        window: u16,
        observer: &mut O,
    ) -> Result<(), Error> {
        let state = &mut self.symbols[sym];
        // Bars after the signal bar that exist, up to the window.
        let newest = state.count.wrapping_sub(1);
        let available = newest.saturating_sub(p.bar_index).min(u32::from(window)) as usize;
        let (first, entry_price) = match plan.entry_timing() {
            EntryTiming::NextOpen => {
                if available == 0 {
                    // Data ended on the signal bar: no fill.
                    observer.entry(&EntryEvent {
                        symbol: sym as u16,
                        bar_index: p.bar_index,
                        direction: p.direction,
                        atr: p.atr,
                        price: None,
                    });
                    return Ok(());
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
        observer.entry(&EntryEvent {
            symbol: sym as u16,
            bar_index: p.bar_index,
            direction: p.direction,
            atr: p.atr,
            price: Some(entry_price),
        });

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

        let cost = plan.cost_pct();
        if plan.eval_mode() == EvalMode::FirstPassage {
            // Levels are resolved once per group of cells that share them; each cell then
            // only applies its holding time. Cells are independent, so visiting them group
            // by group leaves every accumulator as a plan-order loop would.
            self.hits.scan(plan.grid(), &entry, bars)?;
            // Time exits depend on the hold only: cache the last few (direct-mapped).
            let mut time_exits: [(u16, Option<TradeOutcome>); TIME_EXIT_SLOTS] =
                [(0, None); TIME_EXIT_SLOTS];
            let one_position = plan.one_position_per_symbol();
            // Scores are clamped to [0, 100] (or NaN, which no filter rejects), so cells
            // without filters admit every candidate: check only with filters or the rule.
            let check = plan.has_entry_filters() || one_position;
            for group in plan.exit_groups() {
                let Some(level) = self
                    .hits
                    .level_exit(plan.grid(), &entry, bars, group.exit, cost)
                else {
                    continue;
                };
                for &(c, hold) in plan.group_cells(group) {
                    let c = usize::from(c);
                    if check {
                        let Some(cell) = plan.cells().get(c) else {
                            continue;
                        };
                        if !self.admits(plan, c, cell, p, sym) {
                            continue;
                        }
                    }
                    let outcome = match level.exit {
                        Some(o) if level.bar < usize::from(hold) => Some(o),
                        _ => {
                            let slot = &mut time_exits[usize::from(hold) % TIME_EXIT_SLOTS];
                            if slot.0 != hold {
                                *slot =
                                    (hold, close_out(p.direction, entry.price, bars, hold, cost));
                            }
                            slot.1
                        }
                    };
                    if let Some(o) = outcome {
                        observer.outcome(c, &o);
                        self.stats[c].record(&o, is_opportunity);
                        // Only the one-position rule reads the marks: skip the store otherwise.
                        if one_position {
                            self.busy_until[c][sym] = p.bar_index + 1 + u32::from(o.exit_index);
                        }
                    }
                }
            }
        } else {
            for (c, cell) in plan.cells().iter().enumerate() {
                if !self.admits(plan, c, cell, p, sym) {
                    continue;
                }
                if let Some(o) = simulate(&entry, bars, &cell.exit, cost) {
                    observer.outcome(c, &o);
                    self.stats[c].record(&o, is_opportunity);
                    self.busy_until[c][sym] = p.bar_index + 1 + u32::from(o.exit_index);
                }
            }
        }
        Ok(())
    }

    /// Whether cell `c` trades candidate `p`: its entry filter, and no open position of
    /// the symbol in that cell (when the plan has that rule).
    #[inline]
    fn admits<const PC: usize>(
        &self,
        plan: &PassPlan<'_, PC>,
        c: usize,
        cell: &crate::plan::CellDef,
        p: &Pending,
        sym: usize,
    ) -> bool {
        let score = p
            .scores
            .get(usize::from(cell.group))
            .copied()
            .unwrap_or(f32::NEG_INFINITY);
        let filtered = p.consensus < cell.min_consensus || score < cell.min_score;
        let busy = plan.one_position_per_symbol() && p.bar_index < self.busy_until[c][sym];
        !(filtered || busy)
    }
}

fn state_front<const H: usize>(s: &SymbolState<H>) -> Option<Pending> {
    s.pending.front().copied()
}
