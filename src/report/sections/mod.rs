//! Builds the document (sections of blocks) from a [`ReportInput`]; one file
//! per question of science.md §3.

mod appendix;
mod depth;
mod explain;
mod mlp;
mod realdata;
mod rnn;
mod summary;
mod timing;

use super::doc::{Block, Doc, Figure, FigureIds, Section};
use super::figures::{self, LinePlot, Series};
use super::model::{Curve, ReportInput};
use super::util::{self, group_by, palette};

/// The text shown where a section or part has nothing to show.
pub const NO_DATA: &str = "No data in this run.";

/// Section titles, in page order (also the Markdown headings).
pub const TITLES: [&str; 9] = [
    "Summary of results",
    "1. How many layers does a Transformer need?",
    "2. Where do RNNs win?",
    "3. Time vs sequence length",
    "4. Can an MLP keep up?",
    "5. What do the models look at?",
    "6. Real data",
    "7. Notes",
    "Appendix: provenance and versions",
];

pub fn build(input: &ReportInput) -> (Doc, Vec<String>) {
    let mut ids = FigureIds::default();
    let sections = vec![
        summary::section(input, &mut ids),
        depth::section(input, &mut ids),
        rnn::section(input, &mut ids),
        timing::section(input, &mut ids),
        mlp::section(input, &mut ids),
        explain::section(input, &mut ids),
        realdata::section(input, &mut ids),
        appendix::notes(input),
        appendix::provenance(input),
    ];
    let title = if input.title.trim().is_empty() {
        "seqlab report".to_string()
    } else {
        input.title.clone()
    };
    let mut sub = Vec::new();
    if !input.pipeline.is_empty() {
        sub.push(format!("pipeline {}", input.pipeline));
    }
    if !input.versions.seqlab.is_empty() {
        sub.push(format!("seqlab {}", input.versions.seqlab));
    }
    if !input.versions.generated_at.is_empty() {
        sub.push(format!("generated {}", input.versions.generated_at));
    }
    let doc = Doc {
        title,
        subtitle: sub.join(" · "),
        sections,
    };
    (doc, ids.ids)
}

pub(crate) fn make_section(idx: usize, id: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.to_string(),
        title: TITLES[idx].to_string(),
        blocks,
    }
}

/// A figure whose drawing error (if any) becomes a visible note instead of a
/// failed report.
pub(crate) fn figure(
    ids: &mut FigureIds,
    id_parts: &[&str],
    caption: String,
    draw: impl FnOnce() -> anyhow::Result<String>,
) -> Figure {
    let id = ids.make(id_parts);
    let svg = match draw() {
        Ok(s) => s,
        Err(e) => figures::error_svg(&format!("{e:#}")),
    };
    Figure {
        id,
        caption,
        svg,
        notes: Vec::new(),
        md_table: None,
    }
}

/// One line figure per group of curves (a line per label); curves marked
/// not-applicable are listed under the figure. `kind` goes into the id.
pub(crate) fn curve_figures(
    ids: &mut FigureIds,
    kind: &str,
    curves: &[Curve],
    caption: impl Fn(&str, &[&Curve]) -> String,
) -> Vec<Block> {
    let mut out = Vec::new();
    for (group, cs) in group_by(curves, |c| c.group.clone()) {
        let drawable: Vec<&Curve> = cs
            .iter()
            .copied()
            .filter(|c| c.not_applicable.is_none())
            .collect();
        let na: Vec<String> = cs
            .iter()
            .filter_map(|c| {
                c.not_applicable
                    .as_ref()
                    .map(|r| format!("{}: not applicable ({r})", c.label))
            })
            .collect();
        let first = cs[0];
        let title = if first.title.is_empty() {
            group.clone()
        } else {
            first.title.clone()
        };
        let plot = LinePlot {
            title,
            x_label: first.x_label.clone(),
            y_label: first.y_label.clone(),
            series: drawable
                .iter()
                .enumerate()
                .map(|(i, c)| Series {
                    label: c.label.clone(),
                    points: c.points.clone(),
                    colour: palette(i),
                    // past ten lines the colours repeat: dash the repeats
                    dashed: (i / util::PALETTE.len()) % 2 == 1,
                })
                .collect(),
            ..Default::default()
        };
        let mut cap = caption(&group, &cs);
        if figures::lines::uses_log2(&plot) {
            cap.push_str(" The x axis is in log2 scale.");
        }
        let mut fig = figure(ids, &[kind, &group], cap, || figures::line_plot(&plot));
        fig.notes = na;
        fig.md_table = Some(curves_table(&drawable));
        out.push(Block::Figure(fig));
    }
    out
}

