//! Relative strength index with Wilder smoothing.
//!
//! Gains and losses are the positive and negative parts of close-to-close changes.
//! The first averages are the plain means of the first `period` changes (so the first
//! value needs `period + 1` closes); afterwards `avg = (avg·(n − 1) + x)/n`, computed as
//! `avg += (x − avg)/n`. RSI = `100·G/(G + L)`, which equals `100 − 100/(1 + G/L)` and
//! covers the degenerate cases without dividing by zero: no movement at all (flat
//! prices, `G = L = 0`) gives 50; only gains gives 100; only losses gives 0.

use crate::error::Error;

/// Streaming Wilder RSI with O(1) state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rsi {
    period: u32,
    prev_close: f64,
    has_prev: bool,
    /// Changes seen, saturating at `period`.
    count: u32,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    /// An RSI over `period` changes (the classic value is 14).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `period` is 0.
    pub const fn new(period: u32) -> Result<Self, Error> {
        if period == 0 {
            return Err(Error::InvalidParameter { what: "rsi period" });
        }
        Ok(Self {
            period,
            prev_close: 0.0,
            has_prev: false,
            count: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
        })
    }

    /// Feeds one close and returns [`value`](Self::value).
    pub fn update(&mut self, close: f64) -> f64 {
        if self.has_prev {
            let change = close - self.prev_close;
            let (gain, loss) = if change > 0.0 {
                (change, 0.0)
            } else {
                (0.0, -change)
            };
            if self.count < self.period {
                self.count += 1;
            }
            // While seeding this is the running mean; afterwards it is Wilder's recursion.
            let n = f64::from(self.count);
            self.avg_gain += (gain - self.avg_gain) / n;
            self.avg_loss += (loss - self.avg_loss) / n;
        }
        self.prev_close = close;
        self.has_prev = true;
        self.value()
    }

    /// The current RSI in `[0, 100]`; 50 when nothing has moved (including before the
    /// second close). Before [`is_ready`](Self::is_ready) it uses the changes seen so far.
    #[must_use]
    pub fn value(&self) -> f64 {
        let total = self.avg_gain + self.avg_loss;
        if total > 0.0 {
            100.0 * self.avg_gain / total
        } else {
            50.0
        }
    }

    /// True once `period` changes (`period + 1` closes) have been seen.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.count >= self.period
    }

    /// Wilder's average gain.
    #[must_use]
    pub const fn avg_gain(&self) -> f64 {
        self.avg_gain
    }

    /// Wilder's average loss (a non-negative number).
    #[must_use]
    pub const fn avg_loss(&self) -> f64 {
        self.avg_loss
    }

    /// Closes needed before [`is_ready`](Self::is_ready): `period + 1`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        self.period.saturating_add(1)
    }
}
