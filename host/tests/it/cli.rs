//! The `phasebound` binary as a user runs it: every subcommand, the summary, the output
//! files, `--quiet`, `--json`, `--previous`, `--max-memory` and the documented exit codes.
//! Runs use the embedded synthetic market in temporary folders.
//!
//! Also the process helpers of the other end-to-end modules (`config`, `pipeline`,
//! `layouts`).

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

/// What one `phasebound` process did.
pub(crate) struct Out {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Out {
    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs the binary with `args` in `cwd`.
pub(crate) fn phasebound<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_phasebound"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("start phasebound");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
    }
}

/// The three files a run writes, as bytes.
#[derive(Clone)]
pub(crate) struct Files {
    /// report.json.
    pub report: Vec<u8>,
    /// params.json.
    pub params: Vec<u8>,
    /// run.json.
    pub run: Vec<u8>,
}

impl Files {
    /// Reads the outputs of `dir`; panics when one is missing.
    pub fn read(dir: &Path) -> Self {
        let read = |n: &str| {
            fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(n).display()))
        };
        Self {
            report: read("report.json"),
            params: read("params.json"),
            run: read("run.json"),
        }
    }

    /// report.json parsed.
    pub fn report(&self) -> Value {
        serde_json::from_slice(&self.report).expect("report.json is JSON")
    }

    /// params.json parsed.
    pub fn params(&self) -> Value {
        serde_json::from_slice(&self.params).expect("params.json is JSON")
    }
}

/// No output file of a run exists in `dir`.
pub(crate) fn assert_no_outputs(dir: &Path) {
    for n in ["report.json", "params.json", "run.json"] {
        assert!(
            !dir.join(n).exists(),
            "{} was written",
            dir.join(n).display()
        );
    }
}

/// `phasebound run` with every default on the embedded data, run once per test binary.
pub(crate) struct Baseline {
    /// Its stdout.
    pub stdout: String,
    /// Its outputs.
    pub files: Files,
    /// Its stderr (a pipe: progress as log lines).
    pub stderr: String,
    /// Its trades.csv.
    pub trades_csv: Vec<u8>,
    /// Its report.html.
    pub report_html: Vec<u8>,
}

/// The shared default run (`phasebound run --out <tmp>`).
pub(crate) fn baseline() -> &'static Baseline {
    static RUN: OnceLock<Baseline> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = TempDir::new().unwrap();
        let out = phasebound(&["run", "--out", "out"], tmp.path());
        out.expect_code(0);
        let dir = tmp.path().join("out");
        Baseline {
            stdout: out.stdout,
            stderr: out.stderr,
            files: Files::read(&dir),
            trades_csv: fs::read(dir.join("trades.csv")).unwrap(),
            report_html: fs::read(dir.join("report.html")).unwrap(),
        }
    })
}

/// Checks the human summary of a complete run on any data.
pub(crate) fn assert_complete_summary(stdout: &str) {
    for profile in ["SCALPING", "SWING"] {
        assert!(
            stdout.contains(&format!("Phase 3 {profile} exit optimization\n")),
            "no Phase 3 {profile} header in\n{stdout}"
        );
        let verdict = stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("Phase 4 {profile}: ")))
            .unwrap_or_else(|| panic!("no Phase 4 {profile} line in\n{stdout}"));
        assert!(
            ["PASSED —", "WARNING —", "FAILED —"]
                .iter()
                .any(|v| verdict.starts_with(v)),
            "Phase 4 {profile}: {verdict}"
        );
        assert!(
            stdout.contains(&format!("Final {profile} on all data (")),
            "no final {profile} line"
        );
        assert!(
            stdout.contains(&format!("Phase 4 {profile} walk-forward: ")),
            "no walk-forward {profile} line"
        );
        assert!(
            stdout.contains(&format!("Ships {profile}: ")),
            "no decision {profile} line"
        );
    }
    // Each profile's four starts, the first from Phase 2's best, as the original printed them.
    assert_eq!(stdout.matches("  [1/4] from 'Phase 2 best' (").count(), 2);
    for i in 2..=4 {
        assert_eq!(
            stdout
                .matches(&format!("  [{i}/4] from 'Phase 2 #{i}' ("))
                .count(),
            2,
            "start {i}"
        );
    }
    assert_eq!(stdout.matches("  best parameters (start ").count(), 2);
    assert_eq!(stdout.matches("    in sample").count(), 2);
}

