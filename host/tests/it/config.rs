//! The configuration file as a user meets it: `phasebound config` prints a file that
//! parses back to the defaults and, fed to `--config`, reproduces the default run byte for
//! byte; any subset of keys may be set; unknown keys and invalid values stop the run with
//! exit code 2 and a message that names the key, before any output is written.

use std::fs;
use std::path::Path;

use phasebound::config::Config;
use phasebound_core::signal::Profile;
use tempfile::TempDir;

use crate::cli::{Files, assert_no_outputs, baseline, phasebound};

/// The defaults file with `old` (which must occur exactly once) replaced by `new`.
fn defaults_with(old: &str, new: &str) -> String {
    let text = Config::defaults_toml();
    assert_eq!(text.matches(old).count(), 1, "'{old}' is not unique");
    text.replace(old, new)
}

/// Runs with `toml` as the config file and checks: exit 2, every `needles` in the message,
/// no output written.
fn rejected(toml: &str, needles: &[&str]) {
    rejected_with(2, toml, needles);
}

fn rejected_with(code: i32, toml: &str, needles: &[&str]) {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("c.toml"), toml).unwrap();
    let out = phasebound(&["run", "--config", "c.toml", "--out", "o"], tmp.path());
    assert_eq!(out.code, Some(code), "{needles:?}: {}", out.stderr);
    for n in needles {
        assert!(out.stderr.contains(n), "'{n}' not in: {}", out.stderr);
    }
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_no_outputs(&tmp.path().join("o"));
}

