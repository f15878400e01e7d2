//! The whole pipeline as a user runs it on real data (the six 15m symbols of
//! `../shared/data/binance/`, skipped with a SKIP line when that folder is absent), the
//! determinism promise (same bytes twice, with one or two threads, from a fresh or a
//! reused cache), seeded sampling, and the keys of `params.json` and `report.json`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::cli::{Files, assert_complete_summary, baseline, phasebound};

/// `../shared/data` beside the workspace, or `None` after printing a SKIP line.
pub(crate) fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = data_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {test}: ../shared/data not found");
        None
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// The six real 15m symbols, sorted as the host sorts them.
pub(crate) const SIX: [&str; 6] = [
    "BTCUSDT", "DOGEUSDT", "ETHUSDT", "LINKUSDT", "SOLUSDT", "XRPUSDT",
];

/// The six-symbol 15m run, done twice: one thread with a fresh cache, then two threads
/// reusing that cache.
pub(crate) struct RealRun {
    /// The data folder.
    pub binance: PathBuf,
    /// stdout of the first run.
    pub stdout: String,
    /// `--threads 1`, fresh cache.
    pub one: Files,
    /// `--threads 2`, the cache of the first run.
    pub two: Files,
}

/// The shared real run; `None` (after a SKIP line) without `../shared/data`.
pub(crate) fn real_run(test: &str) -> Option<&'static RealRun> {
    static RUN: OnceLock<Option<RealRun>> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let binance = data_dir().join("binance");
        if !binance.is_dir() {
            return None;
        }
        let tmp = TempDir::new().unwrap();
        let data = binance.to_str().unwrap().to_string() + "/";
        let mut outs = Vec::new();
        for (threads, out) in [("1", "one"), ("2", "two")] {
            let o = phasebound(
                &[
                    "run",
                    "--data",
                    &data,
                    "--timeframe",
                    "15m",
                    "--threads",
                    threads,
                    "--cache",
                    "cache",
                    "--out",
                    out,
                ],
                tmp.path(),
            );
            o.expect_code(0);
            outs.push((o.stdout, Files::read(&tmp.path().join(out))));
        }
        let (two, one) = (outs.pop().unwrap().1, outs.pop().unwrap());
        Some(RealRun {
            binance,
            stdout: one.0,
            one: one.1,
            two,
        })
    });
    if run.is_none() {
        eprintln!("SKIP: {test}: ../shared/data not found");
    }
    run.as_ref()
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Both profiles traded in every phase that trades, and Phase 4 gave a verdict.
pub(crate) fn assert_trades_in_both_profiles(report: &Value) {
    for p in ["scalping", "swing"] {
        assert!(
            report["phase1"][p]["candidates"].as_u64() > Some(0),
            "{p}: no candidates"
        );
        for (i, s) in report["phase3"][p]["starts"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert!(
                s["in_sample"]["trades"].as_u64() > Some(0),
                "{p}: start {i} has no in-sample trades"
            );
        }
        assert!(
            report["final"][p]["all_data"]["trades"].as_u64() > Some(0),
            "{p}: no trades on all data"
        );
        let verdict = report["phase4"][p]["procedure"]["verdict"]
            .as_str()
            .unwrap();
        assert!(
            ["PASSED", "WARNING", "FAILED"].contains(&verdict),
            "{p}: {verdict}"
        );
    }
}

#[test]
fn six_real_symbols_at_15m_trade_in_both_profiles() {
    let Some(run) = real_run("six_real_symbols_at_15m_trade_in_both_profiles") else {
        return;
    };
    assert_complete_summary(&run.stdout);
    let report = run.one.report();
    assert_trades_in_both_profiles(&report);
    assert_eq!(report["run"]["data"], "user files");
    assert_eq!(report["run"]["timeframe"], "15m");
    let inputs = report["run"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 6);
    for (input, sym) in inputs.iter().zip(SIX) {
        assert_eq!(input["symbol"], sym);
        assert_eq!(input["timeframe"], "15m");
        let files = input["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{sym}");
        let name = format!("{sym}-15m.csv");
        assert_eq!(files[0]["file"], name.as_str());
        assert_eq!(
            files[0]["sha256"].as_str(),
            Some(sha256_hex(&run.binance.join(&name)).as_str()),
            "{sym}"
        );
        // The data README promises no gaps; the report would show them.
        assert_eq!(input["gaps"], 0, "{sym}");
        let bars = input["bars"].as_u64().unwrap();
        assert!((23_000..25_000).contains(&bars), "{sym}: {bars} bars");
    }
    // Phase 1 counts each symbol's bars once per pass.
    for p in ["scalping", "swing"] {
        let per = report["phase1"][p]["per_symbol"].as_array().unwrap();
        let warmup = report["phase1"][p]["warmup_bars"].as_u64().unwrap();
        assert_eq!(warmup, 800, "EMA 50 of 4 h candles is 800 bars of 15m");
        for (s, input) in per.iter().zip(inputs) {
            assert_eq!(s["symbol"], input["symbol"]);
            assert_eq!(s["bars"], input["bars"]);
            // The first snapshot comes at the close of bar number `warmup`.
            let bars = input["bars"].as_u64().unwrap();
            assert_eq!(s["bars_after_warmup"].as_u64(), Some(bars - warmup + 1));
        }
        let sum: u64 = per.iter().map(|s| s["candidates"].as_u64().unwrap()).sum();
        assert_eq!(Some(sum), report["phase1"][p]["candidates"].as_u64());
    }
}

