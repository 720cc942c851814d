//! Section 3: time vs sequence length, log-log, with fitted exponents.

use super::{figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::figures::{loglog_plot, LogLogSeries};
use crate::report::model::{ReportInput, TimingSeries};
use crate::report::util::{finite_sorted_by_x, num, palette};
use crate::study::stats::loglog_slope;

/// The exponent to show and whether it was fitted here.
fn exponent(t: &TimingSeries) -> (Option<f64>, bool) {
    match t.exponent {
        Some(e) if e.is_finite() => (Some(e), false),
        _ => (loglog_slope(&t.points), true),
    }
}

fn exp_text(t: &TimingSeries) -> String {
    match exponent(t) {
        (Some(e), false) => format!("{e:.2}"),
        (Some(e), true) => format!("{e:.2} (fitted here)"),
        (None, _) => "—".into(),
    }
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = vec![Block::Text(
        "Attention does O(T²) work per layer but in parallel over positions; a \
         recurrence does O(T) work in T sequential steps. On a log-log plot a \
         power law T^k is a straight line of slope k, so the legend gives each \
         line's fitted slope: about 1 means linear in T, about 2 quadratic."
            .into(),
    )];
    if input.timing.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
        return make_section(3, "q3-timing", blocks);
    }
    let mut families: Vec<&str> = Vec::new();
    let mut metrics: Vec<&str> = Vec::new();
    for t in &input.timing {
        if !families.contains(&t.family.as_str()) {
            families.push(&t.family);
        }
        if !metrics.contains(&t.metric.as_str()) {
            metrics.push(&t.metric);
        }
    }
    let series: Vec<LogLogSeries> = input
        .timing
        .iter()
        .map(|t| {
            let fi = families.iter().position(|f| *f == t.family).unwrap_or(0);
            let mi = metrics.iter().position(|m| *m == t.metric).unwrap_or(0);
            let slope = match exponent(t).0 {
                Some(e) => format!(" (slope {e:.2})"),
                None => String::new(),
            };
            LogLogSeries {
                label: format!("{}, {}{slope}", t.family, t.metric),
                points: t.points.clone(),
                colour: palette(fi),
                dashed: mi % 2 == 1,
            }
        })
        .collect();

    let mut lines = Vec::new();
    for m in &metrics {
        let mut v: Vec<(String, f64)> = input
            .timing
            .iter()
            .filter(|t| t.metric == *m)
            .filter_map(|t| exponent(t).0.map(|e| (t.family.clone(), e)))
            .collect();
        v.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
        if !v.is_empty() {
            let parts: Vec<String> = v.iter().map(|(f, e)| format!("{f} T^{e:.2}")).collect();
            lines.push(format!("{m}: {}.", parts.join(", ")));
        }
    }
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }

    let style_note = if metrics.len() > 1 {
        format!(
            " Solid lines: {}; dashed: {}.",
            metrics
                .iter()
                .step_by(2)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            metrics
                .iter()
                .skip(1)
                .step_by(2)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    let caption = format!(
        "Milliseconds per call against sequence length T, both axes logarithmic; \
         one colour per model family.{style_note}"
    );
    let fig = figure(ids, &["timing"], caption, || {
        loglog_plot(
            "time vs sequence length",
            "sequence length T",
            "milliseconds",
            &series,
        )
    });
    blocks.push(Block::Figure(fig));
    blocks.push(Block::Table(timing_table(&input.timing)));
    make_section(3, "q3-timing", blocks)
}

fn timing_table(ts: &[TimingSeries]) -> Table {
    let header = [
        "family",
        "metric",
        "log-log slope",
        "T range",
        "ms at smallest T",
        "ms at largest T",
    ]
    .map(String::from)
    .to_vec();
    let rows = ts
        .iter()
        .map(|t| {
            let pts = finite_sorted_by_x(&t.points);
            let (range, lo, hi) = match (pts.first(), pts.last()) {
                (Some(a), Some(b)) => (format!("{}–{}", num(a.0), num(b.0)), num(a.1), num(b.1)),
                _ => ("—".into(), "—".into(), "—".into()),
            };
            vec![
                Cell::new(t.family.clone()),
                Cell::new(t.metric.clone()),
                Cell::new(exp_text(t)),
                Cell::new(range),
                Cell::new(lo),
                Cell::new(hi),
            ]
        })
        .collect();
    Table {
        caption: Some("Timing by family and metric".into()),
        header,
        rows,
        numeric: vec![2, 3, 4, 5],
        note: None,
    }
}
