//! The Python side's JSON (contract 1, see `python/asyncbench_py/__init__.py`) into
//! [`CaseRecord`]s: each batch's histograms are decoded (V2 compressed, the encoding
//! `.hlog` lines use) and added to the same recorders a Rust case fills, so the rows,
//! files and statistics come from the one code path in `harness::session`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use serde::Deserialize;

use crate::measure::{CaseRecord, ErrorKind};
use crate::scenario::{CaseSpec, ScenarioDef};

/// The contract version this reader knows.
pub const CONTRACT: u32 = 1;

#[derive(Debug, Deserialize)]
pub struct PyRun {
    pub contract: u32,
    pub scenario: String,
    #[serde(default)]
    pub cases: Vec<PyCase>,
    #[serde(default)]
    pub skipped: Vec<PySkipped>,
}

#[derive(Debug, Deserialize)]
pub struct PyCase {
    pub variant: String,
    pub runtime: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub ops_per_batch: u64,
    pub rounds: Vec<PyRound>,
}

#[derive(Debug, Deserialize)]
pub struct PyRound {
    pub position: u32,
    pub batches: Vec<PyBatch>,
}

#[derive(Debug, Deserialize)]
pub struct PyBatch {
    pub wall_ns: u64,
    #[serde(default)]
    pub latency: Option<String>,
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
pub struct PySkipped {
    pub variant: String,
    pub runtime: String,
    pub reason: String,
}

/// Reads and checks the file the Python side wrote.
pub fn read(path: &Path) -> Result<PyRun, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let run: PyRun = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if run.contract != CONTRACT {
        return Err(format!(
            "{}: contract {} (this build reads {CONTRACT})",
            path.display(),
            run.contract
        ));
    }
    Ok(run)
}

/// Decodes one base64 V2 (compressed or not) histogram.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e:?}"))
}

/// Names that must be `&'static str` in a [`CaseRecord`] (metric and value names, the
/// unit). They come from a small fixed set in the Python modules, so leaking each
/// distinct one once is bounded.
fn intern(s: &str) -> &'static str {
    use std::sync::Mutex;
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == s) {
        return n;
    }
    let n: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.push(n);
    n
}

fn error_kind(name: &str) -> ErrorKind {
    ErrorKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or(ErrorKind::Invalid)
}

/// One round of a Python case as the record a Rust round produces.
pub fn round_record(round: &PyRound) -> Result<CaseRecord, String> {
    let mut rec = CaseRecord::default();
    for b in &round.batches {
        let wall = Duration::from_nanos(b.wall_ns);
        rec.wall.record(wall);
        rec.wall_samples.push(b.wall_ns);
        if let Some(l) = &b.latency {
            let h = decode(l)?;
            rec.ops += h.len();
            rec.latency.record_histogram(&h);
            // The batch's own p99: the within-round spread of a round's p99.
            let p99 = (!h.is_empty()).then(|| crate::stats::hdr::percentile(&h, 99.0) as f64);
            rec.keep_batch_quantile(crate::measure::LATENCY_P99, p99);
            let p50 = (!h.is_empty()).then(|| crate::stats::hdr::percentile(&h, 50.0) as f64);
            rec.keep_batch_quantile(crate::measure::LATENCY_P50, p50);
        }
        for (name, text) in &b.extra {
            let h = decode(text).map_err(|e| format!("{name}: {e}"))?;
            let p50 = (!h.is_empty()).then(|| crate::stats::hdr::percentile(&h, 50.0) as f64);
            rec.keep_batch_quantile(intern(name), p50);
            let r = rec.extra.entry(intern(name)).or_default();
            r.record_histogram(&h);
            r.tick();
        }
        for (name, v) in &b.values {
            rec.values.entry(intern(name)).or_default().add(*v);
        }
        for (kind, n) in &b.errors {
            rec.errors.add(error_kind(kind), *n);
            rec.ops += n;
        }
        rec.busy += wall;
        rec.latency.tick();
        rec.wall.tick();
    }
    Ok(rec)
}

/// The case spec a Python row takes: the Rust case of the same variant label (its
/// ideal, unit and operation count apply), or, for a Python-only variant, one
/// without an ideal. The flavor field is a placeholder: the row's runtime is the
/// Python one.
fn spec_for(s: &dyn ScenarioDef, c: &PyCase) -> Option<CaseSpec> {
    let mut spec = s.cases().into_iter().find(|r| r.variant == c.variant);
    if spec.is_none() {
        let any = s.cases().into_iter().next()?;
        spec = Some(CaseSpec {
            variant: c.variant.clone(),
            ideal: None,
            ops_per_batch: c.ops_per_batch,
            unit: intern(if c.unit.is_empty() { "ops" } else { &c.unit }),
            notes: Vec::new(),
            ..any
        });
    }
    let mut spec = spec?;
    // The Rust case's notes describe the Rust code; the row gets the Python idiom instead.
    spec.notes.clear();
    if !c.note.is_empty() {
        spec.notes.push(format!("{}: {}", c.runtime, c.note));
    }
    Some(spec)
}

