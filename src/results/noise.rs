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
    /// The case, `scenario / variant / runtime`.
    pub case: String,
    /// The row's metric (`latency` for a case's own row).
    pub metric: String,
    /// Change of the row's figure from A to B, percent (noise by construction).
    pub change_pct: Option<f64>,
    /// The row's minimum detectable effect, percent of its value.
    pub mde_pct: Option<f64>,
    /// What `compare` called the change: `unchanged`, `inconclusive`, `improvement` or
    /// `REGRESSION` (an A/A pair should give only the first two).
    pub verdict: String,
}

/// The A/A figures of a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// The first run's id.
    pub run_a: String,
    /// The second run's id.
    pub run_b: String,
    /// Over every compared row.
    pub all: NoiseFigures,
    /// Over the cases' own values (primary rows) alone.
    pub primary: NoiseFigures,
    /// Every compared row.
    pub per_row: Vec<NoiseRow>,
    /// A planted A/B pair (`noise --plant`): what the gate caught and falsely flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<PlantOutcome>,
}

/// Run-to-run change and MDE over a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFigures {
    /// Rows compared.
    pub rows: usize,
    /// Rows `compare` called a regression or an improvement (false alarms of the gate).
    pub flagged: usize,
    /// Rows with any significant change, below the gate included ("slower, below the gate"…):
    /// false discoveries of the tests themselves.
    #[serde(default)]
    pub significant: usize,
    /// Median over rows of the absolute A→B change, percent.
    pub median_abs_change_pct: Option<f64>,
    /// 90th percentile over rows of that change, percent.
    pub p90_abs_change_pct: Option<f64>,
    /// The median row's minimum detectable effect: the size of difference
    /// this harness resolves on this machine.
    pub median_mde_pct: Option<f64>,
    /// 90th percentile over rows of the minimum detectable effect, percent.
    pub p90_mde_pct: Option<f64>,
}

/// A percentage as the A/A sentences print it, `—` for none.
fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |x| format!("{x:.1}%"))
}

impl NoiseFigures {
    fn describe(&self) -> String {
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
        let plant = self
            .plant
            .as_ref()
            .map(|p| format!(" {}", p.summary()))
            .unwrap_or_default();
        // Both ends: the median row's MDE alone read as the suite's, and one row in ten
        // resolves only several times that.
        format!(
            "A/A on this machine ({} then {}): {}. The cases' own values: {}. On this machine this harness \
             resolves differences of about {} in the median case's value; one case in ten needs {} or more.{plant}",
            self.run_a,
            self.run_b,
            self.all.describe(),
            self.primary.describe(),
            pct(self.primary.median_mde_pct),
            pct(self.primary.p90_mde_pct),
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

/// What a planted pair showed: the planted scenario's case values flagged, and the rows of the
/// other scenarios (nothing planted there) flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlantOutcome {
    /// `fetch_parallel.delay_ms=+10%` as asked.
    pub plant: String,
    /// The change the scenario file got, percent.
    pub planted_pct: f64,
    /// Primary rows of the planted scenario, and how many were called REGRESSION (or
    /// improvement, for a negative plant) — the gate's power on this change.
    pub affected_rows: usize,
    /// Of `affected_rows`, those called REGRESSION (improvement for a negative plant).
    pub affected_flagged: usize,
    /// Affected rows called "within noise": a change the gate missed entirely.
    pub affected_within_noise: usize,
    /// Every row of the other scenarios, and how many were flagged (false alarms of the gate).
    pub unaffected_rows: usize,
    /// Of `unaffected_rows`, those flagged either way: false alarms.
    pub unaffected_flagged: usize,
    /// The same for the gated rows alone (primary rows: what `--fail-on-regression` reads).
    pub unaffected_gated_rows: usize,
    /// Of `unaffected_gated_rows`, those flagged: false alarms of `--fail-on-regression`.
    pub unaffected_gated_flagged: usize,
}

impl PlantOutcome {
    /// The outcome in one paragraph: the fraction of affected rows flagged and of the others.
    pub fn summary(&self) -> String {
        let frac = |k: usize, n: usize| {
            if n == 0 {
                "—".to_string()
            } else {
                format!("{k} of {n} ({:.0}%)", 100.0 * k as f64 / n as f64)
            }
        };
        format!(
            "Planted A/B ({}, the file got {:+.1}%): affected case values flagged {}, called within noise {}; \
             rows of other scenarios falsely flagged {} (case values {}).",
            self.plant,
            self.planted_pct,
            frac(self.affected_flagged, self.affected_rows),
            frac(self.affected_within_noise, self.affected_rows),
            frac(self.unaffected_flagged, self.unaffected_rows),
            frac(self.unaffected_gated_flagged, self.unaffected_gated_rows),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(median_mde: f64, p90_mde: f64) -> NoiseFigures {
        NoiseFigures {
            rows: 10,
            flagged: 0,
            significant: 0,
            median_abs_change_pct: Some(1.0),
            p90_abs_change_pct: Some(3.0),
            median_mde_pct: Some(median_mde),
            p90_mde_pct: Some(p90_mde),
        }
    }

    /// The verdict names both ends of the MDE: the median row's alone read as the suite's.
    #[test]
    fn the_verdict_names_the_median_and_the_p90_row() {
        let n = Noise {
            run_a: "A".into(),
            run_b: "B".into(),
            all: figures(4.0, 30.0),
            primary: figures(4.2, 31.6),
            per_row: Vec::new(),
            plant: None,
        };
        let s = n.summary();
        assert!(
            s.contains("about 4.2% in the median case's value; one case in ten needs 31.6% or more"),
            "{s}"
        );
    }
}
