//! Per-cell statistics: the O(1) accumulator of a cell's account and the metrics read from it.
//!
//! A pass folds every trade of a cell into one [`CellStats`] (a hundred-odd bytes,
//! whatever the number of trades), through the cell's [`Book`](crate::account::Book).
//! Metrics are pure functions of a `CellStats`, one per file, each with its degenerate
//! cases defined so that no metric is ever NaN:
//!
//! | metric | function | unit | no trades |
//! |---|---|---|---|
//! | win rate | [`win_rate()`] | fraction | 0.0 |
//! | expectancy (mean net % per trade) | [`expectancy()`] | % | 0.0 |
//! | std. dev. of net % per trade | [`profit_std_dev()`] | % | 0.0 |
//! | SQN (expectancy × √n) | [`sqn()`] | % | 0.0 |
//! | profit factor | [`profit_factor()`], [`profit_factor_capped()`] | ratio | `None` / 0.0 |
//! | total return | [`total_return()`] | % of initial capital | 0.0 |
//! | CAGR | [`cagr()`] | % per year | 0.0 |
//! | max drawdown | [`max_drawdown()`] | % of peak equity, 0–100 | 0.0 |
//! | Sharpe, Sortino (daily, ×√365) | [`sharpe()`], [`sortino()`] | ratio | 0.0 |
//! | Calmar (CAGR / max drawdown) | [`calmar()`] | ratio | 0.0 |
//! | return over drawdown | [`return_over_drawdown()`] | ratio | 0.0 |
//! | capture rate | [`capture_rate()`] | fraction | 0.0 |
//! | t-test of the mean daily return | [`daily_t_stat()`], [`daily_p_value()`] | t, p | 0.0, 1.0 |
//! | deflated Sharpe ratio | [`deflated_sharpe()`] | probability | 0.0 |
//!
//! The search ranks cells by an [`Objective`] score and breaks ties with [`better()`].

pub mod accumulator;
pub mod calmar;
pub mod capture;
pub mod daily;
pub mod deflated;
pub mod distribution;
pub mod drawdown;
pub mod expectancy;
pub mod objective;
pub mod profit_factor;
pub mod returns;
pub mod trials;
pub mod win_rate;

pub use accumulator::CellStats;
pub use calmar::calmar;
pub use capture::capture_rate;
pub use daily::{
    daily_kurtosis, daily_mean, daily_p_value, daily_sharpe, daily_skewness, daily_std_dev,
    daily_t_stat, sharpe, sortino,
};
pub use deflated::{deflated_sharpe, expected_max_sharpe};
pub use distribution::{normal_cdf, normal_quantile, student_t_sf};
pub use drawdown::{DRAWDOWN_FLOOR_PCT, max_drawdown, return_over_drawdown};
pub use expectancy::{expectancy, profit_std_dev, sqn};
pub use objective::{Objective, PROFIT_FACTOR_CAP, better};
pub use profit_factor::{profit_factor, profit_factor_capped};
pub use returns::{DAYS_PER_YEAR, cagr, total_return};
pub use trials::Trials;
pub use win_rate::win_rate;
