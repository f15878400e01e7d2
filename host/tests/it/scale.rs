//! Runs past the old compiled ceilings with the default config: more symbols than the
//! old 16 (on the synthetic market), and every timeframe of the real data
//! (`../shared/data`: 1m futures, 5m, 1h; 15m is the shared real run of `pipeline.rs`),
//! each with its lanes as deep as the default swing profile's 72 h.

use serde_json::Value;
use tempfile::TempDir;

use crate::cli::{Files, phasebound};
use crate::pipeline::{real_run, shared_data};

/// The default swing profile's longest window (its 72 h opportunity horizon and hold).
const SWING_HOURS: usize = 72;

/// Checks a default-config run's report: the timeframe, one lane per symbol as deep as
/// 72 h in bars, Phase 1 found candidates, and every profile has a verdict.
fn check_report(report: &Value, tf_minutes: usize, symbols: usize) {
    let run = &report["run"];
    let workspaces = run["memory_budget"]["workspaces"].as_array().unwrap();
    let swing = workspaces.iter().find(|w| w["profile"] == "swing").unwrap();
    assert_eq!(swing["symbols"], symbols);
    assert_eq!(swing["lane_depth_bars"], SWING_HOURS * 60 / tf_minutes);
    assert_eq!(run["inputs"].as_array().unwrap().len(), symbols);
    for p in ["scalping", "swing"] {
        assert!(
            report["phase1"][p]["candidates"].as_u64().unwrap() > 0,
            "{tf_minutes}m {p}: no candidates"
        );
        assert!(
            report["phase4"][p]["decision"]["enabled"].is_boolean(),
            "{p}"
        );
    }
}

#[test]
fn more_symbols_than_the_old_ceiling_run_in_one_workspace_each() {
    let tmp = TempDir::new().unwrap();
    phasebound(
        &[
            "synth",
            "--symbols",
            "20",
            "--days",
            "12",
            "--out",
            "market",
        ],
        tmp.path(),
    )
    .expect_code(0);
    let o = phasebound(
        &["run", "--data", "market", "--out", "out", "--threads", "2"],
        tmp.path(),
    );
    o.expect_code(0);
    let files = Files::read(&tmp.path().join("out"));
    let report = files.report();
    check_report(&report, 15, 20);
    assert_eq!(
        report["phase1"]["swing"]["per_symbol"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    // The summary names all of them in its data block.
    assert!(o.stdout.contains("SYN20USDT"), "{}", o.stdout);
}

#[test]
fn every_real_timeframe_runs_with_the_default_config() {
    let Some(data) = shared_data("every_real_timeframe_runs_with_the_default_config") else {
        return;
    };
    let binance = data.join("binance");
    let tmp = TempDir::new().unwrap();
    // (folder, timeframe, minutes, symbols, timerange): enough history for the folds,
    // short enough for a test.
    let cases = [
        ("futures-um", "1m", 1, 2, None),
        ("", "5m", 5, 3, Some("20240101-20240315")),
        ("", "1h", 60, 6, None),
    ];
    for (sub, tf, minutes, symbols, range) in cases {
        let dir = binance.join(sub);
        let out = tmp.path().join(format!("out-{tf}"));
        let mut args = vec![
            "run".to_owned(),
            "--data".into(),
            dir.to_str().unwrap().into(),
            "--timeframe".into(),
            tf.into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--cache".into(),
            tmp.path().join("cache").to_str().unwrap().into(),
        ];
        if let Some(r) = range {
            args.extend(["--timerange".into(), r.into()]);
        }
        phasebound(&args, tmp.path()).expect_code(0);
        check_report(&Files::read(&out).report(), minutes, symbols);
        for name in ["report.html", "trades.csv"] {
            assert!(out.join(name).is_file(), "{tf}: no {name}");
        }
    }
    if let Some(run) = real_run("every_real_timeframe_runs_with_the_default_config") {
        check_report(&run.one.report(), 15, 6);
    }
}

#[test]
fn readme_memory_formula_is_the_code() {
    use phasebound_core::engine::footprint::FIXED_PART_BYTES;
    use phasebound_core::engine::lane_bytes;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let commas = |n: usize| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let head = lane_bytes(0, 0);
    let formula = format!(
        "per worker:  {} + depth × {} + symbols × ({head} + depth × {} + depth × {}) bytes",
        commas(FIXED_PART_BYTES),
        phasebound_core::engine::scratch_bytes(1),
        lane_bytes(1, 0) - head,
        lane_bytes(0, 1) - head
    );
    assert!(readme.contains(&formula), "README lacks `{formula}`");
    for (kib, depth) in [(31, 288), (456, 4320)] {
        assert_eq!(lane_bytes(depth, depth) / 1024, kib, "depth {depth}");
    }
}
