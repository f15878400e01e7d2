//! Every cell a portfolio: the account one parameter cell trades, across all symbols.
//!
//! The engine evaluates entries in global signal order (signal time, then symbol index)
//! and hands each cell's outcome to that cell's [`Book`], which keeps the account:
//!
//! - **Stake.** [`Stake::Compounding`] (the default, freqtrade's "unlimited" stake): an
//!   entry stakes `equity / max_open_trades` of the equity *realized* before the entry.
//!   [`Stake::Fixed`]: every entry stakes `1 / max_open_trades` of the initial capital
//!   (the grid view of `phasebound exits`: profits add up instead of compounding).
//! - **Slots.** An entry is skipped (counted in [`CellStats::skipped`]) while the cell
//!   holds `max_open_trades` positions, or, with `one_position_per_symbol`, a position of
//!   the same symbol, or once the equity is gone (`≤ 0`, ruin).
//! - **Time.** An entry fills at time `te` (the open of the bar after the signal bar, or
//!   the signal bar's close: the same instant). A position's exit is realized at the close
//!   of its exit bar, so an entry at `te` sees every position whose exit bar opened before
//!   `te` as closed (slot free, profit in the equity), and every other one as open.
//! - **Order.** Exits are realized in exit-time order; exits in the same bar are realized
//!   in entry order (signal time, then symbol index). This is the documented tie rule: the
//!   equity curve, and so the drawdown, is sampled after each single exit.
//! - **Drawdown** is the largest fall of the realized equity from its running peak, as a
//!   fraction of that peak: it never exceeds 100 %.
//! - **Daily returns** (for Sharpe and Sortino) are `E_end / E_start − 1` of each UTC day of
//!   the pass's period, the day of an exit being the UTC day of its exit bar's open; days
//!   without exits return 0. Exits after the period's last day count on that day.
//!
//! Nothing here depends on other cells, on the pass's window, or on how cells are split
//! into passes: a cell's account is a function of its own parameters and the data.

use crate::budget::MAX_OPEN_TRADES;
use crate::error::Error;
use crate::stats::CellStats;
use crate::trade::TradeOutcome;

/// Milliseconds in a UTC day.
pub const DAY_MS: i64 = 86_400_000;

/// How much an entry stakes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stake {
    /// `equity / max_open_trades` of the realized equity at entry (compounds).
    #[default]
    Compounding,
    /// `1 / max_open_trades` of the initial capital, every entry (adds up).
    Fixed,
}

impl Stake {
    /// Stable snake_case name (config, CLI, reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Stake::Compounding => "compounding",
            Stake::Fixed => "fixed",
        }
    }
}

/// The account rules of a pass (the same for every cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountSpec {
    /// Positions a cell may hold at once (`1..=MAX_OPEN_TRADES`).
    pub max_open_trades: u8,
    /// How much each entry stakes.
    pub stake: Stake,
    /// At most one open position per symbol and cell.
    pub one_position_per_symbol: bool,
}

impl AccountSpec {
    /// Checks the rules once.
    ///
    /// # Errors
    /// `max_open_trades` outside `1..=MAX_OPEN_TRADES`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_open_trades == 0 {
            return Err(Error::InvalidParameter {
                what: "max_open_trades must be >= 1",
            });
        }
        if usize::from(self.max_open_trades) > MAX_OPEN_TRADES {
            return Err(Error::CapacityExceeded {
                what: "MAX_OPEN_TRADES",
                capacity: MAX_OPEN_TRADES,
            });
        }
        Ok(())
    }

    /// The profit, in initial capital, of a trade of net `profit_pct` % entered when the
    /// realized equity is `equity`: `stake × profit_pct / 100`, the stake
    /// `base / max_open_trades` (base: the equity, or 1 with a fixed stake).
    #[inline]
    #[must_use]
    pub fn pnl(&self, equity: f64, profit_pct: f64) -> f64 {
        let base = match self.stake {
            Stake::Compounding => equity,
            Stake::Fixed => 1.0,
        };
        let n = self.max_open_trades.max(1);
        let stake = if n.is_power_of_two() {
            // Dividing by 2^k is multiplying by 2^-k exactly (one rounding of the same
            // value): the same bits without a divide.
            base * f64::from_bits(u64::from(1023 - n.trailing_zeros()) << 52)
        } else {
            base / f64::from(n)
        };
        stake * profit_pct / 100.0
    }
}

