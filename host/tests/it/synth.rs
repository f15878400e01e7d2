//! The synthetic market generator: reproducible fixtures, valid bars, and the stylized
//! facts of crypto returns that the engine's signals rely on (volatility clustering, fat
//! tails, crypto-like daily volatility, trend regimes, volume spikes with big moves).

use std::error::Error;
use std::path::{Path, PathBuf};

use phasebound::synth::{
    self, FIXTURE_BARS, FIXTURE_SEED, FIXTURE_START_MS, FIXTURE_TIMEFRAME_MINUTES, Regime,
    SymbolModel, SynthBars, fixture_models, generate,
};
use phasebound_core::Bar;

type TestResult = Result<(), Box<dyn Error>>;

const BARS_PER_DAY: usize = 96;
const TF_MS: i64 = 15 * 60_000;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

fn fixture_bars(model: &SymbolModel) -> Vec<Bar> {
    generate(
        model,
        FIXTURE_SEED,
        FIXTURE_START_MS,
        FIXTURE_TIMEFRAME_MINUTES,
        FIXTURE_BARS,
    )
    .collect()
}

fn log_returns(bars: &[Bar]) -> Vec<f64> {
    bars.windows(2)
        .map(|w| (w[1].close / w[0].close).ln())
        .collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample autocorrelation at `lag` (biased estimator, as in every textbook ACF).
fn acf(x: &[f64], lag: usize) -> f64 {
    let m = mean(x);
    let var: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    let cov: f64 = x
        .iter()
        .zip(&x[lag..])
        .map(|(a, b)| (a - m) * (b - m))
        .sum();
    cov / var
}

fn excess_kurtosis(x: &[f64]) -> f64 {
    let m = mean(x);
    let m2 = mean(&x.iter().map(|v| (v - m).powi(2)).collect::<Vec<_>>());
    let m4 = mean(&x.iter().map(|v| (v - m).powi(4)).collect::<Vec<_>>());
    m4 / (m2 * m2) - 3.0
}

fn std_dev(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// Lengths of the runs of equal sign of the 50-bar EMA's slope over `closes`.
fn ema50_slope_runs(closes: &[f64]) -> Vec<usize> {
    let k = 2.0 / 51.0;
    let mut ema = closes[0];
    let (mut runs, mut current, mut last_up) = (Vec::new(), 0usize, None);
    for &c in &closes[1..] {
        let next = ema + k * (c - ema);
        let up = next > ema;
        ema = next;
        if Some(up) == last_up {
            current += 1;
        } else {
            if current > 0 {
                runs.push(current);
            }
            current = 1;
            last_up = Some(up);
        }
    }
    runs.push(current);
    runs
}

/// Share of trend bars (at least 50 bars into their trend, so the EMA has caught up)
/// whose 50-bar EMA slope points the trend's way.
fn ema50_agreement_with_regime(model: &SymbolModel) -> f64 {
    let mut bars = generate(model, FIXTURE_SEED, FIXTURE_START_MS, 15, FIXTURE_BARS);
    let k = 2.0 / 51.0;
    let (mut ema, mut age, mut last) = (None::<f64>, 0usize, None);
    let (mut agree, mut trend_bars) = (0usize, 0usize);
    while let Some(b) = bars.next() {
        let regime = bars.regime();
        age = if Some(regime) == last { age + 1 } else { 0 };
        last = Some(regime);
        let previous = ema.unwrap_or(b.close);
        let next = previous + k * (b.close - previous);
        ema = Some(next);
        if age >= 50 && regime != Regime::Range {
            trend_bars += 1;
            agree += usize::from((regime == Regime::Up) == (next > previous));
        }
    }
    agree as f64 / trend_bars as f64
}

#[test]
fn committed_fixtures_are_reproducible() -> TestResult {
    let tmp = tempfile::tempdir()?;
    synth::write_fixtures(tmp.path())?;
    let mut generated: Vec<_> = std::fs::read_dir(tmp.path())?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    generated.sort();
    let names: Vec<_> = generated
        .iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "SYNBTCUSDT-15m.csv",
            "SYNDOGEUSDT-15m.csv",
            "SYNETHUSDT-15m.csv",
            "SYNSOLUSDT-15m.csv"
        ]
    );
    let mut total = 0;
    for name in &generated {
        let fresh = std::fs::read(tmp.path().join(name))?;
        let committed = std::fs::read(fixtures_dir().join(name))?;
        total += committed.len();
        assert!(
            fresh == committed,
            "fixtures/{} differs from a regeneration",
            name.to_string_lossy()
        );
    }
    assert!(total < 3_000_000, "fixtures total {total} bytes");
    Ok(())
}

