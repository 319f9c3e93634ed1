//! The run-directory lifecycle: create a fresh `<root>/<id>/` that never touches an earlier
//! run, rewrite its summary after every finished round (so an interrupted run keeps what finished),
//! and on completion repoint `<root>/latest`, which only ever names a complete run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{SecondsFormat, Utc};
use hdrhistogram::Histogram;

use super::ResultsError;
use super::atomic::{unique_temp_path, write_atomic};
use super::csv::summary_csv;
use super::env::EnvInfo;
use super::hgrm::write_hgrm;
use super::hlog::{Interval, write_hlog};
use super::run_mode::RunMode;
use super::summary::{CaseFailure, CaseResult, RunInfo, SCHEMA_VERSION, ScenarioInfo, Summary};

const LATEST: &str = "latest";
const SUMMARY_JSON: &str = "summary.json";
const SUMMARY_CSV: &str = "summary.csv";
const HIST_DIR: &str = "hist";
/// Same-second runs on one host get "-2", "-3", ...; past this something is badly wrong.
const MAX_SUFFIX: u32 = 10_000;

/// An in-progress run. Dropping it without [`RunDir::finish`] leaves a `partial: true` run
/// that `latest` never points at.
#[derive(Debug)]
pub struct RunDir {
    root: PathBuf,
    path: PathBuf,
    id: String,
    summary: Summary,
}

