//! The pass engine: streams bars of many symbols and evaluates every candidate entry
//! against every cell of a [`PassPlan`] once its forward window is complete.
//!
//! Per symbol the [`Workspace`] keeps O(1) indicator state, a ring of the last `depth`
//! bars and a FIFO of pending candidates (its *lane*), beside the lanes one scratch as
//! deep as they are for the window being evaluated; per cell a fixed-size [`CellStats`]
//! accumulator and the [`Book`] of its account (at most
//! [`MAX_OPEN_TRADES`](crate::budget::MAX_OPEN_TRADES) open positions). Nothing grows
//! with the length of the history: the working memory is the workspace's size plus its
//! lanes', fixed before the first bar (see [`footprint`] and [`lane_bytes`]).
//!
//! Bars must arrive in global `(time, symbol)` order (a k-way merge of the symbols, ties
//! in symbol order), each symbol's times on its timeframe's grid. For each bar:
//! 1. validate it and push it into its symbol's ring;
//! 2. evaluate, in global signal order `(signal time, symbol)`, every pending candidate
//!    whose forward window is complete: the window of a candidate signalled at `t` is the
//!    bars of its symbol in `(t, t + window·tf]`, so it is complete once the stream has
//!    reached `(t + window·tf, symbol)`; a gap (a missing bar) ends the window early, and
//!    a trade still open at the gap closes at the last close before it (truncated);
//! 3. update the indicators with the bar and, if the bar's close yields a candidate
//!    (a signal that passes the profile's loosest filter, inside the plan's time range,
//!    and in the sample if there is one), queue it.
//!
//! Because candidates are evaluated in global signal order with windows defined by time,
//! every cell's [`Book`] sees its entries in the order a live account would, and a cell's
//! statistics depend only on its own parameters and the data: not on the other cells of
//! the pass (whose holds set the window), on how a grid is split into passes, or on
//! threads. [`Workspace::finish`] evaluates what is still pending in the same order, with
//! the bars that exist, then closes every account.
//!
//! With [`EntrySource::External`] step 3 only updates the indicators: the caller queues
//! its own entries with [`Workspace::enter`] right after pushing each entry's signal bar,
//! and they wait in the same queue and meet the same evaluation (see `enter`).
//!
//! An [`Observer`] passed to [`Workspace::push_observed`] and
//! [`Workspace::finish_observed`] sees every evaluation as it happens (per entry, then
//! per cell that took the trade): how a host traces single trades without the core
//! storing them.
//!
//! When nobody watches single outcomes (`()`, or [`Observer::wants_outcomes`] false) and
//! the mode is first passage, the workspace evaluates cell-blocked (`engine/batch.rs`): each
//! entry is resolved once per exit group and distinct hold into a batch, and a full
//! batch is folded into the accounts cell after cell, so a cell's state stays in the
//! nearest cache for the whole batch. Each cell still meets its entries in signal order
//! with the same outcomes: the accounts are bit for bit those of the entry-by-entry loop.
//! The batch is part of the workspace (its depth is the last type parameter; 0 turns it
//! off, as the microcontroller workspace does).

use crate::account::{Book, DAY_MS};
use crate::bar::{Bar, Ohlc};
use crate::budget::{BATCH_DEPTH, MAX_GROUPS};
use crate::error::Error;
use crate::indicators::Indicators;
use crate::plan::{EntrySource, PassPlan};
use crate::signal::signal;
use crate::stats::{CellStats, Trials};
use crate::trade::{Direction, positive_finite};

mod batch;
mod evaluate;
pub mod footprint;
mod lanes;
mod observer;
use batch::Batch;
pub use footprint::{DefaultWorkspace, SmallWorkspace};
pub use lanes::{FixedLanes, Head, LaneParts, Lanes, Pending, lane_bytes, scratch_bytes};
use lanes::{Geometry, Lane};
pub use observer::{EntryEvent, Observer};

/// An entry supplied by the caller (see [`Workspace::enter`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExternalEntry {
    /// Long or short.
    pub direction: Direction,
    /// ATR in price units that every exit distance is a multiple of; `None` = the
    /// ATR(14) of the signal bar, as for signal candidates.
    pub atr: Option<f64>,
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

/// A workspace with `S` lanes of `H` bars (and their scratch) inside, windows of up to
/// `H` bars and `C` cells: the whole working memory in one value whose size is in the
/// type.
pub type FixedWorkspace<const S: usize, const H: usize, const C: usize> =
    Workspace<H, C, FixedLanes<S, H>>;

