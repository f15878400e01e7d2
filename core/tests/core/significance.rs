//! The statistics behind Phase 4's verdict: distributions against published values, the
//! t-test of daily returns against a plain computation, the deflated Sharpe ratio
//! against its paper's numerical example, and chaining accounts of disjoint periods.

use super::support::daily_account;
use phasebound_core::stats::{
    CellStats, daily_kurtosis, daily_p_value, daily_sharpe, daily_skewness, daily_t_stat,
    deflated_sharpe, expected_max_sharpe, max_drawdown, normal_cdf, normal_quantile, student_t_sf,
};

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn normal_and_student_t_known_values() {
    // Tables: Φ(1.96) = 0.9750021, Φ(−1) = 0.1586553; Φ⁻¹(0.975) = 1.959963985.
    assert!(near(normal_cdf(1.96), 0.975_002_1, 1e-7));
    assert!(near(normal_cdf(-1.0), 0.158_655_3, 1e-7));
    assert!(near(normal_quantile(0.975), 1.959_963_985, 1e-8));
    assert!(near(normal_quantile(0.01), -2.326_347_874, 1e-8));
    assert!(near(normal_quantile(1e-6), -4.753_424_309, 1e-7));
    for p in [1e-9, 0.001, 0.3, 0.5, 0.77, 0.999_99] {
        assert!(
            near(normal_cdf(normal_quantile(p)), p, 1e-12 + p * 1e-9),
            "{p}"
        );
    }
    assert!(normal_quantile(0.0).is_infinite() && normal_quantile(1.5).is_nan());
    // Student's t critical values (one-sided): t(0.05, 10) = 1.812461, t(0.025, 30) =
    // 2.042272, t(0.01, 5) = 3.364930; the tail at 0 is one half; large df → normal.
    assert!(near(student_t_sf(1.812_461, 10.0), 0.05, 1e-6));
    assert!(near(student_t_sf(2.042_272, 30.0), 0.025, 1e-6));
    assert!(near(student_t_sf(3.364_930, 5.0), 0.01, 1e-6));
    assert!(near(student_t_sf(-1.812_461, 10.0), 0.95, 1e-6));
    assert_eq!(student_t_sf(0.0, 7.0), 0.5);
    assert!(near(student_t_sf(1.96, 1e6), 1.0 - normal_cdf(1.96), 1e-5));
    assert!(student_t_sf(1.0, 0.0).is_nan());
}

#[test]
fn deflated_sharpe_reproduces_the_papers_example() {
    // Bailey & López de Prado (2014), section "A numerical example": 100 trials whose
    // annualized Sharpe ratios have variance 0.5, 250 days a year, 1250 daily returns
    // with skewness −3 and kurtosis 10, an annualized Sharpe ratio of 2.5.
    let sr0 = expected_max_sharpe(100, 0.5 / 250.0);
    assert!(near(sr0, 0.1132, 5e-5), "SR0 {sr0}");
    let dsr = deflated_sharpe(2.5 / 250f64.sqrt(), sr0, 1250, -3.0, 10.0);
    assert!(near(dsr, 0.9004, 5e-4), "DSR {dsr}");
    // Degenerate cases.
    assert_eq!(expected_max_sharpe(1, 0.5), 0.0);
    assert_eq!(expected_max_sharpe(100, 0.0), 0.0);
    assert_eq!(deflated_sharpe(0.1, 0.0, 1, 0.0, 3.0), 0.0);
    // More trials raise the bar.
    assert!(expected_max_sharpe(10_000, 0.002) > expected_max_sharpe(100, 0.002));
}

/// An account with one trade per listed day: +p % of the capital on day `d`.
fn account(days: u32, trades: &[(i64, f64)]) -> CellStats {
    daily_account(days, trades)
}

#[test]
fn t_test_of_daily_returns_matches_a_plain_computation() {
    let trades = [(0, 1.0), (2, -0.5), (3, 2.0), (7, -1.0), (8, 0.5)];
    let st = account(10, &trades);
    // Daily returns by hand: the whole equity is staked, so each day returns p/100.
    let mut r = [0.0f64; 10];
    for (d, p) in trades {
        r[d as usize] = p / 100.0;
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = mean / (sd / n.sqrt());
    assert!(near(daily_t_stat(&st), t, 1e-12));
    assert!(near(daily_p_value(&st), student_t_sf(t, n - 1.0), 1e-12));
    assert!(near(daily_sharpe(&st), mean / sd, 1e-12));
    let m2 = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = r.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    let m4 = r.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    assert!(near(daily_skewness(&st), m3 / m2.powf(1.5), 1e-9));
    assert!(near(daily_kurtosis(&st), m4 / (m2 * m2), 1e-9));
    // Nothing to test: p = 1.
    assert_eq!(daily_p_value(&CellStats::new()), 1.0);
    assert!(daily_p_value(&account(5, &[(1, 1.0)])) < 1.0);
}

#[test]
fn chained_periods_equal_one_account_over_both() {
    let a = [(0, 3.0), (1, -2.0), (2, 1.0)];
    let b = [(0, -4.0), (1, 5.0), (2, -1.0)];
    let both: Vec<(i64, f64)> = a
        .iter()
        .copied()
        .chain(b.iter().map(|&(d, p)| (d + 5, p)))
        .collect();
    let whole = account(10, &both);
    let mut chained = account(5, &a);
    chained.chain(&account(5, &b));
    assert_eq!(chained.trades, whole.trades);
    assert_eq!(chained.days, whole.days);
    for (x, y) in [
        (chained.equity, whole.equity),
        (chained.peak, whole.peak),
        (chained.trough, whole.trough),
        (chained.max_drawdown, whole.max_drawdown),
        (chained.gross_profit, whole.gross_profit),
        (chained.gross_loss, whole.gross_loss),
        (chained.day_sum, whole.day_sum),
        (chained.day_sum_sq, whole.day_sum_sq),
        (chained.day_sum_qu, whole.day_sum_qu),
    ] {
        assert!(near(x, y, 1e-12), "{x} vs {y}");
    }
    // The largest fall spans the seam: from 1.03 (after +3 %) down through −2 %, +1 %,
    // then −4 % of the second period.
    let low = 1.03 * 0.98 * 1.01 * 0.96;
    assert!(near(
        max_drawdown(&whole),
        (1.03 - low) / 1.03 * 100.0,
        1e-9
    ));
    // Chaining the empty account changes nothing.
    let mut same = account(5, &a);
    same.chain(&CellStats::new());
    assert!(near(same.equity, account(5, &a).equity, 0.0));
}
