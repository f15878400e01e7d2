//! The one error type of the core: small, flat, `Copy`, with `Display`.

use core::fmt;

/// Which field of a bar failed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BarField {
    /// The open timestamp.
    Time,
    /// The open price.
    Open,
    /// The high price.
    High,
    /// The low price.
    Low,
    /// The close price.
    Close,
    /// The traded volume.
    Volume,
}

impl fmt::Display for BarField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BarField::Time => "time",
            BarField::Open => "open",
            BarField::High => "high",
            BarField::Low => "low",
            BarField::Close => "close",
            BarField::Volume => "volume",
        })
    }
}

/// Every way the core can refuse work. Errors are values: nothing in the core panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A price or volume is NaN or infinite.
    NotFinite(BarField),
    /// A price is zero or negative.
    NotPositive(BarField),
    /// Volume is negative.
    NegativeVolume,
    /// `high < low`.
    HighBelowLow,
    /// Open or close lies outside `[low, high]`.
    OutsideRange(BarField),
    /// The timestamp is not after the previous bar's (`previous`, `got`, in ms).
    TimeNotIncreasing {
        /// Timestamp of the previous bar of the same symbol.
        previous: i64,
        /// Timestamp of the offending bar.
        got: i64,
    },
    /// A fixed-capacity buffer is full; `what` names the capacity constant in `budget`.
    CapacityExceeded {
        /// Name of the constant that bounds this buffer.
        what: &'static str,
        /// The capacity.
        capacity: usize,
    },
    /// A parameter is outside its valid range; `what` names it.
    InvalidParameter {
        /// Name of the parameter.
        what: &'static str,
    },
    /// A symbol index is not below the workspace's symbol capacity or was never declared.
    UnknownSymbol(u16),
    /// Serialization into or out of a caller buffer failed.
    Wire,
    /// The bar source failed (I/O on a host); the source keeps the details.
    Source,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NotFinite(field) => write!(f, "{field} is not a finite number"),
            Error::NotPositive(field) => write!(f, "{field} is not a positive price"),
            Error::NegativeVolume => f.write_str("volume is negative"),
            Error::HighBelowLow => f.write_str("high is below low"),
            Error::OutsideRange(field) => write!(f, "{field} lies outside [low, high]"),
            Error::TimeNotIncreasing { previous, got } => write!(
                f,
                "timestamp {got} is not after the previous bar's {previous} (unsorted or duplicate)"
            ),
            Error::CapacityExceeded { what, capacity } => {
                write!(f, "capacity {what} = {capacity} exceeded")
            }
            Error::InvalidParameter { what } => write!(f, "invalid parameter: {what}"),
            Error::UnknownSymbol(s) => write!(f, "unknown symbol index {s}"),
            Error::Wire => {
                f.write_str("wire encoding failed (buffer too small or bytes malformed)")
            }
            Error::Source => f.write_str("the bar source failed"),
        }
    }
}

impl core::error::Error for Error {}
