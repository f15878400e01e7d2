//! The bar cache checks itself: a damaged cache file is rebuilt from the source files
//! (identical to a cold build), never trusted; unused cache files and temporaries of
//! killed builds are cleared away.
//!
//! `PHASEBOUND_SHOW_CASES=1 cargo test -p phasebound --test it cache_ -- --nocapture`
//! prints the tallies of the mutation corpus.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use phasebound::data::{
    CacheGuard, CachedSeries, DataErrorKind, SeriesReader, SeriesSpec, TimeRange, build_cache,
    prune_cache,
};
use phasebound_core::Bar;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::bad_input::{OUTPUTS, output, read_outputs, run_cmd};

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z
const M15: i64 = 900_000;
const HEADER: usize = 104;
/// The file entry after the records (one input file).
const ENTRY: usize = 32;
const RECORD: usize = 48;

/// `n` valid 15m bars with one gap of two missing bars after bar 9.
fn bars(n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let slot = i as i64 + if i >= 10 { 2 } else { 0 };
            let p = 100.0 + (i % 13) as f64 * 0.75 + (i / 50) as f64;
            Bar {
                time: T0 + slot * M15,
                open: p,
                high: p + 1.25,
                low: p - 1.0,
                close: p + 0.5,
                volume: 10.0 + (i % 7) as f64,
            }
        })
        .collect()
}

fn plain_csv(bars: &[Bar]) -> String {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for b in bars {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            b.time, b.open, b.high, b.low, b.close, b.volume
        ));
    }
    s
}

fn read_cache(path: &Path) -> Vec<Bar> {
    let mut r = SeriesReader::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(b) = r.next_bar().unwrap() {
        out.push(b);
    }
    out
}

/// Rewrites the checksum of a cache file's bytes (what a forger would do), so the
/// content checks alone must catch the damage.
fn forge_checksum(bytes: &mut [u8]) {
    let mut header = [0_u8; HEADER];
    header.copy_from_slice(&bytes[..HEADER]);
    header[88..96].fill(0);
    let mut h = Sha256::new();
    h.update(&bytes[HEADER..]);
    h.update(header);
    let digest = h.finalize();
    bytes[88..96].copy_from_slice(&digest[..8]);
}

/// A change to a cache file's bytes.
type Damage<'a> = Box<dyn Fn(&mut Vec<u8>) + 'a>;

/// One damaged variant of the cache file.
struct Mutation {
    what: String,
    bytes: Vec<u8>,
}

