//! What the report says, independent of its format: a list of blocks (headings, paragraphs,
//! tables, charts) built once from a loaded run, then written as Markdown (`markdown.rs`) and as
//! HTML (`html.rs`), so both always carry the same content. Order: findings and contents
//! (`findings.rs`), environment and method, then the overview, one section per scenario, and the command that reproduces the run.

use super::first_screen::{self, ServerAnswer};
use super::model::{Block, Document, Span, anchor};
use super::tables;
use crate::report::answers::{self, Answer};
use crate::report::chart::{ChartKey, ChartSet};
use crate::report::data::RunData;
use crate::report::format;
use crate::report::warnings::{self, Warning};

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}
fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}
fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

struct Builder<'a> {
    run: &'a RunData,
    charts: &'a ChartSet,
    blocks: Vec<Block>,
    /// What chart paths start with on this page: "" on the run's own pages, "../" on the
    /// per-scenario pages one folder down.
    prefix: &'static str,
}

impl Builder<'_> {
    fn heading(&mut self, level: u8, t: impl Into<String>) {
        let text = t.into();
        let id = anchor(&text);
        self.blocks.push(Block::Heading { level, text, id });
    }
    /// A heading whose text repeats in the report (a metric's name under every variant): its id
    /// is made unique from `unique`.
    fn heading_id(&mut self, level: u8, t: impl Into<String>, unique: &str) {
        let text = t.into();
        let id = anchor(unique);
        self.blocks.push(Block::Heading { level, text, id });
    }
    fn para(&mut self, spans: Vec<Span>) {
        self.blocks.push(Block::Para(spans));
    }
    fn chart(&mut self, key: &ChartKey, alt: String) {
        let rel = |p: &std::path::Path| format!("{}{}", self.prefix, rel_path(&self.run.dir, p));
        if let Some(c) = self.charts.get(key) {
            let (svg, png) = (rel(&c.svg), rel(&c.png));
            self.blocks.push(Block::Chart { svg, png, alt });
        }
    }
    fn warnings(&mut self, w: &[Warning]) {
        let items = w.iter().map(|w| vec![text(format!("⚠ {w}"))]).collect();
        self.blocks.push(Block::List(items));
    }
}

/// A path below the run directory as a page at its top links it.
pub fn rel_path(run_dir: &std::path::Path, p: &std::path::Path) -> String {
    p.strip_prefix(run_dir)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The folder of the per-scenario pages, below the run directory.
pub const PAGES_DIR: &str = "scenarios";

/// A link to a scenario's page from a page at the run's top.
pub fn page_link(label: impl Into<String>, scenario: &str) -> Span {
    Span::Page {
        text: label.into(),
        md: format!("{PAGES_DIR}/{scenario}.md"),
        html: format!("{PAGES_DIR}/{scenario}.html"),
    }
}

fn heading_block(level: u8, text: String) -> Block {
    Block::Heading {
        level,
        id: anchor(&text),
        text,
    }
}

/// A document at the run's top, opened as every one is: its title and the first screen. Returns
/// the builder and the run's answers.
fn opened<'a>(run: &'a RunData, charts: &'a ChartSet, title: &str) -> (Builder<'a>, Vec<Answer<'a>>) {
    let mut b = Builder {
        run,
        charts,
        blocks: Vec::new(),
        prefix: "",
    };
    let answers = answers::all(run);
    b.heading(1, title);
    b.blocks.extend(first_screen::blocks(
        run,
        &answers,
        server(run).as_ref(),
        &mut heading_block,
    ));
    (b, answers)
}

/// One section per question of `shown`: a heading per scenario (with a link to its page, on the
/// run's top pages), then per question its table and chart, and with `sentence` its answer in words.
fn questions(b: &mut Builder<'_>, shown: &[&Answer<'_>], sentence: bool, level: u8) {
    // Short form (the brief): no scenario headings, the question named with its scenario and
    // linked to its page, the chart as SVG alone.
    let short = !sentence;
    let run_dir = b.run.dir.clone();
    let prefix = b.prefix;
    let rel = move |p: &std::path::Path| format!("{prefix}{}", rel_path(&run_dir, p));
    let mut last = "";
    for a in shown {
        if level > 2 && !short && a.scenario != last {
            last = &a.scenario;
            b.heading(level, &a.scenario);
            b.para(vec![text("Detail: "), page_link(&a.scenario, &a.scenario), text(".")]);
        }
        let text_ = if short {
            format!("{}: {}", a.scenario, a.question)
        } else {
            a.question.clone()
        };
        b.blocks.push(Block::Heading {
            level: level + 1,
            text: text_,
            id: a.id(),
        });
        let mut blocks = first_screen::question_blocks(a, b.charts, &rel, sentence);
        if short {
            for bl in &mut blocks {
                if let Block::Chart { png, .. } = bl {
                    png.clear();
                }
            }
        }
        b.blocks.extend(blocks);
    }
}

