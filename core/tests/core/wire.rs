//! Postcard wire helpers and types: golden bytes, worst-case sizes that are exact for
//! every phase result and the checkpoint, checkpoint round trips on a real run, and
//! panic-free rejection of short buffers, truncated, trailing, mutated and random bytes.

// A failing test panics: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::support::{VecSource, market};
use phasebound_core::budget::MAX_STARTS;
use phasebound_core::engine::{FixedWorkspace, SymbolCounters};
use phasebound_core::phase::{
    self, BarSource, OptimizeResult, Reanalysis, SCREEN_TOP, ScanResult, ScreenEntry, ScreenResult,
    SearchConfig, StartResult, TimeRange, Validation, ValidationConfig, Verdict,
};
use phasebound_core::plan::CellDef;
use phasebound_core::sampling;
use phasebound_core::signal::Profile;
use phasebound_core::stats::{CellStats, Objective};
use phasebound_core::wire::{
    CELL_DEF_MAX_SIZE, CELL_STATS_MAX_SIZE, CHECKPOINT_MAX_SIZE, CHECKPOINT_VERSION, Checkpoint,
    EXIT_PARAMS_MAX_SIZE, OPTIMIZE_RESULT_MAX_SIZE, REANALYSIS_MAX_SIZE, SCAN_RESULT_MAX_SIZE,
    SCREEN_ENTRY_MAX_SIZE, SCREEN_RESULT_MAX_SIZE, START_RESULT_MAX_SIZE, SYMBOL_COUNTERS_MAX_SIZE,
    TRAILING_MAX_SIZE, VALIDATION_MAX_SIZE, decode, decode_prefix, encode, option_max_size,
    varint_size, vec_max_size,
};
use phasebound_core::{Error, ExitParams, ExitReason, TradeOutcome, Trailing};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

fn golden_stats() -> CellStats {
    CellStats {
        trades: 300,
        wins: 1,
        skipped: 2,
        reasons: [128, 0, 1, 16_383, 16_384],
        ambiguous: 127,
        captured: u32::MAX,
        days: 365,
        sum_profit: 1.5,
        sum_sq_profit: 2.75,
        gross_profit: 2.0,
        gross_loss: 0.5,
        equity: 1.5,
        peak: 2.0,
        trough: 0.5,
        max_drawdown: 0.75,
        day_sum: 0.25,
        day_sum_sq: 0.0625,
        day_down_sq: 0.0,
        day_sum_cu: 0.125,
        day_sum_qu: 0.0,
    }
}

/// Written by hand from the postcard spec (LEB128 varints, f64 little-endian).
#[rustfmt::skip]
const GOLDEN: [u8; 125] = [
    0xAC, 0x02,                                     // trades 300
    0x01,                                           // wins 1
    0x02,                                           // skipped 2
    0x80, 0x01,                                     // reasons[0] 128
    0x00,                                           // reasons[1] 0
    0x01,                                           // reasons[2] 1
    0xFF, 0x7F,                                     // reasons[3] 16383
    0x80, 0x80, 0x01,                               // reasons[4] 16384
    0x7F,                                           // ambiguous 127
    0xFF, 0xFF, 0xFF, 0xFF, 0x0F,                   // captured u32::MAX
    0xED, 0x02,                                     // days 365 = 0x6D | 2 << 7
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // sum_profit 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x40, // sum_sq_profit 2.75
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // gross_profit 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // gross_loss 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // equity 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // peak 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // trough 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE8, 0x3F, // max_drawdown 0.75
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0x3F, // day_sum 0.25
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xB0, 0x3F, // day_sum_sq 0.0625
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // day_down_sq 0.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x3F, // day_sum_cu 0.125
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // day_sum_qu 0.0
];

/// An independent encoder of the same layout, to cross-check the hand-written bytes and
/// to encode random values.
fn hand_encode(s: &CellStats) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u32) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::new();
    varint(&mut out, s.trades);
    varint(&mut out, s.wins);
    varint(&mut out, s.skipped);
    for r in s.reasons {
        varint(&mut out, r);
    }
    varint(&mut out, s.ambiguous);
    varint(&mut out, s.captured);
    varint(&mut out, s.days);
    for f in [
        s.sum_profit,
        s.sum_sq_profit,
        s.gross_profit,
        s.gross_loss,
        s.equity,
        s.peak,
        s.trough,
        s.max_drawdown,
        s.day_sum,
        s.day_sum_sq,
        s.day_down_sq,
        s.day_sum_cu,
        s.day_sum_qu,
    ] {
        out.extend_from_slice(&f.to_le_bytes());
    }
    out
}

fn random_stats(rng: &mut Xoshiro256PlusPlus) -> CellStats {
    // Counters of every varint length; floats as arbitrary bit patterns (NaNs included,
    // so compare encodings, not values).
    let mut u = || rng.next_u32() >> (rng.next_u32() % 32);
    let mut s = CellStats::new();
    s.trades = u();
    s.wins = u();
    s.skipped = u();
    s.reasons = [u(), u(), u(), u(), u()];
    s.ambiguous = u();
    s.captured = u();
    s.days = u();
    s.sum_profit = f64::from_bits(rng.next_u64());
    s.sum_sq_profit = f64::from_bits(rng.next_u64());
    s.gross_profit = f64::from_bits(rng.next_u64());
    s.gross_loss = f64::from_bits(rng.next_u64());
    s.equity = f64::from_bits(rng.next_u64());
    s.peak = f64::from_bits(rng.next_u64());
    s.trough = f64::from_bits(rng.next_u64());
    s.max_drawdown = f64::from_bits(rng.next_u64());
    s.day_sum = f64::from_bits(rng.next_u64());
    s.day_sum_sq = f64::from_bits(rng.next_u64());
    s.day_down_sq = f64::from_bits(rng.next_u64());
    s.day_sum_cu = f64::from_bits(rng.next_u64());
    s.day_sum_qu = f64::from_bits(rng.next_u64());
    s
}

