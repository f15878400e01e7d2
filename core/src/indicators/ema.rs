//! Exponential moving average, seeded by the simple mean of its first `period` values.
//!
//! The seed follows TA-Lib and most charting tools: the first value that counts is the
//! SMA of the first `period` inputs, then `ema += α·(x − ema)` with `α = 2/(period + 1)`.
//! Both the seeding mean and the recursion are written as increments (`m += (x − m)/k`),
//! so a constant input gives exactly that constant — flat markets produce exact zeros
//! downstream (MACD histogram, trend votes) instead of rounding noise.

use crate::error::Error;

/// Streaming EMA with O(1) state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ema {
    period: u32,
    alpha: f64,
    /// Inputs seen, saturating at `period` (only the seeding phase needs the count).
    count: u32,
    value: f64,
}

impl Ema {
    /// An EMA of `period` values.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `period` is 0.
    pub const fn new(period: u32) -> Result<Self, Error> {
        if period == 0 {
            return Err(Error::InvalidParameter { what: "ema period" });
        }
        Ok(Self {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            count: 0,
            value: 0.0,
        })
    }

    /// Feeds one value and returns [`value`](Self::value).
    pub fn update(&mut self, x: f64) -> f64 {
        if self.count < self.period {
            self.count += 1;
            self.value += (x - self.value) / f64::from(self.count);
        } else {
            self.value += self.alpha * (x - self.value);
        }
        self.value
    }

    /// The current value. Before [`is_ready`](Self::is_ready) it is the mean of the
    /// values seen so far (0 before the first one).
    #[must_use]
    pub const fn value(&self) -> f64 {
        self.value
    }

    /// True once `period` values have been seen (the SMA seed is complete).
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.count >= self.period
    }

    /// The period.
    #[must_use]
    pub const fn period(&self) -> u32 {
        self.period
    }

    /// Inputs needed before [`is_ready`](Self::is_ready): `period`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        self.period
    }
}
