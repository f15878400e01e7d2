//! An exit grid over several machines: `phasebound exits --shard K/N` evaluates the grid
//! cells `i` with `i mod N = K − 1` and writes them to `exits.shard.json`;
//! `phasebound merge --out DIR SHARD…` joins the N shards into the `exits.csv` and
//! `exits.html` a single run would have written, byte for byte.
//!
//! Why the bytes agree: a cell's account depends only on its own parameters and the data
//! (not on the other cells of its pass), so a shard computes exactly the statistics the
//! single run computes for its cells; the merge ranks all cells with the same objective
//! and tie rule, and draws the curves of the best cells, each traced by the shard that
//! owns it (a shard traces its own [`TOP_CURVES`] best, and the grid's best few are among
//! their shards' best few). Statistics and curves travel as postcard bytes in hex, so
//! every `f64` arrives with all its bits.
//!
//! A shard file names its job by a SHA-256 over everything that decides the results (grid,
//! account and costs, objective, timeframe, the series' spans, the entries file's bytes
//! and counts); the merge refuses shards of different jobs, a missing or repeated shard,
//! and files it cannot read, naming the file (exit 2).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use phasebound_core::ExitParams;
use phasebound_core::stats::{CellStats, Objective};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::curves::{TOP_CURVES, TopCurve};
use super::entries::EntryCounts;
use super::grid::ExitGrid;
use super::passes::Job;
use super::results::{CellResult, rank, write_grid_files};
use crate::error::AppError;
use crate::trades::Curve;

/// The shard file in a shard's output folder.
pub const SHARD_NAME: &str = "exits.shard.json";

/// Format tag of the shard file (refused when it differs).
pub const SHARD_FORMAT: &str = "phasebound-exits-shard/1";

/// Which part of the grid a run evaluates: cells `i` with `i mod n = k − 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub k: u32,
    /// Number of shards.
    pub n: u32,
}

impl Shard {
    /// Parses `K/N` with `1 <= K <= N`.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard '{s}': expected K/N with 1 <= K <= N, e.g. 2/8");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Self { k, n })
    }

    /// Whether grid cell `i` belongs to this shard (strided, so every shard gets a share
    /// of every axis and about the same work).
    #[must_use]
    pub fn picks(self, i: usize) -> bool {
        i % self.n as usize == (self.k - 1) as usize
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ShardFile {
    format: String,
    /// SHA-256 of the job (see the module docs).
    job: String,
    shard: [u32; 2],
    grid_cells: u32,
    timeframe: u32,
    objective: String,
    min_trades: u32,
    entries: EntryCounts,
    /// Grid index, exit parameters and statistics (postcard, hex) of each cell.
    cells: Vec<(u32, String, String)>,
    /// Grid index and curve (postcard, hex) of the shard's best cells.
    curves: Vec<(u32, String)>,
}

fn to_hex<T: Serialize>(value: &T, max: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; max];
    let bytes = phasebound_core::wire::encode(value, &mut buf)
        .map_err(|e| AppError::Internal(format!("shard encoding: {e}")))?;
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes.iter() {
        let _ = write!(s, "{b:02x}");
    }
    Ok(s)
}

fn from_hex<T: for<'a> Deserialize<'a>>(text: &str) -> Option<T> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect();
    phasebound_core::wire::decode(&bytes?).ok()
}

/// Largest encoding of a curve: its scalars and every bucket (a bool and three f64).
const CURVE_MAX_BYTES: usize = 64 + crate::trades::CURVE_BUCKETS * 32;

