//! Cell-blocked evaluation: entries are resolved as they come and folded into the cells'
//! accounts a batch at a time, cell after cell.
//!
//! Evaluating an entry against every cell at once sweeps all the cells' accounts (about
//! 500 bytes each, a thousand cells a pass: level-2 cache, not level 1) for every entry.
//! Instead, when nobody watches the single outcomes, [`Batch::add`] stores what the entry
//! needs per exit group (the first bar at which the group's levels exit, and that exit)
//! and per distinct holding time (the time exit), and [`Batch::fold`] then runs each cell
//! over the whole batch: its book and accumulator stay in level 1 for `cap` entries.
//!
//! Each cell still sees its entries in the same order, with the same outcomes and the
//! same account calls, and cells are independent: every account ends bit for bit as the
//! entry-by-entry loop leaves it (`core/tests/core/batch.rs`).
//!
//! Capacity: a workspace of `C` cells and batch depth `D` (its last type parameter,
//! [`BATCH_DEPTH`](crate::budget::BATCH_DEPTH) by default) has `D·C` record slots and
//! `D·`[`BATCH_ENTRIES`] entry slots, so a batch holds `D·C / (groups + holds)` entries,
//! at most `D·BATCH_ENTRIES`. Depth 0 (the microcontroller workspace, which has no cache
//! to block for) or a pass too wide for one entry evaluates entry by entry.

use super::lanes::Pending;
use crate::account::{AccountSpec, Book, Stake};
use crate::bar::Ohlc;
use crate::budget::{BATCH_ENTRIES, MAX_GROUPS};
use crate::error::Error;
use crate::first_passage::HitTable;
use crate::plan::{CellDef, PassPlan};
use crate::sim::close_out;
use crate::stats::CellStats;
use crate::trade::{Entry, ExitReason, TradeOutcome};

/// One resolved exit of a batched entry: the exit of a group's levels (with `bar`, the
/// first window bar a level reaches; [`NO_LEVEL`] when none exits) or a time exit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Resolved {
    profit_pct: f64,
    /// Profit in initial capital under a fixed stake ([`AccountSpec::pnl`]).
    fixed_pnl: f64,
    /// Open time of the exit bar, ms (what the book orders exits by).
    exit_time: i64,
    bar: u16,
    reason: ExitReason,
    ambiguous: bool,
    /// `false`: no outcome (the entry-by-entry loop's `None`).
    valid: bool,
}

/// `Resolved::bar` of a group whose levels do not exit in the window.
const NO_LEVEL: u16 = u16::MAX;

impl Resolved {
    /// All zero: the storage initializer (a batch's records are written before they
    /// are read), so an idle workspace is built in place as a memset.
    const ZEROED: Self = Self {
        profit_pct: 0.0,
        fixed_pnl: 0.0,
        exit_time: 0,
        bar: 0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        valid: false,
    };

    /// No outcome.
    const NONE: Self = Self {
        profit_pct: 0.0,
        fixed_pnl: 0.0,
        exit_time: 0,
        bar: NO_LEVEL,
        reason: ExitReason::Time,
        ambiguous: false,
        valid: false,
    };

    /// The record of `outcome` of an entry whose window bar `k` opens at
    /// `first_bar + k·tf`.
    fn of(
        outcome: Option<TradeOutcome>,
        bar: u16,
        account: &AccountSpec,
        first_bar: i64,
        tf: i64,
    ) -> Self {
        match outcome {
            Some(o) => Self {
                profit_pct: o.profit_pct,
                // Read by the fold only under a fixed stake: no divide per record otherwise.
                fixed_pnl: if account.stake == Stake::Fixed {
                    account.pnl(1.0, o.profit_pct)
                } else {
                    0.0
                },
                exit_time: first_bar + i64::from(o.exit_index) * tf,
                bar,
                reason: o.reason,
                ambiguous: o.ambiguous,
                valid: true,
            },
            None => Self { bar, ..Self::NONE },
        }
    }
}

/// What the fold needs of a batched entry besides its exits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct BatchEntry {
    /// Fill time, ms: the open of the bar after the signal bar.
    entry_time: i64,
    symbol: u16,
    /// The entry was a Phase 1 opportunity.
    opportunity: bool,
    consensus: u8,
    scores: [f32; MAX_GROUPS],
}

impl BatchEntry {
    const EMPTY: Self = Self {
        entry_time: 0,
        symbol: 0,
        opportunity: false,
        consensus: 0,
        scores: [0.0; MAX_GROUPS],
    };
}

/// The entries resolved but not yet folded into the cells' accounts.
#[derive(Clone, Debug)]
pub(super) struct Batch<const C: usize, const D: usize> {
    /// Exits, record-major: record `r` of entry `e` at `r·cap + e`; records `0..groups`
    /// are the exit groups', then one per distinct hold.
    records: [[Resolved; C]; D],
    entries: [[BatchEntry; BATCH_ENTRIES]; D],
    /// Entries per batch in this pass.
    cap: u16,
    /// Entries waiting.
    len: u16,
}

impl<const C: usize, const D: usize> Batch<C, D> {
    /// An empty batch (const, so workspaces can be `static`).
    pub(super) const fn new() -> Self {
        Self {
            records: [[Resolved::ZEROED; C]; D],
            entries: [[BatchEntry::EMPTY; BATCH_ENTRIES]; D],
            cap: 0,
            len: 0,
        }
    }

