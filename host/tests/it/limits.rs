//! Resource limits and determinism, through the real binary.
//!
//! Limits: a run succeeds under a hard address-space limit (`prlimit --as`) of
//! [`address_space_bytes`] — the documented estimate plus the reserved worker stacks —
//! and does not at 60 % of it (so the limit really binds); `--max-memory` below the
//! estimate stops the run before any data is read, with exit 5 and a clear message.
//!
//! Determinism (what the pipeline and CLI tests do not already cover): on the embedded
//! data 1 and 2 threads, and a cold and a warm cache, give byte-identical files; a new
//! seed without sampling changes only the seed (and the params hash); with sampling it
//! changes Phase 3 and what follows from Phase 3's choice, never the inputs, Phase 1 or
//! Phase 2.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use phasebound::memory::{address_space_bytes, estimate_bytes};
use phasebound::workspace::LaneShape;

/// The lanes of a default-config run on `symbols` symbols of 15m bars.
fn lanes(symbols: usize) -> [LaneShape; 2] {
    phasebound::pipeline::config_lane_shapes(&phasebound::config::Config::default(), 15, symbols)
        .unwrap()
}
use serde_json::Value;
use tempfile::TempDir;

use crate::bad_input::{BIN, good_outputs, have_prlimit, json_file, output, read_outputs, run_cmd};

/// `../shared/data/binance` beside the workspace, or a SKIP line.
fn six_symbols(test: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/binance");
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: {test}: ../shared/data not found");
        None
    }
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

/// Whether a run with `extra` arguments succeeds under `prlimit --as=<limit>`.
fn runs_under(limit: u64, out: &Path, extra: &[OsString]) -> (bool, String) {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={limit}"))
        .arg(BIN)
        .args(["run", "--quiet", "--no-nice", "--out"])
        .arg(out)
        .args(extra);
    let o = output(cmd);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn runs_under_an_address_space_limit_of_the_documented_bound() {
    if !have_prlimit() {
        println!("SKIP: address-space limits: prlimit (util-linux) not found");
        return;
    }
    let tmp = TempDir::new().unwrap();
    let mut runs: Vec<(&str, usize, Vec<OsString>)> = vec![
        ("embedded, 1 thread", 4, args(&["--threads", "1"])),
        ("embedded, 2 threads", 4, args(&["--threads", "2"])),
    ];
    if let Some(data) = six_symbols("address-space limit, six symbols") {
        for t in ["1", "2"] {
            let mut a = args(&["--threads", t, "--timeframe", "15m", "--data"]);
            a.push(data.clone().into());
            runs.push((
                if t == "1" {
                    "six symbols, 1 thread"
                } else {
                    "six symbols, 2 threads"
                },
                6,
                a,
            ));
        }
    }
    for (i, (name, symbols, extra)) in runs.iter().enumerate() {
        let workers = if extra[1] == "1" { 1 } else { 2 };
        let limit = address_space_bytes(workers, &lanes(*symbols));
        let out = tmp.path().join(format!("out-{i}"));
        // A warm cache first, so the limited runs measure the phases, not the parser.
        let o = output(run_cmd(&out, extra));
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (ok, stderr) = runs_under(limit, &out, extra);
        assert!(ok, "{name}: failed under --as={limit}: {stderr}");
        let (ok, stderr) = runs_under(limit * 6 / 10, &out, extra);
        assert!(
            !ok,
            "{name}: also ran under 60 % of the limit, so the limit does not bind"
        );
        // Below the bound the run refuses at once (exit 5), instead of aborting mid-run.
        assert!(
            stderr.contains("address-space limit") && !stderr.contains("panicked"),
            "{name}: no clear message under 60 % of the limit: {stderr}"
        );
        println!(
            "address space: {name}: runs under prlimit --as={} MiB",
            limit >> 20
        );
    }
}

#[test]
fn max_memory_below_the_estimate_fails_fast_with_exit_5() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let previous = good_outputs(&out, 3);
    let estimate = estimate_bytes(1, &lanes(4));
    for (limit, ok) in [(1 << 20, false), (estimate - 1, false), (estimate, true)] {
        let cache = tmp.path().join(format!("cache-{limit}"));
        let o = output(run_cmd(
            &out,
            &[
                "--threads".into(),
                "1".into(),
                "--seed".into(),
                "3".into(),
                "--max-memory".into(),
                limit.to_string().into(),
                "--cache".into(),
                cache.clone().into(),
            ],
        ));
        let stderr = String::from_utf8_lossy(&o.stderr);
        if ok {
            assert!(o.status.success(), "at the estimate: {stderr}");
            continue;
        }
        assert_eq!(o.status.code(), Some(5), "{limit}: {stderr}");
        assert!(
            stderr.contains("--max-memory") && stderr.contains("MiB"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(read_outputs(&out) == previous, "{limit}: outputs changed");
        // Fast: refused before any bar was parsed, so no cache file exists.
        let cached: Vec<_> = fs::read_dir(&cache)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "bars"))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            cached.is_empty(),
            "{limit}: a cache was built before refusing"
        );
    }
}

