//! Fuzz entry points, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and by the
//! stable test that replays the committed corpus (`host/tests/it/bad_input.rs` includes
//! this file). Each takes arbitrary bytes and must return without panicking; where a
//! result has a checkable property (validated bars in time order, a cache that reads
//! back what was parsed, an encoding that fits its size bound and round-trips, the fast
//! evaluator equal to the reference simulator) it is asserted, so a violation is a crash.

use std::fs;
use std::path::{Path, PathBuf};

use phasebound::config::Config;
use phasebound::data::{self, BarFile, SeriesReader, SeriesSpec};
use phasebound_core::account::Stake;
use phasebound_core::budget::SMALL_H_MAX;
use phasebound_core::engine::SmallWorkspace;
use phasebound_core::engine::SymbolCounters;
use phasebound_core::phase::{
    self, BarSource, ExitSpace, OptimizeResult, ProfileConfig, Reanalysis, ScanResult, ScreenEntry,
    ScreenResult, SearchConfig, StartResult, TimeRange, Validation, ValidationConfig,
};
use phasebound_core::plan::{CellDef, EvalMode, PassPlan, ProfileSpec};
use phasebound_core::signal::{Profile, Weights};
use phasebound_core::stats::{CellStats, Objective};
use phasebound_core::wire::{self, Checkpoint};
use phasebound_core::{Bar, EntryTiming, Error, ExitParams, Trailing};

/// An entry point: arbitrary bytes in, no panic out.
pub type Entry = fn(&[u8]);

/// Every target: its name (the cargo-fuzz target and `fuzz/corpus/<name>/`) and entry.
pub const TARGETS: [(&str, Entry); 8] = [
    ("data_file", data_file),
    ("data_file_csv", data_file_csv),
    ("data_file_json", data_file_json),
    ("series_cache", series_cache),
    ("config", config),
    ("previous", previous),
    ("wire", wire_decode),
    ("engine", engine),
];

/// A scratch folder of this process (one per process: libFuzzer runs one input at a time).
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phasebound-fuzz-{}", std::process::id()));
    let _ = fs::create_dir_all(&dir);
    dir
}

/// Removes this process's scratch folder (for callers that outlive the fuzzing).
pub fn remove_scratch() {
    let _ = fs::remove_dir_all(scratch());
}

/// Streams `path` through [`BarFile`] and checks what it yields.
fn drain(path: &Path) -> Vec<Bar> {
    let mut bars = Vec::new();
    let Ok(mut file) = BarFile::open(path) else {
        return bars;
    };
    let mut previous: Option<i64> = None;
    while let Ok(Some(bar)) = file.next_bar() {
        assert!(
            bar.validate(previous).is_ok(),
            "BarFile yielded an invalid bar"
        );
        previous = Some(bar.time);
        bars.push(bar);
    }
    assert_eq!(file.bars_read(), bars.len() as u64);
    bars
}

/// Any bytes as a data file: every layout, detected from the contents.
pub fn data_file(bytes: &[u8]) {
    let path = scratch().join("BTCUSDT-15m.csv");
    if fs::write(&path, bytes).is_ok() {
        drain(&path);
    }
}

/// Headers the CSV target puts in front of its input (none = headerless layouts).
const CSV_HEADERS: [&str; 4] = [
    "",
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n",
    "timestamp,open,high,low,close,volume\n",
    "open_time_ms,open,high,low,close,volume\n",
];

/// CSV bodies: the first byte picks a header (Binance futures, plain, normalized, none).
pub fn data_file_csv(bytes: &[u8]) {
    let Some((&pick, body)) = bytes.split_first() else {
        return;
    };
    let mut text = CSV_HEADERS[usize::from(pick) % CSV_HEADERS.len()]
        .as_bytes()
        .to_vec();
    text.extend_from_slice(body);
    data_file(&text);
}

/// freqtrade json bodies: the input follows an opening `[`.
pub fn data_file_json(bytes: &[u8]) {
    let mut text = b"[".to_vec();
    text.extend_from_slice(bytes);
    data_file(&text);
}

