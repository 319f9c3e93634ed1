//! Where run directories go, and the rule that chose it: `--results`, `ASYNCBENCH_RESULTS`, the
//! crate's `results/` inside its source tree, `./results` elsewhere, `target/` under `cargo test`.
//! Shared by `cargo bench` and the CLI; `--help` states which part of the rule applies here.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::Process;

/// The environment variable that moves run directories, for `cargo bench` and the CLI alike.
pub const RESULTS_ENV: &str = "ASYNCBENCH_RESULTS";

/// Where run directories go, and the rule that chose it (`--help` says which applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsRoot {
    pub path: PathBuf,
    pub rule: ResultsRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsRule {
    /// `--results`.
    Flag,
    /// `ASYNCBENCH_RESULTS`.
    Env,
    /// The working directory is inside the source tree: the crate's `results/`.
    SourceTree,
    /// Anywhere else (an installed binary): `./results`.
    WorkingDir,
    /// `cargo test`: under `target/`, whatever else is set, so smoke runs never mix with real ones.
    TestMode,
}

impl ResultsRule {
    pub fn describe(self) -> &'static str {
        match self {
            ResultsRule::Flag => "given by --results",
            ResultsRule::Env => "from ASYNCBENCH_RESULTS",
            ResultsRule::SourceTree => "the crate's results/: the working directory is inside its source tree",
            ResultsRule::WorkingDir => "./results: the working directory is outside the source tree",
            ResultsRule::TestMode => "test mode: under target/",
        }
    }
}

impl ResultsRoot {
    /// The rule, as a pure function of its inputs: `--results`, then `ASYNCBENCH_RESULTS` (unless
    /// empty), then the crate's `results/` when `cwd` is inside `manifest_dir`, else
    /// `cwd/results`.
    pub fn choose(flag: Option<&Path>, env: Option<&OsStr>, cwd: &Path, manifest_dir: &Path) -> ResultsRoot {
        let (path, rule) = match (flag, env) {
            (Some(f), _) => (f.to_path_buf(), ResultsRule::Flag),
            (None, Some(e)) if !e.is_empty() => (PathBuf::from(e), ResultsRule::Env),
            _ if cwd.starts_with(manifest_dir) => (manifest_dir.join("results"), ResultsRule::SourceTree),
            _ => (cwd.join("results"), ResultsRule::WorkingDir),
        };
        ResultsRoot { path, rule }
    }

    /// Test-mode runs (`cargo test` smoke-running the suite) go under `target/`.
    pub fn test_mode(manifest_dir: &Path) -> ResultsRoot {
        ResultsRoot {
            path: manifest_dir.join("target").join("asyncbench-test-results"),
            rule: ResultsRule::TestMode,
        }
    }

    /// The rule applied to this process, without a `--results` flag.
    pub fn current() -> ResultsRoot {
        let p = Process::current();
        ResultsRoot::choose(None, p.results_env.as_deref(), &p.cwd, &p.manifest_dir)
    }
}

/// The crate's source directory, resolved like the working directory (symlinks followed) so the
/// two compare; as compiled in when it no longer exists (an installed binary).
pub fn manifest_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

pub(super) fn current_dir() -> PathBuf {
    std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `--results`'s short help: where runs go here and now.
pub fn results_help() -> String {
    format!(
        "Where run directories live [here: {}]",
        ResultsRoot::current().path.display()
    )
}

/// `--results`'s long help: the rule, and which part of it applies here and now.
pub fn results_long_help() -> String {
    let here = ResultsRoot::current();
    format!(
        "Where run directories live. Default: ${RESULTS_ENV} if set; else the crate's results/ when the \
         working directory is inside its source tree ({}), ./results otherwise.\n\nHere: {} ({})",
        manifest_dir().display(),
        here.path.display(),
        here.rule.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "/src/asyncbench";

    fn choose(flag: Option<&str>, env: Option<&str>, cwd: &str) -> ResultsRoot {
        ResultsRoot::choose(
            flag.map(Path::new),
            env.map(OsStr::new),
            Path::new(cwd),
            Path::new(MANIFEST),
        )
    }

    #[test]
    fn results_default_to_the_crate_inside_the_source_tree() {
        for cwd in [MANIFEST, "/src/asyncbench/benches", "/src/asyncbench/target/debug"] {
            let r = choose(None, None, cwd);
            assert_eq!(r.path, Path::new("/src/asyncbench/results"), "{cwd}");
            assert_eq!(r.rule, ResultsRule::SourceTree);
        }
    }

    #[test]
    fn results_default_to_the_working_directory_outside_it() {
        // A sibling whose name merely starts with the crate's is outside.
        for cwd in ["/home/me/runs", "/src/asyncbench-old", "/"] {
            let r = choose(None, None, cwd);
            assert_eq!(r.path, Path::new(cwd).join("results"), "{cwd}");
            assert_eq!(r.rule, ResultsRule::WorkingDir);
        }
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_default() {
        let r = choose(Some("/flag"), Some("/env"), MANIFEST);
        assert_eq!((r.path.as_path(), r.rule), (Path::new("/flag"), ResultsRule::Flag));
        let r = choose(None, Some("/env"), "/elsewhere");
        assert_eq!((r.path.as_path(), r.rule), (Path::new("/env"), ResultsRule::Env));
        // An empty variable is unset, as shells mean it.
        assert_eq!(choose(None, Some(""), "/elsewhere").rule, ResultsRule::WorkingDir);
    }

    #[test]
    fn test_mode_runs_stay_under_target() {
        let r = ResultsRoot::test_mode(Path::new(MANIFEST));
        assert!(r.path.starts_with("/src/asyncbench/target"), "{}", r.path.display());
    }
}
