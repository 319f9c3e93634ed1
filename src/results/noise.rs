//! `noise.json`: the harness's A/A noise floor on a machine (written by `asyncbench noise`
//! into the second run of the pair, shown by that run's report).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ResultsError, write_atomic};

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
    /// The same figures over the cases' own values (primary rows) alone.
    #[serde(default)]
    pub primary: Option<NoiseFigures>,
    pub per_row: Vec<NoiseRow>,
}

/// Run-to-run change and MDE over a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFigures {
    pub rows: usize,
    pub flagged: usize,
    pub median_abs_change_pct: Option<f64>,
    pub p90_abs_change_pct: Option<f64>,
    pub median_mde_pct: Option<f64>,
    pub p90_mde_pct: Option<f64>,
}

impl Noise {
    /// The one-paragraph verdict, for the terminal, NOISE.md and the report.
    pub fn summary(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.1}%"));
        let all = format!(
            "A/A on this machine ({} then {}): {} of {} rows flagged by compare ({:.1}%); run-to-run change \
             median {}, p90 {}; minimum detectable effect median {}, p90 {}.",
            self.run_a,
            self.run_b,
            self.flagged,
            self.rows,
            self.flagged_pct,
            pct(self.median_abs_change_pct),
            pct(self.p90_abs_change_pct),
            pct(self.median_mde_pct),
            pct(self.p90_mde_pct),
        );
        match &self.primary {
            Some(p) => format!(
                "{all} The cases' own values ({} rows, {} flagged): change median {}, p90 {}; minimum \
                 detectable effect median {}, p90 {}. On this machine this harness resolves differences of \
                 about {} in a case's value.",
                p.rows,
                p.flagged,
                pct(p.median_abs_change_pct),
                pct(p.p90_abs_change_pct),
                pct(p.median_mde_pct),
                pct(p.p90_mde_pct),
                pct(p.median_mde_pct),
            ),
            None => format!(
                "{all} On this machine this harness resolves differences of about {}.",
                pct(self.median_mde_pct)
            ),
        }
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
