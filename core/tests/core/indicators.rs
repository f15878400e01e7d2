//! Streaming indicators: known answers by hand, agreement with plain batch
//! re-implementations on random data, windows that exclude the current bar,
//! timeframe scaling, warm-up and degenerate input.

// A failing test panics by design; unwrapping known-good values keeps the arithmetic readable.
#![allow(clippy::unwrap_used, clippy::panic)]

use phasebound_core::indicators::{
    Atr, Candle, Ema, Indicators, Macd, PrevRange, Rsi, Snapshot, VolumeRatio,
};
use phasebound_core::signal::signal;
use phasebound_core::{Bar, Direction, Error};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A valid random walk of 15m bars; about 5 % of volumes are 0.
fn random_bars(seed: u64, n: usize) -> Vec<Bar> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut prev = 100.0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let open = prev * (1.0 + 0.004 * (uniform(&mut rng) - 0.5));
        let close = open * (1.0 + 0.03 * (uniform(&mut rng) - 0.5));
        let high = open.max(close) * (1.0 + 0.01 * uniform(&mut rng));
        let low = open.min(close) * (1.0 - 0.01 * uniform(&mut rng));
        let volume = if uniform(&mut rng) < 0.05 {
            0.0
        } else {
            1000.0 * uniform(&mut rng)
        };
        let bar = Bar {
            time: i as i64 * 900_000,
            open,
            high,
            low,
            close,
            volume,
        };
        assert_eq!(bar.validate(None), Ok(()));
        out.push(bar);
        prev = close;
    }
    out
}

fn close_to(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

// ---- independent batch references (classic textbook formulas) ----

/// EMA seeded by `sum / p`, then `prev·(1 − α) + α·x`. `None` before index `p − 1`.
fn ema_ref(xs: &[f64], p: usize) -> Vec<Option<f64>> {
    let alpha = 2.0 / (p as f64 + 1.0);
    let mut out = vec![None; xs.len()];
    if xs.len() < p {
        return out;
    }
    let mut e = xs[..p].iter().sum::<f64>() / p as f64;
    out[p - 1] = Some(e);
    for i in p..xs.len() {
        e = e * (1.0 - alpha) + alpha * xs[i];
        out[i] = Some(e);
    }
    out
}

/// Wilder RSI: first averages are sums / p, then `(avg·(p − 1) + x) / p`,
/// RSI = `100 − 100 / (1 + RS)`.
fn rsi_ref(closes: &[f64], p: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; closes.len()];
    let (mut ag, mut al) = (0.0, 0.0);
    for i in 1..closes.len() {
        let d = closes[i] - closes[i - 1];
        let (g, l) = if d > 0.0 { (d, 0.0) } else { (0.0, -d) };
        if i <= p {
            ag += g;
            al += l;
            if i == p {
                ag /= p as f64;
                al /= p as f64;
            }
        } else {
            ag = (ag * (p as f64 - 1.0) + g) / p as f64;
            al = (al * (p as f64 - 1.0) + l) / p as f64;
        }
        if i >= p {
            out[i] = Some(if al == 0.0 {
                if ag == 0.0 { 50.0 } else { 100.0 }
            } else {
                100.0 - 100.0 / (1.0 + ag / al)
            });
        }
    }
    out
}

fn atr_ref(bars: &[Bar], p: usize) -> Vec<Option<f64>> {
    let tr: Vec<f64> = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if i == 0 {
                b.high - b.low
            } else {
                let c = bars[i - 1].close;
                [b.high - b.low, (b.high - c).abs(), (b.low - c).abs()]
                    .into_iter()
                    .fold(f64::MIN, f64::max)
            }
        })
        .collect();
    let mut out = vec![None; bars.len()];
    if bars.len() < p {
        return out;
    }
    let mut a = tr[..p].iter().sum::<f64>() / p as f64;
    out[p - 1] = Some(a);
    for i in p..bars.len() {
        a = (a * (p as f64 - 1.0) + tr[i]) / p as f64;
        out[i] = Some(a);
    }
    out
}