/// Two files of one series (the input split at its first `|`, timeframe from the first
/// byte): the series checks, the cache build, and the cache read back, which must give
/// exactly the bars the parser streamed.
pub fn series_cache(bytes: &[u8]) {
    let Some((&pick, rest)) = bytes.split_first() else {
        return;
    };
    let (_, timeframe_minutes) =
        data::SUPPORTED_TIMEFRAMES[usize::from(pick) % data::SUPPORTED_TIMEFRAMES.len()];
    let split = rest.iter().position(|&b| b == b'|').unwrap_or(rest.len());
    let dir = scratch();
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    let (first, second) = rest.split_at(split);
    if fs::write(&a, first).is_err() || fs::write(&b, second.get(1..).unwrap_or_default()).is_err()
    {
        return;
    }
    let spec = SeriesSpec {
        symbol: "BTCUSDT".into(),
        timeframe_minutes,
        files: vec![a, b],
        range: data::TimeRange::ALL,
        policy: data::BarPolicy::default(),
    };
    let mut streamed = Vec::new();
    let Ok(summary) = data::for_each_bar(&spec, |bar| streamed.push(*bar)) else {
        return;
    };
    assert_eq!(summary.bars, streamed.len() as u64);
    let step = i64::from(timeframe_minutes) * 60_000;
    let gaps = streamed
        .windows(2)
        .filter(|w| w[1].time - w[0].time > step)
        .count();
    assert_eq!(summary.gaps, gaps as u64, "gap count");
    let cache_dir = dir.join("cache");
    let Ok(cached) = data::build_cache(&spec, &cache_dir) else {
        return;
    };
    let mut reader = SeriesReader::open_cached(&cached).expect("a fresh cache opens");
    let mut read_back = Vec::new();
    while let Some(bar) = reader.next_bar().expect("a fresh cache reads") {
        read_back.push(bar);
    }
    assert!(
        read_back == streamed,
        "cache read back differs from the parse"
    );
    let _ = fs::remove_dir_all(&cache_dir);
}

/// Any text as a configuration file, then every timeframe's profile built from it.
pub fn config(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(cfg) = Config::from_toml(text, Path::new("fuzz.toml")) else {
        return;
    };
    let _ = cfg.search_config();
    let _ = cfg.validation_config();
    for (_, minutes) in data::SUPPORTED_TIMEFRAMES {
        for p in Profile::ALL {
            if let Ok(pc) = cfg.profile(p, minutes) {
                let _ = pc.validate();
            }
        }
    }
}

/// Any bytes as a `--previous` params file, read against the default weight groups.
pub fn previous(bytes: &[u8]) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    let cfg = Config::default();
    for p in Profile::ALL {
        let groups: Vec<String> = cfg
            .profile_toml(p)
            .groups
            .iter()
            .map(|g| g.name.clone())
            .collect();
        for (_, minutes) in data::SUPPORTED_TIMEFRAMES {
            let key = format!("{}_params", p.name());
            let _ = phasebound::report::previous_cell(&v, &key, &groups, minutes);
        }
    }
}

/// Decodes `bytes` as `T`; a value that decodes must encode within `max` bytes, and
/// its encoding must decode and re-encode to the same bytes.
fn round_trip<T>(bytes: &[u8], max: usize)
where
    T: serde::Serialize + for<'a> serde::Deserialize<'a>,
{
    let Ok(value) = wire::decode::<T>(bytes) else {
        return;
    };
    let mut buf = vec![0u8; max];
    let first = wire::encode(&value, &mut buf)
        .expect("a decoded value fits its *_MAX_SIZE")
        .to_vec();
    let again: T = wire::decode(&first).expect("an encoding decodes");
    let mut buf2 = vec![0u8; max];
    let second = wire::encode(&again, &mut buf2).expect("re-encoding fits");
    assert_eq!(first.as_slice(), &*second, "encoding is not stable");
}

