//! The harness's own noise floor on a machine, from an A/A pair: the same
//! selection run twice, back to back, then compared. Every change between
//! the two is noise by construction, so what `compare` flags is its false
//! alarm rate here, and the rows' minimum detectable effects say what size
//! of difference this harness resolves on this machine.

use super::{Comparison, Verdict, change_pct};
use crate::report::data::PRIMARY_METRIC;
use crate::results::noise::{Noise, NoiseFigures, NoiseRow};

fn quantile(mut v: Vec<f64>, q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    Some(v[i])
}

fn figures(rows: &[NoiseRow], keep: impl Fn(&NoiseRow) -> bool) -> NoiseFigures {
    let kept: Vec<&NoiseRow> = rows.iter().filter(|r| keep(r)).collect();
    let abs: Vec<f64> = kept.iter().filter_map(|r| r.change_pct.map(f64::abs)).collect();
    let mde: Vec<f64> = kept.iter().filter_map(|r| r.mde_pct).collect();
    NoiseFigures {
        rows: kept.len(),
        flagged: kept
            .iter()
            .filter(|r| r.verdict == Verdict::Regression.name() || r.verdict == Verdict::Improvement.name())
            .count(),
        median_abs_change_pct: quantile(abs.clone(), 0.5),
        p90_abs_change_pct: quantile(abs, 0.9),
        median_mde_pct: quantile(mde.clone(), 0.5),
        p90_mde_pct: quantile(mde, 0.9),
    }
}

/// The A/A figures of a comparison of a run with its repeat.
pub fn noise(c: &Comparison) -> Noise {
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
    Noise {
        run_a: c.a.summary.run.id.clone(),
        run_b: c.b.summary.run.id.clone(),
        all: figures(&per_row, |_| true),
        primary: figures(&per_row, |r| r.metric == PRIMARY_METRIC),
        per_row,
    }
}
