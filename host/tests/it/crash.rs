//! Crash safety of the output folder. The binary is killed with SIGKILL at seeded random
//! moments of a run on the embedded data (one worker thread), many times in a row on
//! one output folder; after every kill the folder must hold the previous outputs or the
//! new ones, byte for byte equal to an uninterrupted run of the same seed — never a
//! partial file, never a report of one run beside the params of another (each
//! `report.json` and `run.json` names the SHA-256 of its `params.json`). Also: a commit
//! cut between two renames is finished by the next run, stale temporaries and lock files
//! of killed runs do not stop the next run, and a live lock stops a second run at once.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use phasebound::output::{COMMIT_MARKER, LOCK_FILE, recover, temp_path};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::bad_input::{
    OUTPUTS, good_outputs, json_file, leftovers, output, read_outputs, run_cmd,
};

/// Kills per run of the test (about 20 s on two cores).
const KILLS: usize = 50;

/// `report.json` and `params.json` of a folder.
fn pair(out: &Path) -> (Vec<u8>, Vec<u8>) {
    let o = read_outputs(out);
    (
        o[0].clone().unwrap_or_default(),
        o[1].clone().unwrap_or_default(),
    )
}

/// The `params.json` hash that `report.json` (or `run.json`) says it belongs to.
fn claimed(path: &Path) -> String {
    let v = json_file(path);
    let hash = v.get("run").unwrap_or(&v)["params_sha256"].as_str();
    hash.unwrap_or_else(|| panic!("{}: no params_sha256", path.display()))
        .to_owned()
}

/// The hash of the `params.json` in `out`.
fn params_hash(out: &Path) -> String {
    let bytes = fs::read(out.join("params.json")).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a kill's delay counts from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    /// The start of the run.
    Start,
    /// The run's first temporary output file.
    FirstTemp,
    /// The run's commit marker (its renames follow at once).
    Marker,
}

