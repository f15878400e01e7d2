//! External entries (`EntrySource::External`, `Workspace::enter`): the same evaluation as
//! signal candidates, checked against a whole-history re-implementation with the reference
//! simulator, against the signal path itself, and for its errors and its observer.

use super::portfolio::{Cand, account, contiguous_after};
use super::support::{VecSource, market, unit};
use phasebound_core::account::Stake;
use phasebound_core::budget::{MAX_GROUPS, SMALL_H_MAX};
use phasebound_core::engine::{EntryEvent, ExternalEntry, FixedWorkspace, Observer};
use phasebound_core::indicators::Atr;
use phasebound_core::phase::{BarSource, run_pass};
use phasebound_core::plan::{CellDef, EntrySource, EvalMode, PassPlan, ProfileSpec};
use phasebound_core::signal::{Profile, Weights, default_groups};
use phasebound_core::sim::simulate;
use phasebound_core::stats::CellStats;
use phasebound_core::{
    Bar, Direction, Entry, EntryTiming, Error, ExitParams, Ohlc, TradeOutcome, Trailing,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

type Ws = FixedWorkspace<4, 128, 64>;

fn spec(one_position: bool, timing: EntryTiming, horizon: u16) -> ProfileSpec {
    let mut groups = heapless::Vec::<Weights, MAX_GROUPS>::new();
    for g in default_groups(Profile::Scalping) {
        groups.push(g.weights).unwrap();
    }
    ProfileSpec {
        profile: Profile::Scalping,
        groups,
        candidate_min_score: 0.0,
        candidate_min_consensus: 0,
        opportunity_move_pct: 1.0,
        opportunity_horizon: horizon,
        entry_timing: timing,
        cost_pct: 0.14,
        one_position_per_symbol: one_position,
        max_open_trades: 4,
        stake: Stake::Compounding,
    }
}

/// 3 tp x 2 sl x 3 holds x 3 trailing settings = 54 exit cells, no entry filter.
fn exit_cells() -> Vec<CellDef> {
    let trails = [
        None,
        Some(Trailing {
            activation: 1.0,
            distance: 0.5,
        }),
        Some(Trailing {
            activation: 0.0,
            distance: 1.25,
        }),
    ];
    let mut v = Vec::new();
    for t in trails {
        for hold in [3u16, 12, 40] {
            for sl in [0.75, 1.5] {
                for tp in [1.0, 2.0, 3.5] {
                    v.push(CellDef {
                        group: 0,
                        min_score: 0.0,
                        min_consensus: 0,
                        exit: ExitParams {
                            tp,
                            sl,
                            hold,
                            trailing: t,
                        },
                    });
                }
            }
        }
    }
    v
}

fn plan<'a>(spec: &'a ProfileSpec, cells: &[CellDef], mode: EvalMode) -> PassPlan<'a, 64> {
    let mut plan = PassPlan::new(spec, i64::MIN, i64::MAX).unwrap();
    for c in cells {
        plan.push_cell(*c).unwrap();
    }
    plan.finalize().unwrap();
    plan.set_mode(mode);
    plan.set_entry_source(EntrySource::External);
    plan
}

/// An entry the tests queue: symbol, signal bar index, direction, ATR override.
#[derive(Clone, Copy, Debug)]
struct Given {
    symbol: u16,
    bar: usize,
    direction: Direction,
    atr: Option<f64>,
}

/// Seeded entries at random bars from 14 on (some pairs on one bar), a third with an ATR.
fn random_entries(seed: u64, symbols: u16, bars: usize, n: usize) -> Vec<Given> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v: Vec<Given> = (0..n)
        .map(|_| {
            let u = unit(&mut rng);
            Given {
                symbol: (unit(&mut rng) * f64::from(symbols)) as u16,
                bar: 13 + (unit(&mut rng) * (bars - 13) as f64) as usize,
                direction: if unit(&mut rng) < 0.5 {
                    Direction::Long
                } else {
                    Direction::Short
                },
                atr: (u < 0.33).then(|| 0.5 + 100.0 * unit(&mut rng)),
            }
        })
        .collect();
    // Duplicates of a few, so some bars carry two entries.
    for i in 0..n / 10 {
        let mut g = v[i * 7 % n];
        g.direction = Direction::Short;
        v.push(g);
    }
    // Stable: entries of one bar keep their order of creation.
    v.sort_by_key(|g| (g.bar, g.symbol));
    v
}

