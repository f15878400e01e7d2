//! The passes of a grid: consecutive cells in chunks one pass's plan holds, each chunk
//! one stream of the bars and entries through a workspace, the chunks shared among the
//! worker threads.

use std::fs::File;
use std::io::{BufWriter, Write as _};

use phasebound_core::budget::{MAX_CELLS, MAX_LEVELS, MAX_TRAILING};
use phasebound_core::engine::ExternalEntry;
use phasebound_core::plan::{CellDef, EntrySource, PassPlan, ProfileSpec};
use phasebound_core::stats::CellStats;
use phasebound_core::{Direction, EntryTiming, Error as CoreError};

use super::entries::{BadEntry, EntryCounts, EntryReader};
use super::matcher::{Matcher, SeriesInfo};
use super::options::ExitsOptions;
use super::trace::{PassObserver, TraceWriter};
use crate::data::{CachedSeries, Merged, SeriesReader, TimeRange};
use crate::error::AppError;
use crate::workspace::{HostWorkspace, LaneShape};

/// Stack of each worker thread: a default workspace is built on it before boxing.
pub(super) const WORKER_STACK: usize = 16 * 1024 * 1024;

/// Everything a pass needs, shared by the workers.
pub(super) struct Job<'a> {
    pub(super) series: &'a [CachedSeries],
    pub(super) info: Vec<SeriesInfo>,
    pub(super) spec: ProfileSpec,
    pub(super) cells: Vec<CellDef>,
    pub(super) timeframe: u32,
    pub(super) opts: &'a ExitsOptions,
    /// The workers' lanes: one per symbol, as deep as the longest hold.
    pub(super) lanes: LaneShape,
}

pub(super) struct ChunkResult {
    pub(super) stats: Vec<CellStats>,
    pub(super) counts: EntryCounts,
}

/// One pass over the bars and entries for `cells` (grid cells from `offset` on),
/// watched by `obs`.
pub(super) fn run_chunk<O: PassObserver + ?Sized>(
    job: &Job<'_>,
    ws: &mut HostWorkspace,
    cells: &[CellDef],
    offset: usize,
    obs: &mut O,
) -> Result<ChunkResult, AppError> {
    let core = AppError::core;
    let mut plan: PassPlan<'_, MAX_CELLS> =
        PassPlan::new(&job.spec, i64::MIN, i64::MAX).map_err(core)?;
    for c in cells {
        plan.push_cell(*c).map_err(core)?;
    }
    plan.finalize().map_err(core)?;
    plan.set_mode(job.opts.mode);
    plan.set_entry_source(EntrySource::External);
    ws.begin(&plan, job.series.len(), job.timeframe)
        .map_err(core)?;

    let mut readers = Vec::with_capacity(job.series.len());
    for s in job.series {
        readers.push(SeriesReader::open_cached(s)?);
    }
    let mut merged = Merged::new(readers, TimeRange::ALL).map_err(|e| AppError::io("cache", e))?;
    let mut matcher = Matcher {
        reader: EntryReader::open(
            &job.opts.entries,
            &job.info
                .iter()
                .map(|i| i.symbol.clone())
                .collect::<Vec<_>>(),
        )?,
        info: job.info.clone(),
        group: Vec::new(),
        skip: job.opts.skip_bad_entries,
        counts: EntryCounts::default(),
    };
    let next_open = job.spec.entry_timing == EntryTiming::NextOpen;
    let mut rows = Vec::new();
    obs.begin(job.series.len(), offset);
    while let Some((sym, bar)) = merged.next_bar().map_err(|e| AppError::io("cache", e))? {
        matcher.advance_to(bar.time)?;
        ws.push_observed(&plan, sym, &bar, obs).map_err(core)?;
        matcher.take_for(sym, &mut rows);
        for row in &rows {
            let info = &matcher.info[usize::from(sym)];
            if next_open && bar.time == info.last {
                matcher.bad(row, BadEntry::NoFill)?;
                continue;
            }
            let entry = ExternalEntry {
                direction: row.direction,
                atr: row.atr,
            };
            match ws.enter(&plan, sym, entry) {
                Ok(()) => {
                    matcher.counts.used += 1;
                    if row.direction == Direction::Long {
                        matcher.counts.longs += 1;
                    }
                    obs.queued(usize::from(sym), row.line);
                }
                Err(CoreError::InvalidParameter { .. }) => matcher.bad(row, BadEntry::NoAtr)?,
                // Not met: `waiting` sized the queues for these entries.
                Err(CoreError::CapacityExceeded { .. }) => {
                    return Err(super::waiting::overfull(
                        &job.opts.entries,
                        row.line,
                        job.lanes.queue,
                        &matcher.info[usize::from(sym)].symbol,
                    ));
                }
                Err(e) => return Err(core(e)),
            }
        }
    }
    matcher.finish()?;
    ws.finish_observed(&plan, obs).map_err(core)?;
    if let Some(e) = obs.take_error() {
        return Err(AppError::io(job.opts.trades.clone().unwrap_or_default(), e));
    }
    Ok(ChunkResult {
        stats: ws.stats(cells.len()).to_vec(),
        counts: matcher.counts,
    })
}

