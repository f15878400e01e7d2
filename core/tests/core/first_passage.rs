//! The first-passage evaluator against the reference simulator on seeded random data
//! (bit-identical outcomes, with proof that every rule was exercised), plus the grid
//! builder and the error paths.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use phasebound_core::first_passage::{CellExit, ExitGrid, FixedHitTable, HitTable};
use phasebound_core::sim::simulate;
use phasebound_core::{
    Bar, Direction, Entry, Error, ExitParams, ExitReason, Ohlc, TradeOutcome, Trailing,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const H: usize = 128;
const COST: f64 = 0.14;

struct Gen(Xoshiro256PlusPlus);

impl Gen {
    fn new(seed: u64) -> Self {
        Self(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn sign(&mut self) -> f64 {
        if self.chance(0.5) { 1.0 } else { -1.0 }
    }
}

/// One random entry: its window, a grid of levels and the holds to try.
struct Case {
    entry: Entry,
    window: Vec<Ohlc>,
    grid: ExitGrid,
    holds: Vec<u16>,
    signal_close: bool,
}

/// Random-walk bars with occasional gaps. With `tick`, every price, the ATR and every
/// multiplier sit on a binary grid, so levels such as `E + k·A` are hit exactly.
fn gen_case(g: &mut Gen) -> Case {
    loop {
        let tick = if g.chance(0.5) { Some(0.125) } else { None };
        let snap = |x: f64| match tick {
            Some(t) => (x / t).round() * t,
            None => x,
        };
        let atr = match tick {
            Some(_) => [0.5, 1.0, 2.0][g.below(3) as usize],
            None => g.range(0.3, 3.0),
        };
        let len = if g.chance(0.05) {
            H
        } else {
            1 + g.below(100) as usize
        };
        let signal_close = snap(g.range(60.0, 140.0));
        let mut open = signal_close;
        if g.chance(0.3) {
            open = snap(signal_close + g.sign() * atr * g.range(0.2, 5.0));
        }
        let mut window = Vec::with_capacity(len);
        for i in 0..len {
            if i > 0 && g.chance(0.08) {
                open = snap(open + g.sign() * atr * g.range(0.5, 5.0));
            }
            let close = snap(open + atr * g.range(-1.2, 1.2));
            let high = snap(open.max(close) + atr * g.unit() * g.unit() * 1.5);
            let low = snap(open.min(close) - atr * g.unit() * g.unit() * 1.5);
            window.push(Ohlc::new(open, high, low, close));
            open = close;
        }
        let valid = window.iter().enumerate().all(|(i, b)| {
            let bar = Bar {
                time: i as i64,
                open: b.open,
                high: b.high,
                low: b.low,
                close: b.close,
                volume: 1.0,
            };
            bar.validate(None).is_ok()
        });
        if !valid {
            continue; // the walk went non-positive; rare
        }
        let direction = if g.chance(0.5) {
            Direction::Long
        } else {
            Direction::Short
        };
        let use_signal_close = g.chance(0.5);
        let price = if use_signal_close {
            signal_close
        } else {
            window[0].open
        };
        let entry = Entry {
            direction,
            price,
            atr,
        };

        let level = |g: &mut Gen, lo: f64, hi: f64| match tick {
            Some(_) => 0.25 * (lo / 0.25 + g.below(((hi - lo) / 0.25) as u64 + 1) as f64),
            None => g.range(lo, hi),
        };
        let mut grid = ExitGrid::new();
        for _ in 0..1 + g.below(6) {
            grid.add_tp(level(g, 0.25, 5.0)).unwrap();
        }
        for _ in 0..1 + g.below(5) {
            grid.add_sl(level(g, 0.25, 4.0)).unwrap();
        }
        // Few distinct activations so that pairs share one (the resumed walk).
        let activations = [
            level(g, 0.0, 3.0),
            if g.chance(0.2) {
                0.0
            } else {
                level(g, 0.0, 3.0)
            },
        ];
        for _ in 0..g.below(6) {
            let activation = activations[g.below(2) as usize];
            let distance = level(g, 0.25, 3.0);
            grid.add_trailing(Trailing {
                activation,
                distance,
            })
            .unwrap();
        }
        let mut holds: Vec<u16> = (0..1 + g.below(4))
            .map(|_| match g.below(5) {
                0 => 1,
                1 => len as u16,
                2 => len as u16 + 1 + g.below(20) as u16,
                3 => 1000,
                _ => 1 + g.below(len as u64 + 5) as u16,
            })
            .collect();
        holds.sort_unstable();
        holds.dedup();
        return Case {
            entry,
            window,
            grid,
            holds,
            signal_close: use_signal_close,
        };
    }
}

fn identical(a: &Option<TradeOutcome>, b: &Option<TradeOutcome>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.exit_index == y.exit_index
                && x.reason == y.reason
                && x.ambiguous == y.ambiguous
                && x.exit_price.to_bits() == y.exit_price.to_bits()
                && x.profit_pct.to_bits() == y.profit_pct.to_bits()
        }
        _ => false,
    }
}

fn cells(grid: &ExitGrid, holds: &[u16]) -> Vec<CellExit> {
    let mut out = Vec::new();
    let trailing = core::iter::once(None).chain((0..grid.trailing().len()).map(|t| Some(t as u8)));
    for t in trailing {
        for tp in 0..grid.tp_levels().len() {
            for sl in 0..grid.sl_levels().len() {
                for &hold in holds {
                    out.push(CellExit {
                        tp: tp as u8,
                        sl: sl as u8,
                        hold,
                        trailing: t,
                    });
                }
            }
        }
    }
    out
}

/// What the sample exercised; every entry must end up non-zero.
#[derive(Debug, Default)]
struct Coverage {
    reasons: [usize; ExitReason::COUNT],
    ambiguous: usize,
    stop_loss_gap: usize,
    take_profit_gap: usize,
    trailing_at_open: usize,
    trailing_intrabar: usize,
    exact_trailing_touch: usize,
    exact_stop_touch: usize,
    exact_target_touch: usize,
    signal_close_gap_on_first_bar: usize,
    short: usize,
    long: usize,
}

impl Coverage {
    fn count(&mut self, case: &Case, params: &ExitParams, o: &TradeOutcome) {
        let dir = case.entry.direction;
        let (e, a) = (case.entry.price, case.entry.atr);
        let bar = case.window[usize::from(o.exit_index)];
        self.reasons[o.reason.index()] += 1;
        self.ambiguous += usize::from(o.ambiguous);
        match dir {
            Direction::Long => self.long += 1,
            Direction::Short => self.short += 1,
        }
        let sl_level = dir.adverse(e, params.sl, a);
        let tp_level = dir.favourable(e, params.tp, a);
        // "Strictly beyond" written out per direction, independently of the helpers.
        let worse = |x: f64, y: f64| if dir == Direction::Long { x < y } else { x > y };
        match o.reason {
            ExitReason::StopLoss => {
                self.stop_loss_gap += usize::from(worse(o.exit_price, sl_level));
                let extreme = if dir == Direction::Long {
                    bar.low
                } else {
                    bar.high
                };
                self.exact_stop_touch +=
                    usize::from(extreme == sl_level && o.exit_price == sl_level);
            }
            ExitReason::TakeProfit => {
                self.take_profit_gap += usize::from(worse(tp_level, o.exit_price));
                let extreme = if dir == Direction::Long {
                    bar.high
                } else {
                    bar.low
                };
                self.exact_target_touch +=
                    usize::from(extreme == tp_level && o.exit_price == tp_level);
            }
            ExitReason::Trailing => {
                if o.exit_price == bar.open {
                    self.trailing_at_open += 1;
                } else {
                    self.trailing_intrabar += 1;
                    let extreme = if dir == Direction::Long {
                        bar.low
                    } else {
                        bar.high
                    };
                    self.exact_trailing_touch += usize::from(extreme == o.exit_price);
                }
            }
            ExitReason::Time | ExitReason::Truncated => {}
        }
        if case.signal_close
            && o.exit_index == 0
            && bar.open != e
            && o.exit_price == bar.open
            && matches!(o.reason, ExitReason::StopLoss | ExitReason::TakeProfit)
        {
            self.signal_close_gap_on_first_bar += 1;
        }
    }

    fn assert_complete(&self) {
        let all = [
            self.ambiguous,
            self.stop_loss_gap,
            self.take_profit_gap,
            self.trailing_at_open,
            self.trailing_intrabar,
            self.exact_trailing_touch,
            self.exact_stop_touch,
            self.exact_target_touch,
            self.signal_close_gap_on_first_bar,
            self.short,
            self.long,
        ];
        assert!(
            self.reasons.iter().chain(all.iter()).all(|&n| n > 0),
            "coverage gap: {self:#?}"
        );
    }
}

#[test]
fn first_passage_equals_the_reference_bit_for_bit() {
    let mut g = Gen::new(0x5EED_F1A5);
    let mut table = FixedHitTable::<H>::new();
    let mut coverage = Coverage::default();
    let mut evaluated = 0usize;
    for case_no in 0..10_000 {
        let case = gen_case(&mut g);
        table.scan(&case.grid, &case.entry, &case.window).unwrap();
        for cell in cells(&case.grid, &case.holds) {
            let params = case.grid.params(cell).unwrap();
            assert_eq!(case.grid.cell(&params), Some(cell));
            let reference = simulate(&case.entry, &case.window, &params, COST);
            let fast = table.outcome(&case.grid, &case.entry, &case.window, cell, COST);
            assert!(
                identical(&reference, &fast),
                "case {case_no}: {cell:?} {params:?}\nentry {:?}\nreference {reference:?}\nfirst passage {fast:?}\nwindow {:?}",
                case.entry,
                case.window,
            );
            coverage.count(&case, &params, &reference.unwrap());
            evaluated += 1;
        }
    }
    eprintln!("{evaluated} (entry, cell) cases; {coverage:?}");
    assert!(evaluated >= 100_000, "only {evaluated} cases");
    coverage.assert_complete();
}

/// Decimal prices whose running best lands on, or an ulp either side of, the level
/// `E ± activation·A`, where DESIGN's rule `best - E >= activation·A` (short `E - best`)
/// and the level form `best >= E + activation·A` disagree. The first passage must still
/// equal the reference bit for bit (it walks the arming bar with the same expression, per
/// activation group), and the sample must hold such disagreements.
#[test]
fn first_passage_equals_the_reference_at_the_activation_boundary() {
    let mut g = Gen::new(0xAC71_BA5E);
    let mut table = FixedHitTable::<H>::new();
    let cents = |x: f64| (x * 100.0).round() / 100.0;
    let activations = [0.3, 0.5, 0.7, 1.0, 1.1, 1.5, 2.0];
    let (mut evaluated, mut disagreements, mut trailing_exits) = (0usize, 0usize, 0usize);
    for case_no in 0..4_000 {
        let dir = if g.chance(0.5) {
            Direction::Long
        } else {
            Direction::Short
        };
        let long = dir == Direction::Long;
        let s = dir.sign();
        let e = cents(g.range(40.0, 200.0));
        let a = cents(g.range(0.1, 3.0));
        let mut grid = ExitGrid::new();
        grid.add_tp(6.0).unwrap();
        grid.add_sl(3.0).unwrap();
        let mut acts = Vec::new();
        for _ in 0..1 + g.below(3) {
            let activation = activations[g.below(activations.len() as u64) as usize];
            acts.push(activation);
            for _ in 0..1 + g.below(2) {
                let distance = [0.25, 0.5, 0.7, 1.0][g.below(4) as usize];
                grid.add_trailing(Trailing {
                    activation,
                    distance,
                })
                .unwrap();
            }
        }
        let len = 2 + g.below(30) as usize;
        let mut window = Vec::with_capacity(len);
        let mut open = e;
        for _ in 0..len {
            let close = cents(open + a * g.range(-0.8, 0.8));
            let (hi, lo) = (open.max(close), open.min(close));
            let mut fav = cents(if long { hi } else { lo } + s * a * g.unit() * 0.8);
            let adv = cents(if long { lo } else { hi } - s * a * g.unit() * 0.8);
            if g.chance(0.4) {
                let activation = acts[g.below(acts.len() as u64) as usize];
                let level = dir.favourable(e, activation, a);
                let c = match g.below(4) {
                    0 => level,
                    1 => level.next_up(),
                    2 => level.next_down(),
                    _ => cents(level),
                };
                if (long && c >= hi) || (!long && c <= lo) {
                    fav = c;
                }
            }
            let (high, low) = if long { (fav, adv) } else { (adv, fav) };
            window.push(Ohlc::new(open, high, low, close));
            open = close;
        }
        if !window.iter().all(|b| {
            Bar {
                time: 0,
                open: b.open,
                high: b.high,
                low: b.low,
                close: b.close,
                volume: 1.0,
            }
            .validate(None)
            .is_ok()
        }) {
            continue;
        }
        // The arming bar under each form, written out independently of the helpers.
        for &activation in &acts {
            let (mut best, mut by_excursion, mut by_level) = (e, None, None);
            for (i, b) in window.iter().enumerate() {
                best = if long {
                    best.max(b.high)
                } else {
                    best.min(b.low)
                };
                let excursion = if long { best - e } else { e - best };
                if by_excursion.is_none() && excursion >= activation * a {
                    by_excursion = Some(i);
                }
                let reached = if long {
                    best >= e + activation * a
                } else {
                    best <= e - activation * a
                };
                if by_level.is_none() && reached {
                    by_level = Some(i);
                }
            }
            disagreements += usize::from(by_excursion != by_level);
        }
        let entry = Entry {
            direction: dir,
            price: e,
            atr: a,
        };
        table.scan(&grid, &entry, &window).unwrap();
        for cell in cells(&grid, &[len as u16, 1000]) {
            let params = grid.params(cell).unwrap();
            let reference = simulate(&entry, &window, &params, COST);
            let fast = table.outcome(&grid, &entry, &window, cell, COST);
            assert!(
                identical(&reference, &fast),
                "case {case_no}: {cell:?} {params:?}\nentry {entry:?}\nreference {reference:?}\nfirst passage {fast:?}\nwindow {window:?}",
            );
            trailing_exits += usize::from(reference.unwrap().reason == ExitReason::Trailing);
            evaluated += 1;
        }
    }
    eprintln!(
        "{evaluated} (entry, cell) cases, {disagreements} arming disagreements, {trailing_exits} trailing exits"
    );
    assert!(evaluated >= 20_000, "only {evaluated} cases");
    assert!(disagreements >= 100, "only {disagreements} disagreements");
    assert!(
        trailing_exits >= 1_000,
        "only {trailing_exits} trailing exits"
    );
}

/// A grid of several pairs, one activation on the rounding boundary: the pairs of the
/// activation group (1.0) stay unarmed, the lower activation (0.5) arms (see
/// `trailing_arms_on_the_excursion_not_on_the_level` in the simulator's tests).
#[test]
fn grid_pairs_arm_by_the_excursion() {
    let t = |activation, distance| Trailing {
        activation,
        distance,
    };
    let pairs = [t(0.5, 0.5), t(1.0, 0.25), t(1.0, 0.5)];
    let grid = ExitGrid::from_levels(&[10.0], &[1.0], &pairs).unwrap();
    let cases = [
        (
            Direction::Long,
            [
                Ohlc::new(100.0, 101.1, 99.5, 100.8),
                Ohlc::new(100.8, 101.0, 100.4, 100.7),
                Ohlc::new(100.7, 100.9, 100.5, 100.83),
            ],
            101.1 - 0.5 * 1.1,
            100.83,
        ),
        (
            Direction::Short,
            [
                Ohlc::new(100.0, 100.5, 98.9, 99.2),
                Ohlc::new(99.2, 99.6, 99.0, 99.3),
                Ohlc::new(99.3, 99.5, 99.1, 99.17),
            ],
            98.9 + 0.5 * 1.1,
            99.17,
        ),
    ];
    let mut table = FixedHitTable::<H>::new();
    for (direction, window, trail_price, close) in cases {
        let entry = Entry {
            direction,
            price: 100.0,
            atr: 1.1,
        };
        table.scan(&grid, &entry, &window).unwrap();
        for (i, pair) in pairs.iter().enumerate() {
            let params = ExitParams {
                tp: 10.0,
                sl: 1.0,
                hold: 3,
                trailing: Some(*pair),
            };
            let cell = grid.cell(&params).unwrap();
            assert_eq!(cell.trailing, Some(i as u8));
            let fast = table.outcome(&grid, &entry, &window, cell, COST).unwrap();
            let reference = simulate(&entry, &window, &params, COST).unwrap();
            assert!(identical(&Some(reference), &Some(fast)), "{pair:?}");
            let (index, price, reason) = if pair.activation == 0.5 {
                (1, trail_price, ExitReason::Trailing)
            } else {
                (2, close, ExitReason::Time)
            };
            assert_eq!(
                (fast.exit_index, fast.exit_price, fast.reason),
                (index, price, reason),
                "{direction:?} {pair:?}"
            );
        }
    }
}

#[test]
fn one_table_serves_successive_entries_and_grids() {
    // A stale table must not leak: scanning a smaller grid after a larger one.
    let mut g = Gen::new(7);
    let mut table = FixedHitTable::<H>::new();
    let big = gen_case(&mut g);
    let small = gen_case(&mut g);
    table.scan(&big.grid, &big.entry, &big.window).unwrap();
    table
        .scan(&small.grid, &small.entry, &small.window)
        .unwrap();
    for cell in cells(&small.grid, &small.holds) {
        let params = small.grid.params(cell).unwrap();
        let reference = simulate(&small.entry, &small.window, &params, COST);
        let fast = table.outcome(&small.grid, &small.entry, &small.window, cell, COST);
        assert!(identical(&reference, &fast));
    }
    // The other entry's answers are refused, not invented.
    let cell = CellExit {
        tp: 0,
        sl: 0,
        hold: 5,
        trailing: None,
    };
    if big.entry != small.entry {
        assert!(
            table
                .outcome(&small.grid, &big.entry, &small.window, cell, COST)
                .is_none()
        );
    }
}

/// A table over a caller's slice (how the engine keeps the running best in its lanes,
/// as deep as the run's windows) answers as the array table does, bit for bit, and
/// refuses a window longer than its slice.
#[test]
fn a_table_over_a_slice_equals_the_array_table() {
    let mut g = Gen::new(0x511C_E0FF);
    let mut fixed = FixedHitTable::<H>::new();
    let mut storage = [0.0_f64; H];
    let mut evaluated = 0usize;
    for _ in 0..500 {
        let case = gen_case(&mut g);
        let n = case.window.len();
        // Exactly as deep as this window: the smallest slice that serves it.
        let mut over = HitTable::over(&mut storage[..n]);
        fixed.scan(&case.grid, &case.entry, &case.window).unwrap();
        over.scan(&case.grid, &case.entry, &case.window).unwrap();
        for cell in cells(&case.grid, &case.holds) {
            let a = fixed.outcome(&case.grid, &case.entry, &case.window, cell, COST);
            let b = over.outcome(&case.grid, &case.entry, &case.window, cell, COST);
            assert!(identical(&a, &b), "{cell:?}: array {a:?} slice {b:?}");
            evaluated += 1;
        }
        if n > 0 {
            let mut short = HitTable::over(&mut storage[..n - 1]);
            assert_eq!(
                short.scan(&case.grid, &case.entry, &case.window),
                Err(Error::CapacityExceeded {
                    what: "H_MAX",
                    capacity: n - 1
                })
            );
            let cell = CellExit {
                tp: 0,
                sl: 0,
                hold: 1,
                trailing: None,
            };
            assert_eq!(
                short.outcome(&case.grid, &case.entry, &case.window, cell, COST),
                None
            );
        }
    }
    assert!(evaluated >= 5_000, "only {evaluated} cases");
}

#[test]
fn hit_table_memory_is_the_documented_bound() {
    use phasebound_core::budget::{H_MAX, MAX_LEVELS, MAX_TRAILING};
    let size = size_of::<FixedHitTable<H_MAX>>();
    let arrays = 8 * H_MAX + 2 * (2 * MAX_LEVELS + 2 * MAX_TRAILING);
    assert!(size >= arrays && size <= arrays + 128, "{size} bytes");
}

#[test]
fn grid_keeps_levels_sorted_unique_and_addressable() {
    let t = |activation, distance| Trailing {
        activation,
        distance,
    };
    let grid = ExitGrid::from_levels(
        &[3.0, 1.0, 2.0, 1.0, 3.0],
        &[1.5, 0.5, 1.5],
        &[t(1.0, 0.5), t(0.0, 2.0), t(1.0, 0.25), t(0.0, 2.0)],
    )
    .unwrap();
    assert_eq!(grid.tp_levels(), &[1.0, 2.0, 3.0]);
    assert_eq!(grid.sl_levels(), &[0.5, 1.5]);
    assert_eq!(grid.trailing(), &[t(0.0, 2.0), t(1.0, 0.25), t(1.0, 0.5)]);
    let exit = ExitParams {
        tp: 2.0,
        sl: 1.5,
        hold: 12,
        trailing: Some(t(1.0, 0.5)),
    };
    let cell = grid.cell(&exit).unwrap();
    assert_eq!(
        cell,
        CellExit {
            tp: 1,
            sl: 1,
            hold: 12,
            trailing: Some(2)
        }
    );
    assert_eq!(grid.params(cell), Some(exit));
    assert_eq!(grid.cell(&ExitParams { tp: 2.5, ..exit }), None);
    assert_eq!(
        grid.cell(&ExitParams {
            trailing: Some(t(1.0, 0.3)),
            ..exit
        }),
        None
    );
    assert_eq!(grid.cell(&ExitParams { hold: 0, ..exit }), None);
    assert_eq!(grid.params(CellExit { tp: 3, ..cell }), None);
    assert_eq!(
        grid.params(CellExit {
            trailing: Some(3),
            ..cell
        }),
        None
    );
}

#[test]
fn grid_rejects_invalid_levels_and_overflow() {
    let mut grid = ExitGrid::new();
    for k in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(
            matches!(grid.add_tp(k), Err(Error::InvalidParameter { .. })),
            "{k}"
        );
        assert!(
            matches!(grid.add_sl(k), Err(Error::InvalidParameter { .. })),
            "{k}"
        );
        let bad = Trailing {
            activation: 1.0,
            distance: k,
        };
        assert!(
            matches!(grid.add_trailing(bad), Err(Error::InvalidParameter { .. })),
            "{k}"
        );
    }
    for a in [-0.5, f64::NAN, f64::INFINITY] {
        let bad = Trailing {
            activation: a,
            distance: 1.0,
        };
        assert!(
            matches!(grid.add_trailing(bad), Err(Error::InvalidParameter { .. })),
            "{a}"
        );
    }
    assert_eq!(grid, ExitGrid::new());
    let max = phasebound_core::budget::MAX_LEVELS;
    for i in 0..max {
        grid.add_tp(1.0 + i as f64).unwrap();
        grid.add_tp(1.0 + i as f64).unwrap(); // duplicates never count
    }
    let full = Err(Error::CapacityExceeded {
        what: "MAX_LEVELS",
        capacity: max,
    });
    assert_eq!(grid.add_tp(0.5), full);
    assert_eq!(grid.tp_levels().len(), max);
    let max_t = phasebound_core::budget::MAX_TRAILING;
    for i in 0..max_t {
        grid.add_trailing(Trailing {
            activation: 1.0,
            distance: 1.0 + i as f64,
        })
        .unwrap();
    }
    let full = Err(Error::CapacityExceeded {
        what: "MAX_TRAILING",
        capacity: max_t,
    });
    assert_eq!(
        grid.add_trailing(Trailing {
            activation: 2.0,
            distance: 1.0
        }),
        full
    );
}

