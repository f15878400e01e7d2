//! CellStats accumulation and merging against naive recomputation, and every metric's
//! values and degenerate cases.

// A failing test panics: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phasebound_core::stats::{
    CellStats, DRAWDOWN_FLOOR_PCT, Objective, PROFIT_FACTOR_CAP, average_profit, better,
    capture_rate, expectancy, max_drawdown, profit_factor, profit_factor_capped, profit_std_dev,
    return_over_drawdown, total_profit, win_rate,
};
use phasebound_core::{ExitReason, TradeOutcome};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const REASONS: [ExitReason; 5] = [
    ExitReason::TakeProfit,
    ExitReason::StopLoss,
    ExitReason::Trailing,
    ExitReason::Time,
    ExitReason::Truncated,
];

fn outcome(profit_pct: f64, reason: ExitReason, ambiguous: bool) -> TradeOutcome {
    TradeOutcome {
        exit_index: 0,
        exit_price: 1.0,
        reason,
        ambiguous,
        profit_pct,
    }
}

/// A trade and whether it was on an opportunity.
type Trade = (TradeOutcome, bool);

fn fold(trades: &[Trade]) -> CellStats {
    let mut s = CellStats::new();
    for (o, opp) in trades {
        s.record(o, *opp);
    }
    s
}

