//! Per-symbol storage of a [`Workspace`](super::Workspace): one *lane* per symbol.
//!
//! A lane is a [`Head`] (indicator state, counters, positions), a ring of the symbol's
//! last `depth` bars and a FIFO of up to `queue` entries waiting for their windows. Beside
//! the lanes lies one *scratch* as deep as they are, shared by all symbols: the window
//! being evaluated, unwrapped from its ring, and its running best price (the first-passage
//! [`HitTable`](crate::first_passage::HitTable)'s storage). The storage belongs to the
//! caller and is seen by the engine as six slices ([`Lanes`]):
//! - [`FixedLanes`] holds `S` lanes of `D` bars in arrays, a size in the type (a `static`
//!   on a microcontroller);
//! - a host that learns the number of symbols and the longest window at start-up
//!   implements [`Lanes`] over buffers it sizes once, before any bar is read, with
//!   [`lane_bytes`] bytes per symbol and [`scratch_bytes`] once (the host crate's
//!   `HeapLanes`).
//!
//! The engine only indexes into the slices, so a workspace with `n` lanes of depth `d`
//! computes exactly what a [`FixedLanes<n, d>`] workspace would: results do not depend
//! on where the lanes live, nor on lanes beyond the pass's symbols.

use super::SymbolCounters;
use crate::bar::Ohlc;
use crate::budget::MAX_GROUPS;
use crate::indicators::Indicators;
use crate::trade::Direction;

/// An entry waiting in its symbol's queue for its forward window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pending {
    /// Open time of the signal bar, ms.
    pub(super) time: i64,
    /// Index of the signal bar in the symbol's stream.
    pub(super) bar_index: u32,
    /// Gap-free run of bars the signal bar belongs to (its window ends with the run).
    pub(super) run: u32,
    pub(super) direction: Direction,
    pub(super) atr: f64,
    pub(super) close: f64,
    pub(super) consensus: u8,
    /// Score per weight group of the plan's profile.
    pub(super) scores: [f32; MAX_GROUPS],
}

impl Pending {
    /// An empty queue slot (storage initializer).
    pub const EMPTY: Self = Self {
        time: 0,
        bar_index: 0,
        run: 0,
        direction: Direction::Long,
        atr: 0.0,
        close: 0.0,
        consensus: 0,
        scores: [0.0; MAX_GROUPS],
    };
}

/// The fixed-size part of a lane: indicator state, counters, and where the symbol's
/// ring and queue stand.
#[derive(Clone, Debug)]
pub struct Head {
    pub(super) indicators: Option<Indicators>,
    /// Run of the last bar pushed (a new run starts after every missing bar).
    pub(super) run: u32,
    /// Bars pushed so far (the next bar's index).
    pub(super) count: u32,
    pub(super) last_time: Option<i64>,
    /// Queue slot of the oldest waiting entry, and how many wait.
    pub(super) queue_start: u32,
    pub(super) queue_len: u32,
    /// Signal time of the oldest waiting entry.
    pub(super) front_time: Option<i64>,
    pub(super) counters: SymbolCounters,
}

impl Head {
    /// An idle lane head (storage initializer).
    pub const EMPTY: Self = Self {
        indicators: None,
        run: 0,
        count: 0,
        last_time: None,
        queue_start: 0,
        queue_len: 0,
        front_time: None,
        counters: SymbolCounters {
            bars: 0,
            warm_bars: 0,
            candidates: 0,
            evaluated: 0,
            opportunities: 0,
            ideal_profit_sum: 0.0,
            time_to_peak_sum: 0,
            longs: 0,
        },
    };

    /// This symbol's counters of the pass.
    #[must_use]
    pub fn counters(&self) -> &SymbolCounters {
        &self.counters
    }
}

/// Bytes of one lane of `depth` ring bars and `queue` queue slots: what each symbol adds
/// to a workspace (the bar ring holds a bar and its run number per slot).
#[must_use]
pub const fn lane_bytes(depth: usize, queue: usize) -> usize {
    size_of::<Head>()
        + depth * (size_of::<Ohlc>() + size_of::<u32>())
        + queue * size_of::<Pending>()
}

/// Bytes of the scratch beside lanes of `depth` bars (one per workspace, not per symbol):
/// a window bar and its running best per slot.
#[must_use]
pub const fn scratch_bytes(depth: usize) -> usize {
    depth * (size_of::<Ohlc>() + size_of::<f64>())
}

/// The lanes' storage as the engine sees it: `heads` has one lane per symbol; `ring` and
/// `runs` hold `depth` slots per lane and `queue` holds `queue depth` slots per lane, lane
/// `i` at `[i·depth, (i+1)·depth)`. Depths are the slice lengths divided by the number
/// of heads; `runs` must be as long as `ring`, `window` and `best` at least `depth` long.
pub struct LaneParts<'a> {
    /// One head per lane.
    pub heads: &'a mut [Head],
    /// Bar rings, lane after lane.
    pub ring: &'a mut [Ohlc],
    /// Run number of each ring slot.
    pub runs: &'a mut [u32],
    /// Entry queues, lane after lane.
    pub queue: &'a mut [Pending],
    /// Scratch: the window of the entry being evaluated.
    pub window: &'a mut [Ohlc],
    /// Scratch: the running best price over that window.
    pub best: &'a mut [f64],
}