/// MACD histogram: line from the first index where both EMAs exist; signal = EMA of
/// that line sub-series.
fn macd_hist_ref(closes: &[f64], f: usize, s: usize, g: usize) -> Vec<Option<f64>> {
    let ef = ema_ref(closes, f);
    let es = ema_ref(closes, s);
    let start = f.max(s) - 1;
    let mut out = vec![None; closes.len()];
    if closes.len() <= start {
        return out;
    }
    let line: Vec<f64> = (start..closes.len())
        .map(|i| ef[i].unwrap_or(f64::NAN) - es[i].unwrap_or(f64::NAN))
        .collect();
    let sig = ema_ref(&line, g);
    for (k, sv) in sig.iter().enumerate() {
        if let Some(sv) = sv {
            out[start + k] = Some(line[k] - sv);
        }
    }
    out
}

// ---- EMA ----

#[test]
fn ema_known_answers_by_hand() {
    // Period 3, α = 0.5: seed (1+2+3)/3 = 2, then 2+.5·(4−2) = 3, 4, 5.
    let mut e = Ema::new(3).unwrap();
    let got: Vec<f64> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .map(|&x| e.update(x))
        .collect();
    assert_eq!(&got[2..], &[2.0, 3.0, 4.0, 5.0]);

    // During the seed the value is the mean so far, and readiness comes at `period`.
    let mut e = Ema::new(3).unwrap();
    assert_eq!(e.update(3.0), 3.0);
    assert!(!e.is_ready());
    assert_eq!(e.update(6.0), 4.5);
    assert!(!e.is_ready());
    assert_eq!(e.update(9.0), 6.0);
    assert!(e.is_ready());
    assert_eq!(e.update(12.0), 9.0);
    assert_eq!(e.value(), 9.0);
    assert_eq!(e.period(), 3);
}

#[test]
fn ema_matches_batch_reference() {
    let closes: Vec<f64> = random_bars(1, 600).iter().map(|b| b.close).collect();
    for p in [1usize, 2, 9, 20, 50, 200] {
        let want = ema_ref(&closes, p);
        let mut e = Ema::new(p as u32).unwrap();
        for (i, &c) in closes.iter().enumerate() {
            let v = e.update(c);
            assert_eq!(e.is_ready(), want[i].is_some(), "p {p} i {i}");
            if let Some(w) = want[i] {
                assert!(close_to(v, w), "p {p} i {i}: {v} vs {w}");
            }
        }
    }
}

#[test]
fn zero_periods_are_errors() {
    assert!(matches!(Ema::new(0), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Rsi::new(0), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Atr::new(0), Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        Macd::new(12, 0, 9),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        Macd::new(12, 26, 0),
        Err(Error::InvalidParameter { .. })
    ));
}

// ---- RSI ----

#[test]
fn rsi_known_answers_by_hand() {
    // Changes +1, −0.5, +1 | +0.5 | −1 with period 3:
    // G = 2/3, L = 1/6 → RS 4 → 80;
    // G = (2·2/3 + .5)/3 = 11/18, L = (2·1/6)/3 = 2/18 → RS 5.5 → 100 − 100/6.5;
    // G = (2·11/18)/3 = 11/27, L = (2·2/18 + 1)/3 = 11/27 → 50.
    let mut r = Rsi::new(3).unwrap();
    let got: Vec<f64> = [10.0, 11.0, 10.5, 11.5, 12.0, 11.0]
        .iter()
        .map(|&c| r.update(c))
        .collect();
    assert!(close_to(got[3], 80.0), "{}", got[3]);
    assert!(close_to(got[4], 100.0 - 100.0 / 6.5), "{}", got[4]);
    assert!(close_to(got[5], 50.0), "{}", got[5]);
    assert!(r.is_ready());
    assert_eq!(r.warmup(), 4);
}

#[test]
fn rsi_readiness_and_degenerate_cases() {
    let mut r = Rsi::new(14).unwrap();
    for i in 0..15 {
        assert!(!r.is_ready(), "ready too early at close {i}");
        assert_eq!(r.update(50.0), 50.0, "flat prices must give 50");
    }
    assert!(r.is_ready());
    let mut up = Rsi::new(14).unwrap();
    let mut down = Rsi::new(14).unwrap();
    for i in 0..40 {
        up.update(100.0 + i as f64);
        down.update(100.0 - i as f64);
    }
    assert_eq!(up.value(), 100.0);
    assert_eq!(down.value(), 0.0);
}