/// Streams `series` through `ws`, queueing `given` after each entry's signal bar.
fn stream<O: Observer>(
    ws: &mut Ws,
    plan: &PassPlan<'_, 64>,
    series: &[Vec<Bar>],
    given: &[Given],
    observer: &mut O,
) -> Result<(), Error> {
    ws.begin(plan, series.len(), 15)?;
    let mut source = VecSource::new(series.to_vec(), 15);
    let mut next = 0usize;
    let mut count = vec![0usize; series.len()];
    let mut sink = |symbol: u16, bar: &Bar| -> Result<(), Error> {
        ws.push_observed(plan, symbol, bar, observer)?;
        let index = count[usize::from(symbol)];
        count[usize::from(symbol)] += 1;
        // `given` is sorted by (bar, symbol) and all series share their timestamps.
        while let Some(g) = given.get(next) {
            if (g.bar, g.symbol) > (index, symbol) {
                break;
            }
            assert_eq!(
                (g.bar, g.symbol),
                (index, symbol),
                "test entries out of step"
            );
            ws.enter(
                plan,
                symbol,
                ExternalEntry {
                    direction: g.direction,
                    atr: g.atr,
                },
            )?;
            next += 1;
        }
        Ok(())
    };
    source.replay(&mut sink)?;
    ws.finish_observed(plan, observer)
}

/// Wilder ATR(14) after each bar, via the indicator type fed bar by bar.
fn atrs(bars: &[Bar]) -> Vec<Option<f64>> {
    let mut atr = Atr::new(14).unwrap();
    bars.iter()
        .map(|b| {
            let v = atr.update(b.high, b.low, b.close);
            atr.is_ready().then_some(v)
        })
        .collect()
}

/// Whole-history evaluation with the reference simulator and the reference portfolio
/// ([`super::portfolio::account`]): entries in (signal time, symbol, queue order).
fn naive(
    series: &[Vec<Bar>],
    given: &[Given],
    spec: &ProfileSpec,
    cells: &[CellDef],
    window: usize,
) -> Vec<CellStats> {
    let atr: Vec<Vec<Option<f64>>> = series.iter().map(|s| atrs(s)).collect();
    let mut cands = Vec::new();
    for g in given {
        let bars = &series[usize::from(g.symbol)];
        let Some(a) = g.atr.or(atr[usize::from(g.symbol)][g.bar]) else {
            continue;
        };
        cands.push(Cand {
            time: bars[g.bar].time,
            symbol: g.symbol,
            direction: g.direction,
            atr: a,
            close: bars[g.bar].close,
            fwd: contiguous_after(bars, g.bar, 900_000, window),
            scores: vec![100.0; MAX_GROUPS],
            consensus: 5,
            is_opp: false,
        });
    }
    cands.sort_by_key(|c| (c.time, c.symbol));
    let first = series.iter().map(|s| s[0].time).min().unwrap();
    let last = series.iter().map(|s| s[s.len() - 1].time).max().unwrap();
    cells
        .iter()
        .map(|cell| account(&cands, cell, spec, (first, last), false))
        .collect()
}

/// Stats without the hindsight capture count (the naive version labels nothing).
fn uncaptured(s: &[CellStats]) -> Vec<CellStats> {
    s.iter().map(|c| CellStats { captured: 0, ..*c }).collect()
}

