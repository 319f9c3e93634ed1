//! Charts, the citable report and run-to-run comparison, all drawn from a saved run directory
//! and nothing else, so `asyncbench plot`/`report` reproduce them without re-running anything.
//!
//! ```text
//! <run>/charts/overview.svg|png                         measured/ideal, every case
//! <run>/charts/<scenario>__batch.svg|png                batch time per variant × runtime
//! <run>/charts/<scenario>__<variant>__<metric>.svg|png  percentile spectrum per runtime
//! <run>/charts/<question id>.svg|png                    one guide question, ratio per runtime
//! <run>/BRIEF.md                                        first screen + the scorecard's questions
//! <run>/REPORT.md, <run>/index.html                     the report (HTML embeds its SVGs)
//! <run>/scenarios/<scenario>.md|html                    a scenario's tables, charts, warnings
//! ```
//!
//! Every entry point loads and checks the whole run first ([`data::RunData::load`]); a missing
//! or corrupt file fails before anything is written.

pub mod answers;
pub mod chart;
pub mod data;
pub mod doc;
pub mod fonts;
pub mod format;
pub mod palette;
pub mod terminal;
pub mod warnings;

use std::fs;
use std::path::{Path, PathBuf};

use crate::results::{ResultsError, write_atomic};
use chart::{BatchChart, OverviewChart, PythonChart, SpectrumChart, render};
pub use chart::{ChartKey, ChartSet, Rendered};
pub use data::RunData;
use doc::{html, markdown};

pub const CHARTS_DIR: &str = "charts";
pub const REPORT_MD: &str = "REPORT.md";
pub const INDEX_HTML: &str = "index.html";
pub const BRIEF_MD: &str = "BRIEF.md";

/// Why a chart or report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The run's files are missing or corrupt: a problem with the input (exit code 2).
    #[error("{0}")]
    Input(ResultsError),
    /// plotters could not draw a chart.
    #[error("{0}")]
    Render(String),
    /// Writing an output file failed.
    #[error("{0}")]
    Output(ResultsError),
}

impl ReportError {
    /// 2 for bad input (as for any usage error), 1 for a failure while producing output.
    pub fn exit_code(&self) -> u8 {
        match self {
            ReportError::Input(_) => 2,
            _ => 1,
        }
    }
}

/// What `report` wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub brief: PathBuf,
    pub charts: ChartSet,
}

/// `asyncbench plot`: loads `run_dir` and (re)draws every chart into `run_dir/charts/`.
pub fn plot(run_dir: &Path) -> Result<ChartSet, ReportError> {
    let run = RunData::load(run_dir).map_err(ReportError::Input)?;
    plot_loaded(&run)
}

/// `asyncbench report`: every chart, then `BRIEF.md`, `REPORT.md`, a self-contained
/// `index.html`, and one page per scenario under `scenarios/` (Markdown and HTML).
pub fn report(run_dir: &Path) -> Result<ReportFiles, ReportError> {
    let run = RunData::load(run_dir).map_err(ReportError::Input)?;
    let charts = plot_loaded(&run)?;
    let write = |path: &Path, text: &str| write_atomic(path, text.as_bytes()).map_err(ReportError::Output);
    let brief = run.dir.join(BRIEF_MD);
    write(&brief, &markdown::render_compact(&doc::build::brief(&run, &charts)))?;
    let pages = run.dir.join(doc::build::PAGES_DIR);
    fs::create_dir_all(&pages).map_err(|source| {
        ReportError::Output(ResultsError::CreateDir {
            path: pages.clone(),
            source,
        })
    })?;
    for scenario in run.scenarios() {
        let page = doc::build::scenario_page(&run, &charts, scenario);
        write(&pages.join(format!("{scenario}.md")), &markdown::render(&page))?;
        let html = html::render(&page, &pages).map_err(ReportError::Output)?;
        write(&pages.join(format!("{scenario}.html")), &html)?;
    }
    let doc = doc::build(&run, &charts);
    let markdown = run.dir.join(REPORT_MD);
    write(&markdown, &markdown::render_compact(&doc))?;
    let html = run.dir.join(INDEX_HTML);
    let page = html::render(&doc, &run.dir).map_err(ReportError::Output)?;
    write(&html, &page)?;
    Ok(ReportFiles {
        markdown,
        html,
        brief,
        charts,
    })
}

/// The hook after `cargo bench` and `asyncbench run`: writes the report and says where, or
/// warns. A report failure never fails the run whose results are already safely on disk.
pub fn publish(run_dir: &Path) {
    match report(run_dir) {
        Ok(files) => eprintln!(
            "asyncbench: report in {} ({} charts as SVG and PNG; also {})",
            files.markdown.display(),
            files.charts.len(),
            files.html.display()
        ),
        Err(e) => eprintln!("asyncbench: warning: no report for {}: {e}", run_dir.display()),
    }
}

fn plot_loaded(run: &RunData) -> Result<ChartSet, ReportError> {
    let dir = run.dir.join(CHARTS_DIR);
    fs::create_dir_all(&dir).map_err(|source| {
        ReportError::Output(ResultsError::CreateDir {
            path: dir.clone(),
            source,
        })
    })?;
    let mut out = ChartSet::new();
    let draw = |e: String| ReportError::Render(e);
    out.insert(
        ChartKey::Overview,
        render::render(&OverviewChart::from_run(run), &dir).map_err(draw)?,
    );
    for a in answers::all(run) {
        let chart = answers::chart(&a);
        let key = ChartKey::Question { id: chart.id.clone() };
        out.insert(key, render::render(&chart, &dir).map_err(draw)?);
    }
    let python = PythonChart::from_run(run);
    if !python.is_empty() {
        out.insert(ChartKey::PythonRatio, render::render(&python, &dir).map_err(draw)?);
    }
    for scenario in run.scenarios() {
        if run.variants(scenario).is_empty() {
            // A scenario whose every case failed has nothing to draw.
            continue;
        }
        let batch = render::render(&BatchChart::from_run(run, scenario), &dir).map_err(draw)?;
        out.insert(
            ChartKey::Batch {
                scenario: scenario.to_string(),
            },
            batch,
        );
        let cost = chart::cost::CostChart::from_run(run, scenario);
        if !cost.is_empty() {
            out.insert(
                ChartKey::Cost {
                    scenario: scenario.to_string(),
                },
                render::render(&cost, &dir).map_err(draw)?,
            );
        }
        for variant in run.variants(scenario) {
            for metric in run.metrics(scenario) {
                let rows = run.case_rows(scenario, variant, metric);
                if rows.is_empty() {
                    continue;
                }
                let chart = SpectrumChart::from_run(run, scenario, variant, metric);
                let key = ChartKey::Spectrum {
                    scenario: scenario.to_string(),
                    variant: variant.to_string(),
                    metric: metric.to_string(),
                };
                out.insert(key, render::render(&chart, &dir).map_err(draw)?);
            }
        }
    }
    Ok(out)
}