#[test]
fn scan_and_outcome_refuse_what_the_reference_refuses() {
    let grid = ExitGrid::from_levels(
        &[2.0],
        &[1.0],
        &[Trailing {
            activation: 1.0,
            distance: 1.0,
        }],
    )
    .unwrap();
    let entry = Entry {
        direction: Direction::Long,
        price: 100.0,
        atr: 2.0,
    };
    let w = vec![Ohlc::new(100.0, 101.0, 99.0, 100.5); 8];
    let cell = CellExit {
        tp: 0,
        sl: 0,
        hold: 4,
        trailing: Some(0),
    };
    let mut table = FixedHitTable::<8>::new();

    // Nothing scanned yet.
    assert_eq!(table.outcome(&grid, &entry, &w, cell, COST), None);

    // Too long a window; invalid entries.
    let long = vec![w[0]; 9];
    assert_eq!(
        table.scan(&grid, &entry, &long),
        Err(Error::CapacityExceeded {
            what: "H_MAX",
            capacity: 8
        })
    );
    for bad in [
        Entry {
            price: 0.0,
            ..entry
        },
        Entry {
            price: f64::NAN,
            ..entry
        },
        Entry { atr: -1.0, ..entry },
        Entry {
            atr: f64::INFINITY,
            ..entry
        },
    ] {
        assert!(matches!(
            table.scan(&grid, &bad, &w),
            Err(Error::InvalidParameter { .. })
        ));
        assert_eq!(table.outcome(&grid, &bad, &w, cell, COST), None);
    }

    table.scan(&grid, &entry, &w).unwrap();
    let ok = table.outcome(&grid, &entry, &w, cell, COST);
    assert!(ok.is_some());
    assert_eq!(ok.unwrap().reason, ExitReason::Time);
    // A failed scan invalidates the table.
    assert!(table.scan(&grid, &entry, &long).is_err());
    assert_eq!(table.outcome(&grid, &entry, &w, cell, COST), None);
    table.scan(&grid, &entry, &w).unwrap();

    for bad in [
        CellExit { hold: 0, ..cell },
        CellExit { tp: 1, ..cell },
        CellExit { sl: 200, ..cell },
        CellExit {
            trailing: Some(1),
            ..cell
        },
    ] {
        assert_eq!(table.outcome(&grid, &entry, &w, bad, COST), None, "{bad:?}");
    }
    for cost in [f64::NAN, -0.5, f64::INFINITY] {
        assert_eq!(table.outcome(&grid, &entry, &w, cell, cost), None);
    }
    // Entry, window or grid other than the scanned ones.
    assert_eq!(
        table.outcome(
            &grid,
            &Entry {
                price: 101.0,
                ..entry
            },
            &w,
            cell,
            COST
        ),
        None
    );
    assert_eq!(table.outcome(&grid, &entry, &w[..7], cell, COST), None);
    let other = ExitGrid::from_levels(&[2.0, 3.0], &[1.0], &[]).unwrap();
    assert_eq!(table.outcome(&other, &entry, &w, cell, COST), None);

    // Empty window: scans fine, no outcome (as the reference).
    table.scan(&grid, &entry, &[]).unwrap();
    assert_eq!(table.outcome(&grid, &entry, &[], cell, COST), None);
    assert_eq!(
        simulate(&entry, &[], &grid.params(cell).unwrap(), COST),
        None
    );
}
