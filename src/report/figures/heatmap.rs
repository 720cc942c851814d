//! Heatmaps (rows x columns) with the number printed in every cell and a
//! colour bar: accuracies on the report-wide accuracy scale
//! (`util::acc_colour`), other fractions on a plain linear scale. Several
//! heatmaps can share one figure and one colour bar ([`heatmap_grid`]).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{begin_data, de, end_data, finish, rgb, text_style, text_width};
use crate::report::util::{
    acc_colour, acc_scale_pos, ellipsize, pct, text_on, viridis, Rgb, ACC_STOPS,
};

/// How cell values map to colours and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellScale {
    /// Accuracy fractions, printed as percentages, on the stretched
    /// accuracy scale.
    #[default]
    Accuracy,
    /// Fractions in [0, 1] on a linear scale, printed with two decimals.
    Fraction,
}

impl CellScale {
    fn colour(self, v: f64) -> Rgb {
        match self {
            CellScale::Accuracy => acc_colour(v),
            CellScale::Fraction => viridis(v),
        }
    }
    fn label(self, v: f64) -> String {
        match self {
            CellScale::Accuracy => pct(v),
            CellScale::Fraction => format!("{v:.2}"),
        }
    }
    /// (value, tick label) for the colour bar.
    fn ticks(self) -> Vec<(f64, String)> {
        match self {
            CellScale::Accuracy => ACC_STOPS
                .iter()
                .map(|(a, _)| (acc_scale_pos(*a), format!("{:.0}%", a * 100.0)))
                .collect(),
            CellScale::Fraction => [0.0, 0.25, 0.5, 0.75, 1.0]
                .iter()
                .map(|v| (*v, format!("{v:.2}")))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Heatmap {
    pub title: String,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    /// what the columns are, e.g. "depth L"
    pub col_desc: String,
    /// `values[row][col]`; None = not run
    pub values: Vec<Vec<Option<f64>>>,
    pub scale: CellScale,
    /// an optional second line per cell (e.g. "AUC 0.31"), same shape
    pub sub: Vec<Vec<Option<String>>>,
}

const LABEL_FONT: f64 = 16.0;
const CELL_FONT: f64 = 15.0;
const SUB_FONT: f64 = 12.0;
const TOP: i32 = 62;

impl Heatmap {
    fn has_sub(&self) -> bool {
        self.sub.iter().flatten().any(Option::is_some)
    }
    fn value(&self, i: usize, j: usize) -> Option<f64> {
        self.values
            .get(i)
            .and_then(|row| row.get(j))
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    }
    /// True when some cell holds a finite value (an empty heatmap is not
    /// drawn).
    pub fn has_data(&self) -> bool {
        (0..self.row_labels.len())
            .any(|i| (0..self.col_labels.len()).any(|j| self.value(i, j).is_some()))
    }
    fn rows(&self) -> Vec<String> {
        self.row_labels.iter().map(|r| ellipsize(r, 30)).collect()
    }
    fn left(&self) -> i32 {
        self.rows()
            .iter()
            .map(|r| text_width(r, LABEL_FONT))
            .fold(40.0, f64::max)
            .ceil() as i32
            + 16
    }
    fn cell(&self) -> (i32, i32) {
        let ncols = self.col_labels.len().max(1) as i32;
        let max_label = self
            .col_labels
            .iter()
            .map(|c| text_width(c, LABEL_FONT))
            .fold(0.0, f64::max)
            .ceil() as i32
            + 10;
        let cw = (560 / ncols).clamp(50, 80).max(max_label.min(110));
        let ch = if self.has_sub() { 42 } else { 30 };
        (cw, ch)
    }
    /// The drawn size of this heatmap, without a colour bar.
    fn size(&self) -> (i32, i32) {
        let (cw, ch) = self.cell();
        let w = self.left() + cw * self.col_labels.len().max(1) as i32 + 16;
        let title_w = text_width(&ellipsize(&self.title, 60), 19.0).ceil() as i32 + 24;
        let h = TOP + ch * self.row_labels.len().max(1) as i32 + 40;
        (w.max(title_w), h)
    }
}

/// Draws one heatmap with its colour bar; returns an `<svg>` string.
pub fn heatmap(h: &Heatmap) -> anyhow::Result<String> {
    heatmap_grid("", std::slice::from_ref(h), 1)
}

/// Several heatmaps in a grid of `cols` columns, one colour bar (the first
/// heatmap's scale) on the right; an optional title above.
pub fn heatmap_grid(title: &str, maps: &[Heatmap], cols: usize) -> anyhow::Result<String> {
    anyhow::ensure!(!maps.is_empty(), "no heatmaps to draw");
    let sizes: Vec<(i32, i32)> = maps.iter().map(Heatmap::size).collect();
    // fewer columns when wide heatmaps would make the figure too wide to read
    let widest = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let mut cols = cols.clamp(1, maps.len());
    while cols > 1 && widest * cols as i32 > 1050 {
        cols -= 1;
    }
    let nrows = maps.len().div_ceil(cols);
    let col_w: Vec<i32> = (0..cols)
        .map(|c| {
            (0..nrows)
                .filter_map(|r| sizes.get(r * cols + c).map(|s| s.0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let row_h: Vec<i32> = (0..nrows)
        .map(|r| {
            (0..cols)
                .filter_map(|c| sizes.get(r * cols + c).map(|s| s.1))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let head = if title.is_empty() { 0 } else { 36 };
    let grid_w: i32 = col_w.iter().sum();
    let grid_h: i32 = row_h.iter().sum();
    let bar_x = grid_w + 12;
    let bar_h = (grid_h - TOP - 40).clamp(160, 320);
    let width = (bar_x + 18 + 60).max(320);
    let height = head + grid_h.max(TOP + bar_h + 30);

    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(de)?;
        if head > 0 {
            root.draw(&Text::new(
                ellipsize(title, 90),
                (12, 8),
                text_style(20.0, (20, 20, 20), HPos::Left, VPos::Top),
            ))
            .map_err(de)?;
        }
        for (k, h) in maps.iter().enumerate() {
            let (r, c) = (k / cols, k % cols);
            let ox: i32 = col_w[..c].iter().sum();
            let oy: i32 = head + row_h[..r].iter().sum::<i32>();
            draw_one(&root, h, ox, oy)?;
        }
        draw_colour_bar(&root, maps[0].scale, bar_x, head + TOP, bar_h)?;
        root.present().map_err(de)?;
    }
    finish(buf)
}

fn draw_one<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    h: &Heatmap,
    ox: i32,
    oy: i32,
) -> anyhow::Result<()> {
    let rows = h.rows();
    let lm = ox + h.left();
    let (cw, ch) = h.cell();
    let top = oy + TOP;
    let grid_w = cw * h.col_labels.len() as i32;
    let grid_h = ch * rows.len() as i32;
    root.draw(&Text::new(
        ellipsize(&h.title, 60),
        (ox + 12, oy + 10),
        text_style(19.0, (20, 20, 20), HPos::Left, VPos::Top),
    ))
    .map_err(de)?;
    for (j, c) in h.col_labels.iter().enumerate() {
        let x = lm + cw * j as i32 + cw / 2;
        root.draw(&Text::new(
            ellipsize(c, 14),
            (x, top - 6),
            text_style(LABEL_FONT, (40, 40, 40), HPos::Center, VPos::Bottom),
        ))
        .map_err(de)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as i32;
        root.draw(&Text::new(
            r.clone(),
            (lm - 10, y + ch / 2),
            text_style(LABEL_FONT, (40, 40, 40), HPos::Right, VPos::Center),
        ))
        .map_err(de)?;
    }
    // Cells without a value first (grey, outside the data group), then the
    // data cells.
    for i in 0..rows.len() {
        for j in 0..h.col_labels.len() {
            if h.value(i, j).is_none() {
                let (x, y) = (lm + cw * j as i32, top + ch * i as i32);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cw, y + ch)],
                    RGBColor(238, 238, 238).filled(),
                ))
                .map_err(de)?;
                root.draw(&Rectangle::new(
                    [(x, y), (x + cw, y + ch)],
                    WHITE.stroke_width(1),
                ))
                .map_err(de)?;
                root.draw(&Text::new(
                    "–",
                    (x + cw / 2, y + ch / 2),
                    text_style(CELL_FONT, (130, 130, 130), HPos::Center, VPos::Center),
                ))
                .map_err(de)?;
            }
        }
    }
    begin_data(root)?;
    for i in 0..rows.len() {
        for j in 0..h.col_labels.len() {
            let Some(v) = h.value(i, j) else { continue };
            let (x, y) = (lm + cw * j as i32, top + ch * i as i32);
            let bg = h.scale.colour(v);
            let fg = text_on(bg);
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
            let sub = h.sub.get(i).and_then(|r| r.get(j)).cloned().flatten();
            let main_y = if sub.is_some() { y + 14 } else { y + ch / 2 };
            root.draw(&Text::new(
                h.scale.label(v),
                (x + cw / 2, main_y),
                text_style(CELL_FONT, fg, HPos::Center, VPos::Center),
            ))
            .map_err(de)?;
            if let Some(s) = sub {
                root.draw(&Text::new(
                    ellipsize(&s, 12),
                    (x + cw / 2, y + 31),
                    text_style(SUB_FONT, fg, HPos::Center, VPos::Center),
                ))
                .map_err(de)?;
            }
        }
    }
    end_data(root)?;
    root.draw(&Text::new(
        h.col_desc.clone(),
        (lm + grid_w / 2, top + grid_h + 10),
        text_style(LABEL_FONT, (40, 40, 40), HPos::Center, VPos::Top),
    ))
    .map_err(de)?;
    Ok(())
}

/// The colour bar: the top of the scale at the top, ticks at its stops.
fn draw_colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    scale: CellScale,
    x: i32,
    top: i32,
    h: i32,
) -> anyhow::Result<()> {
    let steps = 100;
    for k in 0..steps {
        let t0 = k as f64 / steps as f64;
        let y_hi = top + ((1.0 - (t0 + 1.0 / steps as f64)) * h as f64).floor() as i32;
        let y_lo = top + ((1.0 - t0) * h as f64).ceil() as i32;
        let c = viridis(t0 + 0.5 / steps as f64);
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
    for (pos, label) in scale.ticks() {
        let y = top + ((1.0 - pos) * h as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + 18, y), (x + 23, y)],
            RGBColor(90, 90, 90).stroke_width(1),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            label,
            (x + 26, y),
            text_style(13.0, (40, 40, 40), HPos::Left, VPos::Center),
        ))
        .map_err(de)?;
    }
    Ok(())
}
