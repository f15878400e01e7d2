//! Per-cell statistics: an O(1) accumulator of trade outcomes and the metrics read from it.
//!
//! A pass folds every simulated trade of a cell into one [`CellStats`] (a few dozen bytes,
//! whatever the number of trades). Metrics are pure functions of a `CellStats`, one per
//! file, each with its degenerate cases defined (no trades, no losses, no drawdown) so that
//! no metric is ever NaN:
//!
//! | metric | function | no trades |
//! |---|---|---|
//! | win rate | [`win_rate()`] | 0.0 |
//! | total / average profit % | [`total_profit()`], [`average_profit()`] | 0.0 |
//! | expectancy | [`expectancy()`] | 0.0 |
//! | std. dev. of trade profit | [`profit_std_dev()`] | 0.0 |
//! | profit factor | [`profit_factor()`], [`profit_factor_capped()`] | `None` / 0.0 |
//! | max drawdown | [`max_drawdown()`] | 0.0 |
//! | return over drawdown | [`return_over_drawdown()`] | 0.0 |
//! | capture rate | [`capture_rate()`] | 0.0 |
//!
//! The search ranks cells by an [`Objective`] score and breaks ties with [`better()`].
//!
//! All profits are net percent of the entry price ([`TradeOutcome::profit_pct`]); "profit
//! points" below means percentage points of the cumulative profit curve.
//!
//! [`TradeOutcome::profit_pct`]: crate::trade::TradeOutcome::profit_pct

pub mod accumulator;
pub mod capture;
pub mod drawdown;
pub mod expectancy;
pub mod objective;
pub mod profit_factor;
pub mod win_rate;

pub use accumulator::CellStats;
pub use capture::capture_rate;
pub use drawdown::{DRAWDOWN_FLOOR_PCT, max_drawdown, return_over_drawdown};
pub use expectancy::{average_profit, expectancy, profit_std_dev, total_profit};
pub use objective::{Objective, PROFIT_FACTOR_CAP, better};
pub use profit_factor::{profit_factor, profit_factor_capped};
pub use win_rate::win_rate;
