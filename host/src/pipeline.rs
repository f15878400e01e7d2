//! The whole run: inputs → cache → Phases 1–4 and the final re-analysis per profile →
//! atomic outputs. Scalping then swing; with two or more threads the two profiles run
//! side by side, each with its own workspace and its own reader of the cache, and the
//! results are assembled in a fixed order, so the outputs never depend on the thread count.

use crate::config::Config;
use crate::data::{self, CachedSeries};
use crate::error::AppError;
use crate::report::{self, ProfileOutcome};
use crate::source::CacheSource;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use phasebound_core::budget::{DefaultWorkspace, MAX_SAMPLE};
use phasebound_core::phase::{self, BarSource, TimeRange};
use phasebound_core::plan::CellDef;
use phasebound_core::sampling;
use phasebound_core::signal::Profile;
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

/// Runs every phase and writes the outputs atomically.
///
/// Holds the output folder's lock for the whole run and first finishes a commit that a
/// killed run left half done (see [`crate::output`]).
///
/// # Errors
/// Any [`AppError`]; the output folder is then unchanged.
pub fn run(opts: &RunOptions) -> Result<RunOutcome, AppError> {
    let started = std::time::Instant::now();
    let _lock = crate::output::lock(&opts.out)
        .map_err(|e| AppError::io(opts.out.join(crate::output::LOCK_FILE), e))?;
    crate::output::recover(&opts.out).map_err(|e| AppError::io(&opts.out, e))?;
    let embedded = opts.data.is_empty();
    let (specs, tf) = crate::source::discover_series(
        &opts.data,
        opts.symbol.as_deref(),
        opts.timeframe,
        opts.timerange,
        &opts.cache,
    )?;
    let workers = opts.threads.clamp(1, Profile::ALL.len());
    let estimate = crate::memory::estimate_bytes(workers, specs.len());
    if let Some(limit) = opts.max_memory
        && estimate > limit
    {
        return Err(AppError::Capacity(format!(
            "this run needs about {} MiB ({workers} workspace(s) of {} bytes, I/O buffers for {} symbols, runtime) \
             but --max-memory is {} MiB; use fewer --threads or symbols",
            estimate >> 20,
            crate::memory::workspace_bytes(),
            specs.len(),
            limit >> 20
        )));
    }
    // A hard address-space limit below the bound would end in an allocation abort
    // mid-run; say so now instead.
    let needed = crate::memory::address_space_bytes(workers, specs.len());
    if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::As).current
        && limit < needed
    {
        return Err(AppError::Capacity(format!(
            "the address-space limit (ulimit -v / prlimit --as) is {} MiB, below the {} MiB this run \
             reserves ({workers} worker(s) with a {} MiB stack each, workspaces, I/O buffers); \
             raise the limit or use fewer --threads",
            limit >> 20,
            needed >> 20,
            crate::memory::WORKER_STACK_BYTES >> 20
        )));
    }
    std::fs::create_dir_all(&opts.cache).map_err(|e| AppError::io(&opts.cache, e))?;
    let mut series: Vec<CachedSeries> = Vec::new();
    for spec in &specs {
        series.push(data::build_cache(spec, &opts.cache)?);
    }
    let cfg = &opts.config;
    let profiles = [
        cfg.profile(Profile::Scalping, tf)?,
        cfg.profile(Profile::Swing, tf)?,
    ];
    // Checked before any pass, so a bad file fails fast and is named.
    let mut previous: [Option<CellDef>; 2] = [None, None];
    if let Some(path) = &opts.previous {
        let v = read_previous(path)?;
        for (slot, p) in previous.iter_mut().zip(Profile::ALL) {
            let groups = cfg.group_names(p);
            *slot = report::previous_cell(&v, &format!("{}_params", p.name()), &groups, tf)
                .map_err(|problem| AppError::Previous {
                    path: path.clone(),
                    problem,
                })?;
        }
    }

    let multi = MultiProgress::with_draw_target(if opts.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let run_one = |p: Profile, idx: usize| -> Result<ProfileOutcome, AppError> {
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>8} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(p.name());
        if opts.progress {
            // The ticker is a thread: none when nothing is drawn (--quiet, --json), which also
            // keeps a thread spawn (a panic inside indicatif if it fails) out of quiet runs.
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        let mut source = CacheSource::new(&series, tf)?;
        let r = run_profile(
            p,
            idx,
            &profiles[idx],
            cfg,
            &mut source,
            previous[idx].as_ref(),
            &bar,
        );
        bar.finish_and_clear();
        r.map_err(|e| source.take_error().map_or(e, |io| io))
    };
    let outcomes: Vec<ProfileOutcome> = if opts.threads >= 2 {
        std::thread::scope(|s| {
            let handles: Vec<_> = Profile::ALL
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    std::thread::Builder::new()
                        .stack_size(WORKER_STACK)
                        .spawn_scoped(s, move || run_one(p, i))
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
                    Profile::ALL
                        .iter()
                        .enumerate()
                        .map(|(i, &p)| run_one(p, i))
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
    let mut report = build_report(opts, cfg, &series, &outcomes, tf, embedded);
    let params = build_params(cfg, &outcomes, tf, &symbols);
    // The report and run.json name the params.json they belong to, so a reader can
    // tell a consistent set from a mix; params.json itself stays what the bot reads.
    let params_bytes = to_bytes(&params);
    let params_sha256 = sha256_hex(&params_bytes);
    report["run"]["params_sha256"] = json!(params_sha256);
    let mut summary = String::new();
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
    for o in &outcomes {
        summary.push_str(&report::summary(o, tf, cfg.seed));
    }
    let run_info = json!({
        "note": "machine-dependent facts of this run (not part of the deterministic report)",
        "params_sha256": params_sha256,
        "wall_seconds": report::num(started.elapsed().as_secs_f64()),
        "peak_rss_bytes": crate::memory::peak_rss_bytes(),
        "workspace_bytes_each": crate::memory::workspace_bytes(),
        "threads": opts.threads,
    });
    std::fs::create_dir_all(&opts.out).map_err(|e| AppError::io(&opts.out, e))?;
    let files = vec![
        (opts.out.join("report.json"), to_bytes(&report)),
        (opts.out.join("params.json"), params_bytes),
        (opts.out.join("run.json"), to_bytes(&run_info)),
    ];
    crate::output::write_all_atomic(&files).map_err(|e| AppError::io(&opts.out, e))?;
    Ok(RunOutcome {
        report,
        params,
        summary,
        written: files.into_iter().map(|(p, _)| p).collect(),
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
    let text = std::fs::read_to_string(path).map_err(|e| AppError::Previous {
        path: path.into(),
        problem: e.to_string(),
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

/// Runs Phases 1–4 and the re-analysis for one profile.
#[allow(clippy::too_many_arguments)]
fn run_profile(
    p: Profile,
    idx: usize,
    pc: &phase::ProfileConfig,
    cfg: &Config,
    source: &mut CacheSource,
    prev_cell: Option<&CellDef>,
    bar: &ProgressBar,
) -> Result<ProfileOutcome, AppError> {
    let core = AppError::core;
    let mut ws: Box<DefaultWorkspace> = Box::new(DefaultWorkspace::new());
    let span = BarSource::span(source);
    let all = TimeRange::all(span);
    let (is, oos) = TimeRange::split(span, cfg.in_sample_fraction).map_err(core)?;
    let search = cfg.search_config()?;
    let groups = cfg.group_names(p);

    bar.set_message("Phase 1: opportunity scan");
    let scan = phase::scan(&mut *ws, source, pc, all).map_err(core)?;
    let scan_in_sample = phase::scan(&mut *ws, source, pc, is).map_err(core)?;

    bar.set_message("Phase 2: signal screening");
    let screen = phase::screen(&mut *ws, source, pc, &search, is).map_err(core)?;

    let n = scan_in_sample.totals.candidates;
    let mut sample_buf: heapless::Vec<u32, MAX_SAMPLE> = heapless::Vec::new();
    let sample = if cfg.sample > 0 && cfg.sample < n {
        let mut rng = sampling::stream(cfg.seed, 3, idx as u32);
        sampling::sample_without_replacement(&mut rng, n, cfg.sample, &mut sample_buf)
            .map_err(core)?;
        Some(cfg.sample)
    } else {
        None
    };
    bar.set_message("Phase 3: multi-start exit optimization");
    let mut starts = screen.starts(usize::from(search.starts)).to_vec();
    if cfg.search.dense_seed {
        for (i, st) in starts.iter_mut().enumerate() {
            bar.set_message(format!("Phase 3: dense grid seed for start {}", i + 1));
            let s = sample.map(|_| sample_buf.as_slice());
            let d =
                phase::dense_check(&mut *ws, source, pc, &search, &st.cell, is, s).map_err(core)?;
            st.cell = d.best;
        }
    }
    let optimize = phase::optimize(
        &mut *ws,
        source,
        pc,
        &search,
        &starts,
        is,
        sample.map(|_| sample_buf.as_slice()),
    )
    .map_err(core)?;
    let chosen = optimize
        .chosen()
        .ok_or_else(|| AppError::Internal("Phase 3 returned no start".into()))?;
    let chosen_cell = chosen.best;
    let chosen_is = chosen.full.unwrap_or(chosen.stats);
    let dense = if cfg.search.dense_check {
        bar.set_message("Phase 3: dense check of the exit grid");
        let s = sample.map(|_| sample_buf.as_slice());
        Some(phase::dense_check(&mut *ws, source, pc, &search, &chosen_cell, is, s).map_err(core)?)
    } else {
        None
    };

    bar.set_message("Phase 4: out-of-sample validation");
    let vcfg = cfg.validation_config();
    let validation = phase::validate(&mut *ws, source, pc, &vcfg, &chosen_cell, &chosen_is, oos)
        .map_err(core)?;
    let walk_forward = walk_forward(&mut ws, source, pc, cfg, span, is, bar)?;
    let fallback_used = report::needs_fallback(validation.verdict);
    let final_cell: CellDef = if fallback_used {
        pc.fallback
    } else {
        chosen_cell
    };

    bar.set_message("Final: full re-analysis");
    let reanalysis =
        phase::reanalyse(&mut *ws, source, pc, &final_cell, prev_cell, all).map_err(core)?;
    Ok(ProfileOutcome {
        profile: p,
        groups,
        scan,
        scan_in_sample,
        screen,
        optimize,
        dense_seeded: cfg.search.dense_seed,
        dense,
        sample,
        validation,
        walk_forward,
        final_cell,
        fallback_used,
        reanalysis,
        previous: prev_cell.copied(),
        spec: pc.spec.clone(),
    })
}

/// Rolling walk-forward over the out-of-sample part: for fold k the search runs on all
/// data before the fold and is validated on the fold.
fn walk_forward(
    ws: &mut Box<DefaultWorkspace>,
    source: &mut CacheSource,
    pc: &phase::ProfileConfig,
    cfg: &Config,
    span: (i64, i64),
    is: TimeRange,
    bar: &ProgressBar,
) -> Result<Vec<phase::Validation>, AppError> {
    let folds = cfg.validation.walk_forward_folds;
    let core = AppError::core;
    let mut out = Vec::new();
    if folds == 0 {
        return Ok(out);
    }
    let search = cfg.search_config()?;
    let end = span.1.saturating_add(1);
    let step = (end - is.to) / i64::from(folds);
    for k in 0..i64::from(folds) {
        bar.set_message(format!("Phase 4: walk-forward fold {}/{folds}", k + 1));
        let fold = TimeRange {
            from: is.to + k * step,
            to: if k + 1 == i64::from(folds) {
                end
            } else {
                is.to + (k + 1) * step
            },
        };
        let train = TimeRange {
            from: span.0,
            to: fold.from,
        };
        let screen = phase::screen(&mut **ws, source, pc, &search, train).map_err(core)?;
        let opt = phase::optimize(
            &mut **ws,
            source,
            pc,
            &search,
            screen.starts(usize::from(search.starts)),
            train,
            None,
        )
        .map_err(core)?;
        let Some(best) = opt.chosen() else { continue };
        let v = phase::validate(
            &mut **ws,
            source,
            pc,
            &cfg.validation_config(),
            &best.best,
            &best.stats,
            fold,
        )
        .map_err(core)?;
        out.push(v);
    }
    Ok(out)
}

fn build_report(
    opts: &RunOptions,
    cfg: &Config,
    series: &[CachedSeries],
    outcomes: &[ProfileOutcome],
    tf: u32,
    embedded: bool,
) -> Value {
    let symbols: Vec<String> = series.iter().map(|s| s.symbol.clone()).collect();
    let inputs: Vec<Value> = series
        .iter()
        .map(|s| {
            json!({
                "symbol": s.symbol,
                "timeframe": data::timeframe_label(s.timeframe_minutes),
                "files": s.input_sha256.iter().map(|(p, h)| json!({"file": p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), "sha256": h})).collect::<Vec<_>>(),
                "bars": s.bars,
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
    let phase4 = by(&|o| report::phase4_json(o, cfg, tf));
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
            "inputs": inputs,
            "config": serde_json::to_value(cfg).unwrap_or(Value::Null),
            "memory_budget": {
                "workspace_bytes": crate::memory::workspace_bytes(),
                "workspaces": 1,
                "table": crate::memory::budget_table(),
                "note": "core working memory is fixed at compile time; measured peak RSS is in run.json",
            },
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
