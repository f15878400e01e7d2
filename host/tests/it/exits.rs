//! `phasebound exits`: user entries streamed beside the bars, checked trade by trade
//! against the reference simulator run independently here; grid chunking and thread
//! count leave the output byte-identical; bad rows give an error naming the line, or a
//! counted skip; the output file is only ever replaced whole.

use phasebound::cli::{Cli, Command};
use phasebound::error::AppError;
use phasebound::exits::{self, BadEntry, ExitsOptions, ExitsOutcome, parse_time};
use phasebound_core::indicators::Atr;
use phasebound_core::sim::simulate;
use phasebound_core::{Bar, Direction, Entry, ExitParams, ExitReason, Ohlc, Trailing};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z
const M15: i64 = 900_000;

fn unit(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A seeded random walk of `n` 15m bars on a 0.01 tick; bars in `gap` are left out.
fn walk(seed: u64, n: usize, price: f64, gap: std::ops::Range<usize>) -> Vec<Bar> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let tick = |x: f64| (x * 100.0).round() / 100.0;
    let mut p = price;
    let mut out = Vec::new();
    for i in 0..n {
        let open = if unit(&mut rng) < 0.05 {
            tick(p * (1.0 + 0.01 * (unit(&mut rng) - 0.5)))
        } else {
            p
        };
        let close = tick(open * (1.0 + 0.012 * (unit(&mut rng) - 0.5)));
        let high = tick(open.max(close) * (1.0 + 0.004 * unit(&mut rng)));
        let low = tick(open.min(close) * (1.0 - 0.004 * unit(&mut rng)));
        p = close;
        if gap.contains(&i) {
            continue;
        }
        out.push(Bar {
            time: T0 + i as i64 * M15,
            open,
            high,
            low,
            close,
            volume: 10.0 + 100.0 * unit(&mut rng),
        });
    }
    out
}

fn write_klines(dir: &Path, symbol: &str, bars: &[Bar]) {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for b in bars {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{}",
            b.time, b.open, b.high, b.low, b.close, b.volume
        );
    }
    fs::write(dir.join(format!("{symbol}-15m.csv")), s).unwrap();
}

/// An entry of the tests: symbol, index into that symbol's bars, direction, ATR column.
#[derive(Clone, Debug)]
struct E {
    symbol: usize,
    bar: usize,
    direction: Direction,
    atr: Option<f64>,
}

struct Market {
    _dir: TempDir,
    data: PathBuf,
    symbols: Vec<&'static str>,
    bars: Vec<Vec<Bar>>,
}

/// Two symbols of 600 bars; the second has a gap of 5 bars.
fn market() -> Market {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    let symbols = vec!["AAAUSDT", "BBBUSDT"];
    let bars = vec![walk(1, 600, 100.0, 0..0), walk(2, 600, 7.5, 300..305)];
    for (s, b) in symbols.iter().zip(&bars) {
        write_klines(&data, s, b);
    }
    Market {
        _dir: dir,
        data,
        symbols,
        bars,
    }
}

/// Seeded entries from bar 13 on, sorted by time; a few carry an ATR, a few share a bar.
fn entries(m: &Market, seed: u64, n: usize) -> Vec<E> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v: Vec<E> = (0..n)
        .map(|_| {
            let symbol = (unit(&mut rng) * 2.0) as usize;
            let len = m.bars[symbol].len();
            E {
                symbol,
                bar: 13 + (unit(&mut rng) * (len - 14) as f64) as usize,
                direction: if unit(&mut rng) < 0.5 {
                    Direction::Long
                } else {
                    Direction::Short
                },
                atr: (unit(&mut rng) < 0.2).then(|| 0.01 + unit(&mut rng)),
            }
        })
        .collect();
    v.push(v[3].clone());
    v.sort_by_key(|e| m.bars[e.symbol][e.bar].time);
    v
}

/// The entries CSV: times alternate between ms and ISO 8601, directions between words.
fn entries_csv(m: &Market, es: &[E]) -> String {
    let mut s = String::from("symbol,time,direction,atr\n");
    for (i, e) in es.iter().enumerate() {
        let t = m.bars[e.symbol][e.bar].time;
        let time = if i % 2 == 0 {
            t.to_string()
        } else {
            phasebound::data::format_utc(t)
        };
        let dir = match (e.direction, i % 3) {
            (Direction::Long, 0) => "buy",
            (Direction::Long, _) => "long",
            (Direction::Short, 0) => "SELL",
            (Direction::Short, _) => "short",
        };
        let atr = e.atr.map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(s, "{},{time},{dir},{atr}", m.symbols[e.symbol]);
    }
    s
}

