//! The whole run: inputs → cache → Phases 1–4 and the final re-analysis per profile →
//! atomic outputs. Scalping then swing; with two or more threads the two profiles run
//! side by side, each with its own workspace and its own reader of the cache, and the
//! results are assembled in a fixed order, so the outputs never depend on the thread count.

use crate::config::Config;
use crate::data::{self, CachedSeries};
use crate::error::AppError;
use crate::progress::Progress;
use crate::report::{self, ProfileOutcome};
use crate::source::CacheSource;
use crate::workspace::{HostWorkspace, LaneShape, new_workspace};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use phasebound_core::phase::{self, BarSource, TimeRange};
use phasebound_core::plan::CellDef;
use phasebound_core::signal::Profile;
use phasebound_core::stats;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Stack of each worker thread: a default workspace is built on it before boxing.
const WORKER_STACK: usize = crate::memory::WORKER_STACK_BYTES;

/// Everything `phasebound run` needs, validated.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Input files or folders; empty = the embedded synthetic market.
    pub data: Vec<PathBuf>,
    /// Symbol override (single file).
    pub symbol: Option<String>,
    /// Timeframe filter/override in minutes.
    pub timeframe: Option<u32>,
    /// `--timerange`: the bars used.
    pub timerange: data::TimeRange,
    /// `--strict`, `--max-jump`: bars off the grid or implausible.
    pub policy: data::BarPolicy,
    /// Output folder.
    pub out: PathBuf,
    /// Cache folder.
    pub cache: PathBuf,
    /// The configuration.
    pub config: Config,
    /// `--previous params.json`.
    pub previous: Option<PathBuf>,
    /// Worker threads (>= 1).
    pub threads: usize,
    /// `--max-memory`: refuse to start when the estimate exceeds it.
    pub max_memory: Option<u64>,
    /// Show progress bars (on a terminal).
    pub progress: bool,
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// report.json as written.
    pub report: Value,
    /// params.json as written.
    pub params: Value,
    /// The human summary.
    pub summary: String,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// The lanes of each profile's workspace: one per symbol, as deep as the profile's
/// longest window or the incumbent's hold, whichever is longer. Known before any bar is
/// read; what `run` allocates and checks against `--max-memory`.
#[must_use]
pub fn lane_shapes(
    profiles: &[phase::ProfileConfig; 2],
    incumbents: &[Option<CellDef>; 2],
    symbols: usize,
) -> [LaneShape; 2] {
    [0, 1].map(|i| {
        let incumbent = incumbents[i].map_or(0, |c| c.exit.hold);
        LaneShape::signals(symbols, profiles[i].longest_window().max(incumbent))
    })
}

/// [`lane_shapes`] of `cfg` at `tf` minutes without incumbents.
///
/// # Errors
/// A profile that does not fit `tf` (see [`Config::profile`]).
pub fn config_lane_shapes(
    cfg: &Config,
    tf: u32,
    symbols: usize,
) -> Result<[LaneShape; 2], AppError> {
    let profiles = [
        cfg.profile(Profile::Scalping, tf)?,
        cfg.profile(Profile::Swing, tf)?,
    ];
    Ok(lane_shapes(&profiles, &[None, None], symbols))
}

/// Runs every phase and writes the outputs atomically.
///
/// Holds the output folder's lock for the whole run and first finishes a commit that a
/// killed run left half done (see [`crate::output`]).
///
/// # Errors
/// Any [`AppError`]; the output folder is then unchanged.
pub fn run(opts: &RunOptions) -> Result<RunOutcome, AppError> {
    run_announced(opts, |_, _| Ok(()))
}

