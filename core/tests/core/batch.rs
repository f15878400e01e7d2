//! The engine's faster ways of doing the same thing give the same bits:
//! - cell-blocked evaluation (entries folded into the accounts a batch at a time, cell
//!   after cell) against the entry-by-entry loop an outcome-watching observer gets, at
//!   batch depths 0, 1, 2 and 4, with observers switching mid-pass, on random markets with
//!   gaps, entry filters and every stake rule;
//! - a trade's profit with a power-of-two `max_open_trades` (multiplied by the exact
//!   inverse) against the plain division;
//! - the drawdown, which divides only when the fall can beat the record, against a plain
//!   running maximum of `(peak − equity) / peak`.

use super::portfolio::{gappy_market, grid, spec};
use super::support::{VecSource, unit};
use phasebound_core::account::{AccountSpec, Stake};
use phasebound_core::engine::{EntryEvent, FixedLanes, Observer, Workspace};
use phasebound_core::phase::BarSource;
use phasebound_core::plan::{CellDef, PassPlan, ProfileSpec};
use phasebound_core::stats::CellStats;
use phasebound_core::{Bar, EntryTiming, ExitParams, TradeOutcome, Trailing};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Watches every outcome: the engine evaluates entry by entry.
#[derive(Default)]
struct Watch {
    outcomes: u64,
}

impl Observer for Watch {
    fn outcome(&mut self, _cell: usize, _outcome: &TradeOutcome) {
        self.outcomes += 1;
    }
}

/// Wants no outcomes: the engine may batch. Counts what it is shown anyway.
#[derive(Default)]
struct Blind {
    entries: u64,
    outcomes: u64,
}

impl Observer for Blind {
    fn entry(&mut self, _event: &EntryEvent) {
        self.entries += 1;
    }
    fn outcome(&mut self, _cell: usize, _outcome: &TradeOutcome) {
        self.outcomes += 1;
    }
    fn wants_outcomes(&self) -> bool {
        false
    }
}

/// Who watches the pass.
#[derive(Clone, Copy, Debug)]
enum Watcher {
    Watch,
    Blind,
    /// Blind and watching in turns of this many bars.
    Alternate(usize),
}

/// One pass over `series` in a workspace of `C` cells and batch depth `B`; the accounts
/// and the outcomes the observers were shown.
fn pass<const C: usize, const B: usize>(
    series: &[Vec<Bar>],
    spec: &ProfileSpec,
    cells: &[CellDef],
    watcher: Watcher,
) -> (Vec<CellStats>, u64) {
    let mut plan: PassPlan<'_, C> = PassPlan::new(spec, i64::MIN, i64::MAX).unwrap();
    for c in cells {
        plan.push_cell(*c).unwrap();
    }
    plan.finalize().unwrap();
    let mut ws: Box<Workspace<256, C, FixedLanes<4, 256>, B>> = Box::new(Workspace::new());
    let mut src = VecSource::new(series.to_vec(), 15);
    ws.begin(&plan, src.symbols(), 15).unwrap();
    let (mut watch, mut blind) = (Watch::default(), Blind::default());
    let mut n = 0usize;
    src.replay(&mut |symbol, bar| {
        n += 1;
        let watching = match watcher {
            Watcher::Watch => true,
            Watcher::Blind => false,
            Watcher::Alternate(k) => (n / k) % 2 == 1,
        };
        if watching {
            ws.push_observed(&plan, symbol, bar, &mut watch)
        } else {
            ws.push_observed(&plan, symbol, bar, &mut blind)
        }
    })
    .unwrap();
    match watcher {
        Watcher::Watch => ws.finish_observed(&plan, &mut watch),
        _ => ws.finish_observed(&plan, &mut blind),
    }
    .unwrap();
    (
        ws.stats(cells.len()).to_vec(),
        watch.outcomes + blind.outcomes,
    )
}

fn assert_same(got: &[CellStats], want: &[CellStats], what: &str) {
    assert_eq!(got.len(), want.len());
    for (c, (g, w)) in got.iter().zip(want).enumerate() {
        // Debug prints every f64 exactly (shortest round trip), so equal text is equal bits.
        assert_eq!(
            format!("{g:?}"),
            format!("{w:?}"),
            "{what}: cell {c} differs"
        );
    }
}

#[test]
fn batched_accounts_equal_the_entry_by_entry_accounts() {
    let cells = grid();
    for (seed, one_position, mot, stake, timing) in [
        (21u64, true, 3u8, Stake::Compounding, EntryTiming::NextOpen),
        (22, false, 16, Stake::Fixed, EntryTiming::SignalClose),
        (23, false, 4, Stake::Compounding, EntryTiming::SignalClose),
        (24, true, 5, Stake::Fixed, EntryTiming::NextOpen),
    ] {
        let series = gappy_market(seed, 4, 2500);
        let spec = spec(one_position, mot, stake, timing);
        let (want, outcomes) = pass::<256, 4>(&series, &spec, &cells, Watcher::Watch);
        let trades: u64 = want.iter().map(|s| u64::from(s.trades)).sum();
        let skipped: u64 = want.iter().map(|s| u64::from(s.skipped)).sum();
        assert!(
            trades > 1000 && skipped > 0,
            "seed {seed}: {trades} trades, {skipped} skipped"
        );
        assert_eq!(outcomes, trades, "every trade shown once when watched");
        let what = format!("seed {seed}");
        let (got, shown) = pass::<256, 4>(&series, &spec, &cells, Watcher::Blind);
        assert_same(&got, &want, &format!("{what}, depth 4"));
        assert_eq!(shown, 0, "a batched pass calls no outcome()");
        assert_same(
            &pass::<256, 2>(&series, &spec, &cells, Watcher::Blind).0,
            &want,
            &format!("{what}, depth 2"),
        );
        assert_same(
            &pass::<256, 1>(&series, &spec, &cells, Watcher::Blind).0,
            &want,
            &format!("{what}, depth 1"),
        );
        assert_same(
            &pass::<256, 0>(&series, &spec, &cells, Watcher::Blind).0,
            &want,
            &format!("{what}, depth 0"),
        );
        for k in [1, 37, 500] {
            let (got, shown) = pass::<256, 4>(&series, &spec, &cells, Watcher::Alternate(k));
            assert_same(
                &got,
                &want,
                &format!("{what}, observers alternating every {k} bars"),
            );
            assert!(
                shown > 0 && shown < trades,
                "{what}: alternating shows some outcomes"
            );
        }
    }
}

