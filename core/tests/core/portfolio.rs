//! Every cell a portfolio: the engine's accounts against a plain, whole-history portfolio
//! simulator written here from DESIGN §3, bit for bit on every field; and a cell's
//! statistics independent of the grid around it (other cells, their order, chunked
//! passes, window length), on random markets with gaps and on the shared real data.
//!
//! The reference works on whole vectors: it finds every candidate of every symbol, sorts
//! them by (signal time, symbol), simulates each trade with [`simulate`] on the
//! candidate's gap-free bars, and runs each cell's account with a plain `Vec` of open
//! positions. Its daily returns come from a dense day-by-day equity series, not from the
//! engine's per-exit-day bookkeeping.

use super::support::{VecSource, market, unit};
use phasebound_core::account::{DAY_MS, Stake};
use phasebound_core::budget::MAX_GROUPS;
use phasebound_core::engine::FixedWorkspace;
use phasebound_core::indicators::Indicators;
use phasebound_core::phase::run_pass;
use phasebound_core::plan::{CellDef, EvalMode, PassPlan, ProfileSpec};
use phasebound_core::signal::{Profile, Weights, default_groups, signal};
use phasebound_core::sim::simulate;
use phasebound_core::stats::{self, CellStats};
use phasebound_core::{Bar, Direction, Entry, EntryTiming, ExitParams, Ohlc, Trailing};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const TF_MS: i64 = 900_000;

/// One candidate as the reference sees it.
#[derive(Clone, Debug)]
pub struct Cand {
    pub time: i64,
    pub symbol: u16,
    pub direction: Direction,
    pub atr: f64,
    pub close: f64,
    /// Gap-free bars after the signal bar (at most `max_window`).
    pub fwd: Vec<Ohlc>,
    pub scores: Vec<f32>,
    pub consensus: u8,
    pub is_opp: bool,
}

/// The bars after `bars[i]` that follow without a gap, at most `max`.
pub fn contiguous_after(bars: &[Bar], i: usize, tf_ms: i64, max: usize) -> Vec<Ohlc> {
    let mut out = Vec::new();
    let mut prev = bars[i].time;
    for b in &bars[i + 1..] {
        if out.len() == max || b.time != prev + tf_ms {
            break;
        }
        out.push(Ohlc::from(b));
        prev = b.time;
    }
    out
}

/// Every signal candidate of every series (loosest filter of `spec`), sorted by
/// (signal time, symbol), with windows of at most `max_window` bars.
pub fn candidates(series: &[Vec<Bar>], spec: &ProfileSpec, max_window: usize) -> Vec<Cand> {
    let mut out = Vec::new();
    for (s, bars) in series.iter().enumerate() {
        let mut ind = Indicators::new(15).unwrap();
        for i in 0..bars.len() {
            let Some(snap) = ind.update(&bars[i]) else {
                continue;
            };
            let Some(sig) = signal(&snap) else { continue };
            if snap.atr.is_nan() || snap.atr <= 0.0 {
                continue;
            }
            let scores: Vec<f32> = spec.groups.iter().map(|w| sig.score(w) as f32).collect();
            let best = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            if sig.consensus < spec.candidate_min_consensus || best < spec.candidate_min_score {
                continue;
            }
            let fwd = contiguous_after(bars, i, TF_MS, max_window);
            let price = match spec.entry_timing {
                EntryTiming::NextOpen => fwd.first().map(|b| b.open),
                EntryTiming::SignalClose => Some(snap.close),
            };
            let horizon = fwd.len().min(usize::from(spec.opportunity_horizon));
            let is_opp = price.is_some_and(|price| {
                let peak = fwd[..horizon]
                    .iter()
                    .fold(price, |p, b| match sig.direction {
                        Direction::Long => p.max(b.high),
                        Direction::Short => p.min(b.low),
                    });
                phasebound_core::trade::profit_pct(sig.direction, price, peak, 0.0)
                    >= spec.opportunity_move_pct
            });
            out.push(Cand {
                time: bars[i].time,
                symbol: s as u16,
                direction: sig.direction,
                atr: snap.atr,
                close: snap.close,
                fwd,
                scores,
                consensus: sig.consensus,
                is_opp,
            });
        }
    }
    out.sort_by_key(|c| (c.time, c.symbol));
    out
}

