//! One colour and one legend label per runtime, the same in every chart: a reader who learns
//! "tokio-mt is sky blue" on the overview never has to re-learn it. Each runtime's colour is fixed
//! in the runtime registry (`runtime/flavor.rs`), so no runtime is named here and adding one never
//! recolours older runs; names this build does not know (a newer summary, a baseline added later)
//! get a stable colour from the spare list.

use std::cmp::Ordering;

use plotters::style::RGBColor;

use crate::runtime::{Rgb, RuntimeEntry};

/// For runtime names outside the registry, picked by a hash of the name so a name keeps its
/// colour from one run to the next. None is a registry colour (a test checks). The last two
/// replaced asyncio's and uvloop's old spares when those became registry entries; the length
/// stayed 6 so other unknown names kept their colours.
const SPARE: [RGBColor; 6] = [
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0x7F, 0x7F, 0x7F),
    RGBColor(0xBC, 0xBD, 0x22),
    RGBColor(0x17, 0xBE, 0xCF),
    RGBColor(0xF7, 0xB6, 0xD2),
    RGBColor(0x1F, 0x3A, 0x5F),
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
    let known = RuntimeEntry::find(runtime);
    let colour = match known {
        Some(e) => {
            let Rgb(r, g, b) = e.rgb;
            RGBColor(r, g, b)
        }
        None => SPARE[(fnv1a(runtime) % SPARE.len() as u64) as usize],
    };
    let legacy = legacy_hint || known.is_some_and(|e| e.legacy_note.is_some());
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
    RuntimeEntry::find(runtime)
        .and_then(|e| e.legacy_note)
        .unwrap_or("labelled legacy by the run that measured it")
}

/// Orders runtimes as the registry does (tokio, async-std, smol, the baselines, then the guide's
/// Python), unknown names last and alphabetically, so tables and legends list them the same way
/// everywhere.
pub fn runtime_order(a: &str, b: &str) -> Ordering {
    match (position(a), position(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn position(runtime: &str) -> Option<usize> {
    RuntimeEntry::position(runtime)
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
    fn every_entry_has_its_own_colour_and_legacy_is_labelled() {
        let all = RuntimeEntry::all();
        let styles: Vec<RuntimeStyle> = all.iter().map(|e| style(e.name, false)).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a.colour, b.colour, "{} and {}", a.name, b.name);
            }
        }
        for (e, s) in all.iter().zip(&styles) {
            assert_eq!(s.label.ends_with("(legacy)"), e.legacy_note.is_some(), "{}", s.label);
            let Rgb(r, g, b) = e.rgb;
            assert_eq!(s.colour, RGBColor(r, g, b), "{}: the registry's colour", e.name);
        }
        // The guide's Python rows are registry entries too: coloured and ordered by it.
        assert_eq!(style("asyncio", false).colour, RGBColor(0x94, 0x67, 0xBD));
        assert_eq!(runtime_order("rayon", "asyncio"), Ordering::Less);
        assert_eq!(runtime_order("asyncio", "uvloop"), Ordering::Less);
    }

    #[test]
    fn spare_colours_never_repeat_a_registry_colour() {
        for e in RuntimeEntry::all() {
            let Rgb(r, g, b) = e.rgb;
            assert!(!SPARE.contains(&RGBColor(r, g, b)), "{}", e.name);
        }
    }

    #[test]
    fn unknown_runtimes_are_stable_and_sorted_last() {
        assert_eq!(style("glommio", false), style("glommio", false));
        assert_eq!(style("glommio", true).label, "glommio (legacy)");
        let last = RuntimeEntry::all().last().expect("a registry").name;
        assert_eq!(runtime_order(last, "glommio"), Ordering::Less);
        assert_eq!(runtime_order("a-rt", "b-rt"), Ordering::Less);
    }
}
