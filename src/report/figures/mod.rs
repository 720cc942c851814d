//! Figures drawn with plotters' SVG backend into strings.
//!
//! No font files are needed: plotters (built without `ttf`) estimates text
//! sizes with fixed metrics and writes `<text font-family="sans-serif">`
//! elements; the browser picks the actual font.

pub mod bars;
pub mod heatmap;
pub mod lines;
pub mod loglog;
pub mod strip;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::util::{escape_html, Rgb};

pub use bars::{bar_chart, BarChart};
pub use heatmap::{heatmap, heatmap_grid, CellScale, Heatmap};
pub use lines::{line_plot, panel_plot, LinePlot, Series};
pub use loglog::{loglog_plot, LogLogSeries};
pub use strip::{strip, Strip};

/// Any plotters error as an anyhow error (plotters' error types carry
/// backend-specific generics).
pub(crate) fn de<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

pub(crate) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn text_style(size: f64, colour: Rgb, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, size).into_font(),
        color: rgb(colour).to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// A linear f64 axis whose ticks are exactly `keys` (plotters' own
/// `with_key_points` cannot be combined with a label formatter for f64).
#[derive(Debug, Clone)]
pub(crate) struct KeyAxis {
    pub lo: f64,
    pub hi: f64,
    pub keys: Vec<f64>,
}

impl KeyAxis {
    pub fn new(lo: f64, hi: f64, keys: Vec<f64>) -> Self {
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let keys = keys.into_iter().filter(|k| *k >= lo && *k <= hi).collect();
        KeyAxis { lo, hi, keys }
    }
}

impl plotters::coord::ranged1d::Ranged for KeyAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Approximate pixel width of `s` at font `size` (plotters' SVG text size is
/// `size / 1.24` px; an average sans-serif glyph is about 0.55 em).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size / 1.24 * 0.58
}

/// An SVG that says the figure could not be drawn; used so that a drawing
/// error never takes the page down.
pub fn error_svg(msg: &str) -> String {
    format!(
        "<svg width=\"600\" height=\"60\" viewBox=\"0 0 600 60\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0\" y=\"0\" width=\"600\" height=\"60\" fill=\"#fff4f4\" stroke=\"#c33\"/>\
         <text x=\"12\" y=\"35\" font-family=\"sans-serif\" font-size=\"14\" fill=\"#900\">{}</text></svg>",
        escape_html(&super::util::ellipsize(msg, 80))
    )
}

/// The class of the `<g>` that holds a figure's data marks (lines, points,
/// bars, cells drawn from data), apart from axes, labels and legends: what a
/// reader (or a test) checks to know a figure is not empty.
pub const DATA_CLASS: &str = "data";

// Two 1-pixel rectangles in colours no figure uses mark where the data marks
// begin and end; [`finish`] turns them into `<g class="data">` and `</g>`
// (plotters has no groups of its own).
const BEGIN_DATA: RGBColor = RGBColor(1, 2, 3);
const END_DATA: RGBColor = RGBColor(3, 2, 1);

/// Call before drawing data marks on `area` (then [`end_data`]).
pub(crate) fn begin_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(0, 0), (1, 1)], BEGIN_DATA.filled()))
        .map_err(de)
}

/// Closes what [`begin_data`] opened.
pub(crate) fn end_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(0, 0), (1, 1)], END_DATA.filled()))
        .map_err(de)
}

/// Drops the newline plotters leaves at the end, turns the data markers into
/// `<g class="data">` groups and checks that it is an svg.
pub(crate) fn finish(buf: String) -> anyhow::Result<String> {
    let open = format!("fill=\"{}\"", hex(BEGIN_DATA));
    let close = format!("fill=\"{}\"", hex(END_DATA));
    let mut out = String::with_capacity(buf.len());
    for line in buf.trim().lines() {
        if line.starts_with("<rect") && line.contains(&open) {
            out.push_str(&format!("<g class=\"{DATA_CLASS}\">"));
        } else if line.starts_with("<rect") && line.contains(&close) {
            out.push_str("</g>");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let s = out.trim_end().to_string();
    anyhow::ensure!(s.starts_with("<svg"), "plotters did not produce an svg");
    Ok(s)
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// True when every x is a positive power-of-two multiple of the smallest x
/// (16, 32, 64, ... or 20, 40, 80, ...), with at least three distinct values:
/// such axes are drawn in log2.
pub(crate) fn is_pow2_series(xs: &[f64]) -> bool {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() != xs.len() || v.iter().any(|&x| x <= 0.0) {
        return false;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v.dedup();
    if v.len() < 3 {
        return false;
    }
    let base = v[0];
    v.iter().all(|&x| {
        let k = (x / base).log2();
        (k - k.round()).abs() < 1e-9
    })
}

/// "Nice" tick values covering [lo, hi] (about `n` of them).
pub(crate) fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil();
    let mut out = Vec::new();
    for i in 0..50 {
        let t = (first + i as f64) * step;
        if t > hi + step * 1e-9 {
            break;
        }
        // drop the float noise of the multiplication (0.6000000000000001)
        let t = format!("{t:.10e}").parse::<f64>().unwrap_or(t);
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
    }
    out
}

/// Tick label for a number on a linear axis.
pub(crate) fn tick_label(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e7 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_detection() {
        assert!(is_pow2_series(&[16.0, 32.0, 64.0, 128.0]));
        assert!(is_pow2_series(&[20.0, 40.0, 80.0, 40.0]));
        assert!(!is_pow2_series(&[16.0, 32.0]));
        assert!(!is_pow2_series(&[10.0, 20.0, 30.0]));
        assert!(!is_pow2_series(&[0.0, 1.0, 2.0]));
        assert!(!is_pow2_series(&[1.0, 2.0, f64::NAN]));
    }

    #[test]
    fn ticks() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.05, 0.95, 8), vec![0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_ticks(-3.0, 7.0, 5), vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(2000.0), "2000");
    }
}