struct Open {
    exit_time: i64,
    pnl: f64,
    symbol: u16,
}

/// The account of one cell over `cands` (sorted), for the period `(first, last)` bar times.
pub fn account(
    cands: &[Cand],
    cell: &CellDef,
    spec: &ProfileSpec,
    period: (i64, i64),
    filters: bool,
) -> CellStats {
    let mot = usize::from(spec.max_open_trades);
    let mut st = CellStats::new();
    let mut equity = 1.0f64;
    // (exit time, equity after) of every realized exit, in realization order.
    let mut curve: Vec<(i64, f64)> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut realize = |open: &mut Vec<Open>, before: i64, st: &mut CellStats, eq: &mut f64| {
        loop {
            // Earliest exit; the first in entry order among equal exits.
            let Some(i) = (0..open.len()).min_by_key(|&i| (open[i].exit_time, i)) else {
                return;
            };
            if open[i].exit_time >= before {
                return;
            }
            let p = open.remove(i);
            if p.pnl > 0.0 {
                st.gross_profit += p.pnl;
            }
            if p.pnl < 0.0 {
                st.gross_loss += -p.pnl;
            }
            *eq += p.pnl;
            if *eq <= 0.0 {
                *eq = 0.0;
            }
            curve.push((p.exit_time, *eq));
        }
    };
    for c in cands {
        if filters
            && (c.consensus < cell.min_consensus
                || c.scores[usize::from(cell.group)] < cell.min_score)
        {
            continue;
        }
        let price = match spec.entry_timing {
            EntryTiming::NextOpen => match c.fwd.first() {
                Some(b) => b.open,
                None => continue,
            },
            EntryTiming::SignalClose => c.close,
        };
        if c.fwd.is_empty() {
            continue;
        }
        let entry_time = c.time + TF_MS;
        realize(&mut open, entry_time, &mut st, &mut equity);
        let held = spec.one_position_per_symbol && open.iter().any(|p| p.symbol == c.symbol);
        if open.len() >= mot || held || equity <= 0.0 {
            st.skipped += 1;
            continue;
        }
        let entry = Entry {
            direction: c.direction,
            price,
            atr: c.atr,
        };
        let Some(o) = simulate(&entry, &c.fwd, &cell.exit, spec.cost_pct) else {
            continue;
        };
        let stake = match spec.stake {
            Stake::Compounding => equity / mot as f64,
            Stake::Fixed => 1.0 / mot as f64,
        };
        st.trades += 1;
        st.wins += u32::from(o.profit_pct > 0.0);
        st.captured += u32::from(o.profit_pct > 0.0 && c.is_opp);
        st.sum_profit += o.profit_pct;
        st.sum_sq_profit += o.profit_pct * o.profit_pct;
        st.reasons[o.reason.index()] += 1;
        st.ambiguous += u32::from(o.ambiguous);
        open.push(Open {
            exit_time: c.time + (i64::from(o.exit_index) + 1) * TF_MS,
            pnl: stake * o.profit_pct / 100.0,
            symbol: c.symbol,
        });
    }
    realize(&mut open, i64::MAX, &mut st, &mut equity);
    st.equity = equity;
    // Drawdown: the running peak of the realized curve.
    let mut peak = 1.0f64;
    for &(_, e) in &curve {
        peak = peak.max(e);
        st.trough = st.trough.min(e);
        st.max_drawdown = st.max_drawdown.max((peak - e) / peak);
    }
    st.peak = peak;
    // Daily returns over every day of the period, from a dense end-of-day equity series.
    let (d0, d1) = (period.0.div_euclid(DAY_MS), period.1.div_euclid(DAY_MS));
    st.days = (d1 - d0 + 1) as u32;
    let mut day_end = vec![f64::NAN; st.days as usize];
    for &(t, e) in &curve {
        let d = t.div_euclid(DAY_MS).min(d1);
        day_end[(d - d0) as usize] = e;
    }
    let mut before = 1.0f64;
    for e in day_end {
        if e.is_nan() {
            continue; // no exit that day: a return of exactly 0 adds nothing to the sums
        }
        let r = if before > 0.0 { e / before - 1.0 } else { 0.0 };
        st.day_sum += r;
        st.day_sum_sq += r * r;
        if r < 0.0 {
            st.day_down_sq += r * r;
        }
        st.day_sum_cu += r * r * r;
        st.day_sum_qu += r * r * (r * r);
        before = e;
    }
    st
}