#[test]
fn external_entries_match_a_whole_history_reference() {
    let series: Vec<Vec<Bar>> = (0..3)
        .map(|s| market(100 + s, 700, 50.0 + 40.0 * s as f64))
        .collect();
    let given = random_entries(7, 3, 700, 150);
    let cells = exit_cells();
    let mut ws = Box::new(Ws::new());
    for one_position in [false, true] {
        for timing in [EntryTiming::NextOpen, EntryTiming::SignalClose] {
            let spec = spec(one_position, timing, 20);
            let expected = naive(&series, &given, &spec, &cells, 40);
            assert!(expected.iter().map(|s| s.trades).sum::<u32>() > 1000);
            for mode in [EvalMode::FirstPassage, EvalMode::Reference] {
                let plan = plan(&spec, &cells, mode);
                assert_eq!(plan.window(), 40);
                stream(&mut ws, &plan, &series, &given, &mut ()).unwrap();
                assert_eq!(
                    uncaptured(ws.stats(cells.len())),
                    expected,
                    "one position {one_position}, {timing:?}, {mode:?}"
                );
                assert_eq!(ws.totals().candidates as usize, given.len());
                // An entry on a last bar cannot fill at the next open: not evaluated.
                let unfilled = given.iter().filter(|g| g.bar == 699).count();
                let evaluated = match timing {
                    EntryTiming::NextOpen => given.len() - unfilled,
                    EntryTiming::SignalClose => given.len(),
                };
                assert!(unfilled > 0);
                assert_eq!(ws.totals().evaluated as usize, evaluated);
            }
        }
    }
}

/// Records every event, for comparisons.
#[derive(Default)]
struct Trace {
    entries: Vec<EntryEvent>,
    outcomes: Vec<(usize, usize, TradeOutcome)>,
}

impl Observer for Trace {
    fn entry(&mut self, event: &EntryEvent) {
        self.entries.push(*event);
    }
    fn outcome(&mut self, cell: usize, outcome: &TradeOutcome) {
        self.outcomes.push((self.entries.len() - 1, cell, *outcome));
    }
}

#[test]
fn queueing_the_signal_candidates_reproduces_the_signal_pass() {
    let series: Vec<Vec<Bar>> = (0..2).map(|s| market(300 + s, 1500, 80.0)).collect();
    let cells = exit_cells();
    let spec = spec(true, EntryTiming::NextOpen, 24);
    let mut signal_plan = plan(&spec, &cells, EvalMode::FirstPassage);
    signal_plan.set_entry_source(EntrySource::Signals);
    let mut ws = Box::new(Ws::new());
    let mut source = VecSource::new(series.clone(), 15);
    ws.begin(&signal_plan, 2, 15).unwrap();
    let mut trace = Trace::default();
    source
        .replay(&mut |s, b| ws.push_observed(&signal_plan, s, b, &mut trace))
        .unwrap();
    ws.finish_observed(&signal_plan, &mut trace).unwrap();
    let signal_stats = ws.stats(cells.len()).to_vec();
    let signal_totals = ws.totals();
    assert!(
        trace.entries.len() > 100,
        "{} candidates",
        trace.entries.len()
    );
    assert_eq!(trace.entries.len() as u32, signal_totals.candidates);

    // The same entries, queued by the caller: with their ATR, and with the ATR left to
    // the engine (the signal bar's ATR(14) either way).
    let mut given: Vec<Given> = trace
        .entries
        .iter()
        .map(|e| Given {
            symbol: e.symbol,
            bar: e.bar_index as usize,
            direction: e.direction,
            atr: Some(e.atr),
        })
        .collect();
    given.sort_by_key(|g| (g.bar, g.symbol));
    let external = plan(&spec, &cells, EvalMode::FirstPassage);
    for with_atr in [true, false] {
        let g: Vec<Given> = given
            .iter()
            .map(|g| Given {
                atr: if with_atr { g.atr } else { None },
                ..*g
            })
            .collect();
        let mut t2 = Trace::default();
        stream(&mut ws, &external, &series, &g, &mut t2).unwrap();
        assert_eq!(
            ws.stats(cells.len()),
            &signal_stats[..],
            "atr given: {with_atr}"
        );
        assert_eq!(t2.entries, trace.entries);
        assert_eq!(t2.outcomes, trace.outcomes);
        assert_eq!(ws.totals(), signal_totals);
    }
}

