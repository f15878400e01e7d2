//! Tests of the data input layer: layouts, time units, errors with file and
//! line, naming, discovery, the bar cache and the chronological merge.
//! Real-data tests read `../shared/data/` and skip when it is absent.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use phasebound::data::error::{EXIT_DATA, EXIT_IO, EXIT_USAGE};
use phasebound::data::{
    BarFile, BarPolicy, DataError, DataErrorKind, DiscoverOptions, Layout, Merged, SeriesReader,
    SeriesSpec, TimeRange, TimeUnit, build_cache, discover, for_each_bar, format_duration,
    format_utc, parse_file_name, parse_timeframe, timeframe_label,
};
use phasebound_core::{Bar, Error as CoreError};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z
const M15: i64 = 900_000;

// ---------------------------------------------------------------- helpers

/// Ten valid 15m bars with decimal prices (as real files have).
fn ten_bars() -> Vec<Bar> {
    let rows = [
        (61130.99, 61338.72, 61126.0, 61224.49, 512.96054),
        (61224.49, 61749.0, 61193.71, 61716.74, 639.28304),
        (61716.74, 61741.1, 61519.42, 61583.53, 366.15793),
        (61583.52, 61649.99, 61447.3, 61501.11, 349.39751),
        (61501.1, 61501.11, 61283.6, 61340.71, 346.87049),
        (61340.7, 61566.95, 61292.04, 61503.18, 336.50783),
        (61503.18, 61503.19, 61360.0, 61400.0, 0.0),
        (61400.0, 61400.0, 61400.0, 61400.0, 12.5),
        (61399.99, 61450.5, 61000.01, 61001.0, 1001.0),
        (61001.0, 61200.0, 60950.25, 61150.75, 7.0e-5),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, &(open, high, low, close, volume))| Bar {
            time: T0 + i as i64 * M15,
            open,
            high,
            low,
            close,
            volume,
        })
        .collect()
}

fn ohlcv(b: &Bar) -> String {
    format!("{},{},{},{},{}", b.open, b.high, b.low, b.close, b.volume)
}

/// A Binance kline row; `scale` turns ms into the file's unit.
fn kline_row(b: &Bar, scale: i64) -> String {
    let close_time = (b.time + M15) * scale - 1;
    format!(
        "{},{},{close_time},{},100,{},{},0",
        b.time * scale,
        ohlcv(b),
        b.volume * 61000.0,
        b.volume / 2.0,
        b.volume * 30500.0
    )
}

fn csv(header: Option<&str>, bars: &[Bar], row: impl Fn(&Bar) -> String) -> String {
    let mut s = String::new();
    if let Some(h) = header {
        s.push_str(h);
        s.push('\n');
    }
    for b in bars {
        s.push_str(&row(b));
        s.push('\n');
    }
    s
}

fn plain(bars: &[Bar]) -> String {
    csv(Some("timestamp,open,high,low,close,volume"), bars, |b| {
        format!("{},{}", b.time, ohlcv(b))
    })
}

fn json(bars: &[Bar]) -> String {
    let rows: Vec<String> = bars
        .iter()
        .map(|b| format!("[{},{}]", b.time, ohlcv(b)))
        .collect();
    format!("[{}]", rows.join(","))
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

fn read_all(path: &Path) -> Result<Vec<Bar>, DataError> {
    let mut file = BarFile::open(path)?;
    let mut bars = Vec::new();
    while let Some(b) = file.next_bar()? {
        bars.push(b);
    }
    Ok(bars)
}

fn read_err(path: &Path) -> DataError {
    match read_all(path) {
        Ok(bars) => panic!(
            "{} parsed to {} bars, expected an error",
            path.display(),
            bars.len()
        ),
        Err(e) => e,
    }
}

fn spec(symbol: &str, files: &[&Path]) -> SeriesSpec {
    SeriesSpec {
        symbol: symbol.to_owned(),
        timeframe_minutes: 15,
        files: files.iter().map(|p| p.to_path_buf()).collect(),
        range: TimeRange::ALL,
        policy: BarPolicy::default(),
    }
}

/// `bars` with every price from bar `from` on multiplied by `k` (a new price level).
pub(crate) fn prices_scaled_from(bars: &[Bar], from: usize, k: f64) -> Vec<Bar> {
    bars.iter()
        .enumerate()
        .map(|(i, b)| {
            let k = if i >= from { k } else { 1.0 };
            Bar {
                open: b.open * k,
                high: b.high * k,
                low: b.low * k,
                close: b.close * k,
                ..*b
            }
        })
        .collect()
}

fn series_err(s: &SeriesSpec) -> DataError {
    match for_each_bar(s, |_| {}) {
        Ok(sum) => panic!("series parsed to {} bars, expected an error", sum.bars),
        Err(e) => e,
    }
}

/// Writes `lines` (one data row each, after a header) and checks that reading
/// fails on line `line` with a message containing `needle`.
fn expect_line_error(name: &str, body: &str, line: u64, needle: &str) -> DataError {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), name, body);
    let e = read_err(&path);
    let msg = e.to_string();
    assert_eq!(e.line, Some(line), "{msg}");
    assert!(
        msg.starts_with(&format!("{}:{line}: ", path.display())),
        "{msg}"
    );
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    assert_eq!(e.exit_code(), EXIT_DATA, "{msg}");
    e
}

/// A plain CSV with a header and the ten bars, row `k` (0-based) replaced.
fn plain_with_row(k: usize, row: &str) -> String {
    let bars = ten_bars();
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for (i, b) in bars.iter().enumerate() {
        if i == k {
            s.push_str(row);
        } else {
            write!(s, "{},{}", b.time, ohlcv(b)).unwrap();
        }
        s.push('\n');
    }
    s
}

// ---------------------------------------------------------------- layouts

#[test]
fn every_layout_gives_the_same_bars() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let bars = ten_bars();
    let kline_header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
    let cases: Vec<(PathBuf, Layout, TimeUnit)> = vec![
        (
            write(d, "spot-us.csv", csv(None, &bars, |b| kline_row(b, 1000))),
            Layout::BinanceKline { header: false },
            TimeUnit::Micros,
        ),
        (
            write(d, "spot-ms.csv", csv(None, &bars, |b| kline_row(b, 1))),
            Layout::BinanceKline { header: false },
            TimeUnit::Millis,
        ),
        (
            write(
                d,
                "um.csv",
                csv(Some(kline_header), &bars, |b| kline_row(b, 1)),
            ),
            Layout::BinanceKline { header: true },
            TimeUnit::Millis,
        ),
        (
            write(d, "plain.csv", plain(&bars)),
            Layout::PlainCsv { header: true },
            TimeUnit::Millis,
        ),
        (
            write(
                d,
                "plain-nohdr.csv",
                csv(None, &bars, |b| format!("{},{}", b.time, ohlcv(b))),
            ),
            Layout::PlainCsv { header: false },
            TimeUnit::Millis,
        ),
        (
            write(
                d,
                "plain-s.csv",
                csv(Some("time,open,high,low,close,volume"), &bars, |b| {
                    format!("{},{}", b.time / 1000, ohlcv(b))
                }),
            ),
            Layout::PlainCsv { header: true },
            TimeUnit::Seconds,
        ),
        (
            write(
                d,
                "norm.csv",
                csv(
                    Some("open_time_ms,open,high,low,close,volume"),
                    &bars,
                    |b| format!("{},{}", b.time, ohlcv(b)),
                ),
            ),
            Layout::NormalizedCsv,
            TimeUnit::Millis,
        ),
        (
            write(d, "ft.json", json(&bars)),
            Layout::FreqtradeJson,
            TimeUnit::Millis,
        ),
        (
            // Pretty-printed json with blanks and line breaks everywhere.
            write(
                d,
                "ft-pretty.json",
                json(&bars).replace(",", " ,\n  ").replace('[', "[ "),
            ),
            Layout::FreqtradeJson,
            TimeUnit::Millis,
        ),
        (
            // Windows line ends, a byte-order mark, quoted header, no final newline.
            write(d, "crlf.csv", {
                let mut s = format!("\u{feff}{}", plain(&bars).replace('\n', "\r\n"));
                s.truncate(s.len() - 2);
                s.replacen("timestamp", "\"timestamp\"", 1)
            }),
            Layout::PlainCsv { header: true },
            TimeUnit::Millis,
        ),
        (
            // Float timestamps and blank lines.
            write(d, "float-ts.csv", {
                let body = csv(None, &bars, |b| format!("{}.0, {}", b.time, ohlcv(b)));
                format!("\n{}\n\n", body.replace('\n', "\n\n"))
            }),
            Layout::PlainCsv { header: false },
            TimeUnit::Millis,
        ),
    ];
    for (path, layout, unit) in &cases {
        let mut file = BarFile::open(path).unwrap();
        assert_eq!(file.layout(), *layout, "{}", path.display());
        assert_eq!(file.time_unit(), Some(*unit), "{}", path.display());
        let mut got = Vec::new();
        while let Some(b) = file.next_bar().unwrap() {
            got.push(b);
        }
        assert_eq!(got, bars, "{}", path.display());
        assert_eq!(file.bars_read(), 10);
    }
}

