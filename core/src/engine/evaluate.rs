//! Evaluating one entry whose forward window is complete: its fill, its Phase 1 label,
//! and its outcome in every cell (into the batch, or entry by entry when the observer
//! watches outcomes or the mode is the reference simulator).

use super::batch::admits;
use super::lanes::Pending;
use super::{EntryEvent, Lanes, Observer, Workspace};
use crate::error::Error;
use crate::first_passage::HitTable;
use crate::plan::{CellDef, EvalMode, PassPlan};
use crate::sim::{close_out, simulate};
use crate::trade::{Entry, EntryTiming, TradeOutcome};

/// Slots of the per-entry cache of time exits (by holding time, direct-mapped).
const TIME_EXIT_SLOTS: usize = 16;

impl<const H: usize, const C: usize, L: Lanes, const BATCH: usize> Workspace<H, C, L, BATCH> {
    /// Evaluates one candidate of symbol `sym` against every cell.
    pub(super) fn evaluate<const PC: usize, O: Observer + ?Sized>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        sym: usize,
        p: &Pending,
        window: u16,
        observer: &mut O,
    ) -> Result<(), Error> {
        let Some((lane, scratch)) = self.geometry.lane_and_scratch(self.lanes.parts(), sym) else {
            return Err(Error::UnknownSymbol(sym as u16));
        };
        let depth = lane.ring.len();
        let state = lane.head;
        // Bars after the signal bar that exist, up to the window, and before any gap.
        let newest = state.count.wrapping_sub(1);
        let after = newest.saturating_sub(p.bar_index);
        if after as usize > depth {
            // Bars of the window were overwritten: only possible off the timeframe grid.
            return Err(Error::CapacityExceeded {
                what: "lane depth (window bars)",
                capacity: depth,
            });
        }
        let mut available = 0usize;
        while available < after.min(u32::from(window)) as usize
            && lane.runs[(p.bar_index as usize + 1 + available) % depth] == p.run
        {
            available += 1;
        }
        // The observer sees every signal, filled (`Some(price)`) or not.
        let event = |price| EntryEvent {
            symbol: sym as u16,
            bar_index: p.bar_index,
            time: p.time,
            direction: p.direction,
            atr: p.atr,
            price,
        };
        let (first, entry_price) = match plan.entry_timing() {
            EntryTiming::NextOpen => {
                if available == 0 {
                    // Data ended (or a gap follows) on the signal bar: no fill.
                    observer.entry(&event(None));
                    return Ok(());
                }
                let first = (p.bar_index + 1) as usize % depth;
                (first, lane.ring[first].open)
            }
            EntryTiming::SignalClose => ((p.bar_index + 1) as usize % depth, p.close),
        };
        // The window, unwrapped from the ring (two copies at most).
        let head = available.min(depth - first);
        scratch.window[..head].copy_from_slice(&lane.ring[first..first + head]);
        scratch.window[head..available].copy_from_slice(&lane.ring[..available - head]);
        let bars = &scratch.window[..available];
        let entry = Entry {
            direction: p.direction,
            price: entry_price,
            atr: p.atr,
        };
        observer.entry(&event(Some(entry_price)));

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
        let account = plan.spec().account();
        let symbol = sym as u16;
        // The entry fills at the open of the bar after the signal bar (or the signal
        // bar's close: the same instant); window bar k opens at t + (k + 1)·tf.
        let tf = self.timeframe_ms;
        let entry_time = p.time + tf;
        let exit_time = |o: &TradeOutcome| p.time + (i64::from(o.exit_index) + 1) * tf;
        let filtered = plan.has_entry_filters();
        if plan.eval_mode() == EvalMode::FirstPassage {
            // Levels are resolved once per group of cells that share them; each cell then
            // only applies its holding time. Cells are independent, so visiting them group
            // by group leaves every account as a plan-order loop would.
            let mut hits = HitTable::over(scratch.best);
            hits.scan(plan.grid(), &entry, bars)?;
            if self.batch.capacity() > 0 && !observer.wants_outcomes() {
                // Nobody watches single outcomes: fold a batch at a time (see `batch`).
                if self
                    .batch
                    .add(plan, &hits, &entry, bars, p, symbol, is_opportunity, tf)
                {
                    self.fold_batch(plan)?;
                }
                return Ok(());
            }
            // Outcomes in entry order: the batch first.
            self.batch.fold(plan, &mut self.books, &mut self.stats)?;
            // Time exits depend on the hold only: cache the last few (direct-mapped).
            let mut time_exits: [(u16, Option<TradeOutcome>); TIME_EXIT_SLOTS] =
                [(0, None); TIME_EXIT_SLOTS];
            let holds = plan.holds();
            for group in plan.exit_groups() {
                let Some(level) = hits.level_exit(plan.grid(), &entry, bars, group.exit, cost)
                else {
                    continue;
                };
                for &(c, slot) in plan.group_cells(group) {
                    let c = usize::from(c);
                    let hold = holds.get(usize::from(slot)).copied().unwrap_or(0);
                    // Scores are clamped to [0, 100] (or NaN, which no filter rejects),
                    // so cells without filters admit every candidate.
                    if filtered && !plan.cells().get(c).is_some_and(|cell| passes(cell, p)) {
                        continue;
                    }
                    let (Some(book), Some(st)) = (self.books.get_mut(c), self.stats.get_mut(c))
                    else {
                        continue;
                    };
                    if !book.free_slot(st, &account, symbol, entry_time) {
                        continue;
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
                        book.open(st, &account, symbol, exit_time(&o), &o, is_opportunity)?;
                    }
                }
            }
        } else {
            self.batch.fold(plan, &mut self.books, &mut self.stats)?;
            for (c, cell) in plan.cells().iter().enumerate() {
                if !passes(cell, p) {
                    continue;
                }
                let (Some(book), Some(st)) = (self.books.get_mut(c), self.stats.get_mut(c)) else {
                    continue;
                };
                if !book.free_slot(st, &account, symbol, entry_time) {
                    continue;
                }
                if let Some(o) = simulate(&entry, bars, &cell.exit, cost) {
                    observer.outcome(c, &o);
                    book.open(st, &account, symbol, exit_time(&o), &o, is_opportunity)?;
                }
            }
        }
        Ok(())
    }
}

/// Whether a cell's entry filter admits candidate `p` (its group's score and the consensus).
#[inline]
fn passes(cell: &CellDef, p: &Pending) -> bool {
    admits(cell, p.consensus, &p.scores)
}
