//! What one pass evaluates: a profile's candidate rule and a list of parameter cells.
//!
//! A [`PassPlan`] is built once at the boundary ([`PassPlan::push_cell`] checks every
//! parameter, [`PassPlan::finalize`] builds the pass's [`ExitGrid`] and resolves each
//! cell to grid indices); the engine then loops over it with nothing left to check.

use crate::account::{AccountSpec, Stake};
use crate::budget::{H_MAX, MAX_GROUPS};
use crate::error::Error;
use crate::first_passage::{CellExit, ExitGrid};
use crate::signal::{Profile, Weights};
use crate::trade::{EntryTiming, ExitParams};
use heapless::Vec;

/// How the engine evaluates a cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EvalMode {
    /// One forward scan per candidate, then O(1) per cell (default).
    #[default]
    FirstPassage,
    /// The plain bar-by-bar simulator per cell: the reference the fast path is tested against.
    Reference,
}

/// Where a pass's entries come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntrySource {
    /// The profile's signal candidates, found while the bars stream (default).
    #[default]
    Signals,
    /// Entries the caller queues with [`Workspace::enter`](crate::engine::Workspace::enter)
    /// after pushing their signal bar (e.g. a bot's own trade history); no signal is
    /// computed and every entry passes every cell's entry filter.
    External,
}

/// A profile's fixed settings for a pass: how candidates are found and labelled, and
/// how trades are filled and charged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileSpec {
    /// Scalping or swing.
    pub profile: Profile,
    /// The profile's weight groups (cells refer to them by index).
    pub groups: Vec<Weights, MAX_GROUPS>,
    /// Loosest minimum score: a signal whose best group score is below is no candidate.
    pub candidate_min_score: f32,
    /// Loosest minimum consensus (0..=5).
    pub candidate_min_consensus: u8,
    /// Hindsight opportunity threshold: favourable move in % within the horizon.
    pub opportunity_move_pct: f64,
    /// Opportunity horizon in bars.
    pub opportunity_horizon: u16,
    /// Where entries fill.
    pub entry_timing: EntryTiming,
    /// Round-trip cost in % of the entry price.
    pub cost_pct: f64,
    /// One open position per symbol and cell (a bot's usual rule).
    pub one_position_per_symbol: bool,
    /// Positions one cell's account holds at once (`1..=MAX_OPEN_TRADES`).
    pub max_open_trades: u8,
    /// How much each entry stakes (see [`crate::account`]).
    pub stake: Stake,
}

impl ProfileSpec {
    /// Checks the settings once.
    ///
    /// # Errors
    /// The first invalid setting.
    pub fn validate(&self) -> Result<(), Error> {
        if self.groups.is_empty() {
            return Err(Error::InvalidParameter {
                what: "profile has no weight groups",
            });
        }
        for w in &self.groups {
            if w.0.iter().any(|x| !x.is_finite() || *x < 0.0) || w.0.iter().sum::<f64>() <= 0.0 {
                return Err(Error::InvalidParameter {
                    what: "weights must be finite, >= 0, not all 0",
                });
            }
        }
        if !(0.0..=100.0).contains(&self.candidate_min_score) {
            return Err(Error::InvalidParameter {
                what: "min score must be in 0..=100",
            });
        }
        if self.candidate_min_consensus > 5 {
            return Err(Error::InvalidParameter {
                what: "min consensus must be in 0..=5",
            });
        }
        if !(self.opportunity_move_pct.is_finite() && self.opportunity_move_pct > 0.0) {
            return Err(Error::InvalidParameter {
                what: "opportunity move must be > 0",
            });
        }
        if self.opportunity_horizon == 0 || usize::from(self.opportunity_horizon) > H_MAX {
            return Err(Error::InvalidParameter {
                what: "opportunity horizon must be 1..=H_MAX bars",
            });
        }
        if !(self.cost_pct.is_finite() && (0.0..100.0).contains(&self.cost_pct)) {
            return Err(Error::InvalidParameter {
                what: "cost must be in [0, 100) %",
            });
        }
        self.account().validate()
    }