/// [`run`], calling `announce(report, summary)` once everything is computed but before
/// the outputs are committed: the CLI prints there, so a run whose stdout fails (a full
/// device, a closed pipe) stops with the outputs of the previous run untouched.
///
/// # Errors
/// Any [`AppError`], including `announce`'s; the output folder is then unchanged.
pub fn run_announced(
    opts: &RunOptions,
    announce: impl FnOnce(&Value, &str) -> Result<(), AppError>,
) -> Result<RunOutcome, AppError> {
    let started = std::time::Instant::now();
    let lock = crate::resources::lock_output(&opts.out)?;
    let embedded = opts.data.is_empty();
    let (specs, tf) = crate::source::discover_series(
        &opts.data,
        opts.symbol.as_deref(),
        opts.timeframe,
        opts.timerange,
        opts.policy,
        &opts.cache,
    )?;
    let cfg = &opts.config;
    let profiles = [
        cfg.profile(Profile::Scalping, tf)?,
        cfg.profile(Profile::Swing, tf)?,
    ];
    // The incumbent: `--previous`, else the params.json already in the output folder.
    // Checked before any pass, so a bad `--previous` fails fast and is named; an
    // unreadable params.json of our own only costs the incumbent (a note says so).
    let mut previous: [Option<CellDef>; 2] = [None, None];
    let mut notes: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let own = opts.out.join("params.json");
    let incumbent_file = match &opts.previous {
        Some(path) => Some((path.clone(), read_previous(path)?)),
        None if own.is_file() => match read_previous(&own) {
            Ok(v) => Some((own.clone(), v)),
            Err(e) => {
                for n in &mut notes {
                    n.push(format!("no incumbent: {e}"));
                }
                None
            }
        },
        None => None,
    };
    if let Some((path, v)) = &incumbent_file {
        for ((slot, note), p) in previous.iter_mut().zip(&mut notes).zip(Profile::ALL) {
            let groups = cfg.group_names(p);
            let key = format!("{}_params", p.name());
            match report::previous_cell(v, &key, &groups, tf) {
                Ok((cell, n)) => {
                    *slot = cell;
                    note.extend(n);
                }
                Err(problem) if opts.previous.is_some() => {
                    return Err(AppError::Previous {
                        path: path.clone(),
                        problem,
                    });
                }
                Err(problem) => {
                    note.push(format!("no incumbent from {}: {problem}", path.display()))
                }
            }
        }
    }
    let workers = opts.threads.clamp(1, Profile::ALL.len());
    // Each profile's lanes: one per symbol, as deep as its longest window (incumbent
    // included); known, and checked against the limits, before any bar is read.
    let lanes = lane_shapes(&profiles, &previous, specs.len());
    crate::resources::check_memory(&crate::memory::run_need(workers, &lanes), opts.max_memory)?;
    let cache_use =
        data::CacheGuard::begin(&opts.cache).map_err(|e| AppError::io(&opts.cache, e))?;
    let mut series: Vec<CachedSeries> = Vec::new();
    for spec in &specs {
        series.push(data::build_cache(spec, &opts.cache)?);
    }
    let incumbent_origin = incumbent_file
        .as_ref()
        .map(|(p, _)| p.display().to_string())
        .unwrap_or_default();

    let symbol_names: Vec<String> = series.iter().map(|s| s.symbol.clone()).collect();
    // Each profile streams its trades to a part file; trades.csv joins them in profile
    // order, so its bytes do not depend on the thread count.
    let parts = crate::trades::Parts::new(&opts.out, &Profile::ALL.map(|p| p.name()));
    // A write in the output folder that fails because the folder went away says so.
    let out_io = |path: &Path, e: std::io::Error| match lock.verify() {
        Err(gone) => AppError::io(&opts.out, gone),
        Ok(()) => AppError::io(path, e),
    };
    // A spinner on a terminal, log lines elsewhere (see `progress`).
    let log_lines = opts.progress && !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let multi = MultiProgress::with_draw_target(if opts.progress && !log_lines {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let run_one =
        |p: Profile, idx: usize, ws: &mut HostWorkspace| -> Result<ProfileOutcome, AppError> {
            let bar = if log_lines {
                Progress::lines(started, p.name())
            } else if opts.progress {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:>8} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(p.name());
                // The ticker is a thread: none when nothing is drawn (--quiet, --json), which
                // also keeps a thread spawn (a panic inside indicatif if it fails) out of quiet runs.
                bar.enable_steady_tick(Duration::from_millis(200));
                Progress::spinner(bar)
            } else {
                Progress::hidden()
            };
            let mut source = CacheSource::new(&series, tf)?;
            let part = &parts.paths[idx];
            let mut trades =
                std::io::BufWriter::new(std::fs::File::create(part).map_err(|e| out_io(part, e))?);
            let r = run_profile(
                p,
                idx,
                &profiles[idx],
                ws,
                cfg,
                &mut source,
                previous[idx]
                    .as_ref()
                    .map(|c| (c, incumbent_origin.as_str())),
                notes[idx].clone(),
                &symbol_names,
                &bar,
                &mut trades,
            );
            bar.finish();
            let r = r.and_then(|o| {
                std::io::Write::flush(&mut trades).map_err(|e| out_io(part, e))?;
                Ok(o)
            });
            r.map_err(|e| source.take_error().map_or(e, |io| io))
        };
    let outcomes: Vec<ProfileOutcome> = if workers >= 2 {
        std::thread::scope(|s| {
            let handles: Vec<_> = Profile::ALL
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    std::thread::Builder::new()
                        .stack_size(WORKER_STACK)
                        .spawn_scoped(s, move || run_one(p, i, &mut new_workspace(lanes[i])))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h
                        .join()
                        .unwrap_or_else(|_| Err(AppError::Internal("worker panicked".into()))),
                    Err(e) => Err(AppError::Internal(format!("cannot start worker: {e}"))),
                })
                .collect::<Result<Vec<_>, _>>()
        })?
    } else {
        std::thread::scope(|s| {
            let h = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(s, || {
                    // One workspace for both profiles: one allocation, reused.
                    let mut ws = new_workspace(LaneShape::covering(&lanes));
                    Profile::ALL
                        .iter()
                        .enumerate()
                        .map(|(i, &p)| run_one(p, i, &mut ws))
                        .collect::<Result<Vec<_>, _>>()
                });
            match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(AppError::Internal("worker panicked".into()))),
                Err(e) => Err(AppError::Internal(format!("cannot start worker: {e}"))),
            }
        })?
    };

    let symbols: Vec<String> = series.iter().map(|s| s.symbol.clone()).collect();
    let mut report = build_report(opts, cfg, &series, &outcomes, tf, embedded, &lanes);
    let params = build_params(cfg, &outcomes, tf, &symbols);
    // The report and run.json name the params.json they belong to, so a reader can
    // tell a consistent set from a mix; params.json itself stays what the bot reads.
    let params_bytes = to_bytes(&params);
    let params_sha256 = sha256_hex(&params_bytes);
    report["run"]["params_sha256"] = json!(params_sha256);
    let mut summary = report::loaded(&series, tf, opts.timerange, embedded, &outcomes);
    // Say why a short file cannot trade rather than leave an unexplained zero.
    let warmup = report::warmup_bars(tf);
    for s in series.iter().filter(|s| s.bars < u64::from(warmup)) {
        summary.push_str(&format!(
            "Note: {} has {} bars, fewer than the {warmup}-bar indicator warm-up at {} \
             (the 4 h trend EMA): it yields no signals.\n",
            s.symbol,
            s.bars,
            data::timeframe_label(tf)
        ));
    }
    for w in coverage_warnings(&series, &outcomes) {
        summary.push_str(&format!("Warning: {w}\n"));
    }
    for o in &outcomes {
        summary.push_str(&report::summary(o, tf, cfg.seed));
    }
    let run_info = json!({
        "note": "machine-dependent facts of this run (not part of the deterministic report)",
        "params_sha256": params_sha256,
        "wall_seconds": report::num(started.elapsed().as_secs_f64()),
        "peak_rss_bytes": crate::memory::peak_rss_bytes(),
        // One workspace per worker: each profile's own with two, one covering both with one.
        "workspace_bytes_each": if workers >= 2 {
            lanes.map(crate::workspace::workspace_bytes).to_vec()
        } else {
            vec![crate::workspace::workspace_bytes(LaneShape::covering(&lanes))]
        },
        "threads": opts.threads,
        "workers": workers,
    });
    // The folder locked at the start must still be there: one deleted (or replaced)
    // during the run is an I/O error, not silently recreated.
    lock.verify().map_err(|e| AppError::io(&opts.out, e))?;
    announce(&report, &summary)?;
    let trades_csv = opts.out.join("trades.csv");
    parts
        .join(&crate::output::temp_path(&trades_csv))
        .map_err(|e| out_io(&trades_csv, e))?;
    let files = vec![
        (opts.out.join("report.json"), to_bytes(&report)),
        (opts.out.join("params.json"), params_bytes),
        (opts.out.join("run.json"), to_bytes(&run_info)),
        (
            opts.out.join("report.html"),
            report::html_page(&report, &outcomes, tf).into_bytes(),
        ),
    ];
    crate::output::write_all_atomic_with(&files, std::slice::from_ref(&trades_csv))
        .map_err(|e| AppError::io(&opts.out, e))?;
    cache_use.finish(&series);
    let mut written: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    written.push(trades_csv);
    Ok(RunOutcome {
        report,
        params,
        summary,
        written,
    })
}