#[test]
fn golden_bytes() {
    let s = golden_stats();
    assert_eq!(hand_encode(&s), GOLDEN);
    let mut buf = [0u8; CELL_STATS_MAX_SIZE];
    let written = encode(&s, &mut buf).unwrap();
    assert_eq!(written, GOLDEN.as_slice());
    let back: CellStats = decode(&GOLDEN).unwrap();
    assert_eq!(back, s);
}

#[test]
fn random_values_match_independent_encoder_and_round_trip() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(31);
    let mut buf = [0u8; CELL_STATS_MAX_SIZE];
    for _ in 0..2000 {
        let s = random_stats(&mut rng);
        let bytes = encode(&s, &mut buf).unwrap().to_vec();
        assert_eq!(bytes, hand_encode(&s));
        let back: CellStats = decode(&bytes).unwrap();
        // Bit-exact (NaN payloads too): re-encoding gives the same bytes.
        assert_eq!(hand_encode(&back), bytes);
    }
}

#[test]
fn max_size_is_exact() {
    // 9 counters (trades, wins, 5 reasons, ambiguous, captured) of up to 5 bytes,
    // 8 floats of 8 bytes.
    assert_eq!(CELL_STATS_MAX_SIZE, 11 * 5 + 13 * 8);
    let mut s = CellStats::new();
    s.trades = u32::MAX;
    s.wins = u32::MAX;
    s.reasons = [u32::MAX; ExitReason::COUNT];
    s.ambiguous = u32::MAX;
    s.captured = u32::MAX;
    s.skipped = u32::MAX;
    s.days = u32::MAX;
    s.sum_profit = f64::MAX;
    let mut buf = [0u8; CELL_STATS_MAX_SIZE];
    assert_eq!(encode(&s, &mut buf).unwrap().len(), CELL_STATS_MAX_SIZE);
    // And it is an upper bound for everything else.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(32);
    for _ in 0..1000 {
        assert!(encode(&random_stats(&mut rng), &mut buf).is_ok());
    }
}

#[test]
fn small_buffer_is_an_error() {
    let s = golden_stats();
    for len in 0..GOLDEN.len() {
        let mut buf = vec![0u8; len];
        assert_eq!(encode(&s, &mut buf), Err(Error::Wire), "len {len}");
    }
}

#[test]
fn truncated_and_trailing_bytes_are_errors() {
    for len in 0..GOLDEN.len() {
        assert_eq!(
            decode::<CellStats>(&GOLDEN[..len]),
            Err(Error::Wire),
            "prefix {len}"
        );
    }
    let mut longer = GOLDEN.to_vec();
    longer.push(0);
    assert_eq!(decode::<CellStats>(&longer), Err(Error::Wire));
    // decode_prefix reads one record and hands back the rest.
    longer.extend_from_slice(&GOLDEN);
    let (first, rest) = decode_prefix::<CellStats>(&longer).unwrap();
    assert_eq!(first, golden_stats());
    assert_eq!(rest.len(), 1 + GOLDEN.len());
    let (second, rest) = decode_prefix::<CellStats>(&rest[1..]).unwrap();
    assert_eq!((second, rest.len()), (golden_stats(), 0));
}

#[test]
fn malformed_varints_and_variants_are_errors() {
    let mut bad = GOLDEN;
    // captured: a 5th varint byte above 0x0F overflows u32.
    bad[18] = 0x10;
    assert_eq!(decode::<CellStats>(&bad), Err(Error::Wire));
    // Six continuation bytes for `trades`.
    let mut long = vec![0xFF; 6];
    long.extend_from_slice(&GOLDEN[2..]);
    assert_eq!(decode::<CellStats>(&long), Err(Error::Wire));

    let mut buf = [0u8; 4];
    for (i, o) in Objective::ALL.into_iter().enumerate() {
        assert_eq!(encode(&o, &mut buf).unwrap(), [i as u8]);
        assert_eq!(decode::<Objective>(&[i as u8]), Ok(o));
    }
    assert_eq!(decode::<Objective>(&[7]), Err(Error::Wire));
    assert_eq!(decode::<Objective>(&[]), Err(Error::Wire));
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(33);
    let mut errors = 0;
    for _ in 0..10_000 {
        let len = (rng.next_u32() as usize) % (2 * CELL_STATS_MAX_SIZE + 1);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u32() as u8).collect();
        match decode::<CellStats>(&bytes) {
            // Whatever decodes used every byte, so it is no longer than the bound and no
            // shorter than the smallest encoding (1-byte counters).
            Ok(_) => assert!((9 + 64..=CELL_STATS_MAX_SIZE).contains(&len), "len {len}"),
            Err(e) => {
                assert_eq!(e, Error::Wire);
                errors += 1;
            }
        }
        // Other shapes: enums, options, bounded vectors.
        let _ = decode::<Objective>(&bytes);
        let _ = decode::<TradeOutcome>(&bytes);
        let _ = decode::<(Option<Objective>, heapless::Vec<u32, 4>)>(&bytes);
        let _ = decode_prefix::<heapless::String<8>>(&bytes);
    }
    // Most random inputs have the wrong length or a bad varint.
    assert!(errors > 9_000, "errors {errors}");
}