#[test]
fn real_run_is_identical_with_one_or_two_threads_and_a_reused_cache() {
    let Some(run) = real_run("real_run_is_identical_with_one_or_two_threads_and_a_reused_cache")
    else {
        return;
    };
    assert!(run.one.report == run.two.report, "report.json differs");
    assert!(run.one.params == run.two.params, "params.json differs");
    let threads = |f: &Files| serde_json::from_slice::<Value>(&f.run).unwrap()["threads"].clone();
    assert_eq!((threads(&run.one), threads(&run.two)), (1.into(), 2.into()));
}

/// The keys of DESIGN §5 and the decision, consistent with the report: every profile
/// says whether it is enabled, where its parameters come from, its verdict and the
/// signal version; only an enabled profile carries trading parameters, and they are the
/// decision's.
pub(crate) fn assert_params_keys(params: &Value, report: &Value) {
    for p in ["scalping", "swing"] {
        let e = &params[format!("{p}_params")];
        for key in [
            "enabled",
            "source",
            "reason",
            "signal_version",
            "verdict",
            "validation_status",
        ] {
            assert!(e.get(key).is_some(), "{p}_params.{key} missing");
        }
        assert_eq!(e["signal_version"], phasebound_core::signal::SIGNAL_VERSION);
        let decision = &report["phase4"][p]["decision"];
        assert_eq!(e["enabled"], decision["enabled"], "{p}");
        assert_eq!(e["source"], decision["source"], "{p}");
        let verdict = &report["phase4"][p]["procedure"]["verdict"];
        assert_eq!(&e["verdict"]["status"], verdict, "{p}");
        assert_eq!(&e["validation_status"], verdict, "{p}");
        let trading = [
            "atr_tp_multiplier",
            "atr_stop_multiplier",
            "max_holding_hours",
            "min_signal_score",
            "min_indicator_consensus",
            "trailing_stop_enabled",
            "trailing_stop_activation",
            "trailing_stop_distance",
            "weight_group",
            "weights",
        ];
        let enabled = e["enabled"].as_bool().unwrap();
        // Nothing ships that did not pass.
        if enabled {
            let shipped_verdict = match e["source"].as_str().unwrap() {
                "new" => verdict.clone(),
                other => report["phase4"][p][other]["verdict"].clone(),
            };
            assert_eq!(shipped_verdict, "PASSED", "{p}");
        } else {
            assert_eq!(e["source"], "none", "{p}");
        }
        for key in trading {
            assert_eq!(e.get(key).is_some(), enabled, "{p}_params.{key}");
        }
        if !enabled {
            continue;
        }
        assert!(e["atr_tp_multiplier"].as_f64() > Some(0.0));
        assert!(e["atr_stop_multiplier"].as_f64() > Some(0.0));
        assert!(e["max_holding_hours"].as_f64() > Some(0.0));
        let trailing = e["trailing_stop_enabled"].as_bool().unwrap();
        assert_eq!(e["trailing_stop_activation"].is_number(), trailing, "{p}");
        assert_eq!(e["trailing_stop_distance"].is_number(), trailing, "{p}");
        // What the bot reads is what the final re-analysis evaluated.
        let fin = report["final"][p]["parameters"].as_object().unwrap();
        for (k, v) in fin {
            assert_eq!(&e[k], v, "{p}_params.{k}");
        }
    }
}

#[test]
fn params_json_has_the_keys_the_bot_reads() {
    let base = baseline();
    assert_params_keys(&base.files.params(), &base.files.report());
    let params = base.files.params();
    assert_eq!(params["timeframe"], "15m");
    assert_eq!(params["seed"], 42);
    if let Some(run) = real_run("params_json_has_the_keys_the_bot_reads (real data)") {
        let params = run.one.params();
        assert_params_keys(&params, &run.one.report());
        let symbols: Vec<&str> = params["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(symbols, SIX);
    }
}

/// Byte offsets of the top-level keys of a pretty-printed JSON object, in `keys` order.
fn top_level_offsets(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\": "))
                .unwrap_or_else(|| panic!("no top-level '{k}'"))
        })
        .collect()
}

