//! The equity and drawdown charts of `report.html` and `exits.html`: plotters draws the
//! frame (axes, labels, fold markers) on its SVG backend, and the lines are written
//! straight into the chart's text in plotters' own format, so the page's memory does not
//! grow with the history (`tests/memory`).

use std::fmt::Write as _;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::escape::esc;
use crate::data::format_utc;
use crate::trades::{CURVE_BUCKETS, Curve};

/// Chart size, pixels.
pub(super) const CHART: (u32, u32) = (900, 320);
/// A chart's plane: days × values, mapped to pixels.
type Plane = Cartesian2d<RangedCoordf64, RangedCoordf64>;
/// A chart's SVG without its lines (axes, labels, markers), bytes.
const CHART_FRAME_BYTES: usize = 24 * 1024;
/// One line point in the SVG (`x,y ` in pixels: at most about 10 bytes), with room.
const SVG_POINT_BYTES: usize = 16;
const DAY_MS: f64 = 86_400_000.0;

/// One curve of a [`chart`], drawn in `colour`, `width` pixels wide.
pub(super) struct Line<'a> {
    /// The curve.
    pub curve: &'a Curve,
    /// Its colour.
    pub colour: RGBColor,
    /// Stroke width, pixels.
    pub width: u32,
}

/// Equity (or, with `drawdown`, drawdown %) of `lines` over their common span, drawn
/// in order, the times `starts` marked by dashed lines.
pub(super) fn chart(lines: &[Line<'_>], starts: &[i64], drawdown: bool) -> String {
    // Buffers sized for curves with every bucket filled: the page's memory is then the
    // same for a short history as for a long one (`tests/memory`).
    let points = 2 * CURVE_BUCKETS;
    let mut svg = String::with_capacity(
        CHART_FRAME_BYTES + 16 * starts.len() + lines.len() * points * SVG_POINT_BYTES,
    );
    let Some((t0, t1)) = lines
        .iter()
        .map(|l| l.curve.span())
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    else {
        return svg;
    };
    let x = |t: i64| (t - t0) as f64 / DAY_MS;
    let value = |p: &(i64, f64, f64, f64), hi: bool| {
        if drawdown {
            p.3 * 100.0
        } else if hi {
            p.2
        } else {
            p.1
        }
    };
    // Each bucket as a vertical stroke from its lowest to its highest value.
    let series = |c: &Curve| -> Vec<(f64, f64)> {
        let mut v = Vec::with_capacity(points);
        v.extend(
            c.points()
                .iter()
                .flat_map(|p| [(x(p.0), value(p, false)), (x(p.0), value(p, true))]),
        );
        v
    };
    let curves: Vec<Vec<(f64, f64)>> = lines.iter().map(|l| series(l.curve)).collect();
    let ys = curves.iter().flatten().map(|p| p.1);
    let (mut lo, mut hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if drawdown {
        hi = 0.0;
    }
    if !(lo.is_finite() && hi.is_finite()) || hi - lo < 1e-9 {
        lo -= 0.01;
        hi += 0.01;
    }
    let pad = (hi - lo) * 0.05;
    let days = x(t1).max(1.0);
    let drawn = (|| -> Result<Plane, Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, CHART).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ch = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..days, (lo - pad)..(hi + pad))?;
        ch.configure_mesh()
            .x_desc("date (UTC)")
            .y_desc(if drawdown { "drawdown %" } else { "equity" })
            .x_label_formatter(&|d| {
                format_utc(t0 + (d * DAY_MS) as i64)
                    .get(..10)
                    .unwrap_or_default()
                    .to_owned()
            })
            .x_labels(6)
            .light_line_style(TRANSPARENT)
            .draw()?;
        for &t in starts {
            let d = x(t);
            ch.draw_series(DashedLineSeries::new(
                [(d, lo - pad), (d, hi + pad)],
                4,
                4,
                BLACK.mix(0.4).stroke_width(1),
            ))?;
        }
        let spec = ch.as_coord_spec().clone();
        root.present()?;
        Ok(spec)
    })();
    match drawn {
        Ok(spec) => {
            // The lines last, as plotters' `LineSeries` would draw them (the same bytes),
            // written straight into the page: plotters collects a line's points (and
            // their text) in buffers that grow with the history up to the bucket bound,
            // and the page's memory must not (`tests/memory`).
            let lines = curves
                .iter()
                .zip(lines)
                .map(|(p, l)| (&p[..], l.colour, l.width));
            append_lines(&mut svg, &spec, lines);
            svg
        }
        Err(e) => format!("<p>chart not drawn: {}</p>", esc(&e.to_string())),
    }
}

/// Inserts `lines` (points in chart coordinates mapped by `spec`, colour, stroke width)
/// before the end of the finished chart `svg`, each as the polyline plotters' SVG backend
/// writes for a `LineSeries`: same attributes, same number format (tested).
fn append_lines<'a>(
    svg: &mut String,
    spec: &Plane,
    lines: impl Iterator<Item = (&'a [(f64, f64)], RGBColor, u32)>,
) {
    let end = svg.rfind("</svg>").unwrap_or(svg.len());
    let tail = svg.split_off(end);
    for (points, RGBColor(r, g, b), width) in lines {
        let _ = write!(
            svg,
            "<polyline fill=\"none\" opacity=\"1\" stroke=\"#{r:02X}{g:02X}{b:02X}\" stroke-width=\"{width}\" points=\""
        );
        for p in points {
            let (x, y) = spec.translate(p);
            let _ = write!(svg, "{x},{y} ");
        }
        svg.push_str("\"/>\n");
    }
    svg.push_str(&tail);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    /// The page's hand-written lines are the bytes plotters' `LineSeries` writes, for
    /// lines with hundreds of points, ups and downs, two colours and widths.
    #[test]
    fn hand_written_lines_are_plotters_line_series() {
        let wave = |k: f64| -> Vec<(f64, f64)> {
            (0..700)
                .map(|i| {
                    let t = f64::from(i) * 0.29;
                    (t, (t * k).sin() * 40.0 + t * 0.5 - 3.0)
                })
                .collect()
        };
        let (a, b) = (wave(0.9), wave(2.3));
        let draw = |by_hand: bool| -> String {
            let mut svg = String::new();
            let spec = {
                let root = SVGBackend::with_string(&mut svg, CHART).into_drawing_area();
                root.fill(&WHITE).unwrap();
                let mut ch = ChartBuilder::on(&root)
                    .margin(10)
                    .x_label_area_size(30)
                    .y_label_area_size(60)
                    .build_cartesian_2d(0.0..210.0, -50.0..150.0)
                    .unwrap();
                ch.configure_mesh().draw().unwrap();
                if !by_hand {
                    for (p, colour, width) in [(&a, BLUE, 2), (&b, RED, 1)] {
                        let series = LineSeries::new(p.iter().copied(), colour.stroke_width(width));
                        ch.draw_series(series).unwrap();
                    }
                }
                let spec = ch.as_coord_spec().clone();
                root.present().unwrap();
                spec
            };
            if by_hand {
                let lines = [(&a[..], BLUE, 2), (&b[..], RED, 1)].into_iter();
                append_lines(&mut svg, &spec, lines);
            }
            svg
        };
        let (plotters, ours) = (draw(false), draw(true));
        for colour in ["#0000FF", "#FF0000"] {
            let drawn = format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"{colour}\"");
            assert_eq!(plotters.matches(&drawn).count(), 1, "{colour}: {plotters}");
        }
        assert_eq!(ours, plotters);
    }
}
