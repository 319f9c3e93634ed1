//! The harness's own noise floor on a machine, from an A/A pair: the same
//! selection run twice, back to back, then compared. Every change between
//! the two is noise by construction, so what `compare` flags is its false
//! alarm rate here, and the rows' minimum detectable effects say what size
//! of difference this harness resolves on this machine.

use super::{Comparison, Verdict};
use crate::measure::placement::PlacementInfo;
use crate::report::data::PRIMARY_METRIC;
use crate::results::noise::{Noise, NoiseFigures, NoiseRow};
use crate::stats::quantile;

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
        significant: kept
            .iter()
            .filter(|r| Verdict::ALL.iter().any(|v| v.significant() && v.name() == r.verdict))
            .count(),
        median_abs_change_pct: quantile(abs.clone(), 0.5),
        p90_abs_change_pct: quantile(abs, 0.9),
        median_mde_pct: quantile(mde.clone(), 0.5),
        p90_mde_pct: quantile(mde, 0.9),
    }
}

/// The A/A figures of a comparison of a run with its repeat.
pub fn noise(c: &Comparison) -> Noise {
    noise_without(c, None)
}

/// [`noise`] over the rows of every scenario but `planted` (a planted pair's A/A part).
pub fn noise_without(c: &Comparison, planted: Option<&str>) -> Noise {
    let per_row: Vec<NoiseRow> = c
        .rows
        .iter()
        .filter(|r| planted.is_none_or(|p| r.scenario != p))
        .map(|r| NoiseRow {
            case: format!("{} / {} / {}", r.scenario, r.variant, r.runtime),
            metric: r.metric.clone(),
            change_pct: r.change_pct,
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
        plant: None,
    }
}

/// Why two runs are not an A/A pair of this machine: a different core count or CPU placement
/// (server, client, multi-thread sets, or placement applied in one run only) changes what is
/// measured, so their differences are not noise. Empty when they are a pair.
pub fn aa_mismatch(c: &Comparison) -> Vec<String> {
    let (ea, eb) = (&c.a.summary.env, &c.b.summary.env);
    let mut out = Vec::new();
    if ea.logical_cores != eb.logical_cores {
        out.push(format!("cores: {} → {}", ea.logical_cores, eb.logical_cores));
    }
    let show = |p: &Option<PlacementInfo>| match p {
        None => "not recorded".to_string(),
        Some(p) if !p.applied => format!("not applied ({})", p.note),
        Some(p) => {
            let set =
                |s: &Option<crate::measure::placement::CpuSet>| s.as_ref().map_or("—".into(), |s| s.to_string());
            format!(
                "server {}, client {}, multi-thread {}",
                set(&p.server_cpus),
                set(&p.client_cpus),
                set(&p.multi_thread_cpus)
            )
        }
    };
    let (pa, pb) = (show(&ea.placement), show(&eb.placement));
    if pa != pb {
        out.push(format!("placement: {pa} → {pb}"));
    }
    out
}