impl RunDir {
    /// Creates `root/<id>/` where id = UTC time + host, e.g. "20261125T193814Z-myhost" (host
    /// sanitised to `[A-Za-z0-9-]`); if that exists adds "-2", "-3"… `create_dir` (not
    /// `create_dir_all`) claims the name, so an existing run is never touched, even by a
    /// concurrent process. Creates `root` if missing. Writes env.json and an initial
    /// summary.json (partial: true, no results) and summary.csv, atomically.
    pub fn create(root: &Path, env: EnvInfo, command: String, mode: RunMode) -> Result<RunDir, ResultsError> {
        fs::create_dir_all(root).map_err(|source| ResultsError::CreateDir {
            path: root.to_path_buf(),
            source,
        })?;
        let now = Utc::now();
        let base = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), sanitize_host(&env.host));
        let (id, path) = claim_dir(root, &base)?;
        let summary = Summary {
            schema_version: SCHEMA_VERSION,
            run: RunInfo {
                id: id.clone(),
                started_utc: now.to_rfc3339_opts(SecondsFormat::Secs, true),
                finished_utc: None,
                command,
                mode,
                partial: true,
                rounds: None,
                order_seed: None,
                python_skipped: None,
            },
            env,
            results: Vec::new(),
            failures: Vec::new(),
            harness: None,
            cost_info: None,
            scenarios: Default::default(),
        };
        let run = RunDir {
            root: root.to_path_buf(),
            path,
            id,
            summary,
        };
        let env_path = run.path.join("env.json");
        write_atomic(&env_path, &to_json(&env_path, &run.summary.env)?)?;
        run.write_summary()?;
        Ok(run)
    }

    /// The run directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run id (the directory's name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Records how many rounds each case gets and the seed of their order.
    pub fn set_rounds(&mut self, rounds: u32, seed: u64) {
        self.summary.run.rounds = Some(rounds);
        self.summary.run.order_seed = Some(seed);
    }

    /// Records the harness floor in the summary (written with the next push).
    pub fn set_harness(&mut self, floor: crate::measure::HarnessFloor) {
        self.summary.harness = Some(floor);
    }

    /// Records how the cost figures were taken (written with the next push).
    pub fn set_cost_info(&mut self, info: crate::measure::CostInfo) {
        self.summary.cost_info = Some(info);
    }

    /// Records what a scenario is (guide section, parameters) for the report; written with the
    /// next push.
    pub fn describe_scenario(&mut self, name: &str, info: ScenarioInfo) {
        self.summary.scenarios.insert(name.to_string(), info);
    }

    /// Records the guide's Python side's versions (interpreter and packages) in the
    /// environment and rewrites env.json; the summary gets them with the next push.
    pub fn set_python_env(&mut self, versions: std::collections::BTreeMap<String, String>) -> Result<(), ResultsError> {
        self.summary.env.python = versions;
        let env_path = self.path.join("env.json");
        write_atomic(&env_path, &to_json(&env_path, &self.summary.env)?)
    }

    /// Records why the Python rows were skipped (written with the next push).
    pub fn set_python_skipped(&mut self, reason: String) {
        self.summary.run.python_skipped = Some(reason);
    }

    /// The summary as it stands (what the next push writes).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Writes one case's histograms as `hist/{scenario}__{variant}__{runtime}__{metric}.hgrm`
    /// (microseconds, see `write_hgrm`) and `.hlog` (Interval_Max in milliseconds), names
    /// sanitised to `[A-Za-z0-9_.-]`. Returns their run-relative paths for `CaseResult.hgrm` /
    /// `.hlog`.
    #[allow(clippy::too_many_arguments)] // the signature the rest of the crate codes against
    pub fn write_histograms(
        &self,
        scenario: &str,
        variant: &str,
        runtime: &str,
        metric: &str,
        total: &Histogram<u64>,
        intervals: &[Interval],
        start_time: SystemTime,
    ) -> Result<(String, String), ResultsError> {
        let dir = self.path.join(HIST_DIR);
        fs::create_dir_all(&dir).map_err(|source| ResultsError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        let stem = [scenario, variant, runtime, metric].map(sanitize_name).join("__");
        let (hgrm_name, hlog_name) = (format!("{stem}.hgrm"), format!("{stem}.hlog"));

        write_atomic(&dir.join(&hgrm_name), write_hgrm(total, 1000.0).as_bytes())?;

        let hlog_path = dir.join(&hlog_name);
        let comment = format!(
            "asyncbench run {}: {scenario} / {variant} / {runtime} / {metric}; values recorded in ns",
            self.id
        );
        let bytes = write_hlog(start_time, intervals, 1e6, &comment).map_err(|e| e.for_path(&hlog_path))?;
        write_atomic(&hlog_path, &bytes)?;

        Ok((format!("{HIST_DIR}/{hgrm_name}"), format!("{HIST_DIR}/{hlog_name}")))
    }

    /// Adds results and failures and rewrites summary.json and summary.csv atomically (still
    /// partial). Called after every round so an interrupted run keeps what finished. If the
    /// write fails the additions are kept in memory and the next push or finish retries them.
    pub fn push(&mut self, results: Vec<CaseResult>, failures: Vec<CaseFailure>) -> Result<(), ResultsError> {
        self.push_with(results, failures, &[])
    }

    /// [`RunDir::push`], and the files also hold `provisional`: rows of cases still running
    /// (their scenario not ended), as of their last finished round. They are written, not
    /// kept: the next push replaces them, so after every round the files hold every round
    /// that finished.
    pub fn push_with(
        &mut self,
        results: Vec<CaseResult>,
        failures: Vec<CaseFailure>,
        provisional: &[CaseResult],
    ) -> Result<(), ResultsError> {
        self.summary.results.extend(results);
        self.summary.failures.extend(failures);
        let kept = self.summary.results.len();
        self.summary.results.extend(provisional.iter().cloned());
        let written = self.write_summary();
        self.summary.results.truncate(kept);
        written
    }

    /// Marks the run complete (partial: false, finished_utc set), rewrites the summary files,
    /// then atomically repoints `root/latest` at this run: a `latest.tmp-…` symlink holding the
    /// relative id is renamed over `latest`, so readers see the old or the new target, never a
    /// missing one. Returns the run directory.
    pub fn finish(self) -> Result<PathBuf, ResultsError> {
        self.complete(true)
    }

    /// Marks the run complete as [`RunDir::finish`] does, and repoints `latest` only if
    /// `move_latest`: a run whose cases had errors stays complete but is not what `latest`
    /// names unless the user kept it (`--allow-errors`).
    pub fn complete(mut self, move_latest: bool) -> Result<PathBuf, ResultsError> {
        self.summary.run.partial = false;
        self.summary.run.finished_utc = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
        self.write_summary()?;
        if move_latest {
            point_latest(&self.root, &self.id)?;
        }
        Ok(self.path)
    }

    fn write_summary(&self) -> Result<(), ResultsError> {
        let json_path = self.path.join(SUMMARY_JSON);
        write_atomic(&json_path, &to_json(&json_path, &self.summary)?)?;
        write_atomic(&self.path.join(SUMMARY_CSV), summary_csv(&self.summary).as_bytes())
    }
}

/// Resolves a user-given run: `None` → `root/latest`; otherwise a path to a run directory (or
/// to its summary.json), or a run id under `root`. Errors name the path tried.
pub fn resolve_run(root: &Path, arg: Option<&Path>) -> Result<PathBuf, ResultsError> {
    let dir = match arg {
        None => {
            let latest = root.join(LATEST);
            let target = latest_target(&latest).map_err(|e| ResultsError::NoRun {
                path: latest.clone(),
                reason: format!("no completed run recorded ({e})"),
            })?;
            root.join(target)
        }
        Some(p) if p.is_file() && p.file_name().is_some_and(|n| n == SUMMARY_JSON) => match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
        Some(p) if p.is_dir() => p.to_path_buf(),
        Some(p) if p.is_relative() && root.join(p).is_dir() => root.join(p),
        Some(p) => {
            let reason = if p.is_relative() {
                format!("not a directory, and neither is {}", root.join(p).display())
            } else {
                "not a directory".to_string()
            };
            return Err(ResultsError::NoRun {
                path: p.to_path_buf(),
                reason,
            });
        }
    };
    if !dir.join(SUMMARY_JSON).is_file() {
        return Err(ResultsError::NoRun {
            path: dir,
            reason: format!("it has no {SUMMARY_JSON}"),
        });
    }
    Ok(dir)
}

