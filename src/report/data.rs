//! A saved run, loaded and checked before anything is drawn or written: `summary.json` plus
//! every `.hgrm` it references. Loading either succeeds whole or fails naming the file, so
//! `plot` and `report` never overwrite good charts with half a run. Also the orderings every
//! chart and table share (scenarios as run, variants as declared, runtimes by palette order).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::results::hgrm::HgrmRow;
use crate::results::{CaseResult, ResultsError, Summary, parse_hgrm};

/// The metric of a case's primary row (the one with batch times, ideal and throughput).
pub const PRIMARY_METRIC: &str = "latency";

/// One loaded run.
#[derive(Debug, Clone)]
pub struct RunData {
    pub dir: PathBuf,
    pub summary: Summary,
    /// Parsed `.hgrm` rows by the run-relative path the summary gives.
    hgrm: BTreeMap<String, Vec<HgrmRow>>,
}

impl RunData {
    /// Reads `dir/summary.json` and every `.hgrm` its results name. Errors name the file: a
    /// missing or unreadable file, invalid JSON, an unknown schema, an unparsable `.hgrm`, or a
    /// histogram path that would leave the run directory.
    pub fn load(dir: &Path) -> Result<RunData, ResultsError> {
        // `results/latest` moves; the report should name the run itself.
        let dir = &fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let summary = Summary::read(&dir.join("summary.json"))?;
        let mut hgrm = BTreeMap::new();
        for rel in summary.results.iter().filter_map(|r| r.hgrm.as_deref()) {
            if hgrm.contains_key(rel) {
                continue;
            }
            let path = inside(dir, rel)?;
            let text = fs::read_to_string(&path).map_err(|source| ResultsError::Read {
                path: path.clone(),
                source,
            })?;
            let rows = parse_hgrm(&text).map_err(|msg| ResultsError::Corrupt {
                path: path.clone(),
                line: None,
                msg,
            })?;
            hgrm.insert(rel.to_string(), rows);
        }
        Ok(RunData {
            dir: dir.to_path_buf(),
            summary,
            hgrm,
        })
    }

    /// Reads `dir/summary.json` alone: what `compare` needs (rounds and figures are in the
    /// summary), so a run committed without its histogram files, like the reference run,
    /// still compares.
    pub fn load_summary(dir: &Path) -> Result<RunData, ResultsError> {
        let dir = &fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        Ok(RunData {
            dir: dir.to_path_buf(),
            summary: Summary::read(&dir.join("summary.json"))?,
            hgrm: BTreeMap::new(),
        })
    }

    /// The parsed `.hgrm` of a row (values in microseconds), if it has one.
    pub fn hgrm(&self, row: &CaseResult) -> Option<&[HgrmRow]> {
        row.hgrm.as_deref().and_then(|p| self.hgrm.get(p)).map(Vec::as_slice)
    }

    /// Scenario names in the order the run recorded them (results, then failed-only ones).
    pub fn scenarios(&self) -> Vec<&str> {
        let names = self.summary.results.iter().map(|r| r.scenario.as_str());
        unique(names.chain(self.summary.failures.iter().map(|f| f.scenario.as_str())))
    }

    /// Variants of `scenario` in recorded order.
    pub fn variants<'a>(&'a self, scenario: &str) -> Vec<&'a str> {
        unique(self.rows(scenario).map(|r| r.variant.as_str()))
    }

    /// Metrics recorded for `scenario`: the primary one first, then the others as recorded.
    pub fn metrics<'a>(&'a self, scenario: &str) -> Vec<&'a str> {
        let mut m = unique(self.rows(scenario).map(|r| r.metric.as_str()));
        m.sort_by_key(|x| *x != PRIMARY_METRIC);
        m
    }

    /// Every runtime in the run, in palette order.
    pub fn runtimes(&self) -> Vec<&str> {
        let mut v = unique(self.summary.results.iter().map(|r| r.runtime.as_str()));
        v.sort_by(|a, b| super::palette::runtime_order(a, b));
        v
    }

    /// Rows of one scenario × variant × metric, runtimes in palette order.
    pub fn case_rows<'a>(&'a self, scenario: &str, variant: &str, metric: &str) -> Vec<&'a CaseResult> {
        let mut v: Vec<&CaseResult> = self
            .rows(scenario)
            .filter(|r| r.variant == variant && r.metric == metric)
            .collect();
        v.sort_by(|a, b| super::palette::runtime_order(&a.runtime, &b.runtime));
        v
    }

    /// The row holding a case's batch statistics: its `latency` row, or failing that the first
    /// row recorded for the case.
    pub fn primary<'a>(&'a self, scenario: &str, variant: &str, runtime: &str) -> Option<&'a CaseResult> {
        let mut rows = self
            .rows(scenario)
            .filter(|r| r.variant == variant && r.runtime == runtime);
        let first = rows.next()?;
        if first.metric == PRIMARY_METRIC {
            return Some(first);
        }
        rows.find(|r| r.metric == PRIMARY_METRIC).or(Some(first))
    }

    fn rows<'a, 's>(&'a self, scenario: &'s str) -> impl Iterator<Item = &'a CaseResult> + use<'a, 's> {
        self.summary.results.iter().filter(move |r| r.scenario == scenario)
    }
}

/// First occurrences, in order.
fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `dir/rel`, refusing absolute paths and `..` so a hand-edited summary cannot make the report
/// read files outside the run.
fn inside(dir: &Path, rel: &str) -> Result<PathBuf, ResultsError> {
    let p = Path::new(rel);
    if p.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        Ok(dir.join(p))
    } else {
        Err(ResultsError::Corrupt {
            path: dir.join("summary.json"),
            line: None,
            msg: format!("histogram path {rel:?} is not inside the run directory"),
        })
    }
}

/// The newest `asyncbench sweep` beside a run: a `sweep.json` in a sibling directory of `run_dir`
/// (results/sweep-reference beside results/reference; any sweep under results/ beside a run
/// there), newest by its start time. `None` when there is none or none can be read.
pub fn latest_sweep(run_dir: &Path) -> Option<(std::path::PathBuf, crate::sweep::output::SweepReport)> {
    let parent = run_dir.canonicalize().ok()?.parent()?.to_path_buf();
    let mut best: Option<(std::path::PathBuf, crate::sweep::output::SweepReport)> = None;
    for entry in std::fs::read_dir(&parent).ok()?.flatten() {
        let path = entry.path().join("sweep.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(rep) = serde_json::from_str::<crate::sweep::output::SweepReport>(&text) else {
            continue;
        };
        if best.as_ref().is_none_or(|(_, b)| rep.started > b.started) {
            best = Some((path, rep));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_paths_must_stay_inside_the_run() {
        let dir = Path::new("/runs/r1");
        assert!(inside(dir, "hist/a.hgrm").is_ok());
        for bad in ["../x.hgrm", "/etc/passwd", "hist/../../x"] {
            let e = inside(dir, bad).map_err(|e| e.to_string());
            assert!(e.as_ref().is_err_and(|m| m.contains("summary.json")), "{bad}: {e:?}");
        }
    }

    #[test]
    fn unique_keeps_first_occurrence_order() {
        assert_eq!(unique(["b", "a", "b", "c", "a"].into_iter()), vec!["b", "a", "c"]);
    }
}
