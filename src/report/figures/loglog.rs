//! Log-log plot of time against sequence length, one line per series, the
//! fitted exponent in the legend.

use plotters::prelude::*;

use super::lines::{draw_legend, min_max, LEGEND_FONT};
use super::{de, finish, rgb, text_width, tick_label, KeyAxis, FONT};
use crate::report::util::{ellipsize, Rgb};

#[derive(Debug, Clone)]
pub struct LogLogSeries {
    /// legend entry (already including the exponent)
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    pub dashed: bool,
}

/// Ticks for a log10 axis over [lo, hi] (values in log10): 1-2-5 per decade
/// when the span is short, decades otherwise. Returned in log10 units.
fn log_ticks(lo: f64, hi: f64, pow2: bool) -> Vec<f64> {
    let mut out = Vec::new();
    if pow2 {
        // powers of two between 10^lo and 10^hi
        let a = (lo / 2f64.log10()).ceil() as i32;
        let b = (hi / 2f64.log10()).floor() as i32;
        let step = ((b - a + 1) as usize).div_ceil(10).max(1);
        for k in (a..=b).step_by(step) {
            out.push(k as f64 * 2f64.log10());
        }
        return out;
    }
    let decades = hi - lo;
    let mults: &[f64] = if decades <= 2.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let first = lo.floor() as i32;
    let last = hi.ceil() as i32;
    for d in first..=last {
        for m in mults {
            let v = (m * 10f64.powi(d)).log10();
            if v >= lo - 1e-9 && v <= hi + 1e-9 {
                out.push(v);
            }
        }
    }
    out
}

fn fmt_pow(v: f64) -> String {
    let x = 10f64.powf(v);
    if x >= 1.0 {
        tick_label(x.round())
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws the plot; returns an `<svg>` string.
pub fn loglog_plot(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LogLogSeries],
) -> anyhow::Result<String> {
    let logged: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
                .map(|(x, y)| (x.log10(), y.log10()))
                .collect()
        })
        .collect();
    let xs: Vec<f64> = logged.iter().flatten().map(|p| p.0).collect();
    let ys: Vec<f64> = logged.iter().flatten().map(|p| p.1).collect();
    let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
    let (mut y0, mut y1) = min_max(&ys).unwrap_or((0.0, 1.0));
    if x1 - x0 < 0.3 {
        x0 -= 0.15;
        x1 += 0.15;
    }
    if y1 - y0 < 0.3 {
        y0 -= 0.15;
        y1 += 0.15;
    }
    let (xp, yp) = ((x1 - x0) * 0.04, (y1 - y0) * 0.06);
    let (x0, x1, y0, y1) = (x0 - xp, x1 + xp, y0 - yp, y1 + yp);
    let xticks = log_ticks(x0, x1, true);
    let yticks = log_ticks(y0, y1, false);

    let legend: Vec<(String, Rgb, bool)> = series
        .iter()
        .map(|s| (ellipsize(&s.label, 44), s.colour, s.dashed))
        .collect();
    let legend_w = legend
        .iter()
        .map(|l| text_width(&l.0, LEGEND_FONT))
        .fold(0.0, f64::max)
        .ceil() as u32
        + 56;
    let plot_w = 620u32;
    let width = plot_w + legend_w.max(120);
    let height = 460u32.max(70 + 22 * legend.len() as u32);
    let fx = |v: &f64| fmt_pow(*v);

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        let (left, right) = root.split_horizontally(plot_w);
        let plot_area = left.shrink((0, 0), (plot_w, 460.min(height)));
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(ellipsize(title, 70), (FONT, 20))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(70)
            .build_cartesian_2d(KeyAxis::new(x0, x1, xticks), KeyAxis::new(y0, y1, yticks))
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc(format!("{x_label} (log scale)"))
            .y_desc(format!("{y_label} (log scale)"))
            .x_label_formatter(&fx)
            .y_label_formatter(&fx)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(de)?;
        for (s, pts) in series.iter().zip(&logged) {
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
            chart
                .draw_series(pts.iter().map(|q| Circle::new(*q, 3, colour.filled())))
                .map_err(de)?;
        }
        draw_legend(&right, &legend)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}
