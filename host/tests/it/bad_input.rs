//! Hostile input through the real binary. Every case is generated in a temporary
//! folder and run as `phasebound run` into an output folder that already holds a good
//! `report.json`/`params.json`/`run.json`; each must stop with its documented exit code,
//! a message naming the file, the line (or json candle) and the problem, no panic, and
//! the previous outputs byte-identical. Data layouts: Binance spot (no header, µs),
//! Binance futures (header, ms), freqtrade json, plain CSV (ccxt header), normalized CSV.
//! Gaps are the exception: counted in `report.json`, not fatal.
//! `PHASEBOUND_SHOW_CASES=1 cargo test bad_input -- --nocapture` prints every message.
//!
//! Also here: the replay of the committed fuzz corpus (`fuzz/corpus/`) through the fuzz
//! targets' entry points, so every input the fuzzer ever kept stays a regression test.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use phasebound_core::Bar;
use serde_json::{Value, json};
use sha2::Digest as _;
use tempfile::TempDir;

#[path = "../../../fuzz/src/entries.rs"]
mod fuzz_entries;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_phasebound");

/// The three output files, in the order they are compared.
pub(crate) const OUTPUTS: [&str; 5] = [
    "report.json",
    "params.json",
    "run.json",
    "report.html",
    "trades.csv",
];

const M15: i64 = 900_000;

// ------------------------------------------------------------------ shared helpers

/// `phasebound run --quiet --no-nice --out <out>` plus `args`.
pub(crate) fn run_cmd(out: &Path, args: &[OsString]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--quiet", "--no-nice", "--out"])
        .arg(out)
        .args(args);
    cmd
}

/// Runs `cmd` to completion.
pub(crate) fn output(mut cmd: Command) -> Output {
    cmd.output().expect("the phasebound binary runs")
}

/// The bytes of the output files in `out` (`None` for a missing one).
pub(crate) fn read_outputs(out: &Path) -> Vec<Option<Vec<u8>>> {
    OUTPUTS.iter().map(|n| fs::read(out.join(n)).ok()).collect()
}