fn options(args: &[&str]) -> ExitsOptions {
    let mut argv = vec!["phasebound", "exits"];
    argv.extend_from_slice(args);
    match <Cli as clap::Parser>::try_parse_from(argv)
        .unwrap()
        .validate()
        .unwrap()
    {
        Command::Exits { opts, .. } => *opts,
        other => panic!("not an exits command: {other:?}"),
    }
}

fn run(args: &[&str]) -> Result<ExitsOutcome, AppError> {
    exits::run(&options(args))
}

const GRID: [&str; 8] = [
    "--tp",
    "0.5,1,2.5",
    "--sl",
    "0.75,1.5",
    "--hold-hours",
    "1,3,8",
    "--trailing",
    "off,1:0.5,0:1.25",
];

fn grid_cells() -> Vec<ExitParams> {
    let trails = [
        None,
        Some(Trailing {
            activation: 1.0,
            distance: 0.5,
        }),
        Some(Trailing {
            activation: 0.0,
            distance: 1.25,
        }),
    ];
    let mut v = Vec::new();
    for tp in [0.5, 1.0, 2.5] {
        for sl in [0.75, 1.5] {
            for t in trails {
                for hold in [4u16, 12, 32] {
                    v.push(ExitParams {
                        tp,
                        sl,
                        hold,
                        trailing: t,
                    });
                }
            }
        }
    }
    v
}

struct Dirs {
    tmp: TempDir,
}

impl Dirs {
    fn new() -> Self {
        Self {
            tmp: TempDir::new().unwrap(),
        }
    }
    fn path(&self, name: &str) -> String {
        self.tmp.path().join(name).display().to_string()
    }
    /// `es` written as the entries file `e.csv`; its path.
    fn entries(&self, m: &Market, es: &[E]) -> String {
        let e = self.path("e.csv");
        fs::write(&e, entries_csv(m, es)).unwrap();
        e
    }
}

#[test]
fn every_trade_equals_the_reference_simulator() {
    let m = market();
    let es = entries(&m, 5, 120);
    let d = Dirs::new();
    fs::write(d.path("entries.csv"), entries_csv(&m, &es)).unwrap();
    let (e, out, trades) = (d.path("entries.csv"), d.path("out"), d.path("trades.csv"));
    let data = m.data.display().to_string();
    let mut argv = vec![
        "--entries",
        &e,
        "--data",
        &data,
        "--out",
        &out,
        "--trades",
        &trades,
        "--min-trades",
        "1",
        "--every-entry",
    ];
    argv.extend(GRID);
    let outcome = run(&argv).unwrap();
    assert_eq!(outcome.entries.used as usize, es.len());
    assert!(outcome.cells.iter().all(|c| c.stats.skipped == 0));
    assert_eq!(outcome.entries.skipped_total(), 0);
    let cells = grid_cells();
    assert_eq!(outcome.cells.len(), cells.len());

    // Independent expectation: ATR(14) per bar, window of the longest hold, next open.
    let atr: Vec<Vec<Option<f64>>> = m
        .bars
        .iter()
        .map(|bars| {
            let mut a = Atr::new(14).unwrap();
            bars.iter()
                .map(|b| {
                    let v = a.update(b.high, b.low, b.close);
                    a.is_ready().then_some(v)
                })
                .collect()
        })
        .collect();
    let mut by_line: HashMap<u64, Vec<Option<String>>> = HashMap::new();
    let mut totals = vec![(0u32, 0u32, [0u32; 5], 0.0f64); cells.len()];
    for (k, e) in es.iter().enumerate() {
        let bars = &m.bars[e.symbol];
        // The window ends at the first missing bar (a trade never spans a gap).
        let w: Vec<Ohlc> = bars[e.bar + 1..(e.bar + 33).min(bars.len())]
            .iter()
            .zip(&bars[e.bar..])
            .take_while(|(b, prev)| b.time - prev.time == 900_000)
            .map(|(b, _)| Ohlc::from(b))
            .collect();
        let entry = Entry {
            direction: e.direction,
            price: w[0].open,
            atr: e.atr.or(atr[e.symbol][e.bar]).unwrap(),
        };
        let mut row = Vec::new();
        for (c, p) in cells.iter().enumerate() {
            let o = simulate(&entry, &w, p, 0.14).unwrap();
            let t = &mut totals[c];
            t.0 += 1;
            t.1 += u32::from(o.profit_pct > 0.0);
            t.2[o.reason.index()] += 1;
            t.3 += o.profit_pct;
            row.push(Some(format!(
                "{},{},{},{}",
                o.exit_index,
                o.reason.name(),
                o.exit_price,
                o.profit_pct
            )));
        }
        // Line numbers: header is line 1.
        by_line.insert(k as u64 + 2, row);
    }
    for (c, r) in outcome.cells.iter().enumerate() {
        let (n, wins, reasons, total) = totals[c];
        assert_eq!(r.exit, cells[c]);
        assert_eq!(r.stats.trades, n, "cell {c}");
        assert_eq!(r.stats.wins, wins, "cell {c}");
        assert_eq!(r.stats.reasons, reasons, "cell {c}");
        assert!((r.stats.sum_profit - total).abs() < 1e-9, "cell {c}");
    }
    // The per-trade file: one row per (entry, cell), each exactly the reference's.
    let text = fs::read_to_string(&trades).unwrap();
    let mut rows = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.splitn(3, ',').collect();
        let (entry_line, cell): (u64, usize) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let slot = by_line.get_mut(&entry_line).unwrap()[cell].take();
        assert_eq!(slot.as_deref(), Some(f[2]), "line {entry_line} cell {cell}");
        rows += 1;
    }
    assert_eq!(rows, es.len() * cells.len());
    // The CSV names every cell with its parameters and counts.
    let csv = fs::read_to_string(Path::new(&out).join("exits.csv")).unwrap();
    assert_eq!(csv.lines().count(), cells.len() + 1);
    assert!(csv.starts_with("cell,rank,tp_atr,sl_atr,hold_hours,hold_bars,"));
    let second: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(
        &second[..8],
        &["1", second[1], "0.5", "0.75", "3", "12", "", ""]
    );
    assert_eq!(second[8], es.len().to_string());
}

