//! Zip archives as Binance publishes them, read in place: the same results as the
//! unzipped files (the embedded fixtures always; the real `../shared/data/raw-monthly/`
//! files, zipped at test time, when present), `.CHECKSUM` files verified. The hostile
//! archives are in `bad_input.rs`; this module also holds the zip writer they use, which
//! writes every header field by hand so that tests can make them lie.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::DeflateEncoder;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::cli::{Files, phasebound};
use crate::pipeline::shared_data;

/// One member of a hand-written zip archive; every field is written as given.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Name inside the archive.
    pub name: String,
    /// The member's data as stored (deflated unless `method` is 0).
    pub data: Vec<u8>,
    /// 8 deflate, 0 stored.
    pub method: u16,
    /// General-purpose flags (bit 0: encrypted).
    pub flags: u16,
    /// Declared CRC-32 of the uncompressed bytes.
    pub crc: u32,
    /// Declared uncompressed size.
    pub size: u32,
}

impl Entry {
    /// An honest deflated member holding `bytes`.
    pub fn deflated(name: &str, bytes: &[u8]) -> Self {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        Self {
            name: name.to_owned(),
            data: enc.finish().unwrap(),
            method: 8,
            flags: 0,
            crc: crc.sum(),
            size: u32::try_from(bytes.len()).unwrap(),
        }
    }
}

/// A zip archive of `entries` (local headers, data, central directory, end record).
pub(crate) fn zip_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let u16le = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let u32le = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for e in entries {
        let offset = u32::try_from(out.len()).unwrap();
        let compressed = u32::try_from(e.data.len()).unwrap();
        let name_len = u16::try_from(e.name.len()).unwrap();
        // Local file header; with flag 3 (a streaming writer) its CRC and sizes are
        // zero and a data descriptor after the data holds them.
        let descriptor = e.flags & 8 != 0;
        u32le(&mut out, 0x0403_4b50);
        for x in [20, e.flags, e.method, 0, 0x5821] {
            u16le(&mut out, x);
        }
        for x in [e.crc, compressed, e.size] {
            u32le(&mut out, if descriptor { 0 } else { x });
        }
        u16le(&mut out, name_len);
        u16le(&mut out, 0);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);
        if descriptor {
            for x in [0x0807_4b50, e.crc, compressed, e.size] {
                u32le(&mut out, x);
            }
        }
        // Central directory header.
        u32le(&mut central, 0x0201_4b50);
        for x in [0x031e, 20, e.flags, e.method, 0, 0x5821] {
            u16le(&mut central, x);
        }
        for x in [e.crc, compressed, e.size] {
            u32le(&mut central, x);
        }
        for x in [name_len, 0, 0, 0, 0] {
            u16le(&mut central, x);
        }
        u32le(&mut central, 0o100_644 << 16);
        u32le(&mut central, offset);
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_size = u32::try_from(central.len()).unwrap();
    out.extend_from_slice(&central);
    let n = u16::try_from(entries.len()).unwrap();
    u32le(&mut out, 0x0605_4b50);
    for x in [0, 0, n, n] {
        u16le(&mut out, x);
    }
    u32le(&mut out, cd_size);
    u32le(&mut out, cd_offset);
    u16le(&mut out, 0);
    out
}

/// A raw deflate stream that inflates to `mib` MiB of `byte`, built in O(1) work per
/// MiB: a sync-flushed block that repeats the (all-`byte`) window is emitted again and
/// again. A few KiB on disk, `mib` MiB when inflated.
pub(crate) fn bomb_stream(byte: u8, mib: usize) -> Vec<u8> {
    let block = vec![byte; 1 << 20];
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&block).unwrap();
    enc.flush().unwrap();
    let first = enc.get_ref().len();
    enc.write_all(&block).unwrap();
    enc.flush().unwrap();
    let second = enc.get_ref().len();
    let whole = enc.finish().unwrap();
    let mut out = whole[..first].to_vec();
    for _ in 1..mib {
        out.extend_from_slice(&whole[first..second]);
    }
    out.extend_from_slice(&whole[second..]);
    out
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `dir/<zip_name>` holding `member` (named `member_name`) and, when
/// `checksum`, the `.CHECKSUM` file Binance publishes beside it.
pub(crate) fn write_zip(
    dir: &Path,
    zip_name: &str,
    member_name: &str,
    member: &[u8],
    checksum: bool,
) -> PathBuf {
    let bytes = zip_bytes(&[Entry::deflated(member_name, member)]);
    let path = dir.join(zip_name);
    fs::write(&path, &bytes).unwrap();
    if checksum {
        fs::write(
            dir.join(format!("{zip_name}.CHECKSUM")),
            format!("{}  {zip_name}\n", sha256_hex(&bytes)),
        )
        .unwrap();
    }
    path
}

