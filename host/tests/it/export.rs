//! `phasebound export freqtrade`: the freqtrade strategy-parameter file written from a
//! known `params.json` (every key, its type and value), byte-reproducible, a profile that
//! does not ship refused (exit 3) with params.json's reason, malformed params files
//! refused (exit 2) naming the file and the key, and the previous output untouched by
//! every failure. The params files are built here from the `phasebound.params/2` schema
//! (as `report::params_entry` writes it), so no pipeline run is needed.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::cli::phasebound;

const TIME: &str = "2024-03-31T00:00:00Z";

/// A params.json as a run writes it: swing ships (trailing on), scalping does not.
fn params() -> Value {
    json!({
        "schema": "phasebound.params/2",
        "generated_by": "phasebound 0.1.0",
        "timeframe": "15m",
        "symbols": ["BTCUSDT", "ETHUSDT"],
        "seed": 42,
        "scalping_params": {
            "enabled": false,
            "source": "none",
            "reason": "no validated edge: the procedure's verdict is WARNING",
            "signal_version": 2,
            "verdict": { "status": "WARNING", "out_of_sample_trades": 113, "folds": 4 },
            "validation_status": "WARNING"
        },
        "swing_params": {
            "enabled": true,
            "source": "new",
            "reason": "the procedure passed out of sample; tonight's parameters ship",
            "signal_version": 2,
            "verdict": { "status": "PASSED", "out_of_sample_trades": 161, "folds": 4 },
            "validation_status": "PASSED",
            "weight_group": "trend_first",
            "min_signal_score": 80.0,
            "min_indicator_consensus": 5,
            "atr_tp_multiplier": 6.0,
            "atr_stop_multiplier": 2.5,
            "max_holding_hours": 12.0,
            "max_holding_bars": 48,
            "trailing_stop_enabled": true,
            "trailing_stop_activation": 4.0,
            "trailing_stop_distance": 2.0,
            "weights": { "momentum": 0.1, "volume": 0.1 }
        }
    })
}

/// Scalping enabled too, with trailing off and a fractional hold.
fn both_ship() -> Value {
    let mut v = params();
    let s = &mut v["scalping_params"];
    s["enabled"] = true.into();
    s["source"] = "incumbent".into();
    s["reason"] = "the incumbent passed and the procedure did not".into();
    for (k, x) in [
        ("weight_group", json!("momentum_first")),
        ("min_signal_score", json!(62.5)),
        ("min_indicator_consensus", json!(3)),
        ("atr_tp_multiplier", json!(1.5)),
        ("atr_stop_multiplier", json!(0.75)),
        ("max_holding_hours", json!(0.75)),
        ("max_holding_bars", json!(3)),
        ("trailing_stop_enabled", json!(false)),
        ("trailing_stop_activation", Value::Null),
        ("trailing_stop_distance", Value::Null),
    ] {
        s[k] = x;
    }
    v
}