// ---------------------------------------------------------------------------------------
// Phase results and checkpoints.
// ---------------------------------------------------------------------------------------

#[test]
fn varint_size_and_composition_helpers() {
    for (v, n) in [
        (0, 1),
        (127, 1),
        (128, 2),
        (16_383, 2),
        (16_384, 3),
        (u64::from(u16::MAX), 3),
        (u64::from(u32::MAX), 5),
        (u64::MAX, 10),
    ] {
        assert_eq!(varint_size(v), n, "value {v}");
    }
    // Against the encoder, on values of every bit length.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(40);
    let mut buf = [0u8; 10];
    for _ in 0..5000 {
        let v = rng.next_u64() >> (rng.next_u32() % 64);
        assert_eq!(encode(&v, &mut buf).unwrap().len(), varint_size(v), "{v}");
    }
    assert_eq!(option_max_size(16), 17);
    // A length of 127 still fits one varint byte, 128 does not.
    assert_eq!(vec_max_size(127, 3), 1 + 381);
    assert_eq!(vec_max_size(128, 3), 2 + 384);
    assert_eq!(vec_max_size(0, 3), 1);
}

#[test]
fn max_sizes_add_up_by_hand() {
    // Field by field (u8 1, f32 4, f64 8, u16 ≤ 3, u32 ≤ 5, u64 ≤ 10, bool 1, Option tag 1,
    // small enum 1, Vec length 1 below 128 elements), written out independently.
    assert_eq!(TRAILING_MAX_SIZE, 16);
    assert_eq!(EXIT_PARAMS_MAX_SIZE, 8 + 8 + 3 + 1 + 16);
    assert_eq!(CELL_DEF_MAX_SIZE, 1 + 4 + 1 + 36);
    assert_eq!(CELL_STATS_MAX_SIZE, 159);
    assert_eq!(SYMBOL_COUNTERS_MAX_SIZE, 5 * 5 + 8 + 10 + 5);
    assert_eq!(SCAN_RESULT_MAX_SIZE, 48);
    assert_eq!(SCREEN_ENTRY_MAX_SIZE, 42 + 159 + 8 + 5);
    assert_eq!(SCREEN_RESULT_MAX_SIZE, 5 + 1 + 10 * 214);
    assert_eq!(START_RESULT_MAX_SIZE, 42 + 8 + 42 + 159 + 8 + 3 + 1 + 159);
    assert_eq!(
        OPTIMIZE_RESULT_MAX_SIZE,
        1 + 4 * 422 + 1 + 3 + 3 + 5 + 10 + 5
    );
    assert_eq!(VALIDATION_MAX_SIZE, 42 + 2 * 159 + 5 + 3 + 1);
    assert_eq!(REANALYSIS_MAX_SIZE, 159 + 1 + 159 + 5 + 5);
    assert_eq!(
        CHECKPOINT_MAX_SIZE,
        1 + 10 + 1 + (1 + 48) + (1 + 2146) + (1 + 1716) + (1 + 369)
    );
    assert_eq!(
        [
            TRAILING_MAX_SIZE,
            EXIT_PARAMS_MAX_SIZE,
            CELL_DEF_MAX_SIZE,
            SYMBOL_COUNTERS_MAX_SIZE,
            SCAN_RESULT_MAX_SIZE,
            SCREEN_ENTRY_MAX_SIZE,
            SCREEN_RESULT_MAX_SIZE,
            START_RESULT_MAX_SIZE,
            OPTIMIZE_RESULT_MAX_SIZE,
            VALIDATION_MAX_SIZE,
            REANALYSIS_MAX_SIZE,
            CHECKPOINT_MAX_SIZE,
        ],
        [16, 36, 42, 48, 48, 214, 2146, 422, 1716, 369, 329, 4295]
    );
}

fn worst_trailing() -> Trailing {
    Trailing {
        activation: f64::MAX,
        distance: f64::MIN_POSITIVE,
    }
}

fn worst_exit() -> ExitParams {
    ExitParams {
        tp: f64::MAX,
        sl: f64::INFINITY,
        hold: u16::MAX,
        trailing: Some(worst_trailing()),
    }
}

fn worst_cell() -> CellDef {
    CellDef {
        group: u8::MAX,
        min_score: f32::MAX,
        min_consensus: u8::MAX,
        exit: worst_exit(),
    }
}

fn worst_stats() -> CellStats {
    CellStats {
        trades: u32::MAX,
        wins: u32::MAX,
        skipped: u32::MAX,
        reasons: [u32::MAX; ExitReason::COUNT],
        ambiguous: u32::MAX,
        captured: u32::MAX,
        days: u32::MAX,
        sum_profit: -1.0,
        sum_sq_profit: f64::MAX,
        gross_profit: 1e300,
        gross_loss: 0.0,
        equity: -0.0,
        peak: 3.5,
        trough: 0.25,
        max_drawdown: 7.0,
        day_sum: -3.5,
        day_sum_sq: 1.0,
        day_down_sq: 2.0,
        day_sum_cu: -1.0,
        day_sum_qu: 9.0,
    }
}

fn worst_counters() -> SymbolCounters {
    SymbolCounters {
        bars: u32::MAX,
        warm_bars: u32::MAX,
        candidates: u32::MAX,
        evaluated: u32::MAX,
        opportunities: u32::MAX,
        ideal_profit_sum: f64::MAX,
        time_to_peak_sum: u64::MAX,
        longs: u32::MAX,
    }
}

