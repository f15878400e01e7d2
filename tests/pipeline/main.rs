//! Cross-crate pipeline tests: the host's run, in process, against the core.
//!
//! The host reads the embedded fixtures through its parsers, binary cache and k-way
//! merge; these tests parse the same files independently into memory, replay them through
//! the core's phase functions directly, and require the very numbers the host reported:
//! Phase 1 counts, Phase 3's full-data result of a sampled search, and the final
//! re-analysis, JSON-equal after the host's rounding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use phasebound::config::Config;
use phasebound::pipeline::{RunOptions, RunOutcome};
use phasebound_core::engine::DefaultWorkspace;
use phasebound_core::phase::{self, BarSource, TimeRange};
use phasebound_core::plan::CellDef;
use phasebound_core::signal::Profile;
use phasebound_core::{Bar, Error, ExitParams, Trailing};
use serde_json::Value;
use tempfile::TempDir;

/// Bars of every symbol in memory, merged by (time, symbol index).
struct MemSource {
    symbols: usize,
    bars: Vec<(u16, Bar)>,
    span: (i64, i64),
}

impl MemSource {
    /// Parses the embedded fixture files (normalized CSV) with `str::parse`, sorted by
    /// symbol as the host orders its inputs.
    fn fixtures() -> (Self, Vec<String>) {
        let mut files = phasebound::fixtures::FILES.to_vec();
        files.sort_by_key(|(name, _)| *name);
        let mut bars = Vec::new();
        let mut names = Vec::new();
        for (i, (name, bytes)) in files.iter().enumerate() {
            names.push(name.split('-').next().unwrap().to_string());
            let text = std::str::from_utf8(bytes).unwrap();
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("open_time_ms,open,high,low,close,volume")
            );
            for line in lines {
                let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
                bars.push((
                    i as u16,
                    Bar {
                        time: f[0] as i64,
                        open: f[1],
                        high: f[2],
                        low: f[3],
                        close: f[4],
                        volume: f[5],
                    },
                ));
            }
        }
        bars.sort_by_key(|(s, b)| (b.time, *s));
        let span = (bars[0].1.time, bars[bars.len() - 1].1.time);
        (
            Self {
                symbols: files.len(),
                bars,
                span,
            },
            names,
        )
    }
}

impl BarSource for MemSource {
    fn symbols(&self) -> usize {
        self.symbols
    }

    fn timeframe_minutes(&self) -> u32 {
        15
    }

    fn span(&self) -> (i64, i64) {
        self.span
    }

    fn replay(
        &mut self,
        sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for (s, b) in &self.bars {
            sink(*s, b)?;
        }
        Ok(())
    }
}

/// The host's run on the embedded data with `config`, in process.
fn host_run(config: Config, threads: usize) -> (TempDir, RunOutcome) {
    let tmp = TempDir::new().unwrap();
    let opts = RunOptions {
        data: Vec::new(),
        symbol: None,
        timeframe: None,
        timerange: phasebound::data::TimeRange::ALL,
        policy: phasebound::data::BarPolicy::default(),
        out: tmp.path().join("out"),
        cache: tmp.path().join("cache"),
        config,
        previous: None::<PathBuf>,
        threads,
        max_memory: None,
        progress: false,
    };
    let outcome = phasebound::pipeline::run(&opts).unwrap();
    (tmp, outcome)
}

/// A reported parameter set back as a core cell: group by name, hold in bars.
fn cell_of(params: &Value, groups: &[String]) -> CellDef {
    let f = |k: &str| params[k].as_f64().unwrap();
    let group = groups
        .iter()
        .position(|g| g == params["weight_group"].as_str().unwrap())
        .unwrap();
    CellDef {
        group: group as u8,
        min_score: f("min_signal_score") as f32,
        min_consensus: params["min_indicator_consensus"].as_u64().unwrap() as u8,
        exit: ExitParams {
            tp: f("atr_tp_multiplier"),
            sl: f("atr_stop_multiplier"),
            hold: params["max_holding_bars"].as_u64().unwrap() as u16,
            trailing: params["trailing_stop_enabled"]
                .as_bool()
                .unwrap()
                .then(|| Trailing {
                    activation: f("trailing_stop_activation"),
                    distance: f("trailing_stop_distance"),
                }),
        },
    }
}

fn group_names(cfg: &Config, p: Profile) -> Vec<String> {
    cfg.profile_toml(p)
        .groups
        .iter()
        .map(|g| g.name.clone())
        .collect()
}

