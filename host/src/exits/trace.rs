//! What watches a pass of `phasebound exits` besides the statistics ([`PassObserver`]):
//! nothing, the hidden `--trades` file of every (entry, cell) outcome ([`TraceWriter`]),
//! or the recorders of the best cells' curves (`super::curves`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write as _};

use phasebound_core::TradeOutcome;
use phasebound_core::engine::{EntryEvent, Observer};

/// Writes every (entry, cell) outcome, naming the entry by its line.
pub(super) struct TraceWriter {
    pub(super) out: BufWriter<File>,
    /// Per symbol, the lines of queued entries, in queue order (the engine's order).
    pub(super) queued: Vec<VecDeque<u64>>,
    pub(super) line: u64,
    pub(super) cell_offset: usize,
    pub(super) error: Option<io::Error>,
}

/// What watches a pass besides the statistics: the per-trade trace, or the curves of
/// the top cells ([`super::curves`]).
pub(super) trait PassObserver: Observer {
    /// Before the pass: `symbols` series; the plan's first cell is grid cell `offset`.
    fn begin(&mut self, symbols: usize, offset: usize) {
        let _ = (symbols, offset);
    }
    /// The entry of line `line` was queued for symbol `sym`.
    fn queued(&mut self, sym: usize, line: u64) {
        let _ = (sym, line);
    }
    /// The first write error of the pass.
    fn take_error(&mut self) -> Option<io::Error> {
        None
    }
}

impl PassObserver for () {}

impl PassObserver for TraceWriter {
    fn begin(&mut self, symbols: usize, offset: usize) {
        self.cell_offset = offset;
        self.queued = vec![VecDeque::new(); symbols];
    }
    fn queued(&mut self, sym: usize, line: u64) {
        if let Some(q) = self.queued.get_mut(sym) {
            q.push_back(line);
        }
    }
    fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

impl Observer for TraceWriter {
    fn entry(&mut self, event: &EntryEvent) {
        self.line = self
            .queued
            .get_mut(usize::from(event.symbol))
            .and_then(VecDeque::pop_front)
            .unwrap_or(0);
    }

    fn outcome(&mut self, cell: usize, o: &TradeOutcome) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = writeln!(
            self.out,
            "{},{},{},{},{},{}",
            self.line,
            self.cell_offset + cell,
            o.exit_index,
            o.reason.name(),
            o.exit_price,
            o.profit_pct
        ) {
            self.error = Some(e);
        }
    }
}
