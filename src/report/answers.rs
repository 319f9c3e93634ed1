//! The answers a run gives: per comparison a scenario declares (its guide question), one entry
//! per runtime with the value, the ratio and the verdict word, and from those the question's
//! answer in words, its margin with interval and how far to trust it. One model, read by every
//! writer that states an answer: the scorecard and question tables of REPORT.md, BRIEF.md and
//! index.html, their charts, and the terminal's closing lines.
//!
//! **The verdict rule** ([`judge`]), stated once: a ratio is a *real* difference when its 95%
//! interval over paired rounds excludes 1 **and** the difference exceeds the larger of the two
//! rows' minimum detectable effect and [`FLOOR_PCT`]; anything else reads "≈" with its measured
//! Δ. With no interval (one round, or one figure per row) nothing is claimed.

use crate::report::data::{PRIMARY_METRIC, RunData};
use crate::report::doc::findings::{per_label, time_text};
use crate::report::doc::tables::runtime_cell;
use crate::report::format;
use crate::results::{By, CaseResult, Compared, Comparison, Figure, Side, figures};
use crate::stats::difference::{Difference, paired_difference};
use crate::stats::ratio::{Ratio, paired_ratio};

/// The smallest difference, percent, called real whatever the rows' MDE: below it a difference
/// is too small to matter in a design review even when the rounds resolve it.
pub const FLOOR_PCT: f64 = 2.0;

/// What a ratio says, by [`judge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Word {
    /// The interval excludes 1 and the difference passes the threshold.
    Real,
    /// No real difference: the interval holds 1, or the difference is below the threshold.
    Similar,
    /// No interval (one round, or one figure per row): no claim.
    NoClaim,
}

/// How large a ratio is as a difference, percent, either way round: 1.25× and 0.8× are both 25%.
pub fn effect_pct(ratio: f64) -> f64 {
    (ratio.max(1.0 / ratio) - 1.0) * 100.0
}

/// The threshold a difference must pass: the larger of the rows' MDE and [`FLOOR_PCT`].
pub fn threshold_pct(mde_pct: Option<f64>) -> f64 {
    mde_pct.filter(|m| m.is_finite()).unwrap_or(0.0).max(FLOOR_PCT)
}

/// The verdict rule (module docs): real needs an interval that excludes 1 and an effect above
/// [`threshold_pct`].
pub fn judge(r: &Ratio, mde_pct: Option<f64>) -> Word {
    match r.interval {
        None => Word::NoClaim,
        Some(i) if !i.contains(1.0) && effect_pct(r.estimate) > threshold_pct(mde_pct) => Word::Real,
        Some(_) => Word::Similar,
    }
}

/// "0.127× [0.121–0.133]" or "1.01× [1.00–1.01] ≈ (Δ +1.0%)": a ratio with its interval and, when it
/// is not real, the "≈" mark with its measured Δ.
pub fn ratio_words(r: &Ratio, word: Word) -> String {
    let x = format::ratio(Some(r.estimate));
    let iv = r.interval.map_or(String::new(), |i| {
        format!(" [{}–{}]", format::sig3(i.lo), format::sig3(i.hi))
    });
    match word {
        Word::Real => format!("{x}{iv}"),
        Word::Similar => format!("{x}{iv} ≈ (Δ {})", format::change_pct((r.estimate - 1.0) * 100.0)),
        // The verdict column and the answer say "no claim"; the figure stays bare.
        Word::NoClaim => x,
    }
}

/// One runtime's line in a question.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The row the line is about (the subject's row in a subject-vs-baseline question).
    pub row: &'a CaseResult,
    /// The runtime, legacy marked.
    pub label: String,
    /// The row's figure per unit as a reader may cite it: value [interval], or range ⚠.
    pub value: String,
    /// Against the best row (ranking) or the baseline row (versus); `None` for the best row.
    pub ratio: Option<Ratio>,
    /// The ratio's verdict ([`judge`]).
    pub word: Word,
    /// Smallest and largest per-round ratio, when a row behind the ratio is unstable: what a
    /// chart draws instead of the point.
    pub range: Option<(f64, f64)>,
    /// The larger MDE (percent) of the rows behind the ratio.
    pub mde_pct: Option<f64>,
    /// Rounds that paired.
    pub pairs: usize,
    /// What the row adds to its baseline (a comparison [`By::Difference`]), per unit, with its
    /// verdict; the ratio stays for the chart.
    pub added: Option<(Difference, Word)>,
}

