//! Bars (OHLCV candles) and their validation at the boundary.
//!
//! Everything downstream assumes a validated bar: finite positive prices,
//! `low <= open, close <= high`, non-negative volume, strictly increasing time.
//! [`Bar::validate`] checks that once, so the hot loops check nothing.

use crate::error::{BarField, Error};

/// One candle. `time` is the candle's open time in Unix epoch milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bar {
    /// Open time, Unix epoch milliseconds (UTC).
    pub time: i64,
    /// First traded price.
    pub open: f64,
    /// Highest traded price.
    pub high: f64,
    /// Lowest traded price.
    pub low: f64,
    /// Last traded price.
    pub close: f64,
    /// Traded volume in the base asset.
    pub volume: f64,
}

/// The part of a bar the trade simulators need: what a forward window holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ohlc {
    /// First traded price.
    pub open: f64,
    /// Highest traded price.
    pub high: f64,
    /// Lowest traded price.
    pub low: f64,
    /// Last traded price.
    pub close: f64,
}

impl Ohlc {
    /// An OHLC quadruple from prices, in that order.
    #[must_use]
    pub const fn new(open: f64, high: f64, low: f64, close: f64) -> Self {
        Self {
            open,
            high,
            low,
            close,
        }
    }
}

impl From<&Bar> for Ohlc {
    fn from(b: &Bar) -> Self {
        Self::new(b.open, b.high, b.low, b.close)
    }
}

impl Bar {
    /// Checks one bar; `previous_time` is the previous bar's time of the same symbol, if any.
    ///
    /// # Errors
    /// The first problem found, in the order: finiteness, positivity, volume,
    /// `high >= low`, open/close inside the range, increasing time.
    pub fn validate(&self, previous_time: Option<i64>) -> Result<(), Error> {
        let prices = [
            (BarField::Open, self.open),
            (BarField::High, self.high),
            (BarField::Low, self.low),
            (BarField::Close, self.close),
        ];
        for (field, v) in prices {
            if !v.is_finite() {
                return Err(Error::NotFinite(field));
            }
            if v <= 0.0 {
                return Err(Error::NotPositive(field));
            }
        }
        if !self.volume.is_finite() {
            return Err(Error::NotFinite(BarField::Volume));
        }
        if self.volume < 0.0 {
            return Err(Error::NegativeVolume);
        }
        if self.high < self.low {
            return Err(Error::HighBelowLow);
        }
        if self.open < self.low || self.open > self.high {
            return Err(Error::OutsideRange(BarField::Open));
        }
        if self.close < self.low || self.close > self.high {
            return Err(Error::OutsideRange(BarField::Close));
        }
        if let Some(previous) = previous_time
            && self.time <= previous
        {
            return Err(Error::TimeNotIncreasing {
                previous,
                got: self.time,
            });
        }
        Ok(())
    }
}