pub fn spec(one_position: bool, mot: u8, stake: Stake, timing: EntryTiming) -> ProfileSpec {
    let mut groups = heapless::Vec::<Weights, MAX_GROUPS>::new();
    for g in default_groups(Profile::Scalping) {
        groups.push(g.weights).unwrap();
    }
    ProfileSpec {
        profile: Profile::Scalping,
        groups,
        candidate_min_score: 30.0,
        candidate_min_consensus: 3,
        opportunity_move_pct: 1.0,
        opportunity_horizon: 24,
        entry_timing: timing,
        cost_pct: 0.14,
        one_position_per_symbol: one_position,
        max_open_trades: mot,
        stake,
    }
}

/// A grid of entry filters × exits, holds from 2 to 60 bars.
pub fn grid() -> Vec<CellDef> {
    let trails = [
        None,
        Some(Trailing {
            activation: 1.0,
            distance: 0.5,
        }),
    ];
    let mut v = Vec::new();
    for (group, min_score, min_consensus) in [(0u8, 30.0f32, 3u8), (1, 50.0, 4), (5, 40.0, 5)] {
        for tp in [1.0, 2.5] {
            for sl in [0.75, 2.0] {
                for hold in [2u16, 9, 60] {
                    for trailing in trails {
                        v.push(CellDef {
                            group,
                            min_score,
                            min_consensus,
                            exit: ExitParams {
                                tp,
                                sl,
                                hold,
                                trailing,
                            },
                        });
                    }
                }
            }
        }
    }
    v
}

/// `n` symbols of random 15m bars on one clock (so entries coincide across symbols),
/// each with holes (single missing bars and longer outages) and its own start.
pub fn gappy_market(seed: u64, symbols: usize, n: usize) -> Vec<Vec<Bar>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9e37);
    (0..symbols)
        .map(|s| {
            let bars = market(seed * 31 + s as u64, n, 50.0 * (s + 1) as f64);
            let start = (unit(&mut rng) * 300.0) as usize * s;
            let mut out = Vec::new();
            let mut skip = 0usize;
            for b in &bars[start..] {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let u = unit(&mut rng);
                if u < 0.004 {
                    continue;
                }
                if u < 0.005 {
                    skip = (unit(&mut rng) * 200.0) as usize;
                    continue;
                }
                out.push(*b);
            }
            out
        })
        .collect()
}

fn period(series: &[Vec<Bar>]) -> (i64, i64) {
    let first = series
        .iter()
        .filter_map(|s| s.first())
        .map(|b| b.time)
        .min();
    let last = series.iter().filter_map(|s| s.last()).map(|b| b.time).max();
    (first.unwrap(), last.unwrap())
}

type Ws = FixedWorkspace<4, 64, 256>;

