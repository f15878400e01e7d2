//! First-passage evaluation: one entry against every cell of an exit grid, exactly as the
//! reference simulator ([`crate::sim::simulate`]) would judge each cell, for a fraction of
//! its cost.
//!
//! # Idea
//!
//! For one entry, the first bar whose high reaches `E + k·A` is non-decreasing in `k`
//! (mirrored for short), and so is the first bar whose low reaches `E - k·A`. One forward
//! walk per side, taking the levels in ascending order and resuming each at the previous
//! level's hit bar, yields the hit bar of every take-profit and stop-loss level of the
//! grid. A trailing stop `(activation, distance)` arms after the first bar `a` whose running
//! best is `activation·A` beyond `E` (`best_a - E >= activation·A`, as the reference decides
//! it: [`Trailing::armed`]; non-decreasing in the activation, because the subtraction and
//! the product are monotone), and is hit at the first bar `j > a` whose low reaches
//! `best_{j-1} - distance·A`; that bar is non-decreasing in the distance, so the pairs of
//! one activation share a walk too. A cell `(tp, sl, hold, trailing)` then exits at the
//! earliest of its hit bars (if before `hold`), with the stop in force at that bar
//! `max(SL, best_{k-1} - distance·A)` once armed — the running stop of the reference is
//! that maximum, because the trail level only rises. The exit bar itself is resolved by
//! the reference's own rule (stop gap, target gap, stop before target with the ambiguous
//! flag), so gaps, ties and reasons are identical by construction.
//!
//! # Exactness
//!
//! Every level and comparison is the same floating-point expression as in the reference
//! (the [`Direction`](crate::Direction) helpers; `best` accumulated in the same order from
//! `E`), so outcomes agree bit for bit. This holds on validated windows (`low <= open, close <= high`, see
//! [`crate::Bar::validate`]); on other input nothing panics but the results are unspecified.
//!
//! # Cost
//!
//! [`HitTable::scan`]: `O(W + T + S + P + G·W)` for a window of `W` bars, `T` take-profit
//! and `S` stop-loss levels, `P` trailing pairs with `G` distinct activations (each
//! activation group walks the window at most once). [`HitTable::outcome`]: `O(1)` per cell.
//! The reference costs `O(min(hold, W))` per cell.
//!
//! # Memory
//!
//! A [`HitTable`] is caller-owned workspace: the running best price of every window bar
//! (`8·H` bytes for windows of up to `H` bars) and the hit bars, `4·2·32` bytes plus a few
//! words; nothing is allocated. The running best lives in an array
//! ([`FixedHitTable<H>`], about 8.3 KiB for `H = 1024`) or in a slice the caller sized
//! at run time ([`HitTable::over`]; the engine keeps it in its lanes, as deep as the run's
//! longest window).
//!
//! # Usage
//!
//! Build an [`ExitGrid`] once per pass, map each cell's [`ExitParams`] to a [`CellExit`]
//! with [`ExitGrid::cell`], then per entry call [`HitTable::scan`] once and
//! [`HitTable::outcome`] for every cell.

use crate::bar::Ohlc;
use crate::budget::{MAX_LEVELS, MAX_TRAILING};
use crate::error::Error;
use crate::sim::{close_out, resolve_bar, valid_cost};
use crate::trade::{Entry, ExitParams, TradeOutcome, Trailing, positive_finite};
use core::cmp::Ordering;

// Cells address levels with `u8`.
const _: () = assert!(MAX_LEVELS <= 256 && MAX_TRAILING <= 256);

/// Hit index meaning "not within the window".
const NEVER: u16 = u16::MAX;

/// The exit levels of one pass: take-profit and stop-loss multipliers (ATRs) and trailing
/// pairs, each list sorted ascending (trailing pairs by activation, then distance) and
/// free of duplicates. Cells refer to levels by index ([`CellExit`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExitGrid {
    tp: heapless::Vec<f64, MAX_LEVELS>,
    sl: heapless::Vec<f64, MAX_LEVELS>,
    trailing: heapless::Vec<Trailing, MAX_TRAILING>,
}