fn worst_scan() -> ScanResult {
    ScanResult {
        totals: worst_counters(),
    }
}

fn worst_entry() -> ScreenEntry {
    ScreenEntry {
        cell: worst_cell(),
        stats: worst_stats(),
        score: f64::NEG_INFINITY,
        index: u32::MAX,
    }
}

fn worst_screen() -> ScreenResult {
    let mut top = heapless::Vec::new();
    while top.push(worst_entry()).is_ok() {}
    assert_eq!(top.len(), SCREEN_TOP);
    ScreenResult {
        cells: u32::MAX,
        top,
    }
}

fn worst_start() -> StartResult {
    StartResult {
        origin: worst_cell(),
        origin_score: f64::MIN,
        best: worst_cell(),
        stats: worst_stats(),
        score: f64::MAX,
        moves: u16::MAX,
        full: Some(worst_stats()),
    }
}

fn worst_optimize() -> OptimizeResult {
    let mut starts = heapless::Vec::new();
    while starts.push(worst_start()).is_ok() {}
    assert_eq!(starts.len(), MAX_STARTS);
    OptimizeResult {
        starts,
        best: u8::MAX,
        rounds: u16::MAX,
        passes: u16::MAX,
        cells_evaluated: u32::MAX,
        evaluations: u64::MAX,
        candidates_seen: u32::MAX,
    }
}

fn worst_validation() -> Validation {
    Validation {
        cell: worst_cell(),
        in_sample: worst_stats(),
        out_of_sample: worst_stats(),
        out_of_sample_opportunities: u32::MAX,
        enough_trades: true,
        positive: true,
        significant: true,
        verdict: Verdict::Failed,
    }
}

fn worst_reanalysis() -> Reanalysis {
    Reanalysis {
        new: worst_stats(),
        previous: Some(worst_stats()),
        opportunities: u32::MAX,
        candidates: u32::MAX,
    }
}

fn worst_checkpoint() -> Checkpoint {
    Checkpoint {
        seed: u64::MAX,
        scan: Some(worst_scan()),
        screen: Some(worst_screen()),
        optimize: Some(worst_optimize()),
        validation: Some(worst_validation()),
        ..Checkpoint::new(0, Profile::Swing)
    }
}

/// `value` takes exactly `max` bytes: a buffer of `max` bytes holds it, one byte less
/// does not, and it decodes back to itself.
fn assert_takes_exactly<T>(value: &T, max: usize, name: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let mut buf = vec![0u8; max];
    let bytes = encode(value, &mut buf).unwrap().to_vec();
    assert_eq!(bytes.len(), max, "{name}");
    assert_eq!(decode::<T>(&bytes).as_ref(), Ok(value), "{name}");
    assert_eq!(
        encode(value, &mut buf[..max - 1]),
        Err(Error::Wire),
        "{name}"
    );
}

#[test]
fn worst_case_values_take_exactly_the_max_size() {
    assert_takes_exactly(&worst_trailing(), TRAILING_MAX_SIZE, "Trailing");
    assert_takes_exactly(&worst_exit(), EXIT_PARAMS_MAX_SIZE, "ExitParams");
    assert_takes_exactly(&worst_cell(), CELL_DEF_MAX_SIZE, "CellDef");
    assert_takes_exactly(&worst_stats(), CELL_STATS_MAX_SIZE, "CellStats");
    assert_takes_exactly(
        &worst_counters(),
        SYMBOL_COUNTERS_MAX_SIZE,
        "SymbolCounters",
    );
    assert_takes_exactly(&worst_scan(), SCAN_RESULT_MAX_SIZE, "ScanResult");
    assert_takes_exactly(&worst_entry(), SCREEN_ENTRY_MAX_SIZE, "ScreenEntry");
    assert_takes_exactly(&worst_screen(), SCREEN_RESULT_MAX_SIZE, "ScreenResult");
    assert_takes_exactly(&worst_start(), START_RESULT_MAX_SIZE, "StartResult");
    assert_takes_exactly(
        &worst_optimize(),
        OPTIMIZE_RESULT_MAX_SIZE,
        "OptimizeResult",
    );
    assert_takes_exactly(&worst_validation(), VALIDATION_MAX_SIZE, "Validation");
    assert_takes_exactly(&worst_reanalysis(), REANALYSIS_MAX_SIZE, "Reanalysis");
    assert_takes_exactly(&worst_checkpoint(), CHECKPOINT_MAX_SIZE, "Checkpoint");
    // And through the checkpoint's own functions.
    let cp = worst_checkpoint();
    let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
    let bytes = cp.encode(&mut buf).unwrap();
    assert_eq!(bytes.len(), CHECKPOINT_MAX_SIZE);
    assert_eq!(Checkpoint::decode(bytes), Ok(cp));
}

/// Random values with integers of every varint length, options and vector lengths of
/// every kind, finite floats (so values compare equal after a round trip).
struct Gen(Xoshiro256PlusPlus);