/// The summary starts with what was loaded and where the walk-forward cut it: the
/// same symbols, periods, bars and split dates as report.json.
#[test]
fn summary_starts_with_the_data_and_the_split_dates() {
    let base = baseline();
    let report = base.files.report();
    let mut lines = base.stdout.lines();
    assert!(lines.next().unwrap().starts_with("No --data given"));
    let inputs = report["run"]["inputs"].as_array().unwrap();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "Data: {} symbol(s) of 15m bars, 2024-01-01T00:00:00Z … 2024-03-30T23:45:00Z, the embedded synthetic market",
            inputs.len()
        )
    );
    for input in inputs {
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "  {}: {} bars, {} … {}, 1 file(s)",
                input["symbol"].as_str().unwrap(),
                input["bars"],
                input["first_open_time"].as_str().unwrap(),
                input["last_open_time"].as_str().unwrap()
            )
        );
    }
    let split = lines.next().unwrap();
    let folds = report["phase4"]["scalping"]["folds"].as_array().unwrap();
    let starts: Vec<&str> = folds
        .iter()
        .map(|f| f["test"]["from"].as_str().unwrap())
        .collect();
    let expected = format!(
        "Walk-forward: initial training 2024-01-01T00:00:00Z … {}; {} out-of-sample fold(s) starting {}, the last ending at {}; purge before each fold: scalping ",
        starts[0],
        folds.len(),
        starts.join(", "),
        folds.last().unwrap()["test"]["to"].as_str().unwrap()
    );
    assert!(split.starts_with(&expected), "{split}\nwanted {expected}");
    // Both profiles cut the same test periods.
    let swing: Vec<&Value> = report["phase4"]["swing"]["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["test"])
        .collect();
    let scalping: Vec<&Value> = folds.iter().map(|f| &f["test"]).collect();
    assert_eq!(swing, scalping);
    // Then Phases 1 and 2 in a line each, before Phase 3.
    let p1 = &report["phase1"]["scalping"];
    let phase1 = lines.next().unwrap();
    assert!(
        phase1.starts_with(&format!(
            "Phase 1 SCALPING opportunity scan (all data): {} candidates",
            p1["candidates"]
        )),
        "{phase1}\n{p1}"
    );
    let p2 = &report["phase2"]["scalping"];
    let best = &p2["top"][0];
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "Phase 2 SCALPING signal screening: {} entry filters with the baseline exits; best: group {}, score ≥ {}, consensus ≥ {}: {} trades, return {:+.2} %, objective {:.3}",
            p2["combinations"],
            best["weight_group"].to_string().replace('"', "'"),
            best["min_signal_score"].as_f64().unwrap(),
            best["min_indicator_consensus"],
            best["in_sample"]["trades"],
            best["in_sample"]["total_return_pct"].as_f64().unwrap(),
            best["objective"].as_f64().unwrap()
        )
    );
    assert!(lines.next().unwrap().starts_with("Phase 3 SCALPING"));
}

/// The README's sample output is the real output: every line of its block is a line
/// of the default run's stdout (fold parameters, shown as `(parameters)`, by prefix).
#[test]
fn readme_sample_output_is_real() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let section = readme.split("## Sample output").nth(1).unwrap();
    let block = section.split("```").nth(1).unwrap();
    let stdout = &baseline().stdout;
    let mut checked = 0;
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let found = match line.strip_suffix("| (parameters)") {
            Some(prefix) => stdout.lines().any(|l| l.starts_with(prefix)),
            None => stdout.lines().any(|l| l == line),
        };
        assert!(
            found,
            "README sample line not in the output:\n{line}\n\n{stdout}"
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} lines checked");
}

