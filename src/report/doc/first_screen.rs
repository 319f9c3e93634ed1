//! The first screen of every document a run publishes (BRIEF.md, REPORT.md, index.html) and of
//! the terminal's closing lines: one line of context, the warnings that bear on trust, and the
//! scorecard — one row per headline question with the answer in words, its margin with
//! interval and how far to trust it — then an overall line per use where the data supports one.
//! Below it, one section per question: a sentence, a table (runtimes as rows) and a chart.

use super::model::{Block, Span, Table};
use crate::report::answers::{self, Answer, Kind, TRUST_RULE, VERDICT_RULE, Word};
use crate::report::chart::{ChartKey, ChartSet};
use crate::report::data::RunData;
use crate::report::format;
use crate::report::warnings;
use crate::results::Summary;
use crate::sweep::output::SweepReport;

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// "AMD EPYC, 2 cores, rustc 1.95.0, tokio 1.54.1 · async-std 1.13.2 · async-executor 1.14.1,
/// 13.7 min, commit 44577c0 (uncommitted changes)": the run's context in one line.
pub fn context_line(s: &Summary) -> String {
    let e = &s.env;
    let rustc = e.rustc.split(" (").next().unwrap_or(&e.rustc).to_string();
    let versions: Vec<String> = ["tokio", "async-std", "async-executor", "hyper"]
        .iter()
        .filter_map(|k| e.crates.get(*k).map(|v| format!("{k} {v}")))
        .collect();
    let minutes = duration_min(s).map_or("unfinished".to_string(), |m| format!("{m:.1} min"));
    let commit = match (&e.git_commit, e.git_dirty) {
        (Some(c), Some(true)) => format!("commit {} (uncommitted changes)", &c[..c.len().min(7)]),
        (Some(c), _) => format!("commit {} (clean)", &c[..c.len().min(7)]),
        (None, _) => "no git commit".to_string(),
    };
    let left_out: usize = s.scenarios.values().map(|i| i.left_out.len()).sum();
    let tier = if left_out > 0 {
        format!("; default tier ({left_out} cases only in the full tier, `ASYNCBENCH_TIER=full`)")
    } else {
        String::new()
    };
    let load = e.load_avg_1m.map_or(format::NONE.to_string(), |l| format!("{l:.2}"));
    let busy = match e.other_busy_pct {
        Some(p) => format!("other processes busy {p:.0}% and load {load} at start"),
        None => format!("load {load} at start"),
    };
    format!(
        "{} ({}), {} cores, {busy}; {rustc}, profile {}; {}; mode {}{tier}; {minutes}; {commit}.",
        e.cpu_model,
        e.host,
        e.logical_cores,
        e.profile,
        versions.join(", "),
        s.run.mode,
    )
}

/// Minutes from start to finish.
fn duration_min(s: &Summary) -> Option<f64> {
    let t = |x: &str| chrono::DateTime::parse_from_rfc3339(x).ok();
    let (a, b) = (t(&s.run.started_utc)?, t(s.run.finished_utc.as_deref()?)?);
    Some((b - a).num_milliseconds() as f64 / 60_000.0)
}

/// The server question, answered from the latest `asyncbench sweep` beside the run.
pub struct ServerAnswer {
    pub question: String,
    pub words: String,
    pub margin: String,
    pub trust: String,
}

/// Which runtime serves the most requests under the SLO: the highest knee, real when its
/// interval lies above the runner-up's (the intervals do not overlap).
pub fn server_answer(sweep: &SweepReport, source: &str) -> Option<ServerAnswer> {
    let mut knees: Vec<_> = sweep.runtimes.iter().filter(|r| r.knee.rate > 0).collect();
    knees.sort_by_key(|r| std::cmp::Reverse(r.knee.rate));
    let best = knees.first()?;
    let label = |r: &crate::sweep::RuntimeSweep| super::sweep::runtime_label(&r.runtime);
    let knee = |r: &crate::sweep::RuntimeSweep| {
        format!(
            "{}/s {}",
            format::number(r.knee.rate as f64),
            super::sweep::interval_text(&r.knee)
        )
    };
    let question = format!(
        "which runtime serves the most requests with p99 ≤ {}, route {}",
        format::duration(sweep.settings.slo_p99.as_nanos() as f64),
        sweep.route
    );
    let (words, margin) = match knees.get(1) {
        None => (format!("{} (one runtime swept)", label(best)), knee(best)),
        Some(next) => {
            let (lo, _) = best.knee.interval();
            let (_, next_hi) = next.knee.interval();
            let apart = next_hi.is_some_and(|h| h <= lo);
            let w = if apart {
                format!("{} serves most", label(best))
            } else {
                format!("{} ≈ {} (knee intervals overlap)", label(best), label(next))
            };
            (w, format!("{} vs {} {}", knee(best), label(next), knee(next)))
        }
    };
    let trust = format!(
        "{} repeats per rate; sweep of {} ({source})",
        sweep.settings.repeats,
        sweep.started.get(..10).unwrap_or(&sweep.started)
    );
    Some(ServerAnswer {
        question,
        words,
        margin,
        trust,
    })
}