#[test]
fn time_units_are_told_by_magnitude() {
    assert_eq!(TimeUnit::detect(99_999_999), None);
    assert_eq!(TimeUnit::detect(100_000_000), Some(TimeUnit::Seconds));
    assert_eq!(TimeUnit::detect(1_709_251_200), Some(TimeUnit::Seconds));
    assert_eq!(TimeUnit::detect(99_999_999_999), Some(TimeUnit::Seconds));
    assert_eq!(TimeUnit::detect(100_000_000_000), Some(TimeUnit::Millis));
    assert_eq!(TimeUnit::detect(T0), Some(TimeUnit::Millis));
    assert_eq!(TimeUnit::detect(99_999_999_999_999), Some(TimeUnit::Millis));
    assert_eq!(
        TimeUnit::detect(100_000_000_000_000),
        Some(TimeUnit::Micros)
    );
    assert_eq!(TimeUnit::detect(T0 * 1000), Some(TimeUnit::Micros));
    assert_eq!(
        TimeUnit::detect(99_999_999_999_999_999),
        Some(TimeUnit::Micros)
    );
    assert_eq!(TimeUnit::detect(100_000_000_000_000_000), None);
    assert_eq!(TimeUnit::detect(0), None);
    assert_eq!(TimeUnit::detect(-T0), None);
    assert_eq!(TimeUnit::Seconds.to_millis(1_709_251_200), T0);
    assert_eq!(TimeUnit::Micros.to_millis(T0 * 1000 + 999), T0);
    assert_eq!(TimeUnit::Millis.to_millis(T0), T0);
}

#[test]
fn utc_and_duration_formatting() {
    assert_eq!(format_utc(T0), "2024-03-01T00:00:00Z");
    assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_utc(951_782_400_000), "2000-02-29T00:00:00Z");
    assert_eq!(format_utc(-1), "1969-12-31T23:59:59.999Z");
    assert_eq!(format_utc(4_102_444_800_123), "2100-01-01T00:00:00.123Z");
    assert_eq!(format_duration(M15), "15m");
    assert_eq!(format_duration(4 * 3_600_000), "4h");
    assert_eq!(format_duration(2 * 86_400_000), "2d");
    assert_eq!(format_duration(90 * 60_000), "1h 30m");
    assert_eq!(format_duration(1500), "1s 500 ms");
    assert_eq!(format_duration(121_395_000), "1d 9h 43m 15s");
    assert_eq!(format_duration(29 * 86_400_000 + M15), "29d 15m");
    assert_eq!(format_duration(-M15), "-15m");
    assert_eq!(format_duration(0), "0 ms");
}

// ---------------------------------------------------------------- errors

#[test]
fn empty_and_header_only_files() {
    let dir = TempDir::new().unwrap();
    for (name, body) in [
        ("a.csv", ""),
        ("b.csv", "\n  \n\n"),
        ("c.json", "[]"),
        ("d.json", " [ \n ] \n"),
    ] {
        let path = write(dir.path(), name, body);
        let e = read_err(&path);
        assert!(matches!(e.kind, DataErrorKind::Empty), "{name}: {e}");
        assert_eq!(
            e.to_string(),
            format!("{}: the file has no rows", path.display())
        );
        assert_eq!(e.exit_code(), EXIT_DATA);
    }
    for body in [
        "timestamp,open,high,low,close,volume\n",
        "open_time_ms,open,high,low,close,volume\n\n",
    ] {
        let path = write(dir.path(), "h.csv", body);
        let e = read_err(&path);
        assert!(matches!(e.kind, DataErrorKind::HeaderOnly), "{e}");
        assert!(
            e.to_string()
                .contains("h.csv: the file has a header row but no data rows"),
            "{e}"
        );
    }
}

#[test]
fn truncated_last_line() {
    let full = plain(&ten_bars());
    // Cut inside the last row's third column: line 11 (header is line 1).
    let cut = full.len() - 25;
    let e = expect_line_error("t.csv", &full[..cut], 11, "the last line is cut short");
    assert!(
        matches!(e.kind, DataErrorKind::TruncatedLine { expected: 6, .. }),
        "{e}"
    );
    // Cut right after the last comma: all columns but an empty last one.
    let body = full.trim_end();
    let at = body.rfind(',').unwrap() + 1;
    let e = expect_line_error("t2.csv", &body[..at], 11, "cut short (6 of 6 columns");
    assert!(
        matches!(
            e.kind,
            DataErrorKind::TruncatedLine {
                expected: 6,
                got: 6
            }
        ),
        "{e}"
    );
    // A complete last line without its line end is fine.
    let dir = TempDir::new().unwrap();
    assert_eq!(
        read_all(&write(dir.path(), "ok.csv", body)).unwrap(),
        ten_bars()
    );
}

#[test]
fn wrong_column_count() {
    let b = ten_bars();
    let row = format!(
        "{},{},{},{},{}",
        b[3].time, b[3].open, b[3].high, b[3].low, b[3].close
    );
    let e = expect_line_error(
        "w.csv",
        &plain_with_row(3, &row),
        5,
        "5 columns, but the file's layout has 6",
    );
    assert!(matches!(
        e.kind,
        DataErrorKind::WrongColumnCount {
            expected: 6,
            got: 5
        }
    ));
    let row = format!("{},{},7", b[3].time, ohlcv(&b[3]));
    expect_line_error(
        "w7.csv",
        &plain_with_row(3, &row),
        5,
        "7 columns, but the file's layout has 6",
    );
}

#[test]
fn non_numeric_fields() {
    let b = &ten_bars()[2];
    let row = format!(
        "{},{},abc,{},{},{}",
        b.time, b.open, b.low, b.close, b.volume
    );
    let e = expect_line_error(
        "n.csv",
        &plain_with_row(2, &row),
        4,
        "high \"abc\" is not a number",
    );
    assert!(matches!(
        e.kind,
        DataErrorKind::NotNumber { column: "high", .. }
    ));
    let row = format!("2024-03-01 00:30,{}", ohlcv(b));
    expect_line_error(
        "n2.csv",
        &plain_with_row(2, &row),
        4,
        "time \"2024-03-01 00:30\" is not a number",
    );
    let row = format!("{},1,2,0.5,1.5,", b.time);
    expect_line_error(
        "n3.csv",
        &plain_with_row(2, &row),
        4,
        "volume \"\" is not a number",
    );
}

