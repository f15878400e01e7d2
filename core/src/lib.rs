//! # phasebound-core
//!
//! (crate manual: written when the modules land)
#![no_std]
#![forbid(unsafe_code)]

pub mod bar;
pub mod budget;
pub mod engine;
pub mod error;
pub mod first_passage;
pub mod grid;
pub mod indicators;
pub mod math;
pub mod phase;
pub mod plan;
pub mod sampling;
pub mod search;
pub mod signal;
pub mod sim;
pub mod stats;
pub mod trade;
pub mod wire;

pub use bar::{Bar, Ohlc};
pub use error::{BarField, Error};
pub use trade::{Direction, Entry, EntryTiming, ExitParams, ExitReason, TradeOutcome, Trailing};
