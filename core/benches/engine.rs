//! Micro-benchmarks of the core: `cargo bench -p phasebound-core --bench engine`.
//!
//! 1. **Indicators + signals**: bars per second through [`Indicators::update`], the
//!    signal vote and the six scalping group scores, on a seeded random market of
//!    200,000 15m bars.
//! 2. **Pass engine**: bars per second through [`Workspace::push`] for a whole pass
//!    (indicators, signals, candidates queued and evaluated against 96 cells).
//! 3. **(entry, cell) evaluations**: 2,000 entries on seeded random-walk windows (with
//!    occasional gaps) against a grid of 8 tp × 6 sl × 4 holds × 5 trailing settings (4
//!    pairs and off) = 960 cells, in two configurations: scalping-like (96-bar windows,
//!    tight levels) and swing-like (288-bar windows, wide levels), by first passage (one
//!    scan, then per cell; cells sharing their levels resolved once, as the engine does)
//!    and by the reference simulator. Both engines' results are checksummed and must agree.
//!
//! Each figure is the median of 5 runs. The whole `phasebound run` on the six-symbol 15m
//! data is timed by `bench/run.sh` (a whole process, with its peak memory).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a failed set-up aborts the benchmark")]

use phasebound_core::account::Stake;
use phasebound_core::budget::{H_MAX, MAX_GROUPS};
use phasebound_core::engine::DefaultWorkspace;
use phasebound_core::first_passage::{CellExit, ExitGrid, FixedHitTable};
use phasebound_core::indicators::Indicators;
use phasebound_core::plan::{CellDef, PassPlan, ProfileSpec};
use phasebound_core::signal::{Profile, Weights, default_groups, signal};
use phasebound_core::sim::simulate;
use phasebound_core::trade::DEFAULT_ROUND_TRIP_COST_PCT as COST;
use phasebound_core::{Bar, EntryTiming};
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

