//! The CLI's commands, each given options `harness::options` already checked: what they print
//! and the exit code they deserve.

use std::path::Path;

use super::Failure;
use super::cli_run::{self, RunOpts};
use super::options::NoiseOpts;
use super::options::args::OutputFormat;
use crate::compare::output as compare_output;
use crate::compare::{self, CompareOpts, Verdict};
use crate::report::terminal::{self as summary_table, Rows};
use crate::report::{self, ReportError, palette};
use crate::results::Summary;
use crate::scenario;
use crate::server::{ServerConfig, serve_until_ctrl_c};

/// `asyncbench list`: each scenario with its guide section, variants, runtimes and parameters.
pub fn list(scenarios: &Path) -> Result<(), Failure> {
    let all = scenario::load_dir(scenarios).map_err(Failure::usage)?;
    for s in &all {
        let left_out = s.left_out();
        let h = s.header();
        let runtimes: Vec<String> = h
            .runtimes
            .iter()
            .map(|r| palette::label(r.name(), r.legacy()))
            .collect();
        println!("{}", h.name);
        println!("  guide:    {}", h.guide_section);
        println!("  variants: {}", h.variants.join(", "));
        println!("  runtimes: {}", runtimes.join(", "));
        println!("  params:   {}", s.describe());
        println!("  cases:    {}", s.cases().len());
        if !left_out.is_empty() {
            println!(
                "  full tier: {} more case(s) with {}=full:",
                left_out.len(),
                scenario::Tier::ENV
            );
            let why = scenario::file::group_by_reason(
                left_out
                    .iter()
                    .map(|(c, reason)| (format!("{}/{}", c.variant, c.flavor), reason.as_str())),
            );
            for (reason, cases) in why {
                println!("    {}: {reason}", cases.join(", "));
            }
        }
    }
    Ok(())
}

/// `asyncbench serve`: the test server until Ctrl-C.
pub fn serve(cfg: ServerConfig) -> Result<(), Failure> {
    if !cfg.addr.ip().is_loopback() {
        let faults = if cfg.allow_remote_faults {
            "/stall and /flaky answer every client (--allow-remote-faults)"
        } else {
            "/stall and /flaky answer loopback clients only"
        };
        eprintln!(
            "asyncbench: warning: serving on {}, reachable from other machines; {faults}",
            cfg.addr
        );
    }
    serve_until_ctrl_c(cfg)?;
    Ok(())
}

