//! Postcard encoding into caller buffers: the compact binary form of core types for the
//! host's caches and checkpoints, and for links to embedded targets.
//!
//! Postcard writes integers other than `u8`/`i8` as LEB128 varints (zig-zag for signed),
//! `f32`/`f64` as 4/8 little-endian bytes, `bool` as one 0/1 byte, structs and arrays as
//! their fields in order with no framing, enums as a varint variant index, `Option` as a
//! 0/1 byte then the value, and sequences (`heapless::Vec`) as a varint length then the
//! elements. The format is stable (postcard 1.x) and identical on every target for the
//! types used here (no `usize`). [`encode`], [`decode`] and [`decode_prefix`] are
//! panic-free on any input: malformed, truncated or oversized data is an [`Error::Wire`].
//!
//! ## Buffer sizes
//!
//! Every phase result has a `*_MAX_SIZE` constant: the exact worst-case length of its
//! encoding, composed field by field from the primitive sizes below, so a buffer of that
//! many bytes always suffices (the tests encode a value with every field at its worst
//! case and check it takes exactly that many bytes). At the default capacities:
//!
//! | type | constant | bytes |
//! |---|---|---:|
//! | [`Trailing`] | [`TRAILING_MAX_SIZE`] | 16 |
//! | [`ExitParams`] | [`EXIT_PARAMS_MAX_SIZE`] | 36 |
//! | [`CellDef`] | [`CELL_DEF_MAX_SIZE`] | 42 |
//! | [`CellStats`] | [`CELL_STATS_MAX_SIZE`] | 159 |
//! | [`SymbolCounters`] | [`SYMBOL_COUNTERS_MAX_SIZE`] | 48 |
//! | [`ScanResult`] | [`SCAN_RESULT_MAX_SIZE`] | 48 |
//! | [`ScreenEntry`] | [`SCREEN_ENTRY_MAX_SIZE`] | 214 |
//! | [`ScreenResult`] | [`SCREEN_RESULT_MAX_SIZE`] | 2,146 |
//! | [`StartResult`] | [`START_RESULT_MAX_SIZE`] | 422 |
//! | [`OptimizeResult`] | [`OPTIMIZE_RESULT_MAX_SIZE`] | 1,716 |
//! | [`Validation`] | [`VALIDATION_MAX_SIZE`] | 369 |
//! | [`Reanalysis`] | [`REANALYSIS_MAX_SIZE`] | 329 |
//! | [`Checkpoint`] | [`CHECKPOINT_MAX_SIZE`] | 4,295 |
//!
//! ## Checkpoints
//!
//! A resumable run stores one [`Checkpoint`] per profile after each phase: the phases
//! done so far, with the seed and profile they belong to. [`Checkpoint::encode`] and
//! [`Checkpoint::decode`] frame it with [`CHECKPOINT_VERSION`] as the first byte, so a
//! checkpoint written by an incompatible build is refused rather than misread.

use crate::budget::MAX_STARTS;
use crate::error::Error;
use crate::phase::{OptimizeResult, SCREEN_TOP, ScanResult, ScreenResult, Validation};
use crate::signal::Profile;
use crate::trade::ExitReason;
// Only named in the docs.
#[cfg(doc)]
use crate::{
    engine::SymbolCounters,
    phase::{Reanalysis, ScreenEntry, StartResult, Verdict},
    plan::CellDef,
    stats::CellStats,
    trade::{ExitParams, Trailing},
};

/// Encoding of a `u8` or an `i8`: one byte, not a varint.
pub const U8_SIZE: usize = 1;

/// Encoding of a `bool`: one byte, 0 or 1.
pub const BOOL_SIZE: usize = 1;

/// Largest postcard encoding of a `u16` (varint: 7 bits per byte, ⌈16/7⌉ bytes).
pub const VARINT_U16_MAX_SIZE: usize = 16_usize.div_ceil(7);

