//! Postcard encoding into caller buffers: the compact binary form of core types for the
//! host's caches and checkpoints, and for links to embedded targets.
//!
//! Postcard writes integers other than `u8`/`i8` as LEB128 varints (zig-zag for signed),
//! `f64` as 8 little-endian bytes, structs and arrays as their fields in order with no
//! framing, enums as a varint variant index, and `Option` as a 0/1 byte. The format is
//! stable (postcard 1.x) and identical on every target for the types used here (no
//! `usize`). Both functions are panic-free on any input: malformed, truncated or
//! oversized data is an [`Error::Wire`].

use crate::error::Error;
use crate::trade::ExitReason;

/// Largest postcard encoding of a `u32` (varint: 7 bits per byte, ⌈32/7⌉ bytes).
pub const VARINT_U32_MAX_SIZE: usize = 32_usize.div_ceil(7);

/// Encoding of an `f64`: always 8 bytes.
pub const F64_SIZE: usize = 8;

/// Worst-case postcard size of a [`CellStats`], from its field list in order:
/// `trades`, `wins` (u32); `sum_profit`, `sum_sq_profit`, `gross_profit`, `gross_loss`,
/// `equity`, `peak`, `trough`, `max_drawdown` (f64); `reasons` (`[u32; ExitReason::COUNT]`,
/// no length prefix); `ambiguous`, `captured` (u32). A test encodes a `CellStats` with
/// every counter at `u32::MAX` and checks it takes exactly this many bytes.
///
/// [`CellStats`]: crate::stats::CellStats
pub const CELL_STATS_MAX_SIZE: usize = 2 * VARINT_U32_MAX_SIZE
    + 8 * F64_SIZE
    + ExitReason::COUNT * VARINT_U32_MAX_SIZE
    + 2 * VARINT_U32_MAX_SIZE;

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
