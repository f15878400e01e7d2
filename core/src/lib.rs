//! # phasebound-core
//!
//! (crate manual: written when the modules land)
#![no_std]
#![forbid(unsafe_code)]

pub mod bar;
pub mod budget;
pub mod error;
pub mod math;
pub mod trade;

pub use bar::{Bar, Ohlc};
pub use error::{BarField, Error};
pub use trade::{Direction, Entry, EntryTiming, ExitParams, ExitReason, TradeOutcome, Trailing};