/// One cell of an [`ExitGrid`]: indices of its levels, the holding limit in bars, and the
/// trailing pair, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CellExit {
    /// Index into [`ExitGrid::tp_levels`].
    pub tp: u8,
    /// Index into [`ExitGrid::sl_levels`].
    pub sl: u8,
    /// Maximum holding time in bars (`>= 1`).
    pub hold: u16,
    /// Index into [`ExitGrid::trailing`], or `None` for no trailing stop.
    pub trailing: Option<u8>,
}

impl ExitGrid {
    /// An empty grid.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            tp: heapless::Vec::new(),
            sl: heapless::Vec::new(),
            trailing: heapless::Vec::new(),
        }
    }

    /// A grid holding the given levels (any order, duplicates allowed).
    ///
    /// # Errors
    /// As [`ExitGrid::add_tp`], [`ExitGrid::add_sl`] and [`ExitGrid::add_trailing`].
    pub fn from_levels(tp: &[f64], sl: &[f64], trailing: &[Trailing]) -> Result<Self, Error> {
        let mut grid = Self::new();
        for &k in tp {
            grid.add_tp(k)?;
        }
        for &k in sl {
            grid.add_sl(k)?;
        }
        for &t in trailing {
            grid.add_trailing(t)?;
        }
        Ok(grid)
    }

    /// Adds a take-profit multiplier (a duplicate is ignored). Indices of larger levels shift
    /// up by one, so look indices up with [`ExitGrid::cell`] once the grid is complete.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `k` is finite and `> 0`;
    /// [`Error::CapacityExceeded`] when [`MAX_LEVELS`] distinct levels are already held.
    pub fn add_tp(&mut self, k: f64) -> Result<(), Error> {
        if !positive_finite(k) {
            return Err(Error::InvalidParameter {
                what: "take-profit multiplier",
            });
        }
        insert_sorted(&mut self.tp, k, f64::total_cmp, "MAX_LEVELS")
    }

    /// Adds a stop-loss multiplier; as [`ExitGrid::add_tp`].
    ///
    /// # Errors
    /// As [`ExitGrid::add_tp`].
    pub fn add_sl(&mut self, k: f64) -> Result<(), Error> {
        if !positive_finite(k) {
            return Err(Error::InvalidParameter {
                what: "stop-loss multiplier",
            });
        }
        insert_sorted(&mut self.sl, k, f64::total_cmp, "MAX_LEVELS")
    }

    /// Adds a trailing pair; as [`ExitGrid::add_tp`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless [`Trailing::is_valid`];
    /// [`Error::CapacityExceeded`] when [`MAX_TRAILING`] distinct pairs are already held.
    pub fn add_trailing(&mut self, t: Trailing) -> Result<(), Error> {
        if !t.is_valid() {
            return Err(Error::InvalidParameter {
                what: "trailing stop",
            });
        }
        insert_sorted(&mut self.trailing, t, cmp_trailing, "MAX_TRAILING")
    }

    /// Take-profit multipliers, ascending.
    #[must_use]
    pub fn tp_levels(&self) -> &[f64] {
        &self.tp
    }

    /// Stop-loss multipliers, ascending.
    #[must_use]
    pub fn sl_levels(&self) -> &[f64] {
        &self.sl
    }

    /// Trailing pairs, ascending by activation, then distance.
    #[must_use]
    pub fn trailing(&self) -> &[Trailing] {
        &self.trailing
    }

    /// The cell of `exit`, when every level of it is in the grid (exact float equality)
    /// and `exit` is valid.
    #[must_use]
    pub fn cell(&self, exit: &ExitParams) -> Option<CellExit> {
        if !exit.is_valid() {
            return None;
        }
        let tp = self.tp.binary_search_by(|x| x.total_cmp(&exit.tp)).ok()?;
        let sl = self.sl.binary_search_by(|x| x.total_cmp(&exit.sl)).ok()?;
        let trailing = match exit.trailing {
            None => None,
            Some(t) => Some(
                self.trailing
                    .binary_search_by(|x| cmp_trailing(x, &t))
                    .ok()?,
            ),
        };
        Some(CellExit {
            tp: u8::try_from(tp).ok()?,
            sl: u8::try_from(sl).ok()?,
            hold: exit.hold,
            trailing: match trailing {
                None => None,
                Some(i) => Some(u8::try_from(i).ok()?),
            },
        })
    }

    /// The exit parameters of `cell`, when its indices are in range.
    #[must_use]
    pub fn params(&self, cell: CellExit) -> Option<ExitParams> {
        Some(ExitParams {
            tp: *self.tp.get(usize::from(cell.tp))?,
            sl: *self.sl.get(usize::from(cell.sl))?,
            hold: cell.hold,
            trailing: match cell.trailing {
                None => None,
                Some(i) => Some(*self.trailing.get(usize::from(i))?),
            },
        })
    }
}

