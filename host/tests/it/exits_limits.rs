//! `phasebound exits` has `run`'s guarantees, through the real binary: a memory estimate
//! checked against `--max-memory` and the address-space limit before it starts (exit 5,
//! never a SIGABRT), the output folder's lock (a second run exits 4 at once), and
//! `exits.csv` only ever one complete run's bytes, however two runs into one folder
//! interleave. Also for both commands: `--out` naming a file is a usage error, and an
//! output folder deleted mid-run is an I/O error (exit 4) naming it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use phasebound::memory::exits_address_space_bytes;
use phasebound::output::LOCK_FILE;
use tempfile::TempDir;

use crate::bad_input::{BIN, have_prlimit, leftovers, output, run_cmd};

/// 300 entries of SYNBTCUSDT (embedded data), every 6 hours from 2024-01-02.
pub(crate) fn entries(dir: &Path) -> PathBuf {
    let mut s = String::from("symbol,time,direction\n");
    let t0 = 1_704_067_200_000_i64 + 86_400_000;
    for i in 0..300_i64 {
        let d = if i % 2 == 0 { "long" } else { "short" };
        s.push_str(&format!("SYNBTCUSDT,{},{d}\n", t0 + i * 6 * 3_600_000));
    }
    let p = dir.join("entries.csv");
    fs::write(&p, s).unwrap();
    p
}

/// The 8-cell grid of these tests, `tp` given.
fn exits_cmd(prefix: &[String], entries: &Path, out: &Path, tp: &str, extra: &[&str]) -> Command {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    cmd.args(["exits", "--quiet", "--entries"])
        .arg(entries)
        .arg("--out")
        .arg(out)
        .args([
            "--tp",
            tp,
            "--sl",
            "1,2",
            "--hold-hours",
            "4,8",
            "--trailing",
            "off",
        ])
        .args(extra);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn exits_refuses_with_exit_5_under_a_low_address_space_limit_or_max_memory() {
    let tmp = TempDir::new().unwrap();
    let ent = entries(tmp.path());
    let out = tmp.path().join("out");
    // --max-memory below the estimate (and a small size shown in KiB, `MB` accepted).
    for (size, shown) in [
        ("1K", "1.0 KiB (1024 bytes)"),
        ("5MB", "5.0 MiB (5242880 bytes)"),
    ] {
        let o = output(exits_cmd(&[], &ent, &out, "1,2", &["--max-memory", size]));
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(5), "{size}: {e}");
        assert!(e.contains(&format!("--max-memory is {shown}")), "{e}");
        assert!(
            e.contains("this run needs") && e.contains("8 grid cell(s)"),
            "{e}"
        );
        assert!(!out.join("exits.csv").exists(), "{size}: wrote exits.csv");
    }
    if !have_prlimit() {
        println!("SKIP: exits under prlimit --as: prlimit (util-linux) not found");
        return;
    }
    for threads in [1usize, 2] {
        let workers = phasebound::resources::exits_workers(threads, 8);
        // Lanes as `exits` sizes them: 4 symbols, the longest hold of the grid, and a
        // queue of the most entries waiting at once (one every 6 h, holds up to 8 h: 2).
        let hold = phasebound::config::hours_to_bars(8.0, 15) as u16;
        let lanes = phasebound::workspace::LaneShape::entries(4, hold, 2);
        let bound = exits_address_space_bytes(workers, lanes, 8);
        let t = threads.to_string();
        // At the documented bound it runs ...
        let limit = vec!["prlimit".to_owned(), format!("--as={bound}")];
        let o = output(exits_cmd(&limit, &ent, &out, "1,2", &["--threads", &t]));
        assert!(
            o.status.success(),
            "{threads} thread(s) at the bound: {}",
            stderr(&o)
        );
        // ... and below it refuses with exit 5 naming both figures, not a signal.
        let low = bound * 6 / 10;
        let limit = vec!["prlimit".to_owned(), format!("--as={low}")];
        let o = output(exits_cmd(&limit, &ent, &out, "1,2", &["--threads", &t]));
        let e = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(5),
            "{threads} thread(s), --as={low}: {e}"
        );
        assert!(
            e.contains("address-space limit")
                && e.contains(&format!("({low} bytes)"))
                && e.contains(&format!("({bound} bytes)")),
            "{e}"
        );
        assert!(!e.contains("panicked"), "{e}");
        println!(
            "exits: {threads} thread(s) ({workers} worker(s)) run under prlimit --as={} MiB, refuse at {} MiB",
            bound >> 20,
            low >> 20
        );
    }
}