/// Storage of a workspace's lanes (see the module docs).
pub trait Lanes {
    /// The storage as slices (called by the engine at every step: keep it cheap).
    fn parts(&mut self) -> LaneParts<'_>;
    /// The heads alone.
    fn heads(&self) -> &[Head];
}

/// `S` lanes of `D` ring bars and `D` queue slots, and their scratch, in arrays.
#[derive(Clone, Debug)]
pub struct FixedLanes<const S: usize, const D: usize> {
    heads: [Head; S],
    ring: [[Ohlc; D]; S],
    runs: [[u32; D]; S],
    queue: [[Pending; D]; S],
    window: [Ohlc; D],
    best: [f64; D],
}

impl<const S: usize, const D: usize> FixedLanes<S, D> {
    /// Empty lanes (const, so they can be part of a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            heads: [const { Head::EMPTY }; S],
            ring: [[Ohlc::new(0.0, 0.0, 0.0, 0.0); D]; S],
            runs: [[0; D]; S],
            queue: [[Pending::EMPTY; D]; S],
            window: [Ohlc::new(0.0, 0.0, 0.0, 0.0); D],
            best: [0.0; D],
        }
    }
}

impl<const S: usize, const D: usize> Default for FixedLanes<S, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const S: usize, const D: usize> Lanes for FixedLanes<S, D> {
    fn parts(&mut self) -> LaneParts<'_> {
        LaneParts {
            heads: &mut self.heads,
            ring: self.ring.as_flattened_mut(),
            runs: self.runs.as_flattened_mut(),
            queue: self.queue.as_flattened_mut(),
            window: &mut self.window,
            best: &mut self.best,
        }
    }

    fn heads(&self) -> &[Head] {
        &self.heads
    }
}

/// One symbol's lane, cut from [`LaneParts`].
pub(super) struct Lane<'a> {
    pub(super) head: &'a mut Head,
    pub(super) ring: &'a mut [Ohlc],
    pub(super) runs: &'a mut [u32],
    pub(super) queue: &'a mut [Pending],
}

/// Geometry of the lanes of a pass, checked once at `begin`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Geometry {
    /// Ring slots per lane.
    pub(super) depth: usize,
    /// Queue slots per lane.
    pub(super) queue: usize,
}

/// The scratch beside the lanes, cut to the lanes' depth.
pub(super) struct Scratch<'a> {
    pub(super) window: &'a mut [Ohlc],
    pub(super) best: &'a mut [f64],
}

impl Geometry {
    /// Lane `sym` of `parts` (`None` past the last lane). The scratch is left alone: this
    /// is the per-bar path.
    pub(super) fn lane<'a>(self, parts: LaneParts<'a>, sym: usize) -> Option<Lane<'a>> {
        let LaneParts {
            heads,
            ring,
            runs,
            queue,
            ..
        } = parts;
        Some(Lane {
            head: heads.get_mut(sym)?,
            ring: ring.get_mut(sym * self.depth..(sym + 1) * self.depth)?,
            runs: runs.get_mut(sym * self.depth..(sym + 1) * self.depth)?,
            queue: queue.get_mut(sym * self.queue..(sym + 1) * self.queue)?,
        })
    }

    /// Lane `sym` of `parts` and the scratch cut to the lanes' depth (`None` past the
    /// last lane, or for a scratch shallower than the lanes, which `begin` refuses).
    pub(super) fn lane_and_scratch<'a>(
        self,
        parts: LaneParts<'a>,
        sym: usize,
    ) -> Option<(Lane<'a>, Scratch<'a>)> {
        let LaneParts {
            heads,
            ring,
            runs,
            queue,
            window,
            best,
        } = parts;
        let scratch = Scratch {
            window: window.get_mut(..self.depth)?,
            best: best.get_mut(..self.depth)?,
        };
        let lane = LaneParts {
            heads,
            ring,
            runs,
            queue,
            window: &mut [],
            best: &mut [],
        };
        Some((self.lane(lane, sym)?, scratch))
    }
}

impl Lane<'_> {
    /// Appends an entry; `false` when the queue is full.
    pub(super) fn push_back(&mut self, p: Pending) -> bool {
        let cap = self.queue.len();
        let len = self.head.queue_len as usize;
        if len >= cap {
            return false;
        }
        let slot = (self.head.queue_start as usize + len) % cap;
        self.queue[slot] = p;
        if len == 0 {
            self.head.front_time = Some(p.time);
        }
        self.head.queue_len += 1;
        true
    }

    /// Takes the oldest entry.
    pub(super) fn pop_front(&mut self) -> Option<Pending> {
        if self.head.queue_len == 0 {
            return None;
        }
        let cap = self.queue.len();
        let start = self.head.queue_start as usize;
        let p = self.queue[start];
        self.head.queue_start = ((start + 1) % cap) as u32;
        self.head.queue_len -= 1;
        self.head.front_time = if self.head.queue_len == 0 {
            None
        } else {
            Some(self.queue[self.head.queue_start as usize].time)
        };
        Some(p)
    }
}
