//! Every input layout end to end through the binary: the raw-format samples of
//! `../shared/data/raw-formats/` on their own, and the six real 15m symbols rewritten in
//! each layout (Binance spot monthly files without header in µs, Binance USD-M futures
//! monthly files with header in ms, freqtrade json, plain CSV), which must give exactly
//! the results of the normalized files. Skipped with a SKIP line without `../shared/data`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use phasebound_core::indicators::Indicators;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::cli::{Files, assert_complete_summary, phasebound};
use crate::pipeline::{SIX, assert_trades_in_both_profiles, real_run, shared_data};

const RAW_SAMPLES: [&str; 4] = [
    "binance-spot-BTCUSDT-15m-2024-03.csv",
    "binance-um-BTCUSDT-15m-2024-03.csv",
    "freqtrade-BTC_USDT-15m.json",
    "ccxt-BTCUSDT-15m.csv",
];

const PHASES: [&str; 5] = ["phase1", "phase2", "phase3", "phase4", "final"];

const M15_MS: i64 = 900_000;

#[test]
fn each_raw_format_sample_runs_every_phase_on_its_own() {
    let Some(data) = shared_data("each_raw_format_sample_runs_every_phase_on_its_own") else {
        return;
    };
    let tmp = TempDir::new().unwrap();
    // The longest indicator period: signals start once it is seeded.
    let warmup = u64::from(Indicators::new(15).unwrap().warmup_bars());
    let mut first: Option<(String, Files)> = None;
    for name in RAW_SAMPLES {
        let file = data.join("raw-formats").join(name);
        let out = phasebound(
            &[
                "run".as_ref(),
                "--data".as_ref(),
                file.as_os_str(),
                "--out".as_ref(),
                name.as_ref(),
            ],
            tmp.path(),
        );
        out.expect_code(0);
        assert_complete_summary(&out.stdout);
        assert!(
            out.stdout.starts_with("Data: 1 symbol(s) of 15m bars")
                && out.stdout.contains(&format!(
                    "\nNote: BTCUSDT has 288 bars, fewer than the {warmup}-bar indicator warm-up at 15m"
                )),
            "{}",
            out.stdout
        );
        let files = Files::read(&tmp.path().join(name));
        let report = files.report();
        let input = &report["run"]["inputs"][0];
        assert_eq!(input["symbol"], "BTCUSDT", "{name}");
        assert_eq!(input["timeframe"], "15m", "{name}");
        assert_eq!(input["bars"], 288, "{name}");
        assert_eq!(input["first_open_time"], "2024-03-01T00:00:00Z", "{name}");
        assert_eq!(input["files"][0]["file"], name);
        let sha: String = Sha256::digest(fs::read(&file).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(input["files"][0]["sha256"].as_str(), Some(sha.as_str()));
        for p in ["scalping", "swing"] {
            let verdict = report["phase4"][p]["procedure"]["verdict"]
                .as_str()
                .unwrap();
            assert!(["PASSED", "WARNING", "FAILED"].contains(&verdict), "{p}");
            // Three days are 288 bars, fewer than the indicators' warm-up at 15m
            // (the 4 h slow EMA): no bar can signal, so nothing trades, Phase 4 has no
            // evidence and nothing ships.
            assert_eq!(report["phase1"][p]["warmup_bars"], warmup, "{p}");
            assert_eq!(
                report["phase1"][p]["per_symbol"][0]["bars_after_warmup"], 0,
                "{p}"
            );
            if input["bars"].as_u64().unwrap() < warmup {
                assert_eq!(report["phase1"][p]["candidates"], 0, "{name} {p}");
                assert_eq!(report["final"][p]["all_data"]["trades"], 0, "{name} {p}");
                assert_eq!(verdict, "FAILED", "{name} {p}");
                assert_eq!(files.params()[format!("{p}_params")]["enabled"], false);
            }
        }
        // The same candles in every layout: the same results, byte for byte.
        match &first {
            None => first = Some((name.to_string(), files)),
            Some((first_name, f)) => {
                assert!(f.params == files.params, "params: {name} vs {first_name}");
                let r0 = f.report();
                for phase in PHASES {
                    assert_eq!(report[phase], r0[phase], "{phase}: {name} vs {first_name}");
                }
            }
        }
    }
}

/// One normalized file's rows: `(open time ms, [open, high, low, close, volume])` as text.
fn rows(text: &str) -> Vec<(i64, [&str; 5])> {
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 6, "{l}");
            (f[0].parse().unwrap(), [f[1], f[2], f[3], f[4], f[5]])
        })
        .collect()
}