fn to_bytes(v: &Value) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// Lower-case hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_previous(path: &Path) -> Result<Value, AppError> {
    let text =
        crate::input::read_small_text(path, crate::input::MAX_SMALL_FILE_BYTES).map_err(|e| {
            AppError::Previous {
                path: path.into(),
                problem: e.to_string(),
            }
        })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| AppError::Previous {
        path: path.into(),
        problem: format!("line {}: {}", e.line(), e),
    })?;
    if v.get("scalping_params").is_none() && v.get("swing_params").is_none() {
        return Err(AppError::Previous {
            path: path.into(),
            problem: "has neither scalping_params nor swing_params".into(),
        });
    }
    Ok(v)
}

/// Runs the walk-forward validation of the nightly procedure, tonight's fit on all data,
/// the incumbent and fallback on the same folds, the decision and the final
/// re-analysis, for one profile.
#[allow(clippy::too_many_arguments)]
fn run_profile(
    p: Profile,
    idx: usize,
    pc: &phase::ProfileConfig,
    ws: &mut HostWorkspace,
    cfg: &Config,
    source: &mut CacheSource,
    incumbent: Option<(&CellDef, &str)>,
    mut notes: Vec<String>,
    symbols: &[String],
    bar: &Progress,
    trades: &mut impl std::io::Write,
) -> Result<ProfileOutcome, AppError> {
    use crate::procedure::{self as proc, FINAL_FIT_STREAM};
    let core = AppError::core;
    let span = BarSource::span(source);
    let all = TimeRange::all(span);
    let search = cfg.search_config()?;
    let groups = cfg.group_names(p);
    let tf = source.timeframe_minutes();

    // Phase 4 first: the procedure on every fold, so the decision knows its evidence.
    let purge_ms = proc::purge_ms(pc, tf);
    let (folds, folds_asked) = proc::folds(span, cfg, purge_ms);
    if folds.len() < folds_asked as usize {
        notes.push(format!(
            "the data are too short for {folds_asked} walk-forward folds of a day or more after the initial training span: {} used",
            folds.len()
        ));
    }
    let fold_outcomes = proc::walk_forward(&mut *ws, source, pc, cfg, &search, idx, &folds, bar)?;

    // Tonight's fit on all data: what would ship.
    let fit = proc::fit(
        &mut *ws,
        source,
        pc,
        cfg,
        &search,
        all,
        proc::sample_stream(idx, FINAL_FIT_STREAM),
        bar,
        "final fit",
    )?;
    let validation = proc::judge_procedure(&fold_outcomes, cfg, &fit.cell, &fit.stats);
    let is = &fit.stats;
    let sr0 = stats::expected_max_sharpe(fit.trials.cells, fit.trials.sharpe_variance());
    let deflated_sharpe = stats::deflated_sharpe(
        stats::daily_sharpe(is),
        sr0,
        is.days,
        stats::daily_skewness(is),
        stats::daily_kurtosis(is),
    );

    bar.set_message("Phase 4: incumbent and fallback on the folds");
    let mut judge = |cell: &CellDef, origin: &str| -> Result<report::Judged, AppError> {
        let (all_data, _, _) = proc::trade(&mut *ws, source, pc, cell, all)?;
        let v = proc::judge_fixed(&mut *ws, source, pc, cfg, cell, &all_data, &folds)?;
        Ok(report::Judged {
            origin: origin.to_string(),
            validation: v,
        })
    };
    let incumbent = incumbent.map(|(c, origin)| judge(c, origin)).transpose()?;
    let fallback = pc.fallback.map(|c| judge(&c, "config")).transpose()?;
    let decision = crate::decision::decide(
        &validation,
        incumbent.as_ref().map(|j| &j.validation),
        fallback.as_ref().map(|j| &j.validation),
        cfg.validation.incumbent_margin,
    );

    bar.set_message("Final: full re-analysis");
    let shown = decision.cell.unwrap_or(fit.cell);
    let inc_cell = incumbent.as_ref().map(|j| j.validation.cell);
    let reanalysis =
        phase::reanalyse(&mut *ws, source, pc, &shown, inc_cell.as_ref(), all).map_err(core)?;
    bar.set_message("Trades: the walk-forward folds and the parameters shown");
    let fold_cells: Vec<(TimeRange, CellDef)> = fold_outcomes
        .iter()
        .map(|f| (f.fold.test, f.cell))
        .collect();
    let shown_params = match decision.cell {
        Some(_) => decision.source.name(),
        None => "new (not shipped)",
    };
    let traced = crate::trades::Traced {
        profile: p.name(),
        symbols,
        folds: &fold_cells,
        shown: (&shown, shown_params),
        all,
    };
    let curves = crate::trades::record(&mut *ws, source, pc, &traced, trades)?;
    Ok(ProfileOutcome {
        profile: p,
        groups,
        symbols: symbols.to_vec(),
        // Tonight's fit spans all data: its Phase 1 scan is the all-data scan.
        scan: fit.scan.clone(),
        scan_per_symbol: fit.scan_per_symbol,
        scan_in_sample: fit.scan,
        screen: fit.screen,
        screening: fit.screening,
        optimize: fit.optimize,
        dense_seeded: cfg.search.dense_seed,
        dense: fit.dense,
        sample: fit.sample,
        sample_head: fit.sample_head,
        folds: fold_outcomes,
        folds_asked,
        purge_ms,
        validation,
        trials: fit.trials,
        sr0,
        deflated_sharpe,
        incumbent,
        fallback,
        decision,
        new_cell: fit.cell,
        reanalysis,
        curves,
        landscape: fit.landscape,
        notes,
        spec: pc.spec.clone(),
    })
}

