//! Seeded streams, bounded integers, Floyd sampling and the reservoir: known answers
//! (cross-checked against an independent implementation here and, once, in Python),
//! determinism, and chi-square uniformity.

// A failing test panics: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};

use heapless::Vec as HVec;
use phasebound_core::Error;
use phasebound_core::budget::MAX_SAMPLE;
use phasebound_core::sampling::{
    Reservoir, below, below_u64, sample_without_replacement, stream, stream_state,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// χ² critical values at the 99.9 % level.
const CHI2_999_DOF19: f64 = 43.82;
const CHI2_999_DOF14: f64 = 36.12;

// ---- an independent implementation, written from the papers and the module docs ----

mod independent {
    const M_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    const DOMAIN: u64 = u64::from_be_bytes(*b"phasebnd");

    fn splitmix_finalize(z: u64) -> u64 {
        let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// xoshiro256++ straight from Blackman & Vigna's reference C code.
    pub struct Xo([u64; 4]);

    impl Xo {
        pub fn new(seed: u64, phase: u32, index: u32) -> Self {
            let tag = (u64::from(phase) << 32) | u64::from(index);
            let w = |i: u64| {
                splitmix_finalize(
                    splitmix_finalize(seed.wrapping_add(M_GAMMA.wrapping_mul(i)))
                        ^ splitmix_finalize((tag ^ DOMAIN).wrapping_add(M_GAMMA.wrapping_mul(i))),
                )
            };
            Xo([w(1), w(2), w(3), w(4)])
        }
        pub fn next(&mut self) -> u64 {
            let s = &mut self.0;
            let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
            let t = s[1] << 17;
            s[2] ^= s[0];
            s[3] ^= s[1];
            s[1] ^= s[2];
            s[0] ^= s[3];
            s[2] ^= t;
            s[3] = s[3].rotate_left(45);
            result
        }
        pub fn next32(&mut self) -> u32 {
            (self.next() >> 32) as u32
        }
        /// Lemire's method stated as plain rejection: accept iff low word ≥ 2^32 mod n.
        pub fn below(&mut self, n: u32) -> u32 {
            let limit = ((1u64 << 32) % u64::from(n)) as u32;
            loop {
                let m = u64::from(self.next32()) * u64::from(n);
                if (m as u32) >= limit {
                    return (m >> 32) as u32;
                }
            }
        }
        pub fn below64(&mut self, n: u64) -> u64 {
            let limit = ((1u128 << 64) % u128::from(n)) as u64;
            loop {
                let m = u128::from(self.next()) * u128::from(n);
                if (m as u64) >= limit {
                    return (m >> 64) as u64;
                }
            }
        }
    }

    /// Floyd's algorithm with a hash-free ordered set.
    pub fn floyd(rng: &mut Xo, n: u32, k: u32) -> Vec<u32> {
        let k = k.min(n);
        if k == n {
            return (0..n).collect();
        }
        let mut set = std::collections::BTreeSet::new();
        for j in n - k..n {
            let t = rng.below(j + 1);
            if !set.insert(t) {
                set.insert(j);
            }
        }
        set.into_iter().collect()
    }

    pub fn reservoir(rng: &mut Xo, items: impl Iterator<Item = u32>, cap: usize) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, item) in items.enumerate() {
            if out.len() < cap {
                out.push(item);
            } else {
                let j = rng.below64(i as u64 + 1) as usize;
                if j < cap {
                    out[j] = item;
                }
            }
        }
        out
    }
}

fn sample<const N: usize>(seed: u64, tag: u32, n: u32, k: u32) -> Vec<u32> {
    let mut rng = stream(seed, 3, tag);
    let mut out: HVec<u32, N> = HVec::new();
    sample_without_replacement(&mut rng, n, k, &mut out).unwrap();
    out.to_vec()
}

// ---- known answers ----

#[test]
fn stream_known_answer() {
    // Computed once by an independent Python implementation of the documented derivation.
    assert_eq!(
        stream_state(42, 3, 1),
        [
            0xc6fc_797d_9ced_4127,
            0xb306_ade1_b799_994f,
            0x4cb9_fa46_6886_7a29,
            0xe132_bf7f_afd7_2f55
        ]
    );
    let mut rng = stream(42, 3, 1);
    let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
    assert_eq!(
        got,
        [
            0x45a2_dbb5_db41_58c3,
            0xa9cb_e7c0_a7d9_bd18,
            0x32f0_da96_99d6_4f0b,
            0x0cdc_227f_34ca_7af5
        ]
    );
    let mut rng = stream(0, 0, 0);
    assert_eq!(rng.next_u64(), 0xe930_c21b_4b3f_a59a);
}

