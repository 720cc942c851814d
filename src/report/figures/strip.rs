//! Attribution strip: rows (examples, or query positions for attention) x
//! sequence positions, colour = attribution scaled per row, ground-truth
//! relevant positions outlined.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{begin_data, de, end_data, finish, rgb, text_style, text_width};
use crate::report::util::{ellipsize, lerp, Rgb};

pub(crate) const MAX_ROWS: usize = 64;
pub(crate) const MAX_COLS: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct Strip {
    pub title: String,
    /// "ex" or "q" (query position): the prefix of the row labels
    pub row_prefix: String,
    /// shown above the columns when there is one per column and room
    pub tokens: Vec<i64>,
    pub values: Vec<Vec<f64>>,
    pub ground_truth: Option<Vec<Vec<bool>>>,
    /// labels of the rows (used instead of `row_prefix` + index when given)
    pub row_labels: Vec<String>,
    /// blocks of rows: (first row, label), drawn as a label left of the
    /// block and a line above it (the gallery's one block per model)
    pub groups: Vec<(usize, String)>,
}

const WHITE_RGB: Rgb = (255, 255, 255);
const POS: Rgb = (165, 15, 21);
const NEG: Rgb = (33, 102, 172);

/// Colour of a value scaled to [-1, 1].
pub(crate) fn attribution_colour(t: f64) -> Rgb {
    if !t.is_finite() {
        return (230, 230, 230);
    }
    if t >= 0.0 {
        lerp(WHITE_RGB, POS, t.min(1.0))
    } else {
        lerp(WHITE_RGB, NEG, (-t).min(1.0))
    }
}

fn step_for(cw: i32, min_px: i32) -> usize {
    let raw = (min_px as f64 / cw.max(1) as f64).ceil() as usize;
    [1usize, 2, 5, 10, 20, 25, 50, 100]
        .into_iter()
        .find(|s| *s >= raw)
        .unwrap_or(100)
}