fn cmp_trailing(a: &Trailing, b: &Trailing) -> Ordering {
    a.activation
        .total_cmp(&b.activation)
        .then(a.distance.total_cmp(&b.distance))
}

fn insert_sorted<T: Copy, const N: usize>(
    list: &mut heapless::Vec<T, N>,
    item: T,
    cmp: impl Fn(&T, &T) -> Ordering,
    what: &'static str,
) -> Result<(), Error> {
    match list.binary_search_by(|x| cmp(x, &item)) {
        Ok(_) => Ok(()),
        Err(at) => list
            .insert(at, item)
            .map_err(|_| Error::CapacityExceeded { what, capacity: N }),
    }
}

/// Per-entry workspace of the first-passage evaluator for windows of up to as many bars
/// as its running-best storage `B` holds: the running best price after every bar and the
/// hit bar of every level of the grid last scanned. No allocation; reuse one table for
/// every entry. `B` is an array ([`FixedHitTable`]) or a caller's slice
/// ([`HitTable::over`]).
#[derive(Clone, Debug)]
pub struct HitTable<B> {
    /// `best[i]`: most favourable price from `E` through bar `i` (the reference's `best`).
    best: B,
    /// Length of the scanned window.
    len: usize,
    /// The entry scanned; `None` before a successful scan.
    entry: Option<Entry>,
    /// Level counts (tp, sl, trailing) of the grid scanned.
    counts: (usize, usize, usize),
    /// First bar reaching each take-profit level, or [`NEVER`].
    tp_hit: [u16; MAX_LEVELS],
    /// First bar reaching each stop-loss level, or [`NEVER`].
    sl_hit: [u16; MAX_LEVELS],
    /// Bar after which each trailing pair is armed, or [`NEVER`].
    trail_arm: [u16; MAX_TRAILING],
    /// First bar hitting each armed trailing level, or [`NEVER`].
    trail_hit: [u16; MAX_TRAILING],
}

/// A [`HitTable`] for windows of up to `H` bars (normally [`crate::budget::H_MAX`]), its
/// storage in an array.
pub type FixedHitTable<const H: usize> = HitTable<[f64; H]>;

impl<const H: usize> Default for HitTable<[f64; H]> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const H: usize> HitTable<[f64; H]> {
    // Hit bars are stored as `u16` with `NEVER` as sentinel.
    const FITS: () = assert!(
        H < NEVER as usize,
        "HitTable capacity must be below u16::MAX"
    );

    /// An empty table (nothing scanned yet).
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::FITS;
        Self::with_storage([0.0; H])
    }
}

impl<'a> HitTable<&'a mut [f64]> {
    /// An empty table over `best`, one slot per window bar: windows of up to
    /// `best.len()` bars (and below `u16::MAX`).
    #[must_use]
    pub const fn over(best: &'a mut [f64]) -> Self {
        Self::with_storage(best)
    }
}

impl<B> HitTable<B> {
    /// An empty table over running-best storage `best`.
    const fn with_storage(best: B) -> Self {
        Self {
            best,
            len: 0,
            entry: None,
            counts: (0, 0, 0),
            tp_hit: [NEVER; MAX_LEVELS],
            sl_hit: [NEVER; MAX_LEVELS],
            trail_arm: [NEVER; MAX_TRAILING],
            trail_hit: [NEVER; MAX_TRAILING],
        }
    }
}

