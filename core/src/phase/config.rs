//! Phase settings shared by the host (filled from TOML) and embedded callers.

use crate::budget::{MAX_LEVELS, MAX_TRAILING};
use crate::error::Error;
use crate::grid::{Coords, Lattice};
use crate::plan::{CellDef, ProfileSpec};
use crate::stats::Objective;
use crate::trade::{ExitParams, Trailing};
use heapless::Vec;

/// Most values of an entry-filter axis (minimum scores).
pub const MAX_FILTER_VALUES: usize = 16;

/// The exit and filter axes of a profile's search lattice.
///
/// Axis order (least significant first): tp, sl, hold, trailing (index 0 = off),
/// minimum score, minimum consensus. Every axis lists its values ascending.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExitSpace {
    /// Take-profit multiples of ATR.
    pub tp: Vec<f64, MAX_LEVELS>,
    /// Stop-loss multiples of ATR.
    pub sl: Vec<f64, MAX_LEVELS>,
    /// Holding times in bars.
    pub hold: Vec<u16, MAX_LEVELS>,
    /// Trailing-stop settings tried besides "off".
    pub trailing: Vec<Trailing, MAX_TRAILING>,
    /// Minimum signal scores.
    pub min_score: Vec<f32, MAX_FILTER_VALUES>,
    /// Minimum consensus values.
    pub min_consensus: Vec<u8, 6>,
}

impl ExitSpace {
    /// Checks that every axis is non-empty, strictly ascending and in range.
    ///
    /// # Errors
    /// The first bad axis.
    pub fn validate(&self) -> Result<(), Error> {
        fn ascending<T: PartialOrd>(v: &[T]) -> bool {
            !v.is_empty() && v.windows(2).all(|w| w[0] < w[1])
        }
        let bad = |what| Err(Error::InvalidParameter { what });
        if !ascending(&self.tp) || self.tp.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return bad("tp axis: non-empty, ascending, finite, > 0");
        }
        if !ascending(&self.sl) || self.sl.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return bad("sl axis: non-empty, ascending, finite, > 0");
        }
        if !ascending(&self.hold) || self.hold.first() == Some(&0) {
            return bad("hold axis: non-empty, ascending, >= 1 bar");
        }
        for t in &self.trailing {
            if !(t.activation.is_finite()
                && t.activation > 0.0
                && t.distance.is_finite()
                && t.distance > 0.0)
            {
                return bad("trailing: activation and distance must be finite and > 0");
            }
        }
        if !ascending(&self.min_score) || self.min_score.iter().any(|x| !(0.0..=100.0).contains(x))
        {
            return bad("min score axis: non-empty, ascending, within 0..=100");
        }
        if !ascending(&self.min_consensus) || self.min_consensus.iter().any(|&x| x > 5) {
            return bad("min consensus axis: non-empty, ascending, within 0..=5");
        }
        Ok(())
    }

    /// The lattice of this space.
    ///
    /// # Errors
    /// An empty axis.
    pub fn lattice(&self) -> Result<Lattice, Error> {
        Lattice::new(&[
            self.tp.len() as u16,
            self.sl.len() as u16,
            self.hold.len() as u16,
            self.trailing.len() as u16 + 1,
            self.min_score.len() as u16,
            self.min_consensus.len() as u16,
        ])
    }

    /// The cell at lattice `index` for weight group `group`.
    ///
    /// # Errors
    /// `index` outside the lattice.
    pub fn cell(&self, lattice: &Lattice, index: u64, group: u8) -> Result<CellDef, Error> {
        let c = lattice.coords(index)?;
        let oob = Error::InvalidParameter {
            what: "lattice coordinate",
        };
        let pick = |v: Option<&f64>| v.copied().ok_or(oob);
        let trailing = match c[3] {
            0 => None,
            k => Some(*self.trailing.get(usize::from(k) - 1).ok_or(oob)?),
        };
        Ok(CellDef {
            group,
            min_score: *self.min_score.get(usize::from(c[4])).ok_or(oob)?,
            min_consensus: *self.min_consensus.get(usize::from(c[5])).ok_or(oob)?,
            exit: ExitParams {
                tp: pick(self.tp.get(usize::from(c[0])))?,
                sl: pick(self.sl.get(usize::from(c[1])))?,
                hold: *self.hold.get(usize::from(c[2])).ok_or(oob)?,
                trailing,
            },
        })
    }

    /// The lattice index of the cell nearest to `cell` (nearest value on each axis;
    /// a trailing stop maps to the nearest listed one, or to "off").
    ///
    /// # Errors
    /// Only if the lattice cannot be built.
    pub fn nearest(&self, lattice: &Lattice, cell: &CellDef) -> Result<u64, Error> {
        fn near<T: Copy>(v: &[T], x: T, d: impl Fn(T, T) -> f64) -> u16 {
            let mut best = 0usize;
            for (i, &y) in v.iter().enumerate() {
                if d(y, x) < d(v[best], x) {
                    best = i;
                }
            }
            best as u16
        }
        let df = |a: f64, b: f64| crate::math::abs(a - b);
        let mut coords: Coords = [0; crate::grid::MAX_DIMS];
        coords[0] = near(&self.tp, cell.exit.tp, df);
        coords[1] = near(&self.sl, cell.exit.sl, df);
        coords[2] = near(&self.hold, cell.exit.hold, |a, b| {
            df(f64::from(a), f64::from(b))
        });
        coords[3] = match cell.exit.trailing {
            None => 0,
            Some(t) if self.trailing.is_empty() => {
                let _ = t;
                0
            }
            Some(t) => {
                1 + near(&self.trailing, t, |a: Trailing, b: Trailing| {
                    df(a.activation, b.activation) + df(a.distance, b.distance)
                })
            }
        };
        coords[4] = near(&self.min_score, cell.min_score, |a, b| {
            df(f64::from(a), f64::from(b))
        });
        coords[5] = near(&self.min_consensus, cell.min_consensus, |a, b| {
            df(f64::from(a), f64::from(b))
        });
        lattice.index(&coords)
    }
}

