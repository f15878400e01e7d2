//! The pass engine against a plain, whole-history re-implementation: same candidates,
//! same trades, bit-identical accumulators; first-passage mode against reference mode
//! on many symbols; capacity errors as values.

use super::portfolio::{account, candidates};
use super::support::{VecSource, market};
use phasebound_core::account::Stake;
use phasebound_core::budget::MAX_GROUPS;
use phasebound_core::engine::{FixedWorkspace, Head, LaneParts, Lanes, Pending, Workspace};
use phasebound_core::phase::{BarSource, run_pass};
use phasebound_core::plan::{CellDef, EvalMode, PassPlan, ProfileSpec};
use phasebound_core::signal::{Profile, Weights, default_groups};
use phasebound_core::stats::CellStats;
use phasebound_core::{Bar, EntryTiming, Error, ExitParams, Ohlc, Trailing};

pub fn spec(profile: Profile, one_position: bool, timing: EntryTiming) -> ProfileSpec {
    let mut groups = heapless::Vec::<Weights, MAX_GROUPS>::new();
    for g in default_groups(profile) {
        groups.push(g.weights).unwrap();
    }
    ProfileSpec {
        profile,
        groups,
        candidate_min_score: 30.0,
        candidate_min_consensus: 3,
        opportunity_move_pct: 1.0,
        opportunity_horizon: 32,
        entry_timing: timing,
        cost_pct: 0.14,
        one_position_per_symbol: one_position,
        max_open_trades: 4,
        stake: Stake::Compounding,
    }
}