/// With stderr not a terminal (cron, a pipe), progress comes as one line per step with
/// the time since the start, for both profiles, each fold and tonight's fit.
#[test]
fn progress_is_logged_line_by_line_when_stderr_is_not_a_terminal() {
    let stderr = &baseline().stderr;
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() > 20, "{stderr}");
    for line in &lines {
        let (time, rest) = line
            .strip_prefix('[')
            .and_then(|l| l.split_once(" s] "))
            .unwrap_or_else(|| panic!("not a progress line: {line}"));
        assert!(time.trim().parse::<f64>().is_ok_and(|t| t >= 0.0), "{line}");
        assert!(
            rest.starts_with("scalping: ") || rest.starts_with("swing: "),
            "{line}"
        );
    }
    for profile in ["scalping", "swing"] {
        for step in [
            "fold 1/4: Phase 1 scan",
            "fold 4/4: trading the fold",
            "final fit: Phase 3 multi-start search",
            "Final: full re-analysis",
            "done",
        ] {
            let want = format!("{profile}: {step}");
            assert!(
                lines.iter().any(|l| l.ends_with(&want)),
                "no '{want}' in\n{stderr}"
            );
        }
    }
    // Times never go back within a profile.
    for profile in ["scalping", "swing"] {
        let times: Vec<f64> = lines
            .iter()
            .filter(|l| l.contains(&format!("] {profile}: ")))
            .map(|l| l[1..].split(" s]").next().unwrap().trim().parse().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
}

/// The three file names of the final `Wrote …` line under `out`.
fn wrote_line(out: &str) -> String {
    format!(
        "Wrote {out}/report.json, {out}/params.json, {out}/run.json, {out}/report.html, {out}/trades.csv\n"
    )
}

#[test]
fn bare_phasebound_runs_every_phase_on_the_embedded_data() {
    let tmp = TempDir::new().unwrap();
    let out = phasebound::<&str>(&[], tmp.path());
    out.expect_code(0);
    assert!(
        out.stdout
            .starts_with("No --data given: running all phases on the embedded synthetic market"),
        "{}",
        out.stdout
    );
    assert_complete_summary(&out.stdout);
    assert!(out.stdout.ends_with(&wrote_line("phasebound-out")));
    let files = Files::read(&tmp.path().join("phasebound-out"));
    // A bare `phasebound` is `phasebound run`: the same bytes as the explicit run.
    let base = baseline();
    assert!(files.report == base.files.report, "report.json differs");
    assert!(files.params == base.files.params, "params.json differs");
    assert_eq!(out.stdout, base.stdout.replace("out/", "phasebound-out/"));
}

#[test]
fn run_writes_the_three_files_and_a_summary_of_every_phase() {
    let base = baseline();
    assert_complete_summary(&base.stdout);
    assert!(base.stdout.ends_with(&wrote_line("out")), "{}", base.stdout);
    let report = base.files.report();
    assert_eq!(
        report["run"]["data"],
        "embedded synthetic market (fixtures/)"
    );
    let inputs = report["run"]["inputs"].as_array().unwrap();
    let symbols: Vec<&str> = inputs
        .iter()
        .map(|i| i["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        symbols,
        ["SYNBTCUSDT", "SYNDOGEUSDT", "SYNETHUSDT", "SYNSOLUSDT"]
    );
    // Every phase had work on the embedded market.
    for p in ["scalping", "swing"] {
        assert!(
            report["phase1"][p]["candidates"].as_u64().unwrap() > 0,
            "{p}"
        );
        assert!(
            report["phase2"][p]["top"].as_array().unwrap().len() >= 4,
            "{p}"
        );
        let starts = report["phase3"][p]["starts"].as_array().unwrap();
        assert_eq!(starts.len(), 4, "{p}");
        assert!(
            starts
                .iter()
                .all(|s| s["in_sample"]["trades"].as_u64() > Some(0))
        );
        assert!(
            report["final"][p]["all_data"]["trades"].as_u64() > Some(0),
            "{p}"
        );
    }
    // The summary's numbers are the report's: the chosen start's in-sample trades.
    for (p, name) in [("scalping", "SCALPING"), ("swing", "SWING")] {
        let section = base
            .stdout
            .split(&format!("Phase 3 {name} exit optimization\n"))
            .nth(1)
            .unwrap();
        let ph3 = &report["phase3"][p];
        let first_trades = ph3["starts"][0]["in_sample"]["trades"].as_u64().unwrap();
        // The line under `[1/4] …` has that start's in-sample result.
        let mut lines = section.lines();
        let second = lines
            .by_ref()
            .skip_while(|l| !l.starts_with("  [1/4] from 'Phase 2 best' ("))
            .nth(1)
            .unwrap();
        assert!(
            second
                .trim_start()
                .starts_with(&format!("{first_trades} trades, ")),
            "{second}"
        );
        let proc = &report["phase4"][p]["procedure"];
        let phase4 = format!(
            "Phase 4 {name}: {} — pooled out of sample {} trades over {} days",
            proc["verdict"].as_str().unwrap(),
            proc["out_of_sample"]["trades"],
            proc["out_of_sample"]["days"]
        );
        assert!(section.contains(&phase4), "{phase4}");
        // One line per fold, and the decision.
        let folds = report["phase4"][p]["folds"].as_array().unwrap().len();
        assert!(section.contains(&format!("  fold {folds}/{folds}: train … ")));
        let source = report["phase4"][p]["decision"]["source"].as_str().unwrap();
        let ships = format!("Ships {name}: ");
        let line = section.lines().find(|l| l.starts_with(&ships)).unwrap();
        assert_eq!(
            line.contains("nothing (enabled: false)"),
            source == "none",
            "{line}"
        );
    }
    // run.json holds the machine-dependent facts, including the measured peak RSS.
    let run: Value = serde_json::from_slice(&base.files.run).unwrap();
    assert!(run["wall_seconds"].as_f64().unwrap() > 0.0);
    let rss = run["peak_rss_bytes"].as_u64().unwrap();
    assert!(rss > 1 << 20, "peak RSS {rss}");
    let lanes =
        phasebound::pipeline::config_lane_shapes(&phasebound::config::Config::default(), 15, 4)
            .unwrap();
    // One workspace per worker: each profile's own, or one covering both.
    let each: Vec<u64> = if run["workers"] == 2 {
        lanes.map(phasebound::workspace::workspace_bytes).to_vec()
    } else {
        vec![phasebound::workspace::workspace_bytes(
            phasebound::workspace::LaneShape::covering(&lanes),
        )]
    };
    assert_eq!(run["workspace_bytes_each"], serde_json::json!(each));
}

/// `--max-memory` of the `--quiet` run, in MiB.
const QUIET_LIMIT_MIB: u64 = 64;

#[test]
fn quiet_prints_nothing_and_threads_do_not_change_a_byte() {
    let tmp = TempDir::new().unwrap();
    // Also: a --max-memory above the estimate lets the run go.
    let limit = format!("{QUIET_LIMIT_MIB}M");
    let out = phasebound(
        &[
            "run",
            "--quiet",
            "--threads",
            "1",
            "--max-memory",
            &limit,
            "--out",
            "q",
        ],
        tmp.path(),
    );
    out.expect_code(0);
    assert_eq!(out.stdout, "", "--quiet printed on stdout");
    assert_eq!(out.stderr, "", "--quiet printed on stderr");
    let files = Files::read(&tmp.path().join("q"));
    let base = baseline();
    assert!(files.report == base.files.report, "report.json differs");
    assert!(files.params == base.files.params, "params.json differs");
    let run: Value = serde_json::from_slice(&files.run).unwrap();
    assert_eq!(run["threads"], 1);
}

#[test]
fn json_prints_the_report() {
    let tmp = TempDir::new().unwrap();
    let out = phasebound(
        &["run", "--json", "--threads", "2", "--out", "j"],
        tmp.path(),
    );
    out.expect_code(0);
    let printed: Value = serde_json::from_str(&out.stdout).expect("--json prints JSON");
    let files = Files::read(&tmp.path().join("j"));
    assert_eq!(printed, files.report());
    // Two worker threads, the same bytes as the default (one worker on two cores).
    let base = baseline();
    assert!(files.report == base.files.report, "report.json differs");
    assert!(files.params == base.files.params, "params.json differs");
    let run: Value = serde_json::from_slice(&files.run).unwrap();
    assert_eq!(run["threads"], 2);
}

#[test]
fn budget_prints_the_core_table_the_lane_formula_and_the_limits() {
    let tmp = TempDir::new().unwrap();
    let out = phasebound(&["budget"], tmp.path());
    out.expect_code(0);
    // Rows are `component  capacity  bytes`, columns separated by runs of spaces.
    let rows: Vec<(String, u64)> = out
        .stdout
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            match cols[..] {
                [name, _, bytes] => Some((name.to_string(), bytes.parse().ok()?)),
                _ => None,
            }
        })
        .collect();
    let (last, total) = rows
        .last()
        .unwrap_or_else(|| panic!("no rows in\n{}", out.stdout));
    assert!(last.starts_with("fixed part"), "{last}");
    assert_eq!(
        *total,
        phasebound_core::engine::footprint::FIXED_PART_BYTES as u64
    );
    // Then the lane formula and every compiled limit that remains, by name and value.
    for needle in [
        "plus one lane per symbol",
        "15m, default config (72 h): 32032 bytes per symbol",
        "symbols per run          65535",
        "longest window (bars)    8192 (H_MAX",
        "cells per pass           1024 (MAX_CELLS",
        "32 (MAX_LEVELS)",
        "32 (MAX_TRAILING)",
        "16 (MAX_OPEN_TRADES)",
        "12 (MAX_FOLDS)",
    ] {
        assert!(
            out.stdout.contains(needle),
            "no `{needle}` in\n{}",
            out.stdout
        );
    }
    assert_eq!(
        phasebound_core::engine::lane_bytes(288, 288),
        32032,
        "the lane of the 15m default"
    );
    // The rows are the core's table, in order; the parts add up to at most the total
    // (the rest is alignment padding).
    let table = phasebound_core::engine::footprint::fixed_part_table();
    assert_eq!(rows.len(), table.len(), "{}", out.stdout);
    for (row, t) in rows.iter().zip(&table) {
        assert_eq!((row.0.as_str(), row.1), (t.component, t.bytes as u64));
    }
    let parts: u64 = rows[..rows.len() - 1].iter().map(|r| r.1).sum();
    assert!(
        parts > 0 && parts <= *total,
        "parts {parts} > total {total}"
    );
}