/// Waits for `child`, polling `out` every 0.2 ms for the first temporary file it writes.
/// With `kill = Some((delay, from))`, sends SIGKILL `delay` after `from` unless the run
/// ended before. Returns the exit status (`None` when killed), the time the run took,
/// and how long after its first temporary file it ended (`None` if it wrote none).
fn watch(
    child: &mut Child,
    out: &Path,
    kill: Option<(Duration, From)>,
) -> (Option<ExitStatus>, Duration, Option<Duration>) {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut temp_seen: Option<Instant> = None;
    let mut marker_seen: Option<Instant> = None;
    loop {
        if marker_seen.is_none() && out.join(COMMIT_MARKER).exists() {
            marker_seen = Some(Instant::now());
        }
        if temp_seen.is_none() {
            let fresh = leftovers(out).iter().any(|n| {
                fs::metadata(out.join(n))
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= started)
            });
            if fresh {
                temp_seen = Some(Instant::now());
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (
                Some(status),
                clock.elapsed(),
                temp_seen.map(|t| t.elapsed()),
            );
        }
        if let Some((delay, from)) = kill {
            let from = match from {
                From::Start => Some(clock),
                From::FirstTemp => temp_seen,
                From::Marker => marker_seen,
            };
            if from.is_some_and(|f| f.elapsed() >= delay) {
                child.kill().unwrap(); // SIGKILL
                let status = child.wait().unwrap();
                // A run may end between the last poll and the signal.
                let status = status.code().is_some().then_some(status);
                return (status, clock.elapsed(), temp_seen.map(|t| t.elapsed()));
            }
        }
        if kill.is_some_and(|(_, f)| f == From::Marker) {
            std::hint::spin_loop(); // the marker lives for microseconds
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn seeded_run(out: &Path, cache: &Path, seed: u64) -> Command {
    let mut cmd = run_cmd(
        out,
        &[
            "--threads".into(),
            "1".into(),
            "--seed".into(),
            seed.to_string().into(),
            "--cache".into(),
            cache.into(),
        ],
    );
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_mix_or_a_partial_file() {
    let tmp = TempDir::new().unwrap();
    let cache = tmp.path().join("cache");
    let seeds = [101_u64, 202];
    // Uninterrupted references; the length of a run and of its output phase (first
    // temporary file to exit), the slower of two runs with a warm cache.
    let mut refs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let (mut duration, mut window) = (Duration::ZERO, Duration::ZERO);
    for (i, seed) in [seeds[0], seeds[1], seeds[0]].iter().enumerate() {
        let dir = tmp.path().join(format!("ref-{}", i % 2));
        let mut child = seeded_run(&dir, &cache, *seed).spawn().unwrap();
        let (status, took, writing) = watch(&mut child, &dir, None);
        if i > 0 {
            duration = duration.max(took);
            let w = writing.unwrap_or_default();
            window = if i == 1 { w } else { window.min(w) };
        }
        assert!(status.unwrap().success(), "reference run {i} failed");
        assert_eq!(claimed(&dir.join("report.json")), params_hash(&dir));
        match refs.get(i % 2) {
            Some(r) => assert!(*r == pair(&dir), "same seed, different bytes"),
            None => refs.push(pair(&dir)),
        }
    }
    assert!(
        refs[0] != refs[1],
        "the two seeds must give distinguishable outputs"
    );

    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    for name in OUTPUTS {
        fs::copy(tmp.path().join("ref-0").join(name), out.join(name)).unwrap();
    }
    let mut state = 0; // which reference the folder holds
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x0c0f_fee5);
    let unit = |rng: &mut Xoshiro256PlusPlus| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let (mut kept, mut replaced, mut finished, mut recovered, mut writing_kills) = (0, 0, 0, 0, 0);
    for i in 0..KILLS {
        if i % 10 == 9 {
            // Now and then a cold cache, so kills also land in the cache build.
            let _ = fs::remove_dir_all(&cache);
        }
        let next = 1 - state;
        let mut child = seeded_run(&out, &cache, seeds[next]).spawn().unwrap();
        // Half the kills at a uniform moment of the run; a quarter at a uniform moment of
        // its output phase; a quarter as soon as its commit marker appears.
        let kill = match i % 4 {
            0 | 2 => (duration.mul_f64(unit(&mut rng)), From::Start),
            1 => (window.mul_f64(unit(&mut rng)), From::FirstTemp),
            _ => (Duration::ZERO, From::Marker),
        };
        let (status, took, writing) = watch(&mut child, &out, Some(kill));
        match status {
            Some(status) => {
                assert!(
                    status.success(),
                    "kill {i}: run failed on its own: {status}"
                );
                finished += 1;
                // Follow the machine's pace: the next uniform kills span a real run.
                duration = (duration + took) / 2;
            }
            None => writing_kills += usize::from(writing.is_some()),
        }
        // A commit cut between its renames is finished by the next run's first step.
        if out.join(COMMIT_MARKER).exists() {
            recovered += 1;
            assert!(
                recover(&out).unwrap(),
                "kill {i}: marker present but nothing recovered"
            );
        }
        for name in OUTPUTS.iter().filter(|n| n.ends_with(".json")) {
            let path = out.join(name);
            let v = json_file(&path); // complete, parseable JSON
            assert!(v.is_object(), "kill {i}: {name} is not an object");
        }
        // report.html names the params.json it belongs to, like report.json.
        let html = fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains(&claimed(&out.join("report.json"))) && html.ends_with("</html>\n"),
            "kill {i}: report.html is partial or of another run"
        );
        assert_eq!(
            claimed(&out.join("run.json")),
            claimed(&out.join("report.json")),
            "kill {i}: run.json belongs to another run"
        );
        let now = pair(&out);
        let trades_of =
            |k: usize| fs::read(tmp.path().join(format!("ref-{k}")).join("trades.csv")).unwrap();
        let trades = fs::read(out.join("trades.csv")).unwrap();
        if now == refs[state] {
            kept += 1;
            assert!(
                trades == trades_of(state),
                "kill {i}: trades.csv of another run"
            );
        } else if now == refs[next] {
            replaced += 1;
            state = next;
            assert!(
                trades == trades_of(state),
                "kill {i}: trades.csv of another run"
            );
        } else {
            panic!(
                "kill {i}: the outputs are neither the previous nor the new run's: \
                 report.json belongs to params {}, params.json is {}",
                claimed(&out.join("report.json")),
                params_hash(&out)
            );
        }
    }
    println!(
        "crash safety: {KILLS} runs, {} killed by SIGKILL at a seeded random moment \
         (a run takes {duration:?}, its output phase {window:?}), {finished} finished first; \
         {writing_kills} kills landed while the outputs were written, {recovered} left an unfinished commit (finished by \
         recovery); afterwards the folder held the previous outputs {kept} times, the new \
         ones {replaced} times, never anything else",
        KILLS - finished
    );

    // Stale temporaries (garbage) and the lock file left by killed runs: the next run
    // goes through and writes the other seed's outputs exactly.
    for name in OUTPUTS {
        fs::write(temp_path(&out.join(name)), b"{ garbage from a killed run").unwrap();
    }
    assert!(
        out.join(LOCK_FILE).exists(),
        "killed runs leave their lock file"
    );
    let next = 1 - state;
    let o = output(seeded_run(&out, &cache, seeds[next]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(pair(&out), refs[next]);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// The state a SIGKILL right after the first rename leaves — new `report.json`, old
/// `params.json` and `run.json`, the new ones still in their (complete) temporaries,
/// and the commit marker — built from two real runs' files. `params_sha256` shows the
/// mix; the next run, even one that fails on bad data, first finishes the commit.
#[test]
fn a_commit_cut_between_renames_is_finished_by_the_next_run() {
    let tmp = TempDir::new().unwrap();
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("out"),
    );
    let old = good_outputs(&a, 1);
    let new = good_outputs(&b, 2);
    fs::create_dir_all(&out).unwrap();
    let write =
        |name: &str, bytes: &Option<Vec<u8>>| fs::write(name, bytes.as_ref().unwrap()).unwrap();
    let at = |name: &str| out.join(name).to_string_lossy().into_owned();
    // Cut after the first two renames (the commit renames trades.csv first).
    write(&at("trades.csv"), &new[4]);
    write(&at("report.json"), &new[0]);
    write(&at("params.json"), &old[1]);
    write(&at("run.json"), &old[2]);
    write(&at("report.html"), &old[3]);
    write(&at("params.json.phasebound-tmp"), &new[1]);
    write(&at("run.json.phasebound-tmp"), &new[2]);
    write(&at("report.html.phasebound-tmp"), &new[3]);
    fs::write(
        out.join(COMMIT_MARKER),
        "trades.csv\nreport.json\nparams.json\nrun.json\nreport.html\n",
    )
    .unwrap();
    assert_ne!(
        claimed(&out.join("report.json")),
        params_hash(&out),
        "report.json's params_sha256 makes the mix visible"
    );

    let bad = tmp.path().join("BTCUSDT-15m.csv");
    fs::write(&bad, "open_time_ms,open,high,low,close,volume\n").unwrap();
    let o = output(run_cmd(&out, &["--data".into(), bad.into()]));
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        read_outputs(&out) == new,
        "the interrupted commit was not finished"
    );
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

#[test]
fn a_live_lock_stops_a_second_run_at_once_and_a_released_one_does_not() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let previous = good_outputs(&out, 5);
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(LOCK_FILE))
        .unwrap();
    lock.try_lock().unwrap();
    let o = output(run_cmd(
        &out,
        &["--threads".into(), "1".into(), "--seed".into(), "6".into()],
    ));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(LOCK_FILE) && stderr.contains("another phasebound run"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(read_outputs(&out) == previous, "outputs changed");
    drop(lock);
    let o = output(run_cmd(
        &out,
        &["--threads".into(), "1".into(), "--seed".into(), "6".into()],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        read_outputs(&out)[1] != previous[1],
        "params.json not replaced"
    );
}