pub fn cells() -> Vec<CellDef> {
    let mut v = Vec::new();
    let trails = [
        None,
        Some(Trailing {
            activation: 1.0,
            distance: 0.5,
        }),
        Some(Trailing {
            activation: 2.0,
            distance: 1.0,
        }),
    ];
    for (g, min_score, min_consensus) in [(0u8, 30.0f32, 3u8), (1, 45.0, 4), (5, 40.0, 3)] {
        for tp in [1.0, 2.0, 3.5] {
            for sl in [0.75, 1.5] {
                for hold in [4u16, 16, 40] {
                    for t in trails {
                        v.push(CellDef {
                            group: g,
                            min_score,
                            min_consensus,
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
    }
    v
}

/// Straightforward whole-history evaluation of one symbol, with the reference simulator
/// and the reference portfolio of [`super::portfolio`].
fn naive(
    bars: &[Bar],
    spec: &ProfileSpec,
    cells: &[CellDef],
    window: usize,
) -> (Vec<CellStats>, u32, u32) {
    let series = [bars.to_vec()];
    let cands = candidates(&series, spec, window);
    let opportunities = cands.iter().filter(|c| c.is_opp).count() as u32;
    let period = (bars[0].time, bars[bars.len() - 1].time);
    let stats = cells
        .iter()
        .map(|cell| account(&cands, cell, spec, period, true))
        .collect();
    (stats, cands.len() as u32, opportunities)
}

fn plan<'a>(spec: &'a ProfileSpec, cells: &[CellDef], mode: EvalMode) -> PassPlan<'a, 512> {
    let mut p = PassPlan::new(spec, i64::MIN, i64::MAX).unwrap();
    for c in cells {
        p.push_cell(*c).unwrap();
    }
    p.finalize().unwrap();
    p.set_mode(mode);
    p
}

#[test]
fn engine_equals_whole_history_evaluation() {
    for (seed, one_position, timing) in [
        (1u64, true, EntryTiming::NextOpen),
        (2, false, EntryTiming::NextOpen),
        (3, true, EntryTiming::SignalClose),
    ] {
        let bars = market(seed, 4000, 100.0);
        let spec = spec(Profile::Scalping, one_position, timing);
        let cells = cells();
        let plan = plan(&spec, &cells, EvalMode::FirstPassage);
        let mut ws: Box<FixedWorkspace<2, 64, 512>> = Box::new(FixedWorkspace::new());
        let mut src = VecSource::new(vec![bars.clone()], 15);
        run_pass(&mut *ws, &mut src, &plan).unwrap();
        let (expected, candidates, opportunities) =
            naive(&bars, &spec, &cells, usize::from(plan.window()));
        let totals = ws.totals();
        assert_eq!(totals.candidates, candidates);
        assert_eq!(totals.opportunities, opportunities);
        assert!(
            candidates > 50,
            "too few candidates ({candidates}) for a meaningful test"
        );
        let got = ws.stats(cells.len());
        let traded = got.iter().filter(|s| s.trades > 0).count();
        assert!(traded > cells.len() / 2, "most cells should trade");
        for (c, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "cell {c} differs (seed {seed})");
        }
    }
}

#[test]
fn first_passage_equals_reference_mode_on_many_symbols() {
    let series: Vec<Vec<Bar>> = (0..4)
        .map(|s| market(10 + s, 3000, 50.0 * (s + 1) as f64))
        .collect();
    for profile in [Profile::Scalping, Profile::Swing] {
        let spec = spec(profile, true, EntryTiming::NextOpen);
        let cells = cells();
        let mut results = Vec::new();
        for mode in [EvalMode::FirstPassage, EvalMode::Reference] {
            let plan = plan(&spec, &cells, mode);
            let mut ws: Box<FixedWorkspace<4, 64, 512>> = Box::new(FixedWorkspace::new());
            let mut src = VecSource::new(series.clone(), 15);
            run_pass(&mut *ws, &mut src, &plan).unwrap();
            results.push((ws.stats(cells.len()).to_vec(), ws.totals()));
        }
        assert_eq!(
            results[0], results[1],
            "{profile:?}: first-passage and reference differ"
        );
        assert!(results[0].0.iter().map(|s| s.trades).sum::<u32>() > 1000);
    }
}

#[test]
fn capacities_are_errors_not_panics() {
    let spec = spec(Profile::Scalping, true, EntryTiming::NextOpen);
    let cells = cells();
    let plan = plan(&spec, &cells, EvalMode::FirstPassage);
    // Too many symbols.
    let mut ws: Box<FixedWorkspace<2, 64, 512>> = Box::new(FixedWorkspace::new());
    let err = ws.begin(&plan, 3, 15).unwrap_err();
    assert_eq!(
        err,
        Error::CapacityExceeded {
            what: "lanes (symbols)",
            capacity: 2
        }
    );
    // Window longer than the ring.
    let mut small: Box<FixedWorkspace<2, 16, 512>> = Box::new(FixedWorkspace::new());
    assert_eq!(
        small.begin(&plan, 1, 15).unwrap_err(),
        Error::CapacityExceeded {
            what: "H_MAX",
            capacity: 16
        }
    );
    // Too many cells.
    let mut few: Box<FixedWorkspace<2, 64, 8>> = Box::new(FixedWorkspace::new());
    assert_eq!(
        few.begin(&plan, 1, 15).unwrap_err(),
        Error::CapacityExceeded {
            what: "MAX_CELLS",
            capacity: 8
        }
    );
    // Unknown symbol, unsorted time and invalid bars are errors.
    ws.begin(&plan, 1, 15).unwrap();
    let b = Bar {
        time: 0,
        open: 1.0,
        high: 1.0,
        low: 1.0,
        close: 1.0,
        volume: 0.0,
    };
    assert_eq!(ws.push(&plan, 1, &b).unwrap_err(), Error::UnknownSymbol(1));
    ws.push(&plan, 0, &b).unwrap();
    assert!(matches!(
        ws.push(&plan, 0, &b).unwrap_err(),
        Error::TimeNotIncreasing { .. }
    ));
    let bad = Bar {
        time: 1,
        high: 0.5,
        ..b
    };
    assert_eq!(ws.push(&plan, 0, &bad).unwrap_err(), Error::HighBelowLow);
}

/// Lanes of a caller's slices: one lane of 64 bars with a window scratch of `N` slots.
struct SliceLanes<const N: usize> {
    heads: [Head; 1],
    ring: [Ohlc; 64],
    runs: [u32; 64],
    queue: [Pending; 64],
    window: [Ohlc; N],
    best: [f64; N],
}

impl<const N: usize> Lanes for SliceLanes<N> {
    fn parts(&mut self) -> LaneParts<'_> {
        LaneParts {
            heads: &mut self.heads,
            ring: &mut self.ring,
            runs: &mut self.runs,
            queue: &mut self.queue,
            window: &mut self.window,
            best: &mut self.best,
        }
    }

    fn heads(&self) -> &[Head] {
        &self.heads
    }
}

#[test]
fn a_scratch_shallower_than_the_lanes_is_refused() {
    fn lanes<const N: usize>() -> SliceLanes<N> {
        SliceLanes {
            heads: [Head::EMPTY],
            ring: [Ohlc::new(0.0, 0.0, 0.0, 0.0); 64],
            runs: [0; 64],
            queue: [Pending::EMPTY; 64],
            window: [Ohlc::new(0.0, 0.0, 0.0, 0.0); N],
            best: [0.0; N],
        }
    }
    let spec = spec(Profile::Scalping, true, EntryTiming::NextOpen);
    let cells = cells();
    let plan = plan(&spec, &cells, EvalMode::FirstPassage);
    let mut short: Box<Workspace<64, 512, SliceLanes<63>>> =
        Box::new(Workspace::with_lanes(lanes()));
    assert!(matches!(
        short.begin(&plan, 1, 15).unwrap_err(),
        Error::InvalidParameter { what } if what.contains("scratch")
    ));
    let mut deep: Box<Workspace<64, 512, SliceLanes<64>>> =
        Box::new(Workspace::with_lanes(lanes()));
    deep.begin(&plan, 1, 15).unwrap();
}

#[test]
fn sampling_evaluates_exactly_the_sampled_candidates() {
    let bars = market(7, 4000, 100.0);
    let spec = spec(Profile::Scalping, false, EntryTiming::NextOpen);
    let cells = cells();
    let mut ws: Box<FixedWorkspace<1, 64, 512>> = Box::new(FixedWorkspace::new());
    let mut src = VecSource::new(vec![bars], 15);
    let full = plan(&spec, &cells, EvalMode::FirstPassage);
    run_pass(&mut *ws, &mut src, &full).unwrap();
    let n = ws.totals().candidates;
    let sample: Vec<u32> = (0..n).step_by(3).collect();
    let mut sampled = plan(&spec, &cells, EvalMode::FirstPassage);
    sampled.set_sample(&sample).unwrap();
    run_pass(&mut *ws, &mut src, &sampled).unwrap();
    let t = ws.totals();
    assert_eq!(t.candidates, n, "candidates are counted before sampling");
    assert_eq!(t.evaluated, sample.len() as u32);
    assert!(sampled.set_sample(&[3, 2]).is_err());
    assert_eq!(src.symbols(), 1);
}