/// What the Python side produced for one scenario, for the harness to record: this module
/// hands back data and never touches the session, so `python` sits below `harness`.
pub enum Outcome {
    /// One round of a Python case; `case` is the Rust case it mirrors (ideal, unit).
    Round {
        case: CaseSpec,
        runtime: &'static str,
        rec: Box<CaseRecord>,
        position: u32,
    },
    /// A Python case that failed or never ran (`variant` `*`: all of that runtime's cases).
    Failed {
        variant: String,
        runtime: String,
        error: String,
    },
}

/// Every runtime's `*` failure with `error`: the whole Python side of a scenario failed.
pub fn all_failed(error: &str) -> Vec<Outcome> {
    super::RUNTIMES
        .into_iter()
        .map(|rt| Outcome::Failed {
            variant: "*".into(),
            runtime: rt.into(),
            error: error.to_string(),
        })
        .collect()
}

/// The Python side's rows (and its failures) as outcomes for scenario `s`.
pub fn outcomes(s: &dyn ScenarioDef, run: PyRun) -> Vec<Outcome> {
    if run.scenario != s.header().name {
        return all_failed(&format!(
            "the Python side answered for `{}`, not `{}`",
            run.scenario,
            s.header().name
        ));
    }
    let mut out = Vec::new();
    let failed = |variant: &str, runtime: &str, error: String| Outcome::Failed {
        variant: variant.to_string(),
        runtime: runtime.to_string(),
        error,
    };
    for c in &run.cases {
        let Some(runtime) = super::RUNTIMES.into_iter().find(|r| *r == c.runtime) else {
            out.push(failed(&c.variant, &c.runtime, "unknown Python runtime".into()));
            continue;
        };
        let Some(spec) = spec_for(s, c) else {
            continue;
        };
        for round in &c.rounds {
            match round_record(round) {
                Ok(rec) => out.push(Outcome::Round {
                    case: spec.clone(),
                    runtime,
                    rec: Box::new(rec),
                    position: round.position,
                }),
                Err(e) => {
                    out.push(failed(&c.variant, runtime, e));
                    break;
                }
            }
        }
    }
    for k in &run.skipped {
        out.push(failed(&k.variant, &k.runtime, k.reason.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `encode([1000, 2000, 3000, 40_000_000, 0])` from `asyncbench_py.core` (hdrhistogram
    /// 0.10.8): the Python side's encoding, decoded by the Rust crate, gives back the planted
    /// values (0 is stored as 1 ns on both sides).
    const PY_ENCODED: &str = "HISTFAAAADB4nJNpmSzMwMDAzwABzFCaEch0M9ixgMH+A1SA6TQ/01l+pqkcTGdvMzIBAK9hCGE=";

    #[test]
    fn a_python_encoded_histogram_decodes_to_its_planted_values() {
        let h = decode(PY_ENCODED).unwrap();
        assert_eq!(h.len(), 5);
        assert_eq!(h.min(), 1);
        for v in [1000u64, 2000, 3000] {
            assert_eq!(h.count_at(v), 1, "{v}");
        }
        // 3 significant digits: 40 ms lands in a bucket equivalent to it.
        assert!(h.equivalent(h.max(), 40_000_000), "{}", h.max());
    }

    #[test]
    fn a_round_becomes_the_record_a_rust_round_would_be() {
        let round = PyRound {
            position: 3,
            batches: vec![
                PyBatch {
                    wall_ns: 10_000_000,
                    latency: Some(PY_ENCODED.into()),
                    errors: [("timeout".to_string(), 2), ("weird".to_string(), 1)].into(),
                    extra: [("loop_lag".to_string(), PY_ENCODED.to_string())].into(),
                    values: [("victim_requests".to_string(), 4.0)].into(),
                },
                PyBatch {
                    wall_ns: 30_000_000,
                    latency: None,
                    errors: BTreeMap::new(),
                    extra: BTreeMap::new(),
                    values: [("victim_requests".to_string(), 8.0)].into(),
                },
            ],
        };
        let rec = round_record(&round).unwrap();
        assert_eq!(rec.batches(), 2);
        assert_eq!(rec.wall_samples, vec![10_000_000, 30_000_000]);
        assert_eq!(rec.latency.len(), 5);
        assert_eq!(rec.extra["loop_lag"].len(), 5);
        assert_eq!(rec.errors.total(), 3);
        // An unknown kind is counted, as `invalid`.
        assert_eq!(
            rec.errors
                .iter()
                .find(|(k, _)| *k == ErrorKind::Invalid)
                .map(|(_, n)| n),
            Some(1)
        );
        assert_eq!(rec.value("victim_requests"), Some(6.0));
        assert_eq!(rec.busy, Duration::from_millis(40));
        let f = rec.round_figures();
        assert_eq!((f.wall_mean, f.batches), (20_000_000.0, 2));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode("not base64 !").is_err());
        assert!(decode("SGVsbG8=").is_err());
    }
}