    /// The account rules every cell of a pass follows.
    #[must_use]
    pub fn account(&self) -> AccountSpec {
        AccountSpec {
            max_open_trades: self.max_open_trades,
            stake: self.stake,
            one_position_per_symbol: self.one_position_per_symbol,
        }
    }
}

/// One parameter cell: an entry filter and exit parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CellDef {
    /// Index of the weight group in the profile.
    pub group: u8,
    /// Minimum score of that group (0..=100).
    pub min_score: f32,
    /// Minimum consensus (0..=5).
    pub min_consensus: u8,
    /// Exit parameters.
    pub exit: ExitParams,
}

/// Cells that share their price levels (take profit, stop loss, trailing) and differ
/// only in holding time: first passage resolves the levels once per entry for the whole
/// group ([`crate::first_passage::HitTable::level_exit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitGroup {
    /// The shared levels (`hold` is 0: it differs per cell).
    pub exit: CellExit,
    start: u16,
    end: u16,
}

/// A pass: profile settings, time range of signals, cells, optional sample.
#[derive(Clone, Debug)]
pub struct PassPlan<'a, const C: usize> {
    spec: &'a ProfileSpec,
    cells: Vec<CellDef, C>,
    exits: Vec<CellExit, C>,
    groups: Vec<ExitGroup, C>,
    /// (cell index, hold slot) of each cell, group by group (each group's cells in plan
    /// order); the hold is `holds[slot]`.
    grouped: Vec<(u16, u16), C>,
    /// The distinct holding times of the cells, in order of first appearance.
    holds: Vec<u16, C>,
    /// Some cell has an entry filter above the loosest (score > 0 or consensus > 0).
    filtered: bool,
    grid: ExitGrid,
    window: u16,
    from: i64,
    to: i64,
    sample: Option<&'a [u32]>,
    mode: EvalMode,
    entries: EntrySource,
    finalized: bool,
}

impl<'a, const C: usize> PassPlan<'a, C> {
    /// An empty plan for signals with `from <= time < to` (ms).
    ///
    /// # Errors
    /// Invalid profile settings or an empty time range.
    pub fn new(spec: &'a ProfileSpec, from: i64, to: i64) -> Result<Self, Error> {
        spec.validate()?;
        if from >= to {
            return Err(Error::InvalidParameter {
                what: "empty time range",
            });
        }
        Ok(Self {
            spec,
            cells: Vec::new(),
            exits: Vec::new(),
            groups: Vec::new(),
            grouped: Vec::new(),
            holds: Vec::new(),
            filtered: false,
            grid: ExitGrid::new(),
            window: spec.opportunity_horizon,
            from,
            to,
            sample: None,
            mode: EvalMode::FirstPassage,
            entries: EntrySource::Signals,
            finalized: true,
        })
    }

    /// Empties the plan for reuse, in place: no cells and no sample, first-passage
    /// mode and signal entries, as [`PassPlan::new`] leaves it (same profile and range).
    pub fn clear(&mut self) {
        self.cells.clear();
        self.exits.clear();
        self.groups.clear();
        self.grouped.clear();
        self.holds.clear();
        self.filtered = false;
        self.grid = ExitGrid::new();
        self.window = self.spec.opportunity_horizon;
        self.sample = None;
        self.mode = EvalMode::FirstPassage;
        self.entries = EntrySource::Signals;
        self.finalized = true;
    }

