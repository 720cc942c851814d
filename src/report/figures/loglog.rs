//! Log-log plot of time against sequence length, one line per series: a
//! [`LinePlot`] with both axes in log10.

use super::lines::{line_plot, LinePlot, Series, SeriesKind};
use crate::report::util::Rgb;

#[derive(Debug, Clone)]
pub struct LogLogSeries {
    /// legend entry (already including the exponent)
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    pub dashed: bool,
}

/// Draws the plot; returns an `<svg>` string.
pub fn loglog_plot(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LogLogSeries],
) -> anyhow::Result<String> {
    line_plot(&LinePlot {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series: series
            .iter()
            .map(|s| Series {
                label: s.label.clone(),
                points: s.points.clone(),
                colour: s.colour,
                dashed: s.dashed,
                kind: SeriesKind::Line,
            })
            .collect(),
        log10_xy: true,
        ..Default::default()
    })
}