#[test]
fn help_and_version() {
    let tmp = TempDir::new().unwrap();
    let help = phasebound(&["--help"], tmp.path());
    help.expect_code(0);
    let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for code in [
        "0 success",
        "1 internal error",
        "2 usage/config error",
        "3 input data error",
        "4 I/O error",
        "5 capacity exceeded",
    ] {
        assert!(
            text.contains(code),
            "--help lacks '{code}':\n{}",
            help.stdout
        );
    }
    for cmd in ["run", "config", "budget"] {
        assert!(help.stdout.contains(&format!("\n  {cmd} ")), "{cmd}");
    }
    let run_help = phasebound(&["run", "--help"], tmp.path());
    run_help.expect_code(0);
    for flag in [
        "--data",
        "--timeframe",
        "--config",
        "--out",
        "--seed",
        "--sample",
        "--previous",
        "--threads",
        "--max-memory",
        "--quiet",
        "--json",
    ] {
        assert!(run_help.stdout.contains(flag), "run --help lacks {flag}");
    }
    let v = phasebound(&["--version"], tmp.path());
    v.expect_code(0);
    assert_eq!(
        v.stdout.trim(),
        format!("phasebound {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_flags_exit_2_without_outputs() {
    let tmp = TempDir::new().unwrap();
    for args in [
        &["--bogus"][..],
        &["run", "--bogus", "--out", "o"],
        &["run", "--threads", "many", "--out", "o"],
        &["run", "--threads", "0", "--out", "o"],
        &["run", "--timeframe", "7m", "--out", "o"],
        &["run", "--max-memory", "lots", "--out", "o"],
        &["frobnicate"],
    ] {
        let out = phasebound(args, tmp.path());
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?}: no message");
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    assert!(!tmp.path().join("o").exists());
    assert!(!tmp.path().join("phasebound-out").exists());
}

#[test]
fn max_memory_below_the_estimate_exits_5_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let out = phasebound(&["run", "--max-memory", "1M", "--out", "m"], tmp.path());
    out.expect_code(5);
    assert!(out.stderr.contains("--max-memory"), "{}", out.stderr);
    assert!(out.stderr.contains("MiB"), "{}", out.stderr);
    assert_no_outputs(&tmp.path().join("m"));
    // The estimate in the message is below the limit that `--quiet` runs with.
    assert!(
        out.stderr
            .contains("--max-memory is 1.0 MiB (1048576 bytes)"),
        "{}",
        out.stderr
    );
    let needed_mib: f64 = out
        .stderr
        .split("below the ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in {}", out.stderr));
    assert!(
        (1.0..QUIET_LIMIT_MIB as f64).contains(&needed_mib),
        "{needed_mib} MiB"
    );
}