    /// Sizes the batch for `plan`'s groups and holds, and empties it.
    pub(super) fn begin<const PC: usize>(&mut self, plan: &PassPlan<'_, PC>) {
        let most = (D * BATCH_ENTRIES).min(usize::from(u16::MAX));
        let records = plan.exit_groups().len() + plan.holds().len();
        self.cap = (D * C).checked_div(records).unwrap_or(most).min(most) as u16;
        self.len = 0;
    }

    /// Entries per batch in this pass (0: evaluate entry by entry).
    pub(super) fn capacity(&self) -> usize {
        usize::from(self.cap)
    }

    /// Resolves an entry (`hits` scanned for it over `bars`) under every exit group and
    /// every distinct hold of `plan` (bars `tf` ms long); `true` when the batch is full
    /// and must be folded.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add<B: AsRef<[f64]>, const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        hits: &HitTable<B>,
        entry: &Entry,
        bars: &[Ohlc],
        p: &Pending,
        symbol: u16,
        opportunity: bool,
        tf: i64,
    ) -> bool {
        let (cap, e) = (usize::from(self.cap), usize::from(self.len));
        // The entry fills as window bar 0 opens.
        let first_bar = p.time + tf;
        let cost = plan.cost_pct();
        let account = plan.spec().account();
        let records = self.records.as_flattened_mut();
        let groups = plan.exit_groups();
        for (g, group) in groups.iter().enumerate() {
            let level = hits.level_exit(plan.grid(), entry, bars, group.exit, cost);
            let resolved = match level {
                // The entry-by-entry loop skips the group's cells.
                None => Resolved::NONE,
                Some(l) => match l.exit {
                    Some(o) => Resolved::of(
                        Some(o),
                        u16::try_from(l.bar).unwrap_or(NO_LEVEL),
                        &account,
                        first_bar,
                        tf,
                    ),
                    None => Resolved {
                        valid: true,
                        ..Resolved::NONE
                    },
                },
            };
            if let Some(slot) = records.get_mut(g * cap + e) {
                *slot = resolved;
            }
        }
        for (k, &hold) in plan.holds().iter().enumerate() {
            let time = close_out(entry.direction, entry.price, bars, hold, cost);
            if let Some(slot) = records.get_mut((groups.len() + k) * cap + e) {
                *slot = Resolved::of(time, NO_LEVEL, &account, first_bar, tf);
            }
        }
        if let Some(slot) = self.entries.as_flattened_mut().get_mut(e) {
            *slot = BatchEntry {
                entry_time: first_bar,
                symbol,
                opportunity,
                consensus: p.consensus,
                scores: p.scores,
            };
        }
        self.len += 1;
        self.len >= self.cap
    }

    /// Folds the waiting entries into the cells' accounts, cell after cell, each cell
    /// over the entries in their order.
    ///
    /// # Errors
    /// Only a full book, which [`Book::admit`] rules out.
    pub(super) fn fold<const PC: usize>(
        &mut self,
        plan: &PassPlan<'_, PC>,
        books: &mut [Book],
        stats: &mut [CellStats],
    ) -> Result<(), Error> {
        let (cap, n) = (usize::from(self.cap), usize::from(self.len));
        self.len = 0;
        if n == 0 {
            return Ok(());
        }
        let account = plan.spec().account();
        let fixed = account.stake == Stake::Fixed;
        let filtered = plan.has_entry_filters();
        let records = self.records.as_flattened();
        let entries = self.entries.as_flattened();
        let entries = &entries[..n.min(entries.len())];
        let groups = plan.exit_groups();
        let holds = plan.holds();
        for (g, group) in groups.iter().enumerate() {
            let Some(levels) = records.get(g * cap..g * cap + n) else {
                continue;
            };
            for &(c, slot) in plan.group_cells(group) {
                let (c, slot) = (usize::from(c), usize::from(slot));
                let at = (groups.len() + slot) * cap;
                let (Some(&hold), Some(times), Some(cell), Some(book), Some(st)) = (
                    holds.get(slot),
                    records.get(at..at + n),
                    plan.cells().get(c),
                    books.get_mut(c),
                    stats.get_mut(c),
                ) else {
                    continue;
                };
                for ((level, time), e) in levels.iter().zip(times).zip(entries) {
                    if !level.valid || (filtered && !admits(cell, e.consensus, &e.scores)) {
                        continue;
                    }
                    if !book.free_slot(st, &account, e.symbol, e.entry_time) {
                        continue;
                    }
                    let r = if level.bar < hold { level } else { time };
                    if r.valid {
                        // A fixed stake's profit does not depend on the cell: computed once.
                        let pnl = if fixed {
                            r.fixed_pnl
                        } else {
                            account.pnl(st.equity, r.profit_pct)
                        };
                        book.insert(&account, e.symbol, r.exit_time, pnl)?;
                        st.record(r.profit_pct, r.reason, r.ambiguous, e.opportunity);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether a cell's entry filter admits an entry of `consensus` and group `scores`.
#[inline]
pub(super) fn admits(cell: &CellDef, consensus: u8, scores: &[f32; MAX_GROUPS]) -> bool {
    let score = scores
        .get(usize::from(cell.group))
        .copied()
        .unwrap_or(f32::NEG_INFINITY);
    !(consensus < cell.min_consensus || score < cell.min_score)
}
