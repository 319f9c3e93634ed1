//! The planted A/B self-test of the gate: run B with one scenario parameter changed by a known
//! percentage (`fetch_parallel.delay_ms=+10%`: the server delay every request of that scenario
//! waits), then count how many of the planted scenario's case values `compare` flags and how many
//! rows elsewhere — which nothing changed — it flags falsely.
//!
//! The change is made to a copy of the scenario directory (the files are data, so B runs the
//! same binary on the same code path), and the planted percentage reported is the one the file
//! got after rounding an integer parameter (20 ms + 5% → 21 ms), not the one asked for.

use std::path::{Path, PathBuf};

use super::{Comparison, Verdict};
use crate::report::data::PRIMARY_METRIC;
pub use crate::results::noise::PlantOutcome;

/// A parameter change to plant in run B.
#[derive(Debug, Clone, PartialEq)]
pub struct Plant {
    pub scenario: String,
    pub param: String,
    /// The relative change asked for, percent (+10 for `+10%`).
    pub pct: f64,
}

/// Largest planted change accepted: past it the scenario's own bounds decide little of interest.
const MAX_PLANT_PCT: f64 = 1000.0;

impl std::str::FromStr for Plant {
    type Err = String;

    /// `SCENARIO.PARAM=+PCT%` (or `-PCT%`), e.g. `fetch_parallel.delay_ms=+10%`.
    fn from_str(s: &str) -> Result<Plant, String> {
        let bad = |why: &str| format!("{why}; expected SCENARIO.PARAM=+PCT%, e.g. fetch_parallel.delay_ms=+10%");
        let (target, change) = s.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let (scenario, param) = target
            .split_once('.')
            .ok_or_else(|| bad("no `.` between scenario and parameter"))?;
        let number = change
            .trim()
            .strip_suffix('%')
            .ok_or_else(|| bad("the change must end in %"))?;
        let pct: f64 = number
            .trim_start_matches('+')
            .parse()
            .map_err(|_| bad("the change is not a number"))?;
        if !pct.is_finite() || pct == 0.0 || pct <= -100.0 || pct > MAX_PLANT_PCT {
            return Err(bad(&format!(
                "the change must be non-zero, above -100% and at most +{MAX_PLANT_PCT}%"
            )));
        }
        if scenario.is_empty() || param.is_empty() {
            return Err(bad("empty scenario or parameter name"));
        }
        Ok(Plant {
            scenario: scenario.to_string(),
            param: param.to_string(),
            pct,
        })
    }
}

/// Scales a numeric parameter; its old and new values. Arrays are refused: their elements
/// would round to different planted percentages.
fn scale(v: &mut toml::Value, factor: f64) -> Result<(f64, f64), String> {
    match v {
        toml::Value::Integer(i) => {
            let old = *i as f64;
            let new = (old * factor).round();
            *i = new as i64;
            Ok((old, new))
        }
        toml::Value::Float(f) => {
            let old = *f;
            *f *= factor;
            Ok((old, *f))
        }
        other => Err(format!("is {}, not a number", other.type_str())),
    }
}

impl Plant {
    /// Copies the scenario files of `from` into `to` with the planted change; returns the change
    /// the file actually got, percent (after rounding an integer). Errors name the file and key.
    pub fn apply(&self, from: &Path, to: &Path) -> Result<f64, String> {
        std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
        let entries = std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let mut planted = None;
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut doc: toml::Table = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
            let out = to.join(path.file_name().unwrap_or_default());
            let is_target = doc.get("scenario").and_then(|v| v.as_str()) == Some(self.scenario.as_str());
            if !is_target {
                std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                continue;
            }
            let value = doc
                .get_mut("params")
                .and_then(|p| p.as_table_mut())
                .and_then(|p| p.get_mut(&self.param))
                .ok_or_else(|| format!("{}: no parameter `{}` under [params]", path.display(), self.param))?;
            let (old, new) = scale(value, 1.0 + self.pct / 100.0)
                .map_err(|e| format!("{}: `{}` {e}", path.display(), self.param))?;
            if old == 0.0 || old == new {
                return Err(format!(
                    "{}: `{}` = {old} does not change by {:+}% (zero, or rounding to the same integer)",
                    path.display(),
                    self.param,
                    self.pct
                ));
            }
            let body = toml::to_string(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::write(&out, body).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            planted = Some(100.0 * (new - old) / old);
        }
        planted.ok_or_else(|| format!("{} has no scenario `{}`", from.display(), self.scenario))
    }
}