/// The passes of a grid of `cells` for `threads` workers: ranges of consecutive cells,
/// each of at most [`MAX_CELLS`] cells and at most [`MAX_LEVELS`] distinct take profits,
/// as many stop losses and [`MAX_TRAILING`] trailing settings (what one pass's plan
/// holds), split so that the workers share the work where each part keeps at least
/// `min_split` cells ([`min_split_cells`]). Cells are independent, so the split never
/// changes a result; axes longer than a pass holds only cost more passes.
pub(super) fn chunks(
    cells: &[CellDef],
    threads: usize,
    min_split: usize,
) -> Vec<std::ops::Range<usize>> {
    let even = even_chunks(cells.len(), threads, min_split);
    if even.iter().all(|r| fits_one_pass(&cells[r.clone()])) {
        return even;
    }
    // Longer axes: the longest runs that fit, each shared among the workers.
    let mut out = Vec::new();
    let mut start = 0;
    let mut levels = PassLevels::default();
    for (i, c) in cells.iter().enumerate() {
        if !levels.admit(c) || i - start == MAX_CELLS {
            out.extend(
                even_chunks(i - start, threads, min_split)
                    .into_iter()
                    .map(|r| r.start + start..r.end + start),
            );
            start = i;
            levels = PassLevels::default();
            levels.admit(c);
        }
    }
    out.extend(
        even_chunks(cells.len() - start, threads, min_split)
            .into_iter()
            .map(|r| r.start + start..r.end + start),
    );
    out
}

/// The distinct levels of the cells of one pass so far.
#[derive(Default)]
struct PassLevels {
    tp: Vec<u64>,
    sl: Vec<u64>,
    trailing: Vec<(u64, u64)>,
}

impl PassLevels {
    /// Adds `c`'s levels if the pass still holds them all; `false` (nothing added) if not.
    fn admit(&mut self, c: &CellDef) -> bool {
        let e = &c.exit;
        let (tp, sl) = (e.tp.to_bits(), e.sl.to_bits());
        let trailing = e
            .trailing
            .map(|t| (t.activation.to_bits(), t.distance.to_bits()));
        let new_tp = !self.tp.contains(&tp);
        let new_sl = !self.sl.contains(&sl);
        let new_trailing = trailing.filter(|t| !self.trailing.contains(t));
        if (new_tp && self.tp.len() == MAX_LEVELS)
            || (new_sl && self.sl.len() == MAX_LEVELS)
            || (new_trailing.is_some() && self.trailing.len() == MAX_TRAILING)
        {
            return false;
        }
        if new_tp {
            self.tp.push(tp);
        }
        if new_sl {
            self.sl.push(sl);
        }
        self.trailing.extend(new_trailing);
        true
    }
}