/// The mutation corpus over `good` (a cache file of `bars` records): every byte of the
/// file flipped in one bit and set to 0x00 and to 0xFF (no-op changes left out), every
/// bit of the first record's close, of the header's gap count and of its last time,
/// truncations and appended bytes, and, with the checksum forged to match, invalid
/// content (a bar made invalid, bars out of order, header fields that do not match).
fn corpus(good: &[u8]) -> Vec<Mutation> {
    let mut out = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>| {
        if bytes != good {
            out.push(Mutation { what, bytes });
        }
    };
    for at in 0..good.len() {
        let bit = (at * 5 + 3) % 8;
        let mut b = good.to_vec();
        b[at] ^= 1 << bit;
        push(format!("byte {at}: bit {bit} flipped"), b);
        for v in [0x00_u8, 0xFF] {
            let mut b = good.to_vec();
            b[at] = v;
            push(format!("byte {at} set to {v:#04x}"), b);
        }
    }
    let fields = [
        ("first record's close", HEADER + 32),
        ("header gap count", 40),
        ("header last time", 32),
        ("header first time", 24),
    ];
    for (name, at) in fields {
        for bit in 0..64 {
            let mut b = good.to_vec();
            b[at + bit / 8] ^= 1 << (bit % 8);
            push(format!("{name}: bit {bit} flipped"), b);
        }
    }
    for cut in [
        0,
        1,
        8,
        95,
        96,
        97,
        96 + 47,
        96 + 48,
        good.len() - 48,
        good.len() - 1,
    ] {
        push(format!("cut to {cut} bytes"), good[..cut].to_vec());
    }
    for extra in [1, 47, 48, 96] {
        let mut b = good.to_vec();
        b.extend(std::iter::repeat_n(0_u8, extra));
        push(format!("{extra} zero bytes appended"), b);
    }
    // Forged checksums: the content checks must catch these.
    let record = |i: usize, field: usize| HEADER + i * RECORD + field * 8;
    let set_f64 = |b: &mut Vec<u8>, at: usize, v: f64| {
        b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    };
    let set_i64 = |b: &mut Vec<u8>, at: usize, v: i64| {
        b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    };
    let n = (good.len() - HEADER) / RECORD;
    let forged: Vec<(&str, Damage)> = vec![
        (
            "high below low",
            Box::new(|b| set_f64(b, record(3, 2), 1.0)),
        ),
        (
            "NaN close",
            Box::new(|b| set_f64(b, record(4, 4), f64::NAN)),
        ),
        (
            "negative volume",
            Box::new(|b| set_f64(b, record(5, 5), -1.0)),
        ),
        ("zero open", Box::new(|b| set_f64(b, record(6, 1), 0.0))),
        (
            "time going back",
            Box::new(|b| set_i64(b, record(7, 0), T0)),
        ),
        (
            "time off the grid",
            Box::new(|b| set_i64(b, record(n - 1, 0), i64::MAX - 7)),
        ),
        ("gap count + 1", Box::new(|b| b[40] ^= 1)),
        ("largest gap changed", Box::new(|b| b[48] ^= 4)),
        (
            "last time + 1 bar",
            Box::new(|b| {
                let t = i64::from_le_bytes(b[32..40].try_into().unwrap());
                set_i64(b, 32, t + M15);
            }),
        ),
        ("first time - 1 bar", Box::new(|b| set_i64(b, 24, T0 - M15))),
        ("timeframe 5m", Box::new(|b| b[12] = 5)),
        (
            "file entry's bars + 1",
            Box::new(|b| {
                let at = b.len() - ENTRY;
                b[at] ^= 1;
            }),
        ),
        (
            "file entry's time unit 9",
            Box::new(|b| {
                let at = b.len() - 8;
                b[at] = 9;
            }),
        ),
    ];
    for (name, f) in forged {
        let mut b = good.to_vec();
        f(&mut b);
        forge_checksum(&mut b);
        push(format!("forged checksum, {name}"), b);
    }
    out
}

#[test]
fn cache_mutations_are_rebuilt_never_trusted() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let data = d.join("BTCUSDT-15m.csv");
    let bars = bars(40);
    fs::write(&data, plain_csv(&bars)).unwrap();
    let spec = SeriesSpec {
        symbol: "BTCUSDT".into(),
        timeframe_minutes: 15,
        files: vec![data.clone()],
        range: TimeRange::ALL,
        policy: phasebound::data::BarPolicy::default(),
    };
    let cache_dir = d.join("cache");
    let cold = build_cache(&spec, &cache_dir).unwrap();
    assert!(!cold.reused && cold.repaired.is_none());
    assert_eq!(
        (cold.bars, cold.gaps, cold.largest_gap_ms),
        (40, 1, 3 * M15)
    );
    let good = fs::read(&cold.path).unwrap();
    assert_eq!(good.len(), HEADER + 40 * RECORD + ENTRY);
    assert_eq!(read_cache(&cold.path), bars);
    // Warm: reused as it is.
    let warm = build_cache(&spec, &cache_dir).unwrap();
    assert!(warm.reused && warm.repaired.is_none());

    let cases = corpus(&good);
    let (mut rebuilt, mut errors) = (0_usize, 0_usize);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for m in &cases {
        fs::write(&cold.path, &m.bytes).unwrap();
        match build_cache(&spec, &cache_dir) {
            Ok(c) => {
                assert!(!c.reused, "{}: the damaged cache was reused", m.what);
                let reason = c
                    .repaired
                    .clone()
                    .unwrap_or_else(|| panic!("{}: rebuilt without a reason", m.what));
                let key = reason.split(" at ").next().unwrap_or_default().to_owned();
                *reasons.entry(key).or_default() += 1;
                assert_eq!(c.path, cold.path, "{}", m.what);
                assert_eq!(
                    fs::read(&c.path).unwrap(),
                    good,
                    "{}: the rebuilt cache differs from a cold build",
                    m.what
                );
                assert_eq!(
                    (c.bars, c.first_time, c.last_time, c.gaps, c.largest_gap_ms),
                    (
                        cold.bars,
                        cold.first_time,
                        cold.last_time,
                        cold.gaps,
                        cold.largest_gap_ms
                    ),
                    "{}",
                    m.what
                );
                rebuilt += 1;
            }
            Err(e) => {
                // Allowed only as a clear error naming the cache file.
                let text = e.to_string();
                assert!(
                    text.contains(&cold.path.display().to_string()),
                    "{}: {text}",
                    m.what
                );
                errors += 1;
                fs::write(&cold.path, &good).unwrap();
            }
        }
    }
    if std::env::var_os("PHASEBOUND_SHOW_CASES").is_some() {
        println!(
            "cache mutations: {} cases, {rebuilt} rebuilt, {errors} errors; reasons: {reasons:?}",
            cases.len()
        );
    }
    assert!(cases.len() > 5000, "{} cases", cases.len());
    assert_eq!(rebuilt + errors, cases.len());
    // Every content check is reached by the forged-checksum cases.
    for reason in [
        "checksum mismatch",
        "an invalid bar",
        "a bar",
        "its header does not match its bars",
        "its length does not match its bar count",
        "its file entries do not add up to its bars",
        "a file entry with an unknown time unit",
        "reserved bytes not zero",
        "its file count is not the series'",
        "wrong magic bytes",
        "other format version",
        "shorter than its header",
        "its key is not the one of these inputs",
        "its timeframe is not the series'",
    ] {
        assert!(
            reasons.contains_key(reason),
            "no case of {reason:?}: {reasons:?}"
        );
    }
}

