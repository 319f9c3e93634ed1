//! A case's rounds become summary rows: the published value over rounds,
//! ideal and floor ratios, throughput, and the `.hgrm`/`.hlog` files with
//! one time origin per case.

use std::time::{Instant, SystemTime};

use super::{Pending, Session};
use crate::measure::Recorder;
use crate::results::figures::{self, ValueFigure};
use crate::results::{CaseResult, Interval, Percentiles, WallStats};
use crate::scenario::CaseRecord;
use crate::stats::rounds;

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
            plan,
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
        // The case declares which figure its rounds publish (figures.rs defines each).
        let figure = case.value;
        let primary_rounds = rounds::summarize(
            figures
                .iter()
                .filter_map(|(pos, f)| figure.round(*pos, None, f))
                .collect(),
        );
        let value_ns = primary_rounds
            .as_ref()
            .map(|r| r.mean)
            .or(wall.as_ref().map(|w| w.mean).filter(|_| figure.is_batch_time()));
        // Ratios to bounds on a batch's time only: an ideal or floor bounds the batch.
        // A case with no successful operation has no value (figures::value), so no ratio either.
        let bounded = value_ns.filter(|_| figure.is_batch_time() && samples > 0);
        let measured_over_ideal = figures::ratio(bounded, case.ideal.as_ref().map(|i| i.ns as f64));
        let mut notes = case.notes.clone();
        let floor_ns = case
            .ideal
            .as_ref()
            .and_then(|i| i.route.clone())
            .and_then(|req| {
                let f = self.route_floor(&req)?;
                // The fastest such request seen: the blocking prober's, or this case's own where
                // it went faster (a different client at another moment of a shared machine), so
                // the floor stays below the row by construction.
                let own = latency_ns.as_ref().map(|p| p.min as f64).filter(|m| *m > 0.0);
                notes.push(f.describe(req.count, own));
                Some(own.map_or(f.min_ns, |o| o.min(f.min_ns)) * req.count as f64)
            })
            .filter(|f| *f > 0.0);
        let measured_over_floor = figures::ratio(bounded, floor_ns);
        // A floor above its row is a broken floor: said in the run and on the row, not hidden.
        if let Some(Err(e)) = floor_ns.zip(bounded).map(|(f, m)| crate::measure::check_floor(f, m)) {
            let msg = format!("{name}/{}/{runtime}: {e}", case.variant);
            self.progress.line(&format!("asyncbench: warning: {msg}"));
            notes.push(format!("warning: {e}"));
        }
        let done = figures::successes(case.ops_per_batch, batches, errors.total(), samples, case.count_samples);
        let achieved = values.get(figures::ACHIEVED_RATE).copied();
        let throughput_per_s = figures::throughput_per_s(figure, done, batches, busy.as_secs_f64(), value_ns, achieved);
        // The row's throughput is the rate of its unit; a scenario value of the same rate
        // (a per-batch average of it) would be a second, different figure for one thing.
        let values = values
            .into_iter()
            .filter(|(k, _)| !figures::duplicates_throughput(case.unit, k))
            .collect();
        if external.is_none() {
            notes.extend(
                self.reruns
                    .iter()
                    .filter(|(v, f, _)| *v == case.variant && *f == case.flavor)
                    .map(|(_, _, note)| note.clone()),
            );
        }
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
            // The plan is of the primary figure: the case's other metrics ride on its rounds.
            round_plan: plan,
            value_figure: Some(figure),
            errors_by_kind: errors,
            latency_ns,
            wall_ns: wall,
            criterion: None,
            criterion_rounds: criterion,
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
                    .filter_map(|(pos, f)| ValueFigure::MetricMedian.round(*pos, Some(metric), f))
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
                round_plan: None,
                value_figure: Some(ValueFigure::MetricMedian),
                errors_by_kind: Default::default(),
                latency_ns,
                criterion: None,
                criterion_rounds: Vec::new(),
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Pending;
    use crate::measure::{Batch, CaseRecord};
    use crate::results::CriterionEstimate;
    use crate::results::figures::ValueFigure;

    fn estimate(mean_ns: f64) -> CriterionEstimate {
        CriterionEstimate {
            mean_ns,
            mean_ci_low: mean_ns * 0.9,
            mean_ci_high: mean_ns * 1.1,
            median_ns: mean_ns,
            confidence_level: 0.95,
            source: format!("r{mean_ns}"),
        }
    }

    fn round(wall_ms: u64) -> CaseRecord {
        let mut rec = CaseRecord::default();
        for _ in 0..3 {
            rec.add(&Batch {
                wall: Duration::from_millis(wall_ms),
                latencies: vec![Duration::from_micros(wall_ms)],
                ..Batch::default()
            });
        }
        rec
    }

    /// Each round's criterion estimate stays that round's, labelled with its number; a round
    /// criterion did not measure has none; no estimate is presented as the row's.
    #[test]
    fn criterion_estimates_stay_with_their_rounds() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let s = crate::scenario::load_file(&dir.join("timeout.toml"))?;
        let case = s.cases().into_iter().next().ok_or("timeout has cases")?;
        let mut p = Pending {
            case,
            rec: CaseRecord::default(),
            rounds: Vec::new(),
            criterion: Vec::new(),
            external: None,
            plan: None,
        };
        p.add_round(round(10), 2, Some(estimate(10e6)), (None, None, None));
        p.add_round(round(20), 0, None, (Some(12.5), Some(2e5), Some(3)));
        p.add_round(round(30), 1, Some(estimate(30e6)), (Some(0.0), None, None));
        let got: Vec<(u32, f64)> = p.criterion.iter().map(|c| (c.round, c.estimate.mean_ns)).collect();
        assert_eq!(got, vec![(0, 10e6), (2, 30e6)]);
        // Each round's own figure, in the order they ran, and the merged record holds all.
        let walls: Vec<(u32, f64)> = p.rounds.iter().map(|(pos, f)| (*pos, f.wall_mean)).collect();
        assert_eq!(walls, vec![(2, 10e6), (0, 20e6), (1, 30e6)]);
        assert_eq!(p.rec.batches(), 9);
        // Each round's steal, host probe and migrations stay that round's, down to the row's round figures.
        let steal: Vec<Option<f64>> = p.rounds.iter().map(|(_, f)| f.steal_pct).collect();
        assert_eq!(steal, vec![None, Some(12.5), Some(0.0)]);
        let probe: Vec<Option<f64>> = p.rounds.iter().map(|(_, f)| f.host_probe_ns).collect();
        assert_eq!(probe, vec![None, Some(2e5), None]);
        let row = ValueFigure::MeanBatch
            .round(0, None, &p.rounds[1].1)
            .ok_or("a round figure")?;
        assert_eq!(
            (row.steal_pct, row.host_probe_ns, row.migrations),
            (Some(12.5), Some(2e5), Some(3))
        );
        Ok(())
    }
}