#[test]
fn rsi_matches_batch_reference() {
    let closes: Vec<f64> = random_bars(2, 500).iter().map(|b| b.close).collect();
    for p in [2usize, 14, 30] {
        let want = rsi_ref(&closes, p);
        let mut r = Rsi::new(p as u32).unwrap();
        for (i, &c) in closes.iter().enumerate() {
            let v = r.update(c);
            assert_eq!(r.is_ready(), want[i].is_some(), "p {p} i {i}");
            if let Some(w) = want[i] {
                assert!(close_to(v, w), "p {p} i {i}: {v} vs {w}");
            }
        }
    }
}

// ---- ATR ----

#[test]
fn atr_known_answers_by_hand() {
    // (high, low, close); TRs 2 (first bar: h−l), 2, 3.5 (gap up: 14 − 10.5),
    // 1.6 (h−l), 2.5 (gap down: 12.5 − 10). ATR(3): 7.5/3 = 2.5, (2·2.5+1.6)/3 = 2.2,
    // (2·2.2+2.5)/3 = 2.3.
    let bars = [
        (10.0, 8.0, 9.0),
        (11.0, 9.0, 10.5),
        (14.0, 13.0, 13.5),
        (13.6, 12.0, 12.5),
        (11.0, 10.0, 10.2),
    ];
    let mut a = Atr::new(3).unwrap();
    let got: Vec<f64> = bars.iter().map(|&(h, l, c)| a.update(h, l, c)).collect();
    assert!(close_to(got[0], 2.0));
    assert!(close_to(got[2], 2.5), "{}", got[2]);
    assert!(close_to(got[3], 2.2), "{}", got[3]);
    assert!(close_to(got[4], 2.3), "{}", got[4]);
    assert_eq!(Atr::true_range(14.0, 13.0, Some(10.5)), 3.5);
    assert_eq!(Atr::true_range(14.0, 13.0, None), 1.0);
}

#[test]
fn atr_matches_batch_reference() {
    let bars = random_bars(3, 500);
    for p in [1usize, 14, 40] {
        let want = atr_ref(&bars, p);
        let mut a = Atr::new(p as u32).unwrap();
        for (i, b) in bars.iter().enumerate() {
            let v = a.update(b.high, b.low, b.close);
            assert_eq!(a.is_ready(), want[i].is_some(), "p {p} i {i}");
            if let Some(w) = want[i] {
                assert!(close_to(v, w), "p {p} i {i}: {v} vs {w}");
            }
        }
    }
}

// ---- MACD ----

#[test]
fn macd_constant_series_has_zero_histogram() {
    for c in [0.1, 123.456, 3.0e-7, 65_000.0] {
        let mut m = Macd::new(12, 26, 9).unwrap();
        assert_eq!(m.warmup(), 34);
        for i in 1..=200 {
            let h = m.update(c);
            assert_eq!(h, 0.0, "price {c} bar {i}");
            assert_eq!(m.line(), 0.0);
            assert_eq!(m.is_ready(), i >= 34, "bar {i}");
        }
    }
}

#[test]
fn macd_known_answer_by_hand() {
    // fast 1 (= the close), slow 2 (seed mean, then α = 2/3), signal 2.
    // bar 2: line 2 − 1.5 = 1/2; bar 3: slow 19/6, line 5/6, signal seed 2/3, hist 1/6;
    // bar 4: slow 115/18, line 29/18, signal 35/27, hist 17/54.
    let mut m = Macd::new(1, 2, 2).unwrap();
    assert_eq!(m.warmup(), 3);
    assert_eq!(m.update(1.0), 0.0);
    m.update(2.0);
    assert!(close_to(m.line(), 0.5));
    assert!(!m.is_ready());
    let h3 = m.update(4.0);
    assert!(m.is_ready());
    assert!(close_to(h3, 1.0 / 6.0), "{h3}");
    let h4 = m.update(8.0);
    assert!(close_to(m.signal(), 35.0 / 27.0), "{}", m.signal());
    assert!(close_to(h4, 17.0 / 54.0), "{h4}");
}

