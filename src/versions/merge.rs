//! Gathers one side's one-round run directories (one per process, see `alternate`) into one
//! run directory whose rows carry every round, so `compare` judges them as it judges any run.
//!
//! A row keeps only what its rounds define: the round figures (re-summarised over all rounds by
//! `stats::rounds`), samples and errors summed, and the latency percentiles of the merged
//! per-round histograms. Figures that are one round's own total or estimate (batch statistics,
//! cost per operation, throughput, ratios to ideal and floor, criterion estimates) are left
//! out rather than let one round stand for the row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use crate::results::{CaseResult, Percentiles, ResultsError, Summary, read_hlog, summary_csv, write_atomic};
use crate::stats::rounds::summarize;

/// The note every merged row carries.
pub const MERGED_NOTE: &str = "rounds gathered from separate processes by `asyncbench versions`";

type Key = (String, String, String, String);

fn key(r: &CaseResult) -> Key {
    (
        r.scenario.clone(),
        r.variant.clone(),
        r.runtime.clone(),
        r.metric.clone(),
    )
}

/// A row's merged histogram over every round that wrote one; `None` where a round has none.
fn merged_latency(rounds: &[(&Path, &CaseResult)]) -> Result<Option<Percentiles>, ResultsError> {
    let mut total = Histogram::<u64>::new(3).expect("3 significant digits is valid");
    for (dir, r) in rounds {
        let Some(rel) = r.hlog.as_deref() else {
            return Ok(None);
        };
        let path = dir.join(rel);
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(None);
        };
        let corrupt = |msg: String| ResultsError::Corrupt {
            path: path.clone(),
            line: None,
            msg,
        };
        for (_, _, h) in read_hlog(&bytes).map_err(corrupt)? {
            total
                .add(&h)
                .map_err(|e| corrupt(format!("cannot merge intervals: {e:?}")))?;
        }
    }
    Ok((!total.is_empty()).then(|| Percentiles::from_histogram(&total)))
}

/// The merged row of `rounds` (one per process that has the row, in the order they ran, each
/// with its process's index among the side's processes).
fn merge_row(rounds: &[(usize, &Path, &CaseResult)]) -> Result<CaseResult, ResultsError> {
    let (_, _, first) = rounds[0];
    let mut row = first.clone();
    let mut all = Vec::new();
    for (process, _, r) in rounds {
        if let Some(s) = &r.rounds {
            all.extend(s.rounds.iter().map(|x| crate::stats::rounds::Round {
                // The position is the process's index, which is its pair's: `verdict` pairs A's
                // and B's rounds by it, so a round a process lacks cannot shift the pairing.
                position: *process as u32,
                ..*x
            }));
        }
    }
    row.rounds = summarize(all);
    row.samples = rounds.iter().map(|(_, _, r)| r.samples).sum();
    row.errors = rounds.iter().map(|(_, _, r)| r.errors).sum();
    row.errors_by_kind = Default::default();
    for (_, _, r) in rounds {
        row.errors_by_kind.merge(&r.errors_by_kind);
    }
    let dirs: Vec<(&Path, &CaseResult)> = rounds.iter().map(|(_, d, r)| (*d, *r)).collect();
    row.latency_ns = merged_latency(&dirs)?;
    row.round_plan = None;
    row.wall_ns = None;
    row.criterion = None;
    row.criterion_rounds = Vec::new();
    row.measured_over_ideal = None;
    row.floor_ns = None;
    row.measured_over_floor = None;
    row.throughput_per_s = None;
    row.throughput_unit = None;
    row.hgrm = None;
    row.hlog = None;
    row.values = BTreeMap::new();
    row.cost = None;
    row.notes.push(MERGED_NOTE.to_string());
    Ok(row)
}

/// Writes `out/summary.json` (and summary.csv) for one side from its one-round run
/// directories `dirs` (in running order, process k of the side being its pair k); `crates`
/// (the crate under test and what moved with it, at this side's versions) are recorded in its
/// environment.
/// Rows some round lacks keep the rounds they have; a case that failed in any round is listed
/// as failed.
pub fn merge(dirs: &[PathBuf], out: &Path, id: &str, crates: &[(String, String)]) -> Result<Summary, ResultsError> {
    let summaries: Vec<Summary> = dirs
        .iter()
        .map(|d| Summary::read(&d.join("summary.json")))
        .collect::<Result<_, _>>()?;
    let Some(first) = summaries.first() else {
        return Err(ResultsError::Corrupt {
            path: out.to_path_buf(),
            line: None,
            msg: "no finished round to gather".into(),
        });
    };
    let mut order: Vec<Key> = Vec::new();
    let mut by_key: BTreeMap<Key, Vec<(usize, &Path, &CaseResult)>> = BTreeMap::new();
    for (process, (dir, s)) in dirs.iter().zip(&summaries).enumerate() {
        for r in &s.results {
            let k = key(r);
            if !by_key.contains_key(&k) {
                order.push(k.clone());
            }
            by_key.entry(k).or_default().push((process, dir.as_path(), r));
        }
    }
    let mut merged = first.clone();
    merged.results = order.iter().map(|k| merge_row(&by_key[k])).collect::<Result<_, _>>()?;
    merged.failures = Vec::new();
    for s in &summaries {
        for f in &s.failures {
            if !merged.failures.contains(f) {
                merged.failures.push(f.clone());
            }
        }
    }
    merged.run.id = id.to_string();
    merged.run.rounds = Some(summaries.len() as u32);
    merged.run.order_seed = None;
    merged.run.partial = summaries.iter().any(|s| s.run.partial);
    merged.run.finished_utc = summaries.last().and_then(|s| s.run.finished_utc.clone());
    for (name, version) in crates {
        merged.env.crates.insert(name.clone(), version.clone());
    }
    std::fs::create_dir_all(out).map_err(|source| ResultsError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let json_path = out.join("summary.json");
    let mut bytes = serde_json::to_vec_pretty(&merged).map_err(|source| ResultsError::Json {
        path: json_path.clone(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(&json_path, &bytes)?;
    write_atomic(&out.join("summary.csv"), summary_csv(&merged).as_bytes())?;
    Ok(merged)
}