/// report.json without the input files (names and hashes), which necessarily differ
/// between a zip and the file inside it.
fn without_input_files(mut report: Value) -> Value {
    for input in report["run"]["inputs"].as_array_mut().unwrap() {
        input["files"] = Value::Null;
    }
    report
}

/// Runs `phasebound run` on `data` into `cwd/out`; returns the outputs.
fn run(cwd: &Path, out: &str, data: &[PathBuf]) -> Files {
    let mut args: Vec<std::ffi::OsString> = vec![
        "run".into(),
        "--quiet".into(),
        "--no-nice".into(),
        "--threads".into(),
        "1".into(),
        "--out".into(),
        out.into(),
        "--data".into(),
    ];
    args.extend(data.iter().map(|p| p.as_os_str().to_owned()));
    phasebound(&args, cwd).expect_code(0);
    Files::read(&cwd.join(out))
}

/// The zip run's outputs equal the plain run's, but for the input files, which are
/// the zips (names and SHA-256 of the zip bytes).
fn assert_same_results(plain: &Files, zipped: &Files, zips: &[PathBuf], what: &str) {
    assert!(plain.params == zipped.params, "{what}: params.json differs");
    let (a, b) = (plain.report(), zipped.report());
    let files: Vec<Value> = b["run"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["files"].as_array().unwrap().clone())
        .collect();
    assert_eq!(files.len(), zips.len(), "{what}: {files:?}");
    for (f, zip) in files.iter().zip(zips) {
        let name = zip.file_name().unwrap().to_string_lossy();
        assert_eq!(f["file"], name.as_ref(), "{what}");
        assert_eq!(
            f["sha256"],
            sha256_hex(&fs::read(zip).unwrap()).as_str(),
            "{what}: the hash is the zip's"
        );
    }
    assert_eq!(
        serde_json::to_string(&without_input_files(a)).unwrap(),
        serde_json::to_string(&without_input_files(b)).unwrap(),
        "{what}: report.json differs beyond the input files"
    );
}

#[test]
fn zip_fixtures_give_the_results_of_the_csv_files() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    fs::create_dir_all(t.join("csv")).unwrap();
    phasebound(&["fixtures".as_ref(), t.join("csv").as_os_str()], t).expect_code(0);
    let zip_dir = t.join("zip");
    fs::create_dir_all(&zip_dir).unwrap();
    let mut zips = Vec::new();
    let mut names: Vec<String> = fs::read_dir(t.join("csv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    for (i, name) in names.iter().enumerate() {
        let bytes = fs::read(t.join("csv").join(name)).unwrap();
        let zip_name = name.replace(".csv", ".zip");
        zips.push(write_zip(&zip_dir, &zip_name, name, &bytes, true));
        if i == 0 {
            // One archive as a streaming writer makes it: sizes in a data descriptor.
            let mut entry = Entry::deflated(name, &bytes);
            entry.flags |= 8;
            fs::write(&zips[0], zip_bytes(&[entry])).unwrap();
            fs::remove_file(zip_dir.join(format!("{zip_name}.CHECKSUM"))).unwrap();
        }
    }
    let plain = run(t, "out-csv", &[t.join("csv")]);
    // A folder of zips (with .CHECKSUM files beside them), and the zips named one by one.
    let folder = run(t, "out-zip-folder", std::slice::from_ref(&zip_dir));
    assert_same_results(&plain, &folder, &zips, "zip folder");
    let args = run(t, "out-zip-files", &zips);
    assert_same_results(&plain, &args, &zips, "zip files");
    // The cache keys are the zips' hashes: a second run reuses the caches, same outputs.
    let again = run(t, "out-zip-folder", &[zip_dir]);
    assert!(again.report == folder.report && again.params == folder.params);
}