#[test]
fn invalid_bar_values_name_the_values() {
    let b = &ten_bars()[5];
    let t = b.time;
    let cases: [(&str, String, &str); 8] = [
        (
            "nan.csv",
            format!("{t},NaN,2,1,1.5,1"),
            "open is NaN, not a finite number",
        ),
        (
            "inf.csv",
            format!("{t},1.5,inf,1,1.5,1"),
            "high is inf, not a finite number",
        ),
        (
            "zero.csv",
            format!("{t},1.5,2,0,1.5,1"),
            "low 0.0 is not a positive price",
        ),
        (
            "neg.csv",
            format!("{t},-1.5,2,1,1.5,1"),
            "open -1.5 is not a positive price",
        ),
        (
            "vol.csv",
            format!("{t},1.5,2,1,1.5,-3"),
            "volume -3.0 is negative",
        ),
        (
            "BTCUSDT-15m.csv",
            format!("{t},102.0,101.5,102.0,101.5,1"),
            "high 101.5 is below low 102.0",
        ),
        (
            "open.csv",
            format!("{t},99,101,100,100.5,1"),
            "open 99.0 lies outside the bar's range [low 100.0, high 101.0]",
        ),
        (
            "close.csv",
            format!("{t},100.5,101,100,101.25,1"),
            "close 101.25 lies outside",
        ),
    ];
    for (name, row, needle) in cases {
        let e = expect_line_error(name, &plain_with_row(5, &row), 7, needle);
        assert!(matches!(e.kind, DataErrorKind::InvalidBar { .. }), "{e}");
    }
    // The example of the brief, verbatim (file name and line).
    let dir = TempDir::new().unwrap();
    let path = write(
        dir.path(),
        "BTCUSDT-15m.csv",
        plain_with_row(5, &format!("{t},102.0,101.5,102.0,101.5,1")),
    );
    let e = read_err(&path);
    assert_eq!(
        e.to_string(),
        format!("{}:7: high 101.5 is below low 102.0", path.display())
    );
    match e.kind {
        DataErrorKind::InvalidBar {
            error: CoreError::HighBelowLow,
            bar,
        } => assert_eq!(bar.time, t),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsorted_and_duplicate_times() {
    let bars = ten_bars();
    // Row 6 (line 8) gets row 4's time: earlier than row 5's.
    let row = format!("{},{}", bars[4].time, ohlcv(&bars[6]));
    let e = expect_line_error(
        "u.csv",
        &plain_with_row(6, &row),
        8,
        "rows are not in time order",
    );
    assert!(e.to_string().contains(&format_utc(bars[4].time)), "{e}");
    assert!(matches!(
        e.kind,
        DataErrorKind::InvalidBar {
            error: CoreError::TimeNotIncreasing { .. },
            ..
        }
    ));
    let row = format!("{},{}", bars[5].time, ohlcv(&bars[6]));
    let e = expect_line_error(
        "d.csv",
        &plain_with_row(6, &row),
        8,
        "duplicate timestamp 1709255700000",
    );
    assert!(e.to_string().contains("2024-03-01T01:15:00Z"), "{e}");
}

#[test]
fn invalid_utf8_line() {
    let mut body = plain(&ten_bars()).into_bytes();
    // Corrupt a byte on line 4 (third data row) into 0xFF.
    let line_start = body
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;
    body[line_start + 3] = 0xFF;
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "utf.csv", body);
    let e = read_err(&path);
    assert!(matches!(e.kind, DataErrorKind::InvalidUtf8), "{e}");
    assert_eq!(e.line, Some(4));
    assert!(
        e.to_string()
            .starts_with(&format!("{}:4: ", path.display()))
    );
}

#[test]
fn timestamps_out_of_range_and_mixed_units_in_a_file() {
    let bars = ten_bars();
    let row = format!("12345,{}", ohlcv(&bars[1]));
    let e = expect_line_error(
        "ts.csv",
        &plain_with_row(1, &row),
        3,
        "timestamp 12345 is not a Unix epoch time",
    );
    assert!(matches!(e.kind, DataErrorKind::BadTimestamp { raw: 12345 }));
    let row = format!("{},{}", bars[4].time * 1000, ohlcv(&bars[4]));
    let e = expect_line_error(
        "mix.csv",
        &plain_with_row(4, &row),
        6,
        "in microseconds, but the file's first timestamp is in milliseconds",
    );
    assert!(matches!(
        e.kind,
        DataErrorKind::MixedTimeUnits {
            expected: TimeUnit::Millis,
            got: TimeUnit::Micros,
            other: None
        }
    ));
}

#[test]
fn layout_problems() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let e = read_err(&write(d, "seven.csv", "1709251200000,1,2,0.5,1.5,3,4\n"));
    assert!(matches!(e.kind, DataErrorKind::UnknownLayout { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("seven.csv:1: unrecognized data layout: the first row has 7 columns"),
        "{e}"
    );
    let e = read_err(&write(d, "hdr.csv", "date,price\n2024-03-01,1\n"));
    assert!(
        e.to_string()
            .contains("hdr.csv:1: unrecognized data layout: header \"date,price\""),
        "{e}"
    );
    let e = read_err(&write(d, "x.zip", b"PK\x03\x04\x14\0\0\0"));
    assert!(e.to_string().contains("not a valid zip archive"), "{e}");
    assert_eq!(e.exit_code(), 3);
    let long = format!("{}\n", "1".repeat(5000));
    let e = read_err(&write(d, "long.csv", long));
    assert!(
        matches!(e.kind, DataErrorKind::LineTooLong { max: 4096 }),
        "{e}"
    );
    assert_eq!(e.line, Some(1));
    let e = read_err(&d.join("missing.csv"));
    assert!(matches!(e.kind, DataErrorKind::NotFound));
    assert_eq!(e.exit_code(), EXIT_USAGE);
}

#[test]
fn json_problems_name_line_and_candle() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let bars = ten_bars();
    let good = json(&bars);
    // Candle 4 has five values.
    let five = good.replacen(&format!(",{}]", bars[3].volume), "]", 1);
    let e = read_err(&write(d, "five.json", five));
    assert!(
        matches!(
            e.kind,
            DataErrorKind::WrongColumnCount {
                expected: 6,
                got: 5
            }
        ),
        "{e}"
    );
    assert_eq!(e.record, Some(4));
    assert!(
        e.to_string().contains("five.json:1: candle 4: 5 columns"),
        "{e}"
    );
    // Truncated file: ends inside candle 10.
    let cut = &good[..good.len() - 9];
    let e = read_err(&write(d, "cut.json", cut));
    assert!(
        matches!(e.kind, DataErrorKind::JsonSyntax { found: None, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("candle 10: "), "{e}");
    // Missing the closing bracket of the list.
    let e = read_err(&write(d, "open.json", &good[..good.len() - 1]));
    assert!(
        e.to_string()
            .ends_with("expected ',' or ']' after a candle, found the end of the file"),
        "{e}"
    );
    // Garbage after the list.
    let e = read_err(&write(d, "tail.json", format!("{good}\n[]")));
    assert!(
        e.to_string()
            .contains("tail.json:2: candle 10: expected the end of the file"),
        "{e}"
    );
    // A string value, on line 3 of a multi-line file.
    let e = read_err(&write(
        d,
        "str.json",
        format!(
            "[\n{},\n[\"x\",1,2,3,4,5]]",
            &good[1..good.find("],").unwrap() + 1]
        ),
    ));
    assert!(
        e.to_string()
            .contains("str.json:3: candle 2: expected a number, found '\"'"),
        "{e}"
    );
    // NaN as Python writes it is read, then refused with its value.
    let nan = good.replacen(&bars[2].high.to_string(), "NaN", 1);
    let e = read_err(&write(d, "nan.json", nan));
    assert!(
        e.to_string()
            .contains("candle 3: high is NaN, not a finite number"),
        "{e}"
    );
    // null is not a number.
    let null = good.replacen(&format!(",{}]", bars[1].volume), ",null]", 1);
    let e = read_err(&write(d, "null.json", null));
    assert!(
        e.to_string()
            .contains("candle 2: volume \"null\" is not a number"),
        "{e}"
    );
}

#[test]
fn exit_codes_by_class() {
    let usage = [
        DataErrorKind::NotFound,
        DataErrorKind::NoUsableFiles {
            detail: String::new(),
        },
        DataErrorKind::UnknownTimeframe {
            name: String::new(),
        },
        DataErrorKind::NoSymbol,
        DataErrorKind::SymbolConflict {
            first: String::new(),
            second: String::new(),
        },
        DataErrorKind::TimeframeConflict {
            file_minutes: 15,
            requested_minutes: 60,
        },
        DataErrorKind::MixedTimeframes {
            first: 15,
            second: 60,
        },
    ];
    for k in usage {
        assert_eq!(DataError::new("f", k).exit_code(), 2);
    }
    let io = [
        DataErrorKind::Io(std::io::Error::other("x")),
        DataErrorKind::InputChanged,
        DataErrorKind::BadCache { detail: "x" },
    ];
    for k in io {
        assert_eq!(DataError::new("f", k).exit_code(), 4);
    }
    assert_eq!(
        DataError::new("f", DataErrorKind::InvalidUtf8).exit_code(),
        3
    );
    assert_eq!((EXIT_USAGE, EXIT_DATA, EXIT_IO), (2, 3, 4));
}

// ---------------------------------------------------------------- series checks

#[test]
fn off_grid_bars_are_skipped_and_counted_or_refused_with_strict() {
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    let strict = |s: SeriesSpec| SeriesSpec {
        policy: BarPolicy {
            strict: true,
            ..BarPolicy::default()
        },
        ..s
    };
    // 5m data in a file named 15m: 4 bars on the 15m grid, 6 off it.
    let five: Vec<Bar> = bars
        .iter()
        .enumerate()
        .map(|(i, b)| Bar {
            time: T0 + i as i64 * 300_000,
            ..*b
        })
        .collect();
    let path = write(dir.path(), "BTCUSDT-15m.csv", plain(&five));
    let e = series_err(&spec("BTCUSDT", &[&path]));
    assert!(
        matches!(
            e.kind,
            DataErrorKind::MostlyOffGrid {
                timeframe_ms: 900_000,
                off_grid: 6,
                on_grid: 4
            }
        ),
        "{e}"
    );
    assert_eq!(e.exit_code(), EXIT_DATA);
    assert!(e.to_string().contains("BTCUSDT-15m.csv: 6 of 10 bars do not open on the 15m grid (multiples of 15m from 00:00 UTC): wrong timeframe, or times in another zone than UTC?"), "{e}");
    // --strict stops at the first one, with its line.
    let e = series_err(&strict(spec("BTCUSDT", &[&path])));
    assert!(
        matches!(e.kind, DataErrorKind::OffGrid { timeframe_ms: 900_000, time } if time == T0 + 300_000),
        "{e}"
    );
    assert_eq!(e.line, Some(3));
    assert!(
        e.to_string().contains(
            "BTCUSDT-15m.csv:3: this bar opens at 2024-03-01T00:05:00Z, off the 15m grid"
        ),
        "{e}"
    );
    // Three bars late by 5 minutes from bar 7 on: skipped and counted by default.
    let mut odd = bars.clone();
    for b in &mut odd[7..] {
        b.time += 5 * 60_000;
    }
    let path = write(dir.path(), "odd.csv", plain(&odd));
    let mut seen = Vec::new();
    let sum = for_each_bar(&spec("BTCUSDT", &[&path]), |b| seen.push(*b)).unwrap();
    assert_eq!(seen, bars[..7]);
    assert_eq!((sum.bars, sum.off_grid(), sum.gaps), (7, 3, 0));
    assert_eq!(sum.files[0].off_grid, 3);
    assert_eq!(sum.files[0].unit, Some(TimeUnit::Millis));
    let e = series_err(&strict(spec("BTCUSDT", &[&path])));
    assert_eq!(e.line, Some(9), "{e}");
    assert!(matches!(e.kind, DataErrorKind::OffGrid { .. }));
    // One stray bar between two good ones (as in Binance's 2018 BNB 15m data): the
    // bars around it stay one step apart, so no gap is counted either.
    let mut stray = bars.clone();
    stray.insert(
        5,
        Bar {
            time: bars[4].time + 7 * 60_000,
            ..bars[4]
        },
    );
    let path = write(dir.path(), "stray.csv", plain(&stray));
    let mut seen = Vec::new();
    let sum = for_each_bar(&spec("BTCUSDT", &[&path]), |b| seen.push(*b)).unwrap();
    assert_eq!(seen, bars);
    assert_eq!((sum.bars, sum.off_grid(), sum.gaps), (10, 1, 0));
}

#[test]
fn implausible_bars_are_skipped_and_counted_a_new_level_is_refused() {
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    let policy = |strict: bool, max_jump: u32| BarPolicy { strict, max_jump };
    let with = |p: BarPolicy, path: &Path| SeriesSpec {
        policy: p,
        ..spec("BTCUSDT", &[path])
    };
    // A bad print: bar 4's high at 1e308, bar 6's low at a thousandth of the price.
    let mut printed = bars.clone();
    printed[4].high = 1e308;
    printed[6].low = 61.0;
    let path = write(dir.path(), "print.csv", plain(&printed));
    let mut seen = Vec::new();
    let sum = for_each_bar(&spec("BTCUSDT", &[&path]), |b| seen.push(*b)).unwrap();
    let expected: Vec<Bar> = bars
        .iter()
        .enumerate()
        .filter(|(i, _)| ![4, 6].contains(i))
        .map(|(_, b)| *b)
        .collect();
    assert_eq!(seen, expected);
    assert_eq!((sum.bars, sum.implausible(), sum.gaps), (8, 2, 2));
    let e = series_err(&with(policy(true, 10), &path));
    assert_eq!(e.line, Some(6), "{e}");
    assert!(
        matches!(
            e.kind,
            DataErrorKind::ImplausibleBar {
                level_shift: false,
                max_jump: 10,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("print.csv:6: implausible bar: high 1e308 / low 61283.6 against the previous close 61501.11 (more than 10× away)"), "{e}");
    // The factor is the user's: at 1e309 nothing is implausible, 0 turns the check off.
    for p in [policy(false, 0), policy(true, 0)] {
        assert_eq!(for_each_bar(&with(p, &path), |_| {}).unwrap().bars, 10);
    }
    // Just inside and just outside the factor (the previous close is 61,001.0).
    let mut edge = bars.clone();
    edge[9].high = 61_001.0 * 10.0;
    edge[9].close = edge[9].high;
    let path = write(dir.path(), "edge.csv", plain(&edge));
    assert_eq!(
        for_each_bar(&spec("BTCUSDT", &[&path]), |_| {})
            .unwrap()
            .implausible(),
        0
    );
    edge[9].high = 61_001.0 * 10.0 * 1.000_001;
    let path = write(dir.path(), "edge2.csv", plain(&edge));
    assert_eq!(
        for_each_bar(&spec("BTCUSDT", &[&path]), |_| {})
            .unwrap()
            .implausible(),
        1
    );
    // A new price level: bars 5.. at 1000×. Bars 5, 6 and 7 are skipped as prints,
    // bar 8 (the fourth in a row) makes it an error that names the way out.
    let shifted = prices_scaled_from(&bars, 5, 1000.0);
    let path = write(dir.path(), "shift.csv", plain(&shifted));
    let e = series_err(&spec("BTCUSDT", &[&path]));
    assert_eq!(e.line, Some(10), "{e}");
    assert!(
        matches!(
            e.kind,
            DataErrorKind::ImplausibleBar {
                level_shift: true,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("pass --max-jump 0 to accept it"),
        "{e}"
    );
    assert_eq!(
        for_each_bar(&with(policy(false, 0), &path), |_| {})
            .unwrap()
            .bars,
        10
    );
}

#[test]
fn a_longer_timeframe_read_as_a_shorter_one_is_refused() {
    // 1h bars in a file named 15m: every bar is on the 15m grid, every step is 4 bars.
    let dir = TempDir::new().unwrap();
    let hourly: Vec<Bar> = ten_bars()
        .iter()
        .enumerate()
        .map(|(i, b)| Bar {
            time: T0 + i as i64 * 4 * M15,
            ..*b
        })
        .collect();
    let path = write(dir.path(), "BTCUSDT-15m.csv", plain(&hourly));
    let e = series_err(&spec("BTCUSDT", &[&path]));
    assert!(
        matches!(
            e.kind,
            DataErrorKind::TimeframeTooShort {
                timeframe_ms: 900_000,
                smallest_step_ms: 3_600_000
            }
        ),
        "{e}"
    );
    assert_eq!(e.exit_code(), EXIT_DATA);
    assert!(
        e.to_string().contains("the data is probably 1h bars"),
        "{e}"
    );
    // Read as 1h it is fine; and two 15m bars across one gap are not judged.
    let mut s1h = spec("BTCUSDT", &[&path]);
    s1h.timeframe_minutes = 60;
    assert_eq!(for_each_bar(&s1h, |_| {}).unwrap().bars, 10);
    let two = write(dir.path(), "two.csv", plain(&hourly[..2]));
    assert_eq!(
        for_each_bar(&spec("BTCUSDT", &[&two]), |_| {})
            .unwrap()
            .gaps,
        1
    );
}

#[test]
fn far_apart_files_of_one_symbol_are_not_merged_silently() {
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    let shifted = |days: i64| -> Vec<Bar> {
        bars.iter()
            .map(|b| Bar {
                time: b.time + days * 86_400_000,
                ..*b
            })
            .collect()
    };
    let a = write(dir.path(), "BTCUSDT-15m-2024-03.csv", plain(&bars));
    // 29 days later (one missing monthly file): allowed, one gap.
    let b = write(dir.path(), "BTCUSDT-15m-2024-04.csv", plain(&shifted(29)));
    let sum = for_each_bar(&spec("BTCUSDT", &[&a, &b]), |_| {}).unwrap();
    assert_eq!((sum.bars, sum.gaps), (20, 1));
    // 11 months later: an error naming both files and what to do.
    let c = write(dir.path(), "BTCUSDT-15m-2025-02.csv", plain(&shifted(335)));
    let e = series_err(&spec("BTCUSDT", &[&a, &c]));
    let DataErrorKind::SeriesGap(g) = &e.kind else {
        panic!("{e}")
    };
    assert_eq!(
        (g.before, g.after),
        (bars[9].time, bars[0].time + 335 * 86_400_000)
    );
    assert_eq!(g.previous_file.as_deref(), Some(a.as_path()));
    assert_eq!(e.exit_code(), EXIT_USAGE);
    let text = e.to_string();
    for needle in [
        "BTCUSDT-15m-2025-02.csv:2: BTCUSDT has no bars from 2024-03-01T02:15:00Z to 2025-01-30T00:00:00Z (334d 21h 45m), more than the 32d a series may miss (between ",
        "use --timerange to pick one period",
    ] {
        assert!(text.contains(needle), "{text}");
    }
    // --timerange picks one side.
    let mut one = spec("BTCUSDT", &[&a, &c]);
    one.range = TimeRange::parse("20250101-").unwrap();
    assert_eq!(for_each_bar(&one, |_| {}).unwrap().bars, 10);
}

#[test]
fn one_symbol_from_spot_and_futures_is_an_error() {
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    let spot = dir.path().join("data/spot/monthly/klines/BTCUSDT/15m");
    let um = dir
        .path()
        .join("data/futures/um/monthly/klines/BTCUSDT/15m");
    fs::create_dir_all(&spot).unwrap();
    fs::create_dir_all(&um).unwrap();
    let a = write(&spot, "BTCUSDT-15m-2024-03.csv", plain(&bars[..5]));
    let b = write(&um, "BTCUSDT-15m-2024-04.csv", plain(&bars[5..]));
    let e = discover(&[spot.clone(), um.clone()], &DiscoverOptions::default()).unwrap_err();
    assert!(
        matches!(&e.kind, DataErrorKind::MixedMarkets { first: "spot", second: "futures", first_file } if *first_file == a),
        "{e}"
    );
    assert_eq!(e.file, b);
    assert_eq!(e.exit_code(), EXIT_USAGE);
    assert!(
        e.to_string()
            .contains("spot and futures are different instruments"),
        "{e}"
    );
    // Names say the market too; a path that says nothing joins either.
    let c = write(
        dir.path(),
        "binance-um-ETHUSDT-15m-2024-03.csv",
        plain(&bars[..5]),
    );
    let d = write(
        dir.path(),
        "binance-spot-ETHUSDT-15m-2024-04.csv",
        plain(&bars[5..]),
    );
    let e = discover(&[c, d.clone()], &DiscoverOptions::default()).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::MixedMarkets { .. }), "{e}");
    let plain_name = write(dir.path(), "ETHUSDT-15m-2024-03.csv", plain(&bars[..5]));
    let specs = discover(&[plain_name, d], &DiscoverOptions::default()).unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].files.len(), 2);
}

#[test]
fn gaps_are_counted() {
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    // Gaps: drop bars 2 and 3 (one step of 45m) and bar 7 (one step of 30m).
    let gappy: Vec<Bar> = bars
        .iter()
        .enumerate()
        .filter(|(i, _)| ![2, 3, 7].contains(i))
        .map(|(_, b)| *b)
        .collect();
    let path = write(dir.path(), "gaps.csv", plain(&gappy));
    let mut seen = Vec::new();
    let sum = for_each_bar(&spec("BTCUSDT", &[&path]), |b| seen.push(*b)).unwrap();
    assert_eq!(seen, gappy);
    assert_eq!((sum.bars, sum.gaps, sum.largest_gap_ms), (7, 2, 3 * M15));
    assert_eq!((sum.first_time, sum.last_time), (T0, T0 + 9 * M15));
}

#[test]
fn units_may_differ_between_files_of_a_series() {
    // Binance spot monthly files switched from ms to µs on 2025-01-01: each file's unit
    // is detected on its own, and the series reads as if every file were in ms.
    let dir = TempDir::new().unwrap();
    let bars = ten_bars();
    let a = write(
        dir.path(),
        "BTCUSDT-15m-2024-12.csv",
        csv(None, &bars[..5], |b| kline_row(b, 1)),
    );
    let b = write(
        dir.path(),
        "BTCUSDT-15m-2025-01.csv",
        csv(None, &bars[5..], |b| kline_row(b, 1000)),
    );
    let mut seen = Vec::new();
    let sum = for_each_bar(&spec("BTCUSDT", &[&a, &b]), |x| seen.push(*x)).unwrap();
    assert_eq!(seen, bars);
    assert_eq!(sum.bars, 10);
    let specs = discover(&[dir.path().to_path_buf()], &DiscoverOptions::default()).unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].files, vec![a, b]);
}

// ---------------------------------------------------------------- naming

#[test]
fn symbol_and_timeframe_from_file_names() {
    for name in [
        "BTCUSDT-15m.csv",
        "BTC_USDT-15m.json",
        "BTCUSDT-15m-2024-03.csv",
        "binance-spot-BTCUSDT-15m-2024-03.csv",
        "binance-um-BTCUSDT-15m-2024-03.csv",
        "freqtrade-BTC_USDT-15m.json",
        "ccxt-BTCUSDT-15m.csv",
        "BTCUSDT-15m-futures.json",
        "BTC_USDT_USDT-15m-futures.json",
        "some/dir/btcusdt-15m.csv",
        "BTC-USDT-15m.csv",
        "ccxt-BTC-USDT-15m-2024-03.csv",
    ] {
        let n = parse_file_name(name);
        assert_eq!(n.symbol.as_deref(), Some("BTCUSDT"), "{name}");
        assert_eq!(n.timeframe_minutes, Some(15), "{name}");
    }
    let minutes = [1, 3, 5, 15, 30, 60, 120, 240, 360, 480, 720, 1440];
    for (label, m) in [
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
    ]
    .iter()
    .zip(minutes)
    {
        assert_eq!(parse_timeframe(label), Some(m));
        assert_eq!(timeframe_label(m), *label);
        assert_eq!(
            parse_file_name(&format!("ETHUSDT-{label}.csv")).timeframe_minutes,
            Some(m)
        );
    }
    // A bare quote after a source prefix is not a pair; ETH as a base stays.
    assert_eq!(
        parse_file_name("binance-USDT-15m.csv").symbol.as_deref(),
        Some("USDT")
    );
    assert_eq!(
        parse_file_name("ETH-BTC-1h.csv").symbol.as_deref(),
        Some("ETHBTC")
    );
    assert_eq!(parse_timeframe("1M"), None);
    assert_eq!(parse_timeframe("10m"), None);
    assert_eq!(
        parse_file_name("BTCUSDT-1M-2024-03.csv").timeframe_minutes,
        None
    );
    assert_eq!(
        parse_file_name("BTCUSDT.csv").symbol.as_deref(),
        Some("BTCUSDT")
    );
    assert_eq!(parse_file_name("data.csv"), Default::default());
    assert_eq!(parse_file_name("my-data.csv"), Default::default());
}

// ---------------------------------------------------------------- discovery

#[test]
fn discover_folders_files_and_filters() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let bars = ten_bars();
    write(d, "ETHUSDT-15m.json", json(&bars));
    write(d, "BTCUSDT-15m.csv", plain(&bars));
    write(d, "BTCUSDT-1h.csv", plain(&bars));
    write(d, "README.md", "# data\n");
    write(d, "notes.txt", "hello");
    write(d, "BTCUSDT-15m.feather", "ARROW1");
    fs::create_dir(d.join("sub")).unwrap();
    write(&d.join("sub"), "XRPUSDT-15m.csv", plain(&bars));
    let opts15 = DiscoverOptions {
        symbol: None,
        timeframe: Some(15),
    };
    let specs = discover(&[d.to_path_buf()], &opts15).unwrap();
    let got: Vec<(&str, u32, usize)> = specs
        .iter()
        .map(|s| (s.symbol.as_str(), s.timeframe_minutes, s.files.len()))
        .collect();
    assert_eq!(got, [("BTCUSDT", 15, 1), ("ETHUSDT", 15, 1)]);
    assert_eq!(specs[0].files, [d.join("BTCUSDT-15m.csv")]);
    // The same file named twice is read once.
    let twice = discover(&[d.to_path_buf(), d.join("BTCUSDT-15m.csv")], &opts15).unwrap();
    assert_eq!(twice, specs);
    // Without a timeframe the folder holds two: refused.
    let e = discover(&[d.to_path_buf()], &DiscoverOptions::default()).unwrap_err();
    assert!(
        matches!(
            e.kind,
            DataErrorKind::MixedTimeframes {
                first: 15,
                second: 60
            }
        ),
        "{e}"
    );
    assert_eq!(e.exit_code(), EXIT_USAGE);
    // 1h selects the other file.
    let specs = discover(
        &[d.to_path_buf()],
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(60),
        },
    )
    .unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].timeframe_minutes, 60);
    // An explicit file of another timeframe is an error, not silently skipped.
    let e = discover(&[d.join("BTCUSDT-1h.csv")], &opts15).unwrap_err();
    assert!(
        matches!(
            e.kind,
            DataErrorKind::TimeframeConflict {
                file_minutes: 60,
                requested_minutes: 15
            }
        ),
        "{e}"
    );
    // The symbol option on a folder of two symbols conflicts.
    let e = discover(
        &[d.to_path_buf()],
        &DiscoverOptions {
            symbol: Some("SOLUSDT".into()),
            timeframe: Some(15),
        },
    )
    .unwrap_err();
    assert!(
        matches!(e.kind, DataErrorKind::SymbolConflict { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("BTCUSDT and ETHUSDT"), "{e}");
    // Unsupported timeframe option.
    let e = discover(
        &[d.to_path_buf()],
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(7),
        },
    )
    .unwrap_err();
    assert!(
        matches!(e.kind, DataErrorKind::UnknownTimeframe { .. }),
        "{e}"
    );
    // Missing input.
    let e = discover(&[d.join("nope")], &opts15).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::NotFound));
    assert_eq!(e.exit_code(), EXIT_USAGE);
}