/// 64 cells, each its own exit group and its own hold: 128 records per entry.
fn wide_grid() -> Vec<CellDef> {
    let mut v = Vec::new();
    for (i, tp) in [0.8, 1.0, 1.3, 1.7, 2.0, 2.6, 3.1, 4.0]
        .into_iter()
        .enumerate()
    {
        for (j, sl) in [0.6, 1.0, 1.5, 2.2].into_iter().enumerate() {
            for (k, trailing) in [
                None,
                Some(Trailing {
                    activation: 1.2,
                    distance: 0.6,
                }),
            ]
            .into_iter()
            .enumerate()
            {
                v.push(CellDef {
                    group: 0,
                    min_score: 0.0,
                    min_consensus: 0,
                    exit: ExitParams {
                        tp,
                        sl,
                        hold: 2 + (i * 8 + j * 2 + k) as u16,
                        trailing,
                    },
                });
            }
        }
    }
    v
}

#[test]
fn a_pass_too_wide_for_its_batch_evaluates_entry_by_entry() {
    let cells = wide_grid();
    assert_eq!(cells.len(), 64);
    let series = gappy_market(31, 3, 2500);
    let spec = spec(false, 3, Stake::Compounding, EntryTiming::NextOpen);
    let (want, _) = pass::<64, 4>(&series, &spec, &cells, Watcher::Watch);
    assert!(want.iter().all(|s| s.trades > 50), "every cell trades");
    // Depth 1: 64 record slots < 128 records: no batch, and the outcomes are shown.
    let (got, shown) = pass::<64, 1>(&series, &spec, &cells, Watcher::Blind);
    assert_same(&got, &want, "depth 1 (no batch)");
    assert!(shown > 0, "without a batch the outcomes are shown");
    // Depth 2: batches of one entry.
    let (got, shown) = pass::<64, 2>(&series, &spec, &cells, Watcher::Blind);
    assert_same(&got, &want, "depth 2 (batches of 1)");
    assert_eq!(shown, 0);
    let (got, _) = pass::<64, 4>(&series, &spec, &cells, Watcher::Blind);
    assert_same(&got, &want, "depth 4 (batches of 2)");
}

#[test]
fn a_power_of_two_stake_gives_the_bits_of_the_division() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut checked = 0;
    for n in 1..=16u8 {
        for stake in [Stake::Compounding, Stake::Fixed] {
            let spec = AccountSpec {
                max_open_trades: n,
                stake,
                one_position_per_symbol: false,
            };
            for i in 0..5000 {
                let equity = match i % 4 {
                    0 => unit(&mut rng) * 3.0,
                    1 => f64::from_bits(rng.next_u64() >> 2), // any magnitude, subnormals too
                    2 => 1.0,
                    _ => unit(&mut rng) * 1e-300,
                };
                let profit = (unit(&mut rng) - 0.5) * 40.0;
                let base = if stake == Stake::Fixed { 1.0 } else { equity };
                let plain = base / f64::from(n) * profit / 100.0;
                let got = spec.pnl(equity, profit);
                assert_eq!(
                    got.to_bits(),
                    plain.to_bits(),
                    "n {n} equity {equity:e} profit {profit}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 16 * 2 * 5000);
}

#[test]
fn the_drawdown_divides_only_when_the_fall_can_beat_the_record() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut records = 0u32;
    for run in 0..400 {
        let mut st = CellStats::new();
        let (mut equity, mut peak, mut worst) = (1.0f64, 1.0f64, 0.0f64);
        // A few distinct step sizes, so equal and nearly equal falls recur.
        let steps: Vec<f64> = (0..4).map(|_| (unit(&mut rng) - 0.5) * 0.05).collect();
        for k in 0..300 {
            let pnl = if run % 2 == 0 {
                steps[(rng.next_u64() % 4) as usize]
            } else {
                (unit(&mut rng) - 0.52) * 0.03 * f64::from(k % 7 + 1)
            };
            st.realize(pnl);
            // The plain rule: the same equity, then every fall divided out.
            equity += pnl;
            if equity <= 0.0 || equity.is_nan() {
                equity = 0.0;
            }
            if equity >= peak {
                peak = equity;
            } else {
                let fall = (peak - equity) / peak;
                if fall > worst {
                    worst = fall;
                    records += 1;
                }
            }
            assert_eq!(st.equity.to_bits(), equity.to_bits());
            assert_eq!(
                st.max_drawdown.to_bits(),
                worst.to_bits(),
                "run {run} step {k}"
            );
        }
    }
    assert!(records > 1000, "new drawdown records: {records}");
}
