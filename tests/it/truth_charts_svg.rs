//! Reading a chart's SVG back into values for the chart truth tests: the axis from its own tick
//! labels (pixel → value, linear or log), and the marks that stand for rows — whiskers (the
//! reference colour, 1 px), range boxes (a runtime's colour at the range fill's opacity), solid
//! bars and dots — inside the plot (below the legend, whose swatches look alike).

use plotters::style::RGBColor;

/// One SVG element: its tag name, attributes text and (for `<text>`) its content.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: String,
    text: String,
}

impl Element {
    fn attr(&self, key: &str) -> Option<&str> {
        let start = self.attrs.find(&format!(" {key}=\""))? + key.len() + 3;
        self.attrs[start..].split('"').next()
    }

    fn num(&self, key: &str) -> f64 {
        self.attr(key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    }

    fn points(&self) -> Vec<(f64, f64)> {
        let parse = |p: &str| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        };
        self.attr("points")
            .map(|p| p.split_whitespace().filter_map(parse).collect())
            .unwrap_or_default()
    }

    fn is(&self, key: &str, value: &str) -> bool {
        self.attr(key) == Some(value)
    }
}

/// Which way an axis runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
}

/// An axis read from its tick labels: (pixel, value) per tick.
#[derive(Debug)]
pub struct Scale {
    pub ticks: Vec<(f64, f64, String, f64)>,
    log: bool,
}

impl Scale {
    /// The value at pixel `px`, through the first and last tick.
    pub fn value(&self, px: f64) -> f64 {
        let (&(p0, v0, ..), &(p1, v1, ..)) = (self.ticks.first().unwrap(), self.ticks.last().unwrap());
        let t = (px - p0) / (p1 - p0);
        if self.log {
            (v0.ln() + t * (v1.ln() - v0.ln())).exp()
        } else {
            v0 + t * (v1 - v0)
        }
    }

    /// True when no two neighbouring labels of an x axis overlap (width from the font size).
    pub fn labels_apart(&self) -> bool {
        let width = |label: &str, font: f64| label.chars().count() as f64 * font * 0.62;
        self.ticks.windows(2).all(|w| {
            let (a, b) = (&w[0], &w[1]);
            (b.0 - a.0).abs() >= (width(&a.2, a.3) + width(&b.2, b.3)) / 2.0 + 4.0
        })
    }
}

/// A chart's SVG, parsed enough to read its marks.
pub struct Svg {
    elements: Vec<Element>,
    /// The plot's top edge: the highest grid line. Legend swatches lie above it.
    top: f64,
}

fn colour(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

impl Svg {
    pub fn parse(text: &str) -> Svg {
        let mut elements = Vec::new();
        for chunk in text.split('<').skip(1) {
            let Some((tag, rest)) = chunk.split_once('>') else {
                continue;
            };
            if tag.starts_with('/') {
                continue;
            }
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            let attrs = format!(" {}", tag[name.len()..].trim_end_matches('/'));
            elements.push(Element {
                name,
                attrs,
                text: rest.trim().to_string(),
            });
        }
        let top = (elements.iter())
            .filter(|e| e.name == "line")
            .flat_map(|e| [e.num("y1"), e.num("y2")])
            .fold(f64::INFINITY, f64::min);
        Svg { elements, top }
    }

    fn in_plot(&self) -> impl Iterator<Item = &Element> {
        self.elements.iter().filter(|e| {
            let y = match e.name.as_str() {
                "circle" => e.num("cy"),
                "polyline" => e.points().first().map_or(f64::NAN, |p| p.1),
                _ => e.num("y"),
            };
            y >= self.top - 1.0
        })
    }

    /// The axis from its tick labels ("2×", "1000", "2.5"), mapped on a log or a linear scale.
    pub fn axis(&self, axis: Axis, log: bool) -> Option<Scale> {
        let mut ticks: Vec<(f64, f64, String, f64)> = (self.elements.iter())
            .filter(|e| e.name == "text")
            .filter(|e| match axis {
                Axis::X => e.is("text-anchor", "middle") && e.is("dy", "0.76em"),
                Axis::Y => e.is("text-anchor", "end"),
            })
            .filter_map(|e| {
                let label = e.text.strip_suffix('×').unwrap_or(&e.text);
                let px = if axis == Axis::X { e.num("x") } else { e.num("y") };
                Some((px, label.parse().ok()?, e.text.clone(), e.num("font-size")))
            })
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        (ticks.len() >= 2).then_some(Scale { ticks, log })
    }

    /// Whiskers along `axis` in the plot: (start, end) pixels of each whisker's line.
    pub fn whiskers(&self, axis: Axis) -> Vec<(f64, f64)> {
        self.in_plot()
            .filter(|e| e.name == "polyline" && e.is("stroke", "#222222") && e.is("stroke-width", "1"))
            .filter_map(|e| match (axis, e.points().as_slice()) {
                (Axis::X, &[(x0, y0), (x1, y1)]) if y0 == y1 && x0 != x1 => Some((x0.min(x1), x0.max(x1))),
                (Axis::Y, &[(x0, y0), (x1, y1)]) if x0 == x1 && y0 != y1 => Some((y0.min(y1), y0.max(y1))),
                _ => None,
            })
            .collect()
    }

    /// Range boxes of colour `c` in the plot: ((x0, x1), (y0, y1)) pixels.
    pub fn range_boxes(&self, c: RGBColor) -> Vec<((f64, f64), (f64, f64))> {
        let fill = colour(c);
        self.in_plot()
            .filter(|e| e.name == "rect" && e.is("fill", &fill) && e.is("opacity", "0.22"))
            .map(|e| {
                let (x, y) = (e.num("x"), e.num("y"));
                ((x, x + e.num("width")), (y, y + e.num("height")))
            })
            .collect()
    }

    /// Solid (fully opaque) rectangles of colour `c` in the plot: bars.
    pub fn solid_rects(&self, c: RGBColor) -> usize {
        let fill = colour(c);
        (self.in_plot())
            .filter(|e| e.name == "rect" && e.is("fill", &fill) && e.is("opacity", "1"))
            .count()
    }

    /// Vertical 1 px lines of colour `c` in the plot: (x, top, bottom) pixels.
    pub fn vertical_lines(&self, c: RGBColor) -> Vec<(f64, f64, f64)> {
        let ink = colour(c);
        (self.in_plot())
            .filter(|e| e.name == "polyline" && e.is("stroke", &ink) && e.is("stroke-width", "1"))
            .filter_map(|e| match e.points().as_slice() {
                &[(x0, y0), (x1, y1)] if x0 == x1 && y0 != y1 => Some((x0, y0.min(y1), y0.max(y1))),
                _ => None,
            })
            .collect()
    }

    /// Dots of colour `c` in the plot.
    pub fn circles(&self, c: RGBColor) -> usize {
        let fill = colour(c);
        (self.in_plot())
            .filter(|e| e.name == "circle" && e.is("fill", &fill))
            .count()
    }
}