#[test]
fn cache_changed_mid_run_is_an_error() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("BTCUSDT-15m.csv");
    fs::write(&data, plain_csv(&bars(20))).unwrap();
    let spec = SeriesSpec {
        symbol: "BTCUSDT".into(),
        timeframe_minutes: 15,
        files: vec![data],
        range: TimeRange::ALL,
        policy: phasebound::data::BarPolicy::default(),
    };
    let series: CachedSeries = build_cache(&spec, &dir.path().join("cache")).unwrap();
    assert!(SeriesReader::open_cached(&series).is_ok());
    let mut bytes = fs::read(&series.path).unwrap();
    bytes[90] ^= 1; // the checksum
    fs::write(&series.path, &bytes).unwrap();
    let e = SeriesReader::open_cached(&series).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::BadCache { .. }), "{e}");
    assert!(
        e.to_string().contains("changed after it was checked"),
        "{e}"
    );
}

#[test]
fn cache_prune_removes_only_its_own_unused_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let data = d.join("BTCUSDT-15m.csv");
    fs::write(&data, plain_csv(&bars(20))).unwrap();
    let spec = SeriesSpec {
        symbol: "BTCUSDT".into(),
        timeframe_minutes: 15,
        files: vec![data],
        range: TimeRange::ALL,
        policy: phasebound::data::BarPolicy::default(),
    };
    let cache = d.join("cache");
    let used = build_cache(&spec, &cache).unwrap();
    let stale = [
        "BTCUSDT-15m-0123456789abcdef.bars",
        "ETH_USDT-1h-fedcba9876543210.bars",
        ".BTCUSDT-15m-0123456789abcdef.bars.4242-0.tmp",
    ];
    let kept = [
        "notes.txt",
        "BTCUSDT-15m-0123456789ABCDEF.bars",
        "BTCUSDT-7m-0123456789abcdef.bars",
        ".phasebound-cache.lock",
    ];
    for n in stale.iter().chain(&kept) {
        fs::write(cache.join(n), "x").unwrap();
    }
    fs::create_dir(cache.join("embedded")).unwrap();
    fs::write(
        cache.join("embedded/BTCUSDT-15m-0123456789abcdef.bars"),
        "x",
    )
    .unwrap();
    // A link under a cache name is not ours to delete.
    std::os::unix::fs::symlink(&used.path, cache.join("XRPUSDT-15m-0000000000000000.bars"))
        .unwrap();
    let deleted = prune_cache(&cache, std::slice::from_ref(&used));
    let mut expected: Vec<PathBuf> = stale.iter().map(|n| cache.join(n)).collect();
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(used.path.is_file());
    for n in kept {
        assert!(cache.join(n).exists(), "{n} was deleted");
    }
    assert!(
        cache
            .join("embedded/BTCUSDT-15m-0123456789abcdef.bars")
            .exists()
    );
    assert!(cache.join("XRPUSDT-15m-0000000000000000.bars").exists());
}