/// The server question's answer from the latest sweep beside the run, if there is one.
pub fn server(run: &RunData) -> Option<ServerAnswer> {
    let (path, sweep) = crate::report::data::latest_sweep(&run.dir)?;
    let source = format!("`{}`", sweep.command);
    let mut a = first_screen::server_answer(&sweep, &source)?;
    // Named as the run's pages reach it: the sibling directory's file.
    let dir = path
        .parent()
        .and_then(|d| d.file_name())
        .map(|d| d.to_string_lossy().into_owned());
    a.trust = format!("{}; ../{}/sweep.json", a.trust, dir.unwrap_or_default());
    Some(a)
}

/// BRIEF.md: the first screen and the scorecard's questions, nothing else (paste-ready).
pub fn brief(run: &RunData, charts: &ChartSet) -> Document {
    let title = format!("asyncbench brief: run {}", run.summary.run.id);
    let (mut b, answers) = opened(run, charts, &title);
    b.heading(2, "The questions");
    questions(&mut b, &answers::headlines(&answers), false, 3);
    b.para(vec![
        text(
            "Each scenario's tables, charts and warnings: scenarios/<name>.md. Every question, the method and the \
              environment: ",
        ),
        Span::Page {
            text: "the full report".into(),
            md: "REPORT.md".into(),
            html: "index.html".into(),
        },
        text("."),
    ]);
    Document {
        title,
        blocks: b.blocks,
    }
}

/// Builds the whole report: the first screen, every question, the method, and links to the
/// per-scenario pages ([`scenario_page`]).
pub fn build(run: &RunData, charts: &ChartSet) -> Document {
    let s = &run.summary;
    let title = format!("asyncbench report: run {}", s.run.id);
    let (mut b, answers) = opened(run, charts, &title);
    b.heading(2, "The questions");
    questions(&mut b, &answers::headlines(&answers), true, 3);
    b.heading(2, "Every question in one line");
    b.para(vec![text(
        "Every comparison the scenarios declare, in the scorecard's form; each scenario's page has its table and chart.",
    )]);
    b.blocks.push(Block::Table(first_screen::scorecard(
        &answers.iter().collect::<Vec<_>>(),
        None,
    )));
    let more = super::findings::findings(run, &mut heading_block);
    b.blocks.extend(more);
    let finished = s.run.finished_utc.as_deref().unwrap_or("not finished (partial run)");
    b.heading(2, "Environment");
    b.para(vec![
        text(format!("Started {}, finished {finished}; mode ", s.run.started_utc)),
        code(s.run.mode.to_string()),
        text(format!(
            "; scenarios ({}): {}.",
            run.scenarios().len(),
            run.scenarios().join(", ")
        )),
    ]);
    b.blocks.push(Block::Table(tables::environment(s)));
    b.heading(2, "Method");
    b.blocks.push(Block::List(super::method::method(run)));
    let run_w = warnings::run_warnings(s);
    if !run_w.is_empty() {
        b.heading(2, "Warnings for the whole run");
        b.warnings(&run_w);
    }
    b.heading(2, "Overview");
    b.para(vec![text(
        "Each dot is one case: its published value (mean over rounds) divided by the ideal the scenario states \
         (the lower bound if nothing but the modelled waits cost time), the whisker its interval over rounds; an \
         unstable case is drawn as its range. 1× is the ideal; further right is further from it.",
    )]);
    b.chart(
        &ChartKey::Overview,
        "measured/ideal for every scenario, variant and runtime".into(),
    );
    python_section(&mut b);
    b.heading(2, "Scenarios in detail");
    b.blocks.push(Block::List(
        run.scenarios()
            .into_iter()
            .map(|sc| {
                let guide = s
                    .scenarios
                    .get(sc)
                    .map_or(String::new(), |i| format!(": {}", i.guide_section));
                vec![page_link(sc, sc), text(guide)]
            })
            .collect(),
    ));
    reproduce(&mut b);
    Document {
        title,
        blocks: b.blocks,
    }
}