#[test]
fn a_single_pass_grid_split_between_workers_gives_the_same_bytes() {
    // 301 entries on 1,195 bars: a split part must keep 20 × 1,496 / 301 = 99 cells
    // (`SPLIT_PAIRS_PER_ROW`), so the 360 cells, one pass's worth, split in two on two
    // workers and stay whole on one.
    let m = market();
    let es = entries(&m, 17, 300);
    let d = Dirs::new();
    let e = d.entries(&m, &es);
    let data = m.data.display().to_string();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = d.path(&format!("out{threads}"));
        let o = run(&[
            "--entries",
            &e,
            "--data",
            &data,
            "--out",
            &out,
            "--threads",
            threads,
            "--tp",
            "0.75,1,1.5,2,3,4",
            "--sl",
            "0.5,1,1.5,2,3",
            "--hold-hours",
            "2,4,8",
            "--trailing",
            "off,1:0.5,1.5:1,0.5:1",
        ])
        .unwrap();
        assert_eq!(o.cells.len(), 360);
        // Workers are clamped to the cores: one core, one pass.
        let split = threads == "2" && cores >= 2;
        assert_eq!((o.passes, o.workers), if split { (2, 2) } else { (1, 1) });
        outputs.push((
            fs::read(Path::new(&out).join("exits.csv")).unwrap(),
            fs::read(Path::new(&out).join("exits.html")).unwrap(),
        ));
    }
    assert!(outputs[0] == outputs[1]);
}

#[test]
fn chunking_threads_and_engine_leave_the_output_identical() {
    let m = market();
    let es = entries(&m, 9, 80);
    let d = Dirs::new();
    let e = d.entries(&m, &es);
    let data = m.data.display().to_string();
    // 11 tp x 10 sl x 10 holds = 1,100 cells: more than MAX_CELLS, so several passes.
    let tps = "0.5,0.75,1,1.25,1.5,2,2.5,3,3.5,4,5";
    let sls = "0.5,0.75,1,1.25,1.5,1.75,2,2.5,3,4";
    let holds = "0.25,0.5,1,1.5,2,3,4,5,6,8";
    let mut csvs = Vec::new();
    let mut pages = Vec::new();
    for (threads, reference) in [("1", false), ("3", false), ("2", true)] {
        let out = d.path(&format!("out{threads}"));
        let mut a = vec![
            "--entries",
            &e,
            "--data",
            &data,
            "--out",
            &out,
            "--threads",
            threads,
            "--tp",
            tps,
            "--sl",
            sls,
            "--hold-hours",
            holds,
            "--trailing",
            "off",
            "--one-position",
        ];
        if reference {
            a.push("--reference");
        }
        let o = run(&a).unwrap();
        assert_eq!(o.cells.len(), 1100);
        assert!(o.passes >= 2, "{} passes", o.passes);
        csvs.push(fs::read(Path::new(&out).join("exits.csv")).unwrap());
        pages.push(fs::read_to_string(Path::new(&out).join("exits.html")).unwrap());
        assert!(o.written.iter().any(|p| p.ends_with("exits.html")));
    }
    assert!(csvs.iter().all(|c| *c == csvs[0]));
    // exits.html beside it: the same bytes for any thread count, self-contained, the two
    // heatmaps and the ten best cells, the best (rank 1 in the CSV) first.
    assert!(pages.iter().all(|p| *p == pages[0]));
    let page = &pages[0];
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    // Two heatmaps, then the equity and the drawdown of the best cells.
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(page.contains("<h1>phasebound exits: 1100 cells</h1>"));
    let best: Vec<String> = String::from_utf8(csvs[0].clone())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .find(|f| f[1] == "1")
        .unwrap();
    assert!(
        page.contains(&format!(
            "<tr><td>1</td><td>{}</td><td>{}</td>",
            best[2], best[3]
        )),
        "best cell {best:?} not first in the table"
    );
    assert_eq!(page.matches("<tr><td>").count(), 10);
    // One position per symbol: the long-hold, wide cells trade fewer entries.
    let text = String::from_utf8(csvs[0].clone()).unwrap();
    let trades: Vec<u64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(8).unwrap().parse().unwrap())
        .collect();
    assert!(trades.iter().all(|&t| t <= es.len() as u64));
    assert!(trades.iter().any(|&t| t < es.len() as u64));
}