fn engine(
    series: &[Vec<Bar>],
    spec: &ProfileSpec,
    cells: &[CellDef],
    mode: EvalMode,
) -> Vec<CellStats> {
    let mut plan: PassPlan<'_, 256> = PassPlan::new(spec, i64::MIN, i64::MAX).unwrap();
    for c in cells {
        plan.push_cell(*c).unwrap();
    }
    plan.finalize().unwrap();
    plan.set_mode(mode);
    let mut ws: Box<Ws> = Box::new(FixedWorkspace::new());
    let mut src = VecSource::new(series.to_vec(), 15);
    run_pass(&mut *ws, &mut src, &plan).unwrap();
    ws.stats(cells.len()).to_vec()
}

fn assert_bits(got: &CellStats, want: &CellStats, what: &str) {
    assert_eq!(
        format!("{got:?}"),
        format!("{want:?}"),
        "{what}: engine and reference accounts differ"
    );
    let pairs = [
        (got.sum_profit, want.sum_profit),
        (got.equity, want.equity),
        (got.max_drawdown, want.max_drawdown),
        (got.day_sum, want.day_sum),
        (got.day_sum_sq, want.day_sum_sq),
        (got.gross_loss, want.gross_loss),
    ];
    for (a, b) in pairs {
        assert_eq!(a.to_bits(), b.to_bits(), "{what}: bits differ");
    }
}

#[test]
fn engine_accounts_equal_the_whole_history_reference() {
    let mut checked = [0u32; 6];
    for (seed, one_position, mot, stake, timing) in [
        (1u64, true, 3u8, Stake::Compounding, EntryTiming::NextOpen),
        (2, false, 2, Stake::Compounding, EntryTiming::NextOpen),
        (3, true, 1, Stake::Fixed, EntryTiming::SignalClose),
        (4, false, 16, Stake::Fixed, EntryTiming::NextOpen),
        (5, true, 5, Stake::Compounding, EntryTiming::SignalClose),
    ] {
        let series = gappy_market(seed, 4, 3000);
        let spec = spec(one_position, mot, stake, timing);
        let cells = grid();
        let cands = candidates(&series, &spec, 64);
        assert!(cands.len() > 200, "too few candidates: {}", cands.len());
        let same_time = cands.windows(2).filter(|w| w[0].time == w[1].time).count();
        assert!(
            same_time > 5,
            "simultaneous entries across symbols must occur"
        );
        for mode in [EvalMode::FirstPassage, EvalMode::Reference] {
            let got = engine(&series, &spec, &cells, mode);
            for (c, cell) in cells.iter().enumerate() {
                let want = account(&cands, cell, &spec, period(&series), true);
                assert_bits(&got[c], &want, &format!("seed {seed} {mode:?} cell {c}"));
                checked[0] += want.trades;
                checked[1] += want.skipped;
                checked[2] += want.reason_count(phasebound_core::ExitReason::Truncated);
                checked[3] += want.ambiguous;
                checked[4] += u32::from(want.max_drawdown > 0.0);
                checked[5] += u32::from(want.day_down_sq > 0.0);
            }
        }
    }
    // Every path was exercised: trades, skips for full slots, truncation at gaps and at
    // the end, ambiguous bars, drawdowns, losing days.
    assert!(checked.iter().all(|&n| n > 10), "coverage: {checked:?}");
}

#[test]
fn a_cell_alone_equals_the_cell_inside_any_grid() {
    let series = gappy_market(11, 4, 3000);
    let spec = spec(true, 3, Stake::Compounding, EntryTiming::NextOpen);
    let cells = grid();
    let whole = engine(&series, &spec, &cells, EvalMode::FirstPassage);
    // Alone: the pass's window is just this cell's hold (or the horizon).
    for (c, cell) in cells.iter().enumerate() {
        let alone = engine(&series, &spec, &[*cell], EvalMode::FirstPassage);
        assert_bits(&alone[0], &whole[c], &format!("cell {c} alone"));
    }
    // Shuffled order, and the grid cut into chunks of 7 passes.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut order: Vec<usize> = (0..cells.len()).collect();
    for i in (1..order.len()).rev() {
        let j = (unit(&mut rng) * (i + 1) as f64) as usize;
        order.swap(i, j);
    }
    let shuffled: Vec<CellDef> = order.iter().map(|&i| cells[i]).collect();
    let got = engine(&series, &spec, &shuffled, EvalMode::FirstPassage);
    for (k, &i) in order.iter().enumerate() {
        assert_bits(&got[k], &whole[i], &format!("shuffled cell {i}"));
    }
    for chunk in shuffled.chunks(7).zip(order.chunks(7)) {
        let got = engine(&series, &spec, chunk.0, EvalMode::FirstPassage);
        for (g, &i) in got.iter().zip(chunk.1) {
            assert_bits(g, &whole[i], &format!("chunked cell {i}"));
        }
    }
    assert!(whole.iter().map(|s| s.trades).sum::<u32>() > 1000);
}