fn run(s: &Scenario, table: &mut FixedHitTable<H_MAX>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0xBE_7C4);
    let data = entries(&mut rng, s.window);
    let (grid, cells, params) = grid(s);
    let evaluations = (data.len() * cells.len()) as f64;

    // Cells that share their levels, as the engine groups them: (levels, [(cell, hold)]).
    let mut groups: Vec<(CellExit, Vec<(usize, u16)>)> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let levels = CellExit { hold: 0, ..*c };
        match groups.iter_mut().find(|g| g.0 == levels) {
            Some(g) => g.1.push((i, c.hold)),
            None => groups.push((levels, vec![(i, c.hold)])),
        }
    }
    let (fast, fast_sum) = median(|| {
        let mut sum = 0u64;
        for (entry, window) in &data {
            table.scan(&grid, entry, black_box(window)).unwrap();
            for (levels, members) in &groups {
                let hit = table
                    .level_exit(&grid, entry, window, *levels, COST)
                    .unwrap();
                for &(_, hold) in members {
                    let o = hit.outcome(entry, window, hold, COST).unwrap();
                    sum = sum.wrapping_add(fingerprint(&o));
                }
            }
        }
        sum
    });
    let (per_cell, per_cell_sum) = median(|| {
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
    // Cells are visited in another order when grouped, and the checksum is a sum: equal.
    assert_eq!(fast_sum, slow_sum, "first passage and reference disagree");
    assert_eq!(
        per_cell_sum, slow_sum,
        "first passage (per cell) and reference disagree"
    );

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
        "  first passage: {:>8.2} ms {:>12.0} evaluations/s (levels shared by hold)",
        fast.as_secs_f64() * 1e3,
        rate(fast)
    );
    println!(
        "  first passage: {:>8.2} ms {:>12.0} evaluations/s (one outcome() per cell)",
        per_cell.as_secs_f64() * 1e3,
        rate(per_cell)
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

/// A seeded random market of `n` 15m bars on a 0.01 tick, with volatility clustering.
fn market(seed: u64, n: usize) -> Vec<Bar> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let tick = |x: f64| (x * 100.0).round() / 100.0;
    let (mut price, mut vol) = (100.0f64, 0.004f64);
    (0..n)
        .map(|i| {
            let shock = (0..4).map(|_| unit(&mut rng)).sum::<f64>() - 2.0;
            vol = (0.000_004 + 0.9 * vol * vol + 0.08 * (vol * shock).powi(2))
                .sqrt()
                .clamp(0.001, 0.03);
            let open = price;
            let close = tick(open * (1.0 + vol * shock)).max(0.01);
            let high = tick(open.max(close) * (1.0 + vol * unit(&mut rng))).max(open.max(close));
            let low =
                tick(open.min(close) * (1.0 - vol * unit(&mut rng))).clamp(0.01, open.min(close));
            price = close;
            Bar {
                time: 1_704_067_200_000 + i as i64 * 900_000,
                open,
                high,
                low,
                close,
                volume: 100.0
                    * (1.0 + 10.0 * (close / open - 1.0).abs() / vol)
                    * (0.5 + unit(&mut rng)),
            }
        })
        .collect()
}

const MARKET_BARS: usize = 200_000;

fn indicators_and_signals(bars: &[Bar]) {
    let groups = default_groups(Profile::Scalping);
    let mut signals = 0u32;
    let (t, sum) = median(|| {
        let mut ind = Indicators::new(15).unwrap();
        let mut sum = 0u64;
        signals = 0;
        for b in black_box(bars) {
            if let Some(snap) = ind.update(b)
                && let Some(sig) = signal(&snap)
            {
                signals += 1;
                for g in groups {
                    sum = sum.wrapping_add(sig.score(&g.weights).to_bits());
                }
            }
        }
        sum
    });
    black_box(sum);
    println!("indicators + signals (6 scalping group scores per signal):");
    println!(
        "  {} bars, {} signals: {:>8.2} ms {:>12.0} bars/s",
        bars.len(),
        signals,
        t.as_secs_f64() * 1e3,
        bars.len() as f64 / t.as_secs_f64()
    );
}

fn pass_engine(bars: &[Bar], ws: &mut DefaultWorkspace) {
    let mut groups = heapless::Vec::<Weights, MAX_GROUPS>::new();
    for g in default_groups(Profile::Scalping) {
        groups.push(g.weights).unwrap();
    }
    let spec = ProfileSpec {
        profile: Profile::Scalping,
        groups,
        candidate_min_score: 40.0,
        candidate_min_consensus: 3,
        opportunity_move_pct: 1.5,
        opportunity_horizon: 32,
        entry_timing: EntryTiming::NextOpen,
        cost_pct: COST,
        one_position_per_symbol: true,
        max_open_trades: 3,
        stake: Stake::Compounding,
    };
    let mut plan: PassPlan<'_, 1024> = PassPlan::new(&spec, i64::MIN, i64::MAX).unwrap();
    for tp in [1.0, 1.5, 2.0, 3.0] {
        for sl in [0.75, 1.0, 1.5, 2.0] {
            for hold in [4u16, 8, 16, 32] {
                for (g, min_score) in [(0u8, 40.0f32), (3, 60.0)] {
                    let trailing = (g == 3).then_some(Trailing {
                        activation: 1.0,
                        distance: 0.5,
                    });
                    plan.push_cell(CellDef {
                        group: g,
                        min_score,
                        min_consensus: 3,
                        exit: ExitParams {
                            tp,
                            sl,
                            hold,
                            trailing,
                        },
                    })
                    .unwrap();
                }
            }
        }
    }
    plan.finalize().unwrap();
    let mut candidates = 0;
    let (t, trades) = median(|| {
        ws.begin(&plan, 1, 15).unwrap();
        for b in black_box(bars) {
            ws.push(&plan, 0, b).unwrap();
        }
        ws.finish(&plan).unwrap();
        candidates = ws.totals().candidates;
        ws.stats(plan.cells().len())
            .iter()
            .map(|s| u64::from(s.trades))
            .sum()
    });
    println!(
        "pass engine (indicators, signals, candidates vs 128 cells, one position per symbol):"
    );
    println!(
        "  {} bars, {} candidates, {} trades: {:>8.2} ms {:>12.0} bars/s",
        bars.len(),
        candidates,
        trades,
        t.as_secs_f64() * 1e3,
        bars.len() as f64 / t.as_secs_f64()
    );
}

fn main() {
    let bars = market(0x5EED, MARKET_BARS);
    indicators_and_signals(&bars);
    let mut ws = Box::new(DefaultWorkspace::new());
    pass_engine(&bars, &mut ws);
    let mut table = Box::new(FixedHitTable::<H_MAX>::new());
    for s in &SCENARIOS {
        run(s, &mut table);
    }
}