/// Largest postcard encoding of a `u32` (varint: 7 bits per byte, ⌈32/7⌉ bytes).
pub const VARINT_U32_MAX_SIZE: usize = 32_usize.div_ceil(7);

/// Largest postcard encoding of a `u64` (varint: 7 bits per byte, ⌈64/7⌉ bytes).
pub const VARINT_U64_MAX_SIZE: usize = 64_usize.div_ceil(7);

/// Encoding of an `f32`: always 4 bytes.
pub const F32_SIZE: usize = 4;

/// Encoding of an `f64`: always 8 bytes.
pub const F64_SIZE: usize = 8;

/// Encoding of a unit-variant enum with fewer than 128 variants (e.g. [`Verdict`],
/// [`Profile`]): its variant index as a one-byte varint.
pub const SMALL_ENUM_SIZE: usize = 1;

/// Length of the varint encoding of `value`: 1 byte below 2⁷, 2 below 2¹⁴, and so on.
#[must_use]
pub const fn varint_size(value: u64) -> usize {
    let mut size = 1;
    let mut rest = value >> 7;
    while rest != 0 {
        size += 1;
        rest >>= 7;
    }
    size
}

/// Worst-case size of an `Option<T>` whose `T` takes at most `inner` bytes: the 0/1 tag
/// then the value.
#[must_use]
pub const fn option_max_size(inner: usize) -> usize {
    1 + inner
}

/// Worst-case size of a `heapless::Vec<T, capacity>` whose `T` takes at most `element`
/// bytes: the length (at most `capacity`) as a varint, then full storage.
#[must_use]
pub const fn vec_max_size(capacity: usize, element: usize) -> usize {
    varint_size(capacity as u64) + capacity * element
}

/// Worst-case size of a [`Trailing`]: `activation`, `distance` (f64).
pub const TRAILING_MAX_SIZE: usize = 2 * F64_SIZE;

/// Worst-case size of an [`ExitParams`]: `tp`, `sl` (f64); `hold` (u16);
/// `trailing` (`Option<Trailing>`).
pub const EXIT_PARAMS_MAX_SIZE: usize =
    2 * F64_SIZE + VARINT_U16_MAX_SIZE + option_max_size(TRAILING_MAX_SIZE);

/// Worst-case size of a [`CellDef`]: `group` (u8); `min_score` (f32); `min_consensus`
/// (u8); `exit` ([`ExitParams`]).
pub const CELL_DEF_MAX_SIZE: usize = U8_SIZE + F32_SIZE + U8_SIZE + EXIT_PARAMS_MAX_SIZE;

/// Worst-case size of a [`CellStats`], from its field list in order:
/// `trades`, `wins`, `skipped` (u32); `reasons` (`[u32; ExitReason::COUNT]`, no length
/// prefix); `ambiguous`, `captured`, `days` (u32); `sum_profit`, `sum_sq_profit`,
/// `gross_profit`, `gross_loss`, `equity`, `peak`, `trough`, `max_drawdown`, `day_sum`,
/// `day_sum_sq`, `day_down_sq`, `day_sum_cu`, `day_sum_qu` (f64). A test encodes a `CellStats` with every counter at
/// `u32::MAX` and checks it takes exactly this many bytes.
pub const CELL_STATS_MAX_SIZE: usize = 3 * VARINT_U32_MAX_SIZE
    + ExitReason::COUNT * VARINT_U32_MAX_SIZE
    + 3 * VARINT_U32_MAX_SIZE
    + 13 * F64_SIZE;

/// Worst-case size of a [`SymbolCounters`]: `bars`, `warm_bars`, `candidates`,
/// `evaluated`, `opportunities` (u32); `ideal_profit_sum` (f64); `time_to_peak_sum`
/// (u64); `longs` (u32).
pub const SYMBOL_COUNTERS_MAX_SIZE: usize =
    5 * VARINT_U32_MAX_SIZE + F64_SIZE + VARINT_U64_MAX_SIZE + VARINT_U32_MAX_SIZE;