impl Gen {
    fn u64(&mut self) -> u64 {
        self.0.next_u64() >> (self.0.next_u32() % 64)
    }
    fn u32(&mut self) -> u32 {
        self.0.next_u32() >> (self.0.next_u32() % 32)
    }
    fn u16(&mut self) -> u16 {
        (self.0.next_u32() as u16) >> (self.0.next_u32() % 16)
    }
    fn u8(&mut self) -> u8 {
        self.0.next_u32() as u8
    }
    fn bool(&mut self) -> bool {
        self.0.next_u32() & 1 == 1
    }
    fn f64(&mut self) -> f64 {
        let x = f64::from_bits(self.0.next_u64());
        if x.is_finite() { x } else { 0.5 }
    }
    fn f32(&mut self) -> f32 {
        let x = f32::from_bits(self.0.next_u32());
        if x.is_finite() { x } else { 0.5 }
    }
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u32() as usize) % n
    }
    fn cell(&mut self) -> CellDef {
        CellDef {
            group: self.u8(),
            min_score: self.f32(),
            min_consensus: self.u8(),
            exit: ExitParams {
                tp: self.f64(),
                sl: self.f64(),
                hold: self.u16(),
                trailing: self.bool().then(|| Trailing {
                    activation: self.f64(),
                    distance: self.f64(),
                }),
            },
        }
    }
    fn stats(&mut self) -> CellStats {
        CellStats {
            trades: self.u32(),
            wins: self.u32(),
            skipped: self.u32(),
            reasons: [self.u32(), self.u32(), self.u32(), self.u32(), self.u32()],
            ambiguous: self.u32(),
            captured: self.u32(),
            days: self.u32(),
            sum_profit: self.f64(),
            sum_sq_profit: self.f64(),
            gross_profit: self.f64(),
            gross_loss: self.f64(),
            equity: self.f64(),
            peak: self.f64(),
            trough: self.f64(),
            max_drawdown: self.f64(),
            day_sum: self.f64(),
            day_sum_sq: self.f64(),
            day_down_sq: self.f64(),
            day_sum_cu: self.f64(),
            day_sum_qu: self.f64(),
        }
    }
    fn counters(&mut self) -> SymbolCounters {
        SymbolCounters {
            bars: self.u32(),
            warm_bars: self.u32(),
            candidates: self.u32(),
            evaluated: self.u32(),
            opportunities: self.u32(),
            ideal_profit_sum: self.f64(),
            time_to_peak_sum: self.u64(),
            longs: self.u32(),
        }
    }
    fn scan(&mut self) -> ScanResult {
        ScanResult {
            totals: self.counters(),
        }
    }
    fn entry(&mut self) -> ScreenEntry {
        ScreenEntry {
            cell: self.cell(),
            stats: self.stats(),
            score: self.f64(),
            index: self.u32(),
        }
    }
    fn screen(&mut self) -> ScreenResult {
        let mut top = heapless::Vec::new();
        for _ in 0..self.below(SCREEN_TOP + 1) {
            top.push(self.entry()).unwrap();
        }
        ScreenResult {
            cells: self.u32(),
            top,
        }
    }
    fn start(&mut self) -> StartResult {
        StartResult {
            origin: self.cell(),
            origin_score: self.f64(),
            best: self.cell(),
            stats: self.stats(),
            score: self.f64(),
            moves: self.u16(),
            full: self.bool().then(|| self.stats()),
        }
    }
    fn optimize(&mut self) -> OptimizeResult {
        let mut starts = heapless::Vec::new();
        for _ in 0..self.below(MAX_STARTS + 1) {
            starts.push(self.start()).unwrap();
        }
        OptimizeResult {
            starts,
            best: self.u8(),
            rounds: self.u16(),
            passes: self.u16(),
            cells_evaluated: self.u32(),
            evaluations: self.u64(),
            candidates_seen: self.u32(),
        }
    }
    fn validation(&mut self) -> Validation {
        Validation {
            cell: self.cell(),
            in_sample: self.stats(),
            out_of_sample: self.stats(),
            out_of_sample_opportunities: self.u32(),
            enough_trades: self.bool(),
            positive: self.bool(),
            significant: self.bool(),
            verdict: [Verdict::Passed, Verdict::Warning, Verdict::Failed][self.below(3)],
        }
    }
    fn reanalysis(&mut self) -> Reanalysis {
        Reanalysis {
            new: self.stats(),
            previous: self.bool().then(|| self.stats()),
            opportunities: self.u32(),
            candidates: self.u32(),
        }
    }
    fn checkpoint(&mut self) -> Checkpoint {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            seed: self.u64(),
            profile: Profile::ALL[self.below(2)],
            scan: self.bool().then(|| self.scan()),
            screen: self.bool().then(|| self.screen()),
            optimize: self.bool().then(|| self.optimize()),
            validation: self.bool().then(|| self.validation()),
        }
    }
}

/// Encodes within `max` bytes and decodes back to the same value.
fn assert_round_trip_within<T>(value: &T, max: usize, name: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let mut buf = vec![0u8; max];
    let bytes = encode(value, &mut buf)
        .unwrap_or_else(|e| panic!("{name} does not fit its max size: {e:?}"));
    assert_eq!(decode::<T>(bytes).as_ref(), Ok(value), "{name}");
}