/// Draws the strip; returns an `<svg>` string.
pub fn strip(s: &Strip) -> anyhow::Result<String> {
    let nrows = s.values.len().clamp(1, MAX_ROWS);
    let ncols = s
        .values
        .iter()
        .map(|r| r.len())
        .max()
        .unwrap_or(0)
        .clamp(1, MAX_COLS);
    let signed = s.values.iter().flatten().any(|v| *v < 0.0);
    let cw = (860 / ncols as i32).clamp(3, 34);
    let grouped = !s.groups.is_empty();
    let ch = if grouped {
        14
    } else {
        (260 / nrows as i32).clamp(8, 26)
    };
    let show_tokens = s.tokens.len() == ncols && cw >= 14;
    let label_w = |labels: &mut dyn Iterator<Item = &String>, size: f64| {
        labels
            .map(|l| text_width(&ellipsize(l, 28), size))
            .fold(0.0, f64::max)
            .ceil() as i32
    };
    let group_w = if s.groups.is_empty() {
        0
    } else {
        label_w(&mut s.groups.iter().map(|g| &g.1), 14.0) + 14
    };
    let lm = if s.row_labels.is_empty() {
        64i32
    } else {
        label_w(&mut s.row_labels.iter(), 13.0) + 16
    } + group_w;
    let top = 44 + if show_tokens { 22 } else { 0 };
    let grid_w = cw * ncols as i32;
    let grid_h = ch * nrows as i32;
    let width = (lm + grid_w + 24).max(560) as u32;
    let height = (top + grid_h + 92) as u32;

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        let dark = (40, 40, 40);
        root.draw(&Text::new(
            ellipsize(&s.title, 80),
            (10, 10),
            text_style(18.0, (20, 20, 20), HPos::Left, VPos::Top),
        ))
        .map_err(de)?;
        if show_tokens {
            root.draw(&Text::new(
                "token",
                (lm - 8, top - 12),
                text_style(13.0, (110, 110, 110), HPos::Right, VPos::Center),
            ))
            .map_err(de)?;
            for (j, t) in s.tokens.iter().enumerate() {
                root.draw(&Text::new(
                    ellipsize(&t.to_string(), 3),
                    (lm + cw * j as i32 + cw / 2, top - 12),
                    text_style(13.0, dark, HPos::Center, VPos::Center),
                ))
                .map_err(de)?;
            }
        }
        let row_step = if s.row_labels.is_empty() {
            step_for(ch, 20)
        } else {
            1
        };
        for (i, _) in s.values.iter().take(nrows).enumerate() {
            let y = top + ch * i as i32;
            if i % row_step == 0 {
                let label = s
                    .row_labels
                    .get(i)
                    .map(|l| ellipsize(l, 28))
                    .unwrap_or_else(|| format!("{} {}", s.row_prefix, i));
                root.draw(&Text::new(
                    label,
                    (lm - 8, y + ch / 2),
                    text_style(13.0, dark, HPos::Right, VPos::Center),
                ))
                .map_err(de)?;
            }
        }
        for (start, label) in &s.groups {
            if *start >= nrows {
                continue;
            }
            let y = top + ch * *start as i32;
            root.draw(&Text::new(
                ellipsize(label, 28),
                (8, y + ch / 2),
                text_style(14.0, (20, 20, 20), HPos::Left, VPos::Center),
            ))
            .map_err(de)?;
            if *start > 0 {
                root.draw(&PathElement::new(
                    vec![(8, y), (lm + grid_w, y)],
                    RGBColor(60, 60, 60).stroke_width(2),
                ))
                .map_err(de)?;
            }
        }
        begin_data(&root)?;
        for (i, row) in s.values.iter().take(nrows).enumerate() {
            let y = top + ch * i as i32;
            let m = row
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, |a, v| a.max(v.abs()));
            for (j, v) in row.iter().take(ncols).enumerate() {
                let x = lm + cw * j as i32;
                let t = if m > 0.0 { v / m } else { 0.0 };
                root.draw(&Rectangle::new(
                    [(x, y), (x + cw, y + ch)],
                    rgb(attribution_colour(t)).filled(),
                ))
                .map_err(de)?;
            }
        }
        end_data(&root)?;
        root.draw(&Rectangle::new(
            [(lm, top), (lm + grid_w, top + grid_h)],
            RGBColor(150, 150, 150).stroke_width(1),
        ))
        .map_err(de)?;
        // ground truth: outlined cells
        if let Some(gt) = &s.ground_truth {
            for (i, row) in gt.iter().take(nrows).enumerate() {
                for (j, &b) in row.iter().take(ncols).enumerate() {
                    if b {
                        let (x, y) = (lm + cw * j as i32, top + ch * i as i32);
                        root.draw(&Rectangle::new(
                            [(x + 1, y + 1), (x + cw - 1, y + ch - 1)],
                            RGBColor(0, 0, 0).stroke_width(2),
                        ))
                        .map_err(de)?;
                    }
                }
            }
        }
        // position ticks
        let col_step = step_for(cw, 30);
        for j in (0..ncols).step_by(col_step) {
            root.draw(&Text::new(
                j.to_string(),
                (lm + cw * j as i32 + cw / 2, top + grid_h + 6),
                text_style(13.0, dark, HPos::Center, VPos::Top),
            ))
            .map_err(de)?;
        }
        root.draw(&Text::new(
            "position",
            (lm + grid_w / 2, top + grid_h + 26),
            text_style(14.0, dark, HPos::Center, VPos::Top),
        ))
        .map_err(de)?;
        draw_key(
            &root,
            lm,
            top + grid_h + 54,
            signed,
            s.ground_truth.is_some(),
        )?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

/// The colour key and the ground-truth marker, in one line.
fn draw_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    x: i32,
    y: i32,
    signed: bool,
    gt: bool,
) -> anyhow::Result<()> {
    let w = 150;
    let (lo, hi) = if signed { (-1.0, 1.0) } else { (0.0, 1.0) };
    for k in 0..w {
        let t = lo + (hi - lo) * (k as f64 + 0.5) / w as f64;
        root.draw(&Rectangle::new(
            [(x + k, y), (x + k + 1, y + 14)],
            rgb(attribution_colour(t)).filled(),
        ))
        .map_err(de)?;
    }
    root.draw(&Rectangle::new(
        [(x, y), (x + w, y + 14)],
        RGBColor(150, 150, 150).stroke_width(1),
    ))
    .map_err(de)?;
    let style = |h| text_style(13.0, (40, 40, 40), h, VPos::Center);
    let lo_label = if signed { "−max" } else { "0" };
    root.draw(&Text::new(lo_label, (x - 4, y + 7), style(HPos::Right)))
        .map_err(de)?;
    root.draw(&Text::new(
        "max |value| (per row)",
        (x + w + 6, y + 7),
        style(HPos::Left),
    ))
    .map_err(de)?;
    if gt {
        let gx = x + w + 190;
        let c = attribution_colour(0.6);
        root.draw(&Rectangle::new(
            [(gx, y), (gx + 16, y + 14)],
            rgb(c).filled(),
        ))
        .map_err(de)?;
        root.draw(&Rectangle::new(
            [(gx + 1, y + 1), (gx + 15, y + 13)],
            RGBColor(0, 0, 0).stroke_width(2),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            "ground-truth relevant",
            (gx + 22, y + 7),
            style(HPos::Left),
        ))
        .map_err(de)?;
    }
    Ok(())
}