/// What the planted pair `c` showed (`planted_pct`: the change the file got).
pub fn outcome(c: &Comparison, plant: &Plant, planted_pct: f64) -> PlantOutcome {
    let want = if plant.pct > 0.0 {
        Verdict::Regression
    } else {
        Verdict::Improvement
    };
    let gate = |v: Verdict| matches!(v, Verdict::Regression | Verdict::Improvement);
    let affected: Vec<_> = c
        .rows
        .iter()
        .filter(|r| r.scenario == plant.scenario && r.metric == PRIMARY_METRIC)
        .collect();
    let other: Vec<_> = c.rows.iter().filter(|r| r.scenario != plant.scenario).collect();
    let other_gated: Vec<_> = other.iter().filter(|r| r.metric == PRIMARY_METRIC).collect();
    PlantOutcome {
        plant: format!("{}.{}={:+}%", plant.scenario, plant.param, plant.pct),
        planted_pct,
        affected_rows: affected.len(),
        affected_flagged: affected.iter().filter(|r| r.verdict == want).count(),
        affected_within_noise: affected.iter().filter(|r| r.verdict == Verdict::WithinNoise).count(),
        unaffected_rows: other.len(),
        unaffected_flagged: other.iter().filter(|r| gate(r.verdict)).count(),
        unaffected_gated_rows: other_gated.len(),
        unaffected_gated_flagged: other_gated.iter().filter(|r| gate(r.verdict)).count(),
    }
}

/// Where B's planted scenario files go: a fresh directory under the system's temp dir.
pub fn plant_dir() -> PathBuf {
    std::env::temp_dir().join(format!("asyncbench-plant-{}-{}", std::process::id(), fastrand::u32(..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_reject() {
        let p: Plant = "fetch_parallel.delay_ms=+10%".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.scenario.as_str(), p.param.as_str(), p.pct),
            ("fetch_parallel", "delay_ms", 10.0)
        );
        assert_eq!("a.b=-5%".parse::<Plant>().map(|p| p.pct), Ok(-5.0));
        for bad in [
            "fetch_parallel=+10%",
            "a.b=10",
            "a.b=+x%",
            "a.b=0%",
            "a.b=-100%",
            ".b=5%",
        ] {
            let e = bad.parse::<Plant>().err().unwrap_or_default();
            assert!(e.contains("SCENARIO.PARAM"), "{bad}: {e}");
        }
    }

    #[test]
    fn apply_scales_one_scenario_and_copies_the_rest() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        std::fs::write(
            from.path().join("f.toml"),
            "scenario = \"fetch\"\n[params]\ndelay_ms = 20 # D\nns = [1, 10]\n",
        )
        .unwrap();
        std::fs::write(
            from.path().join("g.toml"),
            "scenario = \"other\"\n[params]\ndelay_ms = 20\n",
        )
        .unwrap();
        let p: Plant = "fetch.delay_ms=+5%".parse().unwrap();
        assert_eq!(p.apply(from.path(), to.path()), Ok(5.0));
        let f: toml::Table = std::fs::read_to_string(to.path().join("f.toml"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(f["params"]["delay_ms"].as_integer(), Some(21));
        let g = std::fs::read_to_string(to.path().join("g.toml")).unwrap();
        assert!(g.contains("delay_ms = 20"), "{g}");
        // Arrays are refused, and so is an integer that rounds back to itself (20 + 1% = 20.2).
        for bad in ["fetch.ns=+50%", "fetch.delay_ms=+1%"] {
            let p: Plant = bad.parse().unwrap();
            let e = p
                .apply(from.path(), tempfile::tempdir().unwrap().path())
                .err()
                .unwrap_or_default();
            assert!(e.contains("f.toml"), "{bad}: {e}");
        }
        let missing: Plant = "fetch.nope=+5%".parse().unwrap();
        let e = missing.apply(from.path(), to.path()).err().unwrap_or_default();
        assert!(e.contains("f.toml") && e.contains("nope"), "{e}");
        let unknown: Plant = "zzz.delay_ms=+5%".parse().unwrap();
        assert!(unknown.apply(from.path(), to.path()).is_err());
    }
}