#[test]
fn macd_matches_batch_reference() {
    let closes: Vec<f64> = random_bars(4, 400).iter().map(|b| b.close).collect();
    let want = macd_hist_ref(&closes, 12, 26, 9);
    let mut m = Macd::new(12, 26, 9).unwrap();
    for (i, &c) in closes.iter().enumerate() {
        let h = m.update(c);
        assert_eq!(m.is_ready(), want[i].is_some(), "i {i}");
        if let Some(w) = want[i] {
            assert!((h - w).abs() <= 1e-9, "i {i}: {h} vs {w}");
        }
    }
}

// ---- volume ratio, previous range, candle ----

#[test]
fn volume_ratio_excludes_current_bar() {
    let mut v = VolumeRatio::new();
    assert_eq!(v.update(7.0), 1.0, "no previous bar: defined as 1");
    assert_eq!(v.update(14.0), 2.0, "mean of the one previous bar");
    let mut v = VolumeRatio::new();
    for _ in 0..20 {
        v.update(10.0);
    }
    assert!(
        !v.is_ready(),
        "20 bars have only 19 previous at the last one"
    );
    // Including the current bar would give 30 / 11.
    assert_eq!(v.update(30.0), 3.0);
    assert!(v.is_ready());
    // Previous 20 now: nineteen 10s and the 30 → mean 11.
    assert!(close_to(v.update(10.0), 10.0 / 11.0));
    // After 19 more 10s the 30 has left the window.
    for _ in 0..19 {
        v.update(10.0);
    }
    assert!(close_to(v.update(10.0), 1.0));
}

#[test]
fn volume_ratio_of_zero_mean_is_one() {
    let mut v = VolumeRatio::new();
    for _ in 0..25 {
        assert_eq!(v.update(0.0), 1.0);
    }
    assert_eq!(v.update(5.0), 1.0);
    assert_eq!(v.previous_mean(), 0.25);
}

#[test]
fn previous_range_excludes_current_bar() {
    let mut r = PrevRange::new();
    assert_eq!(
        r.update(5.0, 4.0),
        (5.0, 4.0),
        "first bar stands in for itself"
    );
    let mut r = PrevRange::new();
    for i in 1..=20 {
        r.update(i as f64 + 100.0, i as f64);
    }
    // Bars 1..=20: highest 120, lowest 1. The current bar's 500 / 0.5 are not included.
    assert_eq!(r.update(500.0, 0.5), (120.0, 1.0));
    assert!(r.is_ready());
    // Now bar 1 fell out and bar 21 (500, 0.5) is in.
    assert_eq!(r.update(110.0, 50.0), (500.0, 0.5));
    // 19 more: bar 21 leaves the window after 20 further bars.
    for _ in 0..19 {
        r.update(110.0, 50.0);
    }
    assert_eq!(r.previous(), Some((110.0, 50.0)));
}

#[test]
fn candle_parts() {
    let g = Candle::new(10.0, 15.0, 8.0, 12.0);
    assert_eq!(
        (g.signed_body, g.body, g.upper_wick, g.lower_wick),
        (2.0, 2.0, 3.0, 2.0)
    );
    assert_eq!(g.colour(), Some(Direction::Long));
    let r = Candle::new(12.0, 15.0, 8.0, 10.0);
    assert_eq!(
        (r.signed_body, r.body, r.upper_wick, r.lower_wick),
        (-2.0, 2.0, 3.0, 2.0)
    );
    assert_eq!(r.colour(), Some(Direction::Short));
    assert_eq!(Candle::new(11.0, 12.0, 10.0, 11.0).colour(), None);
}

// ---- the bundle ----

