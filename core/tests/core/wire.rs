//! Postcard wire helpers: golden bytes, the worst-case size bound, and panic-free
//! rejection of truncated, trailing and random bytes.

// A failing test panics: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phasebound_core::stats::{CellStats, Objective};
use phasebound_core::wire::{CELL_STATS_MAX_SIZE, decode, decode_prefix, encode};
use phasebound_core::{Error, ExitReason, TradeOutcome};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn golden_stats() -> CellStats {
    CellStats {
        trades: 300,
        wins: 1,
        sum_profit: 1.5,
        sum_sq_profit: 2.75,
        gross_profit: 2.0,
        gross_loss: 0.5,
        equity: 1.5,
        peak: 2.0,
        trough: -0.25,
        max_drawdown: 0.75,
        reasons: [128, 0, 1, 16_383, 16_384],
        ambiguous: 127,
        captured: u32::MAX,
    }
}

/// Written by hand from the postcard spec (LEB128 varints, f64 little-endian).
#[rustfmt::skip]
const GOLDEN: [u8; 82] = [
    0xAC, 0x02,                                     // trades 300
    0x01,                                           // wins 1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // sum_profit 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x40, // sum_sq_profit 2.75
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // gross_profit 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // gross_loss 0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, // equity 1.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // peak 2.0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0xBF, // trough -0.25
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE8, 0x3F, // max_drawdown 0.75
    0x80, 0x01,                                     // reasons[0] 128
    0x00,                                           // reasons[1] 0
    0x01,                                           // reasons[2] 1
    0xFF, 0x7F,                                     // reasons[3] 16383
    0x80, 0x80, 0x01,                               // reasons[4] 16384
    0x7F,                                           // ambiguous 127
    0xFF, 0xFF, 0xFF, 0xFF, 0x0F,                   // captured u32::MAX
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
    for f in [
        s.sum_profit,
        s.sum_sq_profit,
        s.gross_profit,
        s.gross_loss,
        s.equity,
        s.peak,
        s.trough,
        s.max_drawdown,
    ] {
        out.extend_from_slice(&f.to_le_bytes());
    }
    for r in s.reasons {
        varint(&mut out, r);
    }
    varint(&mut out, s.ambiguous);
    varint(&mut out, s.captured);
    out
}

fn random_stats(rng: &mut Xoshiro256PlusPlus) -> CellStats {
    // Counters of every varint length; floats as arbitrary bit patterns (NaNs included,
    // so compare encodings, not values).
    let mut u = || rng.next_u32() >> (rng.next_u32() % 32);
    let mut s = CellStats::new();
    s.trades = u();
    s.wins = u();
    s.reasons = [u(), u(), u(), u(), u()];
    s.ambiguous = u();
    s.captured = u();
    s.sum_profit = f64::from_bits(rng.next_u64());
    s.sum_sq_profit = f64::from_bits(rng.next_u64());
    s.gross_profit = f64::from_bits(rng.next_u64());
    s.gross_loss = f64::from_bits(rng.next_u64());
    s.equity = f64::from_bits(rng.next_u64());
    s.peak = f64::from_bits(rng.next_u64());
    s.trough = f64::from_bits(rng.next_u64());
    s.max_drawdown = f64::from_bits(rng.next_u64());
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
    assert_eq!(CELL_STATS_MAX_SIZE, 9 * 5 + 8 * 8);
    let mut s = CellStats::new();
    s.trades = u32::MAX;
    s.wins = u32::MAX;
    s.reasons = [u32::MAX; ExitReason::COUNT];
    s.ambiguous = u32::MAX;
    s.captured = u32::MAX;
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
    bad[81] = 0x10;
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
    assert_eq!(decode::<Objective>(&[4]), Err(Error::Wire));
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