/// Which rows a question sets against which.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One variant across runtimes, each against the best: "which runtime …".
    Ranking { variant: String },
    /// Subject over baseline on each runtime: "gather vs sequential".
    Versus { subject: String, baseline: String },
}

/// One question and the run's answer to it.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub scenario: String,
    /// The comparison's index among the scenario's declared ones (stable ids for charts).
    pub index: usize,
    pub question: String,
    pub kind: Kind,
    /// What each value is per ("per request", "median per round", "per row").
    pub unit: String,
    /// "fastest", "smallest" or "lowest": what the best row is.
    pub best_word: &'static str,
    /// The best row first for a ranking; runtime order for versus.
    pub entries: Vec<Entry<'a>>,
    /// The scenario marked this question as its headline (the scorecard row).
    pub headline: bool,
}

/// How far to trust an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// No interval behind the verdict, or an MDE over [`MDE_LOW_PCT`].
    Low,
    /// Intervals, but some row unstable or an MDE over [`MDE_HIGH_PCT`].
    Medium,
    /// Intervals, every row stable, every MDE within [`MDE_HIGH_PCT`].
    High,
}

/// Largest MDE (percent) of a "high" trust answer: the 10% target of DESIGN.md's power budget.
pub const MDE_HIGH_PCT: f64 = 10.0;
/// Above this MDE (percent) an answer is "low" trust: its rows cannot tell a difference of half
/// their value from noise.
pub const MDE_LOW_PCT: f64 = 50.0;

/// The rule behind the trust column, stated once for the reader.
pub const TRUST_RULE: &str = "trust: high = intervals over ≥ 2 paired rounds, every row stable, every MDE ≤ 10%; \
medium = a row unstable (quoted as its range) or an MDE up to 50%; low = no interval, or an MDE over 50%";

/// The verdict rule, stated once for the reader.
pub const VERDICT_RULE: &str = "real = the 95% interval over paired rounds excludes 1 and the difference exceeds \
the larger of the rows' MDE and 2%; otherwise ≈ with its measured Δ; no interval, no claim";

/// What the comparison reads off a row: its figure per unit, its per-round figures.
fn figure(r: &CaseResult, f: &Figure) -> Option<(f64, Vec<f64>)> {
    let (point, rounds) = match f {
        Figure::PerUnit => {
            let d = divisor(r);
            let v = figures::value_ns(r)? / d;
            let rounds = r
                .rounds
                .as_ref()
                .map(|x| x.rounds.iter().map(|k| k.mean / d).collect())
                .unwrap_or_default();
            (v, rounds)
        }
        Figure::Value(key) => (*r.values.get(key)?, Vec::new()),
    };
    (point.is_finite() && point > 0.0).then_some((point, rounds))
}

/// Operations per batch for a batch-time figure (1 otherwise): what a per-unit figure divides by.
fn divisor(r: &CaseResult) -> f64 {
    match r.ops_per_batch {
        Some(n) if n > 0 && figures::figure_of(r).is_batch_time() => n as f64,
        _ => 1.0,
    }
}

/// A row's figure per unit as a reader may cite it: "12.0 ms [10.1–13.9]", or its rounds'
/// range with ⚠ when they disagree; a scenario figure ("168 B") as it is.
pub fn value_text(r: &CaseResult, f: &Figure) -> String {
    match f {
        Figure::Value(key) => match r.values.get(key) {
            Some(v) if key.contains("bytes") => format!("{} B", format::number(*v)),
            Some(v) => format::number(*v),
            None => format::NONE.into(),
        },
        Figure::PerUnit => {
            let Some(v) = figures::value(r) else {
                return format::NONE.into();
            };
            if !v.citable() {
                return time_text(r);
            }
            let d = divisor(r);
            match v.interval {
                Some(i) => format::duration_interval(v.value / d, i.lo / d, i.hi / d),
                None => format::duration(v.value / d),
            }
        }
    }
}

fn unstable(r: &CaseResult) -> bool {
    figures::value(r).is_some_and(|v| !v.citable())
}

