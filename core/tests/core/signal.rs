//! The signal: direction vote and consensus (exhaustively), components by hand and by
//! mirror symmetry, score normalization and penalty, bounds on random snapshots, and
//! the weight tables against DESIGN §3 (transcribed verbatim and parsed here).

// A failing test panics by design; unwrapping known-good values keeps the arithmetic readable.
#![allow(clippy::unwrap_used, clippy::panic)]

use phasebound_core::Direction;
use phasebound_core::budget::COMPONENTS;
use phasebound_core::indicators::Snapshot;
use phasebound_core::signal::{
    Component, Profile, SCALPING_GROUPS, SWING_GROUPS, Signal, Weights, default_groups, find_group,
    rsi_penalty, signal,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A snapshot with no directional vote at all and moderate everything else.
fn neutral() -> Snapshot {
    Snapshot {
        time: 0,
        open: 100.0,
        high: 101.0,
        low: 99.0,
        close: 100.0,
        volume: 10.0,
        ema_fast: 100.0,
        ema_slow: 100.0,
        ema_fast_1h: 100.0,
        ema_slow_1h: 100.0,
        ema_fast_4h: 100.0,
        ema_slow_4h: 100.0,
        rsi: 50.0,
        atr: 1.0,
        macd_hist_rel: 0.0,
        volume_ratio: 1.0,
        volume_pulse: 1.0,
        prev_high: 102.0,
        prev_low: 98.0,
        body: 0.0,
        upper_wick: 1.0,
        lower_wick: 1.0,
        prev_body_signed: 0.0,
        higher_votes: [true, true],
    }
}

/// Votes in order: base trend, 1h trend, 4h trend, MACD, candle colour; each −1, 0 or 1.
fn with_votes(v: [i32; 5]) -> Snapshot {
    let mut s = neutral();
    s.ema_fast = 100.0 + f64::from(v[0]);
    s.ema_fast_1h = 100.0 + f64::from(v[1]);
    s.ema_fast_4h = 100.0 + f64::from(v[2]);
    s.macd_hist_rel = 0.001 * f64::from(v[3]);
    s.close = 100.0 + 0.5 * f64::from(v[4]);
    s.body = (s.close - s.open).abs();
    s.upper_wick = s.high - s.open.max(s.close);
    s.lower_wick = s.open.min(s.close) - s.low;
    s
}

#[test]
fn direction_and_consensus_on_every_vote_combination() {
    let mut ties = 0;
    for code in 0..243 {
        let mut v = [0i32; 5];
        let mut c = code;
        for x in &mut v {
            *x = c % 3 - 1;
            c /= 3;
        }
        let net: i32 = v.iter().sum();
        let got = signal(&with_votes(v));
        match net.signum() {
            0 => {
                ties += 1;
                assert_eq!(got, None, "{v:?}");
            }
            side => {
                let sig = got.unwrap_or_else(|| panic!("no signal for {v:?}"));
                let want_dir = if side > 0 {
                    Direction::Long
                } else {
                    Direction::Short
                };
                assert_eq!(sig.direction, want_dir, "{v:?}");
                let agreeing = v.iter().filter(|&&x| x == side).count();
                assert_eq!(usize::from(sig.consensus), agreeing, "{v:?}");
            }
        }
    }
    // Ties: net 0 over five votes in {−1, 0, 1}: 1 + 20 + 30 = 51 combinations.
    assert_eq!(ties, 51);
}

#[test]
fn direction_examples() {
    let s = signal(&with_votes([1, 1, 1, 1, 1])).unwrap();
    assert_eq!((s.direction, s.consensus), (Direction::Long, 5));
    let s = signal(&with_votes([1, 1, -1, -1, 1])).unwrap();
    assert_eq!((s.direction, s.consensus), (Direction::Long, 3));
    let s = signal(&with_votes([0, 0, 0, 0, -1])).unwrap();
    assert_eq!((s.direction, s.consensus), (Direction::Short, 1));
    assert_eq!(signal(&with_votes([1, -1, 1, -1, 0])), None);
    assert_eq!(signal(&neutral()), None);
}

#[test]
fn components_by_hand_long() {
    let mut s = neutral();
    s.open = 100.0;
    s.close = 102.0;
    s.high = 103.0;
    s.low = 99.5;
    s.body = 2.0;
    s.upper_wick = 1.0;
    s.lower_wick = 0.5;
    s.atr = 4.0;
    s.volume_ratio = 2.0;
    s.volume_pulse = 1.5;
    s.prev_high = 102.5; // close below it, high above it
    s.ema_fast = 101.0; // base up
    s.ema_fast_1h = 99.0; // 1h down
    s.ema_fast_4h = 101.0; // 4h up
    s.macd_hist_rel = 0.001;
    s.prev_body_signed = 0.5;
    let sig = signal(&s).unwrap();
    assert_eq!((sig.direction, sig.consensus), (Direction::Long, 4));
    let want = [
        (Component::Momentum, 2.0 / 4.0),
        (Component::Volume, 0.5),
        (Component::Breakout, 0.5),
        (Component::Wick, 0.5 / 3.5),
        (Component::Trend, 2.0 / 3.0),
        (Component::EmaDivergence, 1.0 / 8.0),
        (Component::H4Strength, 1.0 / 102.0 / 0.02),
        (Component::Volatility, 1.0), // 4/102 = 3.9 % > 2 %
        (Component::VolumePulse, 0.25),
        (Component::Acceleration, (2.0 - 0.5) / 4.0),
    ];
    for (c, w) in want {
        assert!(
            (sig.component(c) - w).abs() < 1e-12,
            "{}: {} vs {w}",
            c.name(),
            sig.component(c)
        );
    }
    // Close beyond the previous high: full breakout; a previous red candle counts whole.
    s.prev_high = 101.0;
    s.prev_body_signed = -1.0;
    let sig = signal(&s).unwrap();
    assert_eq!(sig.component(Component::Breakout), 1.0);
    assert_eq!(sig.component(Component::Acceleration), 3.0 / 4.0);
    // Wick not beyond either: no breakout; a shrinking candle: no acceleration.
    s.prev_high = 104.0;
    s.prev_body_signed = 3.0;
    let sig = signal(&s).unwrap();
    assert_eq!(sig.component(Component::Breakout), 0.0);
    assert_eq!(sig.component(Component::Acceleration), 0.0);
}

#[test]
fn components_opposing_the_direction_are_zero() {
    // Long by the three trend pairs and MACD, against a red candle.
    let mut s = with_votes([1, 1, 1, 1, -1]);
    s.prev_body_signed = -3.0;
    let sig = signal(&s).unwrap();
    assert_eq!(sig.direction, Direction::Long);
    assert_eq!(
        sig.component(Component::Momentum),
        0.0,
        "red candle in a long"
    );
    assert_eq!(
        sig.component(Component::Acceleration),
        0.0,
        "red candle in a long"
    );
    // Base and 4h pairs against the long: no divergence or 4h strength credit.
    let mut s = with_votes([-1, 1, -1, 1, 1]);
    s.ema_fast_1h = 105.0;
    let sig = signal(&s).unwrap();
    assert_eq!(sig.direction, Direction::Long);
    assert_eq!(sig.component(Component::EmaDivergence), 0.0);
    assert_eq!(sig.component(Component::H4Strength), 0.0);
    assert!((sig.component(Component::Trend) - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn zero_atr_and_zero_range_give_zero_not_nan() {
    let mut s = with_votes([1, 1, 1, 1, 1]);
    s.atr = 0.0;
    s.high = s.close;
    s.low = s.open;
    s.upper_wick = 0.0;
    s.lower_wick = 0.0;
    let sig = signal(&s).unwrap();
    for c in [
        Component::Momentum,
        Component::EmaDivergence,
        Component::Volatility,
        Component::Acceleration,
    ] {
        assert_eq!(sig.component(c), 0.0, "{}", c.name());
    }
    let mut s = with_votes([1, 1, 1, 1, 0]);
    s.high = 100.0;
    s.low = 100.0;
    s.upper_wick = 0.0;
    s.lower_wick = 0.0;
    let sig = signal(&s).unwrap();
    assert_eq!(sig.component(Component::Wick), 0.0);
    assert!(sig.components.iter().all(|c| c.is_finite()));
}

/// Reflects prices around 100 (p → 200 − p): every vote flips, highs and lows swap.
fn mirror(s: &Snapshot) -> Snapshot {
    let m = |p: f64| 200.0 - p;
    Snapshot {
        open: m(s.open),
        high: m(s.low),
        low: m(s.high),
        close: m(s.close),
        ema_fast: m(s.ema_fast),
        ema_slow: m(s.ema_slow),
        ema_fast_1h: m(s.ema_fast_1h),
        ema_slow_1h: m(s.ema_slow_1h),
        ema_fast_4h: m(s.ema_fast_4h),
        ema_slow_4h: m(s.ema_slow_4h),
        rsi: 100.0 - s.rsi,
        macd_hist_rel: -s.macd_hist_rel,
        prev_high: m(s.prev_low),
        prev_low: m(s.prev_high),
        upper_wick: s.lower_wick,
        lower_wick: s.upper_wick,
        prev_body_signed: -s.prev_body_signed,
        ..*s
    }
}

/// A random, internally consistent snapshot with prices near 100 (quarter-tick prices,
/// so the mirror is exact).
fn random_consistent(rng: &mut Xoshiro256PlusPlus) -> Snapshot {
    let mut q = |lo: f64, hi: f64| lo + ((hi - lo) * 4.0 * uniform(rng)).floor() / 4.0;
    let open = q(95.0, 105.0);
    let close = q(95.0, 105.0);
    let high = open.max(close) + q(0.0, 3.0);
    let low = open.min(close) - q(0.0, 3.0);
    Snapshot {
        time: 0,
        open,
        high,
        low,
        close,
        volume: q(0.0, 50.0),
        ema_fast: q(97.0, 103.0),
        ema_slow: q(97.0, 103.0),
        ema_fast_1h: q(97.0, 103.0),
        ema_slow_1h: q(97.0, 103.0),
        ema_fast_4h: q(97.0, 103.0),
        ema_slow_4h: q(97.0, 103.0),
        rsi: q(0.0, 100.0),
        atr: q(0.0, 4.0),
        macd_hist_rel: q(-2.0, 2.0) / 1000.0,
        volume_ratio: q(0.0, 5.0),
        volume_pulse: q(0.0, 5.0),
        prev_high: q(100.0, 106.0),
        prev_low: q(94.0, 100.0),
        body: (close - open).abs(),
        upper_wick: high - open.max(close),
        lower_wick: open.min(close) - low,
        prev_body_signed: q(-3.0, 3.0),
        higher_votes: [true, true],
    }
}

#[test]
fn mirrored_market_gives_the_mirrored_signal() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut signals = 0;
    for _ in 0..5000 {
        let s = random_consistent(&mut rng);
        let (a, b) = (signal(&s), signal(&mirror(&s)));
        assert_eq!(a.is_some(), b.is_some());
        let (Some(a), Some(b)) = (a, b) else { continue };
        signals += 1;
        assert_ne!(a.direction, b.direction);
        assert_eq!(a.consensus, b.consensus);
        for c in Component::ALL {
            // These two divide by the price level, which the mirror changes.
            if c != Component::H4Strength && c != Component::Volatility {
                assert_eq!(a.component(c), b.component(c), "{}", c.name());
            }
        }
        assert_eq!(
            rsi_penalty(a.direction, a.rsi),
            rsi_penalty(b.direction, b.rsi)
        );
    }
    assert!(signals > 3000, "{signals}");
}

fn full(direction: Direction, rsi: f64) -> Signal {
    Signal {
        direction,
        consensus: 5,
        components: [1.0; COMPONENTS],
        rsi,
    }
}

#[test]
fn score_of_all_ones_is_100_minus_penalty() {
    let cases = [
        (Direction::Long, 50.0, 100.0),
        (Direction::Long, 75.0, 100.0),
        (Direction::Long, 87.5, 90.0),
        (Direction::Long, 100.0, 80.0),
        (Direction::Long, 10.0, 100.0),
        (Direction::Short, 50.0, 100.0),
        (Direction::Short, 25.0, 100.0),
        (Direction::Short, 12.5, 90.0),
        (Direction::Short, 0.0, 80.0),
        (Direction::Short, 90.0, 100.0),
    ];
    for g in SCALPING_GROUPS.iter().chain(SWING_GROUPS.iter()) {
        for (d, rsi, want) in cases {
            let got = full(d, rsi).score(&g.weights);
            assert!(
                (got - want).abs() < 1e-12,
                "{} {d:?} rsi {rsi}: {got}",
                g.name
            );
        }
    }
}

#[test]
fn score_known_answer_and_zero_weights() {
    let mut c = [0.0; COMPONENTS];
    c[Component::Momentum.index()] = 1.0;
    c[Component::Breakout.index()] = 0.5;
    c[Component::Trend.index()] = 1.0;
    c[Component::EmaDivergence.index()] = 1.0; // weight 0 in scalping: ignored
    let sig = Signal {
        direction: Direction::Long,
        consensus: 3,
        components: c,
        rsi: 50.0,
    };
    // Scalping default: (25·1 + 25·0.5 + 12·1) / (25+30+25+15+12+20+15+15) = 49.5 / 157.
    let got = sig.score(&SCALPING_GROUPS[0].weights);
    assert!((got - 4950.0 / 157.0).abs() < 1e-9, "{got}");
    // With RSI 95 the long loses 16 points.
    let hot = Signal { rsi: 95.0, ..sig };
    assert!((hot.score(&SCALPING_GROUPS[0].weights) - (4950.0 / 157.0 - 16.0)).abs() < 1e-9);
    // A penalty larger than the score clamps at 0.
    let weak = Signal {
        components: [0.05; COMPONENTS],
        rsi: 100.0,
        ..sig
    };
    assert_eq!(weak.score(&SCALPING_GROUPS[0].weights), 0.0);
    assert_eq!(
        full(Direction::Long, 50.0).score(&Weights([0.0; COMPONENTS])),
        0.0
    );
}

fn random_signal(rng: &mut Xoshiro256PlusPlus) -> Signal {
    let direction = if rng.next_u64().is_multiple_of(2) {
        Direction::Long
    } else {
        Direction::Short
    };
    let mut components = [0.0; COMPONENTS];
    for c in &mut components {
        *c = uniform(rng);
    }
    Signal {
        direction,
        consensus: 3,
        components,
        rsi: 100.0 * uniform(rng),
    }
}

#[test]
fn scaling_the_weights_does_not_change_the_score() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    for _ in 0..2000 {
        let sig = random_signal(&mut rng);
        for g in SCALPING_GROUPS.iter().chain(SWING_GROUPS.iter()) {
            let w = g.weights;
            let w2 = Weights(w.0.map(|x| x * 2.0));
            let w3 = Weights(w.0.map(|x| x * 3.0));
            // Doubling is exact in binary floating point, so the score is bit-identical.
            assert_eq!(sig.score(&w), sig.score(&w2), "{}", g.name);
            assert!((sig.score(&w) - sig.score(&w3)).abs() < 1e-9, "{}", g.name);
        }
    }
}

/// A snapshot of independent random fields, a tenth of them degenerate
/// (0, negative, huge, infinite or NaN).
fn random_wild(rng: &mut Xoshiro256PlusPlus) -> Snapshot {
    let mut f = |scale: f64| {
        let u = uniform(rng);
        if u < 0.1 {
            [0.0, -1.0, 1e300, f64::INFINITY, f64::NAN][(rng.next_u64() % 5) as usize]
        } else {
            scale * uniform(rng)
        }
    };
    Snapshot {
        time: 0,
        open: f(200.0),
        high: f(200.0),
        low: f(200.0),
        close: f(200.0),
        volume: f(1e3),
        ema_fast: f(200.0),
        ema_slow: f(200.0),
        ema_fast_1h: f(200.0),
        ema_slow_1h: f(200.0),
        ema_fast_4h: f(200.0),
        ema_slow_4h: f(200.0),
        rsi: f(100.0),
        atr: f(10.0),
        macd_hist_rel: f(0.02) - 0.01,
        volume_ratio: f(5.0),
        volume_pulse: f(5.0),
        prev_high: f(200.0),
        prev_low: f(200.0),
        body: f(10.0),
        upper_wick: f(10.0),
        lower_wick: f(10.0),
        prev_body_signed: f(20.0) - 10.0,
        higher_votes: [true, true],
    }
}

#[test]
fn scores_and_components_stay_in_bounds_on_random_snapshots() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    let mut signals = 0;
    for i in 0..10_000 {
        let s = if i % 2 == 0 {
            random_wild(&mut rng)
        } else {
            random_consistent(&mut rng)
        };
        let Some(sig) = signal(&s) else { continue };
        signals += 1;
        assert!((1..=5).contains(&sig.consensus));
        for c in sig.components {
            assert!((0.0..=1.0).contains(&c), "component {c} of {s:?}");
        }
        let mut random_w = [0.0; COMPONENTS];
        for w in &mut random_w {
            *w = if uniform(&mut rng) < 0.3 {
                0.0
            } else {
                50.0 * uniform(&mut rng)
            };
        }
        let groups = SCALPING_GROUPS
            .iter()
            .chain(SWING_GROUPS.iter())
            .map(|g| g.weights);
        for w in groups.chain([Weights(random_w)]) {
            let score = sig.score(&w);
            assert!((0.0..=100.0).contains(&score), "score {score} of {s:?}");
        }
    }
    assert!(signals > 5000, "{signals}");
}

/// DESIGN §3, copied verbatim.
const DESIGN_TABLES: &str = "
| scalping group | momentum | volume | breakout | wick | trend | volatility | vol. pulse | accel. |
|---|---|---|---|---|---|---|---|---|
| default | 25 | 30 | 25 | 15 | 12 | 20 | 15 | 15 |
| momentum first | 30 | 28 | 25 | 15 | 10 | 18 | 12 | 20 |
| volume first | 22 | 35 | 22 | 15 | 10 | 18 | 20 | 12 |
| breakout first | 22 | 28 | 30 | 15 | 10 | 25 | 12 | 12 |
| balanced | 24 | 29 | 24 | 14 | 11 | 19 | 14 | 14 |
| high reward/risk | 35 | 20 | 20 | 10 | 5 | 25 | 10 | 30 |

| swing group | momentum | volume | breakout | trend | EMA divergence | 4h strength |
|---|---|---|---|---|---|---|
| default | 20 | 35 | 25 | 35 | 15 | 25 |
| trend first | 20 | 30 | 20 | 40 | 15 | 25 |
| 4h first | 20 | 30 | 20 | 35 | 10 | 35 |
| momentum + volume | 25 | 40 | 20 | 30 | 15 | 20 |
| balanced | 22 | 33 | 23 | 33 | 15 | 25 |
| high reward/risk | 15 | 15 | 15 | 10 | 5 | 10 |
";

fn column(header: &str) -> Component {
    match header {
        "momentum" => Component::Momentum,
        "volume" => Component::Volume,
        "breakout" => Component::Breakout,
        "wick" => Component::Wick,
        "trend" => Component::Trend,
        "EMA divergence" => Component::EmaDivergence,
        "4h strength" => Component::H4Strength,
        "volatility" => Component::Volatility,
        "vol. pulse" => Component::VolumePulse,
        "accel." => Component::Acceleration,
        other => panic!("unknown column {other}"),
    }
}

fn group_name(row: &str) -> &'static str {
    match row {
        "default" => "default",
        "momentum first" => "momentum_first",
        "volume first" => "volume_first",
        "breakout first" => "breakout_first",
        "balanced" => "balanced",
        "high reward/risk" => "high_reward_risk",
        "trend first" => "trend_first",
        "4h first" => "h4_first",
        "momentum + volume" => "momentum_volume",
        other => panic!("unknown group {other}"),
    }
}