/// The walk-forward periods every symbol takes part in. Folds are cut on the span of all
/// symbols together (the rule: one calendar for the whole portfolio); a symbol whose data
/// start later or end earlier takes part in the periods its data cover, and no more.
/// Each period's share is the part of it between the symbol's first bar's open and its
/// last bar's close.
fn coverage(series: &[CachedSeries], outcomes: &[ProfileOutcome]) -> Vec<(String, Vec<f64>)> {
    let Some(o) = outcomes.first() else {
        return Vec::new();
    };
    let (Some(first), Some(last)) = (
        series.iter().map(|s| s.first_time).min(),
        series.iter().map(|s| s.last_time.saturating_add(1)).max(),
    ) else {
        return Vec::new();
    };
    let mut periods = vec![(first, o.folds.first().map_or(last, |f| f.fold.test.from))];
    periods.extend(o.folds.iter().map(|f| (f.fold.test.from, f.fold.test.to)));
    series
        .iter()
        .map(|s| {
            // A symbol covers from its first bar's open to its last bar's close.
            let close = i64::from(s.timeframe_minutes) * 60_000;
            let (a, b) = (s.first_time, s.last_time.saturating_add(close));
            let shares = periods
                .iter()
                .map(|&(from, to)| {
                    let inside = (b.min(to) - a.max(from)).max(0);
                    if to > from {
                        inside as f64 / (to - from) as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            (s.symbol.clone(), shares)
        })
        .collect()
}

fn coverage_json(series: &[CachedSeries], outcomes: &[ProfileOutcome]) -> Value {
    let rows: Vec<Value> = coverage(series, outcomes)
        .into_iter()
        .map(|(symbol, shares)| {
            json!({
                "symbol": symbol,
                "initial_training": report::num(shares[0]),
                "folds": shares[1..].iter().map(|x| report::num(*x)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "rule": "folds are cut on the span of all symbols together; each symbol takes part in the periods its data cover (shares of each period between its first and last bar)",
        "symbols": rows,
    })
}

/// Symbols that miss most of the initial training span but trade in the folds: their
/// out-of-sample trades come from parameters fitted mostly without them.
fn coverage_warnings(series: &[CachedSeries], outcomes: &[ProfileOutcome]) -> Vec<String> {
    coverage(series, outcomes)
        .into_iter()
        .filter(|(_, s)| s[0] < 0.5 && s[1..].iter().any(|x| *x > 0.0))
        .map(|(symbol, s)| {
            format!(
                "{symbol} covers {:.0} % of the initial training span but takes part in the folds: \
                 its out-of-sample trades use parameters fitted mostly on the other symbols",
                s[0] * 100.0
            )
        })
        .collect()
}

fn build_report(
    opts: &RunOptions,
    cfg: &Config,
    series: &[CachedSeries],
    outcomes: &[ProfileOutcome],
    tf: u32,
    embedded: bool,
    lanes: &[LaneShape; 2],
) -> Value {
    let symbols: Vec<String> = series.iter().map(|s| s.symbol.clone()).collect();
    let inputs: Vec<Value> = series
        .iter()
        .map(|s| {
            json!({
                "symbol": s.symbol,
                "timeframe": data::timeframe_label(s.timeframe_minutes),
                "files": s.input_sha256.iter().zip(&s.files).map(|((p, h), f)| json!({
                    "file": p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    "sha256": h,
                    "bars": f.bars,
                    "off_grid_skipped": f.off_grid,
                    "implausible_skipped": f.implausible,
                    "time_unit": f.unit.map(|u| format!("{u} (told from the magnitude of the timestamps)")),
                })).collect::<Vec<_>>(),
                "bars": s.bars,
                "off_grid_skipped": s.files.iter().map(|f| f.off_grid).sum::<u64>(),
                "implausible_skipped": s.files.iter().map(|f| f.implausible).sum::<u64>(),
                "first_open_time": data::format_utc(s.first_time),
                "last_open_time": data::format_utc(s.last_time),
                "gaps": s.gaps,
                "largest_gap": data::format_duration(s.largest_gap_ms),
            })
        })
        .collect();
    let by = |f: &dyn Fn(&ProfileOutcome) -> Value| -> Value {
        let mut m = serde_json::Map::new();
        for o in outcomes {
            m.insert(o.profile.name().into(), f(o));
        }
        Value::Object(m)
    };
    let phase1 = by(&|o| report::phase1_json(o, &symbols, tf));
    let phase2 = by(&|o| report::phase2_json(o, tf));
    let phase3 = by(&|o| report::phase3_json(o, cfg.seed, tf));
    let phase4 = by(&|o| report::phase4_json(o, cfg, &symbols, tf));
    let fin = by(&|o| report::final_json(o, tf));
    json!({
        "schema": report::REPORT_SCHEMA,
        "run": {
            "version": env!("CARGO_PKG_VERSION"),
            "seed": cfg.seed,
            "params_sha256": Value::Null,
            "data": if embedded { "embedded synthetic market (fixtures/)" } else { "user files" },
            "timeframe": data::timeframe_label(tf),
            "timerange": opts.timerange.label(),
            "bar_policy": {
                "strict": opts.policy.strict,
                "max_jump": opts.policy.max_jump,
                "rule": "bars off the timeframe's UTC grid, and bars whose high or low lies more than max_jump times from the previous close, are skipped and counted per file (strict: an error)",
            },
            "inputs": inputs,
            "coverage": coverage_json(series, outcomes),
            "config": serde_json::to_value(cfg).unwrap_or(Value::Null),
            "memory_budget": crate::memory::budget_json(&Profile::ALL.map(|p| p.name()), lanes),
        },
        "phase1": phase1,
        "phase2": phase2,
        "phase3": phase3,
        "phase4": phase4,
        "final": fin,
    })
}

fn build_params(cfg: &Config, outcomes: &[ProfileOutcome], tf: u32, symbols: &[String]) -> Value {
    let mut v = json!({
        "schema": report::PARAMS_SCHEMA,
        "generated_by": concat!("phasebound ", env!("CARGO_PKG_VERSION")),
        "timeframe": data::timeframe_label(tf),
        "symbols": symbols,
        "seed": cfg.seed,
    });
    for o in outcomes {
        v[format!("{}_params", o.profile.name())] = report::params_entry(o, tf);
    }
    v
}
