//! Turning one chart description into `charts/<stem>.svg` and `.png`: the [`Chart`] trait every
//! chart kind implements, shared sizes and fonts, and crash-safe output (SVG rendered to a
//! string then written atomically; PNG rendered to a temporary file then renamed), so a failed
//! chart never leaves a half-drawn file where a good one was.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::results::atomic::unique_temp_path;
use crate::results::write_atomic;

/// The font family `fonts::register` provides.
pub const FONT: &str = "sans-serif";
pub const TITLE_SIZE: u32 = 22;
pub const LABEL_SIZE: u32 = 14;
pub const TICK_SIZE: u32 = 13;
pub const BACKGROUND: RGBColor = WHITE;
/// Colour of reference lines (ideal, 1×).
pub const REFERENCE: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// The error type every chart's `draw` returns, whatever the backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One chart kind. `draw` must cope with any data (no series, one point, NaN), because charts
/// are drawn from files a user may have edited.
pub trait Chart {
    /// File name without extension, unique within the run's `charts/` directory.
    fn stem(&self) -> String;
    /// Pixel size (the SVG's nominal size too).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// The files a chart became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub svg: PathBuf,
    pub png: PathBuf,
}

/// Renders `chart` as `dir/<stem>.svg` and `dir/<stem>.png`. An error (or a panic inside
/// plotters, caught here so one odd chart cannot abort a whole report) names the chart and
/// leaves any earlier files of that name untouched.
pub fn render<C: Chart>(chart: &C, dir: &Path) -> Result<Rendered, String> {
    crate::report::fonts::register();
    let stem = chart.stem();
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    let describe = |what: &str, e: String| format!("cannot draw {what}: {e}");

    let svg = guarded(|| svg_string(chart)).map_err(|e| describe(&svg_path.display().to_string(), e))?;
    // The PNG encoder picks its format from the file extension, so the temp name keeps ".png".
    let mut tmp = unique_temp_path(dir, &format!(".{stem}")).into_os_string();
    tmp.push(".png");
    let tmp = PathBuf::from(tmp);
    let png = guarded(|| png_file(chart, &tmp));
    if let Err(e) = png {
        let _ = fs::remove_file(&tmp);
        return Err(describe(&png_path.display().to_string(), e));
    }
    write_atomic(&svg_path, svg.as_bytes()).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        e.to_string()
    })?;
    fs::rename(&tmp, &png_path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", png_path.display())
    })?;
    Ok(Rendered {
        svg: svg_path,
        png: png_path,
    })
}

fn svg_string<C: Chart>(chart: &C) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size()).into_drawing_area();
        root.fill(&BACKGROUND).map_err(|e| e.to_string())?;
        chart.draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn png_file<C: Chart>(chart: &C, path: &Path) -> Result<(), String> {
    let root = BitMapBackend::new(path, chart.size()).into_drawing_area();
    root.fill(&BACKGROUND).map_err(|e| e.to_string())?;
    chart.draw(&root).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("plotters panicked: {msg}"))
        }
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swatch {
    Bar,
    Line,
    Dashed,
    Dot,
    /// A whisker with end caps: an interval.
    Whisker,
    /// A pale box with a coloured outline: an unstable row's range of rounds.
    Range,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub label: String,
    pub colour: RGBColor,
    pub swatch: Swatch,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, colour: RGBColor, swatch: Swatch) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            colour,
            swatch,
        }
    }
}

