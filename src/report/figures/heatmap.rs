//! Accuracy heatmap (rows x columns), the number printed in every cell and a
//! colour bar using the report-wide accuracy scale (`util::acc_colour`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{de, finish, rgb, text_style, text_width};
use crate::report::util::{acc_colour, acc_scale_pos, ellipsize, pct, text_on, ACC_STOPS};

#[derive(Debug, Clone, Default)]
pub struct Heatmap {
    pub title: String,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    /// what the columns are, e.g. "depth L"
    pub col_desc: String,
    /// `values[row][col]`, accuracy fractions; None = not run
    pub values: Vec<Vec<Option<f64>>>,
}

const LABEL_FONT: f64 = 16.0;
const CELL_FONT: f64 = 15.0;

/// Draws the heatmap; returns an `<svg>` string.
pub fn heatmap(h: &Heatmap) -> anyhow::Result<String> {
    let nrows = h.row_labels.len().max(1);
    let ncols = h.col_labels.len().max(1);
    let rows: Vec<String> = h.row_labels.iter().map(|r| ellipsize(r, 28)).collect();
    let lm = rows
        .iter()
        .map(|r| text_width(r, LABEL_FONT))
        .fold(40.0, f64::max)
        .ceil() as i32
        + 16;
    let cw = (600 / ncols as i32).clamp(46, 72);
    let ch = 32i32;
    let top = 70i32;
    let grid_w = cw * ncols as i32;
    let grid_h = ch * nrows as i32;
    let bar_h = grid_h.max(250);
    let bar_x = lm + grid_w + 28;
    let title = ellipsize(&h.title, 70);
    let title_w = text_width(&title, 20.0).ceil() as i32 + 24;
    let width = (bar_x + 18 + 56)
        .max(lm + grid_w + 20)
        .max(title_w)
        .max(320) as u32;
    let height = (top + grid_h.max(bar_h) + 56) as u32;

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        root.draw(&Text::new(
            title,
            (12, 10),
            text_style(20.0, (20, 20, 20), HPos::Left, VPos::Top),
        ))
        .map_err(de)?;
        // column labels
        for (j, c) in h.col_labels.iter().enumerate() {
            let x = lm + cw * j as i32 + cw / 2;
            root.draw(&Text::new(
                ellipsize(c, 8),
                (x, top - 8),
                text_style(LABEL_FONT, (40, 40, 40), HPos::Center, VPos::Bottom),
            ))
            .map_err(de)?;
        }
        // row labels and cells
        for (i, r) in rows.iter().enumerate() {
            let y = top + ch * i as i32;
            root.draw(&Text::new(
                r.clone(),
                (lm - 10, y + ch / 2),
                text_style(LABEL_FONT, (40, 40, 40), HPos::Right, VPos::Center),
            ))
            .map_err(de)?;
            for j in 0..h.col_labels.len() {
                let x = lm + cw * j as i32;
                let v = h
                    .values
                    .get(i)
                    .and_then(|row| row.get(j))
                    .copied()
                    .flatten()
                    .filter(|v| v.is_finite());
                let (bg, label, fg) = match v {
                    Some(a) => {
                        let bg = acc_colour(a);
                        (bg, pct(a), text_on(bg))
                    }
                    None => ((238, 238, 238), "–".to_string(), (130, 130, 130)),
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + cw, y + ch)],
                    rgb(bg).filled(),
                ))
                .map_err(de)?;
                root.draw(&Rectangle::new(
                    [(x, y), (x + cw, y + ch)],
                    WHITE.stroke_width(1),
                ))
                .map_err(de)?;
                root.draw(&Text::new(
                    label,
                    (x + cw / 2, y + ch / 2),
                    text_style(CELL_FONT, fg, HPos::Center, VPos::Center),
                ))
                .map_err(de)?;
            }
        }
        // column description under the grid
        root.draw(&Text::new(
            h.col_desc.clone(),
            (lm + grid_w / 2, top + grid_h + 12),
            text_style(LABEL_FONT, (40, 40, 40), HPos::Center, VPos::Top),
        ))
        .map_err(de)?;
        draw_colour_bar(&root, bar_x, top, bar_h)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

/// The accuracy colour bar: 100 % at the top, ticks at the scale's stops.
fn draw_colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    x: i32,
    top: i32,
    h: i32,
) -> anyhow::Result<()> {
    let steps = 100;
    for k in 0..steps {
        let t0 = k as f64 / steps as f64;
        let y_hi = top + ((1.0 - (t0 + 1.0 / steps as f64)) * h as f64).floor() as i32;
        let y_lo = top + ((1.0 - t0) * h as f64).ceil() as i32;
        let c = crate::report::util::viridis(t0 + 0.5 / steps as f64);
        root.draw(&Rectangle::new(
            [(x, y_hi), (x + 18, y_lo)],
            rgb(c).filled(),
        ))
        .map_err(de)?;
    }
    root.draw(&Rectangle::new(
        [(x, top), (x + 18, top + h)],
        RGBColor(90, 90, 90).stroke_width(1),
    ))
    .map_err(de)?;
    for (acc, _) in ACC_STOPS {
        let y = top + ((1.0 - acc_scale_pos(acc)) * h as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + 18, y), (x + 23, y)],
            RGBColor(90, 90, 90).stroke_width(1),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            format!("{:.0}%", acc * 100.0),
            (x + 26, y),
            text_style(13.0, (40, 40, 40), HPos::Left, VPos::Center),
        ))
        .map_err(de)?;
    }
    Ok(())
}