/// Worst-case size of a [`ScanResult`]: `totals` ([`SymbolCounters`]).
pub const SCAN_RESULT_MAX_SIZE: usize = SYMBOL_COUNTERS_MAX_SIZE;

/// Worst-case size of a [`ScreenEntry`]: `cell` ([`CellDef`]); `stats` ([`CellStats`]);
/// `score` (f64); `index` (u32).
pub const SCREEN_ENTRY_MAX_SIZE: usize =
    CELL_DEF_MAX_SIZE + CELL_STATS_MAX_SIZE + F64_SIZE + VARINT_U32_MAX_SIZE;

/// Worst-case size of a [`ScreenResult`]: `cells` (u32); `top`
/// (`Vec<ScreenEntry, SCREEN_TOP>`).
pub const SCREEN_RESULT_MAX_SIZE: usize =
    VARINT_U32_MAX_SIZE + vec_max_size(SCREEN_TOP, SCREEN_ENTRY_MAX_SIZE);

/// Worst-case size of a [`StartResult`]: `origin` ([`CellDef`]); `origin_score` (f64);
/// `best` ([`CellDef`]); `stats` ([`CellStats`]); `score` (f64); `moves` (u16); `full`
/// (`Option<CellStats>`).
pub const START_RESULT_MAX_SIZE: usize = CELL_DEF_MAX_SIZE
    + F64_SIZE
    + CELL_DEF_MAX_SIZE
    + CELL_STATS_MAX_SIZE
    + F64_SIZE
    + VARINT_U16_MAX_SIZE
    + option_max_size(CELL_STATS_MAX_SIZE);

/// Worst-case size of an [`OptimizeResult`]: `starts` (`Vec<StartResult, MAX_STARTS>`);
/// `best` (u8); `rounds`, `passes` (u16); `cells_evaluated` (u32); `evaluations` (u64);
/// `candidates_seen` (u32).
pub const OPTIMIZE_RESULT_MAX_SIZE: usize = vec_max_size(MAX_STARTS, START_RESULT_MAX_SIZE)
    + U8_SIZE
    + 2 * VARINT_U16_MAX_SIZE
    + VARINT_U32_MAX_SIZE
    + VARINT_U64_MAX_SIZE
    + VARINT_U32_MAX_SIZE;

/// Worst-case size of a [`Validation`]: `cell` ([`CellDef`]); `in_sample`,
/// `out_of_sample` ([`CellStats`]); `out_of_sample_opportunities` (u32); `enough_trades`,
/// `positive`, `significant` (bool); `verdict` ([`Verdict`], 3 variants).
pub const VALIDATION_MAX_SIZE: usize = CELL_DEF_MAX_SIZE
    + 2 * CELL_STATS_MAX_SIZE
    + VARINT_U32_MAX_SIZE
    + 3 * BOOL_SIZE
    + SMALL_ENUM_SIZE;

/// Worst-case size of a [`Reanalysis`]: `new` ([`CellStats`]); `previous`
/// (`Option<CellStats>`); `opportunities`, `candidates` (u32).
pub const REANALYSIS_MAX_SIZE: usize =
    CELL_STATS_MAX_SIZE + option_max_size(CELL_STATS_MAX_SIZE) + 2 * VARINT_U32_MAX_SIZE;

/// Worst-case size of a [`Checkpoint`]: `version` (u8); `seed` (u64); `profile`
/// ([`Profile`], 2 variants); `scan`, `screen`, `optimize`, `validation` (each an
/// `Option` of its phase result).
pub const CHECKPOINT_MAX_SIZE: usize = U8_SIZE
    + VARINT_U64_MAX_SIZE
    + SMALL_ENUM_SIZE
    + option_max_size(SCAN_RESULT_MAX_SIZE)
    + option_max_size(SCREEN_RESULT_MAX_SIZE)
    + option_max_size(OPTIMIZE_RESULT_MAX_SIZE)
    + option_max_size(VALIDATION_MAX_SIZE);