#[test]
fn discover_single_file_with_overrides() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "data.csv", plain(&ten_bars()));
    let e = discover(std::slice::from_ref(&path), &DiscoverOptions::default()).unwrap_err();
    assert!(
        matches!(e.kind, DataErrorKind::UnknownTimeframe { .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("data.csv: no supported timeframe in \"data.csv\""),
        "{e}"
    );
    let e = discover(
        std::slice::from_ref(&path),
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(15),
        },
    )
    .unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::NoSymbol), "{e}");
    let opts = DiscoverOptions {
        symbol: Some("btc/usdt".into()),
        timeframe: Some(15),
    };
    let specs = discover(std::slice::from_ref(&path), &opts).unwrap();
    assert_eq!(
        specs,
        [SeriesSpec {
            symbol: "BTCUSDT".into(),
            timeframe_minutes: 15,
            files: vec![path.clone()],
            range: TimeRange::ALL,
            policy: BarPolicy::default(),
        }]
    );
    let e = discover(
        &[path],
        &DiscoverOptions {
            symbol: Some("BTC USDT!".into()),
            timeframe: Some(15),
        },
    )
    .unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::InvalidSymbol { .. }), "{e}");
}

#[test]
fn folder_without_usable_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "README.md", "# nothing\n");
    write(d, "notes.txt", "x");
    fs::create_dir(d.join("deeper")).unwrap();
    write(&d.join("deeper"), "BTCUSDT-15m.csv", plain(&ten_bars()));
    let e = discover(&[d.to_path_buf()], &DiscoverOptions::default()).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::NoUsableFiles { .. }), "{e}");
    assert_eq!(e.file, d);
    assert!(
        e.to_string()
            .contains("no .csv, .json or .zip files in this folder"),
        "{e}"
    );
    assert_eq!(e.exit_code(), EXIT_USAGE);
    write(d, "BTCUSDT-1h.csv", plain(&ten_bars()));
    let e = discover(
        &[d.to_path_buf()],
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(15),
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("none of the 1 .csv/.json/.zip files in this folder is of timeframe 15m"),
        "{e}"
    );
}

