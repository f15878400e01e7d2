//! What the search maximizes, and the total order it ranks cells by.

use super::{
    CellStats, calmar, profit_factor, profit_factor_capped, return_over_drawdown, sharpe, sortino,
    sqn, total_return,
};

/// The profit factor at which [`Objective::ProfitFactor`] saturates: lossless cells would
/// otherwise all score infinity. Cells at the cap tie, and ties go to the lower index.
pub const PROFIT_FACTOR_CAP: f64 = 100.0;

/// The quantity the search maximizes (freqtrade's hyperopt losses, as scores). Every
/// objective requires a minimum trade count.
///
/// The default is [`Objective::Sharpe`]: it rewards return per unit of day-to-day risk,
/// so a cell that made its money in one lucky week ranks below one that earned steadily,
/// and it is the quantity Phase 4's test of the daily returns judges, so the search
/// optimizes what the verdict checks. Total return favours the largest single bets; profit
/// factor and return over drawdown favour cells with few trades.
///
/// Serde uses the same snake_case names as [`Objective::name`] (in TOML/JSON), and the
/// variant index in postcard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Total return of the account, % of the initial capital.
    TotalProfit,
    /// Expectancy × √trades (SQN): rewards consistency over volume.
    ExpectancySqrtN,
    /// Gross profit / gross loss, capped at [`PROFIT_FACTOR_CAP`].
    ProfitFactor,
    /// Total return / max drawdown (floored at [`DRAWDOWN_FLOOR_PCT`]).
    ///
    /// [`DRAWDOWN_FLOOR_PCT`]: super::DRAWDOWN_FLOOR_PCT
    ReturnOverDrawdown,
    /// Annualized Sharpe ratio of the daily returns (the default).
    #[default]
    Sharpe,
    /// Annualized Sortino ratio of the daily returns.
    Sortino,
    /// CAGR / max drawdown (floored at [`DRAWDOWN_FLOOR_PCT`]).
    ///
    /// [`DRAWDOWN_FLOOR_PCT`]: super::DRAWDOWN_FLOOR_PCT
    Calmar,
}

impl Objective {
    /// Every objective, in declaration order.
    pub const ALL: [Objective; 7] = [
        Objective::TotalProfit,
        Objective::ExpectancySqrtN,
        Objective::ProfitFactor,
        Objective::ReturnOverDrawdown,
        Objective::Sharpe,
        Objective::Sortino,
        Objective::Calmar,
    ];

    /// Stable snake_case name (config files, CLI, reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Objective::TotalProfit => "total_profit",
            Objective::ExpectancySqrtN => "expectancy_sqrt_n",
            Objective::ProfitFactor => "profit_factor",
            Objective::ReturnOverDrawdown => "return_over_drawdown",
            Objective::Sharpe => "sharpe",
            Objective::Sortino => "sortino",
            Objective::Calmar => "calmar",
        }
    }

    /// The objective named `name` (exactly as [`Objective::name`] spells it).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The score of a cell, higher is better; never NaN.
    ///
    /// Cells with no trades or fewer than `min_trades` score `f64::NEG_INFINITY`, below
    /// every real score. A profit factor that is undefined (all trades break even) scores
    /// 1.0, the break-even value. A score that would be NaN (only possible from
    /// non-finite sums) is `f64::NEG_INFINITY`.
    #[must_use]
    pub fn score(self, s: &CellStats, min_trades: u32) -> f64 {
        if s.trades == 0 || s.trades < min_trades {
            return f64::NEG_INFINITY;
        }
        let value = match self {
            Objective::TotalProfit => total_return(s),
            Objective::ExpectancySqrtN => sqn(s),
            Objective::ProfitFactor => match profit_factor(s) {
                None => 1.0,
                Some(_) => profit_factor_capped(s, PROFIT_FACTOR_CAP),
            },
            Objective::ReturnOverDrawdown => return_over_drawdown(s),
            Objective::Sharpe => sharpe(s),
            Objective::Sortino => sortino(s),
            Objective::Calmar => calmar(s),
        };
        if value.is_nan() {
            f64::NEG_INFINITY
        } else {
            value
        }
    }
}

/// True when candidate `a` ranks strictly before candidate `b`: higher score first, equal
/// scores by lower index. With distinct indices this is a strict total order, so the
/// search's choice never depends on evaluation order. NaN ranks as `f64::NEG_INFINITY`,
/// and `-0.0` equals `0.0`.
#[must_use]
pub fn better(a_score: f64, a_index: u32, b_score: f64, b_index: u32) -> bool {
    let a = rank_key(a_score);
    let b = rank_key(b_score);
    a > b || (a == b && a_index < b_index)
}

/// NaN → −∞, which makes `>`/`==` a total preorder (signed zeros already compare equal).
#[inline]
fn rank_key(x: f64) -> f64 {
    if x.is_nan() { f64::NEG_INFINITY } else { x }
}