/// Layout version of [`Checkpoint`], its first encoded byte. Bump it whenever the
/// encoding of `Checkpoint` or of any type inside it changes (the golden-bytes and
/// max-size tests catch most such changes, not all: a swap of two same-typed fields
/// keeps every size).
pub const CHECKPOINT_VERSION: u8 = 3;

/// What a resumable run stores for one profile after each phase: the results of the
/// phases done so far (`None` for those still to run), with the seed and profile they
/// belong to.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Layout version, [`CHECKPOINT_VERSION`] for checkpoints this build writes.
    pub version: u8,
    /// The run's seed.
    pub seed: u64,
    /// The profile the results belong to.
    pub profile: Profile,
    /// Phase 1 result.
    pub scan: Option<ScanResult>,
    /// Phase 2 result.
    pub screen: Option<ScreenResult>,
    /// Phase 3 result.
    pub optimize: Option<OptimizeResult>,
    /// Phase 4 result.
    pub validation: Option<Validation>,
}

impl Checkpoint {
    /// A checkpoint of the current version with no phase done yet.
    #[must_use]
    pub const fn new(seed: u64, profile: Profile) -> Self {
        Self {
            version: CHECKPOINT_VERSION,
            seed,
            profile,
            scan: None,
            screen: None,
            optimize: None,
            validation: None,
        }
    }

    /// Encodes the checkpoint into the front of `buf` (at most [`CHECKPOINT_MAX_SIZE`]
    /// bytes) and returns the written part.
    ///
    /// # Errors
    ///
    /// [`Error::Wire`] when `buf` is too small, or when `version` is not
    /// [`CHECKPOINT_VERSION`] (this build could not read it back).
    pub fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        if self.version != CHECKPOINT_VERSION {
            return Err(Error::Wire);
        }
        encode(self, buf)
    }

    /// Decodes a checkpoint that occupies all of `bytes`.
    ///
    /// # Errors
    ///
    /// [`Error::Wire`] when the first byte is not [`CHECKPOINT_VERSION`] (checked before
    /// the rest is read, since the layout depends on it), or on truncated, malformed or
    /// trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.first() != Some(&CHECKPOINT_VERSION) {
            return Err(Error::Wire);
        }
        decode(bytes)
    }
}

/// Encodes `value` into the front of `buf` and returns the written part.
///
/// # Errors
///
/// [`Error::Wire`] when `buf` is too small (or the value is not postcard-encodable);
/// the contents of `buf` are then unspecified.
pub fn encode<'b, T: serde::Serialize + ?Sized>(
    value: &T,
    buf: &'b mut [u8],
) -> Result<&'b mut [u8], Error> {
    postcard::to_slice(value, buf).map_err(|_| Error::Wire)
}

/// Decodes one value that occupies **all** of `bytes`.
///
/// Stricter than `postcard::from_bytes`, which ignores trailing bytes: leftovers mean the
/// caller framed the record wrongly or read the wrong type, so they are an error.
///
/// # Errors
///
/// [`Error::Wire`] on truncated, malformed (bad varint, unknown enum variant, invalid
/// UTF-8, …) or trailing bytes.
pub fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Error> {
    match decode_prefix(bytes)? {
        (value, []) => Ok(value),
        _ => Err(Error::Wire),
    }
}

/// Decodes one value from the front of `bytes` and returns it with the unread rest
/// (for records laid end to end).
///
/// # Errors
///
/// [`Error::Wire`] on truncated or malformed bytes.
pub fn decode_prefix<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
) -> Result<(T, &'a [u8]), Error> {
    postcard::take_from_bytes(bytes).map_err(|_| Error::Wire)
}
