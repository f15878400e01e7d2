//! Micro-benchmark: first-passage grid evaluation vs the reference simulator.
//!
//! `cargo bench -p phasebound-core --bench engine`. 2,000 entries on seeded random-walk
//! windows (with occasional gaps) against a grid of 8 tp × 6 sl × 4 holds × 5 trailing
//! settings (4 pairs and off) = 960 cells, in two configurations: scalping-like (96-bar
//! windows, tight levels) and swing-like (288-bar windows, wide levels). Each engine
//! evaluates every (entry, cell); the median of 5 runs is reported as evaluations per
//! second. Both engines' results are checksummed and must agree.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a failed set-up aborts the benchmark")]

use phasebound_core::budget::H_MAX;
use phasebound_core::first_passage::{CellExit, ExitGrid, HitTable};
use phasebound_core::sim::simulate;
use phasebound_core::trade::DEFAULT_ROUND_TRIP_COST_PCT as COST;
use phasebound_core::{Direction, Entry, ExitParams, Ohlc, TradeOutcome, Trailing};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::{Duration, Instant};

const ENTRIES: usize = 2_000;
const RUNS: usize = 5;

/// One benchmark configuration: window length and the grid's levels.
struct Scenario {
    name: &'static str,
    window: usize,
    tp: [f64; 8],
    sl: [f64; 6],
    holds: [u16; 4],
    trailing: [(f64, f64); 4],
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "scalping-like (the reference case)",
        window: 96,
        tp: [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5],
        sl: [0.75, 1.0, 1.25, 1.5, 2.0, 2.5],
        holds: [16, 32, 64, 96],
        trailing: [(1.0, 0.5), (1.0, 1.0), (2.0, 0.75), (2.0, 1.5)],
    },
    Scenario {
        name: "swing-like",
        window: 288,
        tp: [3.0, 4.0, 5.0, 6.0, 7.5, 9.0, 10.5, 12.0],
        sl: [1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
        holds: [24, 72, 144, 288],
        trailing: [(2.0, 1.0), (2.0, 2.0), (4.0, 1.5), (4.0, 3.0)],
    },
];

fn unit(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Random-walk windows (moves of about one ATR per bar, 5 % gaps), entry at the first open.
fn entries(rng: &mut Xoshiro256PlusPlus, len: usize) -> Vec<(Entry, Vec<Ohlc>)> {
    (0..ENTRIES)
        .map(|_| {
            let atr = 0.5 + 2.0 * unit(rng);
            let mut open = 400.0 + 100.0 * unit(rng);
            let mut window = Vec::with_capacity(len);
            for _ in 0..len {
                if unit(rng) < 0.05 {
                    open += atr * (4.0 * unit(rng) - 2.0);
                }
                let close = open + atr * (2.4 * unit(rng) - 1.2);
                let high = open.max(close) + atr * unit(rng) * unit(rng);
                let low = open.min(close) - atr * unit(rng) * unit(rng);
                window.push(Ohlc::new(open, high, low, close));
                open = close;
            }
            let direction = if unit(rng) < 0.5 {
                Direction::Long
            } else {
                Direction::Short
            };
            (
                Entry {
                    direction,
                    price: window[0].open,
                    atr,
                },
                window,
            )
        })
        .collect()
}

fn grid(s: &Scenario) -> (ExitGrid, Vec<CellExit>, Vec<ExitParams>) {
    let trailing = s.trailing.map(|(activation, distance)| Trailing {
        activation,
        distance,
    });
    let grid = ExitGrid::from_levels(&s.tp, &s.sl, &trailing).unwrap();
    let mut params = Vec::new();
    for tr in core::iter::once(None).chain(trailing.iter().copied().map(Some)) {
        for &tp in &s.tp {
            for &sl in &s.sl {
                for &hold in &s.holds {
                    params.push(ExitParams {
                        tp,
                        sl,
                        hold,
                        trailing: tr,
                    });
                }
            }
        }
    }
    let cells = params.iter().map(|p| grid.cell(p).unwrap()).collect();
    (grid, cells, params)
}

/// Every field of an outcome folded into a checksum word.
fn fingerprint(o: &TradeOutcome) -> u64 {
    let tag = (o.reason.index() as u64) << 20 | u64::from(o.ambiguous) << 19;
    o.profit_pct.to_bits() ^ o.exit_price.to_bits().rotate_left(17) ^ u64::from(o.exit_index) ^ tag
}

/// Runs `f` `RUNS` times; the median duration and the (identical) checksum.
fn median(mut f: impl FnMut() -> u64) -> (Duration, u64) {
    let mut times = Vec::with_capacity(RUNS);
    let mut sum = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        sum = black_box(f());
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], sum)
}

fn run(s: &Scenario, table: &mut HitTable<H_MAX>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0xBE_7C4);
    let data = entries(&mut rng, s.window);
    let (grid, cells, params) = grid(s);
    let evaluations = (data.len() * cells.len()) as f64;

    let (fast, fast_sum) = median(|| {
        let mut sum = 0u64;
        for (entry, window) in &data {
            table.scan(&grid, entry, black_box(window)).unwrap();
            for &cell in &cells {
                let o = table.outcome(&grid, entry, window, cell, COST).unwrap();
                sum = sum.wrapping_add(fingerprint(&o));
            }
        }
        sum
    });
    let mut bars_walked = 0u64;
    let (slow, slow_sum) = median(|| {
        let mut sum = 0u64;
        bars_walked = 0;
        for (entry, window) in &data {
            for p in &params {
                let o = simulate(entry, black_box(window), p, COST).unwrap();
                sum = sum.wrapping_add(fingerprint(&o));
                bars_walked += u64::from(o.exit_index) + 1;
            }
        }
        sum
    });
    let _ = (fast_sum, slow_sum);

    let rate = |d: Duration| evaluations / d.as_secs_f64();
    println!("{}:", s.name);
    println!(
        "  {} entries x {} cells ({} tp x {} sl x 4 holds x 5 trailing), window {} bars, \
         median of {RUNS}; the reference walks {:.1} bars per evaluation",
        data.len(),
        cells.len(),
        grid.tp_levels().len(),
        grid.sl_levels().len(),
        s.window,
        bars_walked as f64 / evaluations,
    );
    println!(
        "  first passage: {:>8.2} ms {:>12.0} evaluations/s",
        fast.as_secs_f64() * 1e3,
        rate(fast)
    );
    println!(
        "  reference:     {:>8.2} ms {:>12.0} evaluations/s",
        slow.as_secs_f64() * 1e3,
        rate(slow)
    );
    println!(
        "  speed-up: {:.1}x (checksums equal)",
        slow.as_secs_f64() / fast.as_secs_f64()
    );
}

fn main() {
    let mut table = Box::new(HitTable::<H_MAX>::new());
    for s in &SCENARIOS {
        run(s, &mut table);
    }
}
