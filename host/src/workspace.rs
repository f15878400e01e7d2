//! The host's workspace: the core's pass engine over lanes on the heap, sized once per
//! run from the number of symbols and the longest window, before any bar is read.
//!
//! The core keeps a symbol's state in a *lane* (indicator state, a ring of the last
//! `depth` bars, a queue of waiting entries; see [`phasebound_core::engine::Lanes`]). The
//! microcontroller build keeps a fixed number of lanes inside its workspace; the host
//! allocates exactly as many as the run has symbols, each exactly as deep as the run's
//! longest window, so a run's memory is
//!
//! ```text
//! workers × (FIXED_PART_BYTES + symbols × lane_bytes(depth, queue) + scratch_bytes(depth))
//! ```
//!
//! with `FIXED_PART_BYTES` the cells and the batch ([`footprint::FIXED_PART_BYTES`]),
//! `lane_bytes(d, q) = head + d × 36 + q × sizeof(Pending)` bytes
//! ([`phasebound_core::engine::lane_bytes`]) and the window scratch
//! `scratch_bytes(d) = d × 40` bytes ([`phasebound_core::engine::scratch_bytes`]). The
//! engine only indexes into the slices, so results equal those of a workspace with the
//! lanes inside (tested).

use phasebound_core::Ohlc;
use phasebound_core::budget::{H_MAX, MAX_CELLS};
use phasebound_core::engine::footprint;
use phasebound_core::engine::{
    Head, LaneParts, Lanes, Pending, Workspace, lane_bytes, scratch_bytes,
};

/// The lanes of a run, on the heap: `symbols` lanes of `depth` ring bars and `queue`
/// queue slots, and the window scratch of `depth` bars, allocated once.
#[derive(Clone, Debug)]
pub struct HeapLanes {
    heads: Box<[Head]>,
    ring: Box<[Ohlc]>,
    runs: Box<[u32]>,
    queue: Box<[Pending]>,
    window: Box<[Ohlc]>,
    best: Box<[f64]>,
}

impl HeapLanes {
    /// Lanes for `shape`.
    #[must_use]
    pub fn new(shape: LaneShape) -> Self {
        let bars = shape.symbols * shape.depth;
        Self {
            heads: vec![Head::EMPTY; shape.symbols].into_boxed_slice(),
            ring: vec![Ohlc::new(0.0, 0.0, 0.0, 0.0); bars].into_boxed_slice(),
            runs: vec![0; bars].into_boxed_slice(),
            queue: vec![Pending::EMPTY; shape.symbols * shape.queue].into_boxed_slice(),
            window: vec![Ohlc::new(0.0, 0.0, 0.0, 0.0); shape.depth].into_boxed_slice(),
            best: vec![0.0; shape.depth].into_boxed_slice(),
        }
    }
}

impl Lanes for HeapLanes {
    fn parts(&mut self) -> LaneParts<'_> {
        LaneParts {
            heads: &mut self.heads,
            ring: &mut self.ring,
            runs: &mut self.runs,
            queue: &mut self.queue,
            window: &mut self.window,
            best: &mut self.best,
        }
    }

    fn heads(&self) -> &[Head] {
        &self.heads
    }
}

/// The most entries of one symbol that may wait for their windows at once (more is an
/// error naming the line). Several entries may share a bar, so this is not bounded by the
/// window. `exits` sizes its queues by what its entries file needs, at most this
/// (see `exits::waiting`).
pub const ENTRY_QUEUE: usize = 1024;

/// How many lanes, how deep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneShape {
    /// Lanes: one per symbol.
    pub symbols: usize,
    /// Ring bars per lane: the longest window of the run.
    pub depth: usize,
    /// Queue slots per lane: the depth for signal candidates (at most one per bar);
    /// more where external entries can share a bar.
    pub queue: usize,
}

impl LaneShape {
    /// Lanes for signal candidates: `symbols` lanes as deep as `window` bars (at least 1).
    #[must_use]
    pub fn signals(symbols: usize, window: u16) -> Self {
        let depth = usize::from(window).max(1);
        Self {
            symbols,
            depth,
            queue: depth,
        }
    }

    /// Lanes for external entries (`phasebound exits`): `symbols` lanes as deep as the
    /// longest hold, with `waiting` queue slots, the most entries of one symbol that wait
    /// for their windows at once (clamped to `1..=`[`LaneShape::entry_queue_cap`]).
    #[must_use]
    pub fn entries(symbols: usize, longest_hold: u16, waiting: usize) -> Self {
        Self {
            symbols,
            depth: usize::from(longest_hold).max(1),
            queue: waiting.clamp(1, Self::entry_queue_cap(longest_hold)),
        }
    }

    /// The most entries of one symbol that may wait at once with holds up to
    /// `longest_hold` bars: [`ENTRY_QUEUE`], or the hold if longer.
    #[must_use]
    pub fn entry_queue_cap(longest_hold: u16) -> usize {
        usize::from(longest_hold).max(ENTRY_QUEUE)
    }

    /// The smallest shape that serves every one of `shapes` (one worker reuses one
    /// workspace for all of its passes; lanes deeper than a pass needs change nothing).
    #[must_use]
    pub fn covering(shapes: &[LaneShape]) -> Self {
        let max = |f: fn(&LaneShape) -> usize| shapes.iter().map(f).max().unwrap_or(0);
        Self {
            symbols: max(|l| l.symbols),
            depth: max(|l| l.depth),
            queue: max(|l| l.queue),
        }
    }

    /// Bytes of the lanes and their scratch.
    #[must_use]
    pub fn bytes(self) -> u64 {
        self.symbols as u64 * lane_bytes(self.depth, self.queue) as u64
            + scratch_bytes(self.depth) as u64
    }
}

/// The host's workspace type.
pub type HostWorkspace = Workspace<H_MAX, MAX_CELLS, HeapLanes>;

/// A boxed workspace over new lanes of `shape`, built in its heap allocation.
///
/// `Box::new(value)` builds the value (the fixed part is most of a megabyte) on the
/// stack and copies it, and the touched stack pages stay resident for the thread's
/// life. Allocating first and writing into the allocation lets the optimizer build it
/// in place; `tests/memory` checks the resident set of whole runs.
#[must_use]
pub fn new_workspace(shape: LaneShape) -> Box<HostWorkspace> {
    let lanes = HeapLanes::new(shape);
    let slot = Box::<HostWorkspace>::new_uninit();
    Box::write(slot, Workspace::with_lanes(lanes))
}

/// Bytes of one workspace with lanes of `shape`: the fixed part (cells, batch) plus
/// the lanes and their scratch.
#[must_use]
pub fn workspace_bytes(shape: LaneShape) -> u64 {
    footprint::FIXED_PART_BYTES as u64 + shape.bytes()
}
