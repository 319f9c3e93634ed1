//! The harness's own noise floor on a machine, from an A/A pair: the same
//! selection run twice, back to back, then compared. Every change between
//! the two is noise by construction, so what `compare` flags is its false
//! alarm rate here, and the rows' minimum detectable effects say what size
//! of difference this harness resolves on this machine.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Comparison, Verdict, change_pct};
use crate::results::{ResultsError, write_atomic};

/// What `noise.json` holds.
pub const NOISE_JSON: &str = "noise.json";

/// One row of the A/A pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseRow {
    pub case: String,
    pub metric: String,
    /// Change of the row's figure from A to B, percent (noise by construction).
    pub change_pct: Option<f64>,
    pub mde_pct: Option<f64>,
    pub verdict: String,
}

/// The A/A figures of a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub run_a: String,
    pub run_b: String,
    pub rows: usize,
    /// Rows `compare` called a regression or an improvement (false alarms).
    pub flagged: usize,
    pub flagged_pct: f64,
    pub median_abs_change_pct: Option<f64>,
    pub p90_abs_change_pct: Option<f64>,
    /// The median row's minimum detectable effect: the size of difference
    /// this harness resolves on this machine.
    pub median_mde_pct: Option<f64>,
    pub p90_mde_pct: Option<f64>,
    pub per_row: Vec<NoiseRow>,
}

fn quantile(mut v: Vec<f64>, q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    Some(v[i])
}

impl Noise {
    pub fn from_comparison(c: &Comparison) -> Noise {
        let per_row: Vec<NoiseRow> = c
            .rows
            .iter()
            .map(|r| NoiseRow {
                case: format!("{} / {} / {}", r.scenario, r.variant, r.runtime),
                metric: r.metric.clone(),
                change_pct: change_pct(r.rounds).or(change_pct(r.wall)).or(change_pct(r.p50)),
                mde_pct: r.mde_pct,
                verdict: r.verdict.name().to_string(),
            })
            .collect();
        let flagged = c
            .rows
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Regression | Verdict::Improvement))
            .count();
        let abs: Vec<f64> = per_row.iter().filter_map(|r| r.change_pct.map(f64::abs)).collect();
        let mde: Vec<f64> = per_row.iter().filter_map(|r| r.mde_pct).collect();
        Noise {
            run_a: c.a.summary.run.id.clone(),
            run_b: c.b.summary.run.id.clone(),
            rows: c.rows.len(),
            flagged,
            flagged_pct: 100.0 * flagged as f64 / c.rows.len().max(1) as f64,
            median_abs_change_pct: quantile(abs.clone(), 0.5),
            p90_abs_change_pct: quantile(abs, 0.9),
            median_mde_pct: quantile(mde.clone(), 0.5),
            p90_mde_pct: quantile(mde, 0.9),
            per_row,
        }
    }

    /// The one-paragraph verdict, for the terminal, NOISE.md and the report.
    pub fn summary(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.1}%"));
        format!(
            "A/A on this machine ({} then {}): {} of {} rows flagged by compare ({:.1}%); run-to-run change \
             median {}, p90 {}; minimum detectable effect median {}, p90 {}. On this machine this harness \
             resolves differences of about {}.",
            self.run_a,
            self.run_b,
            self.flagged,
            self.rows,
            self.flagged_pct,
            pct(self.median_abs_change_pct),
            pct(self.p90_abs_change_pct),
            pct(self.median_mde_pct),
            pct(self.p90_mde_pct),
            pct(self.median_mde_pct),
        )
    }

    /// Writes `noise.json` into `dir` (the B run: its report then shows it).
    pub fn write(&self, dir: &Path) -> Result<(), ResultsError> {
        let path = dir.join(NOISE_JSON);
        let text = serde_json::to_vec_pretty(self).map_err(|e| ResultsError::Encode {
            path: Some(path.clone()),
            msg: e.to_string(),
        })?;
        write_atomic(&path, &text)
    }

    /// `noise.json` of a run, if it has one.
    pub fn read(dir: &Path) -> Option<Noise> {
        let text = std::fs::read_to_string(dir.join(NOISE_JSON)).ok()?;
        serde_json::from_str(&text).ok()
    }
}