#[test]
fn monthly_files_form_one_series_in_time_order() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let bars = ten_bars();
    // Name order differs from time order on purpose.
    let late = write(d, "a-BTCUSDT-15m-2024-03.csv", plain(&bars[6..]));
    let early = write(d, "b-BTCUSDT-15m-2024-02.json", json(&bars[..3]));
    let middle = write(
        d,
        "c-BTCUSDT-15m.csv",
        csv(None, &bars[3..6], |b| kline_row(b, 1)),
    );
    let specs = discover(&[d.to_path_buf()], &DiscoverOptions::default()).unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].files, [early, middle.clone(), late.clone()]);
    let mut seen = Vec::new();
    let sum = for_each_bar(&specs[0], |b| seen.push(*b)).unwrap();
    assert_eq!(seen, bars);
    assert_eq!((sum.bars, sum.gaps), (10, 0));

    // Overlap: the middle file now runs into the last one.
    fs::write(&middle, csv(None, &bars[3..8], |b| kline_row(b, 1))).unwrap();
    let specs = discover(&[d.to_path_buf()], &DiscoverOptions::default()).unwrap();
    let e = build_cache(&specs[0], &d.join("cache")).unwrap_err();
    assert!(
        matches!(
            e.kind,
            DataErrorKind::FilesOverlap {
                previous_last: Some(_),
                ..
            }
        ),
        "{e}"
    );
    assert_eq!((e.file.clone(), e.line), (late, Some(2)));
    assert!(e.to_string().contains("overlaps"), "{e}");
    assert!(e.to_string().contains(&format_utc(bars[7].time)), "{e}");
    assert_eq!(e.exit_code(), EXIT_DATA);
    assert!(
        fs::read_dir(d.join("cache")).unwrap().next().is_none(),
        "a failed build leaves nothing"
    );

    // Two files starting at the same time are refused by discovery already.
    write(d, "d-BTCUSDT-15m.csv", plain(&bars[..2]));
    let e = discover(&[d.to_path_buf()], &DiscoverOptions::default()).unwrap_err();
    assert!(
        matches!(
            e.kind,
            DataErrorKind::FilesOverlap {
                previous_last: None,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("both files start at 2024-03-01T00:00:00Z"),
        "{e}"
    );
}

// ---------------------------------------------------------------- cache

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_cache(path: &Path) -> Vec<Bar> {
    let mut r = SeriesReader::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(b) = r.next_bar().unwrap() {
        out.push(b);
    }
    out
}

#[test]
fn cache_round_trip_reuse_and_invalidation() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let cache_dir = d.join("cache");
    let bars = ten_bars();
    let a = write(d, "BTCUSDT-15m-2024-01.csv", plain(&bars[..4]));
    let b = write(d, "BTCUSDT-15m-2024-02.json", json(&bars[6..]));
    let s = spec("BTCUSDT", &[&a, &b]);
    let first = build_cache(&s, &cache_dir).unwrap();
    assert!(!first.reused);
    let name = first.path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("BTCUSDT-15m-")
            && name.ends_with(".bars")
            && name.len() == "BTCUSDT-15m-.bars".len() + 16,
        "{name}"
    );
    assert_eq!(first.path.parent(), Some(cache_dir.as_path()));
    // Header, 8 records, one entry per input file.
    assert_eq!(
        fs::metadata(&first.path).unwrap().len(),
        104 + 8 * 48 + 2 * 32
    );
    assert_eq!(
        (first.bars, first.first_time, first.last_time),
        (8, T0, T0 + 9 * M15)
    );
    assert_eq!((first.gaps, first.largest_gap_ms), (1, 3 * M15));
    assert_eq!(
        first.input_sha256,
        vec![(a.clone(), sha256_hex(&a)), (b.clone(), sha256_hex(&b))]
    );
    let expected: Vec<Bar> = bars[..4].iter().chain(&bars[6..]).copied().collect();
    assert_eq!(read_cache(&first.path), expected);
    // Only the cache file is left: no temporary files.
    assert_eq!(fs::read_dir(&cache_dir).unwrap().count(), 1);

    // Unchanged inputs: reused, not rewritten.
    let stamp = fs::metadata(&first.path).unwrap().modified().unwrap();
    let again = build_cache(&s, &cache_dir).unwrap();
    assert!(again.reused);
    assert_eq!(CachedReuse::strip(&again), CachedReuse::strip(&first));
    assert_eq!(
        fs::metadata(&again.path).unwrap().modified().unwrap(),
        stamp
    );

    // Changed content (one volume): new key, new file, new values.
    let mut changed = bars.clone();
    changed[1].volume = 777.0;
    fs::write(&a, plain(&changed[..4])).unwrap();
    let third = build_cache(&s, &cache_dir).unwrap();
    assert!(!third.reused);
    assert_ne!(third.path, first.path);
    assert_eq!(read_cache(&third.path)[1].volume, 777.0);
    assert_ne!(third.input_sha256[0].1, first.input_sha256[0].1);
    assert_eq!(third.input_sha256[1], first.input_sha256[1]);

    // A damaged cache file of the current key is rebuilt, not trusted.
    let f = fs::OpenOptions::new()
        .write(true)
        .open(&third.path)
        .unwrap();
    f.set_len(96 + 3 * 48).unwrap();
    drop(f);
    let e = SeriesReader::open(&third.path).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::BadCache { .. }), "{e}");
    assert_eq!(e.exit_code(), EXIT_IO);
    let fourth = build_cache(&s, &cache_dir).unwrap();
    assert!(!fourth.reused);
    assert_eq!(fourth.path, third.path);
    assert_eq!(read_cache(&fourth.path).len(), 8);

    // The same bytes read as 5m bars are refused (no two bars 5m apart), and no
    // cache file is left behind for them.
    let s5 = SeriesSpec {
        timeframe_minutes: 5,
        ..s.clone()
    };
    let files = || fs::read_dir(&cache_dir).unwrap().count();
    let before = files();
    let e = build_cache(&s5, &cache_dir).unwrap_err();
    assert!(
        matches!(e.kind, DataErrorKind::TimeframeTooShort { .. }),
        "{e}"
    );
    assert_eq!(files(), before);
}