/// Runs `f` on a thread whose stack holds a default workspace while it is boxed.
fn with_workspace<T: Send>(f: impl FnOnce(&mut DefaultWorkspace) -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(32 << 20)
            .spawn_scoped(s, || {
                let mut ws = Box::new(DefaultWorkspace::new());
                f(&mut ws)
            })
            .unwrap()
            .join()
            .unwrap()
    })
}

#[test]
fn host_phase1_and_final_equal_the_core_on_the_same_bars() {
    let cfg = Config::default();
    let (_tmp, outcome) = host_run(cfg.clone(), 1);
    let report = &outcome.report;
    let (mut src, names) = MemSource::fixtures();
    let reported: Vec<&str> = report["run"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(reported, names);
    for (i, name) in names.iter().enumerate() {
        let n = src
            .bars
            .iter()
            .filter(|(s, _)| usize::from(*s) == i)
            .count();
        assert_eq!(report["run"]["inputs"][i]["bars"], n, "{name}");
    }
    let span = src.span();
    let all = TimeRange::all(span);
    // Tonight's fit (what ships) is fitted on all data: its in-sample span is `all`.
    let is = all;
    for p in Profile::ALL {
        let key = p.name();
        let pc = cfg.profile(p, 15).unwrap();
        let groups = group_names(&cfg, p);
        let final_cell = cell_of(&report["final"][key]["parameters"], &groups);
        let (scan, per_symbol, scan_is, re) = with_workspace(|ws| {
            let scan = phase::scan(ws, &mut src, &pc, all).unwrap();
            let per_symbol: Vec<_> = ws.counters().copied().collect();
            (
                scan,
                per_symbol,
                phase::scan(ws, &mut src, &pc, is).unwrap(),
                phase::reanalyse(ws, &mut src, &pc, &final_cell, None, all).unwrap(),
            )
        });
        // Phase 1: the host's counts are the core's.
        let ph1 = &report["phase1"][key];
        assert!(scan.totals.candidates > 0, "{key}");
        assert_eq!(ph1["candidates"], scan.totals.candidates, "{key}");
        assert_eq!(ph1["long_candidates"], scan.totals.longs, "{key}");
        assert_eq!(ph1["opportunities"], scan.totals.opportunities, "{key}");
        assert_eq!(
            ph1["in_sample_candidates"], scan_is.totals.candidates,
            "{key}"
        );
        for (s, c) in ph1["per_symbol"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&per_symbol)
        {
            assert_eq!(s["bars"], c.bars, "{key}");
            assert_eq!(s["bars_after_warmup"], c.warm_bars, "{key}");
            assert_eq!(s["candidates"], c.candidates, "{key}");
            assert_eq!(s["opportunities"], c.opportunities, "{key}");
        }
        // Final: the host's statistics of its final cell are the core's, to the last
        // reported digit.
        let fin = &report["final"][key];
        assert!(re.new.trades > 0, "{key}");
        assert_eq!(
            fin["all_data"],
            phasebound::report::stats_json(&re.new, Some(re.opportunities)),
            "{key}"
        );
        assert_eq!(fin["candidates"], re.candidates, "{key}");
        assert_eq!(fin["opportunities"], re.opportunities, "{key}");
        assert_eq!(re.candidates, scan.totals.candidates, "{key}");
        // params.json carries the same parameters when the profile ships.
        let entry = &outcome.params[format!("{key}_params")];
        if entry["enabled"] == true {
            assert_eq!(cell_of(entry, &groups), final_cell, "{key}");
        } else {
            assert!(entry.get("atr_tp_multiplier").is_none(), "{key}");
        }
    }
}

#[test]
fn sampled_search_reports_the_chosen_cells_full_in_sample_result() {
    let cfg = Config {
        sample: 250,
        seed: 9,
        ..Config::default()
    };
    let (_tmp, outcome) = host_run(cfg.clone(), 2);
    let report = &outcome.report;
    let (mut src, _) = MemSource::fixtures();
    let is = TimeRange::all(src.span());
    for p in Profile::ALL {
        let key = p.name();
        let pc = cfg.profile(p, 15).unwrap();
        let groups = group_names(&cfg, p);
        let ph3 = &report["phase3"][key];
        assert_eq!(ph3["sample"]["size"], 250, "{key}");
        for start in ph3["starts"].as_array().unwrap() {
            let cell = cell_of(&start["best"], &groups);
            let direct =
                with_workspace(|ws| phase::reanalyse(ws, &mut src, &pc, &cell, None, is).unwrap());
            // The sampled search's winner, evaluated on every in-sample candidate.
            assert_eq!(
                start["in_sample_all_candidates"],
                phasebound::report::stats_json(&direct.new, Some(direct.opportunities)),
                "{key}"
            );
            assert!(direct.new.trades > 0, "{key}");
        }
    }
}