/// The job's fingerprint: SHA-256 over what decides the shard's results.
fn fingerprint(job: &Job<'_>, grid: &ExitGrid, counts: &EntryCounts) -> Result<String, AppError> {
    let mut h = Sha256::new();
    let spans: Vec<(&str, i64, i64)> = job
        .info
        .iter()
        .map(|i| (i.symbol.as_str(), i.first, i.last))
        .collect();
    h.update(
        format!(
            "{SHARD_FORMAT}|{grid:?}|{:?}|{}|{}|{}|{spans:?}|{counts:?}|",
            job.spec,
            job.timeframe,
            job.opts.objective.name(),
            job.opts.min_trades
        )
        .as_bytes(),
    );
    let entries = &job.opts.entries;
    let mut f = std::fs::File::open(entries).map_err(|e| AppError::io(entries, e))?;
    std::io::copy(&mut f, &mut h).map_err(|e| AppError::io(entries, e))?;
    Ok(h.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// Writes the shard file of the job's `--shard`: its cells (`picked[j]` is the grid
/// index of `cells[j]`) and the curves of its best cells.
///
/// # Errors
/// I/O on the output folder; encoding failures (internal).
pub(super) fn write(
    job: &Job<'_>,
    grid: &ExitGrid,
    picked: &[usize],
    cells: &[CellResult],
    order: &[usize],
    top: &[TopCurve],
    counts: &EntryCounts,
) -> Result<PathBuf, AppError> {
    let opts = job.opts;
    let shard = opts
        .shard
        .ok_or_else(|| AppError::Internal("a shard file without --shard".into()))?;
    let mut rows = Vec::with_capacity(cells.len());
    for (&i, c) in picked.iter().zip(cells) {
        rows.push((
            i as u32,
            to_hex(&c.exit, phasebound_core::wire::EXIT_PARAMS_MAX_SIZE)?,
            to_hex(&c.stats, phasebound_core::wire::CELL_STATS_MAX_SIZE)?,
        ));
    }
    let mut curves = Vec::with_capacity(top.len());
    for (&local, t) in order.iter().zip(top) {
        curves.push((picked[local] as u32, to_hex(&t.curve, CURVE_MAX_BYTES)?));
    }
    let file = ShardFile {
        format: SHARD_FORMAT.into(),
        job: fingerprint(job, grid, counts)?,
        shard: [shard.k, shard.n],
        grid_cells: grid.len() as u32,
        timeframe: job.timeframe,
        objective: opts.objective.name().into(),
        min_trades: opts.min_trades,
        entries: counts.clone(),
        cells: rows,
        curves,
    };
    let text =
        serde_json::to_string(&file).map_err(|e| AppError::Internal(format!("shard file: {e}")))?;
    let path = opts.out.join(SHARD_NAME);
    crate::output::write_all_atomic(&[(path.clone(), text.into_bytes())])
        .map_err(|e| AppError::io(&opts.out, e))?;
    Ok(path)
}

/// Validated options of `phasebound merge`.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// The shards: folders holding `exits.shard.json`, or the files.
    pub shards: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
}

/// What `phasebound merge` produced.
#[derive(Debug)]
pub struct MergeOutcome {
    /// Cells in grid order, ranked over the whole grid.
    pub cells: Vec<CellResult>,
    /// The human summary.
    pub summary: String,
    /// Files written.
    pub written: Vec<PathBuf>,
}

fn read_shard(path: &Path) -> Result<(PathBuf, ShardFile), AppError> {
    let file = if path.is_dir() {
        path.join(SHARD_NAME)
    } else {
        path.to_path_buf()
    };
    let bad = |problem: String| AppError::Previous {
        path: file.clone(),
        problem,
    };
    // About 400 bytes a cell: a bound well above a shard of the largest grid.
    let text = crate::input::read_small_text(&file, 1 << 30).map_err(|e| bad(e.to_string()))?;
    let shard: ShardFile = serde_json::from_str(&text)
        .map_err(|e| bad(format!("not a phasebound exits shard file: {e}")))?;
    if shard.format != SHARD_FORMAT {
        return Err(bad(format!(
            "format '{}', this build reads '{SHARD_FORMAT}'",
            shard.format
        )));
    }
    Ok((file, shard))
}

/// Joins shard files into `exits.csv` and `exits.html` (see the module docs).
///
/// # Errors
/// Unreadable, foreign or incomplete shards (exit 2, naming the file), I/O.
pub fn merge(opts: &MergeOptions) -> Result<MergeOutcome, AppError> {
    let lock = crate::resources::lock_output(&opts.out)?;
    let mut shards = Vec::with_capacity(opts.shards.len());
    for p in &opts.shards {
        shards.push(read_shard(p)?);
    }
    let Some((first_path, first)) = shards.first() else {
        return Err(AppError::Usage("merge needs at least one shard".into()));
    };
    let n = first.shard[1];
    let mut seen = vec![None::<&Path>; n as usize];
    for (path, s) in &shards {
        let bad = |problem: String| AppError::Previous {
            path: path.clone(),
            problem,
        };
        if s.job != first.job || s.shard[1] != n {
            return Err(bad(format!(
                "shard {}/{} of job {}, but {} is shard {}/{n} of job {}: shards of different runs",
                s.shard[0],
                s.shard[1],
                &s.job[..12.min(s.job.len())],
                first_path.display(),
                first.shard[0],
                &first.job[..12.min(first.job.len())]
            )));
        }
        let k = s.shard[0];
        match seen.get_mut((k as usize).wrapping_sub(1)) {
            Some(slot @ None) => *slot = Some(path),
            Some(Some(other)) => {
                return Err(bad(format!(
                    "shard {k}/{n} given twice (also {})",
                    other.display()
                )));
            }
            None => return Err(bad(format!("shard {k}/{n} is out of range"))),
        }
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(AppError::Usage(format!(
            "shard {}/{n} is missing: give all {n} shards of the job",
            missing + 1
        )));
    }
    let total = first.grid_cells as usize;
    let mut slots: Vec<Option<(ExitParams, CellStats)>> = vec![None; total];
    let mut curves: Vec<Option<Curve>> = vec![None; total];
    for (path, s) in &shards {
        let bad = |what: &str| AppError::Previous {
            path: path.clone(),
            problem: format!("a damaged {what}"),
        };
        let shard = Shard {
            k: s.shard[0],
            n: s.shard[1],
        };
        for (i, exit, stats) in &s.cells {
            let i = *i as usize;
            let slot = slots
                .get_mut(i)
                .filter(|slot| slot.is_none() && shard.picks(i))
                .ok_or_else(|| bad("cell index"))?;
            *slot = Some((
                from_hex(exit).ok_or_else(|| bad("cell's exits"))?,
                from_hex(stats).ok_or_else(|| bad("cell's statistics"))?,
            ));
        }
        for (i, curve) in &s.curves {
            let slot = curves
                .get_mut(*i as usize)
                .ok_or_else(|| bad("curve index"))?;
            *slot = Some(from_hex(curve).ok_or_else(|| bad("curve"))?);
        }
    }
    let Some(all) = slots.into_iter().collect::<Option<Vec<_>>>() else {
        return Err(AppError::Usage(format!(
            "the shards hold fewer than the grid's {total} cells"
        )));
    };
    let objective = Objective::from_name(&first.objective)
        .ok_or_else(|| AppError::Internal(format!("objective '{}'", first.objective)))?;
    let scores: Vec<f64> = all
        .iter()
        .map(|(_, s)| objective.score(s, first.min_trades))
        .collect();
    let (order, ranks) = rank(&scores);
    let cells: Vec<CellResult> = all
        .into_iter()
        .zip(ranks)
        .map(|((exit, stats), rank)| CellResult { exit, stats, rank })
        .collect();
    let mut top = Vec::with_capacity(TOP_CURVES);
    for (r, &i) in order.iter().take(TOP_CURVES).enumerate() {
        let curve = curves[i]
            .take()
            .ok_or_else(|| AppError::Internal(format!("no shard traced the curve of cell {i}")))?;
        top.push(TopCurve { rank: r + 1, curve });
    }
    let written = write_grid_files(
        &opts.out,
        &lock,
        &cells,
        &scores,
        &top,
        first.timeframe,
        (objective, first.min_trades),
        &first.entries,
    )?;
    let best = &cells[order[0]];
    let summary = format!(
        "phasebound merge: {n} shard(s) of job {}, {total} cells, {} entries\nbest: TP {}×ATR, SL {}×ATR, hold {} bars, trailing {}: {} trades, objective {:.3}\nWrote {}\n",
        &first.job[..12.min(first.job.len())],
        first.entries.used,
        best.exit.tp,
        best.exit.sl,
        best.exit.hold,
        best.exit.trailing.map_or_else(
            || "off".to_owned(),
            |t| format!("{}/{}", t.activation, t.distance)
        ),
        best.stats.trades,
        scores[order[0]],
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(MergeOutcome {
        cells,
        summary,
        written,
    })
}