fn mde(r: &CaseResult) -> Option<f64> {
    r.rounds.as_ref().and_then(|x| x.mde_pct)
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// The verdict rule for a difference: real when its interval excludes 0 and it exceeds the
/// threshold as a share of the baseline (the same rule as [`judge`], on A − B instead of A/B).
pub fn judge_difference(d: &Difference, baseline: f64, mde_pct: Option<f64>) -> Word {
    match d.interval {
        None => Word::NoClaim,
        Some(i) if !i.contains(0.0) && 100.0 * d.estimate.abs() / baseline > threshold_pct(mde_pct) => Word::Real,
        Some(_) => Word::Similar,
    }
}

/// "+85.0 ns [70.1 ns–99.9 ns]" (≈ and its Δ when not real).
pub fn difference_words(d: &Difference, word: Word) -> String {
    let signed = |v: f64| {
        if v < 0.0 {
            format!("−{}", format::duration(-v))
        } else {
            format!("+{}", format::duration(v))
        }
    };
    let iv = d
        .interval
        .map_or(String::new(), |i| format!(" [{} to {}]", signed(i.lo), signed(i.hi)));
    match word {
        Word::Real => format!("{}{iv}", signed(d.estimate)),
        Word::Similar => format!("≈ {}{iv}", signed(d.estimate)),
        Word::NoClaim => signed(d.estimate),
    }
}

/// `a`/`b` with its verdict, the per-round range where a row is unstable.
fn entry<'a>(a: &'a CaseResult, b: &'a CaseResult, f: &Figure, by: By) -> Option<Entry<'a>> {
    let ((pa, ra), (pb, rb)) = (figure(a, f)?, figure(b, f)?);
    let ratio = if !ra.is_empty() && !rb.is_empty() {
        paired_ratio(&ra, &rb)?
    } else {
        Ratio {
            estimate: pa / pb,
            interval: None,
            pairs: 0,
        }
    };
    let mde_pct = max_opt(mde(a), mde(b));
    let range = (unstable(a) || unstable(b)).then(|| {
        let per: Vec<f64> = ra.iter().zip(&rb).map(|(x, y)| x / y).collect();
        let lo = per.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = per.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    });
    let added = (by == By::Difference)
        .then(|| paired_difference(&ra, &rb))
        .flatten()
        .map(|d| (d, judge_difference(&d, pb, mde_pct)));
    Some(Entry {
        added,
        row: a,
        label: runtime_cell(a),
        value: value_text(a, f),
        word: judge(&ratio, mde_pct),
        pairs: ratio.pairs,
        ratio: Some(ratio),
        range: range.filter(|(lo, hi)| lo <= hi),
        mde_pct,
    })
}

fn rows_of<'a>(run: &'a RunData, scenario: &str, s: &Side) -> Vec<&'a CaseResult> {
    run.case_rows(scenario, &s.variant, &s.metric)
        .into_iter()
        .filter(|r| r.samples > 0)
        .collect()
}

fn best_word(f: &Figure) -> &'static str {
    match f {
        Figure::Value(k) if k.contains("bytes") => "smallest",
        Figure::Value(_) => "lowest",
        Figure::PerUnit => "fastest",
    }
}

/// One declared comparison answered from the run; `None` when the run has no rows for it.
pub fn answer<'a>(run: &'a RunData, scenario: &str, index: usize, c: &Comparison) -> Option<Answer<'a>> {
    let unit = |r: &CaseResult| match c.figure {
        Figure::PerUnit => per_label(r),
        Figure::Value(_) => "one figure per row".to_string(),
    };
    let (kind, entries, unit) = match &c.compared {
        Compared::Runtimes { side } => {
            let mut rows: Vec<(&CaseResult, f64)> = rows_of(run, scenario, side)
                .into_iter()
                .filter_map(|r| figure(r, &c.figure).map(|(p, _)| (r, p)))
                .collect();
            rows.sort_by(|a, b| a.1.total_cmp(&b.1));
            let best = rows.first()?.0;
            let mut entries = vec![Entry {
                row: best,
                label: runtime_cell(best),
                value: value_text(best, &c.figure),
                ratio: None,
                word: Word::Similar,
                range: None,
                mde_pct: mde(best),
                pairs: best.rounds.as_ref().map_or(0, |x| x.count as usize),
                added: None,
            }];
            entries.extend(
                rows[1..]
                    .iter()
                    .filter_map(|(r, _)| entry(r, best, &c.figure, By::Ratio)),
            );
            let kind = Kind::Ranking {
                variant: side_label(side),
            };
            (kind, entries, unit(best))
        }
        Compared::Rows { subject, baseline } => {
            let base = rows_of(run, scenario, baseline);
            let entries: Vec<Entry> = rows_of(run, scenario, subject)
                .into_iter()
                .filter_map(|s| {
                    // The baseline of the same runtime, or its only row (a variant on one runtime).
                    let b = base.iter().find(|b| b.runtime == s.runtime).or(if base.len() == 1 {
                        base.first()
                    } else {
                        None
                    })?;
                    entry(s, b, &c.figure, c.by)
                })
                .collect();
            let first = entries.first()?.row;
            // A baseline run on one runtime alone (std_sequential on threads) is named with it.
            let one = base
                .iter()
                .find(|b| !entries.iter().any(|e| e.row.runtime == b.runtime));
            let baseline = match (base.len(), one) {
                (1, Some(b)) => format!("{} on {}", side_label(baseline), runtime_cell(b)),
                _ => side_label(baseline),
            };
            let kind = Kind::Versus {
                subject: side_label(subject),
                baseline,
            };
            let u = unit(first);
            (kind, entries, u)
        }
    };
    Some(Answer {
        scenario: scenario.to_string(),
        index,
        question: c.question.clone(),
        kind,
        unit,
        best_word: best_word(&c.figure),
        entries,
        headline: c.headline,
    })
}