/// exits.html draws the equity and drawdown curves of the `TOP_CURVES` best cells,
/// traced in one more pass by the account's rules: whatever the rules, each curve ends
/// exactly at its cell's final equity (its total return), its deepest drawdown is the
/// cell's, and the page's legend gives that figure beside the cell.
#[test]
fn top_cells_curves_end_at_their_cells_return() {
    let rules: [&[&str]; 4] = [
        &[],
        &["--every-entry"],
        &["--stake", "fixed", "--max-open-trades", "2"],
        &["--max-open-trades", "1", "--one-position"],
    ];
    run_rules(11, &[], &rules, |rule, out, o| {
        let page = fs::read_to_string(out.join("exits.html")).unwrap();
        assert_eq!(page.matches("<svg").count(), 4, "{rule:?}");
        assert!(page.contains("<h3>Equity (start = 1) and drawdown of the 5 best cells</h3>"));
        let csv = fs::read_to_string(out.join("exits.csv")).unwrap();
        let legend: Vec<&str> = page
            .lines()
            .filter(|l| l.starts_with("<tr class=\"curve\">"))
            .collect();
        assert_eq!(legend.len(), exits::TOP_CURVES, "{rule:?}");
        for (i, (top, row)) in o.curves.iter().zip(&legend).enumerate() {
            let what = format!("{rule:?} rank {}", top.rank);
            assert_eq!(top.rank, i + 1, "{what}");
            let cell = o.cells.iter().find(|c| c.rank == top.rank).unwrap();
            assert!(cell.stats.trades > 0, "{what}");
            // The curve's last point is the account's final equity, bit for bit.
            let last = top.curve.last();
            assert_eq!(last.to_bits(), cell.stats.equity.to_bits(), "{what}");
            assert_eq!(
                (last - 1.0) * 100.0,
                phasebound_core::stats::total_return(&cell.stats)
            );
            // Its drawdown chart reaches the cell's max drawdown; at most 1,024 buckets.
            let points = top.curve.points();
            assert!(points.len() <= phasebound::trades::CURVE_BUCKETS, "{what}");
            let deepest = points.iter().map(|p| p.3).fold(0.0, f64::min);
            let dd = phasebound_core::stats::max_drawdown(&cell.stats);
            assert!(
                (-100.0 * deepest - dd).abs() < 1e-9,
                "{what}: {deepest} {dd}"
            );
            // The legend: rank, the cell's exits, final equity and return as exits.csv has them.
            let tds: Vec<&str> = row
                .split("<td")
                .skip(1)
                .map(|c| &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()])
                .collect();
            assert_eq!(tds[0], top.rank.to_string(), "{what}");
            assert_eq!(tds[2], cell.exit.tp.to_string(), "{what}");
            assert_eq!(tds[3], cell.exit.sl.to_string(), "{what}");
            let f: Vec<&str> = csv
                .lines()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .find(|f| f[1] == top.rank.to_string())
                .unwrap();
            let (csv_return, csv_equity): (f64, f64) =
                (f[14].parse().unwrap(), f[21].parse().unwrap());
            let (shown_equity, shown_return): (f64, f64) =
                (tds[6].parse().unwrap(), tds[7].parse().unwrap());
            assert!((shown_equity - csv_equity).abs() <= 5e-7, "{what}");
            assert!((shown_return - csv_return).abs() <= 5e-5, "{what}");
        }
    });
}