#[test]
fn the_observer_sees_every_trade_once_and_each_equals_the_reference() {
    let series = vec![market(5, 400, 120.0)];
    let given = random_entries(11, 1, 400, 60);
    let cells = exit_cells();
    let spec = spec(false, EntryTiming::NextOpen, 10);
    let plan = plan(&spec, &cells, EvalMode::FirstPassage);
    let mut ws = Box::new(Ws::new());
    let mut trace = Trace::default();
    stream(&mut ws, &plan, &series, &given, &mut trace).unwrap();
    let trades: u32 = ws.stats(cells.len()).iter().map(|s| s.trades).sum();
    assert_eq!(trace.outcomes.len(), trades as usize);
    assert_eq!(trace.entries.len(), given.len());
    let atr = atrs(&series[0]);
    let bars = &series[0];
    for &(e, c, o) in &trace.outcomes {
        let ev = trace.entries[e];
        let i = ev.bar_index as usize;
        let w: Vec<Ohlc> = bars[i + 1..(i + 41).min(bars.len())]
            .iter()
            .map(Ohlc::from)
            .collect();
        let a = ev.atr;
        assert!(
            given
                .iter()
                .any(|g| g.bar == i && g.direction == ev.direction && g.atr.or(atr[i]) == Some(a))
        );
        let entry = Entry {
            direction: ev.direction,
            price: ev.price.unwrap(),
            atr: a,
        };
        assert_eq!(ev.price, Some(bars[i + 1].open));
        assert_eq!(Some(o), simulate(&entry, &w, &cells[c].exit, 0.14));
    }
}

#[test]
fn no_signal_candidates_in_an_external_pass() {
    let series = vec![market(9, 1200, 60.0)];
    let spec = spec(false, EntryTiming::NextOpen, 10);
    let plan = plan(&spec, &exit_cells(), EvalMode::FirstPassage);
    let mut ws = Box::new(Ws::new());
    let mut source = VecSource::new(series, 15);
    run_pass(&mut *ws, &mut source, &plan).unwrap();
    let t = ws.totals();
    assert_eq!((t.bars, t.candidates, t.evaluated), (1200, 0, 0));
    assert!(t.warm_bars > 0);
    assert!(ws.stats(54).iter().all(|s| s.trades == 0));
}

#[test]
fn one_position_per_symbol_skips_a_second_entry_on_the_same_bar() {
    let series = vec![market(21, 300, 70.0)];
    let cells = exit_cells();
    let e = |d| Given {
        symbol: 0,
        bar: 100,
        direction: d,
        atr: Some(0.5),
    };
    let given = [e(Direction::Long), e(Direction::Long)];
    let mut ws = Box::new(Ws::new());
    for (one_position, per_cell) in [(false, 2), (true, 1)] {
        let spec = spec(one_position, EntryTiming::NextOpen, 10);
        let plan = plan(&spec, &cells, EvalMode::FirstPassage);
        stream(&mut ws, &plan, &series, &given, &mut ()).unwrap();
        for s in ws.stats(cells.len()) {
            assert_eq!(s.trades, per_cell);
        }
    }
}

#[test]
fn entries_at_the_end_of_the_data() {
    let series = vec![market(3, 60, 70.0)];
    let cells = exit_cells();
    let last = Given {
        symbol: 0,
        bar: 59,
        direction: Direction::Long,
        atr: None,
    };
    let mut ws = Box::new(Ws::new());
    // At the next open: no bar to fill at; the observer hears of it, nothing trades.
    let spec_next = spec(false, EntryTiming::NextOpen, 10);
    let plan_next = plan(&spec_next, &cells, EvalMode::Reference);
    let mut trace = Trace::default();
    stream(&mut ws, &plan_next, &series, &[last], &mut trace).unwrap();
    assert_eq!(trace.entries.len(), 1);
    assert_eq!(trace.entries[0].price, None);
    assert!(trace.outcomes.is_empty());
    // At the signal close: an entry with an empty window, also no trade.
    let spec_close = spec(false, EntryTiming::SignalClose, 10);
    let plan_close = plan(&spec_close, &cells, EvalMode::FirstPassage);
    let mut trace = Trace::default();
    stream(&mut ws, &plan_close, &series, &[last], &mut trace).unwrap();
    assert_eq!(trace.entries[0].price, Some(series[0][59].close));
    assert!(trace.outcomes.is_empty());
    // Two bars before the end: truncated trades for holds beyond the data.
    let near = Given { bar: 57, ..last };
    stream(&mut ws, &plan_next, &series, &[near], &mut ()).unwrap();
    let truncated: u32 = ws
        .stats(cells.len())
        .iter()
        .map(|s| s.reason_count(phasebound_core::ExitReason::Truncated))
        .sum();
    let trades: u32 = ws.stats(cells.len()).iter().map(|s| s.trades).sum();
    assert_eq!(trades, 54);
    assert!(truncated > 0);
}