/// A params.json whose profiles are enabled and carry tonight's final choice of the
/// default run (what last night's run would have shipped had it passed).
pub(crate) fn incumbent_params(base: &Baseline) -> Value {
    let report = base.files.report();
    let mut v = serde_json::json!({ "schema": "phasebound.params/2" });
    for p in ["scalping", "swing"] {
        let mut e = report["phase4"][p]["final_choice"]["parameters"].clone();
        e["enabled"] = true.into();
        e["signal_version"] = phasebound_core::signal::SIGNAL_VERSION.into();
        v[format!("{p}_params")] = e;
    }
    v
}

#[test]
fn an_incumbent_is_judged_on_the_same_folds_and_ships_only_if_it_passes() {
    let tmp = TempDir::new().unwrap();
    let base = baseline();
    // Scalping: tonight's very parameters; swing: a wider take profit.
    let mut prev = incumbent_params(base);
    let old_tp = prev["swing_params"]["atr_tp_multiplier"].as_f64().unwrap() + 2.5;
    prev["swing_params"]["atr_tp_multiplier"] = old_tp.into();
    fs::write(
        tmp.path().join("old.json"),
        serde_json::to_vec_pretty(&prev).unwrap(),
    )
    .unwrap();
    let out = phasebound(&["run", "--previous", "old.json", "--out", "p"], tmp.path());
    out.expect_code(0);
    assert_complete_summary(&out.stdout);
    assert_eq!(
        out.stdout.matches("\n  incumbent (").count(),
        2,
        "{}",
        out.stdout
    );
    let files = Files::read(&tmp.path().join("p"));
    let (report, base_report) = (files.report(), base.files.report());
    for p in ["scalping", "swing"] {
        // The procedure's evidence does not depend on the incumbent.
        for phase in ["phase1", "phase2", "phase3"] {
            assert_eq!(report[phase][p], base_report[phase][p], "{phase}");
        }
        let ph4 = &report["phase4"][p];
        assert_eq!(
            ph4["procedure"], base_report["phase4"][p]["procedure"],
            "{p}"
        );
        assert_eq!(ph4["folds"], base_report["phase4"][p]["folds"], "{p}");
        // The incumbent is read back as written and judged on the same folds.
        let inc = &ph4["incumbent"];
        assert!(inc["origin"].as_str().unwrap().ends_with("old.json"));
        for (k, v) in prev[format!("{p}_params")].as_object().unwrap() {
            if let Some(got) = inc["parameters"].get(k) {
                assert_eq!(got, v, "{p}.{k}");
            }
        }
        let folds = ph4["folds"].as_array().unwrap().len() as u64;
        assert!(folds >= 3);
        assert_eq!(
            inc["out_of_sample"]["days"].as_u64(),
            ph4["procedure"]["out_of_sample"]["days"].as_u64(),
            "{p}: the same out-of-sample days"
        );
        // The rule: neither passes → nothing; the incumbent passes and the procedure does
        // not → the incumbent.
        let (proc_v, inc_v) = (&ph4["procedure"]["verdict"], &inc["verdict"]);
        let e = &files.params()[format!("{p}_params")];
        let expected = match (proc_v == "PASSED", inc_v == "PASSED") {
            (false, false) => "none",
            (false, true) => "incumbent",
            (true, false) => "new",
            (true, true) => e["source"].as_str().unwrap(), // margin: checked in verdict.rs
        };
        assert_eq!(e["source"], expected, "{p}");
        assert_eq!(e["enabled"], expected != "none", "{p}");
        if expected == "incumbent" {
            assert_eq!(
                e["atr_tp_multiplier"],
                prev[format!("{p}_params")]["atr_tp_multiplier"]
            );
        }
    }
    // Identical parameters give identical statistics on the same data.
    let s = &report["final"]["scalping"];
    if s["source"] == "none" {
        assert_eq!(s["incumbent"]["all_data"], s["all_data"]);
    }
    let w = &report["final"]["swing"]["incumbent"]["parameters"];
    assert_eq!(w["atr_tp_multiplier"].as_f64(), Some(old_tp));
}