/// The fields of a [`CachedSeries`] that must not depend on reuse.
#[derive(Debug, PartialEq)]
struct CachedReuse(
    String,
    u32,
    PathBuf,
    u64,
    i64,
    i64,
    u64,
    i64,
    Vec<(PathBuf, String)>,
);

impl CachedReuse {
    fn strip(c: &phasebound::data::CachedSeries) -> Self {
        Self(
            c.symbol.clone(),
            c.timeframe_minutes,
            c.path.clone(),
            c.bars,
            c.first_time,
            c.last_time,
            c.gaps,
            c.largest_gap_ms,
            c.input_sha256.clone(),
        )
    }
}

#[test]
fn garbage_is_not_a_cache() {
    let dir = TempDir::new().unwrap();
    let e = SeriesReader::open(&write(dir.path(), "x.bars", "not a cache")).unwrap_err();
    assert!(
        e.to_string()
            .contains("not a valid bar cache file: shorter than its header"),
        "{e}"
    );
    let e = SeriesReader::open(&write(dir.path(), "y.bars", [7_u8; 96 + 48])).unwrap_err();
    assert!(e.to_string().contains("wrong magic bytes"), "{e}");
}

// ---------------------------------------------------------------- merge

/// Bars at the given 15m slots (offsets from T0), prices varying with symbol and slot.
fn bars_at(symbol: usize, slots: &[i64]) -> Vec<Bar> {
    slots
        .iter()
        .map(|&k| {
            let p = 100.0 * (symbol as f64 + 1.0) + k as f64;
            Bar {
                time: T0 + k * M15,
                open: p,
                high: p + 1.0,
                low: p - 1.0,
                close: p + 0.5,
                volume: k as f64,
            }
        })
        .collect()
}

