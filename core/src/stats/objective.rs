//! What the search maximizes, and the total order it ranks cells by.

use super::{CellStats, profit_factor, profit_factor_capped, return_over_drawdown, total_profit};
use crate::math;

/// The profit factor at which [`Objective::ProfitFactor`] saturates: lossless cells would
/// otherwise all score infinity. Cells at the cap tie, and ties go to the lower index.
pub const PROFIT_FACTOR_CAP: f64 = 100.0;

/// The quantity the search maximizes. Every objective requires a minimum trade count.
///
/// Serde uses the same snake_case names as [`Objective::name`] (in TOML/JSON), and the
/// variant index in postcard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Total net profit % (the default: what the original system optimized).
    #[default]
    TotalProfit,
    /// Expectancy × √trades (= total profit / √trades): rewards consistency over volume,
    /// a t-statistic without the variance.
    ExpectancySqrtN,
    /// Gross profit / gross loss, capped at [`PROFIT_FACTOR_CAP`].
    ProfitFactor,
    /// Total profit / max drawdown (floored at [`DRAWDOWN_FLOOR_PCT`]).
    ///
    /// [`DRAWDOWN_FLOOR_PCT`]: super::DRAWDOWN_FLOOR_PCT
    ReturnOverDrawdown,
}

impl Objective {
    /// Every objective, in declaration order.
    pub const ALL: [Objective; 4] = [
        Objective::TotalProfit,
        Objective::ExpectancySqrtN,
        Objective::ProfitFactor,
        Objective::ReturnOverDrawdown,
    ];

    /// Stable snake_case name (config files, CLI, reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Objective::TotalProfit => "total_profit",
            Objective::ExpectancySqrtN => "expectancy_sqrt_n",
            Objective::ProfitFactor => "profit_factor",
            Objective::ReturnOverDrawdown => "return_over_drawdown",
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
            Objective::TotalProfit => total_profit(s),
            Objective::ExpectancySqrtN => s.sum_profit / math::sqrt(f64::from(s.trades)),
            Objective::ProfitFactor => match profit_factor(s) {
                None => 1.0,
                Some(_) => profit_factor_capped(s, PROFIT_FACTOR_CAP),
            },
            Objective::ReturnOverDrawdown => return_over_drawdown(s),
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