#[test]
fn longer_market_starts_with_the_fixtures() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let files = synth::write_market(tmp.path(), 16, 91, FIXTURE_SEED)?;
    assert_eq!(files.len(), 16);
    let names: std::collections::BTreeSet<_> =
        synth::market_models(16).iter().map(|m| m.name).collect();
    assert_eq!(names.len(), 16, "symbol names repeat");
    for (i, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path)?;
        assert_eq!(text.lines().count(), 1 + 91 * BARS_PER_DAY);
        if i < 4 {
            let committed = std::fs::read_to_string(
                fixtures_dir().join(path.file_name().ok_or("no file name")?),
            )?;
            assert!(
                text.starts_with(&committed),
                "{} does not continue fixtures/",
                path.display()
            );
        }
    }
    // Symbols 5.. reuse the fixture dynamics on their own streams: other prices.
    let a = std::fs::read_to_string(&files[0])?;
    let b = std::fs::read_to_string(&files[4])?;
    assert_ne!(a.lines().nth(2), b.lines().nth(2));
    Ok(())
}

#[test]
fn fixture_csv_round_trips_exactly() -> TestResult {
    for model in &fixture_models() {
        let text = std::fs::read_to_string(fixtures_dir().join(format!("{}-15m.csv", model.name)))?;
        let mut lines = text.split('\n');
        assert_eq!(lines.next(), Some(synth::CSV_HEADER));
        let mut parsed = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "{line}");
            parsed.push(Bar {
                time: f[0].parse()?,
                open: f[1].parse()?,
                high: f[2].parse()?,
                low: f[3].parse()?,
                close: f[4].parse()?,
                volume: f[5].parse()?,
            });
        }
        assert!(text.ends_with('\n') && !text.contains('\r'));
        assert_eq!(parsed, fixture_bars(model), "{}", model.name);
    }
    Ok(())
}

#[test]
fn fixture_bars_are_valid_and_evenly_spaced() -> TestResult {
    for model in &fixture_models() {
        let bars = fixture_bars(model);
        assert_eq!(bars.len(), FIXTURE_BARS);
        assert_eq!(bars[0].time, FIXTURE_START_MS);
        let mut previous = None;
        let mut gaps = 0;
        for (i, b) in bars.iter().enumerate() {
            b.validate(previous)
                .map_err(|e| format!("{} bar {i}: {e}", model.name))?;
            if let Some(p) = previous {
                assert_eq!(b.time - p, TF_MS, "{} bar {i}", model.name);
            }
            assert!(b.volume > 0.0, "{} bar {i}: zero volume", model.name);
            if i > 0 && b.open != bars[i - 1].close {
                gaps += 1;
                let g = (b.open / bars[i - 1].close).ln().abs();
                assert!(g < 0.01, "{} bar {i}: gap of {g}", model.name);
            }
            previous = Some(b.time);
        }
        // Open = previous close except for rare small gaps.
        assert!(
            gaps > 0 && gaps < FIXTURE_BARS / 100,
            "{}: {gaps} gaps",
            model.name
        );
    }
    Ok(())
}

#[test]
fn fixture_symbols_differ_in_level_and_volatility() {
    let models = fixture_models();
    let mut daily: Vec<f64> = Vec::new();
    for model in &models {
        let bars = fixture_bars(model);
        let first = bars[0].open;
        assert!(
            (first / model.start_price - 1.0).abs() < 1e-4,
            "{}",
            model.name
        );
        daily.push(std_dev(&log_returns(&bars)) * (BARS_PER_DAY as f64).sqrt());
    }
    // The calmest and the wildest model (BTC 45 %, DOGE 80 % a year) differ clearly.
    assert!(daily[3] > 1.3 * daily[0], "{daily:?}");
}