/// `asyncbench run`: the cases, then the charts and report; prints the summary table (or the
/// rows as JSON with `--format json`), the errors and warnings, and last the run directory.
/// Exits 1 if a case failed or had errors, unless `--allow-errors`.
pub fn run(opts: RunOpts) -> Result<(), Failure> {
    let (format, allow_errors, wide) = (opts.format, opts.allow_errors, opts.wide);
    let (path, interrupted) = match cli_run::run(opts) {
        Ok(path) => (path, None),
        // Ctrl-C: what finished is shown and reported as a complete run's would be, then 130.
        Err(f) => match f.error.downcast_ref::<super::Interrupted>() {
            Some(i) => (i.0.clone(), Some(f)),
            None => return Err(f),
        },
    };
    report::publish(&path);
    let summary = Summary::read(&path.join("summary.json"))?;
    match format {
        OutputFormat::Table => {
            // `report::publish` has named REPORT.md and index.html above the table.
            eprint!("{}", summary_table::render_with(&summary, Rows::All, wide));
            if let Some(card) = summary_table::scorecard(&path) {
                eprint!("{card}");
            }
            println!("{}", path.display());
        }
        OutputFormat::Json => {
            for line in summary_table::error_lines(&summary) {
                eprintln!("{line}");
            }
            let out = serde_json::json!({
                "run_dir": path,
                "partial": summary.run.partial,
                "results": summary.results,
                "warnings": summary_table::warning_texts(&summary),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            eprintln!("asyncbench: results in {}", path.display());
        }
    }
    match interrupted {
        Some(f) => Err(f),
        None => errors_verdict(&summary, allow_errors),
    }
}

/// Exit code 1 for a run whose cases failed or had errors, unless the user kept them.
fn errors_verdict(summary: &Summary, allow_errors: bool) -> Result<(), Failure> {
    if allow_errors || !summary_table::has_errors(summary) {
        return Ok(());
    }
    let (failed, with_errors) = summary_table::error_counts(summary);
    Err(Failure::from(anyhow::anyhow!(
        "{failed} case(s) failed and {with_errors} more had errors; results/latest was not moved to this run \
         (--allow-errors keeps such a run and exits 0)"
    )))
}

/// `asyncbench noise`: the selection twice, then their comparison as the machine's noise floor;
/// with a plant, B runs the planted scenario files; with `--simulate`, nothing runs.
pub fn noise(opts: NoiseOpts) -> Result<(), Failure> {
    let NoiseOpts {
        run: opts,
        plant,
        simulate,
        trials,
    } = opts;
    if let Some(dir) = simulate {
        let summary = Summary::read(&dir.join("summary.json")).map_err(Failure::usage)?;
        let plant = plant.as_ref().map(|p| (p.scenario.as_str(), p.pct));
        let sim = compare::simulate::simulate(&summary, trials, 0x5eed, CompareOpts::default(), plant);
        println!("{}", sim.summary());
        return Ok(());
    }
    let allow_errors = opts.allow_errors;
    // The planted files first: a bad --plant fails before anything runs.
    let planted = match &plant {
        Some(p) => {
            let dir = compare::plant::plant_dir();
            let pct = p
                .apply(&opts.scenarios_dir, &dir)
                .map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
            Some((p, dir, pct))
        }
        None => None,
    };
    let a = cli_run::run(opts.clone())?;
    let mut b_opts = opts;
    if let Some((_, dir, _)) = &planted {
        b_opts.scenarios_dir = dir.clone();
    }
    let b = cli_run::run(b_opts);
    if let Some((_, dir, _)) = &planted {
        let _ = std::fs::remove_dir_all(dir);
    }
    let b = b?;
    let c = compare::compare(&a, &b, CompareOpts::default()).map_err(Failure::usage)?;
    refuse_unless_aa(&c)?;
    let mut n = compare::noise::noise_without(&c, planted.as_ref().map(|(p, _, _)| p.scenario.as_str()));
    if let Some((p, _, pct)) = &planted {
        n.plant = Some(compare::plant::outcome(&c, p, *pct));
    }
    n.write(&b)?;
    report::publish(&b);
    print!("{}", compare_output::render(&c));
    println!("\n{}", n.summary());
    println!("{}", b.display());
    // A noise floor measured on runs with failures is not one: say so, as `run` does.
    for run in [&a, &b] {
        let summary = Summary::read(&run.join("summary.json"))?;
        for line in summary_table::error_lines(&summary) {
            eprintln!("{line}");
        }
        errors_verdict(&summary, allow_errors)?;
    }
    Ok(())
}

/// An A/A figure from runs on different cores or placements would be no noise floor: exit 2.
fn refuse_unless_aa(c: &compare::Comparison) -> Result<(), Failure> {
    let diffs = compare::noise::aa_mismatch(c);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(anyhow::anyhow!(
        "{} and {} are not an A/A pair of this machine ({}): their differences are not noise",
        c.a.summary.run.id,
        c.b.summary.run.id,
        diffs.join("; ")
    )))
}

/// `asyncbench plot`: every chart of a saved run, redrawn.
pub fn plot(run: &Path) -> Result<(), Failure> {
    let charts = report::plot(run).map_err(report_failure)?;
    for c in charts.values() {
        println!("{}", c.svg.display());
        println!("{}", c.png.display());
    }
    Ok(())
}

/// `asyncbench report`: BRIEF.md, REPORT.md, index.html and the scenario pages of a saved run;
/// with `brief`, BRIEF.md itself on stdout instead of the paths.
pub fn report(run: &Path, brief: bool) -> Result<(), Failure> {
    let files = report::report(run).map_err(report_failure)?;
    if brief {
        let text = std::fs::read_to_string(&files.brief)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", files.brief.display()))?;
        print!("{text}");
        return Ok(());
    }
    println!("{}", files.brief.display());
    println!("{}", files.markdown.display());
    println!("{}", files.html.display());
    Ok(())
}

/// `asyncbench compare`: exits 1 on a regression when asked to (for CI).
pub fn compare(
    a: &Path,
    b: &Path,
    opts: CompareOpts,
    fail_on_regression: bool,
    aa: bool,
    verbose: bool,
) -> Result<(), Failure> {
    let c = compare::compare(a, b, opts).map_err(Failure::usage)?;
    let text = if verbose {
        compare_output::render_verbose(&c)
    } else {
        compare_output::render(&c)
    };
    print!("{text}");
    if aa {
        refuse_unless_aa(&c)?;
        println!("\n{}", compare::noise::noise(&c).summary());
    }
    let regressions = gated_regressions(&c);
    if fail_on_regression && regressions > 0 {
        return Err(Failure::from(anyhow::anyhow!(
            "{regressions} regression(s) of a case's value beyond the gate ({}%, or its scenario's gate_pct where \
             larger), or new errors (--fail-on-regression)",
            opts.threshold_pct
        )));
    }
    Ok(())
}

/// The regressions the gate fails on. The gate is each case's own value (its primary row) and
/// new errors anywhere; further metrics (probe delays, job times) are reported but vary with
/// process-wide state such as shared blocking pools more than rounds inside one run can show.
fn gated_regressions(c: &compare::Comparison) -> usize {
    c.rows
        .iter()
        .filter(|r| {
            r.verdict == Verdict::Regression
                && (r.metric == crate::report::data::PRIMARY_METRIC || (r.errors.0 == 0 && r.errors.1 > 0))
        })
        .count()
}

/// `asyncbench export`: the run in a tracking tool's format, to `output` or stdout; the cases
/// left out (no successful operation) are named on stderr.
pub fn export(run: &Path, format: crate::export::ExportFormat, output: Option<&Path>) -> Result<(), Failure> {
    let summary = Summary::read(&run.join("summary.json")).map_err(Failure::usage)?;
    let bytes = format.exporter().serialize(&summary)?;
    // A tracked series should get citable points: say so when this run is not one.
    if summary.run.partial {
        eprintln!(
            "asyncbench: warning: {} is partial (interrupted): only the cases that finished are exported",
            run.display()
        );
    }
    if matches!(
        summary.run.mode,
        crate::results::RunMode::Test | crate::results::RunMode::Other
    ) {
        eprintln!(
            "asyncbench: warning: {} is a {} run, a smoke test rather than a measurement",
            run.display(),
            summary.run.mode
        );
    }
    let (_, skipped) = crate::export::figures(&summary);
    if !skipped.is_empty() {
        eprintln!(
            "asyncbench: {} case(s) without a successful operation left out: {}",
            skipped.len(),
            skipped.join(", ")
        );
    }
    match output {
        Some(path) => {
            crate::results::write_atomic(path, &bytes)?;
            eprintln!("asyncbench: wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// A report error keeps its own exit code: 2 for a missing or corrupt input file.
fn report_failure(e: ReportError) -> Failure {
    Failure {
        code: e.exit_code(),
        error: e.into(),
    }
}

/// `asyncbench sweep`: each runtime as the server under rising open-loop load; writes the sweep
/// directory and prints the knee table and its path. Exits 1 when a runtime's sweep failed.
pub fn sweep(opts: crate::sweep::SweepOpts) -> Result<(), Failure> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", opts.dir.display()))?;
    let rep = crate::sweep::run(&opts);
    crate::sweep::output::write_json(&opts.dir, &rep).map_err(|e| anyhow::anyhow!(e))?;
    let md = crate::report::doc::sweep::write(&opts.dir, &rep).map_err(|e| anyhow::anyhow!(e))?;
    eprint!(
        "{}",
        crate::report::doc::markdown::table(&crate::report::doc::sweep::knee_table(&rep))
    );
    if let Some(d) = crate::report::doc::sweep::disturbed_text(&rep) {
        eprintln!("asyncbench: {d}");
    }
    eprintln!("asyncbench: report in {}", md.display());
    println!("{}", opts.dir.display());
    let failed: Vec<&str> = rep
        .runtimes
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| r.runtime.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::from(anyhow::anyhow!(
            "the sweep failed on {}",
            failed.join(", ")
        )))
    }
}

/// `asyncbench versions`: the session, its scorecard on stdout and COMPARE.md's path. Exits 1
/// on a regression with `--fail-on-regression`, 130 when Ctrl-C cut it short.
pub fn versions(task: super::options::VersionsTask) -> Result<(), Failure> {
    super::interrupt::install();
    let out = crate::versions::run(&task.opts, &super::interrupt::interrupted).map_err(|e| Failure {
        code: e.exit_code(),
        error: e.into(),
    })?;
    print!(
        "{}",
        crate::versions::output::first_screen(&out.comparison, &out.context)
    );
    println!("{}", out.compare_md.display());
    if out.interrupted {
        return Err(Failure {
            code: super::interrupt::EXIT_INTERRUPTED,
            error: anyhow::anyhow!(
                "interrupted: {} compares the {} finished pairs of rounds",
                out.compare_md.display(),
                out.context.pairs.0
            ),
        });
    }
    let regressions = gated_regressions(&out.comparison);
    if task.fail_on_regression && regressions > 0 {
        return Err(Failure::from(anyhow::anyhow!(
            "{regressions} regression(s) of a case's value beyond the gate, or new errors (--fail-on-regression)"
        )));
    }
    Ok(())
}

/// `asyncbench scale`: every pattern over its N ladder on every runtime; writes the scale
/// directory (scaling.json after every point, SCALING.md and charts at the end), prints the bend
/// table and the directory. Failed points are findings (in the report), not a failed command;
/// Ctrl-C keeps the finished points and exits 130.
pub fn scale(opts: crate::scale::ScaleOpts) -> Result<(), Failure> {
    use crate::scale::output::write_json;
    std::fs::create_dir_all(&opts.dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", opts.dir.display()))?;
    let fd = crate::scale::raise_fd_limit(&opts).map_err(|e| anyhow::anyhow!(e))?;
    super::interrupt::install();
    super::interrupt::set_run_dir(&opts.dir);
    let dir = opts.dir.clone();
    let mut saved = |rep: &crate::scale::ScalingReport| {
        if let Err(e) = write_json(&dir, rep) {
            eprintln!("asyncbench: warning: {e}");
        }
    };
    let hooks = crate::scale::Hooks {
        stop: &super::interrupt::interrupted,
        saved: &mut saved,
    };
    let rep = crate::scale::run(&opts, fd, hooks);
    write_json(&opts.dir, &rep).map_err(|e| anyhow::anyhow!(e))?;
    let md = crate::report::doc::scaling::write(&opts.dir, &rep).map_err(|e| anyhow::anyhow!(e))?;
    eprint!(
        "{}",
        crate::report::doc::markdown::table(&crate::report::doc::scaling::bend_table(&rep))
    );
    eprintln!("asyncbench: report in {}", md.display());
    println!("{}", opts.dir.display());
    if rep.interrupted {
        return Err(Failure {
            code: super::interrupt::EXIT_INTERRUPTED,
            error: super::Interrupted(opts.dir).into(),
        });
    }
    Ok(())
}