#[test]
fn a_held_lock_stops_exits_at_once_with_exit_4() {
    let tmp = TempDir::new().unwrap();
    let ent = entries(tmp.path());
    let out = tmp.path().join("out");
    let o = output(exits_cmd(&[], &ent, &out, "1,2", &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let before = fs::read(out.join("exits.csv")).unwrap();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(LOCK_FILE))
        .unwrap();
    lock.try_lock().unwrap();
    let started = Instant::now();
    let o = output(exits_cmd(&[], &ent, &out, "3", &[]));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(
        e.contains(LOCK_FILE) && e.contains("another phasebound run"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "did not stop at once"
    );
    assert_eq!(
        fs::read(out.join("exits.csv")).unwrap(),
        before,
        "exits.csv changed"
    );
    drop(lock);
    let o = output(exits_cmd(&[], &ent, &out, "3", &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(
        fs::read(out.join("exits.csv")).unwrap(),
        before,
        "not replaced"
    );
}

#[test]
fn two_concurrent_exits_into_one_folder_leave_one_complete_result() {
    let tmp = TempDir::new().unwrap();
    let ent = entries(tmp.path());
    // Each grid's own bytes, from runs alone.
    let mut alone = Vec::new();
    for (i, tp) in ["1,2", "3,4"].iter().enumerate() {
        let out = tmp.path().join(format!("alone-{i}"));
        let o = output(exits_cmd(&[], &ent, &out, tp, &["--threads", "1"]));
        assert!(o.status.success(), "{}", stderr(&o));
        alone.push(fs::read(out.join("exits.csv")).unwrap());
    }
    assert_ne!(alone[0], alone[1]);
    let out = tmp.path().join("shared");
    let (mut refused, mut serialized) = (0, 0);
    for round in 0..8 {
        let children: Vec<_> = ["1,2", "3,4"]
            .iter()
            .map(|tp| {
                exits_cmd(&[], &ent, &out, tp, &["--threads", "1"])
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let results: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let codes: Vec<Option<i32>> = results.iter().map(|o| o.status.code()).collect();
        for o in &results {
            let e = stderr(o);
            assert!(
                o.status.success() || (o.status.code() == Some(4) && e.contains(LOCK_FILE)),
                "round {round}: {:?}: {e}",
                o.status
            );
        }
        let csv = fs::read(out.join("exits.csv")).unwrap();
        assert!(
            csv == alone[0] || csv == alone[1],
            "round {round}: exits.csv is not one complete run's bytes"
        );
        match codes.as_slice() {
            [Some(0), Some(0)] => serialized += 1,
            [Some(0), _] => {
                refused += 1;
                assert!(
                    csv == alone[0],
                    "round {round}: not the successful run's bytes"
                );
            }
            [_, Some(0)] => {
                refused += 1;
                assert!(
                    csv == alone[1],
                    "round {round}: not the successful run's bytes"
                );
            }
            other => panic!("round {round}: no run succeeded: {other:?}"),
        }
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    }
    println!(
        "concurrent exits: {refused} round(s) with one refused (exit 4), {serialized} serialized"
    );
}

#[test]
fn out_naming_a_file_is_a_usage_error_for_run_and_exits() {
    let tmp = TempDir::new().unwrap();
    let ent = entries(tmp.path());
    let file = tmp.path().join("afile");
    fs::write(&file, b"keep").unwrap();
    for out in [file.clone(), file.join("sub")] {
        let runs = [
            run_cmd(&out, &["--threads".into(), "1".into()]),
            exits_cmd(&[], &ent, &out, "1", &[]),
        ];
        for cmd in runs {
            let o = output(cmd);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{e}");
            assert!(
                e.contains(&format!("--out {}", out.display()))
                    && e.contains(&format!("{} is a file, not a folder", file.display())),
                "{e}"
            );
        }
    }
    assert_eq!(fs::read(&file).unwrap(), b"keep");
}

/// Starts `run` on a 4-symbol, 120-day synthetic market (several seconds of work), waits
/// until `ready` holds, deletes `out`, and returns the run's output.
fn delete_out_mid_run(
    tmp: &Path,
    out: &Path,
    cache: Option<&Path>,
    ready: impl Fn() -> bool,
) -> Output {
    let data = tmp.join("syn");
    if !data.is_dir() {
        let o = output({
            let mut c = Command::new(BIN);
            c.args(["synth", "--days", "120", "--symbols", "4", "--out"])
                .arg(&data);
            c
        });
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut args = vec!["--threads".into(), "1".into(), "--data".into(), data.into()];
    if let Some(c) = cache {
        args.push("--cache".into());
        args.push(c.into());
    }
    let mut cmd = run_cmd(out, &args);
    let child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while !ready() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the run never got going"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    fs::remove_dir_all(out).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn an_output_folder_deleted_mid_run_is_an_io_error_naming_it() {
    let tmp = TempDir::new().unwrap();
    // The cache inside the folder (the default): deleted once every cache file is built.
    let out = tmp.path().join("out-a");
    let cache = out.join(".cache");
    let bars = |dir: &Path| {
        fs::read_dir(dir).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "bars"))
                .count()
        })
    };
    let o = delete_out_mid_run(tmp.path(), &out, None, || bars(&cache) == 4);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(
        e.contains(&cache.display().to_string()) && e.contains("deleted"),
        "{e}"
    );
    // The cache elsewhere: the run carries on until the commit, which must not recreate
    // the folder.
    let out = tmp.path().join("out-b");
    let cache = tmp.path().join("cache-b");
    let lock = out.join(LOCK_FILE);
    let o = delete_out_mid_run(tmp.path(), &out, Some(&cache), || lock.exists());
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(
        e.contains(&format!(
            "{}: the output folder was deleted during the run",
            out.display()
        )),
        "{e}"
    );
    assert!(!out.exists(), "the deleted output folder was recreated");
}