/// One open position.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Position {
    /// Open time of the exit bar, ms.
    exit_time: i64,
    /// Profit in units of the initial capital (stake × net %).
    pnl: f64,
}

impl Position {
    const EMPTY: Self = Self {
        exit_time: i64::MAX,
        pnl: 0.0,
    };
}

/// Ring indices wrap with a mask.
const _: () = assert!(MAX_OPEN_TRADES.is_power_of_two() && MAX_OPEN_TRADES <= 256);
const RING_MASK: usize = MAX_OPEN_TRADES - 1;

/// The open positions and the current day of one cell's account (working state of a
/// pass; [`CellStats`] holds everything that is reported).
///
/// The positions sit in a ring in realization order (exit time, then entry order), so
/// the next exit is the ring's head: realizing it is `O(1)`, opening a position moves
/// only the positions that exit after it. The UTC day of an exit is divided out only
/// when an exit crosses the end of the current day.
#[derive(Clone, Debug)]
pub struct Book {
    /// Exit time of the head position (`i64::MAX` when none).
    next_exit: i64,
    /// Index of the head position in `ring`.
    head: u8,
    /// Positions held.
    len: u8,
    /// Exits before this time (ms) fall in `day` (`i64::MIN`: recompute).
    day_end: i64,
    /// UTC day of the exits being realized (`i64::MIN` before the first).
    day: i64,
    /// Equity at the start of `day`.
    day_start: f64,
    /// Open positions, `len` of them from `head` on (wrapping), in realization order.
    ring: [Position; MAX_OPEN_TRADES],
    /// The symbol of each position in `ring` (apart: only one rule reads it).
    symbols: [u16; MAX_OPEN_TRADES],
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    /// All zero: a placeholder that idle workspaces hold until a pass starts (see
    /// [`CellStats::ZEROED`]).
    pub const ZEROED: Self = Self {
        next_exit: 0,
        head: 0,
        len: 0,
        day_end: 0,
        day: 0,
        day_start: 0.0,
        ring: [Position {
            exit_time: 0,
            pnl: 0.0,
        }; MAX_OPEN_TRADES],
        symbols: [0; MAX_OPEN_TRADES],
    };

