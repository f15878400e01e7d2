//! Shared test fixtures: seeded random markets and an in-memory bar source.

use phasebound_core::Bar;
use phasebound_core::Error;
use phasebound_core::phase::BarSource;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Uniform in [0, 1).
pub fn unit(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Approximately standard normal (sum of 12 uniforms).
pub fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (0..12).map(|_| unit(rng)).sum::<f64>() - 6.0
}

/// A random market of `n` 15m bars: volatility clustering, drifting regimes, volume
/// that rises with the move, prices on a 0.01 tick so levels are sometimes hit exactly.
pub fn market(seed: u64, n: usize, start_price: f64) -> Vec<Bar> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut price = start_price;
    let mut vol: f64 = 0.004;
    let mut drift = 0.0;
    let tick = |x: f64| (x * 100.0).round() / 100.0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if unit(&mut rng) < 0.01 {
            drift = (unit(&mut rng) - 0.5) * 0.002;
        }
        let shock = normal(&mut rng);
        vol = (0.000_004 + 0.9 * vol * vol + 0.08 * (vol * shock).powi(2))
            .sqrt()
            .clamp(0.001, 0.03);
        let open = if unit(&mut rng) < 0.03 {
            tick(price * (1.0 + vol * normal(&mut rng)))
        } else {
            price
        };
        let close = tick(open * (1.0 + drift + vol * shock)).max(0.01);
        let hi = tick(open.max(close) * (1.0 + vol * unit(&mut rng))).max(open.max(close));
        let lo = tick(open.min(close) * (1.0 - vol * unit(&mut rng)))
            .min(open.min(close))
            .max(0.01);
        let volume = 100.0
            * (1.0 + 20.0 * (close / open - 1.0).abs() / vol.max(1e-9))
            * (0.5 + unit(&mut rng));
        out.push(Bar {
            time: 1_704_067_200_000 + i as i64 * 900_000,
            open,
            high: hi,
            low: lo,
            close,
            volume,
        });
        price = close;
    }
    out
}

/// Several symbols' bars, replayed merged by (time, symbol).
pub struct VecSource {
    /// One series per symbol.
    pub series: Vec<Vec<Bar>>,
    /// Timeframe in minutes.
    pub tf: u32,
    /// Passes replayed so far.
    pub replays: u32,
}

impl VecSource {
    /// A source over `series`.
    pub fn new(series: Vec<Vec<Bar>>, tf: u32) -> Self {
        Self {
            series,
            tf,
            replays: 0,
        }
    }
}

impl BarSource for VecSource {
    fn symbols(&self) -> usize {
        self.series.len()
    }
    fn timeframe_minutes(&self) -> u32 {
        self.tf
    }
    fn span(&self) -> (i64, i64) {
        let first = self
            .series
            .iter()
            .filter_map(|s| s.first())
            .map(|b| b.time)
            .min()
            .unwrap_or(0);
        let last = self
            .series
            .iter()
            .filter_map(|s| s.last())
            .map(|b| b.time)
            .max()
            .unwrap_or(0);
        (first, last)
    }
    fn replay(
        &mut self,
        sink: &mut dyn FnMut(u16, &Bar) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.replays += 1;
        let mut pos = vec![0usize; self.series.len()];
        loop {
            let mut next: Option<(i64, usize)> = None;
            for (s, series) in self.series.iter().enumerate() {
                if let Some(b) = series.get(pos[s])
                    && next.is_none_or(|(t, _)| b.time < t)
                {
                    next = Some((b.time, s));
                }
            }
            let Some((_, s)) = next else { return Ok(()) };
            sink(s as u16, &self.series[s][pos[s]])?;
            pos[s] += 1;
        }
    }
}

/// 2024-01-01T00:00Z in ms: the start of the hand-made accounts.
pub const ACCOUNT_T0: i64 = 1_704_067_200_000;

/// A one-slot compounding account with one trade a listed day: `(day, net %)` enters at
/// that day's midnight and exits an hour later; `days` is the period's length.
pub fn daily_account(days: u32, trades: &[(i64, f64)]) -> phasebound_core::stats::CellStats {
    use phasebound_core::account::{AccountSpec, Book, DAY_MS, Stake};
    use phasebound_core::{ExitReason, TradeOutcome};
    let a = AccountSpec {
        max_open_trades: 1,
        stake: Stake::Compounding,
        one_position_per_symbol: false,
    };
    let mut st = phasebound_core::stats::CellStats::new();
    let mut book = Book::new();
    for &(d, p) in trades {
        let t = ACCOUNT_T0 + d * DAY_MS;
        assert!(book.free_slot(&mut st, &a, 0, t));
        let o = TradeOutcome {
            exit_index: 0,
            exit_price: 1.0,
            reason: ExitReason::Time,
            ambiguous: false,
            profit_pct: p,
        };
        book.open(&mut st, &a, 0, t + 3_600_000, &o, false).unwrap();
    }
    book.close(&mut st, i64::MAX, days);
    st
}