#[test]
fn random_values_fit_the_max_sizes_and_round_trip() {
    let mut g = Gen(Xoshiro256PlusPlus::seed_from_u64(41));
    for _ in 0..300 {
        assert_round_trip_within(&g.cell(), CELL_DEF_MAX_SIZE, "CellDef");
        assert_round_trip_within(&g.counters(), SYMBOL_COUNTERS_MAX_SIZE, "SymbolCounters");
        assert_round_trip_within(&g.scan(), SCAN_RESULT_MAX_SIZE, "ScanResult");
        assert_round_trip_within(&g.entry(), SCREEN_ENTRY_MAX_SIZE, "ScreenEntry");
        assert_round_trip_within(&g.screen(), SCREEN_RESULT_MAX_SIZE, "ScreenResult");
        assert_round_trip_within(&g.start(), START_RESULT_MAX_SIZE, "StartResult");
        assert_round_trip_within(&g.optimize(), OPTIMIZE_RESULT_MAX_SIZE, "OptimizeResult");
        assert_round_trip_within(&g.validation(), VALIDATION_MAX_SIZE, "Validation");
        assert_round_trip_within(&g.reanalysis(), REANALYSIS_MAX_SIZE, "Reanalysis");
        let cp = g.checkpoint();
        assert_round_trip_within(&cp, CHECKPOINT_MAX_SIZE, "Checkpoint");
        let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
        let bytes = cp.encode(&mut buf).unwrap();
        assert_eq!(Checkpoint::decode(bytes), Ok(cp));
    }
}

fn golden_entry() -> ScreenEntry {
    ScreenEntry {
        cell: CellDef {
            group: 2,
            min_score: 55.0,
            min_consensus: 3,
            exit: ExitParams {
                tp: 2.0,
                sl: 1.5,
                hold: 300,
                trailing: Some(Trailing {
                    activation: 1.0,
                    distance: 0.5,
                }),
            },
        },
        // A hand-made account (values chosen for their bit patterns).
        stats: CellStats {
            trades: 3,
            wins: 2,
            skipped: 0,
            reasons: [2, 1, 0, 0, 0],
            ambiguous: 0,
            captured: 1,
            days: 1,
            sum_profit: 1.5,
            sum_sq_profit: 2.75,
            gross_profit: 2.0,
            gross_loss: 0.5,
            equity: 1.5,
            peak: 2.0,
            trough: 1.0,
            max_drawdown: 0.5,
            day_sum: 0.5,
            day_sum_sq: 0.25,
            day_down_sq: 0.0,
            day_sum_cu: 0.125,
            day_sum_qu: 0.0625,
        },
        score: 0.75,
        index: 200,
    }
}

/// Written by hand from the postcard spec: u8 raw, f32/f64 little-endian IEEE 754,
/// u16/u32 LEB128 varints, `Some` as 0x01 then the value.
#[rustfmt::skip]
const GOLDEN_ENTRY: [u8; 166] = [
    // cell
    0x02,                                           // group 2
    0x00, 0x00, 0x5C, 0x42,                         // min_score 55.0f32 = 0x425C0000
    0x03,                                           // min_consensus 3
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // exit.tp 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // exit.sl 1.5
    0xAC, 0x02,                                     // exit.hold 300 = 0x2C | 2 << 7
    0x01,                                           // exit.trailing Some
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, //   activation 1.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, //   distance 0.5
    // stats
    0x03,                                           // trades 3
    0x02,                                           // wins 2
    0x00,                                           // skipped 0
    0x02, 0x01, 0x00, 0x00, 0x00,                   // reasons [2, 1, 0, 0, 0]
    0x00,                                           // ambiguous 0
    0x01,                                           // captured 1
    0x01,                                           // days 1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // sum_profit 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x40, // sum_sq_profit 2.75
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // gross_profit 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // gross_loss 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // equity 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // peak 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, // trough 1.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // max_drawdown 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // day_sum 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0x3F, // day_sum_sq 0.25
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // day_down_sq 0.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x3F, // day_sum_cu 0.125
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xB0, 0x3F, // day_sum_qu 0.0625
    // entry
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE8, 0x3F, // score 0.75
    0xC8, 0x01,                                     // index 200 = 0x48 | 1 << 7
];

#[test]
fn golden_screen_entry() {
    let e = golden_entry();
    let mut buf = [0u8; SCREEN_ENTRY_MAX_SIZE];
    assert_eq!(encode(&e, &mut buf).unwrap(), GOLDEN_ENTRY.as_slice());
    assert_eq!(decode::<ScreenEntry>(&GOLDEN_ENTRY), Ok(e));
    // Without the trailing stop: tag 0x00 and the 16 float bytes gone.
    let mut plain = e;
    plain.cell.exit.trailing = None;
    let mut expected = GOLDEN_ENTRY[..24].to_vec();
    expected.push(0x00);
    expected.extend_from_slice(&GOLDEN_ENTRY[41..]);
    assert_eq!(encode(&plain, &mut buf).unwrap(), expected.as_slice());
    // A bad Option tag is malformed.
    let mut bad = GOLDEN_ENTRY;
    bad[24] = 0x02;
    assert_eq!(decode::<ScreenEntry>(&bad), Err(Error::Wire));
}