impl<B: AsRef<[f64]> + AsMut<[f64]>> HitTable<B> {
    /// Scans `window` (first bar = the bar after the signal bar) for `entry` against every
    /// level of `grid`: one forward pass for the running best, then monotone pointer walks.
    /// See the module docs for the cost.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid entry ([`Entry::is_valid`]);
    /// [`Error::CapacityExceeded`] when the window is longer than the table's storage (or
    /// not below `u16::MAX` bars). After an error the table answers `None` to every
    /// [`HitTable::outcome`].
    pub fn scan(&mut self, grid: &ExitGrid, entry: &Entry, window: &[Ohlc]) -> Result<(), Error> {
        self.entry = None;
        if !entry.is_valid() {
            return Err(Error::InvalidParameter { what: "entry" });
        }
        let capacity = self.best.as_ref().len().min(usize::from(NEVER) - 1);
        if window.len() > capacity {
            return Err(Error::CapacityExceeded {
                what: "H_MAX",
                capacity,
            });
        }
        let dir = entry.direction;
        let (e, a) = (entry.price, entry.atr);
        let n = window.len();

        let mut best = e;
        for (slot, bar) in self.best.as_mut().iter_mut().zip(window) {
            best = dir.best(best, dir.favourable_extreme(bar));
            *slot = best;
        }

        let mut i = 0;
        for (hit, &k) in self.tp_hit.iter_mut().zip(grid.tp.iter()) {
            let level = dir.favourable(e, k, a);
            while let Some(bar) = window.get(i) {
                if dir.reached(dir.favourable_extreme(bar), level) {
                    break;
                }
                i += 1;
            }
            *hit = hit_index(i, n);
        }

        let mut i = 0;
        for (hit, &k) in self.sl_hit.iter_mut().zip(grid.sl.iter()) {
            let level = dir.adverse(e, k, a);
            while let Some(bar) = window.get(i) {
                if dir.stopped(dir.adverse_extreme(bar), level) {
                    break;
                }
                i += 1;
            }
            *hit = hit_index(i, n);
        }

        // Pairs are sorted by activation: the arming bar only moves forward, and within one
        // activation the hit bar only moves forward with the distance.
        let best = self.best.as_ref().get(..n).unwrap_or(&[]);
        let mut arm = 0;
        let mut j = 0;
        let mut group: Option<f64> = None;
        let pairs = self.trail_arm.iter_mut().zip(self.trail_hit.iter_mut());
        for ((arm_out, hit_out), t) in pairs.zip(grid.trailing.iter()) {
            while let Some(&b) = best.get(arm) {
                if t.armed(dir, e, a, b) {
                    break;
                }
                arm += 1;
            }
            if group != Some(t.activation) {
                group = Some(t.activation);
                j = arm + 1;
            }
            while let (Some(&b), Some(bar)) = (best.get(j.wrapping_sub(1)), window.get(j)) {
                if dir.stopped(dir.adverse_extreme(bar), dir.adverse(b, t.distance, a)) {
                    break;
                }
                j += 1;
            }
            *arm_out = hit_index(arm, n);
            *hit_out = hit_index(j, n);
        }

        self.len = n;
        self.counts = (grid.tp.len(), grid.sl.len(), grid.trailing.len());
        self.entry = Some(*entry);
        Ok(())
    }
}

impl<B: AsRef<[f64]>> HitTable<B> {
    /// The outcome of `cell` for the entry and window last scanned, in `O(1)`; equal, bit
    /// for bit, to [`crate::sim::simulate`] with [`ExitGrid::params`] of the cell.
    ///
    /// `grid`, `entry` and `window` must be the ones given to [`HitTable::scan`]. Returns
    /// `None` when the reference would (empty window, `hold == 0`, negative or non-finite
    /// cost), when a level index is out of range, and when nothing was scanned or the entry,
    /// window length or grid size differ from the scan.
    #[must_use]
    #[inline]
    pub fn outcome(
        &self,
        grid: &ExitGrid,
        entry: &Entry,
        window: &[Ohlc],
        cell: CellExit,
        cost: f64,
    ) -> Option<TradeOutcome> {
        if cell.hold == 0 {
            return None;
        }
        let hit = self.level_exit(grid, entry, window, cell, cost)?;
        hit.outcome(entry, window, cell.hold, cost)
    }