#[test]
fn report_json_has_the_versioned_schema_and_sections_in_order() {
    let base = baseline();
    let text = String::from_utf8(base.files.report.clone()).unwrap();
    let keys = [
        "schema", "run", "phase1", "phase2", "phase3", "phase4", "final",
    ];
    let at = top_level_offsets(&text, &keys);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "order {at:?}");
    let report = base.files.report();
    assert_eq!(report.as_object().unwrap().len(), keys.len());
    assert_eq!(report["schema"], phasebound::report::REPORT_SCHEMA);
    assert!(report["schema"].as_str().unwrap().ends_with("/2"));
    let run = &report["run"];
    assert_eq!(run["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["seed"], 42);
    assert!(run["config"].is_object());
    assert_eq!(
        run["memory_budget"]["fixed_part_bytes"].as_u64(),
        Some(phasebound_core::engine::footprint::FIXED_PART_BYTES as u64)
    );
    // The embedded data: 4 symbols of 15m; each profile's lanes as deep as its longest
    // window (scalping 8 h = 32 bars, swing 72 h = 288 bars).
    let lanes =
        phasebound::pipeline::config_lane_shapes(&phasebound::config::Config::default(), 15, 4)
            .unwrap();
    let ws = run["memory_budget"]["workspaces"].as_array().unwrap();
    assert_eq!(ws.len(), 2);
    for (w, l) in ws.iter().zip(lanes) {
        assert_eq!(w["symbols"], 4);
        assert_eq!(w["lane_depth_bars"], l.depth);
        assert_eq!(w["bytes"], phasebound::workspace::workspace_bytes(l));
    }
    assert_eq!(ws[0]["lane_depth_bars"], 32);
    assert_eq!(ws[1]["lane_depth_bars"], 288);
    assert!(!run["memory_budget"]["table"].as_array().unwrap().is_empty());
    // Embedded inputs are hashed like user files: the bytes compiled into the binary.
    for (input, (name, bytes)) in run["inputs"].as_array().unwrap().iter().zip({
        let mut f = phasebound::fixtures::FILES.to_vec();
        f.sort_by_key(|(n, _)| *n);
        f
    }) {
        let files = input["files"].as_array().unwrap();
        assert_eq!(files[0]["file"], name);
        let sha: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(files[0]["sha256"].as_str(), Some(sha.as_str()), "{name}");
    }
    // Each phase section has both profiles, scalping first.
    for phase in &keys[2..] {
        let names: Vec<&String> = report[phase].as_object().unwrap().keys().collect();
        assert_eq!(names, ["scalping", "swing"], "{phase}");
    }
    // params.json is versioned too.
    assert_eq!(
        base.files.params()["schema"],
        phasebound::report::PARAMS_SCHEMA
    );
    // Nothing machine-dependent in the deterministic files.
    for word in ["wall_seconds", "peak_rss", "threads", "/tmp/"] {
        assert!(!text.contains(word), "report.json contains '{word}'");
    }
}

#[test]
fn another_seed_changes_the_sample_but_not_phases_1_and_2() {
    let tmp = TempDir::new().unwrap();
    let mut runs = Vec::new();
    for seed in ["1", "2"] {
        let out = format!("s{seed}");
        let o = phasebound(
            &["run", "--sample", "300", "--seed", seed, "--out", &out],
            tmp.path(),
        );
        o.expect_code(0);
        assert!(
            o.stdout.contains(&format!(
                "  sample: 300 candidates (seeded, seed {seed}); full-data result of the chosen cell shown below\n"
            )),
            "{}",
            o.stdout
        );
        assert!(o.stdout.contains("    in sample (all candidates): "));
        runs.push(Files::read(&tmp.path().join(&out)).report());
    }
    let base = baseline().files.report();
    for p in ["scalping", "swing"] {
        for (r, seed) in runs.iter().zip([1, 2]) {
            assert_eq!(r["run"]["seed"], seed);
            let sample = &r["phase3"][p]["sample"];
            assert_eq!(sample["size"], 300, "{p}");
            assert_eq!(sample["seed"], seed, "{p}");
            assert_eq!(
                sample["of_candidates"], base["phase1"][p]["in_sample_candidates"],
                "{p}"
            );
            // The sampled search also reports the chosen start's result on every candidate.
            let chosen = r["phase3"][p]["chosen_start"].as_u64().unwrap() as usize;
            let start = &r["phase3"][p]["starts"][chosen];
            assert!(start["in_sample"]["trades"].as_u64() > Some(0), "{p}");
            assert!(
                start["in_sample_all_candidates"]["trades"].as_u64() > Some(0),
                "{p}"
            );
            // Phases 1 and 2 never sample.
            assert_eq!(r["phase1"][p], base["phase1"][p], "{p}");
            assert_eq!(r["phase2"][p], base["phase2"][p], "{p}");
        }
        assert_ne!(
            runs[0]["phase3"][p]["starts"], runs[1]["phase3"][p]["starts"],
            "{p}: seeds 1 and 2 searched the same sample"
        );
    }
}
