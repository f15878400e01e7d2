//! Average true range with Wilder smoothing.
//!
//! True range is `max(high − low, |high − prev_close|, |low − prev_close|)`; the first
//! bar has no previous close, so its TR is `high − low`. The first ATR is the mean TR of
//! the first `period` bars, then `atr = (atr·(n − 1) + tr)/n` (as `atr += (tr − atr)/n`).
//! Flat prices give exactly 0; consumers that divide by the ATR must check for that.

use crate::error::Error;
use crate::math;

/// Streaming Wilder ATR with O(1) state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Atr {
    period: u32,
    prev_close: f64,
    /// Bars seen, saturating at `period`.
    count: u32,
    value: f64,
}

impl Atr {
    /// An ATR over `period` bars (the classic value is 14).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `period` is 0.
    pub const fn new(period: u32) -> Result<Self, Error> {
        if period == 0 {
            return Err(Error::InvalidParameter { what: "atr period" });
        }
        Ok(Self {
            period,
            prev_close: 0.0,
            count: 0,
            value: 0.0,
        })
    }

    /// True range of a bar given the previous close (`None` for the first bar).
    #[must_use]
    pub fn true_range(high: f64, low: f64, prev_close: Option<f64>) -> f64 {
        let range = high - low;
        match prev_close {
            Some(c) => range.max(math::abs(high - c)).max(math::abs(low - c)),
            None => range,
        }
    }

    /// Feeds one bar and returns [`value`](Self::value).
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let prev = if self.count > 0 {
            Some(self.prev_close)
        } else {
            None
        };
        let tr = Self::true_range(high, low, prev);
        if self.count < self.period {
            self.count += 1;
        }
        // Running mean while seeding, Wilder's recursion afterwards.
        self.value += (tr - self.value) / f64::from(self.count);
        self.prev_close = close;
        self.value
    }

    /// The current ATR in price units. Before [`is_ready`](Self::is_ready) it is the mean
    /// TR of the bars seen so far (0 before the first bar).
    #[must_use]
    pub const fn value(&self) -> f64 {
        self.value
    }

    /// True once `period` bars have been seen.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.count >= self.period
    }

    /// Bars needed before [`is_ready`](Self::is_ready): `period`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        self.period
    }
}