/// A scenario's own page: its declared comparisons in full, its tables, charts and warnings.
pub fn scenario_page(run: &RunData, charts: &ChartSet, scenario: &str) -> Document {
    let title = format!("asyncbench report: run {}: {scenario}", run.summary.run.id);
    let mut b = Builder {
        run,
        charts,
        blocks: Vec::new(),
        prefix: "../",
    };
    b.heading(1, &title);
    b.para(vec![
        text("Part of "),
        Span::Page {
            text: "the report".into(),
            md: "../REPORT.md".into(),
            html: "../index.html".into(),
        },
        text(format!(": {}", first_screen::context_line(&run.summary))),
    ]);
    let answers = answers::all(run);
    let mine: Vec<&Answer> = answers.iter().filter(|a| a.scenario == scenario).collect();
    if !mine.is_empty() {
        b.heading(2, "Questions");
        questions(&mut b, &mine, true, 2);
    }
    let lines = super::findings::scenario_lines_of(run, scenario);
    if !lines.is_empty() {
        b.heading(2, "Comparisons in full");
        b.blocks.push(Block::List(lines));
    }
    scenario_section(&mut b, scenario);
    Document {
        title,
        blocks: b.blocks,
    }
}

fn reproduce(b: &mut Builder<'_>) {
    let s = &b.run.summary;
    b.heading(2, "Reproduce");
    let mut how = vec![text("Run again with:")];
    if let Some(c) = &s.env.git_commit {
        how = vec![text("At git commit "), code(c), text(", run:")];
    }
    b.para(how);
    b.blocks.push(Block::Code(s.run.command.clone()));
    b.para(vec![
        text("Regenerate this report and its charts from the saved files, without re-running: "),
        code(format!("asyncbench report {}", b.run.dir.display())),
        text("; compare with another run: "),
        code(format!("asyncbench compare {} <other run>", b.run.dir.display())),
        text("."),
    ]);
}

/// "Rust vs the guide's Python": the chart when the run has asyncio rows, else the one line
/// saying why they are absent and how to get them.
fn python_section(b: &mut Builder<'_>) {
    let s = &b.run.summary;
    let has_rows = s
        .results
        .iter()
        .any(|r| r.runtime == crate::report::chart::python_ratio::BASE);
    if !has_rows && s.run.python_skipped.is_none() {
        return;
    }
    b.heading(2, "Rust vs the guide's Python");
    if !has_rows {
        let why = s.run.python_skipped.clone().unwrap_or_default();
        b.para(vec![text(format!(
            "No asyncio/uvloop rows in this run ({why}): {}.",
            crate::runtime::EXTERNAL_HOW_TO_ENABLE
        ))]);
        return;
    }
    let versions = &s.env.python;
    let v = |k: &str| versions.get(k).cloned().unwrap_or_else(|| "?".into());
    b.para(vec![text(format!(
        "The guide's own patterns in Python (CPython {}, aiohttp {}, uvloop {}), on the same test server with the \
         same scenario parameters; each dot is a runtime's mean batch time for the same unit of work divided by \
         asyncio's. Left of 1× is faster than the guide's asyncio code. Rows whose variant is Python-only (e.g. \
         process_pool, requests_*) appear in the scenario tables, not here. The Python side runs fewer batches \
         per round than the Rust cases (python/README.md).",
        v("python"),
        v("aiohttp"),
        v("uvloop")
    ))]);
    b.chart(
        &ChartKey::PythonRatio,
        "each runtime's batch time relative to asyncio, per scenario and variant".into(),
    );
}