#[test]
fn stream_matches_independent_xoshiro() {
    let mut tags = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..200 {
        let (seed, phase, index) = (tags.next_u64(), tags.next_u32(), tags.next_u32());
        let mut ours = stream(seed, phase, index);
        let mut theirs = independent::Xo::new(seed, phase, index);
        for _ in 0..16 {
            assert_eq!(ours.next_u64(), theirs.next());
        }
    }
}

#[test]
fn below_known_answer() {
    let mut rng = stream(42, 0, 0);
    let got: Vec<u32> = (0..12).map(|_| below(&mut rng, 10)).collect();
    assert_eq!(got, [8, 1, 5, 0, 6, 8, 3, 1, 5, 7, 1, 5]);
    let mut rng = stream(42, 0, 1);
    let got: Vec<u32> = (0..4).map(|_| below(&mut rng, 1_000_000_007)).collect();
    assert_eq!(got, [440_490_323, 814_225_997, 441_696_925, 438_215_478]);
}

#[test]
fn below_matches_independent() {
    let mut params = Xoshiro256PlusPlus::seed_from_u64(2);
    for _ in 0..500 {
        let seed = params.next_u64();
        // Mix tiny, huge and rejection-heavy bounds (n just above 2^31 rejects ~half).
        let n = match params.next_u32() % 3 {
            0 => params.next_u32() % 50 + 1,
            1 => (1 << 31) + params.next_u32() % 1000,
            _ => params.next_u32().max(1),
        };
        let mut ours = stream(seed, 0, 0);
        let mut theirs = independent::Xo::new(seed, 0, 0);
        for _ in 0..8 {
            assert_eq!(below(&mut ours, n), theirs.below(n), "n = {n}");
        }
        let n64 = params.next_u64().max(1);
        assert_eq!(below_u64(&mut ours, n64), theirs.below64(n64));
        // Same number of draws consumed on both sides.
        assert_eq!(ours.next_u64(), theirs.next());
    }
}

#[test]
fn floyd_known_answer() {
    // Computed once by an independent Python implementation.
    assert_eq!(sample::<8>(42, 0, 100, 5), [2, 28, 57, 88, 94]);
    let mut rng = stream(7, 3, 1);
    let mut out: HVec<u32, 16> = HVec::new();
    sample_without_replacement(&mut rng, 1000, 10, &mut out).unwrap();
    assert_eq!(
        out.as_slice(),
        [120, 225, 237, 540, 561, 627, 641, 796, 915, 949]
    );
}

#[test]
fn floyd_matches_independent() {
    let mut params = Xoshiro256PlusPlus::seed_from_u64(3);
    for _ in 0..300 {
        let seed = params.next_u64();
        let n = params.next_u32() % 3000;
        let k = params.next_u32() % 300;
        let mut ours = stream(seed, 3, 0);
        let mut out: HVec<u32, 512> = HVec::new();
        sample_without_replacement(&mut ours, n, k, &mut out).unwrap();
        let mut theirs = independent::Xo::new(seed, 3, 0);
        assert_eq!(
            out.as_slice(),
            independent::floyd(&mut theirs, n, k),
            "n={n} k={k}"
        );
    }
}

#[test]
fn reservoir_known_answer_and_independent() {
    let mut rng = stream(42, 1, 0);
    let mut r: Reservoir<u32, 4> = Reservoir::new();
    for i in 0..50 {
        r.offer(&mut rng, i);
    }
    assert_eq!(r.seen(), 50);
    // Computed once by an independent Python implementation.
    assert_eq!(r.as_slice(), [9, 12, 7, 39]);

    let mut params = Xoshiro256PlusPlus::seed_from_u64(4);
    for _ in 0..200 {
        let seed = params.next_u64();
        let len = params.next_u32() % 400;
        let mut ours = stream(seed, 1, 0);
        let mut r: Reservoir<u32, 16> = Reservoir::new();
        for i in 0..len {
            r.offer(&mut ours, i * 3);
        }
        let mut theirs = independent::Xo::new(seed, 1, 0);
        let want = independent::reservoir(&mut theirs, (0..len).map(|i| i * 3), 16);
        assert_eq!(r.as_slice(), want.as_slice());
        assert_eq!(r.seen(), u64::from(len));
    }
}

// ---- determinism and independence of streams ----

