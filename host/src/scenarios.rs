//! Markets for testing decisions: a null market in which no edge can exist, and a
//! market with a planted edge. Phase 4's tests require the verdict to ship almost
//! nothing on the first and to find the second.

use crate::synth::{SymbolModel, market_models};
use phasebound_core::Bar;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A null market: `bars` with their bar-to-bar moves shuffled in time (seeded).
///
/// Each bar is reduced to relative moves — the open's gap from the previous close, the
/// high, low and close relative to the open — and its volume; those tuples are put in a
/// seeded random order and chained back into prices from the first open, on the original
/// timestamps. Every bar's shape and the distribution of moves and volumes are kept;
/// any dependence between one bar and the next (trends, volatility clustering, the
/// signals' edge) is destroyed, so no strategy can have an edge on it. The tests of
/// Phase 4's verdict use it to check that noise does not ship.
#[must_use]
pub fn shuffled_moves(bars: &[Bar], seed: u64) -> Vec<Bar> {
    let Some(first) = bars.first() else {
        return Vec::new();
    };
    let mut moves: Vec<(f64, f64, f64, f64, f64)> = bars
        .iter()
        .zip(std::iter::once(first.open).chain(bars.iter().map(|b| b.close)))
        .map(|(b, prev_close)| {
            (
                b.open / prev_close,
                b.high / b.open,
                b.low / b.open,
                b.close / b.open,
                b.volume,
            )
        })
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for i in (1..moves.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        moves.swap(i, j);
    }
    let mut close = first.open;
    bars.iter()
        .zip(moves)
        .map(|(b, (gap, hi, lo, cl, volume))| {
            let open = close * gap;
            let (high, low, c) = (open * hi, open * lo, open * cl);
            close = c;
            Bar {
                time: b.time,
                open,
                // Rounding must not put open or close outside the range.
                high: high.max(open).max(c),
                low: low.min(open).min(c),
                close: c,
                volume,
            }
        })
        .collect()
}

/// The planted-edge market: [`market_models`] with persistent, strong trends (mostly
/// trending regimes of three days on average, drifting 3 daily volatilities a day, short
/// ranges). Trend-following entries have a real, documented edge here; Phase 4's tests
/// require the verdict to find it.
#[must_use]
pub fn planted_edge_models(count: usize) -> Vec<SymbolModel> {
    market_models(count)
        .into_iter()
        .map(|m| SymbolModel {
            trend_strength: 3.0,
            trend_hours: 72.0,
            range_hours: 24.0,
            ..m
        })
        .collect()
}
