//! The phases end to end on seeded random markets: bookkeeping against direct passes,
//! local optimality of the search result, sampling error measured, determinism.

use super::engine::spec;
use super::support::{VecSource, market};
use phasebound_core::engine::FixedWorkspace;
use phasebound_core::phase::BarSource;
use phasebound_core::phase::{
    self, ExitSpace, ProfileConfig, SearchConfig, TimeRange, ValidationConfig, Verdict,
};
use phasebound_core::plan::CellDef;
use phasebound_core::sampling;
use phasebound_core::signal::Profile;
use phasebound_core::stats::Objective;
use phasebound_core::{Bar, EntryTiming, ExitParams, Trailing};

type Ws = FixedWorkspace<4, 64, 256>;

pub fn profile() -> ProfileConfig {
    let space = ExitSpace {
        tp: heapless::Vec::from_slice(&[1.0, 2.0, 3.0]).unwrap(),
        sl: heapless::Vec::from_slice(&[0.75, 1.5]).unwrap(),
        hold: heapless::Vec::from_slice(&[4, 16, 32]).unwrap(),
        trailing: heapless::Vec::from_slice(&[Trailing {
            activation: 1.0,
            distance: 0.5,
        }])
        .unwrap(),
        min_score: heapless::Vec::from_slice(&[30.0, 45.0, 60.0]).unwrap(),
        min_consensus: heapless::Vec::from_slice(&[3, 4]).unwrap(),
    };
    let baseline = ExitParams {
        tp: 2.0,
        sl: 1.5,
        hold: 16,
        trailing: None,
    };
    ProfileConfig {
        spec: spec(Profile::Scalping, true, EntryTiming::NextOpen),
        baseline,
        space,
        fallback: Some(CellDef {
            group: 0,
            min_score: 60.0,
            min_consensus: 4,
            exit: baseline,
        }),
    }
}

fn source() -> VecSource {
    let series: Vec<Vec<Bar>> = (0..3)
        .map(|s| market(100 + s, 5000, 20.0 + 30.0 * s as f64))
        .collect();
    VecSource::new(series, 15)
}

fn search() -> SearchConfig {
    SearchConfig {
        objective: Objective::TotalProfit,
        min_trades: 10,
        max_rounds: 50,
        starts: 4,
    }
}

#[test]
fn phases_agree_with_direct_passes_and_search_is_locally_optimal() {
    let pc = profile();
    let mut src = source();
    let mut ws: Box<Ws> = Box::new(FixedWorkspace::new());
    let span = src.span_for_test();
    let (is, oos) = TimeRange::split(span, 0.7).unwrap();
    let scan = phase::scan(&mut *ws, &mut src, &pc, TimeRange::all(span)).unwrap();
    assert!(scan.totals.candidates > 100 && scan.totals.opportunities > 0);
    assert_eq!(ws.counters().count(), 3);
    assert_eq!(
        ws.counters().map(|c| c.candidates).sum::<u32>(),
        scan.totals.candidates
    );
    let screen = phase::screen(&mut *ws, &mut src, &pc, &search(), is).unwrap();
    assert_eq!(screen.cells, 6 * 3 * 2);
    assert!(screen.top.windows(2).all(|w| w[0].score >= w[1].score));
    // The visitor sees every screened cell once, in screening order, with the scores
    // the ranking used: the best it saw is the top entry.
    let mut seen: Vec<(CellDef, f64)> = Vec::new();
    let visited = phase::screen_visited(
        &mut *ws,
        &mut src,
        &pc,
        &search(),
        is,
        &mut |c, st, score| {
            assert_eq!(score, search().objective.score(st, 10));
            seen.push((*c, score));
        },
    )
    .unwrap();
    assert_eq!(visited, screen);
    assert_eq!(seen.len(), 6 * 3 * 2);
    assert_eq!(
        (
            seen[1].0.group,
            seen[1].0.min_score,
            seen[1].0.min_consensus
        ),
        (0, 30.0, 4)
    );
    let best = &screen.top[0];
    assert_eq!(seen[best.index as usize], (best.cell, best.score));
    assert!(seen.iter().all(|(_, s)| *s <= best.score));
    let opt = phase::optimize(
        &mut *ws,
        &mut src,
        &pc,
        &search(),
        screen.starts(4),
        is,
        None,
    )
    .unwrap();
    assert_eq!(opt.starts.len(), 4);
    let lattice = pc.space.lattice().unwrap();
    for s in &opt.starts {
        assert!(
            s.score >= s.origin_score,
            "a start never ends worse than it began"
        );
        // Direct evaluation of the reported best cell reproduces its statistics exactly.
        let direct = phase::reanalyse(&mut *ws, &mut src, &pc, &s.best, None, is).unwrap();
        assert_eq!(direct.new, s.stats);
        // Local optimality: no neighbour scores strictly better.
        let idx = pc.space.nearest(&lattice, &s.best).unwrap();
        let mut nbs = heapless::Vec::new();
        lattice.neighbours(idx, &mut nbs).unwrap();
        for &nb in &nbs {
            let cell = pc.space.cell(&lattice, nb, s.best.group).unwrap();
            let st = phase::reanalyse(&mut *ws, &mut src, &pc, &cell, None, is)
                .unwrap()
                .new;
            assert!(
                search().objective.score(&st, 10) <= s.score,
                "neighbour beats the search result"
            );
        }
    }
    let best = opt.chosen().unwrap();
    assert!(opt.starts.iter().all(|s| s.score <= best.score));
    let v = phase::validate(
        &mut *ws,
        &mut src,
        &pc,
        &ValidationConfig {
            min_trades: 5,
            alpha: 0.05,
        },
        &best.best,
        &best.stats,
        &[oos],
    )
    .unwrap();
    let direct = phase::reanalyse(&mut *ws, &mut src, &pc, &best.best, None, oos).unwrap();
    assert_eq!(v.out_of_sample, direct.new);
    // The rule, from the pooled account's daily returns.
    let mean = v.out_of_sample.day_sum / f64::from(v.out_of_sample.days);
    let p = phasebound_core::stats::daily_p_value(&v.out_of_sample);
    assert_eq!(v.significant, p < 0.05);
    assert_eq!(v.enough_trades, v.out_of_sample.trades >= 5);
    let expected = if v.out_of_sample.trades == 0 || mean <= 0.0 {
        Verdict::Failed
    } else if v.enough_trades && v.significant {
        Verdict::Passed
    } else {
        Verdict::Warning
    };
    assert_eq!(v.verdict, expected);
}

