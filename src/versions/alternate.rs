//! The two builds run alternately, one round per process: pair k runs A then B when k is even
//! and B then A when it is odd (A B B A A B …), so a drift of the host over the session falls
//! on both sides alike and each side's round k sits next to the other's. Both processes of a
//! pair get the same case-order seed and the same CPU placement flags; each writes a
//! one-round run directory of its own, gathered afterwards by `merge`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::VersionsError;

/// Side A or B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// The order of `pairs` pairs of rounds: (pair index, side), A B B A A B …
pub fn order(pairs: u32) -> Vec<(u32, Side)> {
    (0..pairs)
        .flat_map(|k| {
            let (first, second) = if k % 2 == 0 {
                (Side::A, Side::B)
            } else {
                (Side::B, Side::A)
            };
            [(k, first), (k, second)]
        })
        .collect()
}

/// What one side runs: its binary, its scenario directory, and the `run` options both sides
/// share (filters, batches, CPU sets).
#[derive(Debug, Clone)]
pub struct Runner {
    pub exe: PathBuf,
    pub scenarios: PathBuf,
    pub run_args: Vec<String>,
}

/// How a round process ended.
#[derive(Debug)]
pub enum RoundOutcome {
    /// Its one-round run directory.
    Done(PathBuf),
    /// Stopped by Ctrl-C (exit 130): its round is incomplete and not kept.
    Interrupted,
}

/// Exit code of an interrupted `asyncbench run`.
const EXIT_INTERRUPTED: i32 = 130;

/// Runs one round of every selected case in a fresh process, into its own results root
/// `root`. `seed` fixes the case order (the same for both sides of a pair).
pub fn run_round(
    runner: &Runner,
    side: Side,
    pair: u32,
    seed: u64,
    root: &Path,
) -> Result<RoundOutcome, VersionsError> {
    let out = Command::new(&runner.exe)
        .arg("run")
        .args(["--rounds", "1", "--allow-errors", "--format", "json"])
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--scenarios")
        .arg(&runner.scenarios)
        .arg("--results")
        .arg(root)
        .args(&runner.run_args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| VersionsError::Io(format!("cannot start {}: {e}", runner.exe.display())))?;
    let which = format!("side {} round {}", side.name(), pair + 1);
    if out.status.code() == Some(EXIT_INTERRUPTED) {
        return Ok(RoundOutcome::Interrupted);
    }
    if !out.status.success() {
        return Err(VersionsError::Run(format!(
            "{which} ({}) exited with {}",
            runner.exe.display(),
            out.status
        )));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        VersionsError::Run(format!(
            "{which}: its output is not the JSON of `run --format json`: {e}"
        ))
    })?;
    let dir = json
        .get("run_dir")
        .and_then(|d| d.as_str())
        .ok_or_else(|| VersionsError::Run(format!("{which}: its output names no run_dir")))?;
    Ok(RoundOutcome::Done(PathBuf::from(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_alternate_which_side_goes_first() {
        let sides: Vec<&str> = order(3).iter().map(|(_, s)| s.name()).collect();
        assert_eq!(sides, ["A", "B", "B", "A", "A", "B"]);
        let pairs: Vec<u32> = order(2).iter().map(|(k, _)| *k).collect();
        assert_eq!(pairs, [0, 0, 1, 1]);
    }
}