#[test]
fn stylized_facts_of_returns() {
    for model in &fixture_models() {
        let bars = fixture_bars(model);
        let r = log_returns(&bars);
        let abs_r: Vec<f64> = r.iter().map(|v| v.abs()).collect();
        let rho_r = acf(&r, 1);
        let rho_abs = acf(&abs_r, 1);
        // Around one day's lag, averaged over nine lags to tame the estimator's noise.
        let rho_abs_day = (92..=100).map(|lag| acf(&abs_r, lag)).sum::<f64>() / 9.0;
        let kurt = excess_kurtosis(&r);
        let daily_closes: Vec<Bar> = bars.iter().step_by(BARS_PER_DAY).copied().collect();
        let daily_vol = std_dev(&log_returns(&daily_closes));
        let bar_vol_daily = std_dev(&r) * (BARS_PER_DAY as f64).sqrt();
        eprintln!(
            "{:12} acf1(r) {rho_r:+.3}  acf1(|r|) {rho_abs:.3}  acf~96(|r|) {rho_abs_day:.3}  \
             kurt {kurt:.2}  daily vol {:.2}% (from 15m: {:.2}%)",
            model.name,
            daily_vol * 100.0,
            bar_vol_daily * 100.0
        );
        assert!(
            rho_abs > 0.1,
            "{}: no volatility clustering ({rho_abs})",
            model.name
        );
        // Volatility memory lasts a day (i.i.d. returns: 0 ± 0.011 per lag).
        assert!(
            rho_abs_day > 0.03,
            "{}: clustering does not last ({rho_abs_day})",
            model.name
        );
        assert!(
            rho_r.abs() < 0.1,
            "{}: returns autocorrelated ({rho_r})",
            model.name
        );
        assert!(kurt > 1.0, "{}: tails not fat ({kurt})", model.name);
        for v in [daily_vol, bar_vol_daily] {
            assert!(
                (0.01..0.06).contains(&v),
                "{}: daily volatility {v}",
                model.name
            );
        }
    }
}

#[test]
fn trend_regimes_make_ema_slope_persist() {
    for model in &fixture_models() {
        let bars = fixture_bars(model);
        let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
        let runs = ema50_slope_runs(&closes);
        let longest = runs.iter().copied().max().unwrap_or(0);
        let in_day_runs =
            runs.iter().filter(|&&r| r >= BARS_PER_DAY).sum::<usize>() as f64 / closes.len() as f64;
        let agreement = ema50_agreement_with_regime(model);
        // Control: the same random draws without trend drift.
        let flat = ema50_agreement_with_regime(&SymbolModel {
            trend_strength: 0.0,
            ..*model
        });
        eprintln!(
            "{:12} EMA50 slope: longest run {longest} bars, {:.0}% of bars in runs >= 1 day; \
             agrees with the trend regime {:.0}% (without drift {:.0}%)",
            model.name,
            in_day_runs * 100.0,
            agreement * 100.0,
            flat * 100.0
        );
        assert!(
            longest >= BARS_PER_DAY,
            "{}: longest run {longest}",
            model.name
        );
        assert!(in_day_runs > 0.1, "{}: {in_day_runs}", model.name);
        assert!(agreement > 0.65, "{}: {agreement}", model.name);
        assert!(
            agreement - flat > 0.15,
            "{}: {agreement} vs {flat}",
            model.name
        );
    }
}

#[test]
fn volume_follows_moves_and_spikes() {
    for model in &fixture_models() {
        let bars = fixture_bars(model);
        let abs_r: Vec<f64> = log_returns(&bars).iter().map(|v| v.abs()).collect();
        let range: Vec<f64> = bars[1..].iter().map(|b| (b.high / b.low).ln()).collect();
        let volume: Vec<f64> = bars[1..].iter().map(|b| b.volume.ln()).collect();
        let corr_abs = correlation(&abs_r, &volume);
        let corr_range = correlation(&range, &volume);
        // Volume ratio as the engine defines it: volume / mean of the previous 20 bars.
        let (mut spikes, mut breakouts, mut breakout_spikes) = (0usize, 0usize, 0usize);
        for i in 20..bars.len() {
            let prev = &bars[i - 20..i];
            let ratio = bars[i].volume / (prev.iter().map(|b| b.volume).sum::<f64>() / 20.0);
            let high = prev.iter().map(|b| b.high).fold(f64::MIN, f64::max);
            let low = prev.iter().map(|b| b.low).fold(f64::MAX, f64::min);
            let breakout = bars[i].close > high || bars[i].close < low;
            spikes += usize::from(ratio >= 3.0);
            breakouts += usize::from(breakout);
            breakout_spikes += usize::from(breakout && ratio >= 2.0);
        }
        let n = (bars.len() - 20) as f64;
        eprintln!(
            "{:12} corr(|r|, ln v) {corr_abs:.2}  corr(ln range, ln v) {corr_range:.2}  \
             spikes>=3x {spikes} ({:.2}%)  20-bar breakouts {breakouts} ({:.1}%), with >=2x volume {breakout_spikes}",
            model.name,
            spikes as f64 / n * 100.0,
            breakouts as f64 / n * 100.0
        );
        assert!(corr_abs > 0.3 && corr_range > 0.3, "{}", model.name);
        assert!(spikes > 40, "{}: {spikes} volume spikes", model.name);
        assert!(breakouts > 200, "{}: {breakouts} breakouts", model.name);
        // Breakouts come with volume more often than bars at large.
        let spike2 = (20..bars.len())
            .filter(|&i| {
                let mean20 = bars[i - 20..i].iter().map(|b| b.volume).sum::<f64>() / 20.0;
                bars[i].volume >= 2.0 * mean20
            })
            .count() as f64
            / n;
        assert!(
            breakout_spikes as f64 / breakouts as f64 > 2.5 * spike2,
            "{}",
            model.name
        );
    }
}