#[test]
fn the_output_folders_params_json_is_the_default_incumbent() {
    let tmp = TempDir::new().unwrap();
    let base = baseline();
    fs::create_dir_all(tmp.path().join("o")).unwrap();
    fs::write(
        tmp.path().join("o/params.json"),
        serde_json::to_vec_pretty(&incumbent_params(base)).unwrap(),
    )
    .unwrap();
    let out = phasebound(&["run", "--out", "o"], tmp.path());
    out.expect_code(0);
    let report = Files::read(&tmp.path().join("o")).report();
    for p in ["scalping", "swing"] {
        let origin = report["phase4"][p]["incumbent"]["origin"].as_str().unwrap();
        assert!(origin.ends_with("params.json"), "{origin}");
    }
    // A params.json with both profiles disabled (the default run's) is no incumbent.
    let again = phasebound(&["run", "--out", "o"], tmp.path());
    again.expect_code(0);
    let files = Files::read(&tmp.path().join("o"));
    let disabled = files.params()["scalping_params"]["enabled"] == false
        && files.params()["swing_params"]["enabled"] == false;
    if disabled {
        let third = phasebound(&["run", "--out", "o"], tmp.path());
        third.expect_code(0);
        let r = Files::read(&tmp.path().join("o")).report();
        assert!(r["phase4"]["scalping"]["incumbent"].is_null());
        assert!(r["phase4"]["swing"]["incumbent"].is_null());
    }
}

