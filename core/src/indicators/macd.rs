//! MACD: the fast EMA minus the slow EMA of close (the MACD line), an EMA of that line
//! (the signal line), and their difference (the histogram).
//!
//! Every EMA is seeded by its own SMA ([`Ema`]). The signal line is fed only from the
//! bar where both line EMAs are seeded, so the first histogram counts from bar
//! `slow + signal − 1` (34 for 12/26/9) and no provisional line value leaks into it.
//! Before that the histogram is 0. A constant input gives an exact 0 histogram.

use super::ema::Ema;
use crate::error::Error;

/// Streaming MACD with O(1) state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    /// A MACD with the given EMA periods (the classic one is 12, 26, 9).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a period is 0.
    pub const fn new(fast: u32, slow: u32, signal: u32) -> Result<Self, Error> {
        let (fast, slow, signal) = match (Ema::new(fast), Ema::new(slow), Ema::new(signal)) {
            (Ok(f), Ok(s), Ok(g)) => (f, s, g),
            _ => {
                return Err(Error::InvalidParameter {
                    what: "macd period",
                });
            }
        };
        Ok(Self { fast, slow, signal })
    }

    /// Feeds one close and returns the [`histogram`](Self::histogram).
    pub fn update(&mut self, close: f64) -> f64 {
        self.fast.update(close);
        self.slow.update(close);
        if self.line_ready() {
            self.signal.update(self.line());
        }
        self.histogram()
    }

    /// The MACD line: fast EMA − slow EMA (provisional before both are seeded).
    #[must_use]
    pub const fn line(&self) -> f64 {
        self.fast.value() - self.slow.value()
    }

    /// The signal line: EMA of the MACD line (0 before its first input).
    #[must_use]
    pub const fn signal(&self) -> f64 {
        self.signal.value()
    }

    /// Line − signal; 0 until the signal line has had its first input, provisional
    /// until [`is_ready`](Self::is_ready).
    #[must_use]
    pub const fn histogram(&self) -> f64 {
        if self.line_ready() {
            self.line() - self.signal.value()
        } else {
            0.0
        }
    }

    /// Both line EMAs are seeded.
    const fn line_ready(&self) -> bool {
        self.fast.is_ready() && self.slow.is_ready()
    }

    /// True once the signal line is seeded (`slow + signal − 1` closes).
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.signal.is_ready()
    }

    /// Closes needed before [`is_ready`](Self::is_ready): the longer of the two line EMAs
    /// plus `signal − 1`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        let line = if self.fast.period() > self.slow.period() {
            self.fast.period()
        } else {
            self.slow.period()
        };
        line.saturating_add(self.signal.period().saturating_sub(1))
    }
}