#[test]
fn symbols_use_independent_streams() {
    let [btc, eth, ..] = fixture_models();
    let same_params = SymbolModel {
        stream: eth.stream,
        ..btc
    };
    let a: Vec<f64> = log_returns(&fixture_bars(&btc));
    let b: Vec<f64> = log_returns(&fixture_bars(&same_params));
    assert_ne!(a, b);
    assert!(correlation(&a, &b).abs() < 0.05);
    // Same stream, same seed: identical; another seed: different.
    assert_eq!(fixture_bars(&btc), fixture_bars(&btc));
    let other: Vec<Bar> = generate(&btc, FIXTURE_SEED + 1, FIXTURE_START_MS, 15, 100).collect();
    assert_ne!(other, fixture_bars(&btc)[..100]);
}

#[test]
fn volume_parameters_leave_prices_alone() {
    // Every bar takes the same random draws whatever the parameters, so a volume-only
    // change keeps the price path and a change of trend strength keeps the noise.
    let btc = fixture_models()[0];
    let quieter = SymbolModel {
        base_volume: 7.0,
        volume_noise: 0.1,
        volume_decimals: 1,
        ..btc
    };
    let a = fixture_bars(&btc);
    let b = fixture_bars(&quieter);
    let prices = |bars: &[Bar]| {
        bars.iter()
            .map(|x| (x.open, x.high, x.low, x.close))
            .collect::<Vec<_>>()
    };
    assert_eq!(prices(&a), prices(&b));
    let same_volume = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.volume == y.volume)
        .count();
    assert_eq!(same_volume, 0);
    let mean_volume = b.iter().map(|x| x.volume).sum::<f64>() / b.len() as f64;
    assert!((3.5..14.0).contains(&mean_volume), "{mean_volume}");
}

#[test]
fn a_year_streams_in_constant_memory() -> TestResult {
    // The iterator owns no heap memory (nothing to drop) and its size is fixed, so
    // memory cannot depend on the number of bars; the bars are consumed as they come.
    assert!(!std::mem::needs_drop::<SynthBars>());
    let size = size_of::<SynthBars>();
    assert!(size <= 1024, "{size}");
    let year = 365 * BARS_PER_DAY;
    assert_eq!(year, 35_040);
    for model in &fixture_models() {
        let started = std::time::Instant::now();
        let mut it = generate(model, 7, FIXTURE_START_MS, 15, year);
        assert_eq!(it.len(), year);
        let (mut n, mut previous, mut last) = (0usize, None, None);
        for b in it.by_ref() {
            b.validate(previous)?;
            previous = Some(b.time);
            last = Some(b);
            n += 1;
        }
        assert_eq!(n, year);
        assert_eq!(it.next(), None);
        assert_eq!(
            last.map(|b| b.time),
            Some(FIXTURE_START_MS + (year as i64 - 1) * TF_MS)
        );
        assert!(
            started.elapsed().as_secs_f64() < 5.0,
            "too slow: {:?}",
            started.elapsed()
        );
    }
    Ok(())
}

#[test]
fn extreme_models_and_timeframes_still_give_valid_bars() -> TestResult {
    let wild = SymbolModel {
        annual_vol: 50.0, // clamped to 5
        jumps_per_day: 100.0,
        jump_sigmas: 1e6,
        gap_prob: 1.0,
        volume_noise: -3.0,
        price_digits: 40,
        volume_decimals: 99,
        ..SymbolModel::crypto("WILD", 1e-9, 5.0, 1e-9, 9)
    };
    for (model, tf) in [
        (wild, 1),
        (wild, 1440),
        (fixture_models()[3], 5),
        (fixture_models()[0], 0),
    ] {
        let mut previous = None;
        for b in generate(&model, 1, 0, tf, 20_000) {
            b.validate(previous)
                .map_err(|e| format!("{}/{tf}: {e} at {b:?}", model.name))?;
            assert!(b.volume > 0.0);
            previous = Some(b.time);
        }
    }
    Ok(())
}

/// Rewrites `fixtures/*.csv` from the generator (after a deliberate model change):
/// `cargo test -p phasebound --test it -- --ignored regenerate_fixtures`.
#[test]
#[ignore = "writes into fixtures/; run on purpose"]
fn regenerate_fixtures() -> TestResult {
    synth::write_fixtures(&fixtures_dir())?;
    Ok(())
}