fn random_trades(rng: &mut Xoshiro256PlusPlus, len: usize) -> Vec<Trade> {
    (0..len)
        .map(|_| {
            // Profits in about ±10 %, a few exact zeros (break-even).
            let p = if rng.next_u32().is_multiple_of(17) {
                0.0
            } else {
                (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0
            };
            let reason = REASONS[(rng.next_u32() % 5) as usize];
            (
                outcome(p, reason, rng.next_u32().is_multiple_of(7)),
                rng.next_u32().is_multiple_of(3),
            )
        })
        .collect()
}

/// Max drawdown by definition: max over j ≤ i of (E_j − E_i), E_0 = 0. O(n²).
fn naive_drawdown(profits: &[f64]) -> f64 {
    let mut curve = vec![0.0];
    for p in profits {
        curve.push(curve.last().unwrap() + p);
    }
    let mut dd: f64 = 0.0;
    for i in 0..curve.len() {
        for j in 0..=i {
            dd = dd.max(curve[j] - curve[i]);
        }
    }
    dd
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_same(a: &CellStats, b: &CellStats) {
    assert_eq!(a.trades, b.trades);
    assert_eq!(a.wins, b.wins);
    assert_eq!(a.reasons, b.reasons);
    assert_eq!(a.ambiguous, b.ambiguous);
    assert_eq!(a.captured, b.captured);
    for (x, y, what) in [
        (a.sum_profit, b.sum_profit, "sum"),
        (a.sum_sq_profit, b.sum_sq_profit, "sum_sq"),
        (a.gross_profit, b.gross_profit, "gross_profit"),
        (a.gross_loss, b.gross_loss, "gross_loss"),
        (a.equity, b.equity, "equity"),
        (a.peak, b.peak, "peak"),
        (a.trough, b.trough, "trough"),
        (a.max_drawdown, b.max_drawdown, "max_drawdown"),
    ] {
        assert!(close(x, y), "{what}: {x} vs {y}");
    }
}

#[test]
fn record_known_answer() {
    // Profits chosen to be exact in binary, so every expected value is exact.
    let trades = [
        (outcome(2.0, ExitReason::TakeProfit, false), true),
        (outcome(-1.0, ExitReason::StopLoss, true), true),
        (outcome(-3.0, ExitReason::StopLoss, false), false),
        (outcome(4.0, ExitReason::Trailing, false), false),
        (outcome(-0.5, ExitReason::Truncated, false), true),
        (outcome(0.0, ExitReason::Time, false), true),
    ];
    let s = fold(&trades);
    // Curve: 0, 2, 1, -2, 2, 1.5, 1.5 → peak 2, trough -2, drawdown 2 − (−2) = 4.
    assert_eq!(s.trades, 6);
    assert_eq!(s.wins, 2);
    assert_eq!(s.non_wins(), 4);
    assert_eq!(s.sum_profit, 1.5);
    assert_eq!(s.sum_sq_profit, 4.0 + 1.0 + 9.0 + 16.0 + 0.25);
    assert_eq!(s.gross_profit, 6.0);
    assert_eq!(s.gross_loss, 4.5);
    assert_eq!((s.equity, s.peak, s.trough), (1.5, 2.0, -2.0));
    assert_eq!(s.max_drawdown, 4.0);
    assert_eq!(s.reasons, [1, 2, 1, 1, 1]);
    assert_eq!(s.reason_count(ExitReason::StopLoss), 2);
    assert_eq!(s.ambiguous, 1);
    // Only the first trade is an opportunity that closed in profit (the 4 % win was not
    // an opportunity; the break-even one is not a profit).
    assert_eq!(s.captured, 1);

    assert_eq!(win_rate(&s), 2.0 / 6.0);
    assert_eq!(total_profit(&s), 1.5);
    assert_eq!(average_profit(&s), 0.25);
    assert_eq!(expectancy(&s), 0.25);
    assert_eq!(profit_factor(&s), Some(6.0 / 4.5));
    assert_eq!(max_drawdown(&s), 4.0);
    assert_eq!(return_over_drawdown(&s), 1.5 / 4.0);
    assert_eq!(capture_rate(&s, 4), 0.25);
    // Sample variance: mean 0.25; squared deviations 3.0625, 1.5625, 10.5625, 14.0625,
    // 0.5625, 0.0625 → sum 29.875, / 5 = 5.975.
    assert!((profit_std_dev(&s) - 5.975f64.sqrt()).abs() < 1e-12);
}

#[test]
fn record_matches_naive_recomputation() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    for _ in 0..200 {
        let len = (rng.next_u32() % 120) as usize;
        let trades = random_trades(&mut rng, len);
        let s = fold(&trades);
        let profits: Vec<f64> = trades.iter().map(|(o, _)| o.profit_pct).collect();
        assert_eq!(s.trades as usize, len);
        assert_eq!(
            s.wins as usize,
            profits.iter().filter(|&&p| p > 0.0).count()
        );
        let gl: f64 = profits.iter().filter(|&&p| p < 0.0).map(|p| -p).sum();
        assert!(close(s.gross_loss, gl));
        assert!(close(s.max_drawdown, naive_drawdown(&profits)));
        assert!(close(s.sum_profit, s.gross_profit - s.gross_loss));
        // Expectancy = win_rate·avg_win − loss_rate·avg_loss.
        if len > 0 {
            let n = len as f64;
            let wins = s.wins as f64;
            let losses = profits.iter().filter(|&&p| p < 0.0).count() as f64;
            let avg_win = if wins > 0.0 {
                s.gross_profit / wins
            } else {
                0.0
            };
            let avg_loss = if losses > 0.0 {
                s.gross_loss / losses
            } else {
                0.0
            };
            let decomposed = wins / n * avg_win - losses / n * avg_loss;
            assert!((expectancy(&s) - decomposed).abs() < 1e-12);
        }
        // Standard deviation by the two-pass formula.
        if len >= 2 {
            let mean = profits.iter().sum::<f64>() / len as f64;
            let var = profits.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (len - 1) as f64;
            assert!((profit_std_dev(&s) - var.sqrt()).abs() < 1e-9);
        }
    }
}

#[test]
fn merge_at_every_split_equals_sequential() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(22);
    for _ in 0..50 {
        let trades = random_trades(&mut rng, 60);
        let whole = fold(&trades);
        for cut in 0..=trades.len() {
            let mut a = fold(&trades[..cut]);
            a.merge(&fold(&trades[cut..]));
            assert_same(&a, &whole);
        }
        // Three chunks, merged left to right.
        let (i, j) = (
            (rng.next_u32() % 61) as usize,
            (rng.next_u32() % 61) as usize,
        );
        let (i, j) = (i.min(j), i.max(j));
        let mut a = fold(&trades[..i]);
        a.merge(&fold(&trades[i..j]));
        a.merge(&fold(&trades[j..]));
        assert_same(&a, &whole);
    }
}

#[test]
fn merge_catches_drawdown_across_the_seam() {
    // A: +5 then −1 (peak 5, dd 1); B: −2, −3, +1 (trough −5, dd 5). Across the seam the
    // curve falls from 5 to 4 − 5 = −1: drawdown 6, larger than either half's.
    let a_trades = [2.0, 3.0, -1.0].map(|p| (outcome(p, ExitReason::Time, false), false));
    let b_trades = [-2.0, -3.0, 1.0].map(|p| (outcome(p, ExitReason::Time, false), false));
    let mut a = fold(&a_trades);
    let b = fold(&b_trades);
    assert_eq!((a.max_drawdown, b.max_drawdown), (1.0, 5.0));
    a.merge(&b);
    assert_eq!(a.max_drawdown, 6.0);
    assert_eq!((a.peak, a.trough, a.equity), (5.0, -1.0, 0.0));
}