#[test]
fn entry_errors_are_values() {
    let bars = market(4, 30, 70.0);
    let cells = exit_cells();
    let spec = spec(false, EntryTiming::NextOpen, 10);
    let plan = plan(&spec, &cells, EvalMode::FirstPassage);
    let mut ws = Box::new(Ws::new());
    ws.begin(&plan, 2, 15).unwrap();
    let long = |atr| ExternalEntry {
        direction: Direction::Long,
        atr,
    };
    // Before any bar of the symbol.
    assert!(matches!(
        ws.enter(&plan, 0, long(None)),
        Err(Error::InvalidParameter { .. })
    ));
    assert_eq!(ws.enter(&plan, 2, long(None)), Err(Error::UnknownSymbol(2)));
    for (i, b) in bars.iter().enumerate() {
        ws.push(&plan, 0, b).unwrap();
        // ATR(14) exists from the 14th bar (index 13) on; an explicit ATR always works.
        let computed = ws.enter(&plan, 0, long(None));
        assert_eq!(computed.is_ok(), i >= 13, "bar {i}: {computed:?}");
        ws.enter(&plan, 0, long(Some(1.0))).unwrap();
    }
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            ws.enter(&plan, 0, long(Some(bad))),
            Err(Error::InvalidParameter { .. })
        ));
    }
    // A plan of signal candidates refuses external entries.
    let mut signals = plan.clone();
    signals.set_entry_source(EntrySource::Signals);
    assert!(matches!(
        ws.enter(&signals, 0, long(Some(1.0))),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn flat_prices_have_no_atr_to_take() {
    let bars: Vec<Bar> = (0..40)
        .map(|i| Bar {
            time: 1_704_067_200_000 + i * 900_000,
            open: 10.0,
            high: 10.0,
            low: 10.0,
            close: 10.0,
            volume: 1.0,
        })
        .collect();
    let spec = spec(false, EntryTiming::NextOpen, 10);
    let plan = plan(&spec, &exit_cells(), EvalMode::FirstPassage);
    let mut ws = Box::new(Ws::new());
    ws.begin(&plan, 1, 15).unwrap();
    for b in &bars {
        ws.push(&plan, 0, b).unwrap();
    }
    let e = ExternalEntry {
        direction: Direction::Short,
        atr: None,
    };
    assert!(matches!(
        ws.enter(&plan, 0, e),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn a_full_queue_is_a_capacity_error() {
    type Small = FixedWorkspace<1, SMALL_H_MAX, 64>;
    let bars = market(8, 20, 70.0);
    let spec = spec(false, EntryTiming::NextOpen, 10);
    let cells = exit_cells();
    let mut plan: PassPlan<'_, 64> = PassPlan::new(&spec, i64::MIN, i64::MAX).unwrap();
    for c in &cells {
        plan.push_cell(*c).unwrap();
    }
    plan.finalize().unwrap();
    plan.set_entry_source(EntrySource::External);
    let mut ws = Box::new(Small::new());
    ws.begin(&plan, 1, 15).unwrap();
    ws.push(&plan, 0, &bars[0]).unwrap();
    let e = ExternalEntry {
        direction: Direction::Long,
        atr: Some(1.0),
    };
    for _ in 0..SMALL_H_MAX {
        ws.enter(&plan, 0, e).unwrap();
    }
    assert_eq!(
        ws.enter(&plan, 0, e),
        Err(Error::CapacityExceeded {
            what: "lane queue (waiting entries per symbol)",
            capacity: SMALL_H_MAX
        })
    );
    // The queued entries are all evaluated once their windows complete.
    for b in &bars[1..] {
        ws.push(&plan, 0, b).unwrap();
    }
    ws.finish(&plan).unwrap();
    assert_eq!(ws.totals().evaluated as usize, SMALL_H_MAX);
    // Every cell's account takes as many as it has slots and skips the rest.
    assert!(
        ws.stats(cells.len())
            .iter()
            .all(|s| s.trades == 4 && (s.trades + s.skipped) as usize == SMALL_H_MAX)
    );
}
