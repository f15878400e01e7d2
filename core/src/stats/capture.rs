//! Capture rate: how much of Phase 1's hindsight opportunity set a cell actually took.

use super::CellStats;

/// `captured / opportunities`: the share of the profile's Phase 1 opportunities that the
/// cell entered and closed in profit; 0.0 when `opportunities == 0`.
///
/// `opportunities` must count the same universe the cell traded (the sampled candidates'
/// opportunities when sampling), otherwise the ratio is meaningless; it is not clamped,
/// so a mismatch shows up as a rate above 1 instead of being hidden.
#[must_use]
pub fn capture_rate(s: &CellStats, opportunities: u32) -> f64 {
    if opportunities == 0 {
        0.0
    } else {
        f64::from(s.captured) / f64::from(opportunities)
    }
}