#[test]
fn empty_is_the_merge_identity() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(23);
    let s = fold(&random_trades(&mut rng, 40));
    let mut left = CellStats::new();
    left.merge(&s);
    assert_eq!(left, s);
    let mut right = s;
    right.merge(&CellStats::default());
    assert_eq!(right, s);
}

#[test]
fn counters_saturate_instead_of_overflowing() {
    let mut s = CellStats::new();
    s.trades = u32::MAX;
    s.wins = u32::MAX;
    s.captured = u32::MAX;
    s.ambiguous = u32::MAX;
    s.reasons = [u32::MAX; 5];
    s.record(&outcome(1.0, ExitReason::TakeProfit, true), true);
    let copy = s;
    s.merge(&copy);
    assert_eq!(
        (s.trades, s.wins, s.captured, s.ambiguous),
        (u32::MAX, u32::MAX, u32::MAX, u32::MAX)
    );
    assert_eq!(s.reasons, [u32::MAX; 5]);
}

#[test]
fn metrics_of_empty_cell() {
    let s = CellStats::new();
    assert_eq!(win_rate(&s), 0.0);
    assert_eq!(total_profit(&s), 0.0);
    assert_eq!(average_profit(&s), 0.0);
    assert_eq!(expectancy(&s), 0.0);
    assert_eq!(profit_std_dev(&s), 0.0);
    assert_eq!(profit_factor(&s), None);
    assert_eq!(profit_factor_capped(&s, 100.0), 0.0);
    assert_eq!(max_drawdown(&s), 0.0);
    assert_eq!(return_over_drawdown(&s), 0.0);
    assert_eq!(capture_rate(&s, 0), 0.0);
    assert_eq!(capture_rate(&s, 10), 0.0);
}

fn cell(profits: &[f64]) -> CellStats {
    let trades: Vec<Trade> = profits
        .iter()
        .map(|&p| (outcome(p, ExitReason::Time, false), true))
        .collect();
    fold(&trades)
}

#[test]
fn profit_factor_cases() {
    assert_eq!(profit_factor(&cell(&[0.0, 0.0])), None, "all break-even");
    assert_eq!(profit_factor(&cell(&[1.0, 2.0])), Some(f64::INFINITY));
    assert_eq!(profit_factor_capped(&cell(&[1.0, 2.0]), 50.0), 50.0);
    assert_eq!(
        profit_factor_capped(&cell(&[1.0, 2.0]), f64::INFINITY),
        f64::MAX
    );
    assert_eq!(profit_factor_capped(&cell(&[1.0, 2.0]), f64::NAN), f64::MAX);
    assert_eq!(profit_factor(&cell(&[-1.0, 0.0])), Some(0.0));
    assert_eq!(profit_factor_capped(&cell(&[-1.0, 0.0]), 50.0), 0.0);
    assert_eq!(profit_factor(&cell(&[3.0, -2.0])), Some(1.5));
    assert_eq!(profit_factor_capped(&cell(&[3.0, -2.0]), 50.0), 1.5);
}

#[test]
fn std_dev_cases() {
    assert_eq!(profit_std_dev(&cell(&[5.0])), 0.0, "one trade");
    // Equal trades: the variance from running sums is 0 up to rounding (which may make it
    // slightly negative); the result must be non-negative, never NaN, and within the
    // documented error of about √(n·ε)·|mean|.
    for v in [0.1, -0.3, 7.7, 1e-3, 123.456] {
        for n in 2..40 {
            let sd = profit_std_dev(&cell(&vec![v; n]));
            assert!(sd >= 0.0 && sd <= 1e-6 * f64::abs(v), "{v} x {n}: {sd}");
        }
    }
    assert_eq!(profit_std_dev(&cell(&[1.0, 3.0])), 2.0f64.sqrt());
}

#[test]
fn return_over_drawdown_cases() {
    // Never drew down: the total profit (the floor is 1 point).
    assert_eq!(DRAWDOWN_FLOOR_PCT, 1.0);
    let up = cell(&[1.0, 2.0, 0.0]);
    assert_eq!(up.max_drawdown, 0.0);
    assert_eq!(return_over_drawdown(&up), 3.0);
    // A drawdown below the floor divides by the floor: continuous at 0.
    let small = cell(&[2.0, -0.5, 1.5]);
    assert_eq!(small.max_drawdown, 0.5);
    assert_eq!(return_over_drawdown(&small), 3.0);
    // Above it, the plain ratio; losing cells are negative.
    assert_eq!(return_over_drawdown(&cell(&[4.0, -4.0, 2.0])), 0.5);
    assert_eq!(return_over_drawdown(&cell(&[-2.0, -2.0])), -1.0);
}

