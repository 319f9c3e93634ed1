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
    /// Over every compared row.
    pub all: NoiseFigures,
    /// Over the cases' own values (primary rows) alone.
    pub primary: NoiseFigures,
    pub per_row: Vec<NoiseRow>,
}

/// Run-to-run change and MDE over a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFigures {
    pub rows: usize,
    /// Rows `compare` called a regression or an improvement (false alarms of the gate).
    pub flagged: usize,
    /// Rows with any significant change, below the gate included ("slower, below the gate"…):
    /// false discoveries of the tests themselves.
    #[serde(default)]
    pub significant: usize,
    pub median_abs_change_pct: Option<f64>,
    pub p90_abs_change_pct: Option<f64>,
    /// The median row's minimum detectable effect: the size of difference
    /// this harness resolves on this machine.
    pub median_mde_pct: Option<f64>,
    pub p90_mde_pct: Option<f64>,
}

impl NoiseFigures {
    fn describe(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.1}%"));
        format!(
            "{} of {} rows flagged by compare ({:.1}%), {} significant below the gate; run-to-run change median \
             {}, p90 {}; minimum detectable effect median {}, p90 {}",
            self.flagged,
            self.rows,
            100.0 * self.flagged as f64 / self.rows.max(1) as f64,
            self.significant.saturating_sub(self.flagged),
            pct(self.median_abs_change_pct),
            pct(self.p90_abs_change_pct),
            pct(self.median_mde_pct),
            pct(self.p90_mde_pct),
        )
    }
}

impl Noise {
    /// The one-paragraph verdict, for the terminal and the report.
    pub fn summary(&self) -> String {
        format!(
            "A/A on this machine ({} then {}): {}. The cases' own values: {}. On this machine this harness \
             resolves differences of about {} in a case's value.",
            self.run_a,
            self.run_b,
            self.all.describe(),
            self.primary.describe(),
            self.primary
                .median_mde_pct
                .map_or("—".to_string(), |x| format!("{x:.1}%")),
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