/// All the working memory of a pass: `C` cells, and the per-symbol lanes `L` with the
/// window scratch (see [`Lanes`]); windows of up to `H` bars (a validated bound: the
/// window's storage is the lanes', as deep as the caller made them). The caller owns it
/// (a `static` on a microcontroller, one boxed value per worker on a host) and reuses it
/// for every pass.
#[derive(Clone, Debug)]
pub struct Workspace<const H: usize, const C: usize, L, const BATCH: usize = BATCH_DEPTH> {
    /// Per-symbol state (see [`Lanes`]).
    lanes: L,
    geometry: Geometry,
    active_symbols: u16,
    stats: [CellStats; C],
    /// Per cell: the account's open positions and current day.
    books: [Book; C],
    /// Entries resolved but not yet folded into the accounts (`engine/batch.rs`).
    batch: Batch<C, BATCH>,
    /// Candidates created so far in this pass (the sampling ordinal).
    ordinal: u32,
    /// Position in the plan's sorted sample.
    sample_cursor: u32,
    /// Bar length, ms.
    timeframe_ms: i64,
    /// `(time, symbol)` of the last bar pushed (the stream's clock).
    clock: (i64, u16),
    /// Earliest pending candidate over all symbols, `(signal time, symbol)`.
    front: Option<(i64, u16)>,
    /// Open times of the first and last bar (any symbol) inside the plan's time range.
    period: Option<(i64, i64)>,
    /// Configurations evaluated since the last reset (not reset by `begin`).
    trials: Trials,
}

impl<const S: usize, const D: usize, const H: usize, const C: usize, const BATCH: usize> Default
    for Workspace<H, C, FixedLanes<S, D>, BATCH>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const S: usize, const D: usize, const H: usize, const C: usize, const BATCH: usize>
    Workspace<H, C, FixedLanes<S, D>, BATCH>
{
    /// Bar ring of one symbol (`D` bars and their gap-free run numbers).
    pub const RING_BYTES: usize = size_of::<[Ohlc; D]>() + size_of::<[u32; D]>();
    /// Pending-candidate queue of one symbol (`D` candidates).
    pub const PENDING_BYTES: usize = size_of::<[Pending; D]>();
    /// The scratch beside the lanes (`D` window bars and their running best).
    pub const SCRATCH_BYTES: usize = scratch_bytes(D);

    /// An idle workspace with `S` lanes of `D` bars in arrays (const, so it can be a
    /// `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self::with_lanes(FixedLanes::new())
    }
}

impl<const H: usize, const C: usize, L, const BATCH: usize> Workspace<H, C, L, BATCH> {
    /// Total size in bytes: the pass engine's whole working memory when the lanes are
    /// inside (for lanes elsewhere, add their storage).
    pub const BYTES: usize = size_of::<Self>();
    /// Indicator state of one symbol.
    pub const INDICATOR_BYTES: usize = size_of::<Option<Indicators>>();
    /// One cell's accumulator.
    pub const CELL_STATS_BYTES: usize = size_of::<CellStats>();
    /// One cell's account book (open positions, current day).
    pub const CELL_BOOK_BYTES: usize = size_of::<Book>();
    /// Batch of resolved exits (cell-blocked evaluation).
    pub const BATCH_BYTES: usize = size_of::<Batch<C, BATCH>>();

    /// An idle workspace over `lanes` (const, so it can be a `static`).
    ///
    /// Its cells hold all-zero placeholders until [`Workspace::begin`] resets them: an
    /// all-zero value is written in place (a memset into a heap allocation, or the
    /// zero-initialized section of a `static`), so a host can build the workspace in its
    /// allocation instead of on the stack.
    #[must_use]
    pub const fn with_lanes(lanes: L) -> Self {
        Self {
            lanes,
            geometry: Geometry { depth: 0, queue: 0 },
            active_symbols: 0,
            stats: [CellStats::ZEROED; C],
            books: [Book::ZEROED; C],
            batch: Batch::new(),
            ordinal: 0,
            sample_cursor: 0,
            timeframe_ms: 0,
            clock: (i64::MIN, 0),
            front: None,
            period: None,
            trials: Trials::new(),
        }
    }
}

