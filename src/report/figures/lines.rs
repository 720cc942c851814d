//! Line plots: one line per series, legend to the right, optional log2 or
//! log10 axes and dashed horizontal reference lines (e.g. chance level); and
//! the same as small multiples, several panels sharing one legend
//! ([`panel_plot`]).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    begin_data, de, end_data, finish, is_pow2_series, nice_ticks, rgb, text_style, text_width,
    tick_label, KeyAxis, FONT,
};
use crate::report::util::{ellipsize, Rgb};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesKind {
    /// A line through the points, with a marker on each (up to 60 points).
    #[default]
    Line,
    /// Markers only (measurements beside a model line).
    Points,
    /// A line without markers (a model or fitted curve).
    Curve,
}

#[derive(Debug, Clone, Default)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    pub dashed: bool,
    pub kind: SeriesKind,
}

#[derive(Debug, Clone, Default)]
pub struct LinePlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// dashed horizontal lines: (y, legend label, colour)
    pub hlines: Vec<(f64, String, Rgb)>,
    /// None: log2 when the x values are powers of two times a base
    pub log2_x: Option<bool>,
    /// both axes in log10 (times against lengths); overrides `log2_x`
    pub log10_xy: bool,
    /// None: [0, 1] for accuracy-like data, else the data range
    pub y_range: Option<(f64, f64)>,
    /// ticks only at whole numbers on x (layers, depths)
    pub integer_x: bool,
}

pub(crate) const LEGEND_FONT: f64 = 15.0;
const MAX_LABEL: usize = 38;

fn finite(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// Whether the x values of the plot are drawn in log2.
pub(crate) fn uses_log2(p: &LinePlot) -> bool {
    !p.log10_xy
        && p.log2_x.unwrap_or_else(|| {
            let xs: Vec<f64> = p
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|q| q.0))
                .collect();
            is_pow2_series(&xs)
        })
}

fn is_accuracy(p: &LinePlot, ys: &[f64]) -> bool {
    let l = p.y_label.to_lowercase();
    (l.contains("acc") || l.contains("f1") || l.contains("fraction"))
        && ys.iter().all(|y| (0.0..=1.0).contains(y))
}

/// True when at least one series has a finite point to draw (a figure
/// without one is not drawn at all: the section says why instead).
pub fn has_data(p: &LinePlot) -> bool {
    p.series.iter().any(|s| {
        s.points
            .iter()
            .any(|(x, y)| x.is_finite() && y.is_finite() && (!p.log10_xy || (*x > 0.0 && *y > 0.0)))
    })
}

/// A legend entry: label, colour, dashed, kind.
pub(crate) type LegendEntry = (String, Rgb, bool, SeriesKind);

fn legend_of(plots: &[&LinePlot]) -> Vec<LegendEntry> {
    let mut legend: Vec<LegendEntry> = Vec::new();
    let mut push = |e: LegendEntry| {
        if !legend.iter().any(|l| l.0 == e.0 && l.1 == e.1) {
            legend.push(e);
        }
    };
    for p in plots {
        for s in &p.series {
            push((ellipsize(&s.label, MAX_LABEL), s.colour, s.dashed, s.kind));
        }
    }
    for p in plots {
        for h in &p.hlines {
            push((ellipsize(&h.1, MAX_LABEL), h.2, true, SeriesKind::Curve));
        }
    }
    legend
}

fn legend_width(legend: &[LegendEntry]) -> u32 {
    legend
        .iter()
        .map(|l| text_width(&l.0, LEGEND_FONT))
        .fold(0.0, f64::max)
        .ceil() as u32
        + 56
}