#[test]
fn same_seed_same_output_different_tag_different_output() {
    assert_eq!(
        sample::<64>(9, 1, 10_000, 50),
        sample::<64>(9, 1, 10_000, 50)
    );
    assert_ne!(
        sample::<64>(9, 1, 10_000, 50),
        sample::<64>(9, 2, 10_000, 50)
    );
    assert_ne!(
        sample::<64>(9, 1, 10_000, 50),
        sample::<64>(10, 1, 10_000, 50)
    );

    // Under one seed, distinct tags differ in every state word (bijectivity per word),
    // including tags that differ only in phase vs index.
    let mut seen = HashMap::new();
    for phase in 0..16u32 {
        for index in 0..256u32 {
            let words = stream_state(12345, phase, index);
            for (w, word) in words.iter().enumerate() {
                let previous = seen.insert((w, *word), (phase, index));
                assert!(
                    previous.is_none(),
                    "word {w} collides: {previous:?} vs {phase},{index}"
                );
            }
        }
    }
    assert_ne!(stream_state(5, 1, 0), stream_state(5, 0, 1 << 31));
}

#[test]
fn stream_does_not_depend_on_other_streams_use() {
    let mut a = stream(77, 2, 5);
    let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
    let mut other = stream(77, 2, 4);
    for _ in 0..1000 {
        other.next_u64();
    }
    let mut b = stream(77, 2, 5);
    let again: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
    assert_eq!(first, again);
}

// ---- edge cases and capacity ----

