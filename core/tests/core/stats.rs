//! The account's accumulator and every metric: known answers worked out by hand,
//! the tie rule, slots and ruin, and every degenerate case.

// A failing test panics: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phasebound_core::account::{AccountSpec, Book, DAY_MS, Stake};
use phasebound_core::stats::{
    CellStats, DRAWDOWN_FLOOR_PCT, Objective, PROFIT_FACTOR_CAP, better, cagr, calmar,
    capture_rate, daily_mean, daily_std_dev, daily_t_stat, expectancy, max_drawdown, profit_factor,
    profit_factor_capped, profit_std_dev, return_over_drawdown, sharpe, sortino, sqn, total_return,
    win_rate,
};
use phasebound_core::{ExitReason, TradeOutcome};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

const T0: i64 = 1_704_067_200_000; // 2024-01-01T00:00Z
const HOUR: i64 = 3_600_000;

fn outcome(profit_pct: f64, reason: ExitReason, ambiguous: bool) -> TradeOutcome {
    TradeOutcome {
        exit_index: 0,
        exit_price: 1.0,
        reason,
        ambiguous,
        profit_pct,
    }
}

fn spec(mot: u8, stake: Stake, one: bool) -> AccountSpec {
    AccountSpec {
        max_open_trades: mot,
        stake,
        one_position_per_symbol: one,
    }
}

/// Trades one after another (each exits an hour after it enters, before the next entry),
/// staking the whole initial capital at a fixed stake: equity = 1 + Σ p / 100.
fn cell(profits: &[f64]) -> CellStats {
    let mut st = CellStats::new();
    let mut book = Book::new();
    let a = spec(1, Stake::Fixed, false);
    for (i, &p) in profits.iter().enumerate() {
        let t = T0 + 2 * HOUR * i as i64;
        book.realize_before(&mut st, t);
        assert!(book.admit(&mut st, &a, 0));
        book.open(
            &mut st,
            &a,
            0,
            t + HOUR,
            &outcome(p, ExitReason::Time, false),
            true,
        )
        .unwrap();
    }
    book.close(&mut st, i64::MAX, 1);
    st
}

#[test]
fn compounding_known_answer() {
    // Two slots, compounding. A (+10 %) enters at 0h and exits in the bar opening at 3h;
    // B (−5 %) enters at 1h, exits at 2h; C (+20 %) enters at 4h.
    let a = spec(2, Stake::Compounding, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    let trade = |p| outcome(p, ExitReason::TakeProfit, false);
    book.realize_before(&mut st, T0);
    assert!(book.admit(&mut st, &a, 0));
    book.open(&mut st, &a, 0, T0 + 3 * HOUR, &trade(10.0), true)
        .unwrap(); // stake 0.5
    book.realize_before(&mut st, T0 + HOUR);
    assert!(book.admit(&mut st, &a, 1));
    book.open(&mut st, &a, 1, T0 + 2 * HOUR, &trade(-5.0), false)
        .unwrap(); // stake 0.5
    // A third entry at 1h finds both slots taken.
    assert!(!book.admit(&mut st, &a, 2));
    assert_eq!(st.skipped, 1);
    // An entry at 3h sees B (exit bar opened at 2h) closed, A (exit bar opens at 3h) open.
    book.realize_before(&mut st, T0 + 3 * HOUR);
    assert_eq!(book.open_positions(), 1);
    assert!(close(st.equity, 1.0 - 0.025));
    book.realize_before(&mut st, T0 + 4 * HOUR);
    assert!(close(st.equity, 0.975 + 0.05));
    assert!(book.admit(&mut st, &a, 0));
    // Stake = 1.025 / 2 of the realized equity.
    book.open(&mut st, &a, 0, T0 + 5 * HOUR, &trade(20.0), true)
        .unwrap();
    book.close(&mut st, i64::MAX, 1);
    assert!(close(st.equity, 1.025 + 1.025 / 2.0 * 0.2));
    assert_eq!(st.trades, 3);
    assert_eq!(st.wins, 2);
    assert_eq!(st.captured, 2);
    assert!(close(st.gross_loss, 0.025));
    assert!(close(st.gross_profit, 0.05 + 1.025 / 2.0 * 0.2));
    assert!(close(st.max_drawdown, 0.025));
    assert_eq!(st.reason_count(ExitReason::TakeProfit), 3);
    // All on one day: one daily return.
    assert!(close(st.day_sum, st.equity - 1.0));
}

#[test]
fn exits_in_one_bar_realize_in_entry_order_and_drawdown_is_per_exit() {
    // Both exit in the same bar: the first entry's loss first, then the second's gain,
    // so the curve dips to 0.9 before it recovers: a 10 % drawdown.
    let a = spec(2, Stake::Fixed, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        0,
        T0 + HOUR,
        &outcome(-20.0, ExitReason::StopLoss, true),
        false,
    )
    .unwrap();
    book.open(
        &mut st,
        &a,
        1,
        T0 + HOUR,
        &outcome(20.0, ExitReason::TakeProfit, false),
        false,
    )
    .unwrap();
    book.close(&mut st, i64::MAX, 1);
    assert!(close(st.equity, 1.0));
    assert!(close(st.max_drawdown, 0.1));
    assert_eq!(st.ambiguous, 1);
    // Entered the other way round: no drawdown at all.
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        1,
        T0 + HOUR,
        &outcome(20.0, ExitReason::TakeProfit, false),
        false,
    )
    .unwrap();
    book.open(
        &mut st,
        &a,
        0,
        T0 + HOUR,
        &outcome(-20.0, ExitReason::StopLoss, true),
        false,
    )
    .unwrap();
    book.close(&mut st, i64::MAX, 1);
    assert!(close(st.max_drawdown, (1.1 - 1.0) / 1.1));
}

