//! The answers a run gives: per comparison a scenario declares (its guide question), one entry
//! per runtime with the value, the ratio and the verdict word, and from those the question's
//! answer in words, its margin with interval and how far to trust it. One model, read by every
//! writer that states an answer: the scorecard and question tables of REPORT.md, BRIEF.md and
//! index.html, their charts, and the terminal's closing lines.
//!
//! The verdict and trust rules are [`verdict`]'s ([`judge`], [`TRUST_RULE`]).

use crate::report::data::RunData;
use crate::report::doc::findings::{divisor, per_label, rows_of, side_label, time_text};
use crate::report::doc::tables::runtime_cell;
use crate::report::format;
use crate::results::{By, CaseResult, Compared, Comparison, Figure, figures};
use crate::stats::difference::{Difference, paired_difference};
use crate::stats::ratio::{Ratio, paired_ratio};

pub mod verdict;
pub use verdict::{
    FLOOR_PCT, MDE_HIGH_PCT, MDE_LOW_PCT, TRUST_RULE, VERDICT_RULE, Word, difference_words, effect_pct, judge,
    judge_difference, ratio_words, threshold_pct,
};

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

/// The larger of two rows' MDE (percent): what a difference between them must pass.
pub(crate) fn mde_of(a: &CaseResult, b: &CaseResult) -> Option<f64> {
    match (mde(a), mde(b)) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
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
    let mde_pct = mde_of(a, b);
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

/// What the best row of a ranking is: "fastest", "smallest" (bytes) or "lowest".
pub(crate) fn best_word(f: &Figure) -> &'static str {
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