/// "join_all-keepalive" or "in_time [unwrapped]".
fn side_label(s: &Side) -> String {
    if s.metric == PRIMARY_METRIC {
        s.variant.clone()
    } else {
        format!("{} [{}]", s.variant, s.metric)
    }
}

/// Every question the run can answer, scenario by scenario, in declared order.
pub fn all(run: &RunData) -> Vec<Answer<'_>> {
    let mut out = Vec::new();
    for scenario in run.scenarios() {
        let Some(info) = run.summary.scenarios.get(scenario) else {
            continue;
        };
        for (i, c) in info.comparisons.iter().enumerate() {
            if let Some(a) = answer(run, scenario, i, c) {
                out.push(a);
            }
        }
    }
    out
}

/// The scorecard's questions: each scenario's headline comparisons, or its first one where
/// the summary marks none (summaries written before headlines existed).
pub fn headlines<'r, 'a>(all: &'r [Answer<'a>]) -> Vec<&'r Answer<'a>> {
    let mut out = Vec::new();
    let mut scenarios: Vec<&str> = all.iter().map(|a| a.scenario.as_str()).collect();
    scenarios.dedup();
    for s in scenarios {
        let of: Vec<&Answer> = all.iter().filter(|a| a.scenario == s).collect();
        let marked: Vec<&Answer> = of.iter().copied().filter(|a| a.headline).collect();
        if marked.is_empty() {
            out.extend(of.first().copied());
        } else {
            out.extend(marked);
        }
    }
    out
}