/// Draws one plot with its legend to the right; returns an `<svg>` string.
pub fn line_plot(p: &LinePlot) -> anyhow::Result<String> {
    let legend = legend_of(&[p]);
    let plot_w = 640u32;
    let plot_h = 440u32;
    let width = plot_w + legend_width(&legend).max(120);
    let height = plot_h.max(70 + 22 * legend.len() as u32);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        let (left, right) = root.split_horizontally(plot_w);
        let area = left.shrink((0, 0), (plot_w, plot_h.min(height)));
        draw_panel(&area, p, 20, 15)?;
        draw_legend(&right, &legend, 52)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

/// Several plots as a grid of `cols` panels (row by row) sharing one legend
/// on the right, under an optional overall title. Panels keep their own axes.
pub fn panel_plot(title: &str, panels: &[LinePlot], cols: usize) -> anyhow::Result<String> {
    anyhow::ensure!(!panels.is_empty(), "no panels to draw");
    let cols = cols.clamp(1, panels.len());
    let rows = panels.len().div_ceil(cols);
    let (pw, ph, font) = match cols {
        1 => (640u32, 420u32, 15),
        2 => (470, 340, 15),
        _ => (380, 300, 14),
    };
    let refs: Vec<&LinePlot> = panels.iter().collect();
    let legend = legend_of(&refs);
    let top = if title.is_empty() { 0 } else { 34u32 };
    let grid_w = pw * cols as u32;
    let grid_h = ph * rows as u32;
    let width = grid_w + legend_width(&legend).max(120);
    let height = (top + grid_h).max(top + 30 + 22 * legend.len() as u32);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        if top > 0 {
            root.draw(&Text::new(
                ellipsize(title, 90),
                (12, 8),
                text_style(20.0, (20, 20, 20), HPos::Left, VPos::Top),
            ))
            .map_err(de)?;
        }
        let body = root.clone().shrink((0, top), (width, height - top));
        let (grid, right) = body.split_horizontally(grid_w);
        for (k, p) in panels.iter().enumerate() {
            let (r, c) = ((k / cols) as i32, (k % cols) as i32);
            let area = grid
                .clone()
                .shrink((c * pw as i32, r * ph as i32), (pw, ph));
            draw_panel(&area, p, 17, font)?;
        }
        draw_legend(&right, &legend, 30)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

/// Ticks for a log10 axis over [lo, hi] (values in log10): 1-2-5 per decade
/// when the span is short, decades otherwise. Returned in log10 units.
pub(crate) fn log10_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let decades = hi - lo;
    let mults: &[f64] = if decades <= 2.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let step = if decades > 12.0 { 2 } else { 1 };
    let first = lo.floor() as i32;
    let last = hi.ceil() as i32;
    for d in (first..=last).step_by(step) {
        for m in mults {
            let v = (m * 10f64.powi(d)).log10();
            if v >= lo - 1e-9 && v <= hi + 1e-9 {
                out.push(v);
            }
        }
    }
    out
}

/// Powers of two between 10^lo and 10^hi (log10 units), at most about ten.
pub(crate) fn pow2_ticks_log10(lo: f64, hi: f64) -> Vec<f64> {
    let a = (lo / 2f64.log10()).ceil() as i32;
    let b = (hi / 2f64.log10()).floor() as i32;
    let step = ((b - a + 1).max(1) as usize).div_ceil(10).max(1);
    (a..=b)
        .step_by(step)
        .map(|k| k as f64 * 2f64.log10())
        .collect()
}

fn fmt_pow10(v: f64) -> String {
    let x = 10f64.powf(v);
    if x >= 1.0 {
        tick_label(x.round())
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws one panel (axes, reference lines, series) into `area`.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    p: &LinePlot,
    title_font: u32,
    font: u32,
) -> anyhow::Result<()> {
    let log2 = uses_log2(p);
    let log10 = p.log10_xy;
    let tx = |x: f64| {
        if log10 {
            x.log10()
        } else if log2 {
            x.log2()
        } else {
            x
        }
    };
    let ty = |y: f64| if log10 { y.log10() } else { y };
    let series: Vec<(&Series, Vec<(f64, f64)>)> = p
        .series
        .iter()
        .map(|s| {
            let pts = finite(&s.points)
                .into_iter()
                .filter(|(x, _)| !(log2 || log10) || *x > 0.0)
                .filter(|(_, y)| !log10 || *y > 0.0)
                .map(|(x, y)| (tx(x), ty(y)))
                .collect();
            (s, pts)
        })
        .collect();
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|q| q.0))
        .collect();
    let mut ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|q| q.1))
        .collect();
    ys.extend(
        p.hlines
            .iter()
            .map(|h| h.0)
            .filter(|y| y.is_finite() && (!log10 || *y > 0.0))
            .map(ty),
    );

    let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
    if x1 <= x0 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    let (y0, y1, acc) = match p.y_range {
        Some(r) if r.1 > r.0 && !log10 => (r.0, r.1, false),
        _ if !log10 && is_accuracy(p, &ys) => (0.0, 1.0, true),
        _ => {
            let (a, b) = min_max(&ys).unwrap_or((0.0, 1.0));
            let pad = if b > a {
                (b - a) * 0.06
            } else if log10 {
                0.15
            } else {
                a.abs().max(1.0) * 0.1
            };
            (a - pad, b + pad, false)
        }
    };
    // Head room so a line at exactly 1.0 is not hidden under the frame.
    let (y0d, y1d) = if acc { (-0.02, 1.04) } else { (y0, y1) };

    let xticks: Vec<f64> = if log10 {
        pow2_ticks_log10(x0 - 0.02, x1 + 0.02)
    } else if log2 {
        let mut k: Vec<f64> = xs.iter().map(|x| x.round()).collect();
        k.sort_by(|a, b| a.partial_cmp(b).unwrap());
        k.dedup();
        let step = k.len().div_ceil(10).max(1);
        k.into_iter().step_by(step).collect()
    } else if p.integer_x {
        let span = (x1 - x0).max(1.0);
        let step = (span / 10.0).ceil().max(1.0);
        let mut t = x0.ceil();
        let mut v = Vec::new();
        while t <= x1 + 1e-9 {
            v.push(t);
            t += step;
        }
        v
    } else {
        nice_ticks(x0, x1, 8)
    };
    let (x0d, x1d) = {
        let pad = (x1 - x0) * if log10 { 0.05 } else { 0.03 };
        (x0 - pad, x1 + pad)
    };
    let yticks = if acc {
        nice_ticks(0.0, 1.0, 5)
    } else if log10 {
        log10_ticks(y0, y1)
    } else {
        nice_ticks(y0, y1, 6)
    };

    let fmt_x = move |v: &f64| {
        if log10 {
            fmt_pow10(*v)
        } else if log2 {
            tick_label(2f64.powf(*v).round())
        } else {
            tick_label(*v)
        }
    };
    let fmt_y = move |v: &f64| if log10 { fmt_pow10(*v) } else { tick_label(*v) };
    let x_desc = if log10 {
        format!("{} (log scale)", p.x_label)
    } else if log2 {
        format!("{} (log2 scale)", p.x_label)
    } else {
        p.x_label.clone()
    };
    let y_desc = if log10 {
        format!("{} (log scale)", p.y_label)
    } else {
        p.y_label.clone()
    };

    let mut chart = ChartBuilder::on(area)
        .caption(ellipsize(&p.title, 60), (FONT, title_font))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(if log10 { 70 } else { 64 })
        .build_cartesian_2d(
            KeyAxis::new(x0d, x1d, xticks),
            KeyAxis::new(y0d, y1d, yticks),
        )
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y)
        .label_style((FONT, font))
        .axis_desc_style((FONT, font + 1))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(de)?;

    for (y, _, c) in &p.hlines {
        if y.is_finite() && (!log10 || *y > 0.0) {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0d, ty(*y)), (x1d, ty(*y))],
                    7,
                    5,
                    rgb(*c).stroke_width(2),
                ))
                .map_err(de)?;
        }
    }
    begin_data(area)?;
    for (s, pts) in &series {
        let colour = rgb(s.colour);
        let style = colour.stroke_width(2);
        if pts.len() > 1 && s.kind != SeriesKind::Points {
            if s.dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style))
                    .map_err(de)?;
            } else {
                chart
                    .draw_series(LineSeries::new(pts.clone(), style))
                    .map_err(de)?;
            }
        }
        let markers = match s.kind {
            SeriesKind::Line => pts.len() <= 60 || pts.len() == 1,
            SeriesKind::Points => true,
            // a lone point of a curve is still drawn
            SeriesKind::Curve => pts.len() == 1,
        };
        if markers {
            let r = if s.kind == SeriesKind::Points { 5 } else { 3 };
            chart
                .draw_series(pts.iter().map(|q| Circle::new(*q, r, colour.filled())))
                .map_err(de)?;
        }
    }
    end_data(area)?;
    Ok(())
}

/// Legend entries stacked from `y0` down the top of `area`.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    legend: &[LegendEntry],
    y0: i32,
) -> anyhow::Result<()> {
    let mut y = y0;
    for (label, c, dashed, kind) in legend {
        let colour = rgb(*c);
        match kind {
            SeriesKind::Points => {
                area.draw(&Circle::new((19, y), 5, colour.filled()))
                    .map_err(de)?;
            }
            _ if *dashed => {
                for k in 0..3 {
                    let xs = 6 + k * 10;
                    area.draw(&PathElement::new(
                        vec![(xs, y), (xs + 6, y)],
                        colour.stroke_width(3),
                    ))
                    .map_err(de)?;
                }
            }
            _ => {
                area.draw(&PathElement::new(
                    vec![(6, y), (32, y)],
                    colour.stroke_width(3),
                ))
                .map_err(de)?;
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (40, y),
            text_style(LEGEND_FONT, (30, 30, 30), HPos::Left, VPos::Center),
        ))
        .map_err(de)?;
        y += 22;
    }
    Ok(())
}

pub(crate) fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let mut it = v.iter().copied().filter(|x| x.is_finite());
    let first = it.next()?;
    Some(it.fold((first, first), |(a, b), x| (a.min(x), b.max(x))))
}