/// Runs the test grid on 150 entries (seeded) of `market()` once per rule, with
/// `--min-trades 1`, `extra` and the rule, checks that the top cells have curves, and hands
/// each rule, its output folder and its outcome to `check`.
fn run_rules(
    seed: u64,
    extra: &[&str],
    rules: &[&[&str]],
    mut check: impl FnMut(&[&str], &Path, ExitsOutcome),
) {
    let m = market();
    let es = entries(&m, seed, 150);
    let d = Dirs::new();
    let e = d.entries(&m, &es);
    let data = m.data.display().to_string();
    for (k, rule) in rules.iter().enumerate() {
        let out = d.path(&format!("out{k}"));
        let mut a = vec![
            "--entries",
            &e,
            "--data",
            &data,
            "--out",
            &out,
            "--min-trades",
            "1",
        ];
        a.extend(extra);
        a.extend(GRID);
        a.extend(*rule);
        let o = run(&a).unwrap_or_else(|err| panic!("{rule:?}: {err}"));
        assert_eq!(o.curves.len(), exits::TOP_CURVES, "{rule:?}");
        check(rule, Path::new(&out), o);
    }
}

/// A cost that eats every stake ruins every account (equity 0, the core's floor): the
/// top cells' curves, replayed by the account's rules, must floor at 0 and skip the
/// entries after the ruin exactly as the account does, so the run still succeeds, with
/// exits.csv giving final equity 0, a 100 % drawdown, and exits.html drawn.
#[test]
fn ruined_top_cells_still_draw_their_curves() {
    let rules: [&[&str]; 3] = [
        &["--stake", "fixed", "--max-open-trades", "1"],
        &[
            "--stake",
            "fixed",
            "--max-open-trades",
            "2",
            "--one-position",
        ],
        &["--every-entry"],
    ];
    run_rules(13, &["--cost-pct", "99"], &rules, |rule, out, o| {
        // Every account is ruined, and skipped the entries after its ruin.
        for c in &o.cells {
            assert_eq!(c.stats.equity.to_bits(), 0.0f64.to_bits(), "{rule:?}");
            assert!(c.stats.skipped > 0, "{rule:?}");
            assert_eq!(phasebound_core::stats::max_drawdown(&c.stats), 100.0);
        }
        for top in &o.curves {
            let what = format!("{rule:?} rank {}", top.rank);
            assert_eq!(top.curve.last().to_bits(), 0.0f64.to_bits(), "{what}");
            let points = top.curve.points();
            assert!(points.iter().all(|p| p.1 >= 0.0 && p.3 >= -1.0), "{what}");
            assert_eq!(
                points.iter().map(|p| p.3).fold(0.0, f64::min),
                -1.0,
                "{what}"
            );
        }
        let csv = fs::read_to_string(out.join("exits.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (rank, equity, dd) = (col("rank"), col("final_equity"), col("max_drawdown_pct"));
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), o.cells.len(), "{rule:?}");
        for top in &o.curves {
            let f = rows
                .iter()
                .find(|f| f[rank] == top.rank.to_string())
                .unwrap();
            assert_eq!(f[equity], "0", "{rule:?} rank {}", top.rank);
            assert_eq!(f[dd], "100", "{rule:?} rank {}", top.rank);
        }
        let page = fs::read_to_string(out.join("exits.html")).unwrap();
        assert!(page.ends_with("</html>\n"), "{rule:?}");
        assert_eq!(page.matches("<svg").count(), 4, "{rule:?}");
        assert!(
            o.written.iter().any(|p| p.ends_with("exits.html")),
            "{rule:?}"
        );
    });
}

/// Entries that crowd one symbol: up to 7 on a bar over 40 bars of AAAUSDT, so about 130
/// wait for their windows at once within the longest hold (8 h, 32 bars). The queues,
/// sized from the file before the passes, hold them all (an entry finding its queue full
/// would stop the run), and every one is used. 1,025 entries on one bar are one more than
/// `ENTRY_QUEUE`: a capacity error (exit 5) naming the line of the last.
#[test]
fn crowded_entries_all_find_a_queue_slot() {
    let m = market();
    let d = Dirs::new();
    let data = m.data.display().to_string();
    let e = d.path("e.csv");
    let mut es = Vec::new();
    for bar in 100..140 {
        for k in 0..1 + bar % 7 {
            es.push(E {
                symbol: 0,
                bar,
                direction: if k % 2 == 0 {
                    Direction::Long
                } else {
                    Direction::Short
                },
                atr: None,
            });
        }
    }
    fs::write(&e, entries_csv(&m, &es)).unwrap();
    let out = d.path("out");
    let mut a = vec!["--entries", &e, "--data", &data, "--out", &out];
    a.extend(GRID);
    a.push("--every-entry");
    let o = run(&a).unwrap();
    assert_eq!(o.entries.rows, es.len() as u64);
    assert_eq!(o.entries.used, es.len() as u64);
    assert!(o.cells.iter().all(|c| c.stats.trades > 0));

    let crowd = vec![es[0].clone(); phasebound::workspace::ENTRY_QUEUE + 1];
    fs::write(&e, entries_csv(&m, &crowd)).unwrap();
    match run(&a) {
        Err(err @ AppError::Capacity(_)) => {
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    ":{}: more than 1024 entries of AAAUSDT",
                    crowd.len() + 1
                )),
                "{text}"
            );
            assert_eq!(err.exit_code(), 5);
        }
        other => panic!("{other:?}"),
    }
}