/// A Binance kline row; `scale` turns ms into the file's time unit.
fn kline(ms: i64, v: &[&str; 5], scale: i64) -> String {
    let close = (ms + M15_MS) * scale - 1;
    format!(
        "{},{},{},{},{},{},{close},0.0,1,0.0,0.0,0\n",
        ms * scale,
        v[0],
        v[1],
        v[2],
        v[3],
        v[4]
    )
}

/// Writes `sym`'s rows into `dir` in `layout`.
fn write_layout(dir: &Path, layout: &str, sym: &str, rows: &[(i64, [&str; 5])]) {
    let month = |ms: i64| phasebound::data::format_utc(ms)[..7].to_string();
    match layout {
        "spot" | "um" => {
            // Monthly files, as Binance publishes them.
            let mut files: Vec<(String, String)> = Vec::new();
            for (ms, v) in rows {
                let m = month(*ms);
                if files.last().is_none_or(|(fm, _)| *fm != m) {
                    let header = if layout == "um" {
                        "open_time,open,high,low,close,volume,close_time,quote_volume,count,\
                         taker_buy_volume,taker_buy_quote_volume,ignore\n"
                    } else {
                        ""
                    };
                    files.push((m, header.to_string()));
                }
                let scale = if layout == "spot" { 1000 } else { 1 };
                files.last_mut().unwrap().1.push_str(&kline(*ms, v, scale));
            }
            for (m, text) in files {
                let name = if layout == "spot" {
                    format!("{sym}-15m-{m}.csv")
                } else {
                    format!("binance-um-{sym}-15m-{m}.csv")
                };
                fs::write(dir.join(name), text).unwrap();
            }
        }
        "freqtrade" => {
            let mut s = String::from("[");
            for (i, (ms, v)) in rows.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(
                    s,
                    "{sep}[{ms},{},{},{},{},{}]",
                    v[0], v[1], v[2], v[3], v[4]
                );
            }
            s.push(']');
            let base = sym.strip_suffix("USDT").unwrap();
            fs::write(dir.join(format!("{base}_USDT-15m.json")), s).unwrap();
        }
        "ccxt" => {
            let mut s = String::from("timestamp,open,high,low,close,volume\n");
            for (ms, v) in rows {
                let _ = writeln!(s, "{ms},{}", v.join(","));
            }
            fs::write(dir.join(format!("ccxt-{sym}-15m.csv")), s).unwrap();
        }
        other => panic!("{other}"),
    }
}

#[test]
fn every_layout_with_real_history_trades_in_both_profiles() {
    let test = "every_layout_with_real_history_trades_in_both_profiles";
    let Some(run) = real_run(test) else { return };
    let reference = run.one.report();
    let tmp = TempDir::new().unwrap();
    let texts: Vec<String> = SIX
        .iter()
        .map(|s| fs::read_to_string(run.binance.join(format!("{s}-15m.csv"))).unwrap())
        .collect();
    for layout in ["spot", "um", "freqtrade", "ccxt"] {
        let dir = tmp.path().join(layout);
        fs::create_dir_all(&dir).unwrap();
        for (sym, text) in SIX.iter().zip(&texts) {
            write_layout(&dir, layout, sym, &rows(text));
        }
        let out_dir = format!("out-{layout}");
        let out = phasebound(
            &[
                "run".as_ref(),
                "--quiet".as_ref(),
                "--data".as_ref(),
                dir.as_os_str(),
                "--out".as_ref(),
                out_dir.as_ref(),
            ],
            tmp.path(),
        );
        out.expect_code(0);
        let files = Files::read(&tmp.path().join(&out_dir));
        let report = files.report();
        assert_trades_in_both_profiles(&report);
        // The very bars of the normalized files: identical results and params.json.
        for phase in PHASES {
            assert_eq!(report[phase], reference[phase], "{layout}: {phase}");
        }
        assert!(
            files.params == run.one.params,
            "{layout}: params.json differs"
        );
        let inputs = report["run"]["inputs"].as_array().unwrap();
        for (i, r) in inputs
            .iter()
            .zip(reference["run"]["inputs"].as_array().unwrap())
        {
            for k in [
                "symbol",
                "bars",
                "first_open_time",
                "last_open_time",
                "gaps",
            ] {
                assert_eq!(i[k], r[k], "{layout}: {k}");
            }
            let n = i["files"].as_array().map_or(0, Vec::len);
            // January to September 2024: nine monthly files, read as one series.
            let expected = if matches!(layout, "spot" | "um") {
                9
            } else {
                1
            };
            assert_eq!(n, expected, "{layout}: {}", i["symbol"]);
        }
    }
}
