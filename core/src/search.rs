//! Multi-start local search bookkeeping over a [`Lattice`].
//!
//! The original system ran four starts (the Phase 2 best and its next three) and kept
//! only the best result per start; this is that, made exact and bounded. Each round the
//! caller evaluates the neighbours of every active start in one pass and offers their
//! scores; at the end of the round each start moves to its best neighbour if that is
//! strictly better than where it stands, and retires otherwise. Memory: one
//! [`StartState`] per start, whatever the lattice size or the number of rounds.
//!
//! Ties are broken by the lower cell index, so the walk is a pure function of the scores.

use crate::error::Error;
use crate::grid::{Lattice, MAX_NEIGHBOURS};
use heapless::Vec;

/// True when `(a_score, a_index)` ranks strictly before `(b_score, b_index)`:
/// higher score first, then lower index. A total order on non-NaN scores.
#[inline]
#[must_use]
pub fn ranks_before(a_score: f64, a_index: u64, b_score: f64, b_index: u64) -> bool {
    a_score > b_score || (a_score == b_score && a_index < b_index)
}

/// The state of one start.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartState {
    /// The cell the start began at.
    pub origin: u64,
    /// The cell it stands on now (its best so far).
    pub current: u64,
    /// Objective score of `current`.
    pub score: f64,
    /// Number of moves made.
    pub moves: u16,
    /// Still searching (improved in the last round).
    pub active: bool,
    /// Best neighbour offered in the running round, with its score.
    proposal: Option<(u64, f64)>,
}

/// Multi-start search over one lattice, for up to `N` starts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultiStart<const N: usize> {
    starts: Vec<StartState, N>,
    rounds: u16,
}

impl<const N: usize> Default for MultiStart<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> MultiStart<N> {
    /// No starts yet.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            starts: Vec::new(),
            rounds: 0,
        }
    }

    /// Adds a start at cell `index` whose score is already known.
    ///
    /// # Errors
    /// More than `N` starts.
    pub fn add_start(&mut self, index: u64, score: f64) -> Result<(), Error> {
        self.starts
            .push(StartState {
                origin: index,
                current: index,
                score,
                moves: 0,
                active: true,
                proposal: None,
            })
            .map_err(|_| Error::CapacityExceeded {
                what: "MAX_STARTS",
                capacity: N,
            })
    }

    /// The starts, in the order they were added.
    #[must_use]
    pub fn starts(&self) -> &[StartState] {
        &self.starts
    }

    /// Completed rounds.
    #[must_use]
    pub const fn rounds(&self) -> u16 {
        self.rounds
    }

    /// True while some start is still searching.
    #[must_use]
    pub fn any_active(&self) -> bool {
        self.starts.iter().any(|s| s.active)
    }

    /// Neighbours of start `start`'s current cell if it is active (empty otherwise).
    ///
    /// # Errors
    /// Unknown start, or the start's cell is not in `lattice`.
    pub fn neighbours(
        &self,
        lattice: &Lattice,
        start: usize,
        out: &mut Vec<u64, MAX_NEIGHBOURS>,
    ) -> Result<(), Error> {
        out.clear();
        let s = self.starts.get(start).ok_or(Error::InvalidParameter {
            what: "start index",
        })?;
        if s.active {
            lattice.neighbours(s.current, out)?;
        }
        Ok(())
    }

    /// Offers the score of a neighbour `index` of start `start` in the running round.
    /// NaN scores are ignored (they never win).
    pub fn offer(&mut self, start: usize, index: u64, score: f64) {
        let Some(s) = self.starts.get_mut(start) else {
            return;
        };
        if !s.active || score.is_nan() {
            return;
        }
        let better = match s.proposal {
            None => true,
            Some((i, sc)) => ranks_before(score, index, sc, i),
        };
        if better {
            s.proposal = Some((index, score));
        }
    }

    /// Ends a round: every active start moves to its best proposal if that is strictly
    /// better than its current score, and retires otherwise. Returns whether any moved.
    pub fn end_round(&mut self) -> bool {
        let mut moved = false;
        for s in self.starts.iter_mut().filter(|s| s.active) {
            match s.proposal.take() {
                Some((index, score)) if score > s.score => {
                    s.current = index;
                    s.score = score;
                    s.moves = s.moves.saturating_add(1);
                    moved = true;
                }
                _ => s.active = false,
            }
        }
        self.rounds = self.rounds.saturating_add(1);
        moved
    }

    /// Stops every start (round limit reached).
    pub fn stop(&mut self) {
        for s in &mut self.starts {
            s.active = false;
            s.proposal = None;
        }
    }

    /// Index of the best start (highest score, ties to the earlier start), if any.
    #[must_use]
    pub fn best(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, s) in self.starts.iter().enumerate() {
            match best {
                None => best = Some(i),
                Some(b) => {
                    if s.score > self.starts[b].score {
                        best = Some(i);
                    }
                }
            }
        }
        best
    }
}
