//! A case's rounds become summary rows: the published value over rounds,
//! ideal and floor ratios, throughput, and the `.hgrm`/`.hlog` files with
//! one time origin per case.

use std::time::{Instant, SystemTime};

use super::{Pending, Session};
use crate::measure::Recorder;
use crate::results::{CaseResult, Interval, Percentiles, WallStats};
use crate::scenario::CaseRecord;
use crate::stats::rounds::{self, Round};

impl Session {
    /// Turns one case's merged rounds into summary rows and writes its
    /// `.hgrm` and `.hlog` files.
    pub(super) fn finalize(&mut self, scenario: &str, p: Pending) {
        let runtime = p.runtime();
        let Pending {
            case,
            rec,
            rounds: figures,
            criterion,
            external,
        } = p;
        let name = scenario.to_string();
        // One time origin for every log of the case: its first interval.
        let origin = rec.first_start().unwrap_or_else(Instant::now);
        let base = SystemTime::now() - Instant::now().saturating_duration_since(origin);
        let values = rec.value_means();
        let batches = rec.batches();
        let CaseRecord {
            latency,
            extra,
            wall_samples,
            errors,
            busy,
            cost,
            ops,
            ..
        } = rec;
        let samples = latency.len();
        let wall = WallStats::from_samples(&wall_samples);
        let latency_ns = (samples > 0).then(|| Percentiles::from_histogram(latency.histogram()));
        let files = self.write_files(&name, &case.variant, runtime, "latency", latency, origin, base);
        let primary_rounds = rounds::summarize(
            figures
                .iter()
                .map(|(pos, f)| Round {
                    position: *pos,
                    mean: f.wall_mean,
                    stddev: f.wall_stddev,
                    batches: f.batches,
                })
                .collect(),
        );
        // The published value is the mean over rounds where there are rounds.
        let published = primary_rounds
            .as_ref()
            .map(|r| r.mean)
            .or(wall.as_ref().map(|w| w.mean));
        let measured_over_ideal = match (&case.ideal, published) {
            (Some(i), Some(m)) if i.ns > 0 => Some(m / i.ns as f64),
            _ => None,
        };
        let mut notes = case.notes.clone();
        let floor = case.ideal.as_ref().and_then(|i| i.route.clone()).and_then(|req| {
            let f = self.route_floor(&req)?;
            notes.push(f.describe(req.count));
            Some(f.min_ns * req.count as f64)
        });
        let floor_ns = floor.filter(|f| *f > 0.0);
        let measured_over_floor = floor_ns.zip(published).map(|(f, m)| m / f);
        // A floor above its row is a broken floor: said in the run and on the row, not hidden.
        if let Some(Err(e)) = floor_ns.zip(published).map(|(f, m)| crate::measure::check_floor(f, m)) {
            let msg = format!("{name}/{}/{runtime}: {e}", case.variant);
            self.progress.line(&format!("asyncbench: warning: {msg}"));
            notes.push(format!("warning: {e}"));
        }
        // The operations the scenario names, successful ones only.
        let done = if case.ops_per_batch > 0 {
            (case.ops_per_batch * batches).saturating_sub(errors.total())
        } else {
            samples
        };
        let throughput_per_s = (busy.as_secs_f64() > 0.0).then(|| done as f64 / busy.as_secs_f64());
        if let Some(note) = case.flavor.legacy_note().filter(|_| external.is_none()) {
            notes.push(format!("{} is {note}: legacy baseline", case.flavor));
        }
        let (hgrm, hlog) = files.unzip();
        let primary = CaseResult {
            scenario: name.clone(),
            variant: case.variant.clone(),
            runtime: runtime.to_string(),
            metric: "latency".into(),
            legacy: external.is_none() && case.flavor.legacy(),
            samples,
            errors: errors.total(),
            rounds: primary_rounds,
            errors_by_kind: errors,
            latency_ns,
            wall_ns: wall,
            criterion,
            ideal_ns: case.ideal.as_ref().map(|i| i.ns),
            ideal_formula: case.ideal.as_ref().map(|i| i.formula.clone()),
            measured_over_ideal,
            floor_ns,
            measured_over_floor,
            throughput_per_s,
            throughput_unit: Some(case.unit.to_string()),
            ops_per_batch: (case.ops_per_batch > 0).then_some(case.ops_per_batch),
            hgrm,
            hlog,
            notes,
            values,
            // Per operation the scenario names, failed ones included (they cost too).
            cost: cost.per_op(if case.ops_per_batch > 0 {
                case.ops_per_batch * batches
            } else {
                ops
            }),
        };
        // Each extra metric gets its own row: same case and batches, its own
        // histogram and its median per round; no ideal (the scenario states
        // one in `values` if any).
        let mut rows = vec![];
        for (metric, r) in extra {
            let samples = r.len();
            let latency_ns = (samples > 0).then(|| Percentiles::from_histogram(r.histogram()));
            let per_round = rounds::summarize(
                figures
                    .iter()
                    .filter_map(|(pos, f)| {
                        Some(Round {
                            position: *pos,
                            mean: *f.extra_p50.get(metric)?,
                            stddev: 0.0,
                            batches: 0,
                        })
                    })
                    .collect(),
            );
            let (hgrm, hlog) = self
                .write_files(&name, &case.variant, runtime, metric, r, origin, base)
                .unzip();
            rows.push(CaseResult {
                metric: metric.to_string(),
                samples,
                errors: 0,
                rounds: per_round,
                errors_by_kind: Default::default(),
                latency_ns,
                criterion: None,
                ideal_ns: None,
                ideal_formula: None,
                measured_over_ideal: None,
                floor_ns: None,
                measured_over_floor: None,
                throughput_per_s: None,
                throughput_unit: None,
                ops_per_batch: None,
                hgrm,
                hlog,
                values: Default::default(),
                // Cost belongs to the case once: on its primary row.
                cost: None,
                ..primary.clone()
            });
        }
        self.results.push(primary);
        self.results.extend(rows);
    }

    /// Writes one metric's `.hgrm`/`.hlog`; a write failure becomes a warning
    /// (the figures still reach the summary).
    /// `origin` is the case's first interval and `base` its wall-clock time:
    /// the log's BaseTime, so BaseTime + timestamp is each interval's time.
    #[allow(clippy::too_many_arguments)]
    fn write_files(
        &mut self,
        scenario: &str,
        variant: &str,
        runtime: &str,
        metric: &str,
        r: Recorder,
        origin: Instant,
        base: SystemTime,
    ) -> Option<(String, String)> {
        if r.is_empty() {
            return None;
        }
        let (hist, intervals) = r.finish();
        let intervals: Vec<Interval> = intervals
            .into_iter()
            .map(|i| Interval {
                start_offset: i.start.saturating_duration_since(origin),
                length: i.length,
                hist: i.hist,
            })
            .collect();
        match self
            .run
            .write_histograms(scenario, variant, runtime, metric, &hist, &intervals, base)
        {
            Ok(paths) => Some(paths),
            Err(e) => {
                self.progress.line(&format!("asyncbench: warning: {e}"));
                None
            }
        }
    }
}
