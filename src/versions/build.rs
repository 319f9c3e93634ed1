//! Building one side: the `asyncbench` binary of a scratch copy (see `resolve`), in release,
//! with `--locked` (the resolved lockfile is the experiment) and a target directory per resolved
//! version, so a rerun of the same pair rebuilds incrementally and the two sides never share
//! build output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::VersionsError;
use super::resolve::cargo;

/// Lines of cargo's output kept in a build failure's message.
const ERROR_LINES: usize = 12;

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
        return Err(VersionsError::Build {
            side: side.to_string(),
            msg: first_error(&String::from_utf8_lossy(&out.stderr)),
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

/// The first compiler error of cargo's output with a few lines of its context, and cargo's
/// closing line: the cause, not the tail of the last note (or the last lines without an error).
fn first_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("error")) else {
        return lines[lines.len().saturating_sub(ERROR_LINES)..].join("\n");
    };
    let mut out: Vec<&str> = lines[start..].iter().take(ERROR_LINES).copied().collect();
    if let Some(last) = lines.iter().rev().find(|l| l.starts_with("error: could not compile"))
        && !out.contains(last)
    {
        out.push("...");
        out.push(last);
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_failure_shows_its_first_error_and_cargos_verdict() {
        let mut stderr =
            String::from("   Compiling tokio v1.51.0\nerror[E0599]: no function `register_with_interest`\n");
        for i in 0..30 {
            stderr.push_str(&format!("  note line {i}\n"));
        }
        stderr.push_str("error: could not compile `asyncbench` (lib) due to 1 previous error\n");
        let msg = first_error(&stderr);
        assert!(
            msg.starts_with("error[E0599]: no function `register_with_interest`"),
            "{msg}"
        );
        assert!(
            msg.ends_with("error: could not compile `asyncbench` (lib) due to 1 previous error"),
            "{msg}"
        );
        assert!(!msg.contains("note line 20"), "{msg}");
        assert_eq!(first_error("a\nb"), "a\nb");
    }
}
