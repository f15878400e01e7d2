//! Seeded, reproducible randomness: independent streams, unbiased bounded integers,
//! uniform sampling without replacement, and reservoir sampling.
//!
//! # Streams
//!
//! One user seed drives every random decision of a run. [`stream`] derives a separate
//! [`Xoshiro256PlusPlus`] for each `(phase, index)` tag (a phase, and a cell, profile or
//! start inside it), so a result depends only on the seed and its own tag, never on the
//! order in which other work consumed randomness or on the thread that ran it.
//!
//! # Sampling
//!
//! - [`below`]: a uniform integer in `0..n` by Lemire's multiply-and-reject method
//!   (no modulo bias; on average fewer than two draws, usually one).
//! - [`sample_without_replacement`]: `k` distinct indices of `0..n` by Floyd's algorithm,
//!   returned sorted so that a pass can walk them with one pointer.
//! - [`Reservoir`]: Algorithm R, a uniform sample of fixed size from a stream whose length
//!   is not known in advance.
//!
//! Every function here takes its generator by `&mut`, allocates nothing and never panics.
//! The exact output for a given seed is part of the contract (pinned by known-answer
//! tests): changing any of these algorithms changes every seeded report.

use heapless::Vec;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::Error;

/// Weyl increment of SplitMix64 (2^64 / golden ratio, odd).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Domain separator for stream tags, so `stream(s, 0, 0)` is not a plain
/// `seed_from_u64(s)` generator that some other code might also build from `s`.
const STREAM_DOMAIN: u64 = 0x7068_6173_6562_6E64; // "phasebnd"

/// The SplitMix64 finalizer: a bijection on `u64` with full avalanche.
#[inline]
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 256-bit state words of [`stream`], exposed for tests of the derivation.
///
/// Word `i` (0..4) is
/// `mix64(mix64(seed + (i+1)·γ) ^ mix64(tag ^ D + (i+1)·γ))` with
/// `tag = phase << 32 | index`, `γ` the SplitMix64 increment and `D` a domain constant.
/// For a fixed seed, each word is a bijection of the tag (and for a fixed tag, of the
/// seed), so two different tags under one seed differ in **every** state word.
#[must_use]
pub const fn stream_state(seed: u64, phase: u32, index: u32) -> [u64; 4] {
    let tag = ((phase as u64) << 32) | index as u64;
    let mut words = [0u64; 4];
    let mut i = 0;
    while i < 4 {
        let step = GOLDEN_GAMMA.wrapping_mul(i as u64 + 1);
        let s = mix64(seed.wrapping_add(step));
        let t = mix64((tag ^ STREAM_DOMAIN).wrapping_add(step));
        words[i] = mix64(s ^ t);
        i += 1;
    }
    words
}

