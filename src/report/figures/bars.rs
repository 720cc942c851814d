//! Horizontal bars, one per model, with the baselines as dashed vertical
//! lines across them: "baseline beside every model" in one picture.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    begin_data, de, end_data, finish, nice_ticks, rgb, text_style, text_width, tick_label,
};
use crate::report::util::{ellipsize, Rgb};

#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub title: String,
    /// what the bars measure, e.g. "macro-F1"
    pub x_label: String,
    /// (label, value)
    pub bars: Vec<(String, f64)>,
    /// (label, value): dashed vertical lines
    pub baselines: Vec<(String, f64)>,
    /// bars that beat every baseline are coloured, the rest grey
    pub higher_is_better: bool,
    /// values printed as percentages
    pub percent: bool,
}

const BETTER: Rgb = (31, 119, 180);
const WORSE: Rgb = (170, 170, 170);
const BASE: [Rgb; 3] = [(214, 39, 40), (255, 127, 14), (148, 103, 189)];

fn fmt(v: f64, percent: bool) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if percent {
        format!("{:.1}%", 100.0 * v)
    } else if v.abs() >= 0.01 || v == 0.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}

/// True when some bar has a finite value.
pub fn has_data(b: &BarChart) -> bool {
    b.bars.iter().any(|(_, v)| v.is_finite())
}

/// Draws the chart; returns an `<svg>` string.
pub fn bar_chart(b: &BarChart) -> anyhow::Result<String> {
    let labels: Vec<String> = b.bars.iter().map(|(l, _)| ellipsize(l, 30)).collect();
    let lm = labels
        .iter()
        .map(|l| text_width(l, 15.0))
        .fold(60.0, f64::max)
        .ceil() as i32
        + 18;
    let bar_h = 26i32;
    let gap = 8i32;
    let top = 48i32;
    let plot_w = 520i32;
    let n = b.bars.len().max(1) as i32;
    let grid_h = n * (bar_h + gap);
    let legend_h = 22 * b.baselines.len() as i32;
    let width = lm + plot_w + 110;
    let height = top + grid_h + 48 + legend_h + 10;

    let values: Vec<f64> = b
        .bars
        .iter()
        .map(|x| x.1)
        .chain(b.baselines.iter().map(|x| x.1))
        .filter(|v| v.is_finite())
        .collect();
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let (lo, hi) = if b.percent {
        (lo.min(0.0), hi.max(1.0).min(1.0).max(hi))
    } else {
        (lo, if hi > lo { hi } else { lo + 1.0 })
    };
    // ticks that cover every value: the axis ends on a tick
    let mut ticks = nice_ticks(lo, hi, 5);
    if ticks.len() >= 2 {
        let step = ticks[1] - ticks[0];
        while ticks.last().is_some_and(|t| *t < hi - step * 1e-9) {
            let next = ticks.last().unwrap() + step;
            ticks.push(format!("{next:.10e}").parse().unwrap_or(next));
        }
    }
    let hi = ticks.last().copied().filter(|t| *t > lo).unwrap_or(hi);
    let xmap = |v: f64| lm + (((v - lo) / (hi - lo)) * plot_w as f64).round() as i32;
    // "better" = beats the best baseline in the metric's direction
    let best_base = b
        .baselines
        .iter()
        .map(|x| x.1)
        .filter(|v| v.is_finite())
        .reduce(|a, c| {
            if b.higher_is_better {
                a.max(c)
            } else {
                a.min(c)
            }
        });
    let beats = |v: f64| match best_base {
        Some(base) if b.higher_is_better => v > base,
        Some(base) => v < base,
        None => true,
    };

    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        root.draw(&Text::new(
            ellipsize(&b.title, 80),
            (12, 10),
            text_style(19.0, (20, 20, 20), HPos::Left, VPos::Top),
        ))
        .map_err(de)?;
        // grid lines and ticks
        for t in &ticks {
            let x = xmap(*t);
            root.draw(&PathElement::new(
                vec![(x, top - 4), (x, top + grid_h)],
                RGBColor(225, 225, 225).stroke_width(1),
            ))
            .map_err(de)?;
            let label = if b.percent {
                format!("{:.0}%", t * 100.0)
            } else {
                tick_label(*t)
            };
            root.draw(&Text::new(
                label,
                (x, top + grid_h + 6),
                text_style(14.0, (40, 40, 40), HPos::Center, VPos::Top),
            ))
            .map_err(de)?;
        }
        root.draw(&Text::new(
            b.x_label.clone(),
            (lm + plot_w / 2, top + grid_h + 26),
            text_style(15.0, (40, 40, 40), HPos::Center, VPos::Top),
        ))
        .map_err(de)?;
        for (i, l) in labels.iter().enumerate() {
            let y = top + i as i32 * (bar_h + gap);
            root.draw(&Text::new(
                l.clone(),
                (lm - 8, y + bar_h / 2),
                text_style(15.0, (30, 30, 30), HPos::Right, VPos::Center),
            ))
            .map_err(de)?;
        }
        begin_data(&root)?;
        for (i, (_, v)) in b.bars.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let y = top + i as i32 * (bar_h + gap);
            let (x0, x1) = (xmap(0f64.max(lo)), xmap(*v));
            let (a, c) = (x0.min(x1), x0.max(x1).max(x0.min(x1) + 1));
            let colour = if beats(*v) { BETTER } else { WORSE };
            root.draw(&Rectangle::new(
                [(a, y), (c, y + bar_h)],
                rgb(colour).filled(),
            ))
            .map_err(de)?;
            root.draw(&Text::new(
                fmt(*v, b.percent),
                (c + 6, y + bar_h / 2),
                text_style(14.0, (30, 30, 30), HPos::Left, VPos::Center),
            ))
            .map_err(de)?;
        }
        end_data(&root)?;
        for (k, (label, v)) in b.baselines.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let c = rgb(BASE[k % BASE.len()]);
            let x = xmap(*v);
            root.draw(&DashedPathElement::new(
                vec![(x, top - 6), (x, top + grid_h)],
                6,
                4,
                c.stroke_width(2),
            ))
            .map_err(de)?;
            let ly = top + grid_h + 56 + 22 * k as i32;
            root.draw(&DashedPathElement::new(
                vec![(lm, ly), (lm + 28, ly)],
                6,
                4,
                c.stroke_width(2),
            ))
            .map_err(de)?;
            root.draw(&Text::new(
                format!("{} ({})", ellipsize(label, 50), fmt(*v, b.percent)),
                (lm + 36, ly),
                text_style(14.0, (30, 30, 30), HPos::Left, VPos::Center),
            ))
            .map_err(de)?;
        }
        root.present().map_err(de)?;
    }
    finish(buf)
}
