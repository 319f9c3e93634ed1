//! Building one side: the `asyncbench` binary of a scratch copy (see `resolve`), in release,
//! with `--locked` (the resolved lockfile is the experiment) and a target directory per resolved
//! version, so a rerun of the same pair rebuilds incrementally and the two sides never share
//! build output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::VersionsError;
use super::resolve::cargo;

/// Lines of cargo's output kept in a build failure's message.
const TAIL_LINES: usize = 25;

/// Builds the scratch copy at `scratch` into `target_dir`; returns the binary's path. A
/// failure names `side` and carries the end of cargo's output.
pub(super) fn build(side: &str, scratch: &Path, target_dir: &Path) -> Result<PathBuf, VersionsError> {
    eprintln!(
        "asyncbench versions: building side {side} ({}) into {}",
        scratch.display(),
        target_dir.display()
    );
    let out = Command::new(cargo())
        .current_dir(scratch)
        .args(["build", "--release", "--locked", "--bin", "asyncbench", "--target-dir"])
        .arg(target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| VersionsError::Io(format!("cannot run cargo build in {}: {e}", scratch.display())))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
        return Err(VersionsError::Build {
            side: side.to_string(),
            msg: tail,
        });
    }
    let exe = target_dir.join("release").join("asyncbench");
    if !exe.is_file() {
        return Err(VersionsError::Build {
            side: side.to_string(),
            msg: format!("cargo reported success but {} is missing", exe.display()),
        });
    }
    Ok(exe)
}
