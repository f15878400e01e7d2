//! `--timerange YYYYMMDD-YYYYMMDD` (freqtrade's syntax, open ends allowed) for `run`
//! and `exits`: a run with a range equals a run on the data cut to that range before
//! the run; bad syntax is a usage error (exit 2).

use std::fs;
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::cli::{Files, phasebound};

/// The embedded fixtures (2024-01-01 … 2024-03-30, 15m) written to `dir`.
fn fixtures(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    phasebound(&["fixtures".as_ref(), dir.as_os_str()], dir).expect_code(0);
}

/// Copies the normalized CSVs of `from` to `to`, keeping the rows whose open time (ms)
/// lies in `[start, end)`.
fn cut(from: &Path, to: &Path, start: Option<i64>, end: Option<i64>) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines {
            let t: i64 = line.split(',').next().unwrap().parse().unwrap();
            if start.is_none_or(|s| t >= s) && end.is_none_or(|e| t < e) {
                out.push_str(line);
                out.push('\n');
            }
        }
        fs::write(to.join(path.file_name().unwrap()), out).unwrap();
    }
}

fn run(cwd: &Path, out: &str, data: &Path, extra: &[&str]) -> Files {
    let mut args = vec![
        "run",
        "--quiet",
        "--no-nice",
        "--threads",
        "1",
        "--out",
        out,
        "--data",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    phasebound(&args, cwd).expect_code(0);
    Files::read(&cwd.join(out))
}

/// report.json without what necessarily differs between the two runs: the input
/// files' hashes (the cut files are other files) and the recorded range.
fn comparable(mut report: Value) -> Value {
    report["run"]["timerange"] = Value::Null;
    for input in report["run"]["inputs"].as_array_mut().unwrap() {
        input["files"] = Value::Null;
    }
    report
}

const DAY_MS: i64 = 86_400_000;
/// 2024-01-15, 2024-02-01 and 2024-03-01, midnight UTC.
const JAN_15: i64 = 1_705_276_800_000;
const FEB_1: i64 = JAN_15 + 17 * DAY_MS;
const MAR_1: i64 = FEB_1 + 29 * DAY_MS;

#[test]
fn timerange_run_equals_a_run_on_data_cut_to_the_range() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    let full = t.join("full");
    fixtures(&full);
    for (range, start, end, first, last) in [
        (
            "20240115-20240301",
            Some(JAN_15),
            Some(MAR_1),
            "2024-01-15T00:00:00Z",
            "2024-02-29T23:45:00Z",
        ),
        (
            "20240201-",
            Some(FEB_1),
            None,
            "2024-02-01T00:00:00Z",
            "2024-03-30T23:45:00Z",
        ),
        (
            "-20240301",
            None,
            Some(MAR_1),
            "2024-01-01T00:00:00Z",
            "2024-02-29T23:45:00Z",
        ),
    ] {
        let cut_dir = t.join(format!("cut{range}"));
        cut(&full, &cut_dir, start, end);
        let a = run(t, &format!("out{range}"), &full, &["--timerange", range]);
        let b = run(t, &format!("out-cut{range}"), &cut_dir, &[]);
        assert!(a.params == b.params, "{range}: params.json differs");
        let (ra, rb) = (a.report(), b.report());
        assert_eq!(ra["run"]["timerange"], range);
        assert_eq!(rb["run"]["timerange"], Value::Null);
        for input in ra["run"]["inputs"].as_array().unwrap() {
            assert_eq!(input["first_open_time"], first, "{range}");
            assert_eq!(input["last_open_time"], last, "{range}");
        }
        assert_eq!(
            serde_json::to_string(&comparable(ra)).unwrap(),
            serde_json::to_string(&comparable(rb)).unwrap(),
            "{range}: report.json differs beyond the input hashes and the range"
        );
    }
}

#[test]
fn timerange_bad_syntax_or_empty_range_is_a_usage_error() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    for (value, problem) in [
        ("20240101", "expected YYYYMMDD-YYYYMMDD"),
        ("2024-01-01", "'2024' is not a date written YYYYMMDD"),
        ("20240230-", "'20240230' is not a calendar date"),
        (
            "2024011-20240201",
            "'2024011' is not a date written YYYYMMDD",
        ),
        (
            "20240301-20240201",
            "the end date 20240201 is not after the start date 20240301",
        ),
        (
            "20240301-20240301",
            "the end date 20240301 is not after the start date 20240301",
        ),
        ("-", "give a start date, an end date or both"),
        ("x-", "'x' is not a date written YYYYMMDD"),
    ] {
        for cmd in ["run", "exits"] {
            let mut args = vec![cmd, "--timerange", value];
            if cmd == "exits" {
                args.extend(["--entries", "e.csv"]);
            }
            let o = phasebound(&args, t);
            o.expect_code(2);
            assert!(
                o.stderr
                    .contains(&format!("--timerange '{value}': {problem}")),
                "{cmd} {value}: {}",
                o.stderr
            );
        }
    }
    // A valid range outside the data: exit 2, the range and the data's span named.
    let o = phasebound(&["run", "--quiet", "--timerange", "20300101-"], t);
    o.expect_code(2);
    assert!(
        o.stderr
            .contains("--timerange 20300101- holds no bar of SYNBTCUSDT, whose data runs from 2024-01-01T00:00:00Z to 2024-03-30T23:45:00Z"),
        "{}",
        o.stderr
    );
}

#[test]
fn timerange_exits_sees_only_the_range() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    let full = t.join("full");
    fixtures(&full);
    let cut_dir = t.join("cut");
    cut(&full, &cut_dir, Some(FEB_1), Some(MAR_1));
    fs::write(
        t.join("e.csv"),
        "symbol,time,direction\nSYNBTCUSDT,2024-02-10T12:00:00Z,long\n\
         SYNETHUSDT,2024-02-12T08:00:00Z,short\nSYNBTCUSDT,2024-02-20T00:15:00Z,short\n",
    )
    .unwrap();
    let exits = |out: &str, data: &Path, extra: &[&str]| {
        let mut args = vec![
            "exits",
            "--entries",
            "e.csv",
            "--out",
            out,
            "--data",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        phasebound(&args, t)
    };
    exits("a", &full, &["--timerange", "20240201-20240301"]).expect_code(0);
    exits("b", &cut_dir, &[]).expect_code(0);
    let a = fs::read(t.join("a/exits.csv")).unwrap();
    assert!(a == fs::read(t.join("b/exits.csv")).unwrap());
    // An entry before the range is outside the data the command sees.
    fs::write(t.join("e.csv"), "SYNBTCUSDT,2024-01-20T12:00:00Z,long\n").unwrap();
    let o = exits("a", &full, &["--timerange", "20240201-20240301"]);
    o.expect_code(3);
    assert!(o.stderr.contains("e.csv:1"), "{}", o.stderr);
}
