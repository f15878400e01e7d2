//! Where the walk-forward folds fall and what the verdict says at its boundaries, against
//! values worked out by hand.

use super::support::daily_account;
use phasebound_core::Error;
use phasebound_core::account::DAY_MS;
use phasebound_core::phase::{TimeRange, ValidationConfig, Verdict, pool, schedule, verdict};
use phasebound_core::stats::{CellStats, daily_p_value};

const T0: i64 = 1_704_067_200_000; // 2024-01-01T00:00Z
const BAR: i64 = 900_000;

#[test]
fn folds_fall_on_whole_days_after_the_initial_span() {
    // 90 days of 15m bars: [T0, T0 + 90 d − 15 min]. Half of 90 days is 45: the first
    // fold starts at T0 + 45 d (a midnight already); 45 days / 4 folds = 11 whole days;
    // the last fold takes the rest (12 days) up to the midnight after the last bar.
    let span = (T0, T0 + 90 * DAY_MS - BAR);
    let purge = 80 * BAR; // e.g. a 72-bar hold + an 8-bar horizon
    let folds = schedule(span, 0.5, 4, purge).unwrap();
    let starts = [45, 56, 67, 78];
    assert_eq!(folds.len(), 4);
    for (k, f) in folds.iter().enumerate() {
        assert_eq!(f.test.from, T0 + starts[k] * DAY_MS, "fold {k}");
        let to = if k == 3 {
            T0 + 90 * DAY_MS
        } else {
            T0 + starts[k + 1] * DAY_MS
        };
        assert_eq!(f.test.to, to, "fold {k}");
        // Trained on everything before the fold, minus the purge.
        assert_eq!(
            f.train,
            TimeRange {
                from: T0,
                to: f.test.from - purge
            },
            "fold {k}"
        );
    }
    // A start that is not a midnight rounds up to the next one: 0.7 of 90 days is
    // 63 days; of 90 days and 2 hours, 63 d 1 h 24 min → day 64.
    let f = schedule((T0, T0 + 90 * DAY_MS + 2 * 3_600_000 - 1), 0.7, 3, 0).unwrap();
    assert_eq!(f[0].test.from, T0 + 64 * DAY_MS);
    // The data end in day 90, so the folds end at day 91: (91 − 64) / 3 = 9 days each.
    assert_eq!(f[1].test.from, T0 + 73 * DAY_MS);
    assert_eq!(f[2].test.to, T0 + 91 * DAY_MS);
    // The folds partition the time after the first start: no signal in two folds.
    for w in folds.windows(2) {
        assert_eq!(w[0].test.to, w[1].test.from);
    }
}

#[test]
fn impossible_schedules_are_errors() {
    let span = (T0, T0 + 10 * DAY_MS - BAR);
    // 5 days after the initial span (the last ends a bar early): 5 folds of a day fit,
    // 6 do not.
    assert!(schedule(span, 0.5, 5, 0).is_ok());
    assert!(schedule(span, 0.5, 6, 0).is_err());
    // A purge as long as the initial span leaves nothing to train on.
    assert!(schedule(span, 0.5, 2, 5 * DAY_MS).is_err());
    assert!(schedule(span, 0.0, 2, 0).is_err());
    assert!(schedule(span, 1.0, 2, 0).is_err());
    assert!(schedule(span, 0.5, 0, 0).is_err());
    assert_eq!(
        schedule(span, 0.5, 13, 0),
        Err(Error::CapacityExceeded {
            what: "MAX_FOLDS",
            capacity: 12
        })
    );
}

/// An account with the given daily returns (in %), one trade a day (none for 0).
fn days(returns: &[f64]) -> CellStats {
    let trades: Vec<(i64, f64)> = (0..)
        .zip(returns.iter().copied())
        .filter(|&(_, p)| p != 0.0)
        .collect();
    daily_account(returns.len() as u32, &trades)
}

#[test]
fn verdict_at_its_boundaries() {
    let cfg = ValidationConfig {
        min_trades: 10,
        alpha: 0.05,
    };
    // A steady winner: 12 trades, clearly significant.
    let good = days(&[1.0, 0.5, 1.2, -0.2, 0.8, 1.0, 0.6, 0.9, -0.1, 1.1, 0.7, 0.4]);
    assert!(daily_p_value(&good) < 0.001);
    assert_eq!(
        verdict(&good, 3, 2, &cfg),
        (true, true, true, Verdict::Passed)
    );
    // Trades in exactly half of the periods are not "most": WARNING.
    assert_eq!(verdict(&good, 4, 2, &cfg).3, Verdict::Warning);
    // One trade short of the minimum: WARNING.
    let cfg13 = ValidationConfig {
        min_trades: 13,
        ..cfg
    };
    assert_eq!(
        verdict(&good, 3, 3, &cfg13),
        (false, true, true, Verdict::Warning)
    );
    // The p-value against alpha, on both sides of it.
    let p = daily_p_value(&good);
    let at = ValidationConfig { alpha: p, ..cfg };
    assert_eq!(
        verdict(&good, 3, 3, &at).3,
        Verdict::Warning,
        "p < alpha is strict"
    );
    let above = ValidationConfig {
        alpha: p * 1.000_001,
        ..cfg
    };
    assert_eq!(verdict(&good, 3, 3, &above).3, Verdict::Passed);
    // Positive but noisy: WARNING; a mean of exactly 0 or below: FAILED; no trades: FAILED.
    let noisy = days(&[
        3.0, -2.9, 2.5, -2.4, 0.1, -0.2, 2.0, -1.8, 1.0, -0.9, 0.5, 0.3,
    ]);
    assert!(noisy.day_sum > 0.0 && daily_p_value(&noisy) > 0.05);
    assert_eq!(verdict(&noisy, 3, 3, &cfg).3, Verdict::Warning);
    assert_eq!(
        verdict(&days(&[-0.5, 0.2, -0.1]), 1, 1, &cfg).3,
        Verdict::Failed
    );
    assert_eq!(verdict(&CellStats::new(), 3, 0, &cfg).3, Verdict::Failed);
}

#[test]
fn pooling_chains_the_folds_and_counts_those_with_trades() {
    let a = days(&[1.0, 0.5]);
    let b = CellStats {
        days: 3,
        ..CellStats::new()
    };
    let c = days(&[-0.5, 2.0]);
    let (pooled, with) = pool([&a, &b, &c]);
    assert_eq!(with, 2);
    assert_eq!(pooled.trades, 4);
    assert_eq!(pooled.days, 7);
    let want = 1.01 * 1.005 * 0.995 * 1.02;
    assert!((pooled.equity - want).abs() < 1e-12);
}