/// The uses a reader asks an overall verdict for, and the scenarios whose rankings bear on each.
pub const USES: &[(&str, &[&str])] = &[
    (
        "HTTP client work",
        &["fetch_parallel", "sync_vs_async", "gather_vs_select", "retry_backoff"],
    ),
    ("serving connections", &["chat_broadcast", "udp_echo"]),
    ("CPU-heavy work beside I/O", &["cpu_offload"]),
    ("tasks and their primitives", &["primitives", "pipeline", "structured"]),
];

/// An overall line for one use, only where the data supports one: a runtime is named when it is
/// in the leading group (best, or ≈ to the best) of every ranking question of the use.
pub fn overall(answers: &[Answer<'_>], scenarios: &[&str]) -> Option<String> {
    let rankings: Vec<&Answer> = answers
        .iter()
        .filter(|a| scenarios.contains(&a.scenario.as_str()) && matches!(a.kind, Kind::Ranking { .. }))
        .filter(|a| a.entries.len() > 1 && a.entries.iter().skip(1).all(|e| e.word != Word::NoClaim))
        .collect();
    if rankings.is_empty() {
        return None;
    }
    let low = rankings.iter().filter(|a| a.trust() == answers::Trust::Low).count();
    if low > 0 {
        return Some(format!(
            "no verdict: {low} of its {} ranking questions have low trust",
            rankings.len()
        ));
    }
    let leading = |a: &Answer| -> Vec<String> {
        a.entries
            .iter()
            .enumerate()
            .filter(|(i, e)| *i == 0 || e.word != Word::Real)
            .map(|(_, e)| e.row.runtime.clone())
            .collect()
    };
    let mut always: Vec<String> = leading(rankings[0]);
    for a in &rankings[1..] {
        let l = leading(a);
        always.retain(|r| l.contains(r));
    }
    let n = rankings.len();
    let label = |r: &str| {
        let legacy = answers
            .iter()
            .flat_map(|a| &a.entries)
            .any(|e| e.row.runtime == r && e.row.legacy);
        crate::report::palette::label(r, legacy)
    };
    Some(match always.len() {
        0 => format!("no single runtime leads all {n} ranking questions; see each question"),
        k if k == rankings.first().map_or(0, |a| a.entries.len()) => {
            format!("no real difference: every runtime is within noise of the best in all {n} ranking questions")
        }
        _ => format!(
            "{} — in the leading group (best, or ≈ to it) of all {n} ranking questions",
            always.iter().map(|r| label(r)).collect::<Vec<_>>().join(", ")
        ),
    })
}

/// The scorecard table: one row per headline question, then the server question.
pub fn scorecard(heads: &[&Answer<'_>], server: Option<&ServerAnswer>) -> Table {
    let mut rows: Vec<Vec<String>> = heads
        .iter()
        .map(|a| {
            vec![
                format!("{}: {}", a.scenario, a.question),
                a.words(),
                a.margin(),
                a.trust_text(),
            ]
        })
        .collect();
    if let Some(s) = server {
        rows.push(vec![
            format!("http_server: {}", s.question),
            s.words.clone(),
            s.margin.clone(),
            s.trust.clone(),
        ]);
    }
    Table {
        header: ["question", "answer", "margin [95% interval]", "trust"]
            .map(String::from)
            .to_vec(),
        right: vec![false; 4],
        rows,
    }
}

/// The first screen's blocks: context, warnings, scorecard, overall lines, the rules.
pub fn blocks(
    run: &RunData,
    answers: &[Answer<'_>],
    server: Option<&ServerAnswer>,
    heading: &mut impl FnMut(u8, String) -> Block,
) -> Vec<Block> {
    let s = &run.summary;
    let mut out = vec![Block::Para(vec![Span::Strong("Run: ".into()), text(context_line(s))])];
    let w = warnings::run_warnings(s);
    if !w.is_empty() {
        out.push(Block::List(w.iter().map(|w| vec![text(format!("⚠ {w}"))]).collect()));
    }
    out.push(heading(2, "Scorecard".into()));
    let heads: Vec<&Answer> = answers::headlines(answers)
        .into_iter()
        .filter(|a| !(server.is_some() && a.scenario == crate::sweep::bench_knee::SCENARIO))
        .collect();
    if heads.is_empty() && server.is_none() {
        out.push(Block::Para(vec![text(
            "No question to answer: the run's summary declares no comparison with rows on both sides (a run \
             made from options, or before scenarios declared their questions). The tables are on each scenario's \
             page.",
        )]));
    } else {
        out.push(Block::Table(scorecard(&heads, server)));
    }
    let lines: Vec<Vec<Span>> = USES
        .iter()
        .filter_map(|(use_, scenarios)| overall(answers, scenarios).map(|l| vec![text(format!("{use_}: {l}."))]))
        .collect();
    if !lines.is_empty() {
        out.push(Block::Para(vec![Span::Strong("Overall, per use:".into())]));
        out.push(Block::List(lines));
    }
    out.push(Block::Para(vec![text(format!(
        "[…]: 95% interval over rounds; ratios: geometric mean over paired rounds. {VERDICT_RULE}. {TRUST_RULE}. \
         ⚠: rounds disagree, quoted as their range."
    ))]));
    out
}

/// One question's section: a sentence (the answer), a table with runtimes as rows, its chart.
pub fn question_blocks(
    a: &Answer<'_>,
    charts: &ChartSet,
    rel: &dyn Fn(&std::path::Path) -> String,
    sentence: bool,
) -> Vec<Block> {
    let mut out = Vec::new();
    if sentence {
        out.push(Block::Para(vec![
            Span::Strong(format!("{}. ", capitalise(&a.words()))),
            text(format!("Margin: {}; trust {}.", a.margin(), a.trust_text())),
        ]));
    }
    out.push(Block::Table(question_table(a)));
    if let Some(c) = charts.get(&ChartKey::Question { id: a.chart_id() }) {
        out.push(Block::Chart {
            svg: rel(&c.svg),
            png: rel(&c.png),
            alt: "chart".into(),
        });
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// A question's table: runtime, value [interval], × best or ÷ baseline [interval], verdict.
pub fn question_table(a: &Answer<'_>) -> Table {
    let (against, mark_best) = match &a.kind {
        Kind::Ranking { .. } => (format!("× {}", a.best_word), true),
        Kind::Versus { baseline, .. } if a.entries.iter().any(|e| e.added.is_some()) => {
            (format!("adds to {baseline}"), false)
        }
        Kind::Versus { baseline, .. } => (format!("÷ {baseline}"), false),
    };
    let rows = a
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (ratio, verdict) = match Answer::entry_words(e) {
                None if mark_best && i == 0 => ("1×".to_string(), format!("{} ★", a.best_word)),
                None => (format::NONE.to_string(), String::new()),
                Some(_) => {
                    // The figure with its interval; the verdict column carries ≈ and its Δ.
                    let word = e.added.as_ref().map_or(e.word, |(_, w)| *w);
                    let bare = match (&e.added, &e.ratio) {
                        (Some((d, _)), _) => answers::difference_words(d, Word::Real),
                        (None, Some(r)) => answers::ratio_words(r, Word::Real),
                        _ => String::new(),
                    };
                    let v = match word {
                        Word::Real => "real".to_string(),
                        Word::Similar => match (&e.added, &e.ratio) {
                            (Some((d, _)), _) => format!("≈ (Δ {})", format::duration(d.estimate.abs())),
                            (None, Some(r)) => format!("≈ (Δ {})", format::change_pct((r.estimate - 1.0) * 100.0)),
                            _ => "≈".into(),
                        },
                        Word::NoClaim => "no claim".to_string(),
                    };
                    (bare, v)
                }
            };
            vec![e.label.clone(), e.value.clone(), ratio, verdict]
        })
        .collect();
    Table {
        header: vec![
            "runtime".into(),
            format!("value, {}", a.unit),
            against,
            "verdict".into(),
        ],
        right: vec![false, true, true, false],
        rows,
    }
}