/// Paths (`a.b[3].c`) where two JSON values differ.
fn diff(a: &Value, b: &Value, path: &str, out: &mut BTreeSet<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff(u, v, &p, out),
                    _ => {
                        out.insert(p);
                    }
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(u, v, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => {
            out.insert(path.to_owned());
        }
        _ => {}
    }
}

fn run_ok(out: &Path, extra: &[OsString]) -> (Value, Value, Vec<Option<Vec<u8>>>) {
    let o = output(run_cmd(out, extra));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        json_file(&out.join("report.json")),
        json_file(&out.join("params.json")),
        read_outputs(out),
    )
}

/// The embedded data (the real-data twin of this is in `pipeline.rs`): two threads with
/// a cold cache, then one and two threads with the warm one, byte for byte.
#[test]
fn thread_count_and_cache_state_do_not_change_a_byte() {
    let tmp = TempDir::new().unwrap();
    let cache = tmp.path().join("cache");
    let mut outs = Vec::new();
    for (i, threads) in ["2", "1", "2"].iter().enumerate() {
        let out = tmp.path().join(format!("out-{i}"));
        let mut a = args(&["--threads", threads, "--cache"]);
        a.push(cache.clone().into());
        let (_, _, files) = run_ok(&out, &a);
        outs.push(files);
    }
    for o in &outs[1..] {
        assert!(o[..2] == outs[0][..2], "report.json/params.json differ");
    }
}

#[test]
fn a_new_seed_changes_only_what_depends_on_it() {
    let tmp = TempDir::new().unwrap();
    let run = |seed: &str, sample: &str| {
        let out = tmp.path().join(format!("s{seed}-{sample}"));
        run_ok(
            &out,
            &args(&["--threads", "2", "--seed", seed, "--sample", sample]),
        )
    };
    let seed_fields: BTreeSet<String> =
        ["run.seed", "run.config.seed", "run.params_sha256", "seed"]
            .map(String::from)
            .into();

    // No sampling: the seed is only recorded.
    let (r1, p1, _) = run("1", "0");
    let (r2, p2, _) = run("2", "0");
    let mut d = BTreeSet::new();
    diff(&r1, &r2, "", &mut d);
    diff(&p1, &p2, "", &mut d);
    assert!(
        d.is_subset(&seed_fields),
        "without sampling the seed changed {d:?}"
    );
    assert!(d.contains("run.seed") && d.contains("seed"), "{d:?}");

    // Sampling 150 candidates: Phase 3 sees another sample; Phases 4 and final, and the
    // params, may follow its choice; the inputs and Phases 1-2 may not change.
    let (r1, p1, _) = run("1", "150");
    let (r2, p2, _) = run("2", "150");
    let mut d = BTreeSet::new();
    diff(&r1, &r2, "", &mut d);
    let allowed = |p: &str| {
        seed_fields.contains(p)
            || ["phase3.", "phase4.", "final."]
                .iter()
                .any(|s| p.starts_with(s))
    };
    let wrong: Vec<&String> = d.iter().filter(|p| !allowed(p)).collect();
    assert!(wrong.is_empty(), "sampling seed changed {wrong:?}");
    assert!(
        d.iter()
            .any(|p| p.starts_with("phase3.") && p.contains(".sample.seed")),
        "{d:?}"
    );
    let sample_dependent = d
        .iter()
        .filter(|p| p.starts_with("phase3.") && !p.ends_with(".sample.seed"))
        .count();
    assert!(
        sample_dependent > 0,
        "another sample changed nothing in Phase 3"
    );
    let mut d = BTreeSet::new();
    diff(&p1, &p2, "", &mut d);
    let wrong: Vec<&String> = d
        .iter()
        .filter(|p| {
            !seed_fields.contains(*p)
                && !p.starts_with("scalping_params.")
                && !p.starts_with("swing_params.")
        })
        .collect();
    assert!(wrong.is_empty(), "params.json: {wrong:?}");
}
