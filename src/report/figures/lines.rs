//! Line plots: one line per series, legend to the right, optional log2 x axis
//! and dashed horizontal reference lines (e.g. chance level).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    de, finish, is_pow2_series, nice_ticks, rgb, text_style, text_width, tick_label, KeyAxis, FONT,
};
use crate::report::util::{ellipsize, Rgb};

#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    pub dashed: bool,
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
pub fn uses_log2(p: &LinePlot) -> bool {
    p.log2_x.unwrap_or_else(|| {
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

/// Draws the plot; returns an `<svg>` string.
pub fn line_plot(p: &LinePlot) -> anyhow::Result<String> {
    let log2 = uses_log2(p);
    let tx = |x: f64| if log2 { x.log2() } else { x };
    let series: Vec<(&Series, Vec<(f64, f64)>)> = p
        .series
        .iter()
        .map(|s| {
            let pts = finite(&s.points)
                .into_iter()
                .filter(|(x, _)| !log2 || *x > 0.0)
                .map(|(x, y)| (tx(x), y))
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
    ys.extend(p.hlines.iter().map(|h| h.0).filter(|y| y.is_finite()));

    let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
    if x1 <= x0 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    let (y0, y1, acc) = match p.y_range {
        Some(r) if r.1 > r.0 => (r.0, r.1, false),
        _ if is_accuracy(p, &ys) => (0.0, 1.0, true),
        _ => {
            let (a, b) = min_max(&ys).unwrap_or((0.0, 1.0));
            let pad = if b > a {
                (b - a) * 0.06
            } else {
                a.abs().max(1.0) * 0.1
            };
            (a - pad, b + pad, false)
        }
    };
    // Head room so a line at exactly 1.0 is not hidden under the frame.
    let (y0d, y1d) = if acc { (-0.02, 1.04) } else { (y0, y1) };

    let xticks: Vec<f64> = if log2 {
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
        let pad = (x1 - x0) * 0.03;
        (x0 - pad, x1 + pad)
    };
    let yticks = if acc {
        nice_ticks(0.0, 1.0, 5)
    } else {
        nice_ticks(y0, y1, 6)
    };

    // Legend entries: series, then reference lines.
    let mut legend: Vec<(String, Rgb, bool)> = series
        .iter()
        .map(|(s, _)| (ellipsize(&s.label, MAX_LABEL), s.colour, s.dashed))
        .collect();
    legend.extend(
        p.hlines
            .iter()
            .map(|h| (ellipsize(&h.1, MAX_LABEL), h.2, true)),
    );
    let legend_w = legend
        .iter()
        .map(|l| text_width(&l.0, LEGEND_FONT))
        .fold(0.0, f64::max)
        .ceil() as u32
        + 56;
    let plot_w = 640u32;
    let width = plot_w + legend_w.max(120);
    let height = (440u32).max(70 + 22 * legend.len() as u32);

    let fmt_x = move |v: &f64| {
        if log2 {
            tick_label(2f64.powf(*v).round())
        } else {
            tick_label(*v)
        }
    };
    let fmt_y = |v: &f64| tick_label(*v);
    let x_desc = if log2 {
        format!("{} (log2 scale)", p.x_label)
    } else {
        p.x_label.clone()
    };

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        let (left, right) = root.split_horizontally(plot_w);
        let plot_area = left.shrink((0, 0), (plot_w, 440.min(height)));
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(ellipsize(&p.title, 70), (FONT, 20))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(
                KeyAxis::new(x0d, x1d, xticks),
                KeyAxis::new(y0d, y1d, yticks),
            )
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(p.y_label.clone())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(de)?;

        for (y, _, c) in &p.hlines {
            if y.is_finite() {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x0d, *y), (x1d, *y)],
                        7,
                        5,
                        rgb(*c).stroke_width(2),
                    ))
                    .map_err(de)?;
            }
        }
        for (s, pts) in &series {
            let colour = rgb(s.colour);
            let style = colour.stroke_width(2);
            if pts.len() > 1 {
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
            if pts.len() <= 60 {
                chart
                    .draw_series(pts.iter().map(|q| Circle::new(*q, 3, colour.filled())))
                    .map_err(de)?;
            }
        }

        draw_legend(&right, &legend)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

/// Legend entries (label, colour, dashed) stacked from the top of `area`.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    legend: &[(String, Rgb, bool)],
) -> anyhow::Result<()> {
    let mut y = 52i32;
    for (label, c, dashed) in legend {
        let colour = rgb(*c);
        if *dashed {
            for k in 0..3 {
                let xs = 6 + k * 10;
                area.draw(&PathElement::new(
                    vec![(xs, y), (xs + 6, y)],
                    colour.stroke_width(3),
                ))
                .map_err(de)?;
            }
        } else {
            area.draw(&PathElement::new(
                vec![(6, y), (32, y)],
                colour.stroke_width(3),
            ))
            .map_err(de)?;
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
