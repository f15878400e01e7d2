//! Inputs that are not regular files, or are huge, and edge sizes and links: every
//! input path (data, `.CHECKSUM`, config, `--previous`, entries) must be a regular file
//! or get a clear error naming it, at once (never a hang, never reading a device
//! forever); small files are read with a bound; a dangling link in a data folder is
//! skipped unless it could be one of the run's files; a one-bar file runs and says why
//! it cannot trade.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use phasebound::data::{DataErrorKind, DiscoverOptions, discover};
use phasebound::error::AppError;
use serde_json::Value;
use tempfile::TempDir;

use crate::bad_input::{BIN, json_file};

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z
const M15: i64 = 900_000;

/// A plain CSV of `n` valid 15m bars.
fn csv(n: usize) -> String {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..n {
        let p = 100.0 + (i % 9) as f64;
        s.push_str(&format!(
            "{},{p},{},{},{},5\n",
            T0 + i as i64 * M15,
            p + 1.0,
            p - 1.0,
            p + 0.5
        ));
    }
    s
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Runs `phasebound <args>` and fails the test if it has not ended after 30 s (a hang).
fn run_bounded(args: &[OsString]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the phasebound binary runs");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("phasebound {args:?} hung (killed after 30 s)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_owned()).collect()
}

/// Asserts exit code `code` and a message holding every one of `needles`; returns it.
fn expect_error(o: &Output, code: i32, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in: {stderr}");
    }
    stderr
}

/// A folder with one small valid data file; returns (folder guard, data file, out).
fn setup() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("BTCUSDT-15m.csv");
    fs::write(&data, csv(30)).unwrap();
    let out = dir.path().join("out");
    (dir, data, out)
}

#[test]
fn fifo_as_data_or_checksum_is_refused_at_once() {
    let (dir, data, out) = setup();
    let fifo = dir.path().join("ETHUSDT-15m.csv");
    mkfifo(&fifo);
    let o = run_bounded(&args(&[
        &"run", &"--quiet", &"--out", &out, &"--data", &fifo,
    ]));
    expect_error(
        &o,
        3,
        &[
            &fifo.display().to_string(),
            "not a regular file (a named pipe (FIFO))",
        ],
    );
    // A device as data: refused, not read.
    let o = run_bounded(&args(&[
        &"run",
        &"--quiet",
        &"--out",
        &out,
        &"--symbol",
        &"BTCUSDT",
        &"--timeframe",
        &"15m",
        &"--data",
        &"/dev/zero",
    ]));
    expect_error(
        &o,
        3,
        &["/dev/zero", "not a regular file (a character device)"],
    );
    // A FIFO where a `.CHECKSUM` file would be.
    let sum = dir.path().join("BTCUSDT-15m.csv.CHECKSUM");
    mkfifo(&sum);
    let o = run_bounded(&args(&[
        &"run", &"--quiet", &"--out", &out, &"--data", &data,
    ]));
    expect_error(&o, 3, &[&sum.display().to_string(), "named pipe"]);
    assert!(!out.join("report.json").exists());
}

#[test]
fn fifo_devices_and_huge_files_as_config_or_previous() {
    let (dir, data, out) = setup();
    let fifo = dir.path().join("my.toml");
    mkfifo(&fifo);
    let big = dir.path().join("big.json");
    fs::File::create(&big).unwrap().set_len(100 << 20).unwrap();
    let base = |flag: &str, path: &Path| {
        args(&[
            &"run", &"--quiet", &"--out", &out, &"--data", &data, &flag, &path,
        ])
    };
    let cases: [(&str, &Path, &str); 5] = [
        (
            "--config",
            &fifo,
            "not a regular file (a named pipe (FIFO))",
        ),
        (
            "--config",
            Path::new("/dev/zero"),
            "not a regular file (a character device)",
        ),
        (
            "--config",
            &big,
            "file too large (104857600 bytes, at most 1048576)",
        ),
        (
            "--previous",
            Path::new("/dev/zero"),
            "not a regular file (a character device)",
        ),
        (
            "--previous",
            &big,
            "file too large (104857600 bytes, at most 1048576)",
        ),
    ];
    for (flag, path, problem) in cases {
        let started = Instant::now();
        let o = run_bounded(&base(flag, path));
        let msg = expect_error(&o, 2, &[&path.display().to_string(), problem]);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{flag} {}: {msg}",
            path.display()
        );
    }
    assert!(!out.join("report.json").exists());
}

#[test]
fn fifo_as_entries_file_is_refused_at_once() {
    let (dir, data, out) = setup();
    let fifo = dir.path().join("entries.csv");
    mkfifo(&fifo);
    let o = run_bounded(&args(&[
        &"exits",
        &"--quiet",
        &"--out",
        &out,
        &"--data",
        &data,
        &"--entries",
        &fifo,
    ]));
    expect_error(&o, 3, &[&fifo.display().to_string(), "named pipe"]);
}

#[test]
fn dangling_links_in_a_data_folder() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    fs::write(d.join("BTCUSDT-15m.csv"), csv(30)).unwrap();
    std::os::unix::fs::symlink(d.join("gone.csv"), d.join("BTCUSDT-1h.csv")).unwrap();
    // A FIFO in the folder is skipped (never opened), not waited on.
    mkfifo(&d.join("XRPUSDT-15m.csv"));
    let folder = [d.to_path_buf()];
    for timeframe in [Some(15), None] {
        let specs = discover(
            &folder,
            &DiscoverOptions {
                timeframe,
                ..DiscoverOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{timeframe:?}: {e}"));
        let found: Vec<(&str, u32)> = specs
            .iter()
            .map(|s| (s.symbol.as_str(), s.timeframe_minutes))
            .collect();
        assert_eq!(found, [("BTCUSDT", 15)], "{timeframe:?}");
    }
    // Asked for 1h, the link is the run's file: a clear error naming it.
    let e = discover(
        &folder,
        &DiscoverOptions {
            timeframe: Some(60),
            ..DiscoverOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::DanglingLink), "{e}");
    assert!(e.to_string().contains("BTCUSDT-1h.csv"), "{e}");

    // A dangling link of the folder's timeframe, through the binary: exit 2, named.
    let link = d.join("ETHUSDT-15m.csv");
    std::os::unix::fs::symlink(d.join("also-gone.csv"), &link).unwrap();
    let out = d.join("out");
    let o = run_bounded(&args(&[&"run", &"--quiet", &"--out", &out, &"--data", &d]));
    expect_error(
        &o,
        2,
        &[
            &link.display().to_string(),
            "a symbolic link to a file that does not exist",
        ],
    );
}

#[test]
fn one_bar_file_runs_and_says_why_nothing_ships() {
    let (_dir, data, out) = setup();
    fs::write(&data, csv(1)).unwrap();
    let o = run_bounded(&args(&[
        &"run",
        &"--no-nice",
        &"--threads",
        &"1",
        &"--out",
        &out,
        &"--data",
        &data,
    ]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("Note: BTCUSDT has 1 bars, fewer than the")
            && stdout.contains("indicator warm-up"),
        "{stdout}"
    );
    let report = json_file(&out.join("report.json"));
    assert_eq!(report["run"]["inputs"][0]["bars"], 1);
    for profile in ["scalping", "swing"] {
        assert_eq!(
            report["final"][profile]["enabled"],
            Value::Bool(false),
            "{profile}"
        );
    }
}

#[test]
fn core_parameter_errors_name_config_once() {
    let e = AppError::core(phasebound_core::Error::InvalidParameter {
        what: "empty time range",
    });
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.to_string(),
        "config: profile settings: invalid parameter: empty time range"
    );
}