/// An independent generator for `(phase, index)` under the user's `seed`.
///
/// Use one stream per unit of work whose result must be reproducible on its own:
/// e.g. `stream(seed, 3, profile)` for Phase 3's candidate sample of a profile. The state
/// is [`stream_state`] written little-endian into the 32-byte xoshiro seed, so the
/// sequence is identical on every target. Streams of distinct tags are distinct states
/// of xoshiro256++'s 2^256 − 1 cycle; overlap within any realistic run length has
/// negligible probability.
#[must_use]
pub fn stream(seed: u64, phase: u32, index: u32) -> Xoshiro256PlusPlus {
    let words = stream_state(seed, phase, index);
    let mut bytes = [0u8; 32];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

/// A uniform integer in `0..n` (Lemire's nearly-divisionless method).
///
/// Exactly uniform: the 64-bit product of one 32-bit draw and `n` is rejected when it
/// falls in the `2^32 mod n` low values that would bias the high word. `n == 0` returns
/// 0 without consuming randomness (an empty range has no other answer).
#[inline]
pub fn below<R: Rng + ?Sized>(rng: &mut R, n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    let mut m = u64::from(rng.next_u32()) * u64::from(n);
    if (m as u32) < n {
        // 2^32 mod n, computed in 32 bits.
        let threshold = n.wrapping_neg() % n;
        while (m as u32) < threshold {
            m = u64::from(rng.next_u32()) * u64::from(n);
        }
    }
    (m >> 32) as u32
}

/// A uniform integer in `0..n` for 64-bit ranges (Lemire's method on `u128`).
/// `n == 0` returns 0 without consuming randomness.
#[inline]
pub fn below_u64<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// Writes into `out` a uniform sample of `k` distinct indices of `0..n`, sorted ascending.
///
/// Floyd's algorithm: for `j` in `n−k..n`, draw `t` in `0..=j`; add `t`, or `j` if `t` is
/// already taken. Every `k`-subset is equally likely, and exactly `k` draws of [`below`]
/// are made (plus its rare rejections). `out` is kept sorted throughout: membership is a
/// binary search, `j` (larger than everything taken so far) is a push, and `t` is an
/// insert. Cost: O(k log k) comparisons plus O(k²) element moves in the worst case, which
/// are memmoves of `u32` (for `k = 4096`, at most ~8 M words moved, well under a
/// millisecond).
///
/// `k > n` takes all of `0..n` (a sample larger than the population is the population).
/// `out` is cleared first.
///
/// # Errors
///
/// [`Error::CapacityExceeded`] (`MAX_SAMPLE`, capacity `N`) when `min(k, n) > N`; `out`
/// is then left empty.
///
/// # Example
///
/// ```
/// use phasebound_core::sampling::{sample_without_replacement, stream};
///
/// // Phase 3's sample of 5 candidates out of 100 for profile 0, under seed 42.
/// let mut rng = stream(42, 3, 0);
/// let mut picked: heapless::Vec<u32, 8> = heapless::Vec::new();
/// sample_without_replacement(&mut rng, 100, 5, &mut picked)?;
/// assert_eq!(picked.as_slice(), [2, 28, 57, 88, 94]);
/// # Ok::<(), phasebound_core::Error>(())
/// ```
pub fn sample_without_replacement<R: Rng + ?Sized, const N: usize>(
    rng: &mut R,
    n: u32,
    k: u32,
    out: &mut Vec<u32, N>,
) -> Result<(), Error> {
    out.clear();
    let k = k.min(n);
    if k as usize > N {
        return Err(Error::CapacityExceeded {
            what: "MAX_SAMPLE",
            capacity: N,
        });
    }
    if k == n {
        // The whole population: no randomness needed (and none consumed).
        for i in 0..n {
            out.push(i).map_err(|_| full::<N>())?;
        }
        return Ok(());
    }
    for j in (n - k)..n {
        let t = below(rng, j + 1);
        match out.binary_search(&t) {
            // `t` is taken; `j` is new and larger than every element so far.
            Ok(_) => out.push(j).map_err(|_| full::<N>())?,
            Err(pos) => out.insert(pos, t).map_err(|_| full::<N>())?,
        }
    }
    Ok(())
}

/// The capacity error of a sample buffer of capacity `N`; unreachable after the size check
/// above, but returned rather than assumed.
const fn full<const N: usize>() -> Error {
    Error::CapacityExceeded {
        what: "MAX_SAMPLE",
        capacity: N,
    }
}

/// A uniform sample of up to `N` items from a stream of unknown length (Algorithm R).
///
/// After `seen` offers, each offered item is held with probability `min(1, N / seen)`,
/// independently of the order of arrival. Slots are in replacement order, not arrival
/// order; sort the slice if the consumer needs order. Memory is `N` items and a counter.
#[derive(Clone, Debug)]
pub struct Reservoir<T: Copy, const N: usize> {
    items: Vec<T, N>,
    seen: u64,
}

impl<T: Copy, const N: usize> Reservoir<T, N> {
    /// An empty reservoir.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            items: Vec::new(),
            seen: 0,
        }
    }

    /// Offers the next item of the stream. The first `N` are kept; the `i`-th (1-based)
    /// after that replaces a uniformly chosen slot with probability `N / i`. One draw of
    /// randomness per offer once the reservoir is full, none before.
    pub fn offer<R: Rng + ?Sized>(&mut self, rng: &mut R, item: T) {
        let index = self.seen;
        self.seen = self.seen.saturating_add(1);
        if self.items.push(item).is_ok() {
            return;
        }
        let j = below_u64(rng, index.saturating_add(1));
        if let Ok(slot) = usize::try_from(j)
            && let Some(place) = self.items.get_mut(slot)
        {
            *place = item;
        }
    }

    /// Items offered so far.
    #[must_use]
    pub const fn seen(&self) -> u64 {
        self.seen
    }

    /// The sample: `min(seen, N)` items.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// The sample, mutable (e.g. to sort it in place).
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items
    }

    /// Empties the reservoir and resets the counter.
    pub fn clear(&mut self) {
        self.items.clear();
        self.seen = 0;
    }
}

impl<T: Copy, const N: usize> Default for Reservoir<T, N> {
    fn default() -> Self {
        Self::new()
    }
}