#[test]
fn golden_empty_checkpoint() {
    let cp = Checkpoint::new(300, Profile::Swing);
    // version 3, seed 300 (varint), Swing (variant 1), four `None`.
    let golden = [0x03, 0xAC, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00];
    let mut buf = [0u8; 16];
    assert_eq!(cp.encode(&mut buf).unwrap(), golden.as_slice());
    assert_eq!(Checkpoint::decode(&golden), Ok(cp));
    // A Validation after the three `None`s: the Verdict is its last byte, as its index.
    let mut v = Checkpoint::new(300, Profile::Scalping);
    let mut val = worst_validation();
    for (i, verdict) in [Verdict::Passed, Verdict::Warning, Verdict::Failed]
        .into_iter()
        .enumerate()
    {
        val.verdict = verdict;
        v.validation = Some(val);
        let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
        let bytes = v.encode(&mut buf).unwrap();
        assert_eq!(bytes[..8], [0x03, 0xAC, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(bytes.last(), Some(&(i as u8)));
        *bytes.last_mut().unwrap() = 3;
        assert_eq!(
            Checkpoint::decode(bytes),
            Err(Error::Wire),
            "no 4th verdict"
        );
    }
}

/// The checkpoints a resumable run writes for one profile: after each phase of a real,
/// sampled run on a seeded random market.
fn run_checkpoints() -> Vec<Checkpoint> {
    let seed = 0x5EED_0000_0000_0042;
    let pc = super::phase::profile();
    let search = SearchConfig {
        objective: Objective::TotalProfit,
        min_trades: 10,
        max_rounds: 6,
        starts: 4,
    };
    let series = (0..2)
        .map(|s| market(200 + s, 3000, 40.0 + 25.0 * s as f64))
        .collect();
    let mut src = VecSource::new(series, 15);
    let mut ws: Box<FixedWorkspace<4, 64, 256>> = Box::new(FixedWorkspace::new());
    let span = BarSource::span(&src);
    let (is, oos) = TimeRange::split(span, 0.7).unwrap();

    let mut cp = Checkpoint::new(seed, Profile::Scalping);
    let mut out = vec![cp.clone()];
    let scan = phase::scan(&mut *ws, &mut src, &pc, is).unwrap();
    let n = scan.totals.candidates;
    cp.scan = Some(scan);
    out.push(cp.clone());
    let screen = phase::screen(&mut *ws, &mut src, &pc, &search, is).unwrap();
    cp.screen = Some(screen);
    out.push(cp.clone());
    let mut sample: heapless::Vec<u32, 4096> = heapless::Vec::new();
    let mut rng = sampling::stream(seed, 3, 0);
    sampling::sample_without_replacement(&mut rng, n, n / 2, &mut sample).unwrap();
    let starts = cp.screen.as_ref().unwrap().starts(4);
    let opt = phase::optimize(&mut *ws, &mut src, &pc, &search, starts, is, Some(&sample)).unwrap();
    cp.optimize = Some(opt);
    out.push(cp.clone());
    let best = *cp.optimize.as_ref().unwrap().chosen().unwrap();
    let cfg = ValidationConfig {
        min_trades: 5,
        alpha: 0.05,
    };
    let in_sample = best.full.unwrap();
    let v = phase::validate(
        &mut *ws,
        &mut src,
        &pc,
        &cfg,
        &best.best,
        &in_sample,
        &[oos],
    )
    .unwrap();
    cp.validation = Some(v);
    out.push(cp);
    out
}

#[test]
fn checkpoints_of_a_real_run_round_trip() {
    let stages = run_checkpoints();
    let last = stages.last().unwrap();
    // The run is not degenerate: every phase has content, the sampled search reports
    // the full-data result.
    let scan = last.scan.as_ref().unwrap();
    assert!(scan.totals.bars > 0, "{:?}", scan.totals);
    assert!(scan.totals.candidates > 20, "{:?}", scan.totals);
    assert!(!last.screen.as_ref().unwrap().top.is_empty());
    let opt = last.optimize.as_ref().unwrap();
    assert!(!opt.starts.is_empty() && opt.starts.iter().all(|s| s.full.is_some()));

    let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
    let mut previous_len = 0;
    for (i, cp) in stages.iter().enumerate() {
        let bytes = cp.encode(&mut buf).unwrap().to_vec();
        assert_eq!(bytes[0], CHECKPOINT_VERSION);
        assert!(bytes.len() > previous_len, "stage {i} adds a phase");
        previous_len = bytes.len();
        let back = Checkpoint::decode(&bytes).unwrap();
        assert_eq!(&back, cp, "stage {i}");
        // The generic helpers read the same bytes.
        assert_eq!(decode::<Checkpoint>(&bytes).as_ref(), Ok(cp));
        // Deterministic and canonical: re-encoding gives the same bytes.
        assert_eq!(back.encode(&mut buf).unwrap(), bytes.as_slice());
    }
    // A resumed run reads the phase results back bit for bit.
    let bytes = last.encode(&mut buf).unwrap().to_vec();
    let resumed = Checkpoint::decode(&bytes).unwrap();
    assert_eq!(resumed.optimize.unwrap().chosen(), opt.chosen());
}

#[test]
fn checkpoint_short_buffers_truncation_and_trailing_bytes_are_errors() {
    let cp = run_checkpoints().pop().unwrap();
    let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
    let bytes = cp.encode(&mut buf).unwrap().to_vec();
    for len in 0..bytes.len() {
        let mut small = vec![0u8; len];
        assert_eq!(cp.encode(&mut small), Err(Error::Wire), "buffer {len}");
        assert_eq!(
            Checkpoint::decode(&bytes[..len]),
            Err(Error::Wire),
            "prefix {len}"
        );
    }
    let mut exact = vec![0u8; bytes.len()];
    assert_eq!(cp.encode(&mut exact).unwrap(), bytes.as_slice());
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(Checkpoint::decode(&longer), Err(Error::Wire));
    // A too-small buffer for each phase result alone.
    let mut small = [0u8; 8];
    assert_eq!(
        encode(cp.scan.as_ref().unwrap(), &mut small),
        Err(Error::Wire)
    );
    assert_eq!(
        encode(cp.screen.as_ref().unwrap(), &mut small),
        Err(Error::Wire)
    );
    assert_eq!(
        encode(cp.optimize.as_ref().unwrap(), &mut small),
        Err(Error::Wire)
    );
    assert_eq!(
        encode(cp.validation.as_ref().unwrap(), &mut small),
        Err(Error::Wire)
    );
}

#[test]
fn wrong_checkpoint_version_is_rejected() {
    let cp = run_checkpoints().pop().unwrap();
    let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
    let good = cp.encode(&mut buf).unwrap().to_vec();
    for version in [0, 1, 2, 4, 0x7F, 0x80, u8::MAX] {
        // The layout is otherwise intact: the generic decoder reads it, the checkpoint
        // decoder refuses it on the version alone.
        let mut other = cp.clone();
        other.version = version;
        let bytes = encode(&other, &mut buf).unwrap().to_vec();
        assert_eq!(bytes[1..], good[1..]);
        assert_eq!(decode::<Checkpoint>(&bytes).map(|c| c.version), Ok(version));
        assert_eq!(
            Checkpoint::decode(&bytes),
            Err(Error::Wire),
            "version {version}"
        );
        // And this build does not write it.
        assert_eq!(
            other.encode(&mut buf),
            Err(Error::Wire),
            "version {version}"
        );
    }
    assert_eq!(Checkpoint::decode(&[]), Err(Error::Wire));
    assert_eq!(Checkpoint::decode(&[CHECKPOINT_VERSION]), Err(Error::Wire));
}

/// Decodes `bytes` as `T`; whatever decodes re-encodes within `max` bytes, canonically.
fn decode_checked<T>(bytes: &[u8], max: usize) -> bool
where
    T: Serialize + DeserializeOwned,
{
    match decode::<T>(bytes) {
        Ok(v) => {
            let mut buf = vec![0u8; max];
            let canonical = encode(&v, &mut buf).unwrap().to_vec();
            let again: T = decode(&canonical).unwrap();
            assert_eq!(encode(&again, &mut buf).unwrap(), canonical.as_slice());
            true
        }
        Err(e) => {
            assert_eq!(e, Error::Wire);
            false
        }
    }
}

#[test]
fn garbage_and_mutated_checkpoints_never_panic() {
    let valid: Vec<Vec<u8>> = {
        let mut g = Gen(Xoshiro256PlusPlus::seed_from_u64(42));
        let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
        let mut v: Vec<Vec<u8>> = run_checkpoints()
            .iter()
            .map(|cp| cp.encode(&mut buf).unwrap().to_vec())
            .collect();
        v.extend((0..8).map(|_| g.checkpoint().encode(&mut buf).unwrap().to_vec()));
        v.push(worst_checkpoint().encode(&mut buf).unwrap().to_vec());
        v
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(43);
    let (mut mutated_ok, mut mutated_err) = (0, 0);
    for case in 0..10_000 {
        let bytes: Vec<u8> = if case % 2 == 0 {
            // Random bytes, half of them behind a valid version byte.
            let len = (rng.next_u32() as usize) % (CHECKPOINT_MAX_SIZE + 16);
            let mut b: Vec<u8> = (0..len).map(|_| rng.next_u32() as u8).collect();
            if case % 4 == 0
                && let Some(first) = b.first_mut()
            {
                *first = CHECKPOINT_VERSION;
            }
            b
        } else {
            // A valid encoding with 1 to 4 bytes changed, and sometimes cut or extended.
            let mut b = valid[(rng.next_u32() as usize) % valid.len()].clone();
            for _ in 0..1 + rng.next_u32() % 4 {
                let i = 1 + (rng.next_u32() as usize) % (b.len() - 1);
                b[i] = rng.next_u32() as u8;
            }
            match rng.next_u32() % 8 {
                0 => b.truncate((rng.next_u32() as usize) % b.len()),
                1 => b.push(rng.next_u32() as u8),
                _ => {}
            }
            b
        };
        let ok = match Checkpoint::decode(&bytes) {
            Ok(cp) => {
                assert_eq!(cp.version, CHECKPOINT_VERSION);
                let mut buf = [0u8; CHECKPOINT_MAX_SIZE];
                let canonical = cp.encode(&mut buf).unwrap().to_vec();
                let again = Checkpoint::decode(&canonical).unwrap();
                assert_eq!(again.encode(&mut buf).unwrap(), canonical.as_slice());
                true
            }
            Err(e) => {
                assert_eq!(e, Error::Wire);
                false
            }
        };
        if case % 2 == 1 {
            if ok {
                mutated_ok += 1;
            } else {
                mutated_err += 1;
            }
        }
        // The same bytes as every phase result.
        decode_checked::<ScanResult>(&bytes, SCAN_RESULT_MAX_SIZE);
        decode_checked::<ScreenEntry>(&bytes, SCREEN_ENTRY_MAX_SIZE);
        decode_checked::<ScreenResult>(&bytes, SCREEN_RESULT_MAX_SIZE);
        decode_checked::<StartResult>(&bytes, START_RESULT_MAX_SIZE);
        decode_checked::<OptimizeResult>(&bytes, OPTIMIZE_RESULT_MAX_SIZE);
        decode_checked::<Validation>(&bytes, VALIDATION_MAX_SIZE);
        decode_checked::<Reanalysis>(&bytes, REANALYSIS_MAX_SIZE);
        let _ = decode_prefix::<Checkpoint>(&bytes);
    }
    // Both paths were exercised: changed float bytes still decode, changed tags,
    // lengths and cuts do not.
    assert!(
        mutated_ok > 500 && mutated_err > 500,
        "{mutated_ok} {mutated_err}"
    );
}