fn parse(text: &str) -> Config {
    Config::from_toml(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn config_prints_a_valid_file_of_the_defaults() {
    let tmp = TempDir::new().unwrap();
    let out = phasebound(&["config"], tmp.path());
    out.expect_code(0);
    let table: toml::Table = toml::from_str(&out.stdout).expect("valid TOML");
    for key in [
        "seed",
        "in_sample_fraction",
        "sample",
        "trading",
        "search",
        "validation",
        "scalping",
        "swing",
    ] {
        assert!(table.contains_key(key), "no '{key}'");
    }
    assert_eq!(parse(&out.stdout), Config::default());
    // Both profiles' six weight groups, by name.
    for (p, n) in [("scalping", 6), ("swing", 6)] {
        assert_eq!(table[p]["groups"].as_array().map(Vec::len), Some(n), "{p}");
    }
    // Holding times are in hours in the interface.
    assert_eq!(
        table["swing"]["hold_hours"].as_array().unwrap().last(),
        Some(&toml::Value::Float(72.0))
    );
}

#[test]
fn config_round_trip_reproduces_the_default_run() {
    let tmp = TempDir::new().unwrap();
    let printed = phasebound(&["config"], tmp.path());
    printed.expect_code(0);
    fs::write(tmp.path().join("defaults.toml"), &printed.stdout).unwrap();
    let out = phasebound(
        &["run", "--quiet", "--config", "defaults.toml", "--out", "rt"],
        tmp.path(),
    );
    out.expect_code(0);
    let files = Files::read(&tmp.path().join("rt"));
    let base = baseline();
    assert!(files.report == base.files.report, "report.json differs");
    assert!(files.params == base.files.params, "params.json differs");
    // The report records the configuration it ran with.
    let cfg = &files.report()["run"]["config"];
    assert_eq!(cfg, &serde_json::to_value(Config::default()).unwrap());
}

#[test]
fn a_changed_value_changes_the_run() {
    let tmp = TempDir::new().unwrap();
    let text = defaults_with("alpha = 0.05", "alpha = 0.000001");
    fs::write(tmp.path().join("c.toml"), text).unwrap();
    let out = phasebound(
        &["run", "--quiet", "--config", "c.toml", "--out", "o"],
        tmp.path(),
    );
    out.expect_code(0);
    let report = Files::read(&tmp.path().join("o")).report();
    let base = baseline().files.report();
    assert_eq!(report["run"]["config"]["validation"]["alpha"], 0.000001);
    assert_eq!(report["phase4"]["scalping"]["rules"]["alpha"], 0.000001);
    // Nothing is that significant here: no PASSED; the evidence itself is unchanged.
    for p in ["scalping", "swing"] {
        assert_ne!(report["phase4"][p]["procedure"]["verdict"], "PASSED", "{p}");
        assert_eq!(
            report["phase4"][p]["folds"], base["phase4"][p]["folds"],
            "{p}"
        );
        for phase in ["phase1", "phase2", "phase3"] {
            assert_eq!(report[phase][p], base[phase][p], "{phase}.{p}");
        }
    }
}

#[test]
fn a_profile_section_may_set_only_some_keys() {
    let cfg = parse(
        "seed = 7\n\
         [swing]\nhold_hours = [12.0, 24.0]\n\
         [scalping.baseline]\ntp_atr = 3.0\n\
         [scalping.fallback]\ngroup = \"default\"\nmin_score = 80.0\nmin_consensus = 5\n\
         tp_atr = 1.5\nsl_atr = 1.0\nhold_hours = 2.0\n",
    );
    let mut expected = Config {
        seed: 7,
        ..Config::default()
    };
    expected.swing.hold_hours = vec![12.0, 24.0];
    expected.scalping.baseline.tp_atr = 3.0;
    expected.scalping.fallback = Some(phasebound::config::ParamsToml {
        group: "default".into(),
        min_score: 80.0,
        min_consensus: 5,
        tp_atr: 1.5,
        sl_atr: 1.0,
        hold_hours: 2.0,
        trailing: None,
    });
    assert_eq!(cfg, expected);
    // Arrays of tables replace the defaults as a whole.
    let one_group = parse(
        "[[swing.groups]]\nname = \"default\"\n\
         [swing.groups.weights]\ntrend = 1.0\n",
    );
    assert_eq!(one_group.swing.groups.len(), 1);
    assert_eq!(one_group.scalping, Config::default().scalping);
    let pc = one_group.profile(Profile::Swing, 15).unwrap();
    assert_eq!(pc.spec.groups.len(), 1);
}

#[test]
fn hours_become_bars_by_timeframe() {
    let cfg = Config::default();
    for (tf, bars) in [(15, [24, 48, 96, 192, 288]), (60, [6, 12, 24, 48, 72])] {
        let pc = cfg.profile(Profile::Swing, tf).unwrap();
        assert_eq!(pc.space.hold.as_slice(), bars, "{tf}m");
        assert_eq!(pc.baseline.hold, bars[2], "24 h at {tf}m");
        assert_eq!(u32::from(pc.spec.opportunity_horizon), 72 * 60 / tf);
    }
    // At 1 m the 72 h swing horizon is 4,320 bars: within the 8,192-bar window (it was
    // over the old 1,024 and failed every 1m run).
    let pc = cfg.profile(Profile::Swing, 1).unwrap();
    assert_eq!(pc.spec.opportunity_horizon, 4320);
    assert_eq!(pc.longest_window(), 4320);
    // A horizon past the window is still refused, named by key: 200 h at 1m.
    let toml = "[swing]\nopportunity_horizon_hours = 200.0\n";
    let big = Config::from_toml(toml, Path::new("c.toml")).unwrap();
    let e = big.profile(Profile::Swing, 1).unwrap_err();
    assert!(e.key.ends_with("swing.opportunity_horizon_hours"), "{e}");
}

#[test]
fn unknown_keys_exit_2_naming_the_key() {
    rejected("bogus_key = 1\n", &["bogus_key", "c.toml:1"]);
    rejected(
        &defaults_with("max_rounds = 20\n", "max_rounds = 20\nmax_round = 3\n"),
        &["max_round`", "c.toml"],
    );
    rejected(
        &defaults_with(
            "[swing.baseline]\ngroup = \"default\"\n",
            "[swing.baseline]\ngroup = \"default\"\ncolour = \"red\"\n",
        ),
        &["colour"],
    );
    // Also in a section that sets only some keys.
    rejected("[scalping]\ntp_atrs = [1.0]\n", &["tp_atrs"]);
}

#[test]
fn syntax_and_type_errors_exit_2_with_the_line() {
    rejected("seed = 1\n[search\n", &["c.toml:2"]);
    rejected("seed = 1\nseed = 2\n", &["c.toml:2", "duplicate"]);
    rejected("seed = \"abc\"\n", &["c.toml:1", "u64"]);
}

#[test]
fn out_of_range_values_exit_2_naming_the_key() {
    rejected("in_sample_fraction = 1.5\n", &["in_sample_fraction"]);
    rejected("in_sample_fraction = 0.0\n", &["in_sample_fraction"]);
    rejected(
        "[trading]\nfee_pct_per_side = -0.1\n",
        &["trading.fee_pct_per_side"],
    );
    rejected(
        "[trading]\nentry = \"later\"\n",
        &["trading.entry", "later"],
    );
    rejected("[search]\nstarts = 5\n", &["search.starts"]);
    rejected(
        "[search]\nobjective = \"luck\"\n",
        &["search.objective", "luck"],
    );
    rejected(
        "[validation]\nwalk_forward_folds = 0\n",
        &["validation.walk_forward_folds"],
    );
    // A weight group that does not exist, and a component that does not exist.
    rejected(
        &defaults_with(
            "[swing.baseline]\ngroup = \"default\"",
            "[swing.baseline]\ngroup = \"no_such_group\"",
        ),
        &["swing.baseline.group", "no_such_group"],
    );
    rejected(
        &defaults_with(
            "[scalping.groups.weights]\nacceleration = 15.0\n",
            "[scalping.groups.weights]\nacceleration = 15.0\nsentiment = 5.0\n",
        ),
        &["scalping.groups.default", "sentiment"],
    );
    rejected(
        &defaults_with(
            "[swing]\nopportunity_move_pct = 4.0\nopportunity_horizon_hours = 72.0\n\
             min_scores = [60.0, 70.0, 80.0, 90.0]",
            "[swing]\nopportunity_move_pct = 4.0\nopportunity_horizon_hours = 72.0\n\
             min_scores = [90.0, 60.0]",
        ),
        &["swing.min_scores"],
    );
    rejected(
        "[swing.baseline]\ngroup = \"nope\"\n",
        &["swing.baseline.group", "nope"],
    );
}

#[test]
fn values_over_the_compiled_capacities_exit_5_naming_key_limit_and_remedy() {
    let cap = |toml: &str, needles: &[&str]| {
        let mut all = vec!["capacity: config:", "c.toml"];
        all.extend_from_slice(needles);
        rejected_with(5, toml, &all);
    };
    let remedy = "use at most";
    cap(
        "sample = 100000\n",
        &["sample", "MAX_SAMPLE = 4096", remedy],
    );
    cap(
        "[validation]\nwalk_forward_folds = 13\n",
        &[
            "validation.walk_forward_folds",
            "13 folds",
            "MAX_FOLDS = 12",
            remedy,
        ],
    );
    cap(
        "[trading]\nmax_open_trades = 40\n",
        &["trading.max_open_trades", "MAX_OPEN_TRADES = 16", remedy],
    );
    let list = |n: usize| {
        (1..=n)
            .map(|i| format!("{i}.0"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    cap(
        &format!("[scalping]\ntp_atr = [{}]\n", list(33)),
        &["scalping.tp_atr", "33 values", "MAX_LEVELS = 32", remedy],
    );
    cap(
        &format!("[swing]\nmin_scores = [{}]\n", list(17)),
        &[
            "swing.min_scores",
            "17 values",
            "MAX_FILTER_VALUES = 16",
            remedy,
        ],
    );
    // Was a panic (a fixed-size list overflowing).
    let trailing: Vec<String> = (1..=33)
        .map(|i| format!("{{ activation_atr = {i}.0, distance_atr = 1.0 }}"))
        .collect();
    cap(
        &format!("[scalping]\ntrailing = [{}]\n", trailing.join(", ")),
        &[
            "scalping.trailing",
            "33 values",
            "MAX_TRAILING = 32",
            remedy,
        ],
    );
    // A holding time longer than the core's window (H_MAX bars at 15m).
    for toml in [
        defaults_with(
            "hold_hours = [1.0, 2.0, 4.0, 6.0, 8.0]",
            "hold_hours = [1.0, 2.0, 4.0, 6.0, 9999.0]",
        ),
        "[scalping]\nhold_hours = [1.0, 9999.0]\n".to_owned(),
    ] {
        rejected_with(
            5,
            &toml,
            &[
                "capacity: config:",
                "scalping.hold_hours",
                "H_MAX = 8192",
                "shorten it",
            ],
        );
    }
    rejected_with(
        5,
        &defaults_with(
            "opportunity_horizon_hours = 72.0",
            "opportunity_horizon_hours = 7200.0",
        ),
        &["swing.opportunity_horizon_hours", "H_MAX"],
    );
}

#[test]
fn nan_and_infinity_name_the_key_and_its_line() {
    for (toml, needles) in [
        (
            "seed = 1\nin_sample_fraction = nan\n",
            [
                "c.toml:2",
                "in_sample_fraction",
                "nan is not a finite number",
            ],
        ),
        (
            "seed = 1\n[scalping]\n\ntp_atr = [1.0, -inf]\n",
            ["c.toml:4", "scalping.tp_atr[1]", "-inf is not"],
        ),
        (
            "[trading]\nfee_pct_per_side = +inf\n",
            ["c.toml:2", "trading.fee_pct_per_side", "+inf is not"],
        ),
        (
            "[[swing.groups]]\nname = \"g\"\n[swing.groups.weights]\ntrend = nan\n",
            ["c.toml:4", "swing.groups[0].weights.trend", "nan is not"],
        ),
    ] {
        rejected(toml, &needles);
    }
}

#[test]
fn the_report_config_is_a_valid_config_file() {
    // report.json's run.config, written back as TOML, is the run's configuration.
    let report = baseline().files.report();
    let cfg: Config = serde_json::from_value(report["run"]["config"].clone()).unwrap();
    let text = toml::to_string(&cfg).unwrap();
    assert_eq!(parse(&text), Config::default());
}