impl Answer<'_> {
    /// The id of the question's section: `q-<scenario>-<index>`.
    pub fn id(&self) -> String {
        format!("q-{}-{}", self.scenario.replace('_', "-"), self.index)
    }

    /// The id of the question's chart ([`chart`]): `q__<scenario>__<index>`.
    pub fn chart_id(&self) -> String {
        format!("q__{}__{}", self.scenario, self.index)
    }

    /// The answer in words: the winner, a tie, or "no real difference".
    pub fn words(&self) -> String {
        match &self.kind {
            Kind::Ranking { .. } => self.ranking_words(),
            Kind::Versus { subject, .. } => self.versus_words(subject),
        }
    }

    fn ranking_words(&self) -> String {
        let Some(best) = self.entries.first() else {
            return format::NONE.into();
        };
        if self.entries.len() == 1 {
            return format!("{} (one runtime: nothing to compare)", best.label);
        }
        let rest = &self.entries[1..];
        if rest.iter().all(|e| e.word == Word::NoClaim) {
            return format!("{} {} (no interval: no claim)", best.label, self.best_word);
        }
        let tied: Vec<&str> = rest
            .iter()
            .filter(|e| e.word != Word::Real)
            .map(|e| e.label.as_str())
            .collect();
        if tied.len() == rest.len() {
            "no real difference".into()
        } else if tied.is_empty() {
            format!("{} {}", best.label, self.best_word)
        } else {
            format!("{} ≈ {}, ahead of the rest", best.label, tied.join(" ≈ "))
        }
    }

    /// Each entry's verdict and direction (−1 lower, +1 higher): from what it adds where the
    /// comparison is a difference, else from its ratio.
    fn direction(e: &Entry) -> (Word, f64) {
        match (&e.added, &e.ratio) {
            (Some((d, w)), _) => (*w, d.estimate.signum()),
            (None, Some(r)) => (e.word, (r.estimate - 1.0).signum()),
            (None, None) => (Word::NoClaim, 0.0),
        }
    }

    fn versus_words(&self, subject: &str) -> String {
        let difference = self.entries.iter().any(|e| e.added.is_some());
        let (less, more) = match self.best_word {
            _ if difference => ("saves time", "adds time"),
            "smallest" => ("smaller", "larger"),
            "lowest" => ("lower", "higher"),
            _ => ("faster", "slower"),
        };
        let n = self.entries.len();
        let on = |f: &dyn Fn(Word, f64) -> bool| -> Vec<&str> {
            self.entries
                .iter()
                .filter(|e| {
                    let (w, sign) = Self::direction(e);
                    f(w, sign)
                })
                .map(|e| e.label.as_str())
                .collect()
        };
        if self.entries.iter().all(|e| Self::direction(e).0 == Word::NoClaim) {
            return "no interval: no claim".into();
        }
        let lower = on(&|w, s| w == Word::Real && s < 0.0);
        let higher = on(&|w, s| w == Word::Real && s > 0.0);
        let same = on(&|w, _| w != Word::Real);
        let all = |k: usize| {
            if n == 1 {
                String::new()
            } else {
                format!(" on all {k} runtimes")
            }
        };
        if lower.len() == n {
            return format!("{subject} {less}{}", all(n));
        }
        if higher.len() == n {
            return format!("{subject} {more}{}", all(n));
        }
        if same.len() == n {
            return "no real difference".into();
        }
        let mut parts = Vec::new();
        if !lower.is_empty() {
            parts.push(format!("{less} on {}", lower.join(", ")));
        }
        if !higher.is_empty() {
            parts.push(format!("{more} on {}", higher.join(", ")));
        }
        if !same.is_empty() {
            parts.push(format!("≈ on {}", same.join(", ")));
        }
        format!("{subject}: {}", parts.join("; "))
    }

    /// An entry's figure against its reference as the answer quotes it: what it adds (a
    /// difference), else its ratio.
    pub fn entry_words(e: &Entry) -> Option<String> {
        match (&e.added, &e.ratio) {
            (Some((d, w)), _) => Some(difference_words(d, *w)),
            (None, Some(r)) => Some(ratio_words(r, e.word)),
            (None, None) => None,
        }
    }

    /// The margin with its interval: for a ranking, the runner-up against the best (the first
    /// real one when the best ties); for versus, the smallest and largest figure over runtimes.
    pub fn margin(&self) -> String {
        let with = |e: &Entry| Self::entry_words(e).unwrap_or_default();
        match &self.kind {
            Kind::Ranking { .. } => {
                let rest = self.entries.get(1..).unwrap_or_default();
                let next = rest.iter().find(|e| e.word == Word::Real).or(rest.first());
                match next {
                    Some(e) => format!("next {}: {}", e.label, with(e)),
                    None => format::NONE.into(),
                }
            }
            Kind::Versus { .. } => {
                let key = |e: &&Entry| match (&e.added, &e.ratio) {
                    (Some((d, _)), _) => d.estimate,
                    (None, Some(r)) => r.estimate,
                    _ => 1.0,
                };
                let lo = self.entries.iter().min_by(|a, b| key(a).total_cmp(&key(b)));
                let hi = self.entries.iter().max_by(|a, b| key(a).total_cmp(&key(b)));
                match (lo, hi) {
                    (Some(a), Some(b)) if a.label == b.label => with(a),
                    (Some(a), Some(b)) => format!("{} ({}) to {} ({})", with(a), a.label, with(b), b.label),
                    _ => format::NONE.into(),
                }
            }
        }
    }

    /// How far to trust the answer ([`TRUST_RULE`]).
    pub fn trust(&self) -> Trust {
        let rest: Vec<&Entry> = self.entries.iter().filter(|e| e.ratio.is_some()).collect();
        let mde = self.entries.iter().filter_map(|e| e.mde_pct).fold(0.0, f64::max);
        if rest.is_empty() || rest.iter().any(|e| e.word == Word::NoClaim) || mde > MDE_LOW_PCT {
            return Trust::Low;
        }
        let unstable = self.entries.iter().any(|e| e.range.is_some() || unstable(e.row));
        let wide = self.entries.iter().any(|e| e.mde_pct.is_none_or(|m| m > MDE_HIGH_PCT));
        if unstable || wide { Trust::Medium } else { Trust::High }
    }

    /// "high (9 rounds, MDE ≤ 3.1%)", "medium (2 rows unstable)", "low (no interval)".
    pub fn trust_text(&self) -> String {
        let pairs = self.entries.iter().filter(|e| e.ratio.is_some()).map(|e| e.pairs).min();
        let mde = self.entries.iter().filter_map(|e| e.mde_pct).fold(0.0, f64::max);
        let unstable = self.entries.iter().filter(|e| unstable(e.row)).count();
        let rounds = pairs.map_or(String::new(), |p| format!("{p} rounds"));
        match self.trust() {
            Trust::Low
                if self
                    .entries
                    .iter()
                    .all(|e| e.ratio.is_none_or(|r| r.interval.is_some())) =>
            {
                format!("low ({rounds}, MDE up to {mde:.0}%)")
            }
            Trust::Low => "low (no interval)".into(),
            Trust::High => format!("high ({rounds}, MDE ≤ {mde:.1}%)"),
            Trust::Medium if unstable > 0 => format!(
                "medium ({rounds}; {unstable} row{} unstable)",
                if unstable == 1 { "" } else { "s" }
            ),
            Trust::Medium => format!("medium ({rounds}, MDE up to {mde:.0}%)"),
        }
    }
}

