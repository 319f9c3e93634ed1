//! The marks that stand for a row's published figure, drawn alike in every chart kind: a
//! whisker with caps for its 95% interval, and for an unstable row (its rounds disagree) a pale
//! box with a coloured outline over its range of rounds, in place of any bar or point.

use plotters::prelude::*;

use super::render::REFERENCE;
use crate::results::figures::Value;

/// Opacity of a range box's fill: pale enough that a whisker or point behind it shows.
pub const RANGE_FILL: f64 = 0.22;

/// The legend's words for a whisker.
pub const WHISKER_LEGEND: &str = "whisker: 95% interval over rounds";
/// The legend's words for a range box.
pub const RANGE_LEGEND: &str = "unstable: range of its rounds";

/// How a row's published figure is drawn: the value with its interval, or, for a row that
/// must not be quoted as one number, the range of its rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// The published value and its 95% interval over rounds (`None`: one round, no whisker).
    Value { value: f64, interval: Option<(f64, f64)> },
    /// An unstable row: smallest and largest round figure, no value drawn.
    Range { lo: f64, hi: f64 },
}

impl Mark {
    /// The mark of a published value ([`crate::results::figures::value`]), every figure scaled
    /// by `scale` (1/ideal, 1/base…): its range when it is not citable, else value and interval.
    pub fn of(v: &Value, scale: f64) -> Mark {
        match v.range {
            Some((lo, hi)) if !v.citable() => Mark::Range {
                lo: lo * scale,
                hi: hi * scale,
            },
            _ => Mark::Value {
                value: v.value * scale,
                interval: v.interval.map(|i| (i.lo * scale, i.hi * scale)),
            },
        }
    }

    /// Every figure the mark spans (to size an axis).
    pub fn extent(&self) -> Vec<f64> {
        match *self {
            Mark::Value { value, interval } => {
                let mut out = vec![value];
                out.extend(interval.into_iter().flat_map(|(l, h)| [l, h]));
                out
            }
            Mark::Range { lo, hi } => vec![lo, hi],
        }
    }

    /// The drawn value, `None` for a range.
    pub fn value(&self) -> Option<f64> {
        match *self {
            Mark::Value { value, .. } => Some(value),
            Mark::Range { .. } => None,
        }
    }
}

/// Which way a chart's values run: along x (rows of dots) or along y (bars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Along {
    X,
    Y,
}

impl Along {
    /// The point at `value` along the value axis and `at` across it.
    fn point(self, value: f64, at: f64) -> (f64, f64) {
        match self {
            Along::X => (value, at),
            Along::Y => (at, value),
        }
    }
}

/// A chart whose value axis and category axis are both f64, whatever their scale.
pub type Ctx<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// Draws a whisker from `lo` to `hi` along the value axis at `at`, caps `cap` either side;
/// nothing when the interval is not a finite, ordered pair.
pub fn whisker<DB, X, Y>(
    chart: &mut Ctx<'_, DB, X, Y>,
    along: Along,
    (lo, hi): (f64, f64),
    at: f64,
    cap: f64,
) -> super::render::DrawResult<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if !(lo.is_finite() && hi.is_finite() && hi >= lo) {
        return Ok(());
    }
    let p = |v, a| along.point(v, a);
    let ink = REFERENCE.stroke_width(1);
    chart.draw_series([
        PathElement::new(vec![p(lo, at), p(hi, at)], ink),
        PathElement::new(vec![p(lo, at - cap), p(lo, at + cap)], ink),
        PathElement::new(vec![p(hi, at - cap), p(hi, at + cap)], ink),
    ])?;
    Ok(())
}

/// Draws a range box from `lo` to `hi` along the value axis, `half` either side of `at`.
pub fn range_box<DB, X, Y>(
    chart: &mut Ctx<'_, DB, X, Y>,
    along: Along,
    (lo, hi): (f64, f64),
    at: f64,
    half: f64,
    colour: RGBColor,
) -> super::render::DrawResult<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if !(lo.is_finite() && hi.is_finite() && hi >= lo) {
        return Ok(());
    }
    let corners = [along.point(lo, at - half), along.point(hi, at + half)];
    chart.draw_series([
        Rectangle::new(corners, colour.mix(RANGE_FILL).filled()),
        Rectangle::new(corners, colour.stroke_width(2)),
    ])?;
    Ok(())
}
