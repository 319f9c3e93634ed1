//! Results of a benchmark run: the on-disk schema, the output formats (JSON, CSV, `.hgrm`,
//! `.hlog`) and the run-directory lifecycle. This file owns the module layout, the re-exports
//! and the single error type every part of it returns.
//!
//! Layout of a run directory (see [`run_dir`]):
//!
//! ```text
//! <root>/
//!   latest -> 20261125T193814Z-myhost      (relative symlink; only ever names a finished run)
//!   20261125T193814Z-myhost/
//!     env.json                             (EnvInfo, written once at creation)
//!     summary.json                         (Summary; rewritten atomically after every scenario)
//!     summary.csv                          (one row per CaseResult)
//!     hist/<scenario>__<variant>__<runtime>__<metric>.hgrm|.hlog
//! ```

// What users read on disk and script against: every public item and field says what it means,
// its unit and when it is absent (the schema's descriptions are these comments). A warning
// here, an error in CI and for helpers (`cargo clippy --all-targets -- -D warnings`), so a
// half-merged branch still builds.
#![warn(missing_docs)]

pub mod atomic;
pub mod comparison;
pub mod csv;
pub mod env;
pub mod figures;
pub mod hgrm;
pub mod hlog;
pub mod noise;
pub mod run_dir;
pub mod run_mode;
pub mod schema;
pub mod summary;

use std::io;
use std::path::{Path, PathBuf};

pub use crate::stats::hdr::percentile;
pub use atomic::write_atomic;
pub use comparison::{By, Compared, Comparison, Figure, Side};
pub use csv::summary_csv;
pub use env::{EnvInfo, collect as collect_env};
pub use hgrm::{parse_hgrm, value_at_percentile, write_hgrm};
pub use hlog::{Interval, read_hlog, write_hlog};
pub use run_dir::{RunDir, resolve_run};
pub use run_mode::RunMode;
pub use summary::{
    CaseFailure, CaseResult, CriterionEstimate, CriterionRound, MIN_SCHEMA_VERSION, Percentiles, RunInfo,
    SCHEMA_VERSION, ScenarioInfo, Summary, WallStats,
};

/// Everything that can go wrong while reading or writing results. Every variant names the file
/// or directory concerned, because "permission denied" alone is useless when a run writes dozens
/// of files.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// Writing (or renaming, or syncing) a file failed.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// Reading a file failed (including "it does not exist").
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// Creating a directory failed (read-only root, a parent that is a regular file, ...).
    #[error("cannot create directory {}: {source}", .path.display())]
    CreateDir {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// The file is readable but its content is not what we expect.
    #[error("corrupt {}{}: {msg}", .path.display(), line_suffix(.line))]
    Corrupt {
        /// The file or directory concerned.
        path: PathBuf,
        /// The 1-based line of the problem, where the format has lines.
        line: Option<usize>,
        /// What is wrong.
        msg: String,
    },

    /// The file is not valid JSON, or not the JSON shape we expect. serde_json's message
    /// already carries "at line L column C".
    #[error("invalid JSON in {}: {source}", .path.display())]
    Json {
        /// The file or directory concerned.
        path: PathBuf,
        /// serde_json's error, with line and column.
        source: serde_json::Error,
    },

    /// A summary written by a newer (or unknown) schema; refusing is safer than misreading it.
    #[error(
        "{}: unsupported schema_version {found} (this build reads versions {oldest} to {supported})",
        .path.display()
    )]
    Schema {
        /// The file or directory concerned.
        path: PathBuf,
        /// The file's `schema_version`.
        found: u64,
        /// The oldest version this build reads.
        oldest: u32,
        /// The newest version this build reads (the one it writes).
        supported: u32,
    },

    /// A user-given run (or `latest`) does not resolve to a run directory.
    #[error("no run at {}: {reason}", .path.display())]
    NoRun {
        /// The file or directory concerned.
        path: PathBuf,
        /// Why it is not a run (missing, no summary.json, …).
        reason: String,
    },

    /// Encoding a histogram failed. `path` is `None` while the bytes are still in memory
    /// (`write_hlog`), and filled in once the caller knows which file they were meant for.
    #[error("cannot encode histogram for {}: {msg}", display_opt(.path.as_deref()))]
    Encode {
        /// The file the bytes were meant for, once known.
        path: Option<PathBuf>,
        /// The encoder's error.
        msg: String,
    },
}

impl ResultsError {
    /// Attaches the destination file to an in-memory encoding error; other variants already
    /// carry their path and are returned unchanged.
    pub fn for_path(self, target: &Path) -> ResultsError {
        match self {
            ResultsError::Encode { path: None, msg } => ResultsError::Encode {
                path: Some(target.to_path_buf()),
                msg,
            },
            other => other,
        }
    }

    /// The path this error is about, when it has one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ResultsError::Io { path, .. }
            | ResultsError::Read { path, .. }
            | ResultsError::CreateDir { path, .. }
            | ResultsError::Corrupt { path, .. }
            | ResultsError::Json { path, .. }
            | ResultsError::Schema { path, .. }
            | ResultsError::NoRun { path, .. } => Some(path),
            ResultsError::Encode { path, .. } => path.as_deref(),
        }
    }
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

fn display_opt(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string())
        .unwrap_or_else(|| "an in-memory interval log".to_string())
}