#[test]
fn sampled_search_reports_the_full_data_result_and_is_deterministic() {
    let pc = profile();
    let run = || {
        let mut src = source();
        let mut ws: Box<Ws> = Box::new(FixedWorkspace::new());
        let span = src.span_for_test();
        let (is, _) = TimeRange::split(span, 0.7).unwrap();
        let n = phase::scan(&mut *ws, &mut src, &pc, is)
            .unwrap()
            .totals
            .candidates;
        let mut sample: heapless::Vec<u32, 4096> = heapless::Vec::new();
        let mut rng = sampling::stream(42, 3, 0);
        sampling::sample_without_replacement(&mut rng, n, n / 2, &mut sample).unwrap();
        let screen = phase::screen(&mut *ws, &mut src, &pc, &search(), is).unwrap();
        let opt = phase::optimize(
            &mut *ws,
            &mut src,
            &pc,
            &search(),
            screen.starts(4),
            is,
            Some(&sample),
        )
        .unwrap();
        let best = *opt.chosen().unwrap();
        let direct = phase::reanalyse(&mut *ws, &mut src, &pc, &best.best, None, is).unwrap();
        assert_eq!(
            best.full,
            Some(direct.new),
            "full-data result of the chosen cell"
        );
        assert!(
            best.stats.trades < direct.new.trades,
            "the sample sees fewer trades"
        );
        (opt, n)
    };
    let (a, n) = run();
    let (b, _) = run();
    assert_eq!(a, b);
    assert_eq!(a.candidates_seen, n / 2);
}

trait SpanForTest {
    fn span_for_test(&self) -> (i64, i64);
}

impl SpanForTest for VecSource {
    fn span_for_test(&self) -> (i64, i64) {
        BarSource::span(self)
    }
}

#[test]
fn dense_check_is_the_brute_force_best_whatever_the_capacity() {
    let pc = profile();
    let mut src = source();
    let span = BarSource::span(&src);
    let (is, _) = TimeRange::split(span, 0.7).unwrap();
    let filter = CellDef {
        group: 2,
        min_score: 45.0,
        min_consensus: 3,
        exit: pc.baseline,
    };
    let mut big: Box<Ws> = Box::new(FixedWorkspace::new());
    let dense = phase::dense_check(&mut *big, &mut src, &pc, &search(), &filter, is, None).unwrap();
    assert_eq!(dense.cells, 3 * 2 * 3 * 2);
    assert_eq!(dense.passes, 1);
    // Brute force, one cell per pass.
    let lattice = pc.space.lattice().unwrap();
    let mut best = f64::NEG_INFINITY;
    for idx in 0..lattice.len() {
        let cell = pc.space.cell(&lattice, idx, filter.group).unwrap();
        if cell.min_score != filter.min_score || cell.min_consensus != filter.min_consensus {
            continue;
        }
        let st = phase::reanalyse(&mut *big, &mut src, &pc, &cell, None, is)
            .unwrap()
            .new;
        best = best.max(search().objective.score(&st, 10));
    }
    assert_eq!(dense.score, best);
    assert!(best.is_finite(), "some exit should trade enough");
    // A workspace with 8 cells needs 5 passes and finds the same cell.
    let mut small: Box<FixedWorkspace<4, 64, 8>> = Box::new(FixedWorkspace::new());
    let chunked =
        phase::dense_check(&mut *small, &mut src, &pc, &search(), &filter, is, None).unwrap();
    assert_eq!(chunked.passes, 5);
    assert_eq!(
        (chunked.best, chunked.stats, chunked.score),
        (dense.best, dense.stats, dense.score)
    );
}
