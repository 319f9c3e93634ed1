//! One colour and one legend label per runtime, the same in every chart: a reader who learns
//! "tokio-mt is sky blue" on the overview never has to re-learn it. Each runtime's colour is fixed
//! in the runtime registry (`runtime/flavor.rs`), so no runtime is named here and adding one never
//! recolours older runs; names this build does not know (a newer summary, a baseline added later)
//! get a stable colour from the spare list.

use std::cmp::Ordering;

use plotters::style::RGBColor;

use crate::runtime::{Flavor, Rgb};

/// For runtime names outside `Flavor::ALL`, picked by a hash of the name so a name keeps its
/// colour from one run to the next. None is a registry colour (a test checks).
const SPARE: [RGBColor; 6] = [
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0x7F, 0x7F, 0x7F),
    RGBColor(0xBC, 0xBD, 0x22),
    RGBColor(0x17, 0xBE, 0xCF),
    RGBColor(0x94, 0x67, 0xBD),
    RGBColor(0x2C, 0xA0, 0x2C),
];

/// How one runtime is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeStyle {
    pub name: String,
    pub colour: RGBColor,
    /// "async-std (legacy)" for a runtime discontinued upstream.
    pub label: String,
}

/// The style of `runtime`; `legacy_hint` is the summary row's own `legacy` flag, which counts
/// too, so a legacy runtime this build no longer knows is still marked.
pub fn style(runtime: &str, legacy_hint: bool) -> RuntimeStyle {
    let known = runtime.parse::<Flavor>().ok();
    let colour = match known {
        Some(f) => {
            let Rgb(r, g, b) = f.rgb();
            RGBColor(r, g, b)
        }
        // The guide's Python rows get fixed spare colours, so asyncio and uvloop never share one.
        None => match runtime {
            "asyncio" => SPARE[4],
            "uvloop" => SPARE[5],
            _ => SPARE[(fnv1a(runtime) % SPARE.len() as u64) as usize],
        },
    };
    let legacy = legacy_hint || known.is_some_and(Flavor::legacy);
    RuntimeStyle {
        name: runtime.to_string(),
        colour,
        label: label(runtime, legacy),
    }
}

/// The legend and table label: the name, plus "(legacy)" where it applies.
pub fn label(runtime: &str, legacy: bool) -> String {
    if legacy {
        format!("{runtime} (legacy)")
    } else {
        runtime.to_string()
    }
}

/// Why `runtime` is labelled legacy: the registry's note ("discontinued upstream (2025)"), or a
/// plain statement for a name this build does not know.
pub fn legacy_note(runtime: &str) -> &'static str {
    runtime
        .parse::<Flavor>()
        .ok()
        .and_then(Flavor::legacy_note)
        .unwrap_or("labelled legacy by the run that measured it")
}

/// Orders runtimes as `Flavor::ALL` does (tokio, async-std, smol, then baselines), unknown names
/// last and alphabetically, so tables and legends list them the same way everywhere.
pub fn runtime_order(a: &str, b: &str) -> Ordering {
    match (position(a), position(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn position(runtime: &str) -> Option<usize> {
    let f = runtime.parse::<Flavor>().ok()?;
    Flavor::ALL.iter().position(|x| *x == f)
}

/// FNV-1a (Fowler, Noll, Vo): a tiny stable hash; std's `DefaultHasher` may change between
/// Rust releases, which would recolour unknown runtimes.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flavour_has_its_own_colour_and_legacy_is_labelled() {
        let styles: Vec<RuntimeStyle> = Flavor::ALL.iter().map(|f| style(f.name(), false)).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a.colour, b.colour, "{} and {}", a.name, b.name);
            }
        }
        for (f, s) in Flavor::ALL.iter().zip(&styles) {
            assert_eq!(s.label.ends_with("(legacy)"), f.legacy(), "{}", s.label);
        }
    }

    #[test]
    fn spare_colours_never_repeat_a_registry_colour() {
        for f in Flavor::ALL {
            let Rgb(r, g, b) = f.rgb();
            assert!(!SPARE.contains(&RGBColor(r, g, b)), "{f}");
        }
    }

    #[test]
    fn unknown_runtimes_are_stable_and_sorted_last() {
        assert_eq!(style("glommio", false), style("glommio", false));
        assert_eq!(style("glommio", true).label, "glommio (legacy)");
        let first = Flavor::ALL[0].name();
        assert_eq!(runtime_order(first, "glommio"), Ordering::Less);
        assert_eq!(runtime_order("a-rt", "b-rt"), Ordering::Less);
    }
}