/// Markdown stand-in for a line figure: one row per x, one column per label.
pub(crate) fn curves_table(curves: &[&Curve]) -> super::doc::Table {
    use super::doc::{Cell, Table};
    let mut xs: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .collect();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs.dedup();
    let acc = curves
        .first()
        .map(|c| c.y_label.to_lowercase().contains("acc"))
        .unwrap_or(false);
    let fmt = |y: f64| if acc { util::pct(y) } else { util::num(y) };
    let x_label = curves
        .first()
        .map(|c| c.x_label.clone())
        .unwrap_or_default();
    let mut header = vec![x_label];
    header.extend(curves.iter().map(|c| c.label.clone()));
    // thin long curves (training steps) to at most 12 rows
    let step = xs.len().div_ceil(12).max(1);
    let last = xs.last().copied();
    let rows = xs
        .iter()
        .enumerate()
        .filter(|(i, x)| i % step == 0 || Some(**x) == last)
        .map(|(_, x)| {
            let mut row = vec![Cell::new(util::num(*x))];
            row.extend(curves.iter().map(|c| {
                Cell::new(
                    c.points
                        .iter()
                        .find(|p| p.0 == *x)
                        .map(|p| fmt(p.1))
                        .unwrap_or_else(|| "—".into()),
                )
            }));
            row
        })
        .collect();
    Table {
        caption: None,
        numeric: (0..=curves.len()).collect(),
        header,
        rows,
        note: if acc {
            Some("accuracy in %".into())
        } else {
            None
        },
    }
}

/// For each group, the label with the highest and the lowest y at the
/// largest x: "parity at 512: best lstm 100.0%, worst transformer L=2 51.2%".
pub(crate) fn extremes_at_max_x(curves: &[Curve]) -> Vec<String> {
    let mut out = Vec::new();
    for (group, cs) in group_by(curves, |c| c.group.clone()) {
        let ends: Vec<(&str, f64, f64)> = cs
            .iter()
            .filter(|c| c.not_applicable.is_none())
            .filter_map(|c| {
                c.points
                    .iter()
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap())
                    .map(|p| (c.label.as_str(), p.0, p.1))
            })
            .collect();
        let Some(xmax) = ends.iter().map(|e| e.1).reduce(f64::max) else {
            continue;
        };
        let at: Vec<&(&str, f64, f64)> = ends.iter().filter(|e| e.1 == xmax).collect();
        let best = at.iter().max_by(|a, b| a.2.partial_cmp(&b.2).unwrap());
        let worst = at.iter().min_by(|a, b| a.2.partial_cmp(&b.2).unwrap());
        let x_label = cs[0].x_label.clone();
        if let (Some(b), Some(w)) = (best, worst) {
            let acc = cs[0].y_label.to_lowercase().contains("acc");
            let f = |v: f64| if acc { util::pct_sign(v) } else { util::num(v) };
            if at.len() > 1 {
                out.push(format!(
                    "{group}, at {x_label} = {}: best {} {}, worst {} {}.",
                    util::num(xmax),
                    b.0,
                    f(b.2),
                    w.0,
                    f(w.2)
                ));
            } else {
                out.push(format!(
                    "{group}, at {x_label} = {}: {} {}.",
                    util::num(xmax),
                    b.0,
                    f(b.2)
                ));
            }
        }
    }
    out
}
