//! The exit grid: four axes (take profit, stop loss, trailing stop, holding time) from
//! the command line or the profile's lattice, and their product in grid order.

use phasebound_core::budget::H_MAX;
use phasebound_core::{ExitParams, Trailing};

use super::options::ExitsOptions;
use crate::config::hours_to_bars;
use crate::data;
use crate::error::AppError;

/// Largest grid accepted (cells); larger ones are almost certainly a typo.
pub const MAX_GRID_CELLS: usize = 1 << 20;

/// One axis value of the trailing stop: off, or a pair.
pub type TrailingSetting = Option<Trailing>;

/// The exit grid: the product of four axes, enumerated tp-major, then sl, trailing, hold
/// (hold innermost: cells that differ only in holding time are neighbours, which is the
/// order the engine resolves them in).
#[derive(Clone, Debug, PartialEq)]
pub struct ExitGrid {
    /// Take-profit multipliers (ATRs).
    pub tp: Vec<f64>,
    /// Stop-loss multipliers (ATRs).
    pub sl: Vec<f64>,
    /// Holding times in bars.
    pub hold: Vec<u16>,
    /// Trailing settings.
    pub trailing: Vec<TrailingSetting>,
}

impl ExitGrid {
    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tp.len() * self.sl.len() * self.hold.len() * self.trailing.len()
    }

    /// True when an axis is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every cell's exit parameters, in grid order.
    #[must_use]
    pub fn cells(&self) -> Vec<ExitParams> {
        let mut v = Vec::with_capacity(self.len());
        for &tp in &self.tp {
            for &sl in &self.sl {
                for &trailing in &self.trailing {
                    for &hold in &self.hold {
                        v.push(ExitParams {
                            tp,
                            sl,
                            hold,
                            trailing,
                        });
                    }
                }
            }
        }
        v
    }
}

///
/// # Errors
/// Axes beyond the core's level capacities, holds beyond `H_MAX`, an empty or huge grid.
pub fn resolve_grid(opts: &ExitsOptions, tf: u32) -> Result<ExitGrid, AppError> {
    let p = opts.config.profile_toml(opts.profile);
    let tp = opts.axes.tp.clone().unwrap_or_else(|| p.tp_atr.clone());
    let sl = opts.axes.sl.clone().unwrap_or_else(|| p.sl_atr.clone());
    let hours = opts
        .axes
        .hold_hours
        .clone()
        .unwrap_or_else(|| p.hold_hours.clone());
    let trailing = opts.axes.trailing.clone().unwrap_or_else(|| {
        std::iter::once(None)
            .chain(p.trailing.iter().map(|t| {
                Some(Trailing {
                    activation: t.activation_atr,
                    distance: t.distance_atr,
                })
            }))
            .collect()
    });
    let dedup_f = |v: Vec<f64>| -> Vec<f64> {
        let mut out: Vec<f64> = Vec::with_capacity(v.len());
        for x in v {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    };
    let tp = dedup_f(tp);
    let sl = dedup_f(sl);
    let mut hold: Vec<u16> = Vec::new();
    for h in hours {
        let bars = hours_to_bars(h, tf);
        if bars > H_MAX as u64 {
            return Err(AppError::Capacity(format!(
                "{}: hold {h} h = {bars} bars at {}, over the compiled window capacity H_MAX = {H_MAX} bars; \
                 shorten it or use a longer timeframe",
                axis_key(
                    opts,
                    opts.axes.hold_hours.is_some(),
                    "hold-hours",
                    "hold_hours"
                ),
                data::timeframe_label(tf)
            )));
        }
        if !hold.contains(&(bars as u16)) {
            hold.push(bars as u16);
        }
    }
    let mut trails: Vec<TrailingSetting> = Vec::new();
    for t in trailing {
        if !trails.contains(&t) {
            trails.push(t);
        }
    }
    let grid = ExitGrid {
        tp,
        sl,
        hold,
        trailing: trails,
    };
    if grid.is_empty() {
        return Err(AppError::Usage("the exit grid has no cells".into()));
    }
    if grid.len() > MAX_GRID_CELLS {
        return Err(AppError::Capacity(format!(
            "--tp × --sl × --hold-hours × --trailing: {} cells, over the limit MAX_GRID_CELLS = {MAX_GRID_CELLS}; \
             give fewer values on an axis (or split the grid into several runs)",
            grid.len()
        )));
    }
    Ok(grid)
}

/// How a grid axis is named in messages: its flag, or the profile's config key.
fn axis_key(opts: &ExitsOptions, given: bool, flag: &str, key: &str) -> String {
    if given {
        format!("--{flag}")
    } else {
        format!("{}.{key}", opts.profile.name())
    }
}