/// Postcard decoders: the first byte picks the type.
pub fn wire_decode(bytes: &[u8]) {
    let Some((&pick, rest)) = bytes.split_first() else {
        return;
    };
    match pick % 12 {
        0 => {
            if let Ok(c) = Checkpoint::decode(rest) {
                let mut buf = vec![0u8; wire::CHECKPOINT_MAX_SIZE];
                let first = c
                    .encode(&mut buf)
                    .expect("a decoded checkpoint fits CHECKPOINT_MAX_SIZE")
                    .to_vec();
                let again = Checkpoint::decode(&first).expect("an encoding decodes");
                let mut buf2 = vec![0u8; wire::CHECKPOINT_MAX_SIZE];
                let second = again.encode(&mut buf2).expect("re-encoding fits");
                assert_eq!(first.as_slice(), &*second, "encoding is not stable");
            }
        }
        1 => round_trip::<ScanResult>(rest, wire::SCAN_RESULT_MAX_SIZE),
        2 => round_trip::<ScreenResult>(rest, wire::SCREEN_RESULT_MAX_SIZE),
        3 => round_trip::<OptimizeResult>(rest, wire::OPTIMIZE_RESULT_MAX_SIZE),
        4 => round_trip::<Validation>(rest, wire::VALIDATION_MAX_SIZE),
        5 => round_trip::<Reanalysis>(rest, wire::REANALYSIS_MAX_SIZE),
        6 => round_trip::<CellDef>(rest, wire::CELL_DEF_MAX_SIZE),
        7 => round_trip::<CellStats>(rest, wire::CELL_STATS_MAX_SIZE),
        8 => round_trip::<ExitParams>(rest, wire::EXIT_PARAMS_MAX_SIZE),
        9 => round_trip::<SymbolCounters>(rest, wire::SYMBOL_COUNTERS_MAX_SIZE),
        10 => round_trip::<StartResult>(rest, wire::START_RESULT_MAX_SIZE),
        _ => {
            round_trip::<ScreenEntry>(rest, wire::SCREEN_ENTRY_MAX_SIZE);
            let _ = wire::decode_prefix::<Trailing>(rest);
        }
    }
}