fn write_json(dir: &Path, name: &str, v: &Value) {
    fs::write(dir.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn export(dir: &Path, extra: &[&str]) -> crate::cli::Out {
    let mut args = vec![
        "export",
        "freqtrade",
        "--params",
        "params.json",
        "--out",
        "Strat.json",
        "--export-time",
        TIME,
    ];
    args.extend_from_slice(extra);
    phasebound(&args, dir)
}

fn read(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&fs::read(dir.join(name)).unwrap()).unwrap()
}

#[test]
fn export_writes_freqtrades_parameter_file_with_every_key() {
    let tmp = TempDir::new().unwrap();
    write_json(tmp.path(), "params.json", &params());
    let out = export(tmp.path(), &["--strategy-name", "PhaseboundStrategy"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Wrote Strat.json"), "{}", out.stdout);
    assert!(out.stdout.contains("swing profile"), "{}", out.stdout);
    assert!(out.stdout.contains("timeframe = \"15m\""), "{}", out.stdout);
    let expected = json!({
        "strategy_name": "PhaseboundStrategy",
        "params": {
            "buy": {
                "phasebound_shipped": true,
                "phasebound_profile": "swing",
                "signal_version": 2,
                "min_signal_score": 80.0,
                "min_indicator_consensus": 5,
                "weight_group": "trend_first"
            },
            "sell": {
                "atr_tp_multiplier": 6.0,
                "atr_stop_multiplier": 2.5,
                "max_holding_hours": 12.0,
                "trailing_stop_enabled": true,
                "trailing_stop_activation": 4.0,
                "trailing_stop_distance": 2.0
            },
            "protection": {},
            "roi": { "0": 100.0 },
            "stoploss": { "stoploss": -0.3 },
            "trailing": {
                "trailing_stop": false,
                "trailing_stop_positive": null,
                "trailing_stop_positive_offset": 0.0,
                "trailing_only_offset_is_reached": false
            }
        },
        "ft_stratparam_v": 1,
        "export_time": "2024-03-31 00:00:00+00:00"
    });
    let got = read(tmp.path(), "Strat.json");
    assert_eq!(got, expected);
    // Key order as freqtrade writes it (serde_json keeps insertion order here).
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["strategy_name", "params", "ft_stratparam_v", "export_time"]
    );
    let spaces: Vec<&String> = got["params"].as_object().unwrap().keys().collect();
    assert_eq!(
        spaces,
        ["buy", "sell", "protection", "roi", "stoploss", "trailing"]
    );
    // Types the strategy's parameters expect.
    assert!(got["params"]["buy"]["min_indicator_consensus"].is_u64());
    assert!(got["params"]["buy"]["min_signal_score"].is_f64());
    assert!(got["params"]["sell"]["max_holding_hours"].is_f64());
    assert!(got["params"]["buy"]["phasebound_shipped"].is_boolean());
    // Exact bytes: two-space indentation like freqtrade's, one trailing newline.
    let bytes = fs::read(tmp.path().join("Strat.json")).unwrap();
    let mut pretty = serde_json::to_vec_pretty(&expected).unwrap();
    pretty.push(b'\n');
    assert_eq!(bytes, pretty);
}

#[test]
fn export_profile_choice_trailing_off_and_options() {
    let tmp = TempDir::new().unwrap();
    write_json(tmp.path(), "params.json", &both_ship());
    // Both ship: the profile must be chosen.
    let out = export(tmp.path(), &[]);
    out.expect_code(2);
    assert!(out.stderr.contains("--profile"), "{}", out.stderr);
    assert!(!tmp.path().join("Strat.json").exists());
    let out = export(
        tmp.path(),
        &["--profile", "scalping", "--safety-stoploss", "0.12"],
    );
    out.expect_code(0);
    let got = read(tmp.path(), "Strat.json");
    let p = &got["params"];
    assert_eq!(
        got["strategy_name"], "PhaseboundStrategy",
        "the default name"
    );
    assert_eq!(p["buy"]["phasebound_profile"], "scalping");
    assert_eq!(p["buy"]["min_signal_score"], 62.5);
    assert_eq!(p["buy"]["min_indicator_consensus"], 3);
    assert_eq!(p["buy"]["weight_group"], "momentum_first");
    assert_eq!(p["sell"]["atr_tp_multiplier"], 1.5);
    assert_eq!(p["sell"]["atr_stop_multiplier"], 0.75);
    assert_eq!(p["sell"]["max_holding_hours"], 0.75);
    assert_eq!(p["sell"]["trailing_stop_enabled"], false);
    // Trailing off: no activation or distance (the strategy keeps its defaults, unused).
    assert!(p["sell"].get("trailing_stop_activation").is_none());
    assert!(p["sell"].get("trailing_stop_distance").is_none());
    assert_eq!(p["stoploss"]["stoploss"], -0.12);
    // An existing folder as --out: <folder>/<strategy name>.json.
    fs::create_dir(tmp.path().join("strategies")).unwrap();
    let out = phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            "params.json",
            "--out",
            "strategies",
            "--profile",
            "swing",
            "--strategy-name",
            "MyBot",
            "--export-time",
            "1711843200123",
        ],
        tmp.path(),
    );
    out.expect_code(0);
    let got = read(tmp.path(), "strategies/MyBot.json");
    assert_eq!(got["strategy_name"], "MyBot");
    assert_eq!(got["export_time"], "2024-03-31 00:00:00.123000+00:00");
    // Bad options: exit 2, nothing written.
    for bad in [
        &["--strategy-name", "My-Bot"][..],
        &["--safety-stoploss", "1.5"],
        &["--safety-stoploss", "0"],
        &["--export-time", "yesterday"],
        &["--profile", "daytrading"],
    ] {
        let mut args = vec!["--profile", "swing", "--out", "x.json"];
        args.extend_from_slice(bad);
        let mut full = vec!["export", "freqtrade", "--params", "params.json"];
        full.extend_from_slice(&args);
        let out = phasebound(&full, tmp.path());
        out.expect_code(2);
        assert!(!tmp.path().join("x.json").exists(), "{bad:?}");
    }
}