#[test]
fn bad_previous_files_exit_2_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let mut good = incumbent_params(baseline());
    good["swing_params"]["weight_group"] = "no_such_group".into();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("truncated.json", b"{\"scalping_params\": ".to_vec(), "line"),
        ("list.json", b"[1, 2, 3]".to_vec(), "scalping_params"),
        (
            "group.json",
            serde_json::to_vec(&good).unwrap(),
            "no_such_group",
        ),
        ("missing.json", Vec::new(), ""),
    ];
    for (name, bytes, detail) in cases {
        if name != "missing.json" {
            fs::write(tmp.path().join(name), bytes).unwrap();
        }
        let out = phasebound(&["run", "--previous", name, "--out", "b"], tmp.path());
        assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(name),
            "{name} not named: {}",
            out.stderr
        );
        assert!(out.stderr.contains(detail), "{name}: {}", out.stderr);
        assert_no_outputs(&tmp.path().join("b"));
    }
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_intact() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("o");
    fs::create_dir_all(&dir).unwrap();
    for n in ["report.json", "params.json", "run.json"] {
        fs::write(dir.join(n), format!("old {n}")).unwrap();
    }
    fs::write(tmp.path().join("bad.json"), b"{").unwrap();
    let out = phasebound(&["run", "--previous", "bad.json", "--out", "o"], tmp.path());
    out.expect_code(2);
    for n in ["report.json", "params.json", "run.json"] {
        assert_eq!(fs::read_to_string(dir.join(n)).unwrap(), format!("old {n}"));
    }
}

/// Printing is part of the run: with stdout on a full device (or a closed pipe) the run
/// fails with exit 4 before committing, so the previous outputs stay as they were.
#[test]
fn a_run_whose_stdout_fails_leaves_the_previous_outputs_alone() {
    use crate::bad_input::{BIN, good_outputs, read_outputs};
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("o");
    let previous = good_outputs(&out, 7);
    let fixtures = tmp.path().join("fx");
    fs::create_dir_all(&fixtures).unwrap();
    phasebound(&["fixtures", fixtures.to_str().unwrap()], tmp.path()).expect_code(0);
    for extra in [&[][..], &["--json"][..]] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = Command::new(BIN)
            .args(["run", "--no-nice", "--threads", "1", "--seed", "8", "--out"])
            .arg(&out)
            .arg("--data")
            .arg(&fixtures)
            .args(extra)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(4), "{extra:?}: {stderr}");
        assert!(stderr.contains("<stdout>"), "{stderr}");
        assert_eq!(read_outputs(&out), previous, "{extra:?}");
    }
}

/// `--out` may be the data folder: the outputs are not read back as data the next night.
#[test]
fn the_data_folder_can_be_the_output_folder() {
    let tmp = TempDir::new().unwrap();
    fs::create_dir_all(tmp.path().join("d")).unwrap();
    phasebound(&["fixtures", "d"], tmp.path()).expect_code(0);
    let first = phasebound(&["run", "--quiet", "--data", "d", "--out", "d"], tmp.path());
    first.expect_code(0);
    let report = Files::read(&tmp.path().join("d")).report();
    let again = phasebound(&["run", "--quiet", "--data", "d", "--out", "d"], tmp.path());
    again.expect_code(0);
    let files = Files::read(&tmp.path().join("d"));
    assert_eq!(files.report()["run"]["inputs"], report["run"]["inputs"]);
    assert_eq!(files.report()["run"]["inputs"].as_array().unwrap().len(), 4);
}
