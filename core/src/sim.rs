//! The reference trade simulator: one entry, one cell of exit parameters, walked bar by bar.
//!
//! This is the definition of a trade's outcome; the first-passage evaluator
//! ([`crate::first_passage`]) must reproduce it bit for bit, and the property tests hold
//! it to that. Semantics, for a long (a short mirrors every comparison):
//!
//! * `window[0]` is the bar after the signal bar; `E = entry.price`, `A = entry.atr`;
//!   `SL = E - sl·A`, `TP = E + tp·A`; the stop in force starts at `SL`, the best price at `E`.
//! * For each bar `i < min(hold, window.len())`, in this order:
//!   1. open at or beyond the stop: exit at the open (a gap through the stop);
//!   2. open at or beyond `TP`: exit at the open (a gap through the target);
//!   3. low at or beyond the stop: exit at the stop level; when the high also reached
//!      `TP` the bar is *ambiguous* and the stop wins (the conservative policy);
//!   4. high at or beyond `TP`: exit at `TP`;
//!   5. no exit: `best = max(best, high)`; with a trailing stop, once the favourable
//!      excursion `best - E` reaches `activation·A` (`best - E >= activation·A`, each side
//!      one floating-point expression: [`crate::Trailing::armed`]; short: `E - best`) the
//!      stop becomes `max(stop, best - distance·A)`, in force from the next bar on. This is
//!      not `best >= E + activation·A`, which rounds differently within an ulp of the level.
//! * A stop exit is [`ExitReason::Trailing`] when the stop in force is strictly tighter
//!   than `SL`, else [`ExitReason::StopLoss`].
//! * No exit within `hold` bars: [`ExitReason::Time`] at the close of bar `hold - 1`;
//!   the window ends first: [`ExitReason::Truncated`] at the last bar's close.
//!
//! Every level and comparison goes through the [`Direction`] helpers and
//! [`profit_pct`], the exact expressions the first-passage evaluator uses.
//! The window is assumed validated ([`crate::Bar::validate`]: `low <= open, close <= high`);
//! on unvalidated bars nothing panics, but the two simulators may disagree.
//!
//! Cost: `O(min(hold, window.len()))` per (entry, cell), no memory beyond the stack frame.

use crate::bar::Ohlc;
use crate::trade::{Direction, Entry, ExitParams, ExitReason, TradeOutcome, profit_pct};

/// Simulates one entry under one cell's exit parameters; see the module docs for the rules.
///
/// `round_trip_cost_pct` is subtracted from the gross profit in percent
/// (default [`crate::trade::DEFAULT_ROUND_TRIP_COST_PCT`]).
///
/// Returns `None` for an empty window, an invalid entry ([`Entry::is_valid`]), invalid
/// exit parameters ([`ExitParams::is_valid`], e.g. `hold == 0`) or a cost that is negative
/// or not finite.
#[must_use]
#[inline]
pub fn simulate(
    entry: &Entry,
    window: &[Ohlc],
    exit: &ExitParams,
    round_trip_cost_pct: f64,
) -> Option<TradeOutcome> {
    if !entry.is_valid() || !exit.is_valid() || !valid_cost(round_trip_cost_pct) {
        return None;
    }
    let dir = entry.direction;
    let (e, a) = (entry.price, entry.atr);
    let sl_level = dir.adverse(e, exit.sl, a);
    let tp_level = dir.favourable(e, exit.tp, a);
    let mut stop = sl_level;
    let mut best = e;
    let n = window.len().min(usize::from(exit.hold));
    for (i, bar) in window.iter().take(n).enumerate() {
        if let Some(out) = resolve_bar(
            dir,
            e,
            bar,
            stop,
            sl_level,
            tp_level,
            i,
            round_trip_cost_pct,
        ) {
            return Some(out);
        }
        best = dir.best(best, dir.favourable_extreme(bar));
        if let Some(t) = exit.trailing
            && t.armed(dir, e, a, best)
        {
            stop = dir.tighter(stop, dir.adverse(best, t.distance, a));
        }
    }
    close_out(dir, e, window, exit.hold, round_trip_cost_pct)
}

/// A round-trip cost both simulators accept: finite and `>= 0`.
#[inline]
pub(crate) fn valid_cost(cost: f64) -> bool {
    cost.is_finite() && cost >= 0.0
}

/// Rules 1–4 of one bar, given the stop level in force: the exit it causes, if any.
///
/// Shared by both simulators so that the gap and tie rules are one piece of code.
/// Always inlined, as its caller [`HitTable::level_exit`](crate::first_passage::HitTable::level_exit).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // a hot leaf: plain scalars beat a context struct here
pub(crate) fn resolve_bar(
    dir: Direction,
    entry_price: f64,
    bar: &Ohlc,
    stop: f64,
    sl_level: f64,
    tp_level: f64,
    index: usize,
    cost: f64,
) -> Option<TradeOutcome> {
    let stop_reason = if dir.is_tighter(stop, sl_level) {
        ExitReason::Trailing
    } else {
        ExitReason::StopLoss
    };
    let (price, reason, ambiguous) = if dir.stopped(bar.open, stop) {
        (bar.open, stop_reason, false)
    } else if dir.reached(bar.open, tp_level) {
        (bar.open, ExitReason::TakeProfit, false)
    } else if dir.stopped(dir.adverse_extreme(bar), stop) {
        let both = dir.reached(dir.favourable_extreme(bar), tp_level);
        (stop, stop_reason, both)
    } else if dir.reached(dir.favourable_extreme(bar), tp_level) {
        (tp_level, ExitReason::TakeProfit, false)
    } else {
        return None;
    };
    Some(outcome(
        dir,
        entry_price,
        index,
        price,
        reason,
        ambiguous,
        cost,
    ))
}

/// The exit when no level was hit: [`ExitReason::Time`] at the close of bar `hold - 1`,
/// or [`ExitReason::Truncated`] at the last close when the window is shorter than `hold`.
#[inline]
pub(crate) fn close_out(
    dir: Direction,
    entry_price: f64,
    window: &[Ohlc],
    hold: u16,
    cost: f64,
) -> Option<TradeOutcome> {
    let hold = usize::from(hold);
    let (index, reason) = if window.len() >= hold {
        (hold.checked_sub(1)?, ExitReason::Time)
    } else {
        (window.len().checked_sub(1)?, ExitReason::Truncated)
    };
    let bar = window.get(index)?;
    Some(outcome(
        dir,
        entry_price,
        index,
        bar.close,
        reason,
        false,
        cost,
    ))
}

#[inline]
fn outcome(
    dir: Direction,
    entry_price: f64,
    index: usize,
    price: f64,
    reason: ExitReason,
    ambiguous: bool,
    cost: f64,
) -> TradeOutcome {
    TradeOutcome {
        // Exit bars lie below `hold <= u16::MAX`: the fallback is unreachable.
        exit_index: u16::try_from(index).unwrap_or(u16::MAX),
        exit_price: price,
        reason,
        ambiguous,
        profit_pct: profit_pct(dir, entry_price, price, cost),
    }
}