/// Runs with two good rows and `row` (at line 3, or 4 when it sorts after the second;
/// unsorted rows stay at line 3), returning the result and the line of `row`.
fn bad_row(row: &str, skip: bool) -> (Result<ExitsOutcome, AppError>, u64, TempDir) {
    let m = market();
    let d = Dirs::new();
    let good2 = "AAAUSDT,2024-03-06T00:00:00Z,short";
    let late = row.split(',').nth(1).unwrap_or("") > "2024-03-06";
    let (middle, last, line) = if late {
        (good2, row, 4)
    } else {
        (row, good2, 3)
    };
    let s = format!(
        "symbol,time,direction,atr\nAAAUSDT,2024-03-01T00:00:00Z,long,1.5\n{middle}\n{last}\n"
    );
    fs::write(d.path("e.csv"), s).unwrap();
    let (e, data, out) = (d.path("e.csv"), m.data.display().to_string(), d.path("out"));
    let mut a = vec![
        "--entries",
        &e,
        "--data",
        &data,
        "--out",
        &out,
        "--tp",
        "1",
        "--sl",
        "1",
        "--hold-hours",
        "2",
        "--trailing",
        "off",
    ];
    if skip {
        a.push("--skip-bad-entries");
    }
    (run(&a), line, d.tmp)
}

#[test]
fn bad_entries_name_their_line_or_are_counted() {
    // BBBUSDT misses bars 300..305 (2024-03-04T03:00 .. 04:00); AAAUSDT starts at T0.
    let cases = [
        (
            "CCCUSDT,2024-03-02T00:00:00Z,long",
            BadEntry::UnknownSymbol,
            "not in the data",
        ),
        ("BBBUSDT,2024-03-04T03:15:00Z,long", BadEntry::NoBar, "gap"),
        (
            "AAAUSDT,2024-03-02T00:07:00Z,long",
            BadEntry::NoBar,
            "not a bar open time",
        ),
        (
            "AAAUSDT,2024-03-01T02:00:00Z,short",
            BadEntry::NoAtr,
            "no ATR(14)",
        ),
        (
            "AAAUSDT,2024-03-07T05:45:00Z,long",
            BadEntry::NoFill,
            "last bar",
        ),
    ];
    for (row, why, needle) in cases {
        let (r, line, _keep) = bad_row(row, false);
        let e = r.err().unwrap_or_else(|| panic!("{row} accepted"));
        assert_eq!(e.exit_code(), 3, "{row}");
        let msg = e.to_string();
        assert!(msg.contains(&format!("e.csv:{line}: ")), "{msg}");
        assert!(msg.contains(needle), "{row}: {msg}");
        let (r, _, _keep) = bad_row(row, true);
        let o = r.unwrap();
        assert_eq!(o.entries.used, 2, "{row}");
        assert_eq!(o.entries.skipped_total(), 1);
        assert_eq!(
            o.entries.skipped[BadEntry::ALL.iter().position(|b| *b == why).unwrap()],
            1
        );
        assert!(o.summary.contains("skipped 1 of 3 rows"), "{}", o.summary);
    }
    // Outside the data: before the first bar (the row sorts first) and after the last.
    let m = market();
    let d = Dirs::new();
    fs::write(
        d.path("e.csv"),
        "BBBUSDT,2024-02-29T23:45:00Z,long\nAAAUSDT,2024-03-01T12:00:00Z,long\nAAAUSDT,2024-03-09T00:00:00Z,long\n",
    )
    .unwrap();
    let (e, data, out) = (d.path("e.csv"), m.data.display().to_string(), d.path("out"));
    let a = [
        "--entries",
        &e,
        "--data",
        &data,
        "--out",
        &out,
        "--tp",
        "1",
        "--sl",
        "1",
        "--hold-hours",
        "2",
        "--trailing",
        "off",
    ];
    let msg = run(&a).err().unwrap().to_string();
    assert!(
        msg.contains("e.csv:1: ") && msg.contains("before the first bar"),
        "{msg}"
    );
    let mut skip = a.to_vec();
    skip.push("--skip-bad-entries");
    let o = run(&skip).unwrap();
    assert_eq!(o.entries.skipped[1..3], [1, 1]);
    assert_eq!(o.entries.used, 1);
}