#[test]
fn merge_is_chronological_then_by_symbol() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let series = [
        bars_at(0, &(0..20).collect::<Vec<_>>()),
        // Gappy, with one pair one step apart (else it would read as a 45m series).
        bars_at(1, &[0, 1, 3, 6, 9, 12, 15, 18]),
        bars_at(2, &[5, 6, 7, 15, 16, 30, 31]),
    ];
    let mut cached = Vec::new();
    for (i, bars) in series.iter().enumerate() {
        let sym = ["AAAUSDT", "BBBUSDT", "CCCUSDT"][i];
        let path = write(d, &format!("{sym}-15m.csv"), plain(bars));
        cached.push(build_cache(&spec(sym, &[&path]), &d.join("cache")).unwrap());
    }
    // Independent expectation: all bars tagged, sorted by (time, index).
    let mut all: Vec<(u16, Bar)> = series
        .iter()
        .enumerate()
        .flat_map(|(i, bars)| bars.iter().map(move |b| (i as u16, *b)))
        .collect();
    all.sort_by_key(|(i, b)| (b.time, *i));
    let open = || {
        cached
            .iter()
            .map(|c| SeriesReader::open_cached(c).unwrap())
            .collect::<Vec<_>>()
    };

    let mut merged = Merged::new(open(), TimeRange::ALL).unwrap();
    assert_eq!(merged.series(), 3);
    let mut got = Vec::new();
    while let Some(item) = merged.next_bar().unwrap() {
        got.push(item);
    }
    assert_eq!(got, all);
    assert_eq!(merged.next_bar().unwrap(), None);

    for (from, to) in [
        (Some(T0 + 6 * M15), Some(T0 + 16 * M15)),
        (Some(T0 + 6 * M15 + 1), None),
        (None, Some(T0 + 3 * M15)),
        (Some(T0 + 40 * M15), None),
    ] {
        let range = TimeRange { from, to };
        let got: Vec<(u16, Bar)> = Merged::new(open(), range)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let want: Vec<(u16, Bar)> = all
            .iter()
            .copied()
            .filter(|(_, b)| range.contains(b.time))
            .collect();
        assert_eq!(got, want, "{from:?}..{to:?}");
    }
}