    /// An empty book (const, so workspaces can be `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            next_exit: i64::MAX,
            head: 0,
            len: 0,
            day_end: i64::MIN,
            day: i64::MIN,
            day_start: 1.0,
            ring: [Position::EMPTY; MAX_OPEN_TRADES],
            symbols: [0; MAX_OPEN_TRADES],
        }
    }

    /// Positions held now.
    #[must_use]
    pub fn open_positions(&self) -> usize {
        usize::from(self.len)
    }

    /// Realizes, in exit order, every position whose exit bar opened before `time`.
    #[inline]
    pub fn realize_before(&mut self, stats: &mut CellStats, time: i64) {
        while self.next_exit < time {
            self.realize_first(stats, i64::MAX);
        }
    }

    /// Realizes what exited before `time`, then whether an entry of `symbol` at `time`
    /// finds a free slot ([`Book::admit`]).
    #[inline]
    pub fn free_slot(
        &mut self,
        stats: &mut CellStats,
        spec: &AccountSpec,
        symbol: u16,
        time: i64,
    ) -> bool {
        self.realize_before(stats, time);
        self.admit(stats, spec, symbol)
    }

    /// Whether an entry of `symbol` at `time` finds a free slot (call
    /// [`Book::realize_before`] with `time` first). Counts a refusal as skipped.
    #[inline]
    pub fn admit(&self, stats: &mut CellStats, spec: &AccountSpec, symbol: u16) -> bool {
        let full = self.len >= spec.max_open_trades;
        let held = spec.one_position_per_symbol && self.holds(symbol);
        let ruined = stats.equity <= 0.0;
        if full || held || ruined {
            stats.skipped = stats.skipped.saturating_add(1);
            return false;
        }
        true
    }

    /// Whether a position of `symbol` is open.
    fn holds(&self, symbol: u16) -> bool {
        (0..usize::from(self.len))
            .any(|k| self.symbols[(usize::from(self.head) + k) & RING_MASK] == symbol)
    }

    /// Opens the position of an admitted entry: records the trade and stakes it.
    /// `exit_time` is the open time of the exit bar; `is_opportunity` whether the entry
    /// was a Phase 1 opportunity (then a profitable close counts as captured).
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] if the book is full (not after a successful
    /// [`Book::admit`]).
    #[inline]
    pub fn open(
        &mut self,
        stats: &mut CellStats,
        spec: &AccountSpec,
        symbol: u16,
        exit_time: i64,
        outcome: &TradeOutcome,
        is_opportunity: bool,
    ) -> Result<(), Error> {
        let pnl = spec.pnl(stats.equity, outcome.profit_pct);
        self.insert(spec, symbol, exit_time, pnl)?;
        stats.record_trade(outcome, is_opportunity);
        Ok(())
    }

    /// The book's part of [`Book::open`]: holds a position of profit `pnl` (in initial
    /// capital, as [`AccountSpec::pnl`] gives it) until `exit_time`. The caller records
    /// the trade ([`CellStats::record`]).
    ///
    /// # Errors
    /// As [`Book::open`].
    #[inline]
    pub fn insert(
        &mut self,
        spec: &AccountSpec,
        symbol: u16,
        exit_time: i64,
        pnl: f64,
    ) -> Result<(), Error> {
        if usize::from(self.len) >= MAX_OPEN_TRADES {
            return Err(Error::CapacityExceeded {
                what: "MAX_OPEN_TRADES",
                capacity: MAX_OPEN_TRADES,
            });
        }
        let position = Position { exit_time, pnl };
        // Insert after every position exiting at or before `exit_time` (equal exits are
        // realized in entry order, and this entry is the latest). Symbols are read only
        // by the one-position rule: kept in step only under it.
        let track = spec.one_position_per_symbol;
        let head = usize::from(self.head);
        let mut k = usize::from(self.len);
        while k > 0 && self.ring[(head + k - 1) & RING_MASK].exit_time > exit_time {
            let (to, from) = ((head + k) & RING_MASK, (head + k - 1) & RING_MASK);
            self.ring[to] = self.ring[from];
            if track {
                self.symbols[to] = self.symbols[from];
            }
            k -= 1;
        }
        self.ring[(head + k) & RING_MASK] = position;
        self.symbols[(head + k) & RING_MASK] = symbol;
        self.len += 1;
        if k == 0 {
            self.next_exit = exit_time;
        }
        Ok(())
    }

    /// Ends the pass: realizes every open position in exit order (exit days after
    /// `last_day` count on `last_day`), closes the last day and stores the period's
    /// length `days` in `stats`.
    pub fn close(&mut self, stats: &mut CellStats, last_day: i64, days: u32) {
        // The cached day end was computed without the cap.
        self.day_end = i64::MIN;
        while self.len > 0 {
            self.realize_first(stats, last_day);
        }
        self.end_day(stats);
        stats.days = days;
    }

    /// Realizes the open position with the earliest exit (the earliest entry among
    /// equal exits), with its day capped at `last_day`.
    #[inline]
    fn realize_first(&mut self, stats: &mut CellStats, last_day: i64) {
        if self.len == 0 {
            self.next_exit = i64::MAX;
            return;
        }
        let head = usize::from(self.head) & RING_MASK;
        let p = self.ring[head];
        let next = (head + 1) & RING_MASK;
        self.head = next as u8;
        self.len -= 1;
        self.next_exit = if self.len == 0 {
            i64::MAX
        } else {
            self.ring[next].exit_time
        };
        // Exits are realized in time order, so the day changes only past `day_end`.
        if p.exit_time >= self.day_end {
            self.enter_day(stats, p.exit_time, last_day);
        }
        stats.realize(p.pnl);
    }

    /// Moves to the day of an exit at `time` (capped at `last_day`).
    #[cold]
    fn enter_day(&mut self, stats: &mut CellStats, time: i64, last_day: i64) {
        let d = time.div_euclid(DAY_MS);
        let day = d.min(last_day);
        self.day_end = if d >= last_day {
            i64::MAX
        } else {
            (d + 1).saturating_mul(DAY_MS)
        };
        if day != self.day {
            self.end_day(stats);
            self.day = day;
            self.day_start = stats.equity;
        }
    }

    /// Folds the current day's return into the daily sums.
    fn end_day(&mut self, stats: &mut CellStats) {
        if self.day != i64::MIN {
            stats.record_day(self.day_start, stats.equity);
            self.day = i64::MIN;
        }
    }
}
