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
}

/// The shared default run (`phasebound run --out <tmp>`).
pub(crate) fn baseline() -> &'static Baseline {
    static RUN: OnceLock<Baseline> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = TempDir::new().unwrap();
        let out = phasebound(&["run", "--out", "out"], tmp.path());
        out.expect_code(0);
        Baseline {
            stdout: out.stdout,
            files: Files::read(&tmp.path().join("out")),
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
            stdout.contains(&format!("Final {profile} on all data: ")),
            "no final {profile} line"
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

/// The three file names of the final `Wrote …` line under `out`.
fn wrote_line(out: &str) -> String {
    format!("Wrote {out}/report.json, {out}/params.json, {out}/run.json\n")
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
        let phase4 = format!(
            "Phase 4 {name}: {} — out of sample {} trades",
            report["phase4"][p]["verdict"].as_str().unwrap(),
            report["phase4"][p]["out_of_sample"]["trades"]
        );
        assert!(section.contains(&phase4), "{phase4}");
    }
    // run.json holds the machine-dependent facts, including the measured peak RSS.
    let run: Value = serde_json::from_slice(&base.files.run).unwrap();
    assert!(run["wall_seconds"].as_f64().unwrap() > 0.0);
    let rss = run["peak_rss_bytes"].as_u64().unwrap();
    assert!(rss > 1 << 20, "peak RSS {rss}");
    assert_eq!(
        run["workspace_bytes_each"].as_u64(),
        Some(phasebound_core::budget::DEFAULT_WORKSPACE_BYTES as u64)
    );
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
fn budget_prints_the_core_table_and_its_total() {
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
    assert!(last.starts_with("total"), "{last}");
    assert_eq!(
        *total,
        phasebound_core::budget::DEFAULT_WORKSPACE_BYTES as u64
    );
    // The rows are the core's table, in order; the parts add up to at most the total
    // (the rest is alignment padding).
    let table = phasebound_core::budget::table();
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
    let needed_mib: u64 = out
        .stderr
        .split("needs about ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in {}", out.stderr));
    assert!(
        (1..QUIET_LIMIT_MIB).contains(&needed_mib),
        "{needed_mib} MiB"
    );
}

#[test]
fn previous_params_are_compared_with_the_new_ones() {
    let tmp = TempDir::new().unwrap();
    let base = baseline();
    // Scalping: the very parameters of the new run; swing: a wider take profit.
    let mut prev = base.files.params();
    let new_swing_tp = prev["swing_params"]["atr_tp_multiplier"].as_f64().unwrap();
    let old_swing_tp = new_swing_tp + 2.5;
    prev["swing_params"]["atr_tp_multiplier"] = old_swing_tp.into();
    let prev_path = tmp.path().join("old-params.json");
    fs::write(&prev_path, serde_json::to_vec_pretty(&prev).unwrap()).unwrap();

    let out = phasebound(
        &["run", "--previous", "old-params.json", "--out", "p"],
        tmp.path(),
    );
    out.expect_code(0);
    assert_complete_summary(&out.stdout);
    assert_eq!(out.stdout.matches("\n  previous parameters: ").count(), 2);
    let files = Files::read(&tmp.path().join("p"));
    let report = files.report();
    let base_report = base.files.report();
    for p in ["scalping", "swing"] {
        let f = &report["final"][p];
        assert!(f["previous"].is_object(), "final.{p}.previous");
        assert!(f["comparison"].is_object(), "final.{p}.comparison");
        // The new side is the run without --previous.
        assert_eq!(f["all_data"], base_report["final"][p]["all_data"], "{p}");
        assert_eq!(f["parameters"], base_report["final"][p]["parameters"]);
        assert_eq!(
            f["comparison"]["trades"]["new"], f["all_data"]["trades"],
            "{p}"
        );
        assert_eq!(
            f["comparison"]["trades"]["previous"], f["previous"]["all_data"]["trades"],
            "{p}"
        );
        // Phases 1–4 do not depend on the previous parameters.
        for phase in ["phase1", "phase2", "phase3", "phase4"] {
            assert_eq!(report[phase], base_report[phase], "{phase}");
        }
    }
    // Identical parameters give identical statistics on the same data.
    let s = &report["final"]["scalping"];
    assert_eq!(s["previous"]["parameters"], s["parameters"]);
    assert_eq!(s["previous"]["all_data"], s["all_data"]);
    // The changed one is read back as written.
    let w = &report["final"]["swing"]["previous"]["parameters"];
    assert_eq!(w["atr_tp_multiplier"].as_f64(), Some(old_swing_tp));
    assert_ne!(w, &report["final"]["swing"]["parameters"]);
    // params.json is what the run chose, whatever the previous file said.
    assert!(files.params == base.files.params);
}

#[test]
fn bad_previous_files_exit_2_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let mut good = baseline().files.params();
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