#[test]
fn capture_rate_cases() {
    let s = cell(&[1.0, 2.0, -1.0]); // two captured
    assert_eq!(s.captured, 2);
    assert_eq!(capture_rate(&s, 8), 0.25);
    assert_eq!(capture_rate(&s, 0), 0.0);
}

#[test]
fn objective_names_round_trip() {
    for o in Objective::ALL {
        assert_eq!(Objective::from_name(o.name()), Some(o));
    }
    assert_eq!(
        Objective::ALL.map(Objective::name),
        [
            "total_profit",
            "expectancy_sqrt_n",
            "profit_factor",
            "return_over_drawdown"
        ]
    );
    // Serde (config files, JSON reports) spells them the same way.
    for o in Objective::ALL {
        let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(o.name());
        assert_eq!(<Objective as serde::Deserialize>::deserialize(de), Ok(o));
    }
    assert_eq!(Objective::from_name("TotalProfit"), None);
    assert_eq!(Objective::from_name(""), None);
    assert_eq!(Objective::default(), Objective::TotalProfit);
}

#[test]
fn objective_scores() {
    let s = cell(&[3.0, -1.0, 2.0, -2.0]); // total 2, gp 5, gl 3, dd 2
    assert_eq!(Objective::TotalProfit.score(&s, 4), 2.0);
    assert_eq!(Objective::ExpectancySqrtN.score(&s, 4), 0.5 * 2.0);
    assert_eq!(Objective::ProfitFactor.score(&s, 4), 5.0 / 3.0);
    assert_eq!(Objective::ReturnOverDrawdown.score(&s, 4), 1.0);
    for o in Objective::ALL {
        assert_eq!(o.score(&s, 5), f64::NEG_INFINITY, "below min_trades");
        assert_eq!(
            o.score(&CellStats::new(), 0),
            f64::NEG_INFINITY,
            "no trades"
        );
    }
    // Lossless cells saturate; all-break-even cells score break-even.
    assert_eq!(
        Objective::ProfitFactor.score(&cell(&[1.0]), 1),
        PROFIT_FACTOR_CAP
    );
    assert_eq!(Objective::ProfitFactor.score(&cell(&[0.0, 0.0]), 1), 1.0);
}

#[test]
fn objective_scores_are_never_nan() {
    let mut weird = cell(&[1.0, -1.0]);
    for (sum, gp, gl, dd) in [
        (f64::NAN, 1.0, 1.0, 1.0),
        (f64::INFINITY, f64::INFINITY, f64::INFINITY, f64::INFINITY),
        (1.0, f64::NAN, f64::NAN, f64::NAN),
        (f64::NEG_INFINITY, 0.0, f64::INFINITY, f64::INFINITY),
    ] {
        weird.sum_profit = sum;
        weird.gross_profit = gp;
        weird.gross_loss = gl;
        weird.max_drawdown = dd;
        for o in Objective::ALL {
            assert!(!o.score(&weird, 0).is_nan(), "{o:?}");
        }
    }
}

#[test]
fn better_is_a_strict_total_order() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(24);
    // Few distinct scores, so ties are frequent; plus the awkward values.
    let pool = [
        f64::NAN,
        f64::NEG_INFINITY,
        -1.0,
        -0.0,
        0.0,
        0.5,
        2.0,
        f64::INFINITY,
    ];
    let items: Vec<(f64, u32)> = (0..40)
        .map(|i| (pool[(rng.next_u32() % 8) as usize], i))
        .collect();
    for &(sa, ia) in &items {
        assert!(!better(sa, ia, sa, ia), "irreflexive");
        for &(sb, ib) in &items {
            if ia != ib {
                assert!(
                    better(sa, ia, sb, ib) ^ better(sb, ib, sa, ia),
                    "total, antisymmetric"
                );
            }
            for &(sc, ic) in &items {
                if better(sa, ia, sb, ib) && better(sb, ib, sc, ic) {
                    assert!(better(sa, ia, sc, ic), "transitive");
                }
            }
        }
    }
    // Spot checks: higher wins, ties go to the lower index, NaN is the bottom, ±0 tie.
    assert!(better(2.0, 9, 1.0, 0));
    assert!(better(1.0, 3, 1.0, 4));
    assert!(!better(1.0, 4, 1.0, 3));
    assert!(!better(f64::NEG_INFINITY, 1, f64::NAN, 0));
    assert!(better(f64::NAN, 0, f64::NEG_INFINITY, 1));
    assert!(better(-100.0, 5, f64::NAN, 0));
    assert!(better(-0.0, 0, 0.0, 1) && better(0.0, 0, -0.0, 1));
}