/// Everything a profile needs for the phases.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileConfig {
    /// Candidate rule, labels, fills and costs.
    pub spec: ProfileSpec,
    /// Exits used to screen signals in Phase 2 (and the search's starting exits).
    pub baseline: ExitParams,
    /// The search lattice (its filter axes are also Phase 2's filter grid).
    pub space: ExitSpace,
    /// Conservative parameters the user configured as a candidate besides the search's
    /// (none by default). They are validated like any other candidate and never ship
    /// unvalidated.
    pub fallback: Option<CellDef>,
}

impl ProfileConfig {
    /// The longest forward window, in bars, of any pass of the profile: its opportunity
    /// horizon or its longest hold (search space, baseline, fallback). A workspace whose
    /// lanes are this deep runs every phase of the profile.
    #[must_use]
    pub fn longest_window(&self) -> u16 {
        let holds = self.space.hold.iter().copied();
        let fixed = [Some(self.baseline.hold), self.fallback.map(|c| c.exit.hold)];
        holds
            .chain(fixed.into_iter().flatten())
            .fold(self.spec.opportunity_horizon, u16::max)
    }

    /// Checks the whole profile once.
    ///
    /// # Errors
    /// The first inconsistency.
    pub fn validate(&self) -> Result<(), Error> {
        self.spec.validate()?;
        self.space.validate()?;
        if !self.baseline.is_valid() {
            return Err(Error::InvalidParameter {
                what: "baseline exits",
            });
        }
        if let Some(f) = &self.fallback
            && (!f.exit.is_valid() || usize::from(f.group) >= self.spec.groups.len())
        {
            return Err(Error::InvalidParameter {
                what: "fallback parameters",
            });
        }
        let loosest_score = self.space.min_score.first().copied().unwrap_or(0.0);
        let loosest_consensus = self.space.min_consensus.first().copied().unwrap_or(0);
        if self.spec.candidate_min_score > loosest_score
            || self.spec.candidate_min_consensus > loosest_consensus
        {
            return Err(Error::InvalidParameter {
                what: "candidate rule must be at most as strict as the loosest filter",
            });
        }
        Ok(())
    }
}

/// Settings of Phases 2–3.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchConfig {
    /// What the search maximizes.
    pub objective: Objective,
    /// Cells with fewer trades score as -infinity.
    pub min_trades: u32,
    /// Round limit of the local search.
    pub max_rounds: u16,
    /// Number of starts (1..=MAX_STARTS).
    pub starts: u8,
}

/// Settings of Phase 4's verdict.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValidationConfig {
    /// Pooled out-of-sample trades needed for PASSED.
    pub min_trades: u32,
    /// Significance level of the one-sided t-test of the pooled daily returns (0.05).
    pub alpha: f64,
}