#[test]
fn timeframe_scaling_of_trend_periods() {
    let cases = [
        (1, [(20, 50), (1200, 3000), (4800, 12000)], 12000),
        (7, [(20, 50), (171, 429), (686, 1714)], 1714), // 171.43, 428.57, 685.71, 1714.29
        (15, [(20, 50), (80, 200), (320, 800)], 800),
        (60, [(20, 50), (20, 50), (80, 200)], 200),
        (90, [(20, 50), (20, 50), (53, 133)], 133), // 53.33, 133.33
        (240, [(20, 50), (20, 50), (20, 50)], 50),
        (1440, [(20, 50), (20, 50), (20, 50)], 50),
    ];
    for (tf, periods, warmup) in cases {
        let ind = Indicators::new(tf).unwrap();
        assert_eq!(ind.trend_periods(), periods, "tf {tf}");
        assert_eq!(ind.warmup_bars(), warmup, "tf {tf}");
    }
    // Rounding half up: 20·60/45 = 26.67 → 27, 50·60/45 = 66.67 → 67; 20·60/16 = 75 exactly.
    assert_eq!(Indicators::new(45).unwrap().trend_periods()[1], (27, 67));
    assert_eq!(Indicators::new(16).unwrap().trend_periods()[1], (75, 188)); // 187.5 → 188
    for bad in [0, 1441, u32::MAX] {
        assert!(
            matches!(Indicators::new(bad), Err(Error::InvalidParameter { .. })),
            "tf {bad}"
        );
    }
}

#[test]
fn indicators_are_const_constructible_and_copy() {
    const IND: Result<Indicators, Error> = Indicators::new(15);
    let a = IND.unwrap();
    let b = a; // Copy
    assert_eq!(a, b);
    assert!(
        size_of::<Indicators>() < 2048,
        "{}",
        size_of::<Indicators>()
    );
}

#[test]
fn warmup_yields_none_exactly_warmup_minus_one_times() {
    let bars = random_bars(5, 12_100);
    for tf in [1, 7, 15, 60, 240, 1440] {
        let mut ind = Indicators::new(tf).unwrap();
        let w = ind.warmup_bars() as usize;
        for (i, b) in bars.iter().enumerate().take(w + 50) {
            let snap = ind.update(b);
            assert_eq!(snap.is_some(), i + 1 >= w, "tf {tf} bar {i}");
            assert_eq!(ind.is_ready(), i + 1 >= w);
        }
    }
}

#[test]
fn scaled_pairs_use_the_scaled_periods() {
    let bars = random_bars(6, 1200);
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let mut ind = Indicators::new(15).unwrap();
    let refs = [20, 50, 80, 200, 320, 800].map(|p| ema_ref(&closes, p));
    for (i, b) in bars.iter().enumerate() {
        if let Some(s) = ind.update(b) {
            let got = [
                s.ema_fast,
                s.ema_slow,
                s.ema_fast_1h,
                s.ema_slow_1h,
                s.ema_fast_4h,
                s.ema_slow_4h,
            ];
            for (k, g) in got.iter().enumerate() {
                let w = refs[k][i].unwrap();
                assert!(close_to(*g, w), "bar {i} pair {k}: {g} vs {w}");
            }
        }
    }
}

#[test]
fn snapshot_fields_match_batch_references() {
    let bars = random_bars(7, 1500);
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let rsi = rsi_ref(&closes, 14);
    let atr = atr_ref(&bars, 14);
    let hist = macd_hist_ref(&closes, 12, 26, 9);
    let mut ind = Indicators::new(15).unwrap();
    let mut seen = 0;
    for (i, b) in bars.iter().enumerate() {
        let Some(s) = ind.update(b) else { continue };
        seen += 1;
        assert_eq!(
            (s.time, s.open, s.high, s.low, s.close, s.volume),
            (b.time, b.open, b.high, b.low, b.close, b.volume)
        );
        assert!(close_to(s.rsi, rsi[i].unwrap()), "rsi bar {i}");
        assert!(close_to(s.atr, atr[i].unwrap()), "atr bar {i}");
        assert!(
            (s.macd_hist_rel - hist[i].unwrap() / b.close).abs() < 1e-12,
            "macd bar {i}"
        );
        let prev = &bars[i - 20..i];
        let mean = prev.iter().map(|p| p.volume).sum::<f64>() / 20.0;
        let want_ratio = if mean == 0.0 { 1.0 } else { b.volume / mean };
        assert!(close_to(s.volume_ratio, want_ratio), "volume ratio bar {i}");
        let ph = prev.iter().map(|p| p.high).fold(f64::MIN, f64::max);
        let pl = prev.iter().map(|p| p.low).fold(f64::MAX, f64::min);
        assert_eq!((s.prev_high, s.prev_low), (ph, pl), "range bar {i}");
        let pv = bars[i - 1].volume;
        assert_eq!(s.volume_pulse, if pv == 0.0 { 1.0 } else { b.volume / pv });
        assert_eq!(s.prev_body_signed, bars[i - 1].close - bars[i - 1].open);
        assert_eq!(s.body, (b.close - b.open).abs());
        assert_eq!(s.upper_wick, b.high - b.open.max(b.close));
        assert_eq!(s.lower_wick, b.open.min(b.close) - b.low);
    }
    assert_eq!(seen, 1500 - 800 + 1);
}