fn scenario_section(b: &mut Builder<'_>, scenario: &str) {
    let run = b.run;
    b.heading(2, super::findings::scenario_heading(scenario));
    if let Some(info) = run.summary.scenarios.get(scenario) {
        b.para(vec![strong("Guide section this answers: "), text(&info.guide_section)]);
        if !info.description.is_empty() {
            b.para(vec![strong("Parameters: "), code(&info.description)]);
        }
        let why = crate::scenario::file::group_by_reason(
            info.left_out
                .iter()
                .map(|c| (format!("{}/{}", c.variant, c.runtime), c.reason.as_str())),
        );
        for (reason, cases) in why {
            b.para(vec![
                strong("Full tier only (not in this run; `ASYNCBENCH_TIER=full` runs them): "),
                text(format!("{}. {reason}", cases.join(", "))),
            ]);
        }
    }
    if scenario == crate::sweep::bench_knee::SCENARIO {
        server_knees(b);
    }
    let glance = tables::at_a_glance(run, scenario);
    if !glance.is_empty() {
        b.para(vec![strong("Answer from this run:")]);
        b.blocks
            .push(Block::List(glance.into_iter().map(|l| vec![text(l)]).collect()));
    }
    let all_rows: Vec<_> = run.summary.results.iter().filter(|r| r.scenario == scenario).collect();
    let notes = tables::notes(&all_rows);
    if !notes.is_empty() {
        b.para(vec![strong("Notes:")]);
        b.blocks
            .push(Block::List(notes.into_iter().map(|n| vec![text(n)]).collect()));
    }
    b.chart(
        &ChartKey::Batch {
            scenario: scenario.to_string(),
        },
        format!("{scenario}: batch time per variant and runtime"),
    );
    b.chart(
        &ChartKey::Cost {
            scenario: scenario.to_string(),
        },
        format!("{scenario}: CPU per operation vs p50 latency, one point per variant and runtime"),
    );
    let mut warns = Vec::new();
    for variant in run.variants(scenario) {
        b.heading(3, super::findings::variant_heading(scenario, variant));
        let primary: Vec<_> = run.case_rows(scenario, variant, crate::report::data::PRIMARY_METRIC);
        if let Some(r) = primary.iter().find(|r| r.ideal_ns.is_some()) {
            let formula = r.ideal_formula.clone().unwrap_or_default();
            let ns = r.ideal_ns.map(|n| n as f64);
            b.para(vec![
                strong("Ideal: "),
                text(format!("{formula} = {}", format::duration_opt(ns))),
            ]);
        }
        for metric in run.metrics(scenario) {
            let rows = run.case_rows(scenario, variant, metric);
            if rows.is_empty() {
                continue;
            }
            let table = if metric == crate::report::data::PRIMARY_METRIC {
                tables::case_table(&rows)
            } else {
                b.heading_id(4, metric.to_string(), &format!("{scenario} {variant} {metric}"));
                tables::metric_table(&rows)
            };
            b.blocks.push(Block::Table(table));
            if metric == crate::report::data::PRIMARY_METRIC
                && let Some(t) = super::cost::cost_table(&rows)
            {
                b.para(vec![
                    strong("Cost per operation "),
                    text("(side under test; server threads excluded):"),
                ]);
                b.blocks.push(Block::Table(t));
            }
            let key = ChartKey::Spectrum {
                scenario: scenario.to_string(),
                variant: variant.to_string(),
                metric: metric.to_string(),
            };
            b.chart(
                &key,
                format!("{scenario} / {variant}: {metric} percentile spectrum per runtime"),
            );
        }
        if let Some(t) = tables::values_table(&primary) {
            b.heading_id(4, "Scenario figures", &format!("{scenario} {variant} figures"));
            b.blocks.push(Block::Table(t));
        }
        warns.extend(primary.iter().flat_map(|r| warnings::case_warnings(r)));
        warns.extend(super::cost::cost_warnings(&primary));
    }
    let failures = run.summary.failures.iter().filter(|f| f.scenario == scenario);
    warns.extend(failures.map(warnings::failure_warning));
    b.heading(3, format!("{scenario}: warnings"));
    if warns.is_empty() {
        b.para(vec![text(
            "None: no errors, enough batches, narrow confidence intervals.",
        )]);
    } else {
        b.warnings(&warns);
    }
}

/// The http_server scenario's knee table, first in its section: per route and
/// runtime, the highest offered rate of the run's short sweep whose p99 stayed
/// under the file's SLO (`asyncbench sweep` draws the full curve).
fn server_knees(b: &mut Builder<'_>) {
    let knees = crate::sweep::bench_knee::knees(&b.run.summary.results);
    if knees.is_empty() {
        return;
    }
    b.para(vec![
        strong("Knee (highest offered rate with p99 under the SLO, among this run's rates): "),
        text("for the full latency-vs-load curve run "),
        code("asyncbench sweep"),
        text("."),
    ]);
    let rows = knees
        .iter()
        .map(|k| {
            vec![
                k.route.clone(),
                super::sweep::runtime_label(&k.runtime),
                format!("{:.0}", k.slo_us),
                if k.knee.rate == 0 {
                    "none".into()
                } else {
                    k.knee.rate.to_string()
                },
                super::sweep::interval_text(&k.knee),
                if k.knee.rate == 0 {
                    "—".into()
                } else {
                    format!("{:.0}", k.knee.p99_us)
                },
                k.rates.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            ]
        })
        .collect();
    b.blocks.push(Block::Table(super::model::Table {
        header: [
            "route",
            "runtime",
            "SLO p99 (µs)",
            "knee (req/s)",
            "knee interval (req/s)",
            "p99 at knee (µs)",
            "rates tried",
        ]
        .map(String::from)
        .to_vec(),
        right: vec![false, false, true, true, false, true, false],
        rows,
    }));
}