    /// The part of [`HitTable::outcome`] that does not depend on the holding time: the
    /// first bar at which the cell's take-profit, stop-loss or trailing level exits, and
    /// the exit there. Cells that differ only in `hold` share it; [`LevelExit::outcome`]
    /// then gives each its outcome in `O(1)`. `cell.hold` is ignored.
    ///
    /// # Returns
    /// `None` in the cases [`HitTable::outcome`] lists (other than `hold == 0`).
    #[must_use]
    // Always: called once per exit group and entry from `Batch::add`; left to the
    // inliner, a change elsewhere in the host crate (how its code units fall) once made
    // it an out-of-line call and `exits` 9 % slower.
    #[inline(always)]
    pub fn level_exit(
        &self,
        grid: &ExitGrid,
        entry: &Entry,
        window: &[Ohlc],
        cell: CellExit,
        cost: f64,
    ) -> Option<LevelExit> {
        if self.entry.as_ref() != Some(entry)
            || window.len() != self.len
            || self.counts.0 != grid.tp.len()
            || self.counts.1 != grid.sl.len()
            || self.counts.2 != grid.trailing.len()
            || !valid_cost(cost)
        {
            return None;
        }
        let (tp_i, sl_i) = (usize::from(cell.tp), usize::from(cell.sl));
        let tp_k = *grid.tp.get(tp_i)?;
        let sl_k = *grid.sl.get(sl_i)?;
        let mut stop_hit = *self.sl_hit.get(sl_i)?;
        let trailing = match cell.trailing {
            None => None,
            Some(t) => {
                let t = usize::from(t);
                stop_hit = stop_hit.min(*self.trail_hit.get(t)?);
                Some((*grid.trailing.get(t)?, *self.trail_arm.get(t)?))
            }
        };
        let k = usize::from(stop_hit.min(*self.tp_hit.get(tp_i)?));

        let dir = entry.direction;
        let (e, a) = (entry.price, entry.atr);
        let mut exit = None;
        if let Some(bar) = window.get(k) {
            let sl_level = dir.adverse(e, sl_k, a);
            let tp_level = dir.favourable(e, tp_k, a);
            let mut stop = sl_level;
            // Armed after bar `arm < k`: the running stop is the trail of the best before `k`.
            if let Some((t, arm)) = trailing
                && usize::from(arm) < k
            {
                let b = *self.best.as_ref().get(k - 1)?;
                stop = dir.tighter(stop, dir.adverse(b, t.distance, a));
            }
            // Always `Some` on a validated bar (a hit extreme is an exit); on unvalidated
            // input `None`, and the holding rule decides, rather than a panic.
            exit = resolve_bar(dir, e, bar, stop, sl_level, tp_level, k, cost);
        }
        Some(LevelExit { bar: k, exit })
    }
}

/// Where a cell's price levels end a trade, whatever its holding time (see
/// [`HitTable::level_exit`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelExit {
    /// Window index of the first bar that reaches a level; `>= window.len()` when none does.
    pub bar: usize,
    /// The exit on that bar, when there is one.
    pub exit: Option<TradeOutcome>,
}

impl LevelExit {
    /// The outcome under holding time `hold` bars: the level exit if it comes before
    /// `hold`, else the time exit (or truncated); equal to [`HitTable::outcome`] of the
    /// cell with that `hold`. `entry`, `window` and `cost` as given to
    /// [`HitTable::level_exit`]. `None` for `hold == 0` or an empty window.
    #[must_use]
    #[inline]
    pub fn outcome(
        &self,
        entry: &Entry,
        window: &[Ohlc],
        hold: u16,
        cost: f64,
    ) -> Option<TradeOutcome> {
        if self.bar < usize::from(hold)
            && let Some(out) = self.exit
        {
            return Some(out);
        }
        close_out(entry.direction, entry.price, window, hold, cost)
    }
}

/// A walk's stopping point as a stored hit index: [`NEVER`] when it ran off the window.
#[inline]
fn hit_index(i: usize, n: usize) -> u16 {
    if i < n {
        u16::try_from(i).unwrap_or(NEVER)
    } else {
        NEVER
    }
}
