//! The runtime registry is the one list of runtimes: everything that needs the list gets every
//! entry (names, parsing, serde, colours, legacy labels, `--help`, building each flavour).

use std::collections::HashSet;

use asyncbench::cli::Cli;
use asyncbench::report::palette;
use asyncbench::runtime::{self, AsyncFlavor, Flavor, Owned, Rgb, Runtime, RuntimeVisitor};
use clap::CommandFactory;
use plotters::style::RGBColor;

#[test]
fn names_round_trip_through_parse_display_and_serde() {
    let mut seen = HashSet::new();
    for f in Flavor::ALL {
        assert!(seen.insert(f.name()), "{f} twice");
        assert_eq!(f.name().parse::<Flavor>(), Ok(f));
        assert_eq!(f.to_string(), f.name());
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, format!("\"{f}\""));
        assert_eq!(serde_json::from_str::<Flavor>(&json).unwrap(), f);
        match f.as_async() {
            Some(a) => {
                assert_eq!(Flavor::Async(a), f);
                assert_eq!(a.name().parse::<AsyncFlavor>(), Ok(a));
                assert_eq!(serde_json::from_str::<AsyncFlavor>(&json).unwrap(), a);
            }
            None => assert!(f.name().parse::<AsyncFlavor>().is_err(), "{f} is not async"),
        }
    }
    assert_eq!(Flavor::all_async().len(), AsyncFlavor::ALL.len());
    let e = serde_json::from_str::<Flavor>("\"tokio\"").unwrap_err().to_string();
    let allowed = Flavor::ALL.map(Flavor::name).join(", ");
    assert!(
        e.contains(&format!("unknown runtime `tokio`: allowed {allowed}")),
        "{e}"
    );
}

#[test]
fn every_runtime_has_its_own_fixed_colour_and_legacy_label() {
    let mut colours = HashSet::new();
    for f in Flavor::ALL {
        let style = palette::style(f.name(), false);
        let Rgb(r, g, b) = f.rgb();
        assert_eq!(
            style.colour,
            RGBColor(r, g, b),
            "{f}: the chart colour is the registry's"
        );
        assert!(colours.insert((r, g, b)), "{f} shares its colour");
        assert_eq!(style.label.ends_with(" (legacy)"), f.legacy(), "{}", style.label);
        assert_eq!(f.legacy(), f.legacy_note().is_some());
        if let Some(note) = f.legacy_note() {
            assert_eq!(palette::legacy_note(f.name()), note);
        }
        assert!(
            !f.help().is_empty() && !f.help().contains('\n'),
            "{f}: one line of help"
        );
    }
    // Tables and legends list runtimes in registry order.
    let mut names: Vec<&str> = Flavor::ALL.iter().rev().map(|f| f.name()).collect();
    names.sort_by(|a, b| palette::runtime_order(a, b));
    assert_eq!(names, Flavor::ALL.map(Flavor::name));
}

#[test]
fn run_help_lists_every_runtime_with_its_help() {
    let mut cli = Cli::command();
    let run = cli.find_subcommand_mut("run").expect("a run command");
    let long = run.render_long_help().to_string();
    let short = run.render_help().to_string();
    for f in Flavor::ALL {
        assert!(long.contains(&format!("{}:", f.name())), "{f} missing from:\n{long}");
        assert!(long.contains(f.help()), "{f}'s help missing from:\n{long}");
        if let Some(note) = f.legacy_note() {
            assert!(long.contains(note), "{f}'s legacy note missing from:\n{long}");
        }
        assert!(short.contains(f.name()), "{f} missing from:\n{short}");
    }
}

#[test]
fn every_async_flavour_builds_and_runs_a_future_through_visit() {
    struct Trivial;
    impl RuntimeVisitor for Trivial {
        type Output = (AsyncFlavor, usize, u32);
        fn visit<R: Runtime>(self, owned: Owned<R>) -> Self::Output {
            let rt = owned.rt();
            let spawned = rt.block_on(rt.spawn(async { 40 })).expect("the task joins");
            (rt.flavor(), rt.workers(), rt.block_on(async move { spawned + 2 }))
        }
    }
    for f in AsyncFlavor::ALL {
        let (flavor, workers, answer) = runtime::visit(f, Some(2), Trivial).expect("the runtime starts");
        assert_eq!((flavor, answer), (f, 42));
        if f.single_threaded() {
            assert_eq!(workers, 1, "{f}");
        }
    }
}

#[test]
fn the_guides_python_is_a_registry_entry_the_cli_explains() {
    use asyncbench::runtime::{EXTERNAL_HOW_TO_ENABLE, ExternalFlavor, RuntimeEntry, RuntimeKind};
    use clap::Parser;
    assert_eq!(asyncbench::python::RUNTIMES, ExternalFlavor::NAMES);
    for x in ExternalFlavor::ALL {
        let e = RuntimeEntry::find(x.name()).expect("a registry entry");
        assert_eq!(e.kind, RuntimeKind::External(x));
        let style = palette::style(x.name(), false);
        let Rgb(r, g, b) = x.rgb();
        assert_eq!(style.colour, RGBColor(r, g, b), "{}: the registry's colour", x.name());
        let err = Cli::try_parse_from(["asyncbench", "run", "--runtime", x.name()])
            .expect_err("not a Rust runtime")
            .to_string();
        assert!(err.contains(x.help()) && err.contains(EXTERNAL_HOW_TO_ENABLE), "{err}");
    }
}