#[test]
fn drawdown_is_a_fraction_of_the_peak_and_metrics_are_finite() {
    let series = gappy_market(21, 4, 3000);
    for stake in [Stake::Compounding, Stake::Fixed] {
        let spec = spec(false, 16, stake, EntryTiming::NextOpen);
        for s in engine(&series, &spec, &grid(), EvalMode::FirstPassage) {
            assert!((0.0..=100.0).contains(&stats::max_drawdown(&s)));
            assert!(s.equity >= 0.0 && s.peak >= 1.0 && s.peak >= s.equity);
            for m in [
                stats::sharpe(&s),
                stats::sortino(&s),
                stats::cagr(&s),
                stats::calmar(&s),
                stats::total_return(&s),
            ] {
                assert!(m.is_finite(), "{m} from {s:?}");
            }
        }
    }
}

/// The six real 15m symbols (SKIP without `../shared/data`): a cell alone and inside
/// a grid whose longest hold is 72 h give identical accounts.
#[test]
fn real_data_cells_do_not_depend_on_the_grid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/binance");
    let names = ["BTC", "ETH", "SOL", "XRP", "DOGE", "LINK"];
    let mut series = Vec::new();
    for n in names {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{n}USDT-15m.csv"))) else {
            eprintln!("SKIP: {} not found", dir.display());
            return;
        };
        let bars: Vec<Bar> = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
                Bar {
                    time: f[0] as i64,
                    open: f[1],
                    high: f[2],
                    low: f[3],
                    close: f[4],
                    volume: f[5],
                }
            })
            .collect();
        series.push(bars);
    }
    let spec = spec(true, 3, Stake::Compounding, EntryTiming::NextOpen);
    let mut cells = grid();
    for c in &mut cells {
        c.exit.hold = c.exit.hold.min(12);
    }
    let long = CellDef {
        exit: ExitParams {
            hold: 288,
            ..cells[0].exit
        },
        ..cells[0]
    };
    let mut plan: PassPlan<'_, 256> = PassPlan::new(&spec, i64::MIN, i64::MAX).unwrap();
    for c in cells.iter().chain([&long]) {
        plan.push_cell(*c).unwrap();
    }
    plan.finalize().unwrap();
    let mut ws: Box<FixedWorkspace<6, 320, 256>> = Box::new(FixedWorkspace::new());
    let mut src = VecSource::new(series.clone(), 15);
    run_pass(&mut *ws, &mut src, &plan).unwrap();
    let whole = ws.stats(cells.len()).to_vec();
    for (c, cell) in cells.iter().enumerate().step_by(5) {
        let mut alone: PassPlan<'_, 256> = PassPlan::new(&spec, i64::MIN, i64::MAX).unwrap();
        alone.push_cell(*cell).unwrap();
        alone.finalize().unwrap();
        run_pass(&mut *ws, &mut src, &alone).unwrap();
        assert_bits(&ws.stats(1)[0], &whole[c], &format!("real cell {c}"));
        assert!(stats::max_drawdown(&whole[c]) <= 100.0);
    }
    assert!(whole.iter().map(|s| s.trades).sum::<u32>() > 1000);
}
