//! Text in charts without system font libraries: plotters' `ab_glyph`
//! backend draws only fonts registered by name, so the DejaVu faces from the
//! `dejavu` crate are registered under the family names plotters asks for.
//! Cargo feature unification turns `ab_glyph` on for criterion's own charts
//! too, so this must run before criterion draws anything.

use std::sync::Once;

use plotters::style::{FontStyle, register_font};

static ONCE: Once = Once::new();

/// Registers the fonts once per process; later calls do nothing.
pub fn register() {
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            let faces: [(FontStyle, &'static [u8]); 4] = if family == "monospace" {
                [
                    (FontStyle::Normal, dejavu::sans_mono::regular()),
                    (FontStyle::Bold, dejavu::sans_mono::bold()),
                    (FontStyle::Italic, dejavu::sans_mono::oblique()),
                    (FontStyle::Oblique, dejavu::sans_mono::oblique()),
                ]
            } else {
                [
                    (FontStyle::Normal, dejavu::sans::regular()),
                    (FontStyle::Bold, dejavu::sans::bold()),
                    (FontStyle::Italic, dejavu::sans::oblique()),
                    (FontStyle::Oblique, dejavu::sans::oblique()),
                ]
            };
            for (style, bytes) in faces {
                // The bundled fonts are valid TrueType; a failure here would
                // only cost text in charts, never a result.
                let _ = register_font(family, style, bytes);
            }
        }
    });
}
