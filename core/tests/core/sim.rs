//! Known answers of the reference simulator, worked out by hand, for every exit reason and
//! rule; each case also runs the first-passage evaluator on a one-cell grid (it must agree)
//! and the mirrored short trade (prices reflected through the entry price, same profit).
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use phasebound_core::first_passage::{ExitGrid, FixedHitTable};
use phasebound_core::sim::simulate;
use phasebound_core::{Direction, Entry, ExitParams, ExitReason, Ohlc, TradeOutcome, Trailing};

const COST: f64 = 0.14;

fn bar(open: f64, high: f64, low: f64, close: f64) -> Ohlc {
    Ohlc::new(open, high, low, close)
}

/// Reflects prices through `e` (high and low swap): a long trade's mirror image as a short.
fn mirror(window: &[Ohlc], e: f64) -> Vec<Ohlc> {
    let r = |p: f64| 2.0 * e - p;
    window
        .iter()
        .map(|b| bar(r(b.open), r(b.low), r(b.high), r(b.close)))
        .collect()
}

/// Both simulators on one cell; they must agree bit for bit.
fn run(entry: &Entry, window: &[Ohlc], exit: &ExitParams, cost: f64) -> Option<TradeOutcome> {
    let reference = simulate(entry, window, exit, cost);
    let trailing: Vec<Trailing> = exit.trailing.into_iter().collect();
    let grid = ExitGrid::from_levels(&[exit.tp], &[exit.sl], &trailing).unwrap();
    let mut table = FixedHitTable::<64>::new();
    table.scan(&grid, entry, window).unwrap();
    let cell = grid.cell(exit).unwrap();
    let fast = table.outcome(&grid, entry, window, cell, cost);
    assert_eq!(
        format!("{reference:?}"),
        format!("{fast:?}"),
        "first passage disagrees"
    );
    reference
}

struct Expect {
    index: u16,
    price: f64,
    reason: ExitReason,
    ambiguous: bool,
    profit: f64,
}

fn check(got: Option<TradeOutcome>, want: &Expect) {
    let got = got.unwrap();
    assert_eq!(got.exit_index, want.index, "{got:?}");
    assert_eq!(got.exit_price, want.price, "{got:?}");
    assert_eq!(got.reason, want.reason, "{got:?}");
    assert_eq!(got.ambiguous, want.ambiguous, "{got:?}");
    assert!(
        (got.profit_pct - want.profit).abs() < 1e-9,
        "{got:?}, want profit {}",
        want.profit
    );
}

/// Long at `e` (ATR 2) on `window`, then the mirrored short at `e`.
fn long_and_short(e: f64, window: &[Ohlc], exit: ExitParams, cost: f64, want: Expect) {
    let long = Entry {
        direction: Direction::Long,
        price: e,
        atr: 2.0,
    };
    check(run(&long, window, &exit, cost), &want);
    let short = Entry {
        direction: Direction::Short,
        price: e,
        atr: 2.0,
    };
    let mirrored = Expect {
        price: 2.0 * e - want.price,
        ..want
    };
    check(run(&short, &mirror(window, e), &exit, cost), &mirrored);
}

/// TP = 104, SL = 98 for a long at 100 with ATR 2.
fn exits(hold: u16) -> ExitParams {
    ExitParams {
        tp: 2.0,
        sl: 1.0,
        hold,
        trailing: None,
    }
}

fn quiet() -> Ohlc {
    bar(100.0, 101.0, 99.0, 100.5)
}