impl<const H: usize, const C: usize, L: Lanes, const BATCH: usize> Workspace<H, C, L, BATCH> {
    /// Lane `sym` (`None` past the pass's lanes).
    fn lane(&mut self, sym: usize) -> Option<Lane<'_>> {
        self.geometry.lane(self.lanes.parts(), sym)
    }

    /// Starts a pass over `symbols` series of `timeframe_minutes` bars, resetting all state.
    ///
    /// # Errors
    /// More symbols than lanes, a plan whose window needs more than `H` bars or than the
    /// lanes' depth, more than `C` cells, lanes whose slices do not fit together, or an
    /// invalid timeframe.
    pub fn begin<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        symbols: usize,
        timeframe_minutes: u32,
    ) -> Result<(), Error> {
        let parts = self.lanes.parts();
        let lanes = parts.heads.len();
        if symbols > lanes || symbols > usize::from(u16::MAX) {
            return Err(Error::CapacityExceeded {
                what: "lanes (symbols)",
                capacity: lanes.min(usize::from(u16::MAX)),
            });
        }
        let geometry = Geometry {
            depth: parts.ring.len().checked_div(lanes).unwrap_or(0),
            queue: parts.queue.len().checked_div(lanes).unwrap_or(0),
        };
        if parts.runs.len() != parts.ring.len()
            || (lanes > 0 && geometry.queue == 0)
            || parts.window.len() < geometry.depth
            || parts.best.len() < geometry.depth
        {
            return Err(Error::InvalidParameter {
                what: "lanes: runs as long as the ring, at least one queue slot per lane, \
                       and a scratch as deep as the lanes",
            });
        }
        let window = plan.window() as usize;
        if window > H {
            return Err(Error::CapacityExceeded {
                what: "H_MAX",
                capacity: H,
            });
        }
        if window > geometry.depth && symbols > 0 {
            return Err(Error::CapacityExceeded {
                what: "lane depth (window bars)",
                capacity: geometry.depth,
            });
        }
        if plan.cells().len() > C {
            return Err(Error::CapacityExceeded {
                what: "MAX_CELLS",
                capacity: C,
            });
        }
        let indicators = Indicators::new(timeframe_minutes)?;
        for (i, h) in parts.heads.iter_mut().enumerate() {
            *h = Head::EMPTY;
            if i < symbols {
                h.indicators = Some(indicators);
            }
        }
        self.geometry = geometry;
        self.active_symbols = symbols as u16;
        plan.spec().account().validate()?;
        for st in &mut self.stats {
            *st = CellStats::new();
        }
        for book in &mut self.books {
            *book = Book::new();
        }
        self.batch.begin(plan);
        self.ordinal = 0;
        self.sample_cursor = 0;
        self.timeframe_ms = i64::from(timeframe_minutes) * 60_000;
        self.clock = (i64::MIN, 0);
        self.front = None;
        self.period = None;
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
        let tf = self.timeframe_ms;
        let clock = self.clock;
        let Some(lane) = self.geometry.lane(self.lanes.parts(), sym) else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let state = lane.head;
        bar.validate(state.last_time)?;
        if (bar.time, symbol) <= clock {
            return Err(Error::InvalidParameter {
                what: "bars must arrive in (time, symbol) order",
            });
        }
        let contiguous = match state.last_time {
            Some(last) => {
                let step = bar.time - last;
                if step % tf != 0 {
                    return Err(Error::InvalidParameter {
                        what: "bar time off the timeframe's grid",
                    });
                }
                step == tf
            }
            None => true,
        };
        if !contiguous {
            state.run = state.run.wrapping_add(1);
        }
        state.last_time = Some(bar.time);
        let index = state.count;
        let slot = index as usize % lane.ring.len();
        lane.ring[slot] = Ohlc::from(bar);
        lane.runs[slot] = state.run;
        state.count = index.wrapping_add(1);
        state.counters.bars += 1;
        self.clock = (bar.time, symbol);
        if plan.in_range(bar.time) {
            self.period = Some(match self.period {
                Some((first, _)) => (first, bar.time),
                None => (bar.time, bar.time),
            });
        }

        // Candidates (of any symbol) whose window is complete, in global signal order.
        let reach = i64::from(plan.window()) * self.timeframe_ms;
        while let Some((t, s)) = self.front {
            if (t.saturating_add(reach), s) > self.clock {
                break;
            }
            self.evaluate_front(plan, observer)?;
        }

        let Some(lane) = self.lane(sym) else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let state = lane.head;
        let Some(ind) = state.indicators.as_mut() else {
            return Err(Error::UnknownSymbol(symbol));
        };
        if plan.entry_source() == EntrySource::External {
            // External entries need the ATR only.
            if ind.update_atr(bar) {
                state.counters.warm_bars += 1;
            }
            return Ok(());
        }
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
        let run = state.run;
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
            time: bar.time,
            bar_index: index,
            run,
            direction: sig.direction,
            atr: snapshot.atr,
            close: snapshot.close,
            consensus: sig.consensus,
            scores,
        };
        // At most one candidate per bar and a window of at most `depth` bars: a queue of
        // `depth` slots cannot overflow, but a full queue is still an error value.
        self.queue(sym, pending)
    }

    /// Appends a candidate to its symbol's queue and keeps the global front.
    fn queue(&mut self, sym: usize, pending: Pending) -> Result<(), Error> {
        let key = (pending.time, sym as u16);
        let capacity = self.geometry.queue;
        let Some(mut lane) = self.lane(sym) else {
            return Err(Error::UnknownSymbol(sym as u16));
        };
        if !lane.push_back(pending) {
            return Err(Error::CapacityExceeded {
                what: "lane queue (waiting entries per symbol)",
                capacity,
            });
        }
        if self.front.is_none_or(|f| key < f) {
            self.front = Some(key);
        }
        Ok(())
    }

    /// Evaluates the globally earliest pending candidate and finds the next one.
    fn evaluate_front<const PC: usize, O: Observer + ?Sized>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        observer: &mut O,
    ) -> Result<(), Error> {
        let Some((_, s)) = self.front else {
            return Ok(());
        };
        let sym = usize::from(s);
        if let Some(p) = self.lane(sym).and_then(|mut lane| lane.pop_front()) {
            self.evaluate(plan, sym, &p, plan.window(), observer)?;
        }
        let heads = self.lanes.heads();
        self.front = heads[..usize::from(self.active_symbols).min(heads.len())]
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.front_time.map(|t| (t, i as u16)))
            .min();
        Ok(())
    }

    /// Queues an external entry of `symbol` whose signal bar is the bar of that symbol
    /// pushed last; call it right after that [`Workspace::push`], once per entry (several
    /// entries may share a bar). The plan must take [`EntrySource::External`] entries.
    ///
    /// The entry then lives exactly like a signal candidate: it waits in the symbol's
    /// queue until its window of `plan.window()` bars is complete (or the pass finishes),
    /// fills by the plan's [`EntryTiming`](crate::EntryTiming) (next bar's open, or the
    /// signal bar's close), and is evaluated against every cell; it passes every entry
    /// filter (consensus 5, score 100 in every weight group) and counts as a candidate in
    /// the symbol's counters. Memory stays bounded: at most the lanes' queue depth of
    /// entries wait per symbol.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the plan takes signal candidates, no bar of the
    /// symbol was pushed yet, the given ATR is not finite and `> 0`, or no ATR is given and
    /// the symbol has fewer than [`ATR_PERIOD`](crate::indicators::ATR_PERIOD) bars or a
    /// zero ATR (flat prices); [`Error::UnknownSymbol`]; [`Error::CapacityExceeded`]
    /// when the symbol's queue (the lanes' queue depth) is full.
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
        let Some(lane) = self.lane(usize::from(symbol)) else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let state = lane.head;
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
            time: state.last_time.unwrap_or(i64::MIN),
            bar_index: index,
            run: state.run,
            direction: entry.direction,
            atr,
            close: lane.ring[index as usize % lane.ring.len()].close,
            consensus: 5,
            scores: [100.0; MAX_GROUPS],
        };
        self.queue(usize::from(symbol), pending)?;
        let Some(lane) = self.lane(usize::from(symbol)) else {
            return Err(Error::UnknownSymbol(symbol));
        };
        let state = lane.head;
        state.counters.candidates += 1;
        if entry.direction == Direction::Long {
            state.counters.longs += 1;
        }
        Ok(())
    }

    /// Ends the pass: evaluates every pending candidate with the bars that exist
    /// (windows cut short by the end of the data are truncated), in global signal order,
    /// then closes every cell's account (see [`crate::account`]).
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
        while self.front.is_some() {
            self.evaluate_front(plan, observer)?;
        }
        self.fold_batch(plan)?;
        let (days, last_day) = match self.period {
            Some((first, last)) => {
                let (d0, d1) = (first.div_euclid(DAY_MS), last.div_euclid(DAY_MS));
                ((d1 - d0 + 1) as u32, d1)
            }
            None => (0, i64::MIN),
        };
        let cells = plan.cells().len().min(C);
        for (book, st) in self.books.iter_mut().zip(&mut self.stats).take(cells) {
            book.close(st, last_day, days);
            self.trials.record(st);
        }
        Ok(())
    }

    /// The configurations evaluated since the last [`Workspace::reset_trials`].
    #[must_use]
    pub fn trials(&self) -> Trials {
        self.trials
    }

    /// Starts counting trials afresh.
    pub fn reset_trials(&mut self) {
        self.trials = Trials::default();
    }

    /// The accumulators of the plan's cells, in plan order.
    #[must_use]
    pub fn stats(&self, cells: usize) -> &[CellStats] {
        &self.stats[..cells.min(C)]
    }

    /// Per-symbol counters of the pass.
    pub fn counters(&self) -> impl Iterator<Item = &SymbolCounters> {
        let heads = self.lanes.heads();
        heads[..usize::from(self.active_symbols).min(heads.len())]
            .iter()
            .map(Head::counters)
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

    /// Folds the batched entries into the cells' accounts.
    fn fold_batch<const PC: usize>(&mut self, plan: &PassPlan<'_, PC>) -> Result<(), Error> {
        self.batch.fold(plan, &mut self.books, &mut self.stats)
    }
}