#[test]
fn floyd_edge_cases() {
    // k > n takes the whole population, in order.
    assert_eq!(sample::<16>(1, 0, 7, 12), [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(sample::<16>(1, 0, 7, 7), [0, 1, 2, 3, 4, 5, 6]);
    assert!(sample::<16>(1, 0, 7, 0).is_empty());
    assert!(sample::<16>(1, 0, 0, 5).is_empty());
    assert_eq!(sample::<16>(1, 0, 1, 1), [0]);
    // Huge population: still in range.
    let s = sample::<16>(1, 0, u32::MAX, 16);
    assert_eq!(s.len(), 16);
    assert!(s.windows(2).all(|w| w[0] < w[1]));

    // k > capacity is an error naming the capacity, and leaves the buffer empty.
    let mut rng = stream(1, 0, 0);
    let mut out: HVec<u32, 4> = HVec::new();
    out.push(99).unwrap();
    assert_eq!(
        sample_without_replacement(&mut rng, 100, 5, &mut out),
        Err(Error::CapacityExceeded {
            what: "MAX_SAMPLE",
            capacity: 4
        })
    );
    assert!(out.is_empty());
    // ... but min(k, n) is what has to fit: 5 of a population of 3 is all 3.
    sample_without_replacement(&mut rng, 3, 5, &mut out).unwrap();
    assert_eq!(out.as_slice(), [0, 1, 2]);
    // Buffer refilled, not appended to.
    sample_without_replacement(&mut rng, 10, 2, &mut out).unwrap();
    assert_eq!(out.len(), 2);
}

#[test]
fn full_budget_sample_is_sorted_distinct_in_range() {
    let mut rng = stream(2024, 3, 0);
    let mut out: HVec<u32, MAX_SAMPLE> = HVec::new();
    for &n in &[4097u32, 5000, 100_000, 10_000_000] {
        sample_without_replacement(&mut rng, n, MAX_SAMPLE as u32, &mut out).unwrap();
        assert_eq!(out.len(), MAX_SAMPLE);
        assert!(out.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert!(out.iter().all(|&x| x < n));
    }
}

#[test]
fn below_edge_cases() {
    let mut rng = stream(3, 0, 0);
    let mut control = stream(3, 0, 0);
    // n = 0 and n = 1 have one answer; n = 0 consumes nothing.
    assert_eq!(below(&mut rng, 0), 0);
    assert_eq!(below_u64(&mut rng, 0), 0);
    assert_eq!(rng.next_u64(), control.next_u64());
    for _ in 0..100 {
        assert_eq!(below(&mut rng, 1), 0);
        assert!(below(&mut rng, u32::MAX) < u32::MAX);
        assert!(below_u64(&mut rng, u64::MAX) < u64::MAX);
    }
}

// ---- statistical uniformity ----

fn chi2(counts: &[u64], expected: f64) -> f64 {
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn floyd_marginals_are_uniform() {
    let (n, k, trials) = (20u32, 5u32, 20_000u64);
    let mut rng = stream(11, 3, 0);
    let mut out: HVec<u32, 8> = HVec::new();
    let mut counts = [0u64; 20];
    for _ in 0..trials {
        sample_without_replacement(&mut rng, n, k, &mut out).unwrap();
        assert_eq!(out.len(), k as usize);
        assert!(out.windows(2).all(|w| w[0] < w[1]));
        for &x in &out {
            counts[x as usize] += 1;
        }
    }
    let c = chi2(&counts, (trials * u64::from(k)) as f64 / f64::from(n));
    assert!(c < CHI2_999_DOF19, "chi2 = {c}, counts {counts:?}");
}

#[test]
fn floyd_subsets_are_uniform() {
    // Marginals can be uniform while subsets are not; check all C(6,2) = 15 pairs.
    let mut rng = stream(12, 3, 0);
    let mut out: HVec<u32, 2> = HVec::new();
    let mut counts: HashMap<(u32, u32), u64> = HashMap::new();
    let trials = 30_000u64;
    for _ in 0..trials {
        sample_without_replacement(&mut rng, 6, 2, &mut out).unwrap();
        *counts.entry((out[0], out[1])).or_default() += 1;
    }
    assert_eq!(counts.len(), 15);
    let c = chi2(
        &counts.values().copied().collect::<Vec<_>>(),
        trials as f64 / 15.0,
    );
    assert!(c < CHI2_999_DOF14, "chi2 = {c}");
}

#[test]
fn reservoir_marginals_and_subsets_are_uniform() {
    let trials = 20_000u64;
    let mut rng = stream(13, 1, 0);
    let mut counts = [0u64; 20];
    for _ in 0..trials {
        let mut r: Reservoir<u32, 5> = Reservoir::new();
        for i in 0..20 {
            r.offer(&mut rng, i);
        }
        let distinct: BTreeSet<u32> = r.as_slice().iter().copied().collect();
        assert_eq!(distinct.len(), 5);
        for &x in r.as_slice() {
            counts[x as usize] += 1;
        }
    }
    let c = chi2(&counts, (trials * 5) as f64 / 20.0);
    assert!(c < CHI2_999_DOF19, "chi2 = {c}, counts {counts:?}");

    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let trials = 30_000u64;
    for _ in 0..trials {
        let mut r: Reservoir<u32, 2> = Reservoir::default();
        for i in 0..6 {
            r.offer(&mut rng, i);
        }
        let s = r.as_mut_slice();
        s.sort_unstable();
        *pairs.entry((s[0], s[1])).or_default() += 1;
    }
    assert_eq!(pairs.len(), 15);
    let c = chi2(
        &pairs.values().copied().collect::<Vec<_>>(),
        trials as f64 / 15.0,
    );
    assert!(c < CHI2_999_DOF14, "chi2 = {c}");
}

#[test]
fn reservoir_below_capacity_and_clear() {
    let mut rng = stream(14, 1, 0);
    let mut r: Reservoir<u32, 8> = Reservoir::new();
    for i in 0..5 {
        r.offer(&mut rng, i);
    }
    assert_eq!(r.as_slice(), [0, 1, 2, 3, 4]);
    r.clear();
    assert_eq!(r.seen(), 0);
    assert!(r.as_slice().is_empty());
    // A zero-capacity reservoir only counts.
    let mut z: Reservoir<u32, 0> = Reservoir::new();
    for i in 0..10 {
        z.offer(&mut rng, i);
    }
    assert_eq!(z.seen(), 10);
    assert!(z.as_slice().is_empty());
}

#[test]
fn below_is_uniform() {
    let mut rng = stream(15, 0, 0);
    let draws = 100_000u64;
    let mut counts = [0u64; 20];
    for _ in 0..draws {
        counts[below(&mut rng, 20) as usize] += 1;
    }
    let c = chi2(&counts, draws as f64 / 20.0);
    assert!(c < CHI2_999_DOF19, "chi2 = {c}");
}

#[test]
fn below_has_no_modulo_bias() {
    // For n = 3·2^30, `x % n` of a 32-bit x returns the lowest third twice as often
    // (probability 1/2 instead of 1/3). 30,000 draws: σ ≈ 0.0027, so 0.02 is > 7σ.
    let mut rng = stream(16, 0, 0);
    let n = 3u32 << 30;
    let draws = 30_000;
    let low = (0..draws)
        .filter(|_| below(&mut rng, n) < (1 << 30))
        .count();
    let share = low as f64 / f64::from(draws);
    assert!((share - 1.0 / 3.0).abs() < 0.02, "share {share}");

    let n64 = 3u64 << 62;
    let low = (0..draws)
        .filter(|_| below_u64(&mut rng, n64) < (1 << 62))
        .count();
    let share = low as f64 / f64::from(draws);
    assert!((share - 1.0 / 3.0).abs() < 0.02, "share {share}");
}
