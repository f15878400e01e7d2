//! Every way a run can stop, each with its documented process exit code. The errors of
//! one command that [`AppError`] carries (an entries row, an export) are defined here too,
//! so this module depends on no command.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | internal error (a bug: please report it) |
//! | 2 | usage or configuration error (bad flag, bad config value, bad `--previous` file, a params file `export` cannot use) |
//! | 3 | input data error (unreadable layout, invalid bar, unsorted time, bad entry row, …): file and line named; also a profile `export` is asked for that does not ship |
//! | 4 | I/O error (reading inputs, writing outputs, cache) |
//! | 5 | capacity error: the data or configuration needs more than the compiled capacities or `--max-memory` |

use crate::config::ConfigError;
use crate::data::DataError;
use std::path::PathBuf;

/// The key a parameter error raised by the core is reported under.
pub const CORE_PARAMETER_KEY: &str = "profile settings";

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad command line.
    #[error("usage: {0}")]
    Usage(String),
    /// Bad configuration value, or one beyond the compiled capacities
    /// ([`ConfigError::capacity`]: shown as `capacity: config: …`, exit 5).
    #[error("{prefix}config: {0}", prefix = if .0.capacity { "capacity: " } else { "" })]
    Config(#[from] ConfigError),
    /// Bad `--previous` parameters file.
    #[error("{path}: {problem}")]
    Previous {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Bad input data.
    #[error("{0}")]
    Data(#[from] DataError),
    /// Bad row in an entries file (`phasebound exits`): file, line, problem.
    #[error("{0}")]
    Entries(#[from] EntryError),
    /// `phasebound export`: an unusable params file (exit 2) or a profile that does not
    /// ship (exit 3).
    #[error("{0}")]
    Export(#[from] ExportError),
    /// I/O failure on a path.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The run needs more than the compiled capacities allow.
    #[error("capacity: {0}")]
    Capacity(String),
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The process exit code (see the module table).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(e) if e.capacity => 5,
            AppError::Usage(_) | AppError::Config(_) | AppError::Previous { .. } => 2,
            AppError::Data(e) => e.exit_code(),
            AppError::Entries(_) => 3,
            AppError::Export(e) => e.exit_code(),
            AppError::Io { .. } => 4,
            AppError::Capacity(_) => 5,
            AppError::Internal(_) => 1,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AppError::Io {
            path: path.into(),
            source,
        }
    }

    /// Maps a core error raised while running a phase.
    #[must_use]
    pub fn core(e: phasebound_core::Error) -> Self {
        match e {
            phasebound_core::Error::CapacityExceeded { .. } => AppError::Capacity(e.to_string()),
            // Shown as `config: profile settings: invalid parameter: …` (the variant adds
            // the `config:`; the key must not repeat it).
            phasebound_core::Error::InvalidParameter { .. } => AppError::Config(ConfigError {
                key: CORE_PARAMETER_KEY.into(),
                problem: e.to_string(),
                capacity: false,
            }),
            _ => AppError::Internal(e.to_string()),
        }
    }
}

/// A problem with one row of the entries file of `phasebound exits` (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {problem}", path.display())]
pub struct EntryError {
    /// The entries file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

/// Why `phasebound export` refused (see [`crate::export`]).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The params file is unusable: the file, the key and the problem (exit 2).
    #[error("{}: {problem}", path.display())]
    Params {
        /// The params.json.
        path: PathBuf,
        /// What is wrong, naming the key.
        problem: String,
    },
    /// The profile asked for (or every profile) does not ship (exit 3).
    #[error("{}: nothing ships tonight: {problem}; nothing written", path.display())]
    NothingShips {
        /// The params.json.
        path: PathBuf,
        /// Which profile and the reason params.json gives.
        problem: String,
    },
}

impl ExportError {
    /// The process exit code: 2 for an unusable file, 3 for a profile that does not ship.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            ExportError::Params { .. } => 2,
            ExportError::NothingShips { .. } => 3,
        }
    }
}