/// Claims `root/base`, or `root/base-2`, `-3`… with an atomic `create_dir`.
fn claim_dir(root: &Path, base: &str) -> Result<(String, PathBuf), ResultsError> {
    for n in 1..=MAX_SUFFIX {
        let id = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let path = root.join(&id);
        match fs::create_dir(&path) {
            Ok(()) => return Ok((id, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ResultsError::CreateDir { path, source }),
        }
    }
    Err(ResultsError::CreateDir {
        path: root.join(base),
        source: io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{MAX_SUFFIX} runs with this id already exist"),
        ),
    })
}

#[cfg(unix)]
fn point_latest(root: &Path, id: &str) -> Result<(), ResultsError> {
    let latest = root.join(LATEST);
    let tmp = unique_temp_path(root, LATEST);
    let result = std::os::unix::fs::symlink(id, &tmp).and_then(|()| fs::rename(&tmp, &latest));
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ResultsError::Io { path: latest, source });
    }
    Ok(())
}

/// Without symlinks, `latest` is a small text file holding the id, replaced atomically.
#[cfg(not(unix))]
fn point_latest(root: &Path, id: &str) -> Result<(), ResultsError> {
    let _ = unique_temp_path;
    write_atomic(&root.join(LATEST), id.as_bytes())
}

/// What `latest` names: a symlink's (relative) target, or the id inside a plain file.
fn latest_target(latest: &Path) -> io::Result<PathBuf> {
    let meta = fs::symlink_metadata(latest)?;
    if meta.file_type().is_symlink() {
        fs::read_link(latest)
    } else {
        Ok(PathBuf::from(fs::read_to_string(latest)?.trim()))
    }
}

fn to_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, ResultsError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| ResultsError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Host names may hold dots, underscores or worse; ids keep to `[A-Za-z0-9-]` so they are
/// safe in paths, URLs and shell commands. An empty result becomes "host".
pub(crate) fn sanitize_host(host: &str) -> String {
    let s: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .take(63)
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "host".to_string() } else { s }
}

/// File-name component for histogram files: `[A-Za-z0-9_.-]`, everything else becomes `_`.
/// A name made only of dots would read as "." or "..", so it is replaced too.
pub(crate) fn sanitize_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().all(|c| c == '.') {
        "_".repeat(s.len().max(1))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_error_names(r: Result<PathBuf, ResultsError>, path: &Path) -> String {
        let msg = r.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(msg.contains(&path.display().to_string()), "{path:?} not in {msg:?}");
        msg
    }

    #[test]
    fn sanitizes_ids_and_names() {
        assert_eq!(sanitize_host("my_host.example.com"), "my-host-example-com");
        assert_eq!(sanitize_host(""), "host");
        assert_eq!(sanitize_host("--"), "host");
        assert_eq!(sanitize_name("http/1.1 keep-alive"), "http_1.1_keep-alive");
        assert_eq!(sanitize_name(".."), "__");
        assert_eq!(sanitize_name(""), "_");
        assert_eq!(sanitize_name("c=64"), "c_64");
    }

    #[test]
    fn claim_dir_adds_suffixes() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let (a, _) = claim_dir(root.path(), "X")?;
        let (b, _) = claim_dir(root.path(), "X")?;
        let (c, _) = claim_dir(root.path(), "X")?;
        assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("X", "X-2", "X-3"));
        Ok(())
    }

    #[test]
    fn resolve_run_errors_name_the_path() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path();
        let msg = assert_error_names(resolve_run(root, None), &root.join("latest"));
        assert!(msg.contains("no completed run"), "{msg}");
        assert_error_names(
            resolve_run(root, Some(Path::new("20990101T000000Z-x"))),
            Path::new("20990101T000000Z-x"),
        );
        let empty = root.join("empty-run");
        fs::create_dir(&empty)?;
        let msg = assert_error_names(resolve_run(root, Some(&empty)), &empty);
        assert!(msg.contains("summary.json"), "{msg}");
        Ok(())
    }
}