#[test]
fn zip_binance_monthly_files_give_the_results_of_the_unzipped_files() {
    let test = "zip_binance_monthly_files_give_the_results_of_the_unzipped_files";
    let Some(data) = shared_data(test) else {
        return;
    };
    let raw = data.join("raw-monthly");
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    // Each group is one series (spot and futures months of BTCUSDT would overlap).
    let groups: [(&str, &[&str]); 4] = [
        (
            "spot",
            &[
                "binance-spot-BTCUSDT-15m-2024-03.csv",
                "binance-spot-BTCUSDT-15m-2024-04.csv",
            ],
        ),
        (
            "um",
            &[
                "binance-um-BTCUSDT-15m-2024-03.csv",
                "binance-um-BTCUSDT-15m-2024-04.csv",
            ],
        ),
        ("ccxt", &["ccxt-BTCUSDT-15m.csv"]),
        ("freqtrade", &["freqtrade-BTC_USDT-15m.json"]),
    ];
    for (group, files) in groups {
        let zip_dir = t.join(format!("{group}-zip"));
        fs::create_dir_all(&zip_dir).unwrap();
        let plain: Vec<PathBuf> = files.iter().map(|f| raw.join(f)).collect();
        let mut zips = Vec::new();
        for f in files {
            // Binance names the member without the market prefix the zip name carries here.
            let member = f
                .trim_start_matches("binance-spot-")
                .trim_start_matches("binance-um-");
            let stem = f.rsplit_once('.').unwrap().0;
            let bytes = fs::read(raw.join(f)).unwrap();
            zips.push(write_zip(
                &zip_dir,
                &format!("{stem}.zip"),
                member,
                &bytes,
                true,
            ));
        }
        let a = run(t, &format!("out-{group}-plain"), &plain);
        let b = run(t, &format!("out-{group}-zip"), &[zip_dir]);
        assert_same_results(&a, &b, &zips, group);
        let c = run(t, &format!("out-{group}-zip-files"), &zips);
        assert_same_results(&a, &c, &zips, group);
    }
}

#[test]
fn zip_checksum_mismatch_stops_the_run_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    fs::create_dir_all(t.join("csv")).unwrap();
    phasebound(&["fixtures".as_ref(), t.join("csv").as_os_str()], t).expect_code(0);
    let name = fs::read_dir(t.join("csv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".csv"))
        .unwrap();
    let bytes = fs::read(t.join("csv").join(&name)).unwrap();
    let zip_name = name.replace(".csv", ".zip");
    let zip = write_zip(t, &zip_name, &name, &bytes, true);
    let sum = t.join(format!("{zip_name}.CHECKSUM"));
    let good = fs::read_to_string(&sum).unwrap();
    // One changed digit: exit 3, the zip and the checksum file named.
    let flipped = if good.starts_with('0') { "1" } else { "0" };
    fs::write(&sum, format!("{flipped}{}", &good[1..])).unwrap();
    let out = phasebound(
        &[
            "run".as_ref(),
            "--quiet".as_ref(),
            "--data".as_ref(),
            zip.as_os_str(),
        ],
        t,
    );
    out.expect_code(3);
    assert!(out.stderr.contains(&zip_name), "{}", out.stderr);
    assert!(out.stderr.contains(".CHECKSUM"), "{}", out.stderr);
    assert!(out.stderr.contains("does not match"), "{}", out.stderr);
    assert!(!t.join("phasebound-out/report.json").exists());
    // The same for a checksum file beside a plain CSV.
    let csv = t.join("csv").join(&name);
    fs::write(
        t.join("csv").join(format!("{name}.CHECKSUM")),
        format!("{}  {name}\n", sha256_hex(b"not these bytes")),
    )
    .unwrap();
    let out = phasebound(
        &[
            "run".as_ref(),
            "--quiet".as_ref(),
            "--data".as_ref(),
            csv.as_os_str(),
        ],
        t,
    );
    out.expect_code(3);
    assert!(
        out.stderr
            .contains(&format!("{name}: SHA-256 {}", sha256_hex(&bytes))),
        "{}",
        out.stderr
    );
}