    /// Adds a cell and returns its index.
    ///
    /// # Errors
    /// Invalid parameters, an unknown group, or more than `C` cells.
    pub fn push_cell(&mut self, cell: CellDef) -> Result<usize, Error> {
        if usize::from(cell.group) >= self.spec.groups.len() {
            return Err(Error::InvalidParameter {
                what: "weight group index",
            });
        }
        if !(0.0..=100.0).contains(&cell.min_score) || cell.min_consensus > 5 {
            return Err(Error::InvalidParameter {
                what: "entry filter out of range",
            });
        }
        let e = &cell.exit;
        if e.hold == 0 || usize::from(e.hold) > H_MAX {
            return Err(Error::InvalidParameter {
                what: "hold must be 1..=H_MAX bars",
            });
        }
        self.grid.add_tp(e.tp)?;
        self.grid.add_sl(e.sl)?;
        if let Some(t) = e.trailing {
            self.grid.add_trailing(t)?;
        }
        self.cells.push(cell).map_err(|_| Error::CapacityExceeded {
            what: "MAX_CELLS",
            capacity: C,
        })?;
        self.window = self.window.max(e.hold);
        self.finalized = false;
        Ok(self.cells.len() - 1)
    }

    /// Resolves every cell to exit-grid indices; call after the last `push_cell`.
    ///
    /// # Errors
    /// None for cells accepted by `push_cell` (kept as a value for safety).
    pub fn finalize(&mut self) -> Result<(), Error> {
        self.exits.clear();
        self.groups.clear();
        self.grouped.clear();
        self.holds.clear();
        // Group index of each cell; groups in order of first appearance.
        let mut group_of: Vec<u16, C> = Vec::new();
        let mut sizes: Vec<u16, C> = Vec::new();
        for cell in &self.cells {
            let exit = self.grid.cell(&cell.exit).ok_or(Error::InvalidParameter {
                what: "exit level missing from grid",
            })?;
            let _ = self.exits.push(exit);
            let levels = CellExit { hold: 0, ..exit };
            let g = match self.groups.iter().position(|g| g.exit == levels) {
                Some(g) => g,
                None => {
                    // At most one group per cell: capacity C cannot run out.
                    let _ = self.groups.push(ExitGroup {
                        exit: levels,
                        start: 0,
                        end: 0,
                    });
                    let _ = sizes.push(0);
                    self.groups.len() - 1
                }
            };
            let _ = group_of.push(g as u16);
            if let Some(n) = sizes.get_mut(g) {
                *n += 1;
            }
        }
        let mut start = 0u16;
        for (g, n) in self.groups.iter_mut().zip(&sizes) {
            g.start = start;
            g.end = start;
            start += *n;
        }
        let _ = self.grouped.resize(self.cells.len(), (0, 0));
        for ((c, &g), cell) in group_of.iter().enumerate().zip(&self.cells) {
            let hold = match self.holds.iter().position(|&h| h == cell.exit.hold) {
                Some(k) => k,
                None => {
                    // At most one hold per cell: capacity C cannot run out.
                    let _ = self.holds.push(cell.exit.hold);
                    self.holds.len() - 1
                }
            };
            if let Some(g) = self.groups.get_mut(usize::from(g))
                && let Some(slot) = self.grouped.get_mut(usize::from(g.end))
            {
                *slot = (c as u16, hold as u16);
                g.end += 1;
            }
        }
        self.filtered = self
            .cells
            .iter()
            .any(|c| c.min_score > 0.0 || c.min_consensus > 0);
        self.finalized = true;
        Ok(())
    }

    /// The cells grouped by shared price levels (see [`ExitGroup`]); every cell is in
    /// exactly one group. Empty until [`PassPlan::finalize`].
    #[must_use]
    pub fn exit_groups(&self) -> &[ExitGroup] {
        if self.finalized { &self.groups } else { &[] }
    }

    /// `(cell index, hold slot)` of the cells of `group` (one of
    /// [`PassPlan::exit_groups`]), in plan order; the cell's hold is
    /// `holds()[slot]`.
    #[must_use]
    pub fn group_cells(&self, group: &ExitGroup) -> &[(u16, u16)] {
        self.grouped
            .get(usize::from(group.start)..usize::from(group.end))
            .unwrap_or(&[])
    }

    /// The distinct holding times of the cells (bars), in order of first appearance.
    /// Empty until [`PassPlan::finalize`].
    #[must_use]
    pub fn holds(&self) -> &[u16] {
        if self.finalized { &self.holds } else { &[] }
    }

