//! The shape of one candle: body, wicks and colour. Stateless.
//!
//! For a validated bar every part is non-negative and `body + upper + lower = high − low`.

use crate::trade::Direction;

/// Body and wicks of one candle, in price units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Candle {
    /// `close − open`: positive for a rising (green) candle, negative for a falling one.
    pub signed_body: f64,
    /// `|close − open|`.
    pub body: f64,
    /// `high − max(open, close)`.
    pub upper_wick: f64,
    /// `min(open, close) − low`.
    pub lower_wick: f64,
}

impl Candle {
    /// The parts of a candle from its prices.
    #[must_use]
    pub fn new(open: f64, high: f64, low: f64, close: f64) -> Self {
        let signed_body = close - open;
        Self {
            signed_body,
            body: crate::math::abs(signed_body),
            upper_wick: high - open.max(close),
            lower_wick: open.min(close) - low,
        }
    }

    /// The candle's colour as a direction: `Long` when it closed above its open, `Short`
    /// below, `None` for a doji (`close == open`).
    #[must_use]
    pub fn colour(&self) -> Option<Direction> {
        direction_of(self.signed_body)
    }
}

/// The direction of a signed quantity: `Long` above 0, `Short` below, `None` at 0 (or NaN).
/// Used for every directional vote, so "a zero counts for neither" holds everywhere.
#[inline]
#[must_use]
pub fn direction_of(signed: f64) -> Option<Direction> {
    if signed > 0.0 {
        Some(Direction::Long)
    } else if signed < 0.0 {
        Some(Direction::Short)
    } else {
        None
    }
}
