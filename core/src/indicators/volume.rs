//! Volume ratio: the bar's volume over the mean volume of the previous
//! [`VOLUME_WINDOW`] bars, the current bar excluded.
//!
//! When that mean is 0 (every previous bar traded nothing, or there is no previous bar)
//! the ratio is defined as 1.0: no evidence of unusual volume either way. The mean is
//! recomputed from the window on every bar rather than kept as a running sum, so
//! rounding cannot drift over millions of bars (a fixed 20 additions per bar).

use crate::budget::VOLUME_WINDOW;

/// Streaming volume ratio; state is one fixed ring of the previous volumes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolumeRatio {
    ring: [f64; VOLUME_WINDOW],
    /// Next slot to overwrite.
    next: usize,
    /// Filled slots, at most `VOLUME_WINDOW`.
    len: usize,
    /// Bars seen, saturating just above the window.
    seen: u32,
}

impl Default for VolumeRatio {
    fn default() -> Self {
        Self::new()
    }
}

impl VolumeRatio {
    /// An empty window.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            ring: [0.0; VOLUME_WINDOW],
            next: 0,
            len: 0,
            seen: 0,
        }
    }

    /// Mean of the stored previous volumes; 0 when none are stored.
    #[must_use]
    pub fn previous_mean(&self) -> f64 {
        let mut sum = 0.0;
        for v in self.ring.iter().take(self.len) {
            sum += v;
        }
        if self.len == 0 {
            0.0
        } else {
            sum / self.len as f64
        }
    }

    /// Returns `volume / previous_mean()` (1.0 when that mean is 0), then records the
    /// volume for the bars that follow. Before [`is_ready`](Self::is_ready) the mean is
    /// over the previous bars seen so far.
    pub fn update(&mut self, volume: f64) -> f64 {
        let mean = self.previous_mean();
        let ratio = if mean > 0.0 { volume / mean } else { 1.0 };
        if let Some(slot) = self.ring.get_mut(self.next) {
            *slot = volume;
        }
        self.next = (self.next + 1) % VOLUME_WINDOW;
        self.len = (self.len + 1).min(VOLUME_WINDOW);
        self.seen = self.seen.saturating_add(1).min(self.warmup());
        ratio
    }

    /// True when the last update saw a full window of previous bars.
    #[must_use]
    pub const fn is_ready(&self) -> bool {
        self.seen >= self.warmup()
    }

    /// Bars needed before [`is_ready`](Self::is_ready): `VOLUME_WINDOW + 1`.
    #[must_use]
    pub const fn warmup(&self) -> u32 {
        VOLUME_WINDOW as u32 + 1
    }
}