/// Reads fuzz bytes as numbers; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn f64_bits(&mut self) -> f64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        f64::from_le_bytes(b)
    }

    /// Mostly `lo + (hi - lo) * byte / 255`; one time in 64, raw bits (NaN, inf, ...).
    fn f64_in(&mut self, lo: f64, hi: f64) -> f64 {
        let b = self.u8();
        if b == 255 && self.u8() < 4 {
            self.f64_bits()
        } else {
            lo + (hi - lo) * f64::from(b) / 255.0
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An ascending axis of 1..=3 values built from increments.
fn axis<const N: usize>(r: &mut Bytes<'_>, start: f64, step: f64) -> heapless::Vec<f64, N> {
    let mut v = heapless::Vec::new();
    let mut x = start + r.f64_in(0.0, step);
    for _ in 0..1 + r.u8() % 3 {
        let _ = v.push(x);
        x += 0.05 + r.f64_in(0.0, step);
    }
    v
}

/// Bars of several symbols replayed merged by (time, symbol).
struct Market {
    series: Vec<Vec<Bar>>,
    tf: u32,
}

impl BarSource for Market {
    fn symbols(&self) -> usize {
        self.series.len()
    }

    fn timeframe_minutes(&self) -> u32 {
        self.tf
    }

    fn span(&self) -> (i64, i64) {
        let first = self
            .series
            .iter()
            .filter_map(|s| s.first())
            .map(|b| b.time)
            .min();
        let last = self
            .series
            .iter()
            .filter_map(|s| s.last())
            .map(|b| b.time)
            .max();
        (first.unwrap_or(0), last.unwrap_or(0))
    }

    fn replay(
        &mut self,
        sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut pos = vec![0usize; self.series.len()];
        loop {
            let mut next: Option<(i64, usize)> = None;
            for (s, series) in self.series.iter().enumerate() {
                if let Some(b) = series.get(pos[s])
                    && next.is_none_or(|(t, _)| b.time < t)
                {
                    next = Some((b.time, s));
                }
            }
            let Some((_, s)) = next else { return Ok(()) };
            sink(s as u16, &self.series[s][pos[s]])?;
            pos[s] += 1;
        }
    }
}

/// A market from fuzz bytes: each bar is a time step code and four moves; some codes
/// leave a gap, rare ones repeat a time or put raw bits (NaN, inf, ...) into a price.
fn market(r: &mut Bytes<'_>, symbols: usize, tf: u32) -> Market {
    let step = i64::from(tf) * 60_000;
    let mut series = vec![Vec::new(); symbols];
    let mut prices = vec![100.0_f64; symbols];
    let mut times = vec![1_704_067_200_000_i64; symbols];
    let mut s = 0;
    while !r.is_empty() && series.iter().map(Vec::len).sum::<usize>() < 2000 {
        // Rare codes (1 in 4096 bars each): a repeated time, a raw-bits close.
        let code = r.u8();
        let rare = code >= 254 && r.u8() < 16;
        times[s] += match code {
            255 if rare => 0,
            250..=253 => step * i64::from(code - 248),
            _ => step,
        };
        let open = prices[s];
        let mut close = open * (1.0 + f64::from(r.u8() as i8) / 400.0);
        if code == 254 && rare {
            close = r.f64_bits();
        }
        let high = open.max(close) * (1.0 + f64::from(r.u8()) / 4000.0);
        let low = open.min(close) * (1.0 - f64::from(r.u8()) / 4000.0);
        series[s].push(Bar {
            time: times[s],
            open,
            high,
            low,
            close,
            volume: f64::from(r.u8()) * 7.0,
        });
        if close.is_finite() && close > 1e-6 && close < 1e12 {
            prices[s] = close;
        }
        s = (s + 1) % symbols;
    }
    Market { series, tf }
}

/// The core's phases on arbitrary bars and parameters, in the small workspace; and the
/// fast first-passage evaluation equal to the reference simulator on every cell.
///
/// The bytes map to a valid profile almost always (so the phases run); the first byte's
/// low bits pick one parameter to break, one input in eight, so validation is fuzzed too.
/// Timeframes are 1h and above: shorter ones need thousands of bars of indicator warm-up.
pub fn engine(bytes: &[u8]) {
    let mut r = Bytes(bytes);
    let chaos = r.u8();
    let broken = |k: u8| chaos % 8 == 0 && (chaos / 8) % 12 == k;
    let tf = [60, 240, 1440, 240][usize::from(r.u8()) % 4];
    let profile = Profile::ALL[usize::from(r.u8() % 2)];
    let mut groups = heapless::Vec::new();
    for _ in 0..1 + r.u8() % 2 {
        let mut w = [0.0; phasebound_core::budget::COMPONENTS];
        for x in &mut w {
            *x = r.f64_in(0.0, 40.0);
        }
        if broken(0) {
            w[0] = -1.0;
        }
        let _ = groups.push(Weights(w));
    }
    let hold_max = SMALL_H_MAX as u16;
    let mut spec = ProfileSpec {
        profile,
        groups,
        candidate_min_score: r.f64_in(0.0, 90.0) as f32,
        candidate_min_consensus: r.u8() % 6,
        opportunity_move_pct: r.f64_in(0.1, 5.0),
        opportunity_horizon: 1 + u16::from(r.u8()) % hold_max,
        entry_timing: if r.u8() % 2 == 0 {
            EntryTiming::NextOpen
        } else {
            EntryTiming::SignalClose
        },
        cost_pct: r.f64_in(0.0, 1.0),
        one_position_per_symbol: r.u8() % 2 == 0,
        max_open_trades: 1 + r.u8() % 16,
        stake: if r.u8() % 2 == 0 {
            Stake::Compounding
        } else {
            Stake::Fixed
        },
    };
    if broken(1) {
        spec.candidate_min_consensus = 6;
    }
    if broken(2) {
        spec.opportunity_horizon = hold_max + 1; // beyond the small workspace's window
    }
    if broken(3) {
        spec.cost_pct = f64::NAN;
    }
    let mut hold = heapless::Vec::new();
    let mut h = 1 + u16::from(r.u8()) % 30;
    for _ in 0..1 + r.u8() % 3 {
        let _ = hold.push(h.min(hold_max));
        h += 1 + u16::from(r.u8()) % 30;
    }
    if broken(4) {
        let _ = hold.push(hold_max + 10);
    }
    let mut trailing = heapless::Vec::new();
    for _ in 0..r.u8() % 3 {
        let _ = trailing.push(Trailing {
            activation: r.f64_in(0.05, 3.0),
            distance: r.f64_in(0.05, 2.0),
        });
    }
    let mut min_score = heapless::Vec::new();
    let mut ms = spec.candidate_min_score;
    for _ in 0..1 + r.u8() % 2 {
        let _ = min_score.push(ms);
        ms = (ms + 1.0 + f32::from(r.u8() % 20)).min(100.0);
    }
    let mut min_consensus = heapless::Vec::new();
    for c in spec.candidate_min_consensus..=(spec.candidate_min_consensus + r.u8() % 2).min(5) {
        let _ = min_consensus.push(c);
    }
    let mut space = ExitSpace {
        tp: axis(&mut r, 0.1, 3.0),
        sl: axis(&mut r, 0.1, 2.0),
        hold,
        trailing,
        min_score,
        min_consensus,
    };
    if broken(5) {
        space.tp.reverse();
    }
    if broken(6) {
        space.sl.clear();
    }
    let baseline = ExitParams {
        tp: r.f64_in(0.1, 4.0),
        sl: r.f64_in(0.1, 3.0),
        hold: 1 + u16::from(r.u8()) % hold_max,
        trailing: None,
    };
    let groups_len = spec.groups.len() as u8;
    let mut pc = ProfileConfig {
        fallback: Some(CellDef {
            group: r.u8() % groups_len.max(1),
            min_score: r.f64_in(0.0, 100.0) as f32,
            min_consensus: r.u8() % 6,
            exit: baseline,
        }),
        spec,
        baseline,
        space,
    };
    if broken(7)
        && let Some(f) = pc.fallback.as_mut()
    {
        f.group = groups_len;
    }
    if broken(8) {
        pc.baseline.hold = 0;
    }
    let search = SearchConfig {
        objective: Objective::ALL[usize::from(r.u8()) % Objective::ALL.len()],
        min_trades: u32::from(r.u8() % 5),
        max_rounds: 1 + u16::from(r.u8() % 4),
        starts: 1 + r.u8() % 4,
    };
    let vcfg = ValidationConfig {
        min_trades: u32::from(r.u8() % 5),
        alpha: r.f64_in(0.0, 1.0),
    };
    let fraction = r.f64_in(0.0, 1.0);
    let sample_k = u32::from(r.u8());
    let symbols = 1 + usize::from(r.u8() % 3);
    let mut source = market(&mut r, symbols, tf);

    let mut ws: Box<SmallWorkspace> = Box::new(SmallWorkspace::new());
    let span = source.span();
    let all = TimeRange::all(span);
    let _ = phase::scan(&mut *ws, &mut source, &pc, all);
    let Ok((is, oos)) = TimeRange::split(span, fraction) else {
        return;
    };
    let Ok(scan_is) = phase::scan(&mut *ws, &mut source, &pc, is) else {
        return;
    };
    let Ok(screen) = phase::screen(&mut *ws, &mut source, &pc, &search, is) else {
        return;
    };
    let mut sample_buf: heapless::Vec<u32, 64> = heapless::Vec::new();
    let n = scan_is.totals.candidates;
    let sample = if sample_k > 0 && sample_k < n {
        let mut rng = phasebound_core::sampling::stream(u64::from(sample_k), 3, 0);
        phasebound_core::sampling::sample_without_replacement(
            &mut rng,
            n,
            sample_k.min(64),
            &mut sample_buf,
        )
        .ok()
        .map(|()| sample_buf.as_slice())
    } else {
        None
    };
    let starts = screen.starts(usize::from(search.starts));
    if let Ok(opt) = phase::optimize(&mut *ws, &mut source, &pc, &search, starts, is, sample)
        && let Some(chosen) = opt.chosen()
    {
        let stats = chosen.full.unwrap_or(chosen.stats);
        let _ = phase::validate(
            &mut *ws,
            &mut source,
            &pc,
            &vcfg,
            &chosen.best,
            &stats,
            &[oos],
        );
        let _ = phase::reanalyse(
            &mut *ws,
            &mut source,
            &pc,
            &chosen.best,
            pc.fallback.as_ref(),
            all,
        );
    }

    // Differential check: every cell of the screening grid, both evaluation modes.
    let Ok(mut plan) = PassPlan::<64>::new(&pc.spec, all.from, all.to) else {
        return;
    };
    for entry in starts {
        let _ = plan.push_cell(entry.cell);
    }
    if let Some(f) = pc.fallback {
        let _ = plan.push_cell(f);
    }
    if plan.finalize().is_err() || plan.cells().is_empty() {
        return;
    }
    if phase::run_pass(&mut *ws, &mut source, &plan).is_err() {
        return;
    }
    let fast: Vec<CellStats> = ws.stats(plan.cells().len()).to_vec();
    plan.set_mode(EvalMode::Reference);
    phase::run_pass(&mut *ws, &mut source, &plan)
        .expect("the reference pass accepts what the fast pass accepted");
    // Debug text compares NaN to NaN and tells -0.0 from 0.0: bit-for-bit in practice.
    let reference = format!("{:?}", ws.stats(plan.cells().len()));
    assert_eq!(
        format!("{fast:?}"),
        reference,
        "first-passage and reference simulator disagree"
    );
}