#[test]
fn unreadable_or_unsorted_rows_are_errors_even_when_skipping() {
    for (row, needle) in [
        ("AAAUSDT,2024-02-29T06:00:00Z,long", "not sorted by time"),
        ("AAAUSDT,2024-03-02T06:00:00Z,up", "direction 'up'"),
        (
            "AAAUSDT,yesterday,long",
            "neither epoch milliseconds nor ISO 8601",
        ),
        ("AAAUSDT,2024-03-02T06:00:00Z,long,-3", "atr '-3'"),
        ("AAAUSDT,2024-03-02T06:00:00Z", "2 columns"),
    ] {
        for skip in [false, true] {
            let (r, line, _keep) = bad_row(row, skip);
            let e = r.err().unwrap_or_else(|| panic!("{row} accepted"));
            assert_eq!(e.exit_code(), 3);
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("e.csv:{line}: ")) && msg.contains(needle),
                "{msg}"
            );
        }
    }
}

#[test]
fn a_failed_run_leaves_the_previous_csv_intact() {
    let m = market();
    let d = Dirs::new();
    let (e, data, out) = (d.path("e.csv"), m.data.display().to_string(), d.path("out"));
    fs::write(&e, "AAAUSDT,2024-03-01T12:00:00Z,long\n").unwrap();
    let a = [
        "--entries",
        &e,
        "--data",
        &data,
        "--out",
        &out,
        "--tp",
        "1",
        "--sl",
        "1",
        "--hold-hours",
        "2",
        "--trailing",
        "off",
    ];
    run(&a).unwrap();
    let before = fs::read(Path::new(&out).join("exits.csv")).unwrap();
    fs::write(
        &e,
        "AAAUSDT,2024-03-01T12:00:00Z,long\nAAAUSDT,2024-03-01T12:00:00Z,flat\n",
    )
    .unwrap();
    assert!(run(&a).is_err());
    assert_eq!(fs::read(Path::new(&out).join("exits.csv")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|f| f.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn grid_flags_and_profile_lattice() {
    let o = options(&["--entries", "x.csv"]);
    let g = exits::resolve_grid(&o, 15).unwrap();
    // The default scalping lattice: 7 tp x 6 sl x 5 holds x (off + 3 trailing).
    assert_eq!(
        (g.tp.len(), g.sl.len(), g.hold.len(), g.trailing.len()),
        (7, 6, 5, 4)
    );
    assert_eq!(g.hold, vec![4, 8, 16, 24, 32]);
    assert_eq!(g.trailing[0], None);
    let o = options(&[
        "--entries",
        "x.csv",
        "--profile",
        "swing",
        "--tp",
        "2,3",
        "--trailing",
        "off",
    ]);
    let g = exits::resolve_grid(&o, 60).unwrap();
    assert_eq!(g.tp, vec![2.0, 3.0]);
    assert_eq!(g.sl.len(), 5);
    assert_eq!(g.hold, vec![6, 12, 24, 48, 72]);
    assert_eq!(g.len(), 2 * 5 * 5);
    // Holds beyond the window capacity, too many levels: capacity (5); bad trailing: usage.
    let o = options(&["--entries", "x.csv", "--hold-hours", "3000"]);
    let e = exits::resolve_grid(&o, 15).unwrap_err();
    assert!(
        e.to_string().contains("--hold-hours") && e.to_string().contains("H_MAX"),
        "{e}"
    );
    assert_eq!(e.exit_code(), 5);
    // An axis longer than a pass holds (MAX_LEVELS = 32) is no longer refused: the grid
    // runs as more passes (`axes_longer_than_a_pass_give_the_cells_of_shorter_grids`).
    let many: Vec<String> = (1..=33).map(|i| i.to_string()).collect();
    let o = options(&["--entries", "x.csv", "--tp", &many.join(",")]);
    assert_eq!(exits::resolve_grid(&o, 15).unwrap().tp.len(), 33);
    for bad in ["1", "1:0", "a:b", "-1:1"] {
        let flag = format!("--trailing={bad}");
        let r =
            <Cli as clap::Parser>::try_parse_from(["phasebound", "exits", "--entries", "x", &flag])
                .unwrap()
                .validate();
        assert_eq!(r.err().map(|e| e.exit_code()), Some(2), "{bad}");
    }
}

#[test]
fn axes_longer_than_a_pass_give_the_cells_of_shorter_grids() {
    let m = market();
    let es = entries(&m, 5, 60);
    let d = Dirs::new();
    let (e, data) = (d.entries(&m, &es), m.data.display().to_string());
    // 37 take profits and 34 stop losses: more than the 32 a pass holds, in a grid of
    // only 37 × 34 = 1,258 cells.
    let tp: Vec<String> = (1..=37)
        .map(|i| format!("{}", f64::from(i) * 0.25))
        .collect();
    let sl: Vec<String> = (1..=34)
        .map(|i| format!("{}", f64::from(i) * 0.2))
        .collect();
    let cells_of = |tp: &[String], out: &str| {
        let out = d.path(out);
        let (tp, sl) = (tp.join(","), sl.join(","));
        let a = [
            "--entries",
            &e,
            "--data",
            &data,
            "--out",
            &out,
            "--tp",
            &tp,
            "--sl",
            &sl,
            "--hold-hours",
            "4",
            "--trailing",
            "off",
            "--threads",
            "2",
        ];
        run(&a).unwrap()
    };
    let whole = cells_of(&tp, "whole");
    assert_eq!(whole.cells.len(), 37 * 34);
    assert!(whole.passes >= 3, "{} passes", whole.passes);
    // Each cell's account is the one a grid of fewer take profits gives it.
    let mut parts = cells_of(&tp[..20], "a").cells;
    parts.extend(cells_of(&tp[20..], "b").cells);
    assert!(whole.cells.iter().any(|c| c.stats.trades > 0));
    for (w, p) in whole.cells.iter().zip(&parts) {
        assert_eq!(w.exit, p.exit);
        assert_eq!(w.stats, p.stats, "{:?}", w.exit);
    }
}

#[test]
fn entry_times_parse_as_epoch_or_iso_utc() {
    let t = 1_709_294_400_000; // 2024-03-01T12:00:00Z
    for text in [
        "1709294400000",
        "1709294400",
        "1709294400000000",
        "2024-03-01T12:00:00Z",
        "2024-03-01T12:00:00.000Z",
        "2024-03-01 12:00:00",
        "2024-03-01T12:00",
        "2024-03-01T12:00:00+00:00",
    ] {
        assert_eq!(parse_time(text), Ok(t), "{text}");
    }
    assert_eq!(parse_time("2024-03-01"), Ok(t - 12 * 3_600_000));
    assert_eq!(parse_time("2024-02-29T00:00:00Z"), Ok(t - 36 * 3_600_000));
    assert_eq!(parse_time("2024-03-01T12:00:00.25Z"), Ok(t + 250));
    for bad in [
        "2023-02-29T00:00:00Z",
        "2024-13-01",
        "2024-03-01T24:00",
        "2024-03-01T12:00:00+02:00",
        "12",
        "",
        "2024-3-1",
    ] {
        assert!(parse_time(bad).is_err(), "{bad}");
    }
    // Cross-check the calendar against the data layer's formatter over four years.
    for day in 0..1500i64 {
        let ms = 1_672_531_200_000 + day * 86_400_000 + 3_723_000;
        assert_eq!(parse_time(&phasebound::data::format_utc(ms)), Ok(ms));
    }
}

#[test]
fn real_data_entries_trade_in_every_cell() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/binance");
    if !dir.join("BTCUSDT-15m.csv").is_file() {
        eprintln!("SKIP: ../shared/data/binance not found");
        return;
    }
    let d = Dirs::new();
    // Every 97th bar of BTCUSDT from the 20th on, alternating direction.
    let text = fs::read_to_string(dir.join("BTCUSDT-15m.csv")).unwrap();
    let times: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut s = String::from("symbol,time,direction\n");
    let mut n = 0;
    for (i, t) in times.iter().enumerate().skip(20).step_by(97) {
        if i + 1 < times.len() {
            let _ = writeln!(
                s,
                "BTCUSDT,{t},{}",
                if n % 2 == 0 { "long" } else { "short" }
            );
            n += 1;
        }
    }
    fs::write(d.path("e.csv"), s).unwrap();
    let (e, data, out) = (d.path("e.csv"), dir.display().to_string(), d.path("out"));
    let o = run(&[
        "--entries",
        &e,
        "--data",
        &data,
        "--timeframe",
        "15m",
        "--out",
        &out,
        "--tp",
        "1,2,3",
        "--sl",
        "1,2",
        "--hold-hours",
        "4,24",
        "--trailing",
        "off,1:0.5",
    ])
    .unwrap();
    assert_eq!(o.entries.used, n);
    assert_eq!(o.cells.len(), 24);
    for c in &o.cells {
        assert_eq!(u64::from(c.stats.trades), n);
        let by_reason: u32 = [
            ExitReason::TakeProfit,
            ExitReason::StopLoss,
            ExitReason::Trailing,
            ExitReason::Time,
            ExitReason::Truncated,
        ]
        .iter()
        .map(|r| c.stats.reason_count(*r))
        .sum();
        assert_eq!(by_reason, c.stats.trades);
    }
}