#[test]
fn one_position_per_symbol_and_ruin_skip_entries() {
    let a = spec(4, Stake::Compounding, true);
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        3,
        T0 + HOUR,
        &outcome(1.0, ExitReason::Time, false),
        false,
    )
    .unwrap();
    assert!(!book.admit(&mut st, &a, 3), "symbol 3 already held");
    assert!(book.admit(&mut st, &a, 4));
    assert_eq!(st.skipped, 1);
    // A short can lose more than its stake: the equity stops at 0 and nothing trades.
    let a = spec(1, Stake::Fixed, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        0,
        T0,
        &outcome(-150.0, ExitReason::StopLoss, false),
        false,
    )
    .unwrap();
    book.realize_before(&mut st, T0 + HOUR);
    assert_eq!(st.equity, 0.0);
    assert_eq!(max_drawdown(&st), 100.0);
    assert!(!book.admit(&mut st, &a, 0));
    assert_eq!(total_return(&st), -100.0);
    book.close(&mut st, i64::MAX, 10);
    assert_eq!(cagr(&st), -100.0);
}

#[test]
fn account_rules_are_validated() {
    assert!(spec(0, Stake::Fixed, false).validate().is_err());
    assert!(spec(16, Stake::Fixed, false).validate().is_ok());
    assert_eq!(
        spec(17, Stake::Fixed, false).validate(),
        Err(phasebound_core::Error::CapacityExceeded {
            what: "MAX_OPEN_TRADES",
            capacity: 16
        })
    );
}