/// Whether one pass's plan holds `cells`: see [`chunks`].
fn fits_one_pass(cells: &[CellDef]) -> bool {
    let mut levels = PassLevels::default();
    cells.len() <= MAX_CELLS && cells.iter().all(|c| levels.admit(c))
}

/// Evaluation a split part must carry, in (entry, cell) pairs, per row its extra pass
/// streams again (a bar or an entry). A pass beyond the ones the capacity needs reads,
/// checks and scans every bar and entry again on another core: it saves the wall time of
/// the pairs it takes over and costs the CPU of its reading. On the bench's real data
/// (`bench/run.sh --scales large-360`: 144,000 bars, 30,000 entries, 360 cells, two
/// workers) a pass read about 10 pairs' worth per row, and the split into two passes of
/// 180 cells took about 30 % less wall time for 5–13 % more CPU (2026-12-03, v0.6; README
/// *Speed against the usual tools*). Twice that break-even: a split must save at least
/// twice the CPU it adds.
pub(super) const SPLIT_PAIRS_PER_ROW: u64 = 20;

/// The fewest cells a split part must keep for a run over `bars` bars and `entries`
/// entries: [`SPLIT_PAIRS_PER_ROW`] pairs per row streamed, divided among the entries
/// (no entries: never split).
pub(super) fn min_split_cells(bars: u64, entries: u64) -> usize {
    let pairs = SPLIT_PAIRS_PER_ROW.saturating_mul(bars.saturating_add(entries));
    match pairs.checked_div(entries) {
        Some(cells) => usize::try_from(cells).unwrap_or(usize::MAX).max(1),
        None => usize::MAX,
    }
}

/// `0..n` in equal consecutive parts: enough for [`MAX_CELLS`] a part, a multiple of
/// `threads` when each part keeps at least `min_split` cells.
fn even_chunks(n: usize, threads: usize, min_split: usize) -> Vec<std::ops::Range<usize>> {
    let needed = n.div_ceil(MAX_CELLS).max(1);
    let split = needed.div_ceil(threads.max(1)) * threads.max(1);
    let count = if split > needed && n / split < min_split {
        needed
    } else {
        split
    };
    let base = n / count;
    let extra = n % count;
    let mut out = Vec::with_capacity(count);
    let mut start = 0;
    for i in 0..count {
        let len = base + usize::from(i < extra);
        out.push(start..start + len);
        start += len;
    }
    out
}

