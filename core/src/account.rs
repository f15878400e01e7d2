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
use heapless::Vec;

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
}

/// One open position.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Position {
    /// Open time of the exit bar, ms.
    exit_time: i64,
    /// Profit in units of the initial capital (stake × net %).
    pnl: f64,
    symbol: u16,
}

/// The open positions and the current day of one cell's account (working state of a
/// pass; [`CellStats`] holds everything that is reported).
#[derive(Clone, Debug)]
pub struct Book {
    /// Open positions in entry order.
    open: Vec<Position, MAX_OPEN_TRADES>,
    /// Earliest exit time among `open` (`i64::MAX` when none).
    next_exit: i64,
    /// UTC day of the exits being realized (`i64::MIN` before the first).
    day: i64,
    /// Equity at the start of `day`.
    day_start: f64,
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    /// An empty book (const, so workspaces can be `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            open: Vec::new(),
            next_exit: i64::MAX,
            day: i64::MIN,
            day_start: 1.0,
        }
    }

    /// Positions held now.
    #[must_use]
    pub fn open_positions(&self) -> usize {
        self.open.len()
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
        let full = self.open.len() >= usize::from(spec.max_open_trades);
        let held = spec.one_position_per_symbol && self.open.iter().any(|p| p.symbol == symbol);
        let ruined = stats.equity <= 0.0;
        if full || held || ruined {
            stats.skipped = stats.skipped.saturating_add(1);
            return false;
        }
        true
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
        let base = match spec.stake {
            Stake::Compounding => stats.equity,
            Stake::Fixed => 1.0,
        };
        let stake = base / f64::from(spec.max_open_trades.max(1));
        let position = Position {
            exit_time,
            pnl: stake * outcome.profit_pct / 100.0,
            symbol,
        };
        self.open
            .push(position)
            .map_err(|_| Error::CapacityExceeded {
                what: "MAX_OPEN_TRADES",
                capacity: MAX_OPEN_TRADES,
            })?;
        if exit_time < self.next_exit {
            self.next_exit = exit_time;
        }
        stats.record_trade(outcome, is_opportunity);
        Ok(())
    }

    /// Ends the pass: realizes every open position in exit order (exit days after
    /// `last_day` count on `last_day`), closes the last day and stores the period's
    /// length `days` in `stats`.
    pub fn close(&mut self, stats: &mut CellStats, last_day: i64, days: u32) {
        while !self.open.is_empty() {
            self.realize_first(stats, last_day);
        }
        self.end_day(stats);
        stats.days = days;
    }

    /// Realizes the open position with the earliest exit (the earliest entry among
    /// equal exits), with its day capped at `last_day`.
    fn realize_first(&mut self, stats: &mut CellStats, last_day: i64) {
        let mut first = 0;
        let mut next = i64::MAX;
        for (i, p) in self.open.iter().enumerate() {
            if p.exit_time < next {
                next = p.exit_time;
                first = i;
            }
        }
        if self.open.is_empty() {
            self.next_exit = i64::MAX;
            return;
        }
        let p = self.open.remove(first);
        self.next_exit = self
            .open
            .iter()
            .map(|q| q.exit_time)
            .min()
            .unwrap_or(i64::MAX);
        let day = p.exit_time.div_euclid(DAY_MS).min(last_day);
        if day != self.day {
            self.end_day(stats);
            self.day = day;
            self.day_start = stats.equity;
        }
        stats.realize(p.pnl);
    }

    /// Folds the current day's return into the daily sums.
    fn end_day(&mut self, stats: &mut CellStats) {
        if self.day != i64::MIN {
            stats.record_day(self.day_start, stats.equity);
            self.day = i64::MIN;
        }
    }
}