/// Fills `out` with the outputs of a good run on the embedded data (seed `seed`).
pub(crate) fn good_outputs(out: &Path, seed: u64) -> Vec<Option<Vec<u8>>> {
    let o = output(run_cmd(
        out,
        &[
            "--threads".into(),
            "1".into(),
            "--seed".into(),
            seed.to_string().into(),
        ],
    ));
    assert!(
        o.status.success(),
        "good run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    read_outputs(out)
}

/// Parses a JSON output file.
pub(crate) fn json_file(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files in `out` left by a write in progress (temporaries, commit marker).
pub(crate) fn leftovers(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(out)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n.ends_with(".phasebound-tmp")
                        || n.ends_with(".phasebound-part")
                        || n == ".phasebound-commit"
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Whether `prlimit` (util-linux) can run a command here.
pub(crate) fn have_prlimit() -> bool {
    Command::new("prlimit")
        .args(["--as=1073741824", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The bars of the first embedded fixture (8,640 bars of 15m).
fn fixture_bars() -> Vec<Bar> {
    let text = std::str::from_utf8(phasebound::fixtures::FILES[0].1).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let v = |i: usize| f[i].parse::<f64>().unwrap();
            Bar {
                time: f[0].parse().unwrap(),
                open: v(1),
                high: v(2),
                low: v(3),
                close: v(4),
                volume: v(5),
            }
        })
        .collect()
}

// ------------------------------------------------------------------ layouts

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lay {
    /// Binance spot public data: 12 columns, no header, µs.
    Spot,
    /// Binance futures: 12 columns, header, ms.
    Futures,
    /// freqtrade json, one line.
    Freqtrade,
    /// ccxt-style `timestamp,open,high,low,close,volume`.
    Plain,
    /// `open_time_ms,open,high,low,close,volume`.
    Normalized,
}

const LAYOUTS: [Lay; 5] = [
    Lay::Spot,
    Lay::Futures,
    Lay::Freqtrade,
    Lay::Plain,
    Lay::Normalized,
];

/// Stands for two bytes that are not UTF-8 (0xff 0xfe) inside a rendered field.
const NOT_UTF8: &str = "\u{1}NOTUTF8\u{1}";

impl Lay {
    fn file_name(self) -> &'static str {
        match self {
            Lay::Spot => "binance-spot-BTCUSDT-15m-2024-03.csv",
            Lay::Futures => "binance-um-BTCUSDT-15m-2024-03.csv",
            Lay::Freqtrade => "freqtrade-BTC_USDT-15m.json",
            Lay::Plain => "ccxt-BTCUSDT-15m.csv",
            Lay::Normalized => "BTCUSDT-15m.csv",
        }
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Lay::Spot | Lay::Freqtrade => None,
            Lay::Futures => Some(
                "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore",
            ),
            Lay::Plain => Some("timestamp,open,high,low,close,volume"),
            Lay::Normalized => Some("open_time_ms,open,high,low,close,volume"),
        }
    }

    /// A time in ms in this layout's unit, and in the other unit (for mixing).
    fn time(self, ms: i64) -> i64 {
        if self == Lay::Spot { ms * 1000 } else { ms }
    }

    fn other_unit(self, ms: i64) -> i64 {
        if self == Lay::Spot { ms } else { ms * 1000 }
    }

    fn fields(self, b: &Bar) -> Vec<String> {
        let mut f = vec![
            self.time(b.time).to_string(),
            b.open.to_string(),
            b.high.to_string(),
            b.low.to_string(),
            b.close.to_string(),
            b.volume.to_string(),
        ];
        if matches!(self, Lay::Spot | Lay::Futures) {
            let quote = b.volume * b.close;
            f.extend([
                (self.time(b.time + M15) - 1).to_string(),
                quote.to_string(),
                "100".into(),
                (b.volume / 2.0).to_string(),
                (quote / 2.0).to_string(),
                "0".into(),
            ]);
        }
        f
    }

    fn render(self, rows: &[Vec<String>]) -> Vec<u8> {
        let text = if self == Lay::Freqtrade {
            let candles: Vec<String> = rows.iter().map(|r| format!("[{}]", r.join(","))).collect();
            format!("[{}]", candles.join(","))
        } else {
            let mut s = String::new();
            if let Some(h) = self.header() {
                s.push_str(h);
                s.push('\n');
            }
            for r in rows {
                s.push_str(&r.join(","));
                s.push('\n');
            }
            s
        };
        let mut bytes = Vec::with_capacity(text.len());
        for (i, part) in text.split(NOT_UTF8).enumerate() {
            if i > 0 {
                bytes.extend_from_slice(&[0xff, 0xfe]);
            }
            bytes.extend_from_slice(part.as_bytes());
        }
        bytes
    }

    /// Where an error on data row `k` (0-based) is reported.
    fn at(self, k: usize) -> String {
        match self {
            Lay::Freqtrade => format!("{}:1: candle {}:", self.file_name(), k + 1),
            _ => format!(
                "{}:{}:",
                self.file_name(),
                k + 1 + usize::from(self.header().is_some())
            ),
        }
    }

    fn is_json(self) -> bool {
        self == Lay::Freqtrade
    }
}

// ------------------------------------------------------------------ cases

/// One hostile run: files to create, arguments, and what must happen.
pub(crate) struct Case {
    pub(crate) name: String,
    /// Files relative to the case folder (parents created).
    pub(crate) files: Vec<(String, Vec<u8>)>,
    /// Arguments after `run --quiet --no-nice --out OUT`; `{dir}` is the case folder.
    pub(crate) args: Vec<String>,
    /// Expected exit code.
    pub(crate) code: i32,
    /// Substrings of stderr (`{dir}` is the case folder).
    pub(crate) expect: Vec<String>,
}

impl Case {
    fn data(name: impl Into<String>, lay: Lay, bytes: Vec<u8>, code: i32, expect: &[&str]) -> Self {
        Self {
            name: name.into(),
            files: vec![(lay.file_name().into(), bytes)],
            args: vec!["--data".into(), format!("{{dir}}/{}", lay.file_name())],
            code,
            expect: expect.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// A value corruption of one field of data row `k`, and the problem text it gives.
type Mutation = (&'static str, fn(Lay, &mut Vec<String>), &'static str);

fn value_mutations() -> Vec<Mutation> {
    vec![
        (
            "non-numeric close",
            |_, r| r[4] = "abc".into(),
            "close \"abc\" is not a number",
        ),
        (
            "NaN high",
            |_, r| r[2] = "NaN".into(),
            "high is NaN, not a finite number",
        ),
        (
            "NaN volume",
            |_, r| r[5] = "NaN".into(),
            "volume is NaN, not a finite number",
        ),
        (
            "infinite close",
            |l, r| r[4] = if l.is_json() { "Infinity" } else { "inf" }.into(),
            "close is inf, not a finite number",
        ),
        (
            "zero open",
            |_, r| r[1] = "0".into(),
            "open 0.0 is not a positive price",
        ),
        (
            "negative low",
            |_, r| r[3] = "-1.5".into(),
            "low -1.5 is not a positive price",
        ),
        (
            "negative volume",
            |_, r| r[5] = "-3".into(),
            "volume -3.0 is negative",
        ),
        ("high below low", |_, r| r.swap(2, 3), "is below low"),
        (
            "open above high",
            |_, r| {
                let h: f64 = r[2].parse().unwrap();
                r[1] = (h * 1.01).to_string();
            },
            "open",
        ),
        (
            "close below low",
            |_, r| {
                let l: f64 = r[3].parse().unwrap();
                r[4] = (l * 0.99).to_string();
            },
            "lies outside the bar's range",
        ),
        (
            "timestamp out of range",
            |_, r| r[0] = "12345".into(),
            "timestamp 12345 is not a Unix epoch time",
        ),
    ]
}

fn layout_cases(lay: Lay, bars: &[Bar]) -> Vec<Case> {
    let rows: Vec<Vec<String>> = bars.iter().map(|b| lay.fields(b)).collect();
    let n = rows.len();
    let mid = 57;
    let file = lay.file_name();
    let tag = |what: &str| format!("{lay:?}: {what}");
    let mut cases = Vec::new();

    cases.push(Case::data(
        tag("empty file"),
        lay,
        Vec::new(),
        3,
        &[file, "the file has no rows"],
    ));
    cases.push(Case::data(
        tag("blank lines only"),
        lay,
        b"\n \n\r\n".to_vec(),
        3,
        &[file, "the file has no rows"],
    ));
    match lay.header() {
        Some(h) => cases.push(Case::data(
            tag("header only"),
            lay,
            format!("{h}\n").into_bytes(),
            3,
            &[file, "header row but no data rows"],
        )),
        None if lay.is_json() => cases.push(Case::data(
            tag("empty candle list"),
            lay,
            b"[]".to_vec(),
            3,
            &[file, "the file has no rows"],
        )),
        None => {}
    }

    // Truncated: the file ends inside its last row, as after a killed download.
    let full = lay.render(&rows);
    let last_row = rows[n - 1].join(",");
    let cut = full.len() - if lay.is_json() { 2 } else { 1 } - last_row.len()
        + last_row.match_indices(',').nth(2).unwrap().0;
    if lay.is_json() {
        let at = format!("{file}:1: candle {n}:");
        cases.push(Case::data(
            tag("truncated last candle"),
            lay,
            full[..cut].to_vec(),
            3,
            &[&at, "found the end of the file"],
        ));
    } else {
        let at = lay.at(n - 1);
        cases.push(Case::data(
            tag("truncated last line"),
            lay,
            full[..cut].to_vec(),
            3,
            &[&at, "cut short", "truncated"],
        ));
    }

    // Structural problems of row `mid`.
    let mut structural: Vec<(&str, Vec<Vec<String>>, usize, String)> = Vec::new();
    let mut r = rows.clone();
    r[mid].push("1".into());
    let cols = r[mid].len();
    structural.push((
        "extra column",
        r,
        mid,
        format!("{cols} columns, but the file's layout has {}", cols - 1),
    ));
    let mut r = rows.clone();
    r[mid].pop();
    structural.push((
        "missing column",
        r,
        mid,
        format!(
            "{} columns, but the file's layout has {}",
            cols - 2,
            cols - 1
        ),
    ));
    let mut r = rows.clone();
    r.swap(mid, mid + 1);
    structural.push((
        "rows out of order",
        r,
        mid + 1,
        "rows are not in time order".into(),
    ));
    let mut r = rows.clone();
    r[mid + 1][0] = r[mid][0].clone();
    structural.push((
        "duplicate timestamp",
        r,
        mid + 1,
        "duplicate timestamp".into(),
    ));
    let mut r = rows.clone();
    r[mid][0] = lay.other_unit(bars[mid].time).to_string();
    structural.push((
        "mixed ms and µs",
        r,
        mid,
        "but the file's first timestamp is in".into(),
    ));
    let mut r = rows.clone();
    r[mid][5] = NOT_UTF8.into();
    let utf8 = if lay.is_json() {
        "found byte 0xff"
    } else {
        "not valid UTF-8"
    };
    structural.push(("invalid UTF-8", r, mid, utf8.into()));
    for (what, r, k, problem) in structural {
        cases.push(Case::data(
            tag(what),
            lay,
            lay.render(&r),
            3,
            &[&lay.at(k), &problem],
        ));
    }
    // A bar off the 15m grid: skipped and counted by default (see
    // `gaps_are_counted_not_fatal_in_every_layout`), an error with --strict.
    let mut r = rows.clone();
    r[mid][0] = lay.time(bars[mid].time + 7 * 60_000).to_string();
    let mut case = Case::data(
        tag("off-grid bar with --strict"),
        lay,
        lay.render(&r),
        3,
        &[&lay.at(mid), "off the 15m grid"],
    );
    case.args.push("--strict".into());
    cases.push(case);

    // Value problems, on the first row (found while discovering) and in the middle
    // (found while building the cache).
    for (what, mutate, problem) in value_mutations() {
        for k in [0, mid] {
            let mut r = rows.clone();
            mutate(lay, &mut r[k]);
            cases.push(Case::data(
                tag(&format!("{what} (row {k})")),
                lay,
                lay.render(&r),
                3,
                &[&lay.at(k), problem],
            ));
        }
    }
    cases
}

pub(crate) fn csv_normalized(bars: &[Bar], unit: i64) -> Vec<u8> {
    let mut s = String::from("open_time_ms,open,high,low,close,volume\n");
    for b in bars {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            b.time * unit,
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume
        ));
    }
    s.into_bytes()
}

fn global_cases(bars: &[Bar]) -> Vec<Case> {
    let good = csv_normalized(bars, 1);
    let hourly: Vec<Bar> = bars.iter().step_by(4).copied().collect();
    let mut bad_print: Vec<Bar> = bars[..200].to_vec();
    bad_print[100].high = 1e308;
    let level_shift = crate::data::prices_scaled_from(&bars[..200], 100, 1000.0);
    let year_later: Vec<Bar> = bars[100..]
        .iter()
        .map(|b| Bar {
            time: b.time + 365 * 86_400_000,
            ..*b
        })
        .collect();
    let case =
        |name: &str, files: Vec<(&str, Vec<u8>)>, args: &[&str], code: i32, expect: &[&str]| Case {
            name: name.into(),
            files: files.into_iter().map(|(n, b)| (n.to_owned(), b)).collect(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            code,
            expect: expect.iter().map(|s| (*s).to_owned()).collect(),
        };
    let mut gz = vec![0x1f, 0x8b, 8, 0];
    gz.extend_from_slice(&[0; 60]);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0; 60]);
    let toml_cases: [(&str, &str, &[&str]); 11] = [
        (
            "config: unknown key",
            "seed = 1\nbogus = 3\n",
            &["cfg.toml:2", "unknown field `bogus`"],
        ),
        (
            "config: unknown nested key",
            "[search]\nstarts = 2\nstrats = 3\n",
            &["cfg.toml:3", "unknown field `strats`"],
        ),
        (
            "config: wrong type",
            "seed = \"forty-two\"\n",
            &["cfg.toml:1", "invalid type"],
        ),
        (
            "config: syntax error",
            "[search\nstarts = 2\n",
            &["cfg.toml:1"],
        ),
        (
            "config: integer out of range",
            "[search]\nstarts = 300\n",
            &["cfg.toml:2", "300"],
        ),
        (
            "config: in_sample_fraction out of range",
            "in_sample_fraction = 1.5\n",
            &["cfg.toml", "in_sample_fraction", "strictly between 0 and 1"],
        ),
        (
            "config: starts out of range",
            "[search]\nstarts = 9\n",
            &["cfg.toml", "search.starts", "1..=4"],
        ),
        (
            "config: negative fee",
            "[trading]\nfee_pct_per_side = -0.1\n",
            &["cfg.toml", "trading.fee_pct_per_side", "-0.1"],
        ),
        (
            "config: no folds",
            "[validation]\nwalk_forward_folds = 0\n",
            &["cfg.toml", "validation.walk_forward_folds"],
        ),
        (
            "config: unknown objective",
            "[search]\nobjective = \"luck\"\n",
            &["cfg.toml", "luck"],
        ),
        (
            "config: unknown entry",
            "[trading]\nentry = \"tomorrow\"\n",
            &["cfg.toml", "tomorrow"],
        ),
    ];
    let mut cases = vec![
        case(
            "folder without usable files",
            vec![
                ("data/notes.txt", b"hello".to_vec()),
                ("data/README.csv", good.clone()),
                ("data/.hidden-BTCUSDT-15m.csv", good.clone()),
                ("data/sub/BTCUSDT-15m.csv", good.clone()),
            ],
            &["--data", "{dir}/data"],
            2,
            &[
                "{dir}/data",
                "no usable data files",
                "subfolders are not searched",
            ],
        ),
        case(
            "folder without files of the timeframe",
            vec![("data/BTCUSDT-15m.csv", good.clone())],
            &["--data", "{dir}/data", "--timeframe", "1h"],
            2,
            &["{dir}/data", "none of the 1 .csv/.json/.zip files", "1h"],
        ),
        case(
            "missing data file",
            vec![],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            2,
            &["{dir}/BTCUSDT-15m.csv", "no such file"],
        ),
        case(
            "gzip named .csv",
            vec![("BTCUSDT-15m.csv", gz)],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &["BTCUSDT-15m.csv", "gzip"],
        ),
        case(
            "damaged zip named .csv",
            vec![("BTCUSDT-15m.csv", zip)],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &["BTCUSDT-15m.csv", "zip archive"],
        ),
        case(
            "unknown header",
            vec![(
                "BTCUSDT-15m.csv",
                b"date,o,h,l,c,v\n2024-03-01,1,2,0.5,1.5,10\n".to_vec(),
            )],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &[
                "BTCUSDT-15m.csv:1:",
                "header \"date,o,h,l,c,v\" not recognized",
            ],
        ),
        case(
            "line without end (binary junk)",
            vec![("BTCUSDT-15m.csv", vec![b'7'; 10_000])],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &["BTCUSDT-15m.csv:1:", "line longer than 4096 bytes"],
        ),
        case(
            "15m data in a file named 1h",
            vec![("BTCUSDT-1h.csv", good.clone())],
            &["--data", "{dir}/BTCUSDT-1h.csv"],
            3,
            &[
                "BTCUSDT-1h.csv: 150 of 200 bars do not open on the 1h grid",
                "wrong timeframe",
            ],
        ),
        case(
            "15m data in a file named 1h, --strict",
            vec![("BTCUSDT-1h.csv", good.clone())],
            &["--data", "{dir}/BTCUSDT-1h.csv", "--strict"],
            3,
            &["BTCUSDT-1h.csv:3:", "off the 1h grid"],
        ),
        case(
            "1h data in a file named 15m",
            vec![("BTCUSDT-15m.csv", csv_normalized(&hourly, 1))],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &[
                "BTCUSDT-15m.csv: read as 15m bars, but no two consecutive bars are 15m apart",
                "probably 1h bars",
            ],
        ),
        case(
            "a bad print (high 1e308) with --strict",
            vec![("BTCUSDT-15m.csv", csv_normalized(&bad_print, 1))],
            &["--data", "{dir}/BTCUSDT-15m.csv", "--strict"],
            3,
            &["BTCUSDT-15m.csv:102:", "implausible bar: high 1e308"],
        ),
        case(
            "prices ×1000 from the middle on",
            vec![("BTCUSDT-15m.csv", csv_normalized(&level_shift, 1))],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            3,
            &[
                "BTCUSDT-15m.csv:105:",
                "the price level moved more than 10× and stayed there",
                "--max-jump 0",
            ],
        ),
        case(
            "one symbol from two far-apart periods",
            vec![
                (
                    "data/BTCUSDT-15m-2024-01.csv",
                    csv_normalized(&bars[..100], 1),
                ),
                (
                    "data/BTCUSDT-15m-2025-01.csv",
                    csv_normalized(&year_later, 1),
                ),
            ],
            &["--data", "{dir}/data"],
            2,
            &[
                "BTCUSDT-15m-2025-01.csv:2: BTCUSDT has no bars from",
                "more than the 32d a series may miss",
                "use --timerange to pick one period",
            ],
        ),
        case(
            "one symbol from spot and futures",
            vec![
                (
                    "spot/BTCUSDT-15m-2024-01.csv",
                    csv_normalized(&bars[..100], 1),
                ),
                (
                    "futures/um/BTCUSDT-15m-2024-02.csv",
                    csv_normalized(&bars[100..], 1),
                ),
            ],
            &["--data", "{dir}/spot", "{dir}/futures/um"],
            2,
            &["BTCUSDT-15m-2024-02.csv: this futures file has the same symbol as the spot file"],
        ),
        case(
            "overlapping monthly files",
            vec![
                (
                    "data/BTCUSDT-15m-2024-01.csv",
                    csv_normalized(&bars[..120], 1),
                ),
                (
                    "data/BTCUSDT-15m-2024-02.csv",
                    csv_normalized(&bars[100..], 1),
                ),
            ],
            &["--data", "{dir}/data"],
            3,
            &[
                "BTCUSDT-15m-2024-02.csv",
                "overlaps",
                "BTCUSDT-15m-2024-01.csv",
            ],
        ),
        // Monthly files in different time units are not bad input: Binance spot files
        // switched from ms to µs on 2025-01-01 (data::units_may_differ_between_files_of_a_series).
        case(
            "several timeframes in one folder",
            vec![
                ("data/BTCUSDT-15m.csv", good.clone()),
                ("data/ETHUSDT-1h.csv", good.clone()),
            ],
            &["--data", "{dir}/data"],
            2,
            &["several timeframes (15m and 1h)"],
        ),
        case(
            "unsupported timeframe option",
            vec![],
            &["--timeframe", "7m"],
            2,
            &["--timeframe '7m'"],
        ),
        case(
            "zero threads",
            vec![],
            &["--threads", "0"],
            2,
            &["--threads must be at least 1"],
        ),
        case("bad size", vec![], &["--max-memory", "12X"], 2, &["12X"]),
        case(
            "symbol option with two files",
            vec![
                ("a/BTCUSDT-15m.csv", good.clone()),
                ("b/ETHUSDT-15m.csv", good.clone()),
            ],
            &[
                "--data",
                "{dir}/a/BTCUSDT-15m.csv",
                "{dir}/b/ETHUSDT-15m.csv",
                "--symbol",
                "BTCUSDT",
            ],
            2,
            &["--symbol needs exactly one --data file"],
        ),
        case(
            "missing config",
            vec![],
            &["--config", "{dir}/cfg.toml"],
            4,
            &["{dir}/cfg.toml", "No such file"],
        ),
        case(
            "config not UTF-8",
            vec![("cfg.toml", vec![b's', b'e', b'e', b'd', 0xff, 0xfe])],
            &["--config", "{dir}/cfg.toml"],
            4,
            &["{dir}/cfg.toml", "UTF-8"],
        ),
        case(
            "previous: malformed JSON",
            vec![("prev.json", b"{\n  \"scalping_params\": {\n".to_vec())],
            &["--previous", "{dir}/prev.json"],
            2,
            &["{dir}/prev.json", "line 3", "EOF while parsing"],
        ),
        case(
            "previous: not a params file",
            vec![(
                "prev.json",
                b"{\"schema\": \"phasebound.report/1\"}".to_vec(),
            )],
            &["--previous", "{dir}/prev.json"],
            2,
            &[
                "{dir}/prev.json",
                "neither scalping_params nor swing_params",
            ],
        ),
        case(
            "previous: unknown weight group",
            vec![(
                "prev.json",
                b"{\"swing_params\": {\"weight_group\": \"astrology\"}}".to_vec(),
            )],
            &["--previous", "{dir}/prev.json"],
            2,
            &[
                "{dir}/prev.json",
                "swing_params.weight_group 'astrology' is not a configured group",
            ],
        ),
        case(
            "previous: value not a number",
            vec![(
                "prev.json",
                b"{\"scalping_params\": {\"max_holding_hours\": \"two\"}}".to_vec(),
            )],
            &["--previous", "{dir}/prev.json"],
            2,
            &[
                "{dir}/prev.json",
                "scalping_params.",
                "is missing or not a number",
            ],
        ),
        case(
            "previous: not UTF-8",
            vec![("prev.json", vec![b'{', 0xff, b'}'])],
            &["--previous", "{dir}/prev.json"],
            2,
            &["{dir}/prev.json", "UTF-8"],
        ),
        case(
            "previous: missing",
            vec![],
            &["--previous", "{dir}/prev.json"],
            2,
            &["{dir}/prev.json", "No such file"],
        ),
    ];
    for (name, text, expect) in toml_cases {
        cases.push(case(
            name,
            vec![("cfg.toml", text.as_bytes().to_vec())],
            &["--config", "{dir}/cfg.toml"],
            2,
            expect,
        ));
    }
    cases
}

// ------------------------------------------------------------------ running and checking

/// Runs one failing case in `dir` (its files already there) into `out`, which holds
/// `previous`; returns what is wrong, if anything.
fn check_failure(
    name: &str,
    dir: &Path,
    out: &Path,
    mut cmd: Command,
    code: i32,
    expect: &[String],
    previous: &[Option<Vec<u8>>],
) -> Result<(), String> {
    let _ = &mut cmd;
    let o = output(cmd);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let d = dir.to_string_lossy();
    if std::env::var_os("PHASEBOUND_SHOW_CASES").is_some() {
        println!(
            "[{}] {name}: {}",
            o.status.code().unwrap_or(-1),
            stderr.trim().replace(&*d, "{dir}")
        );
    }
    let mut problems = Vec::new();
    if o.status.code() != Some(code) {
        problems.push(format!("exit status {:?}, expected {code}", o.status));
    }
    if stderr.contains("panicked") || o.status.code() == Some(101) {
        problems.push("panicked".into());
    }
    for e in expect {
        let e = e.replace("{dir}", &d);
        if !stderr.contains(&e) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    if read_outputs(out) != previous {
        problems.push("previous outputs changed".into());
    }
    let left = leftovers(out);
    if !left.is_empty() {
        problems.push(format!("left {left:?} in the output folder"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n    stderr: {}",
            problems.join("; "),
            stderr.trim()
        ))
    }
}

fn run_case(
    case: &Case,
    root: &Path,
    out: &Path,
    previous: &[Option<Vec<u8>>],
) -> Result<(), String> {
    run_case_limited(case, root, out, previous, None)
}

/// [`run_case`] under an address-space limit of `limit` bytes (`prlimit --as`), when
/// given and `prlimit` is available.
fn run_case_limited(
    case: &Case,
    root: &Path,
    out: &Path,
    previous: &[Option<Vec<u8>>],
    limit: Option<u64>,
) -> Result<(), String> {
    let dir = root.join(format!(
        "case-{}",
        case.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    ));
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in &case.files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    let d = dir.to_string_lossy();
    let args: Vec<OsString> = case
        .args
        .iter()
        .map(|a| a.replace("{dir}", &d).into())
        .collect();
    let cmd = match limit {
        Some(bytes) if have_prlimit() => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={bytes}"))
                .arg(BIN)
                .args(["run", "--quiet", "--no-nice", "--out"])
                .arg(out)
                .args(&args);
            c
        }
        _ => run_cmd(out, &args),
    };
    check_failure(
        &case.name,
        &dir,
        out,
        cmd,
        case.code,
        &case.expect,
        previous,
    )
}

/// The whole corpus: every layout case and every global case, one binary run each.
#[test]
fn bad_input_corpus_fails_cleanly_and_keeps_previous_outputs() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let previous = good_outputs(&out, 42);
    let bars: Vec<Bar> = fixture_bars().into_iter().take(200).collect();
    let mut cases: Vec<Case> = LAYOUTS
        .iter()
        .flat_map(|&l| layout_cases(l, &bars))
        .collect();
    cases.extend(global_cases(&bars));
    cases.extend(crate::bad_input_more::cases(&bars));
    let mut failures: Vec<String> = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case, tmp.path(), &out, &previous) {
            failures.push(e);
        }
    }
    let mut count = cases.len();

    // A 2 GiB sparse file (all NUL bytes): refused on its first line, without reading
    // it; under a 512 MiB address-space limit, so reading it into memory would fail.
    let sparse_dir = tmp.path().join("sparse");
    fs::create_dir_all(&sparse_dir).unwrap();
    let sparse = sparse_dir.join("BTCUSDT-15m.csv");
    fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    let mut cmd = if have_prlimit() {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={}", 512u64 << 20)).arg(BIN);
        c
    } else {
        println!("note: prlimit not found; the sparse-file case runs without a memory limit");
        Command::new(BIN)
    };
    cmd.args(["run", "--quiet", "--no-nice", "--out"])
        .arg(&out)
        .arg("--data")
        .arg(&sparse);
    let expect = [
        "BTCUSDT-15m.csv:1:".to_owned(),
        "line longer than 4096 bytes".to_owned(),
    ];
    if let Err(e) = check_failure(
        "2 GiB sparse file",
        &sparse_dir,
        &out,
        cmd,
        3,
        &expect,
        &previous,
    ) {
        failures.push(e);
    }
    count += 1;

    // Unreadable file and folder. Root reads through chmod 000 (CI containers often run
    // as root): then the binary runs as user `nobody` through `setpriv` (util-linux),
    // with the folders it must write opened up; without setpriv the cases are skipped.
    let perm_dir = tmp.path().join("perm");
    let locked = perm_dir.join("locked");
    fs::create_dir_all(&locked).unwrap();
    let file = perm_dir.join("BTCUSDT-15m.csv");
    fs::write(&file, csv_normalized(&bars, 1)).unwrap();
    fs::write(locked.join("BTCUSDT-15m.csv"), csv_normalized(&bars, 1)).unwrap();
    set_mode(&file, 0o000);
    set_mode(&locked, 0o000);
    let as_root = fs::read(&file).is_ok() || fs::read_dir(&locked).is_ok();
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let can_drop = as_root
        && Command::new("setpriv")
            .args(nobody)
            .arg("true")
            .output()
            .is_ok_and(|o| o.status.success());
    if as_root && !can_drop {
        println!(
            "SKIP: unreadable-permission cases: running as root (chmod 000 does not stop \
             reads) and setpriv cannot switch to nobody"
        );
    } else {
        if as_root {
            set_mode(tmp.path(), 0o755);
            set_mode(&perm_dir, 0o755);
            set_mode(&out, 0o777);
            for entry in fs::read_dir(&out).unwrap() {
                let p = entry.unwrap().path();
                set_mode(&p, if p.is_dir() { 0o777 } else { 0o666 });
            }
        }
        for (name, path) in [("unreadable file", &file), ("unreadable folder", &locked)] {
            let mut cmd = if as_root {
                let mut c = Command::new("setpriv");
                c.args(nobody).arg(BIN);
                c
            } else {
                Command::new(BIN)
            };
            cmd.args(["run", "--quiet", "--no-nice", "--out"])
                .arg(&out)
                .arg("--data")
                .arg(path);
            let expect = [
                path.to_string_lossy().into_owned(),
                "Permission denied".to_owned(),
            ];
            if let Err(e) = check_failure(name, &perm_dir, &out, cmd, 4, &expect, &previous) {
                failures.push(e);
            }
            count += 1;
        }
        if as_root {
            println!("note: unreadable-permission cases ran as user nobody (setpriv)");
        }
    }
    set_mode(&locked, 0o755);
    set_mode(&file, 0o644);

    println!("bad-input corpus: {count} cases, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Gaps and a bar off the grid in every layout: the run completes, replaces the
/// previous outputs with a consistent new pair, reports the gaps and counts the
/// skipped bar.
#[test]
fn gaps_are_counted_not_fatal_in_every_layout() {
    let bars = fixture_bars();
    // Two gaps: 11 bars missing after bar 2,999, one after bar 5,999.
    let kept: Vec<Bar> = bars
        .iter()
        .enumerate()
        .filter(|(i, _)| !(3000..3011).contains(i) && *i != 6000)
        .map(|(_, b)| *b)
        .collect();
    // One stray bar 7 minutes after bar 7,000's open, as in Binance's 2018 BNB data,
    // and a bad print: bar 8,000's high at 1e308 (skipped, so one more gap).
    let mut with_stray = kept.clone();
    let at = kept.iter().position(|b| b.time == bars[7000].time).unwrap() + 1;
    with_stray.insert(
        at,
        Bar {
            time: bars[7000].time + 7 * 60_000,
            ..bars[7000]
        },
    );
    for lay in LAYOUTS {
        let tmp = TempDir::new().unwrap();
        let out = tmp.path().join("out");
        let previous = good_outputs(&out, 7);
        let print = with_stray
            .iter()
            .position(|b| b.time == bars[8000].time)
            .unwrap();
        let mut rows: Vec<Vec<String>> = with_stray.iter().map(|b| lay.fields(b)).collect();
        rows[print][2] = "1e308".into();
        let data = tmp.path().join(lay.file_name());
        fs::write(&data, lay.render(&rows)).unwrap();
        let o = output(run_cmd(
            &out,
            &["--threads".into(), "1".into(), "--data".into(), data.into()],
        ));
        assert!(
            o.status.success(),
            "{lay:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report = json_file(&out.join("report.json"));
        let input = &report["run"]["inputs"][0];
        assert_eq!(input["symbol"], "BTCUSDT", "{lay:?}");
        assert_eq!(input["gaps"], 3, "{lay:?}: {input}");
        assert_eq!(input["bars"], kept.len() - 1, "{lay:?}");
        assert_eq!(input["implausible_skipped"], 1, "{lay:?}");
        assert_eq!(input["largest_gap"], "3h", "{lay:?}: 12 steps of 15m");
        assert_eq!(input["off_grid_skipped"], 1, "{lay:?}");
        let file = &input["files"][0];
        assert_eq!(
            (&file["bars"], &file["off_grid_skipped"]),
            (&json!(kept.len() - 1), &json!(1)),
            "{lay:?}"
        );
        assert!(
            file["time_unit"]
                .as_str()
                .is_some_and(|u| u.contains("told from the magnitude")),
            "{lay:?}: {file}"
        );
        let hash: String = sha2::Sha256::digest(fs::read(out.join("params.json")).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(report["run"]["params_sha256"], hash.as_str(), "{lay:?}");
        assert_ne!(
            read_outputs(&out)[1],
            previous[1],
            "{lay:?}: params.json replaced"
        );
        assert!(leftovers(&out).is_empty(), "{lay:?}");
    }
}

/// Every file of the committed fuzz corpus, through the same entry points the fuzz
/// targets use (each must return without panicking).
#[test]
fn fuzz_corpus_replays_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (target, entry) in fuzz_entries::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for f in &files {
            entry(&fs::read(f).unwrap());
        }
        total += files.len();
    }
    fuzz_entries::remove_scratch();
    println!(
        "fuzz corpus replayed: {total} inputs over {} targets",
        fuzz_entries::TARGETS.len()
    );
}

// ------------------------------------------------------------------ zip archives

/// Hostile and damaged zip archives (and `.CHECKSUM` files), each as
/// `BTCUSDT-15m-2024-03.zip`, the way Binance names its monthly files.
fn zip_cases(bars: &[Bar]) -> Vec<Case> {
    use crate::zips::{Entry, bomb_stream, sha256_hex, zip_bytes};
    const ZIP: &str = "BTCUSDT-15m-2024-03.zip";
    const MEMBER: &str = "BTCUSDT-15m-2024-03.csv";
    let good = csv_normalized(bars, 1);
    let honest = Entry::deflated(MEMBER, &good);
    let zcase = |name: &str, bytes: Vec<u8>, expect: &[&str]| Case {
        name: format!("zip: {name}"),
        files: vec![(ZIP.to_owned(), bytes)],
        args: vec!["--data".into(), format!("{{dir}}/{ZIP}")],
        code: 3,
        expect: std::iter::once(format!("{{dir}}/{ZIP}: zip archive refused: "))
            .chain(expect.iter().map(|s| (*s).to_owned()))
            .collect(),
    };
    let with = |f: &dyn Fn(&mut Entry)| {
        let mut e = honest.clone();
        f(&mut e);
        zip_bytes(&[e])
    };
    let whole = zip_bytes(std::slice::from_ref(&honest));
    let mut cases = vec![
        zcase(
            "two members",
            zip_bytes(&[
                honest.clone(),
                Entry::deflated("BTCUSDT-15m-2024-04.csv", &good),
            ]),
            &["holds 2 members; expected exactly one CSV file"],
        ),
        zcase("no member", zip_bytes(&[]), &["holds no file"]),
        zcase(
            "member in a folder",
            with(&|e| e.name = format!("data/{MEMBER}")),
            &["'data/BTCUSDT-15m-2024-03.csv' has a folder path"],
        ),
        zcase(
            "member path escaping the folder",
            with(&|e| e.name = format!("../{MEMBER}")),
            &["has a folder path"],
        ),
        zcase(
            "only member a folder",
            zip_bytes(&[Entry::deflated("BTCUSDT/", b"")]),
            &["'BTCUSDT/' is a folder"],
        ),
        zcase(
            "encrypted member",
            with(&|e| e.flags |= 1),
            &["is encrypted"],
        ),
        zcase(
            "unsupported compression method",
            with(&|e| e.method = 12),
            &["uses compression"],
        ),
        zcase(
            "declared size larger than the data",
            with(&|e| e.size += 1000),
            &["ends after", "it is truncated or its header lies"],
        ),
        zcase(
            "declared size smaller than the data",
            with(&|e| e.size -= 1000),
            &[
                "decompresses to more than the",
                "bytes the archive declares",
            ],
        ),
        zcase("wrong CRC-32", with(&|e| e.crc ^= 1), &["CRC-32"]),
        zcase(
            "deflate stream cut short",
            with(&|e| {
                let half = e.data.len() / 2;
                e.data.truncate(half);
            }),
            &["is damaged (incomplete deflate stream)"],
        ),
        zcase(
            "archive cut in half",
            whole[..whole.len() / 2].to_vec(),
            &["not a valid zip archive"],
        ),
        // 2 GiB of blank lines in a few KiB: refused from its header, nothing decoded.
        zcase(
            "bomb declaring 2 GiB",
            zip_bytes(&[Entry {
                name: MEMBER.into(),
                data: bomb_stream(b'\n', 2048),
                method: 8,
                flags: 0,
                crc: 0,
                size: 2 << 30,
            }]),
            &["declares 2147483648 bytes uncompressed, over the 256 MiB limit"],
        ),
        // The same bomb declaring 64 MiB: decoded (blank lines are skipped) up to the
        // declared size, then stopped.
        zcase(
            "bomb declaring 64 MiB",
            zip_bytes(&[Entry {
                name: MEMBER.into(),
                data: bomb_stream(b'\n', 2048),
                method: 8,
                flags: 0,
                crc: 0,
                size: 64 << 20,
            }]),
            &["decompresses to more than the 67108864 bytes the archive declares"],
        ),
        Case {
            name: "zip: a zip inside".into(),
            files: vec![(
                ZIP.to_owned(),
                zip_bytes(&[Entry::deflated(MEMBER, &whole)]),
            )],
            args: vec!["--data".into(), format!("{{dir}}/{ZIP}")],
            code: 3,
            expect: vec![
                format!("{{dir}}/{ZIP}: "),
                "nested archives are not read".into(),
            ],
        },
        Case {
            name: "zip: bad row inside".into(),
            files: vec![(
                ZIP.to_owned(),
                zip_bytes(&[Entry::deflated(
                    MEMBER,
                    b"open_time_ms,open,high,low,close,volume\n1709251200000,1,2,3,1.5,10\n",
                )]),
            )],
            args: vec!["--data".into(), format!("{{dir}}/{ZIP}")],
            code: 3,
            expect: vec![
                format!("{{dir}}/{ZIP}:2: "),
                "high 2.0 is below low 3.0".into(),
            ],
        },
        Case {
            name: "zip: checksum mismatch".into(),
            files: vec![
                (ZIP.to_owned(), whole.clone()),
                (
                    format!("{ZIP}.CHECKSUM"),
                    format!("{}  {ZIP}\n", sha256_hex(b"other bytes")).into_bytes(),
                ),
            ],
            args: vec!["--data".into(), "{dir}".into()],
            code: 3,
            expect: vec![
                format!("{{dir}}/{ZIP}: SHA-256 {}", sha256_hex(&whole)),
                format!("does not match {}", sha256_hex(b"other bytes")),
                format!("{ZIP}.CHECKSUM"),
            ],
        },
        Case {
            name: "zip: malformed checksum file".into(),
            files: vec![
                (ZIP.to_owned(), whole.clone()),
                (format!("{ZIP}.CHECKSUM"), b"d41d8cd98f  x.zip\n".to_vec()),
            ],
            args: vec!["--data".into(), format!("{{dir}}/{ZIP}")],
            code: 3,
            expect: vec![
                format!("{{dir}}/{ZIP}.CHECKSUM: not a valid checksum file"),
                "64 hex digits".into(),
            ],
        },
    ];
    // A folder holding the hostile archive is refused the same way.
    let mut in_folder = zcase(
        "two members of one name, in a folder",
        zip_bytes(&[honest.clone(), honest]),
        &["several members of the same name"],
    );
    in_folder.args = vec!["--data".into(), "{dir}".into()];
    cases.push(in_folder);
    cases
}

/// Every hostile archive through the binary, under a 512 MiB address-space limit
/// (`prlimit`, when available), so a member inflated into memory would fail: each
/// stops with exit 3 naming the archive and the problem, and the previous outputs stay.
#[test]
fn zip_hostile_archives_fail_cleanly_and_keep_previous_outputs() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let previous = good_outputs(&out, 42);
    let bars: Vec<Bar> = fixture_bars().into_iter().take(200).collect();
    let cases = zip_cases(&bars);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case_limited(c, tmp.path(), &out, &previous, Some(512 << 20)).err())
        .collect();
    println!(
        "zip corpus: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