fn all_finite(s: &Snapshot) -> bool {
    [
        s.open,
        s.high,
        s.low,
        s.close,
        s.volume,
        s.ema_fast,
        s.ema_slow,
        s.ema_fast_1h,
        s.ema_slow_1h,
        s.ema_fast_4h,
        s.ema_slow_4h,
        s.rsi,
        s.atr,
        s.macd_hist_rel,
        s.volume_ratio,
        s.volume_pulse,
        s.prev_high,
        s.prev_low,
        s.body,
        s.upper_wick,
        s.lower_wick,
        s.prev_body_signed,
    ]
    .iter()
    .all(|v| v.is_finite())
}

#[test]
fn flat_zero_volume_input_gives_no_nan_and_no_signal() {
    let mut ind = Indicators::new(240).unwrap();
    let mut snaps = 0;
    for i in 0..500 {
        let bar = Bar {
            time: i,
            open: 0.1,
            high: 0.1,
            low: 0.1,
            close: 0.1,
            volume: 0.0,
        };
        if let Some(s) = ind.update(&bar) {
            snaps += 1;
            assert!(all_finite(&s), "{s:?}");
            assert_eq!((s.rsi, s.atr, s.macd_hist_rel), (50.0, 0.0, 0.0));
            assert_eq!((s.volume_ratio, s.volume_pulse), (1.0, 1.0));
            assert_eq!(s.ema_fast, s.ema_slow_4h);
            assert_eq!(signal(&s), None, "every vote is zero: a tie");
        }
    }
    assert_eq!(snaps, 500 - 50 + 1);
}

#[test]
fn random_and_mixed_degenerate_input_gives_no_nan() {
    // Random walk interleaved with flat stretches and zero-volume runs.
    let mut bars = random_bars(8, 3000);
    for (i, b) in bars.iter_mut().enumerate() {
        if (i / 300) % 2 == 1 {
            b.volume = 0.0;
        }
        if (1000..1400).contains(&i) {
            *b = Bar {
                time: b.time,
                open: 50.0,
                high: 50.0,
                low: 50.0,
                close: 50.0,
                volume: b.volume,
            };
        }
    }
    let mut ind = Indicators::new(15).unwrap();
    for b in &bars {
        if let Some(s) = ind.update(b) {
            assert!(all_finite(&s), "{s:?}");
            assert!((0.0..=100.0).contains(&s.rsi) && s.atr >= 0.0);
            if let Some(sig) = signal(&s) {
                assert!((1..=5).contains(&sig.consensus));
                assert!(
                    sig.components.iter().all(|c| (0.0..=1.0).contains(c)),
                    "{sig:?}"
                );
            }
        }
    }
}

#[test]
fn atr_alone_equals_the_atr_of_the_full_update() {
    // External-entry passes feed the ATR alone; their ATR and warm-up must be the ones
    // the full update gives.
    let bars = random_bars(77, 1_500);
    let mut full = Indicators::new(15).unwrap();
    let mut alone = Indicators::new(15).unwrap();
    let mut snapshots = 0;
    for b in &bars {
        let warm = full.update(b).is_some();
        assert_eq!(alone.update_atr(b), warm);
        snapshots += usize::from(warm);
        assert_eq!(alone.atr().map(f64::to_bits), full.atr().map(f64::to_bits));
        assert_eq!(alone.is_ready(), full.is_ready());
    }
    assert!(
        snapshots > 0 && snapshots < bars.len(),
        "the warm-up ends inside the series"
    );
}