#[test]
fn series_reader_seeks_by_time() {
    let dir = TempDir::new().unwrap();
    let slots = [0, 1, 2, 5, 6, 9];
    let path = write(dir.path(), "SEEK-15m.csv", plain(&bars_at(0, &slots)));
    let c = build_cache(&spec("SEEK", &[&path]), &dir.path().join("c")).unwrap();
    let mut r = SeriesReader::open_cached(&c).unwrap();
    assert_eq!(
        (
            r.bars(),
            r.timeframe_minutes(),
            r.first_time(),
            r.last_time()
        ),
        (6, 15, T0, T0 + 9 * M15)
    );
    for (t, want) in [
        (T0 - 1, Some(0)),
        (T0 + 3 * M15, Some(5)),
        (T0 + 5 * M15, Some(5)),
        (T0 + 9 * M15, Some(9)),
        (T0 + 9 * M15 + 1, None),
    ] {
        r.seek_to_time(t).unwrap();
        assert_eq!(
            r.next_bar().unwrap().map(|b| (b.time - T0) / M15),
            want,
            "seek {t}"
        );
    }
    r.rewind().unwrap();
    assert_eq!(r.next_bar().unwrap().map(|b| b.time), Some(T0));
}

// ---------------------------------------------------------------- real data

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: ../shared/data not found");
        None
    }
}

#[test]
fn real_raw_formats_agree() {
    let Some(data) = shared_data() else { return };
    let raw = data.join("raw-formats");
    let names = [
        (
            "binance-spot-BTCUSDT-15m-2024-03.csv",
            Layout::BinanceKline { header: false },
            TimeUnit::Micros,
        ),
        (
            "binance-um-BTCUSDT-15m-2024-03.csv",
            Layout::BinanceKline { header: true },
            TimeUnit::Millis,
        ),
        (
            "freqtrade-BTC_USDT-15m.json",
            Layout::FreqtradeJson,
            TimeUnit::Millis,
        ),
        (
            "ccxt-BTCUSDT-15m.csv",
            Layout::PlainCsv { header: true },
            TimeUnit::Millis,
        ),
    ];
    let mut reference: Option<Vec<Bar>> = None;
    for (name, layout, unit) in names {
        let path = raw.join(name);
        let file = BarFile::open(&path).unwrap();
        assert_eq!(
            (file.layout(), file.time_unit()),
            (layout, Some(unit)),
            "{name}"
        );
        let bars = read_all(&path).unwrap();
        assert_eq!(bars.len(), 3 * 96, "{name}");
        assert_eq!(bars[0].time, T0, "{name}");
        assert_eq!(bars[0].open, 61130.99);
        let n = parse_file_name(name);
        assert_eq!(
            (n.symbol.as_deref(), n.timeframe_minutes),
            (Some("BTCUSDT"), Some(15)),
            "{name}"
        );
        let sum = for_each_bar(&spec("BTCUSDT", &[&path]), |_| {}).unwrap();
        assert_eq!((sum.bars, sum.gaps), (288, 0));
        match &reference {
            None => reference = Some(bars),
            Some(r) => assert_eq!(&bars, r, "{name}"),
        }
    }
    // The four hold the same candles: spot and futures files are refused as one
    // series, and the two that name no market overlap.
    let e = discover(std::slice::from_ref(&raw), &DiscoverOptions::default()).unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::MixedMarkets { .. }), "{e}");
    let e = discover(
        &[
            raw.join("freqtrade-BTC_USDT-15m.json"),
            raw.join("ccxt-BTCUSDT-15m.csv"),
        ],
        &DiscoverOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::FilesOverlap { .. }), "{e}");
}

#[test]
fn real_binance_folder_at_15m() {
    let Some(data) = shared_data() else { return };
    let folder = data.join("binance");
    let specs = discover(
        std::slice::from_ref(&folder),
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(15),
        },
    )
    .unwrap();
    let symbols: Vec<&str> = specs.iter().map(|s| s.symbol.as_str()).collect();
    assert_eq!(
        symbols,
        [
            "BTCUSDT", "DOGEUSDT", "ETHUSDT", "LINKUSDT", "SOLUSDT", "XRPUSDT"
        ]
    );
    for s in &specs {
        assert_eq!(s.timeframe_minutes, 15);
        assert_eq!(s.files, [folder.join(format!("{}-15m.csv", s.symbol))]);
    }
    // futures-um/ is a subfolder: never descended into.
    let one = discover(
        std::slice::from_ref(&folder),
        &DiscoverOptions {
            symbol: None,
            timeframe: Some(1),
        },
    );
    assert!(matches!(
        one.unwrap_err().kind,
        DataErrorKind::NoUsableFiles { .. }
    ));

    let btc = &specs[0];
    let mut count = 0_u64;
    let mut last = 0;
    let sum = for_each_bar(btc, |b| {
        count += 1;
        assert_eq!(b.time % M15, 0);
        last = b.time;
    })
    .unwrap();
    assert!((23_000..25_000).contains(&sum.bars), "{} bars", sum.bars);
    assert_eq!(count, sum.bars);
    assert_eq!(sum.gaps, 0, "the README promises no gaps");
    assert_eq!(sum.first_time, 1_704_067_200_000);
    assert_eq!(sum.last_time, last);
    // The file's line count minus its header.
    let lines = fs::read_to_string(&btc.files[0]).unwrap().lines().count() as u64;
    assert_eq!(sum.bars, lines - 1);

    let cache_dir = TempDir::new().unwrap();
    let c = build_cache(btc, cache_dir.path()).unwrap();
    assert_eq!(c.bars, sum.bars);
    assert_eq!(c.input_sha256[0].1, sha256_hex(&btc.files[0]));
    let mut r = SeriesReader::open_cached(&c).unwrap();
    let mut n = 0;
    while r.next_bar().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, sum.bars);
}