/// Runs the chunks on `threads` workers (chunk `i` on worker `i % threads`), each with its
/// own workspace; results come back in chunk order, with the first worker's workspace
/// for the pass after the grid's (the curves): reused, it costs no new allocation at the
/// end of the run, when the results are held as well.
pub(super) fn run_chunks(
    job: &Job<'_>,
    ranges: &[std::ops::Range<usize>],
    threads: usize,
) -> Result<(Vec<ChunkResult>, Box<HostWorkspace>), AppError> {
    let workers = threads.min(ranges.len()).max(1);
    let per_worker: Vec<Result<Worked, AppError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || worker(job, ranges, w, workers))
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
            .collect()
    });
    let mut all: Vec<(usize, ChunkResult)> = Vec::with_capacity(ranges.len());
    let mut kept = None;
    let mut first_error: Option<(usize, AppError)> = None;
    for (w, r) in per_worker.into_iter().enumerate() {
        match r {
            Ok((v, ws)) => {
                all.extend(v);
                kept = kept.or(ws);
            }
            // Every pass meets the same rows: report the error of the lowest worker.
            Err(e) => {
                if first_error.as_ref().is_none_or(|(fw, _)| w < *fw) {
                    first_error = Some((w, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    let ws = kept.ok_or_else(|| AppError::Internal("no worker ran".into()))?;
    all.sort_by_key(|(i, _)| *i);
    Ok((all.into_iter().map(|(_, r)| r).collect(), ws))
}

/// A worker's results by chunk index, and its workspace if it is the first worker's (the
/// others free theirs as they end).
type Worked = (Vec<(usize, ChunkResult)>, Option<Box<HostWorkspace>>);

fn worker(
    job: &Job<'_>,
    ranges: &[std::ops::Range<usize>],
    w: usize,
    workers: usize,
) -> Result<Worked, AppError> {
    let mut ws = crate::workspace::new_workspace(job.lanes);
    let trace_tmp = job
        .opts
        .trades
        .as_deref()
        .map(crate::output::unique_temp_path);
    let mut trace = match &trace_tmp {
        Some(tmp) => {
            let f = File::create(tmp).map_err(|e| AppError::io(tmp, e))?;
            let mut out = BufWriter::with_capacity(1 << 16, f);
            writeln!(
                out,
                "entry_line,cell,exit_bar,exit_reason,exit_price,profit_pct"
            )
            .map_err(|e| AppError::io(tmp, e))?;
            Some(TraceWriter {
                out,
                queued: Vec::new(),
                line: 0,
                cell_offset: 0,
                error: None,
            })
        }
        None => None,
    };
    let mut out = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        if i % workers != w {
            continue;
        }
        let cells = &job.cells[r.clone()];
        let result = match trace.as_mut() {
            Some(t) => run_chunk(job, &mut ws, cells, r.start, t)?,
            None => run_chunk(job, &mut ws, cells, r.start, &mut ())?,
        };
        out.push((i, result));
    }
    if let (Some(t), Some(p), Some(tmp)) = (trace, &job.opts.trades, trace_tmp) {
        let f = t
            .out
            .into_inner()
            .map_err(|e| AppError::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, p).map_err(|e| AppError::io(p, e))?;
    }
    Ok((out, (w == 0).then_some(ws)))
}

#[cfg(test)]
mod tests {
    use super::{even_chunks, min_split_cells};

    #[test]
    fn a_pass_is_split_among_workers_only_when_each_part_keeps_enough_cells() {
        // One pass's worth: kept whole below 2 × the minimum, halved from there.
        assert_eq!(even_chunks(360, 2, 512), vec![0..360]);
        assert_eq!(even_chunks(360, 2, 180), vec![0..180, 180..360]);
        assert_eq!(even_chunks(360, 2, 181), vec![0..360]);
        assert_eq!(even_chunks(1023, 2, 512), vec![0..1023]);
        assert_eq!(even_chunks(1024, 2, 512), vec![0..512, 512..1024]);
        assert_eq!(even_chunks(3, 4, 1), vec![0..3]);
        // Several passes: rounded up to a multiple of the workers when the parts stay large.
        assert_eq!(even_chunks(5000, 1, 512).len(), 5);
        assert_eq!(even_chunks(5000, 2, 512).len(), 6);
        assert_eq!(even_chunks(1440, 2, 512).len(), 2);
        assert_eq!(even_chunks(2100, 2, 512).len(), 4);
        assert_eq!(even_chunks(2100, 2, usize::MAX).len(), 3);
        for (n, t) in [(360, 2), (5000, 2), (2100, 3), (7, 1)] {
            let parts = even_chunks(n, t, 100);
            assert_eq!(parts.first().map(|r| r.start), Some(0));
            assert_eq!(parts.last().map(|r| r.end), Some(n));
            assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
        }
    }

    #[test]
    fn a_split_must_carry_its_reading_twice_over() {
        // The bench's large-360 run: 144,000 bars and 30,000 entries, so 20 × 174,000
        // pairs over 30,000 entries = 116 cells a part; its 360 cells split in two.
        assert_eq!(min_split_cells(144_000, 30_000), 116);
        assert_eq!(even_chunks(360, 2, 116).len(), 2);
        // Its small scale (3,000 entries): 980 cells a part, 360 cells stay one pass.
        assert_eq!(min_split_cells(144_000, 3_000), 980);
        assert_eq!(even_chunks(360, 2, 980).len(), 1);
        // No entries: nothing to gain.
        assert_eq!(min_split_cells(144_000, 0), usize::MAX);
        assert_eq!(min_split_cells(u64::MAX, 1), usize::MAX);
    }
}