#[test]
fn export_is_byte_reproducible() {
    let tmp = TempDir::new().unwrap();
    write_json(tmp.path(), "params.json", &params());
    export(tmp.path(), &[]).expect_code(0);
    let first = fs::read(tmp.path().join("Strat.json")).unwrap();
    // Again, and from a copy of params.json elsewhere: the same bytes.
    export(tmp.path(), &[]).expect_code(0);
    assert_eq!(fs::read(tmp.path().join("Strat.json")).unwrap(), first);
    let other = TempDir::new().unwrap();
    fs::copy(
        tmp.path().join("params.json"),
        other.path().join("params.json"),
    )
    .unwrap();
    export(other.path(), &[]).expect_code(0);
    assert_eq!(fs::read(other.path().join("Strat.json")).unwrap(), first);
    // Without --export-time: params.json's generated_at when it has one …
    let mut v = params();
    v["generated_at"] = "2024-04-01T02:03:04Z".into();
    write_json(tmp.path(), "stamped.json", &v);
    let args = [
        "export",
        "freqtrade",
        "--params",
        "stamped.json",
        "--out",
        "s.json",
    ];
    phasebound(&args, tmp.path()).expect_code(0);
    let a = fs::read(tmp.path().join("s.json")).unwrap();
    assert_eq!(
        read(tmp.path(), "s.json")["export_time"],
        "2024-04-01 02:03:04+00:00"
    );
    phasebound(&args, tmp.path()).expect_code(0);
    assert_eq!(fs::read(tmp.path().join("s.json")).unwrap(), a);
    // … else the file's modification time: stable across exports of one file.
    let args = [
        "export",
        "freqtrade",
        "--params",
        "params.json",
        "--out",
        "m.json",
    ];
    phasebound(&args, tmp.path()).expect_code(0);
    let a = fs::read(tmp.path().join("m.json")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    phasebound(&args, tmp.path()).expect_code(0);
    assert_eq!(fs::read(tmp.path().join("m.json")).unwrap(), a);
    let t = read(tmp.path(), "m.json")["export_time"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(t.ends_with("+00:00") && t.len() == 25, "{t}");
}

#[test]
fn export_refuses_a_profile_that_does_not_ship() {
    let tmp = TempDir::new().unwrap();
    write_json(tmp.path(), "params.json", &params());
    fs::write(tmp.path().join("Strat.json"), b"previous export").unwrap();
    let out = export(tmp.path(), &["--profile", "scalping"]);
    out.expect_code(3);
    for needle in [
        "params.json",
        "nothing ships tonight",
        "scalping_params.enabled is false",
        "no validated edge: the procedure's verdict is WARNING",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_eq!(
        fs::read(tmp.path().join("Strat.json")).unwrap(),
        b"previous export"
    );
    // Neither ships (the embedded run's params.json): both reasons, exit 3.
    let mut v = params();
    v["swing_params"] = v["scalping_params"].clone();
    write_json(tmp.path(), "params.json", &v);
    let out = export(tmp.path(), &[]);
    out.expect_code(3);
    assert!(out.stderr.contains("scalping_params.enabled is false"));
    assert!(out.stderr.contains("swing_params.enabled is false"));
    assert_eq!(
        fs::read(tmp.path().join("Strat.json")).unwrap(),
        b"previous export"
    );
}

#[test]
fn export_refuses_malformed_params_naming_file_and_key() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("Strat.json"), b"previous export").unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = params();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", b"{\"schema\": ".to_vec(), "not JSON"),
        ("list", b"[1, 2]".to_vec(), "JSON object"),
        (
            "no schema",
            with(&|v| drop(v.as_object_mut().unwrap().remove("schema"))),
            "'schema' is missing",
        ),
        (
            "old schema",
            with(&|v| v["schema"] = "phasebound.params/1".into()),
            "'schema'",
        ),
        (
            "no profile",
            with(&|v| drop(v.as_object_mut().unwrap().remove("swing_params"))),
            "'swing_params' is missing",
        ),
        (
            "profile not object",
            with(&|v| v["swing_params"] = json!([1])),
            "'swing_params' must be an object",
        ),
        (
            "no enabled",
            with(&|v| drop(v["swing_params"].as_object_mut().unwrap().remove("enabled"))),
            "'swing_params.enabled' is missing",
        ),
        (
            "enabled string",
            with(&|v| v["swing_params"]["enabled"] = "yes".into()),
            "'swing_params.enabled' must be true or false",
        ),
        (
            "no reason",
            with(&|v| {
                drop(
                    v["scalping_params"]
                        .as_object_mut()
                        .unwrap()
                        .remove("reason"),
                )
            }),
            "'scalping_params.reason' is missing",
        ),
        (
            "no tp",
            with(&|v| {
                drop(
                    v["swing_params"]
                        .as_object_mut()
                        .unwrap()
                        .remove("atr_tp_multiplier"),
                )
            }),
            "'swing_params.atr_tp_multiplier' is missing",
        ),
        (
            "tp string",
            with(&|v| v["swing_params"]["atr_tp_multiplier"] = "6".into()),
            "'swing_params.atr_tp_multiplier' must be a number above 0",
        ),
        (
            "sl negative",
            with(&|v| v["swing_params"]["atr_stop_multiplier"] = json!(-1.0)),
            "'swing_params.atr_stop_multiplier'",
        ),
        (
            "hold zero",
            with(&|v| v["swing_params"]["max_holding_hours"] = json!(0)),
            "'swing_params.max_holding_hours'",
        ),
        (
            "score 101",
            with(&|v| v["swing_params"]["min_signal_score"] = json!(101)),
            "'swing_params.min_signal_score'",
        ),
        (
            "consensus 2.5",
            with(&|v| v["swing_params"]["min_indicator_consensus"] = json!(2.5)),
            "'swing_params.min_indicator_consensus'",
        ),
        (
            "group number",
            with(&|v| v["swing_params"]["weight_group"] = json!(3)),
            "'swing_params.weight_group' must be a string",
        ),
        (
            "trailing null",
            with(&|v| v["swing_params"]["trailing_stop_distance"] = Value::Null),
            "'swing_params.trailing_stop_distance'",
        ),
        (
            "signal version",
            with(&|v| v["swing_params"]["signal_version"] = json!("2")),
            "'swing_params.signal_version'",
        ),
        (
            "generated_at",
            with(&|v| v["generated_at"] = json!("soon")),
            "'generated_at'",
        ),
    ];
    for (what, bytes, needle) in cases {
        fs::write(tmp.path().join("bad.json"), &bytes).unwrap();
        // generated_at is read only without --export-time.
        let args = [
            "export",
            "freqtrade",
            "--params",
            "bad.json",
            "--out",
            "Strat.json",
            "--profile",
            "swing",
        ];
        let out = phasebound(&args, tmp.path());
        out.expect_code(2);
        assert!(out.stderr.contains("bad.json: "), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "{what}: {needle}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{what}");
        assert_eq!(
            fs::read(tmp.path().join("Strat.json")).unwrap(),
            b"previous export",
            "{what}"
        );
    }
    // Not a file, a missing file, a file too large.
    let dir_out = phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            ".",
            "--out",
            "Strat.json",
        ],
        tmp.path(),
    );
    dir_out.expect_code(2);
    assert!(
        dir_out.stderr.contains("not a regular file"),
        "{}",
        dir_out.stderr
    );
    let missing = phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            "nope.json",
            "--out",
            "Strat.json",
        ],
        tmp.path(),
    );
    missing.expect_code(4);
    assert!(missing.stderr.contains("nope.json"), "{}", missing.stderr);
    fs::write(tmp.path().join("big.json"), vec![b' '; (1 << 20) + 1]).unwrap();
    let big = phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            "big.json",
            "--out",
            "Strat.json",
        ],
        tmp.path(),
    );
    big.expect_code(2);
    assert!(big.stderr.contains("too large"), "{}", big.stderr);
    assert_eq!(
        fs::read(tmp.path().join("Strat.json")).unwrap(),
        b"previous export"
    );
}

