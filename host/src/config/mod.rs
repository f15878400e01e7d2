//! The run configuration: every threshold, grid, weight group, horizon, cost and split,
//! with defaults; a TOML file overrides any of them (unknown keys are errors);
//! `phasebound config` prints the defaults as a valid file.
//!
//! Holding times and horizons are in hours here and become bars for the core once the
//! timeframe is known ([`Config::profile`]).
//!
//! By concern: `schema` (the file's tables and how a profile section lays over its
//! defaults), `defaults`, `check` (reading a file and checking its values), `settings`
//! (the core's settings from it) and [`limits`] (the compiled capacities, non-finite
//! numbers).

mod check;
mod defaults;
pub mod limits;
mod schema;
mod settings;

pub use schema::{
    Config, GroupToml, ParamsToml, ProfileToml, Search, Trading, TrailingToml, Validation,
};
pub use settings::hours_to_bars;

/// A configuration problem: the key (dotted path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct ConfigError {
    /// Dotted key, or the file for parse errors.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// The value is valid but beyond the compiled capacities (exit 5, not 2).
    pub capacity: bool,
}

fn err(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
        capacity: false,
    }
}