#[test]
fn daily_returns_sharpe_sortino_known_answer() {
    // Day 0: +10 %; day 1: nothing; day 2: −10 % of 1.1; 4 days in the period.
    let a = spec(1, Stake::Fixed, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        0,
        T0 + HOUR,
        &outcome(10.0, ExitReason::TakeProfit, false),
        false,
    )
    .unwrap();
    book.realize_before(&mut st, T0 + 2 * DAY_MS);
    book.open(
        &mut st,
        &a,
        0,
        T0 + 2 * DAY_MS + HOUR,
        &outcome(-11.0, ExitReason::StopLoss, false),
        false,
    )
    .unwrap();
    book.close(&mut st, i64::MAX, 4);
    let r = [0.1, 0.0, (1.1 - 0.11) / 1.1 - 1.0, 0.0];
    let n = 4.0;
    let mean = r.iter().sum::<f64>() / n;
    let var = r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    assert_eq!(st.days, 4);
    assert!((daily_mean(&st) - mean).abs() < 1e-15);
    assert!((daily_std_dev(&st) - var.sqrt()).abs() < 1e-12);
    assert!((sharpe(&st) - mean / var.sqrt() * 365f64.sqrt()).abs() < 1e-9);
    let down = (r[2] * r[2] / n).sqrt();
    assert!((sortino(&st) - mean / down * 365f64.sqrt()).abs() < 1e-9);
    assert!((daily_t_stat(&st) - mean / var.sqrt() * 2.0).abs() < 1e-9);
    // CAGR over 4 days, Calmar = CAGR / drawdown %.
    let years = 4.0 / 365.0;
    let want = (st.equity.powf(1.0 / years) - 1.0) * 100.0;
    assert!((cagr(&st) - want).abs() < 1e-6 * want.abs().max(1.0));
    assert!((calmar(&st) - cagr(&st) / 10.0).abs() < 1e-9);
}

#[test]
fn exits_after_the_period_count_on_its_last_day() {
    let a = spec(1, Stake::Fixed, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    book.open(
        &mut st,
        &a,
        0,
        T0 + 5 * DAY_MS,
        &outcome(10.0, ExitReason::Time, false),
        false,
    )
    .unwrap();
    book.close(&mut st, T0.div_euclid(DAY_MS) + 1, 2);
    assert_eq!(st.days, 2);
    assert!((st.day_sum - 0.1).abs() < 1e-15);
    // Two exits on two different days after the period: one return, on its last day.
    let a = spec(2, Stake::Fixed, false);
    let mut st = CellStats::new();
    let mut book = Book::new();
    for (d, p) in [(5, 10.0), (7, -10.0)] {
        book.open(
            &mut st,
            &a,
            d as u16,
            T0 + d * DAY_MS,
            &outcome(p, ExitReason::Time, false),
            false,
        )
        .unwrap();
    }
    book.close(&mut st, T0.div_euclid(DAY_MS) + 1, 2);
    let r = (1.0 + 0.05) * (1.0 - 0.05 / 1.05) - 1.0;
    assert!((st.day_sum - r).abs() < 1e-15, "{}", st.day_sum);
    assert!((st.day_sum_sq - r * r).abs() < 1e-15);
}

#[test]
fn per_trade_figures_match_naive_recomputation() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    for len in [0usize, 1, 2, 17, 300] {
        let profits: Vec<f64> = (0..len)
            .map(|_| {
                if rng.next_u32().is_multiple_of(17) {
                    0.0
                } else {
                    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0
                }
            })
            .collect();
        let s = cell(&profits);
        assert_eq!(s.trades as usize, len);
        assert_eq!(
            s.wins as usize,
            profits.iter().filter(|&&p| p > 0.0).count()
        );
        let sum: f64 = profits.iter().sum();
        assert!((s.sum_profit - sum).abs() < 1e-9);
        // Fixed stake of the whole capital, one at a time: equity is 1 + Σ p/100 unless
        // ruined, and the drawdown is the naive peak-to-trough of that curve.
        let mut eq = 1.0f64;
        let mut peak = 1.0f64;
        let mut dd = 0.0f64;
        for p in &profits {
            eq = (eq + p / 100.0).max(0.0);
            peak = peak.max(eq);
            dd = dd.max((peak - eq) / peak);
        }
        assert!((s.equity - eq).abs() < 1e-12);
        assert!((s.max_drawdown - dd).abs() < 1e-12);
        assert!((0.0..=1.0).contains(&s.max_drawdown));
    }
}

#[test]
fn counters_saturate_instead_of_overflowing() {
    let mut s = CellStats::new();
    s.trades = u32::MAX;
    s.wins = u32::MAX;
    s.record_trade(&outcome(1.0, ExitReason::TakeProfit, true), true);
    assert_eq!(s.trades, u32::MAX);
    assert_eq!(s.wins, u32::MAX);
}