#[test]
fn export_writes_atomically() {
    let tmp = TempDir::new().unwrap();
    write_json(tmp.path(), "params.json", &params());
    // A failed write (the target's folder is missing) leaves no file and no temporary.
    let out = phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            "params.json",
            "--out",
            "gone/Strat.json",
        ],
        tmp.path(),
    );
    out.expect_code(4);
    assert!(out.stderr.contains("gone/Strat.json"), "{}", out.stderr);
    // A successful export replaces the previous file whole and leaves no temporary.
    fs::write(tmp.path().join("Strat.json"), b"previous export").unwrap();
    export(tmp.path(), &[]).expect_code(0);
    assert!(read(tmp.path(), "Strat.json").is_object());
    let names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".phasebound-tmp")),
        "{names:?}"
    );
    // The target is replaced by a rename, not rewritten in place: a hard link to the
    // old file keeps the old bytes (a reader holding it open never sees a partial file).
    fs::hard_link(tmp.path().join("Strat.json"), tmp.path().join("old.json")).unwrap();
    let before = fs::read(tmp.path().join("old.json")).unwrap();
    phasebound(
        &[
            "export",
            "freqtrade",
            "--params",
            "params.json",
            "--out",
            "Strat.json",
            "--export-time",
            "2024-04-01T00:00:00Z",
        ],
        tmp.path(),
    )
    .expect_code(0);
    assert_eq!(fs::read(tmp.path().join("old.json")).unwrap(), before);
    assert_ne!(fs::read(tmp.path().join("Strat.json")).unwrap(), before);
}