impl std::fmt::Display for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Trust::Low => "low",
            Trust::Medium => "medium",
            Trust::High => "high",
        })
    }
}

/// A question's chart: each entry's ratio with its interval, an unstable one as its range. A
/// ranking is drawn against its best row (at 1×); a versus question as subject ÷ baseline (also
/// for a difference question, whose table states what the subject adds).
pub fn chart(a: &Answer<'_>) -> crate::report::chart::QuestionChart {
    use crate::report::chart::{QuestionChart, QuestionRow};
    let rows = a
        .entries
        .iter()
        .map(|e| QuestionRow {
            label: e.label.clone(),
            style: crate::report::palette::style(&e.row.runtime, e.row.legacy),
            estimate: e.ratio.map_or(1.0, |r| r.estimate),
            interval: e.ratio.and_then(|r| r.interval).map(|i| (i.lo, i.hi)),
            range: e.range,
        })
        .collect();
    let axis = match &a.kind {
        Kind::Ranking { .. } => format!("× {} ({}); lower is better", a.best_word, a.unit),
        Kind::Versus { subject, baseline } => format!("{subject} ÷ {baseline} ({})", a.unit),
    };
    QuestionChart {
        id: a.chart_id(),
        title: format!("{}: {}", a.scenario, a.question),
        axis,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(estimate: f64, lo: f64, hi: f64) -> Ratio {
        Ratio {
            estimate,
            interval: Some(crate::stats::Interval { lo, hi, level: 0.95 }),
            pairs: 3,
        }
    }

    /// The issue's own examples: a 1% difference whose interval excludes 1 is ≈, not real; a 7×
    /// one is real; an interval that holds 1 is ≈ whatever its estimate.
    #[test]
    fn real_needs_an_interval_past_one_and_an_effect_past_the_threshold() {
        assert_eq!(judge(&ratio(1.01, 1.004, 1.016), Some(0.5)), Word::Similar);
        assert_eq!(judge(&ratio(7.0, 6.8, 7.2), Some(3.0)), Word::Real);
        assert_eq!(judge(&ratio(1.44, 0.90, 2.29), Some(20.0)), Word::Similar);
        // Past 1 but below the row's MDE of 30%: ≈.
        assert_eq!(judge(&ratio(1.25, 1.1, 1.4), Some(30.0)), Word::Similar);
        // Faster reads the same way: 0.5× is a 100% difference.
        assert_eq!(judge(&ratio(0.5, 0.45, 0.55), Some(10.0)), Word::Real);
        let none = Ratio {
            estimate: 3.0,
            interval: None,
            pairs: 1,
        };
        assert_eq!(judge(&none, None), Word::NoClaim);
        assert_eq!(
            ratio_words(&ratio(1.01, 1.004, 1.016), Word::Similar),
            "1.01× [1.00–1.02] ≈ (Δ +1.0%)"
        );
    }
}