#[test]
fn take_profit_inside_a_bar() {
    let w = [
        bar(100.0, 103.0, 99.0, 102.0),
        bar(102.0, 105.0, 101.0, 104.0),
    ];
    let want = Expect {
        index: 1,
        price: 104.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 3.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn stop_loss_inside_a_bar() {
    let w = [bar(100.0, 101.0, 97.0, 98.0)];
    let want = Expect {
        index: 0,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn exact_touches_fill_at_the_level() {
    let w = [quiet(), bar(100.0, 103.5, 98.0, 99.0)];
    let want = Expect {
        index: 1,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
    let w = [quiet(), bar(100.0, 104.0, 98.5, 103.0)];
    let want = Expect {
        index: 1,
        price: 104.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 3.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn gap_through_the_stop_fills_at_the_open() {
    let w = [quiet(), bar(95.0, 96.0, 94.0, 95.5)];
    let want = Expect {
        index: 1,
        price: 95.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -5.14,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn gap_through_the_target_fills_at_the_open() {
    let w = [quiet(), bar(106.0, 107.0, 105.5, 106.5)];
    let want = Expect {
        index: 1,
        price: 106.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 5.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn open_exactly_at_a_level_is_a_gap_fill() {
    // Opens on the stop, then also trades through the target: the open decides, no ambiguity.
    let w = [quiet(), bar(98.0, 105.0, 97.0, 104.0)];
    let want = Expect {
        index: 1,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
    // Opens on the target, then also trades through the stop: the target at the open wins.
    let w = [quiet(), bar(104.0, 105.0, 97.0, 99.0)];
    let want = Expect {
        index: 1,
        price: 104.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 3.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn a_bar_touching_both_levels_takes_the_stop_and_is_ambiguous() {
    let w = [quiet(), bar(100.0, 104.5, 97.5, 101.0)];
    let want = Expect {
        index: 1,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: true,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn trailing_stop_ratchets_and_never_loosens() {
    // TP 120, SL 98; trailing arms at best >= 102 and trails 3 below the best.
    let exit = ExitParams {
        tp: 10.0,
        sl: 1.0,
        hold: 10,
        trailing: Some(Trailing {
            activation: 1.0,
            distance: 1.5,
        }),
    };
    let w = [
        bar(100.0, 103.0, 99.5, 102.5),  // best 103, stop -> 100
        bar(102.5, 106.0, 101.0, 105.0), // low 101 > 100; best 106, stop -> 103
        bar(105.0, 105.5, 103.5, 104.0), // low 103.5 > 103; best stays 106, stop stays 103
        bar(104.0, 104.5, 102.5, 103.0), // low 102.5 <= 103: out at 103
    ];
    let want = Expect {
        index: 3,
        price: 103.0,
        reason: ExitReason::Trailing,
        ambiguous: false,
        profit: 2.86,
    };
    long_and_short(100.0, &w, exit, COST, want);
}

#[test]
fn trailing_stop_applies_from_the_next_bar_and_gaps_fill_at_the_open() {
    let exit = ExitParams {
        tp: 10.0,
        sl: 1.0,
        hold: 10,
        trailing: Some(Trailing {
            activation: 1.0,
            distance: 0.5,
        }),
    };
    // Bar 0 arms the stop at 103 but its own low (99) does not count against it; bar 1
    // opens below 103.
    let w = [
        bar(100.0, 104.0, 99.0, 100.0),
        bar(100.5, 101.0, 100.0, 100.5),
    ];
    let want = Expect {
        index: 1,
        price: 100.5,
        reason: ExitReason::Trailing,
        ambiguous: false,
        profit: 0.36,
    };
    long_and_short(100.0, &w, exit, COST, want);
}

#[test]
fn trailing_level_not_above_the_stop_loss_reports_stop_loss() {
    // Armed at 101.5 but 6 behind: 95.5 < SL 98, the stop stays the stop-loss.
    let exit = ExitParams {
        tp: 10.0,
        sl: 1.0,
        hold: 10,
        trailing: Some(Trailing {
            activation: 0.5,
            distance: 3.0,
        }),
    };
    let w = [bar(100.0, 101.5, 99.0, 100.0), bar(99.0, 99.5, 97.0, 97.5)];
    let want = Expect {
        index: 1,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exit, COST, want);
    // Trail level exactly equal to the stop-loss (102 - 4 = 98): not strictly tighter.
    let exit = ExitParams {
        trailing: Some(Trailing {
            activation: 0.5,
            distance: 2.0,
        }),
        ..exit
    };
    let w = [
        bar(100.0, 102.0, 99.0, 101.0),
        bar(100.0, 100.5, 97.5, 98.0),
    ];
    let want = Expect {
        index: 1,
        price: 98.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.14,
    };
    long_and_short(100.0, &w, exit, COST, want);
}

#[test]
fn time_exit_at_the_close_of_the_last_held_bar() {
    let w = [quiet(), quiet(), bar(100.0, 101.0, 99.0, 100.75), quiet()];
    let want = Expect {
        index: 2,
        price: 100.75,
        reason: ExitReason::Time,
        ambiguous: false,
        profit: 0.61,
    };
    long_and_short(100.0, &w, exits(3), COST, want);
    // hold equal to the window length is a time exit, not a truncation.
    let w = [quiet(), quiet(), bar(100.0, 101.0, 99.0, 100.75)];
    let want = Expect {
        index: 2,
        price: 100.75,
        reason: ExitReason::Time,
        ambiguous: false,
        profit: 0.61,
    };
    long_and_short(100.0, &w, exits(3), COST, want);
    // A level hit after the holding time does not count.
    let w = [
        quiet(),
        bar(100.0, 101.0, 99.0, 99.5),
        bar(100.0, 110.0, 90.0, 100.0),
    ];
    let want = Expect {
        index: 1,
        price: 99.5,
        reason: ExitReason::Time,
        ambiguous: false,
        profit: -0.64,
    };
    long_and_short(100.0, &w, exits(2), COST, want);
}

#[test]
fn data_ending_before_the_holding_time_truncates() {
    let w = [quiet(), quiet(), bar(100.0, 101.0, 99.0, 99.25)];
    let want = Expect {
        index: 2,
        price: 99.25,
        reason: ExitReason::Truncated,
        ambiguous: false,
        profit: -0.89,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn signal_close_entry_with_a_gap_on_the_first_bar() {
    // Entry at the signal bar's close (100); the next bar opens through a level.
    let w = [bar(97.5, 99.0, 97.0, 98.5)];
    let want = Expect {
        index: 0,
        price: 97.5,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -2.64,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
    let w = [bar(105.0, 106.0, 104.5, 105.5)];
    let want = Expect {
        index: 0,
        price: 105.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 4.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
    // A gap that stays between the levels changes nothing: the levels stay anchored at E.
    let w = [
        bar(101.5, 103.5, 101.0, 103.0),
        bar(103.0, 104.25, 102.0, 104.0),
    ];
    let want = Expect {
        index: 1,
        price: 104.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 3.86,
    };
    long_and_short(100.0, &w, exits(10), COST, want);
}

#[test]
fn cost_is_subtracted_once_per_round_trip() {
    let w = [bar(100.0, 105.0, 99.0, 104.0)];
    for (cost, profit) in [(0.0, 4.0), (0.3, 3.7), (1.0, 3.0)] {
        let want = Expect {
            index: 0,
            price: 104.0,
            reason: ExitReason::TakeProfit,
            ambiguous: false,
            profit,
        };
        long_and_short(100.0, &w, exits(10), cost, want);
    }
}

#[test]
fn profit_is_relative_to_the_entry_price() {
    // E = 50, ATR 2: TP 54 is +8 %, SL 48 is -4 %.
    let w = [bar(50.0, 54.5, 49.0, 54.0)];
    let want = Expect {
        index: 0,
        price: 54.0,
        reason: ExitReason::TakeProfit,
        ambiguous: false,
        profit: 7.86,
    };
    long_and_short(50.0, &w, exits(10), COST, want);
    let w = [bar(50.0, 51.0, 47.0, 48.0)];
    let want = Expect {
        index: 0,
        price: 48.0,
        reason: ExitReason::StopLoss,
        ambiguous: false,
        profit: -4.14,
    };
    long_and_short(50.0, &w, exits(10), COST, want);
}

#[test]
fn invalid_parameters_and_empty_windows_give_none() {
    let entry = Entry {
        direction: Direction::Long,
        price: 100.0,
        atr: 2.0,
    };
    let w = [quiet()];
    let ok = exits(5);
    assert!(simulate(&entry, &w, &ok, COST).is_some());
    assert!(simulate(&entry, &[], &ok, COST).is_none());
    let t = |activation, distance| {
        Some(Trailing {
            activation,
            distance,
        })
    };
    let bad_exits = [
        ExitParams { hold: 0, ..ok },
        ExitParams { tp: 0.0, ..ok },
        ExitParams { tp: -1.0, ..ok },
        ExitParams { tp: f64::NAN, ..ok },
        ExitParams {
            tp: f64::INFINITY,
            ..ok
        },
        ExitParams { sl: 0.0, ..ok },
        ExitParams { sl: -2.0, ..ok },
        ExitParams { sl: f64::NAN, ..ok },
        ExitParams {
            trailing: t(-0.5, 1.0),
            ..ok
        },
        ExitParams {
            trailing: t(f64::NAN, 1.0),
            ..ok
        },
        ExitParams {
            trailing: t(1.0, 0.0),
            ..ok
        },
        ExitParams {
            trailing: t(1.0, f64::INFINITY),
            ..ok
        },
    ];
    for exit in bad_exits {
        assert!(simulate(&entry, &w, &exit, COST).is_none(), "{exit:?}");
    }
    let bad_entries = [
        Entry {
            price: 0.0,
            ..entry
        },
        Entry {
            price: -1.0,
            ..entry
        },
        Entry {
            price: f64::NAN,
            ..entry
        },
        Entry { atr: 0.0, ..entry },
        Entry {
            atr: f64::INFINITY,
            ..entry
        },
    ];
    for e in bad_entries {
        assert!(simulate(&e, &w, &ok, COST).is_none(), "{e:?}");
    }
    for cost in [f64::NAN, -0.01, f64::INFINITY] {
        assert!(simulate(&entry, &w, &ok, cost).is_none(), "{cost}");
    }
    // Activation 0 is valid: it arms after the first bar.
    assert!(
        simulate(
            &entry,
            &w,
            &ExitParams {
                trailing: t(0.0, 1.0),
                ..ok
            },
            COST
        )
        .is_some()
    );
}

#[test]
fn garbage_bars_do_not_panic() {
    let entry = Entry {
        direction: Direction::Short,
        price: 100.0,
        atr: 2.0,
    };
    let exit = ExitParams {
        trailing: Some(Trailing {
            activation: 0.0,
            distance: 0.5,
        }),
        ..exits(u16::MAX)
    };
    let w = [
        bar(f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        bar(100.0, 90.0, 110.0, -5.0),
        bar(f64::INFINITY, f64::NEG_INFINITY, 0.0, 1e308),
    ];
    let _ = simulate(&entry, &w, &exit, COST);
    let grid = ExitGrid::from_levels(
        &[2.0],
        &[1.0],
        &[Trailing {
            activation: 0.0,
            distance: 0.5,
        }],
    )
    .unwrap();
    let mut table = FixedHitTable::<4>::new();
    table.scan(&grid, &entry, &w).unwrap();
    let cell = grid.cell(&exit).unwrap();
    let _ = table.outcome(&grid, &entry, &w, cell, COST);
}

/// The arming rule of DESIGN, `best - E >= activation·A`, against the other way to write
/// it, `best >= E + activation·A`: they disagree within an ulp of the level. Long at
/// `E = 100`, `A = 1.1`, activation 1 (`activation·A = 1.1`), distance 0.5 (0.55 behind the
/// best), TP 111, SL 98.9, hold 3; the first bar's high is `101.1`:
/// `101.1 - 100 = 1.0999999999999943 < 1.1` (not armed) although `101.1 >= 100 + 1.1 = 101.1`.
/// Armed, the stop would go to `101.1 - 0.55` and bar 1 (low 100.4) would exit there
/// (+0.41 %); not armed, the trade runs to the time exit at 100.83 (+0.69 %). One ulp
/// higher (`101.10000000000001 - 100 = 1.1000000000000085`) arms it.
#[test]
fn trailing_arms_on_the_excursion_not_on_the_level() {
    let (e, a) = (100.0, 1.1);
    let t = Trailing {
        activation: 1.0,
        distance: 0.5,
    };
    let exit = ExitParams {
        tp: 10.0,
        sl: 1.0,
        hold: 3,
        trailing: Some(t),
    };
    let move_ = t.activation * a;
    assert_eq!(move_, 1.1);

    // Long.
    let high = 101.1;
    assert!(high >= e + move_, "the level form would arm");
    assert!(high - e < move_, "the excursion form does not");
    assert_eq!(high - e, 1.099_999_999_999_994_3);
    assert!(!t.armed(Direction::Long, e, a, high));
    let long = Entry {
        direction: Direction::Long,
        price: e,
        atr: a,
    };
    let window = |high: f64| {
        [
            bar(100.0, high, 99.5, 100.8),
            bar(100.8, 101.0, 100.4, 100.7),
            bar(100.7, 100.9, 100.5, 100.83),
        ]
    };
    let want = Expect {
        index: 2,
        price: 100.83,
        reason: ExitReason::Time,
        ambiguous: false,
        profit: 0.69,
    };
    check(run(&long, &window(high), &exit, COST), &want);
    let up = high.next_up();
    assert!(up - e >= move_ && t.armed(Direction::Long, e, a, up));
    let want = Expect {
        index: 1,
        price: up - 0.5 * a,
        reason: ExitReason::Trailing,
        ambiguous: false,
        profit: 0.41,
    };
    check(run(&long, &window(up), &exit, COST), &want);

    // Short: low 98.9, `100 - 98.9 = 1.0999999999999943 < 1.1` although `98.9 <= 100 - 1.1`.
    let low = 98.9;
    assert!(low <= e - move_, "the level form would arm");
    assert!(e - low < move_, "the excursion form does not");
    assert_eq!(e - low, 1.099_999_999_999_994_3);
    assert!(!t.armed(Direction::Short, e, a, low));
    let short = Entry {
        direction: Direction::Short,
        price: e,
        atr: a,
    };
    let window = |low: f64| {
        [
            bar(100.0, 100.5, low, 99.2),
            bar(99.2, 99.6, 99.0, 99.3),
            bar(99.3, 99.5, 99.1, 99.17),
        ]
    };
    let want = Expect {
        index: 2,
        price: 99.17,
        reason: ExitReason::Time,
        ambiguous: false,
        profit: 0.69,
    };
    check(run(&short, &window(low), &exit, COST), &want);
    let down = low.next_down();
    assert!(e - down >= move_ && t.armed(Direction::Short, e, a, down));
    let want = Expect {
        index: 1,
        price: down + 0.5 * a,
        reason: ExitReason::Trailing,
        ambiguous: false,
        profit: 0.41,
    };
    check(run(&short, &window(down), &exit, COST), &want);
}