#[test]
fn metrics_of_empty_cell() {
    let s = CellStats::new();
    assert_eq!(win_rate(&s), 0.0);
    assert_eq!(total_return(&s), 0.0);
    assert_eq!(expectancy(&s), 0.0);
    assert_eq!(sqn(&s), 0.0);
    assert_eq!(profit_std_dev(&s), 0.0);
    assert_eq!(profit_factor(&s), None);
    assert_eq!(profit_factor_capped(&s, 100.0), 0.0);
    assert_eq!(max_drawdown(&s), 0.0);
    assert_eq!(return_over_drawdown(&s), 0.0);
    assert_eq!(capture_rate(&s, 0), 0.0);
    assert_eq!(capture_rate(&s, 10), 0.0);
    assert_eq!(cagr(&s), 0.0);
    assert_eq!(calmar(&s), 0.0);
    assert_eq!(sharpe(&s), 0.0);
    assert_eq!(sortino(&s), 0.0);
    assert_eq!(daily_t_stat(&s), 0.0);
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
    assert_eq!(profit_factor(&cell(&[4.0, -2.0])), Some(2.0));
}

#[test]
fn std_dev_cases() {
    assert_eq!(profit_std_dev(&cell(&[5.0])), 0.0, "one trade");
    for v in [0.1, -0.3, 7.7, 1e-3, 12.5] {
        for n in 2..40 {
            let sd = profit_std_dev(&cell(&vec![v; n]));
            assert!(sd >= 0.0 && sd <= 1e-6 * f64::abs(v), "{v} x {n}: {sd}");
        }
    }
    assert_eq!(profit_std_dev(&cell(&[1.0, 3.0])), 2.0f64.sqrt());
}

#[test]
fn return_over_drawdown_cases() {
    assert_eq!(DRAWDOWN_FLOOR_PCT, 1.0);
    // Never drew down: the total return itself (the floor is 1 %).
    let up = cell(&[1.0, 2.0, 0.0]);
    assert_eq!(up.max_drawdown, 0.0);
    assert!((return_over_drawdown(&up) - 3.0).abs() < 1e-12);
    // A drawdown below the floor divides by the floor.
    let small = cell(&[2.0, -0.5]);
    assert!(close(max_drawdown(&small), 0.005 / 1.02 * 100.0));
    assert!((return_over_drawdown(&small) - 1.5).abs() < 1e-12);
    // Above it, the plain ratio; losing cells are negative.
    let s = cell(&[-10.0, -10.0]);
    assert!((max_drawdown(&s) - 20.0).abs() < 1e-12);
    assert!((return_over_drawdown(&s) + 1.0).abs() < 1e-12);
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
            "return_over_drawdown",
            "sharpe",
            "sortino",
            "calmar"
        ]
    );
    for o in Objective::ALL {
        let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(o.name());
        assert_eq!(<Objective as serde::Deserialize>::deserialize(de), Ok(o));
    }
    assert_eq!(Objective::from_name("TotalProfit"), None);
    assert_eq!(Objective::from_name(""), None);
    assert_eq!(Objective::default(), Objective::Sharpe);
}

#[test]
fn objective_scores() {
    let s = cell(&[3.0, -1.0, 2.0, -2.0]);
    assert_eq!(Objective::TotalProfit.score(&s, 4), total_return(&s));
    assert!((total_return(&s) - 2.0).abs() < 1e-12);
    assert_eq!(Objective::ExpectancySqrtN.score(&s, 4), 0.5 * 2.0);
    assert!((Objective::ProfitFactor.score(&s, 4) - 5.0 / 3.0).abs() < 1e-12);
    assert_eq!(Objective::Sharpe.score(&s, 4), sharpe(&s));
    assert_eq!(Objective::Sortino.score(&s, 4), sortino(&s));
    assert_eq!(Objective::Calmar.score(&s, 4), calmar(&s));
    for o in Objective::ALL {
        assert_eq!(o.score(&s, 5), f64::NEG_INFINITY, "below min_trades");
        assert_eq!(
            o.score(&CellStats::new(), 0),
            f64::NEG_INFINITY,
            "no trades"
        );
    }
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
        weird.equity = sum;
        weird.day_sum = sum;
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