    /// Evaluate only the candidates whose ordinals (0-based, in the order the pass meets
    /// them) are in `sample`, which must be sorted ascending.
    ///
    /// # Errors
    /// `sample` not strictly ascending.
    pub fn set_sample(&mut self, sample: &'a [u32]) -> Result<(), Error> {
        if sample.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::InvalidParameter {
                what: "sample must be strictly ascending",
            });
        }
        self.sample = Some(sample);
        Ok(())
    }

    /// Chooses the evaluation mode (first-passage by default).
    pub fn set_mode(&mut self, mode: EvalMode) {
        self.mode = mode;
    }

    /// Chooses where entries come from (signal candidates by default). With
    /// [`EntrySource::External`] the sample, the time range and the candidate rule do not
    /// apply: exactly the entries the caller queues are evaluated.
    pub fn set_entry_source(&mut self, entries: EntrySource) {
        self.entries = entries;
    }

    /// Where entries come from.
    #[must_use]
    pub fn entry_source(&self) -> EntrySource {
        self.entries
    }

    /// Cells in order.
    #[must_use]
    pub fn cells(&self) -> &[CellDef] {
        if self.finalized { &self.cells } else { &[] }
    }

    /// Grid indices of cell `c` (valid for `c < cells().len()`).
    #[must_use]
    pub fn cell_exit(&self, c: usize) -> CellExit {
        self.exits.get(c).copied().unwrap_or(CellExit {
            tp: 0,
            sl: 0,
            hold: 1,
            trailing: None,
        })
    }

    /// The pass's exit grid.
    #[must_use]
    pub fn grid(&self) -> &ExitGrid {
        &self.grid
    }

    /// Forward-window length in bars: the longest hold or the opportunity horizon.
    #[must_use]
    pub fn window(&self) -> u16 {
        self.window
    }

    /// Whether a signal at `time` (ms) belongs to this pass.
    #[must_use]
    pub fn in_range(&self, time: i64) -> bool {
        self.from <= time && time < self.to
    }

    /// The profile's weight groups.
    #[must_use]
    pub fn groups(&self) -> &[Weights] {
        &self.spec.groups
    }

    /// Loosest minimum score.
    #[must_use]
    pub fn candidate_min_score(&self) -> f32 {
        self.spec.candidate_min_score
    }

    /// Loosest minimum consensus.
    #[must_use]
    pub fn candidate_min_consensus(&self) -> u8 {
        self.spec.candidate_min_consensus
    }

    /// Hindsight opportunity threshold in %.
    #[must_use]
    pub fn opportunity_move_pct(&self) -> f64 {
        self.spec.opportunity_move_pct
    }

    /// Hindsight opportunity horizon in bars.
    #[must_use]
    pub fn opportunity_horizon(&self) -> u16 {
        self.spec.opportunity_horizon
    }

    /// Entry fill convention.
    #[must_use]
    pub fn entry_timing(&self) -> EntryTiming {
        self.spec.entry_timing
    }

    /// Round-trip cost in %.
    #[must_use]
    pub fn cost_pct(&self) -> f64 {
        self.spec.cost_pct
    }

    /// Whether any cell filters entries (a minimum score or consensus above 0); without
    /// filters every candidate passes every cell.
    #[must_use]
    pub fn has_entry_filters(&self) -> bool {
        self.filtered
    }

    /// One position per symbol and cell.
    #[must_use]
    pub fn one_position_per_symbol(&self) -> bool {
        self.spec.one_position_per_symbol
    }

    /// The sample, if any.
    #[must_use]
    pub fn sample(&self) -> Option<&[u32]> {
        self.sample
    }

    /// Evaluation mode.
    #[must_use]
    pub fn eval_mode(&self) -> EvalMode {
        self.mode
    }

    /// The profile settings.
    #[must_use]
    pub fn spec(&self) -> &ProfileSpec {
        self.spec
    }
}