/// Draws the title and the legend (in rows, above the plot, where it can never hide data) and
/// returns the area left for the plot.
pub fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = root.dim_in_pixel();
    let mut title_font: TextStyle = (FONT, TITLE_SIZE).into_font().color(&BLACK);
    let (mut tw, _) = root.estimate_text_size(title, &title_font)?;
    // A long title on a small chart (a question's, 640 px) shrinks to fit rather than clip.
    if tw + 20 > w {
        let size = (TITLE_SIZE as f64 * (w - 20) as f64 / tw as f64).max(11.0);
        title_font = (FONT, size).into_font().color(&BLACK);
        tw = root.estimate_text_size(title, &title_font)?.0;
    }
    root.draw(&Text::new(
        title.to_string(),
        ((w as i32 - tw as i32).max(0) / 2, 10),
        title_font,
    ))?;
    let font: TextStyle = (FONT, TICK_SIZE).into_font().color(&BLACK);
    let (margin, row_h, swatch_w, gap) = (70, 22, 18, 26);
    let (mut x, mut y) = (margin, 46);
    for e in legend {
        let (lw, _) = root.estimate_text_size(&e.label, &font)?;
        let need = swatch_w + 6 + lw as i32;
        if x > margin && x + need > w as i32 - 20 {
            x = margin;
            y += row_h;
        }
        let c = e.colour;
        let mid = y + 7;
        match e.swatch {
            Swatch::Bar => root.draw(&Rectangle::new([(x, mid - 6), (x + swatch_w, mid + 6)], c.filled()))?,
            Swatch::Line => root.draw(&PathElement::new(
                vec![(x, mid), (x + swatch_w, mid)],
                c.stroke_width(3),
            ))?,
            Swatch::Dashed => root.draw(&DashedPathElement::new(
                vec![(x, mid), (x + swatch_w, mid)],
                5,
                3,
                c.stroke_width(2),
            ))?,
            Swatch::Dot => root.draw(&Circle::new((x + swatch_w / 2, mid), 5, c.filled()))?,
            Swatch::Whisker => {
                let ink = c.stroke_width(1);
                root.draw(&PathElement::new(vec![(x, mid), (x + swatch_w, mid)], ink))?;
                root.draw(&PathElement::new(vec![(x, mid - 5), (x, mid + 5)], ink))?;
                root.draw(&PathElement::new(
                    vec![(x + swatch_w, mid - 5), (x + swatch_w, mid + 5)],
                    ink,
                ))?;
            }
            Swatch::Range => {
                let corners = [(x, mid - 6), (x + swatch_w, mid + 6)];
                root.draw(&Rectangle::new(corners, c.mix(super::marks::RANGE_FILL).filled()))?;
                root.draw(&Rectangle::new(corners, c.stroke_width(2)))?;
            }
        }
        root.draw(&Text::new(e.label.clone(), (x + swatch_w + 6, y), font.clone()))?;
        x += need + gap;
    }
    let height = if legend.is_empty() { 44 } else { y + row_h + 6 };
    let (_, rest) = root.split_vertically(height as u32);
    Ok(rest)
}

/// A centred message on an otherwise empty chart ("no samples recorded"), so a chart file
/// always exists and says why it is empty.
pub fn draw_empty<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, message: &str) -> DrawResult<DB> {
    let area = header(root, title, &[])?;
    let (w, h) = area.dim_in_pixel();
    let style = (FONT, LABEL_SIZE + 2)
        .into_font()
        .color(&RGBColor(0x66, 0x66, 0x66))
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
    area.draw(&Text::new(message.to_string(), (w as i32 / 2, h as i32 / 2), style))
}

/// `lo..hi` made safe for an axis: finite, ordered and not empty.
pub fn safe_range(lo: f64, hi: f64, fallback: (f64, f64)) -> (f64, f64) {
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() && hi.is_finite() && hi == lo && lo != 0.0 {
        (lo - lo.abs() * 0.5, hi + hi.abs() * 0.5)
    } else {
        fallback
    }
}

/// A linear f64 axis with ticks exactly at `ticks` (category centres): plotters' own
/// `with_key_points` drops the f64 value formatter that `configure_mesh` needs.
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    pub fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }
    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Chart file-name component (same rule as histogram files).
pub fn file_part(name: &str) -> String {
    crate::results::run_dir::sanitize_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_range_repairs_degenerate_axes() {
        assert_eq!(safe_range(0.0, 2.0, (0.0, 1.0)), (0.0, 2.0));
        assert_eq!(safe_range(2.0, 2.0, (0.0, 1.0)), (1.0, 3.0));
        assert_eq!(safe_range(0.0, 0.0, (0.0, 1.0)), (0.0, 1.0));
        assert_eq!(safe_range(f64::NAN, 1.0, (0.0, 1.0)), (0.0, 1.0));
        assert_eq!(safe_range(3.0, 1.0, (0.0, 1.0)), (0.0, 1.0));
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<(), String> = guarded(|| panic!("boom"));
        assert!(r.is_err_and(|e| e.contains("boom")));
    }
}