#[test]
fn weight_tables_equal_design() {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut parsed: Vec<(Profile, Vec<(&'static str, Weights)>)> = Vec::new();
    let mut header: Vec<Component> = Vec::new();
    for line in DESIGN_TABLES
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
    {
        let row = cells(line);
        if row[0].ends_with("group") {
            let profile = if row[0].starts_with("scalping") {
                Profile::Scalping
            } else {
                Profile::Swing
            };
            header = row[1..].iter().map(|h| column(h)).collect();
            parsed.push((profile, Vec::new()));
            continue;
        }
        let mut w = [0.0; COMPONENTS];
        for (c, v) in header.iter().zip(&row[1..]) {
            w[c.index()] = v.parse().unwrap();
        }
        parsed
            .last_mut()
            .unwrap()
            .1
            .push((group_name(&row[0]), Weights(w)));
    }
    assert_eq!(parsed.len(), 2);
    for (profile, rows) in parsed {
        let table = default_groups(profile);
        assert_eq!(rows.len(), table.len());
        for ((name, w), g) in rows.iter().zip(table.iter()) {
            assert_eq!(
                (*name, *w),
                (g.name, g.weights),
                "{} {name}",
                profile.name()
            );
            assert_eq!(find_group(profile, name), Some(g));
        }
    }
    assert_eq!(find_group(Profile::Swing, "wick_first"), None);
    assert_eq!(default_groups(Profile::Scalping), &SCALPING_GROUPS);
    assert_eq!(default_groups(Profile::Swing), &SWING_GROUPS);
}

#[test]
fn component_and_profile_vocabulary() {
    let names = [
        "momentum",
        "volume",
        "breakout",
        "wick",
        "trend",
        "ema_divergence",
        "h4_strength",
        "volatility",
        "volume_pulse",
        "acceleration",
    ];
    for (i, c) in Component::ALL.iter().enumerate() {
        assert_eq!(c.index(), i);
        assert_eq!(c.name(), names[i]);
    }
    assert_eq!(Profile::ALL.map(Profile::name), ["scalping", "swing"]);
    // Wire round trip of the serde types.
    let mut buf = [0u8; 128];
    let w = SWING_GROUPS[2].weights;
    let bytes = postcard::to_slice(&(Profile::Swing, w, Component::H4Strength), &mut buf).unwrap();
    let back: (Profile, Weights, Component) = postcard::from_bytes(bytes).unwrap();
    assert_eq!(back, (Profile::Swing, w, Component::H4Strength));
}

#[test]
fn rsi_penalty_shape() {
    assert_eq!(rsi_penalty(Direction::Long, 75.0), 0.0);
    assert_eq!(rsi_penalty(Direction::Long, 80.0), 4.0);
    assert_eq!(rsi_penalty(Direction::Long, 100.0), 20.0);
    assert_eq!(rsi_penalty(Direction::Long, 150.0), 20.0);
    assert_eq!(rsi_penalty(Direction::Short, 20.0), 4.0);
    assert_eq!(rsi_penalty(Direction::Short, 0.0), 20.0);
    assert_eq!(rsi_penalty(Direction::Short, 60.0), 0.0);
    assert_eq!(rsi_penalty(Direction::Long, f64::NAN), 0.0);
}

#[test]
fn higher_timeframe_pairs_vote_only_above_the_bar_timeframe() {
    // All five agree below 1 h: consensus 5.
    let mut s = with_votes([1, 1, 1, 1, 1]);
    assert_eq!(signal(&s).unwrap().consensus, 5);
    // At 1 h the "1 h" pair is the base pair: 4 voters; at 4 h and above, 3.
    s.higher_votes = [false, true];
    assert_eq!(signal(&s).unwrap().consensus, 4);
    s.higher_votes = [false, false];
    let sig = signal(&s).unwrap();
    assert_eq!(sig.consensus, 3);
    assert_eq!(
        sig.component(Component::Trend),
        1.0,
        "the base pair is all the trend"
    );
    // A 1 h vote that disagrees cannot break a tie it does not take part in.
    let mut t = with_votes([1, -1, 0, -1, 1]);
    assert_eq!(signal(&t), None, "2 against 2 below 1 h");
    t.higher_votes = [false, true];
    let sig = signal(&t).unwrap();
    assert_eq!((sig.direction, sig.consensus), (Direction::Long, 2));
    // The indicators say which pairs vote, from the timeframe.
    for (tf, votes) in [
        (15, [true, true]),
        (60, [false, true]),
        (240, [false, false]),
    ] {
        let mut ind = phasebound_core::indicators::Indicators::new(tf).unwrap();
        let snap = (0..2000)
            .find_map(|i| {
                let p = 100.0 + (f64::from(i) * 0.1).sin();
                ind.update(&phasebound_core::Bar {
                    time: i64::from(i) * 60_000 * i64::from(tf),
                    open: p,
                    high: p + 1.0,
                    low: p - 1.0,
                    close: p + 0.5,
                    volume: 10.0,
                })
            })
            .unwrap();
        assert_eq!(snap.higher_votes, votes, "{tf} min");
    }
}