/// A run into `out` on `data`, returning its output.
fn run_on(out: &Path, data: &Path) -> Output {
    output(run_cmd(
        out,
        &["--threads".into(), "1".into(), "--data".into(), data.into()],
    ))
}

/// The cache files (`*.bars`) of `out`.
fn cache_files(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(out.join(".cache"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bars"))
        .collect();
    v.sort();
    v
}

/// Through the real binary: a cold run, then damaged caches (a price's exponent bit, the
/// header's gap count and last time, a cut file, an invalid bar under a forged
/// checksum) each give a note on stderr and outputs byte-identical to the cold run; an
/// unused cache file and a killed build's temporary are removed, other files kept.
#[test]
fn cache_damage_through_the_cli_gives_cold_results() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let data = d.join("BTCUSDT-15m.csv");
    fs::write(&data, plain_csv(&bars(600))).unwrap();
    let out = d.join("out");
    let o = run_on(&out, &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cold = read_outputs(&out);
    let files = cache_files(&out);
    assert_eq!(files.len(), 1, "{files:?}");
    let cache = files[0].clone();
    let good = fs::read(&cache).unwrap();
    let mid = HEADER + 300 * RECORD;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "close exponent bit",
            Box::new(move |b| b[mid + 32 + 7] ^= 0x10),
        ),
        ("gap count", Box::new(|b| b[40] ^= 1)),
        ("last time", Box::new(|b| b[33] ^= 0x20)),
        ("cut", Box::new(|b| b.truncate(b.len() - RECORD))),
        (
            "forged invalid bar",
            Box::new(move |b| {
                b[mid + 16..mid + 24].copy_from_slice(&1.0_f64.to_le_bytes());
                forge_checksum(b);
            }),
        ),
    ];
    for (what, damage) in damages {
        let mut b = good.clone();
        damage(&mut b);
        fs::write(&cache, &b).unwrap();
        let o = run_on(&out, &data);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{what}: {stderr}");
        assert!(
            stderr.contains("damaged bar cache") && stderr.contains(&*cache.to_string_lossy()),
            "{what}: no note: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        for (name, (got, want)) in OUTPUTS.iter().zip(read_outputs(&out).iter().zip(&cold)) {
            if *name != "run.json" {
                assert_eq!(got, want, "{what}: {name} differs from the cold run");
            }
        }
        assert_eq!(fs::read(&cache).unwrap(), good, "{what}");
    }

    // Stale files: another data set's cache and a killed build's temporary go, the
    // rest stays.
    let stale = out.join(".cache/ETHUSDT-15m-0123456789abcdef.bars");
    let temp = out.join(".cache").join(format!(
        ".{}.999999-0.tmp",
        cache.file_name().unwrap().to_string_lossy()
    ));
    let other = out.join(".cache/my-notes.txt");
    for p in [&stale, &temp, &other] {
        fs::write(p, "x").unwrap();
    }
    let o = run_on(&out, &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!stale.exists() && !temp.exists());
    assert!(other.exists() && cache.exists());
    assert_eq!(cache_files(&out), vec![cache]);
}

#[test]
fn cache_prune_waits_for_the_last_user_of_the_folder() {
    let dir = TempDir::new().unwrap();
    let cache = dir.path().join("cache");
    let first = CacheGuard::begin(&cache).unwrap();
    let second = CacheGuard::begin(&cache).unwrap();
    let stale = cache.join("BTCUSDT-15m-0123456789abcdef.bars");
    fs::write(&stale, "x").unwrap();
    // The first user is still there: the second's clean-up does nothing.
    assert_eq!(second.finish(&[]), Vec::<PathBuf>::new());
    assert!(stale.exists());
    // The last user cleans up.
    assert_eq!(first.finish(&[]), vec![stale.clone()]);
    assert!(!stale.exists());
}
