//! Builds the document (sections of blocks) from a [`ReportInput`]; one file
//! per question of science.md §3. Every question section opens with its
//! finding (one or two sentences generated from the data, numbers in them),
//! then the one figure that shows it best, then details, collapsed. A figure
//! that would hold no data is not drawn; a sentence says why instead.

mod appendix;
mod depth;
mod depth_length;
mod explain;
pub mod findings;
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
pub(crate) const NO_DATA: &str = "No data in this run.";

/// Section titles, in page order (also the Markdown headings), of a study
/// report; a report with only real data has the summary, one section per
/// data set, the notes and the appendix.
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

/// Whether the input holds automata results (the study's questions 1–5);
/// a real-data pipeline's report has none.
pub(crate) fn has_automata(input: &ReportInput) -> bool {
    let real = |task: &str| input.real_data.iter().any(|s| s.dataset == task);
    !input.depth_table.is_empty()
        || input.results.iter().any(|r| !real(&r.task))
        || !input.length_curves.is_empty()
        || !input.explanations.is_empty()
        || !input.timing.is_empty()
}

pub fn build(input: &ReportInput) -> (Doc, Vec<String>) {
    let mut ids = FigureIds::default();
    // The summary's glance list repeats the findings, so the question
    // sections are built first; figure ids are renumbered in page order at
    // the end.
    let mut questions = Vec::new();
    if has_automata(input) {
        questions.push(depth::section(input, &mut ids));
        questions.push(rnn::section(input, &mut ids));
        questions.push(timing::section(input, &mut ids));
        questions.push(mlp::section(input, &mut ids));
        questions.push(explain::section(input, &mut ids));
        questions.push(realdata::section(input, &mut ids));
    } else {
        questions.extend(realdata::sections_alone(input, &mut ids));
    }
    let summary = summary::section(input, &questions, &mut ids);
    let mut sections = vec![summary];
    sections.extend(questions);
    sections.push(appendix::notes(input, has_automata(input)));
    sections.push(appendix::provenance(input));
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
    let order = figure_order(&doc);
    (doc, order)
}

/// Figure ids in page order (details included).
fn figure_order(doc: &Doc) -> Vec<String> {
    fn walk(blocks: &[Block], out: &mut Vec<String>) {
        for b in blocks {
            match b {
                Block::Figure(f) => out.push(f.id.clone()),
                Block::Details { blocks, .. } => walk(blocks, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for s in &doc.sections {
        walk(&s.blocks, &mut out);
    }
    out
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

/// The labels of `curves` in first-seen order: one colour each, the same in
/// every panel.
fn label_colours(curves: &[&Curve]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for c in curves {
        if c.not_applicable.is_none() && !labels.contains(&c.label) {
            labels.push(c.label.clone());
        }
    }
    labels
}

fn series_of(c: &Curve, labels: &[String]) -> Series {
    let i = labels.iter().position(|l| *l == c.label).unwrap_or(0);
    Series {
        label: c.label.clone(),
        points: c.points.clone(),
        colour: palette(i),
        // past ten lines the colours repeat: dash the repeats
        dashed: (i / util::PALETTE.len()) % 2 == 1,
        ..Default::default()
    }
}

/// One figure for a comparison: a panel per group of curves (a task), a
/// line per label, the same colour for a label in every panel, one legend.
/// Curves marked not-applicable are listed under the figure. `None` when no
/// curve has a point to draw.
pub(crate) fn panels_figure(
    ids: &mut FigureIds,
    kind: &str,
    title: &str,
    curves: &[&Curve],
    caption: String,
) -> Option<Figure> {
    let labels = label_colours(curves);
    let groups = group_by(curves, |c| c.group.clone());
    let panels: Vec<LinePlot> = groups
        .iter()
        .map(|(group, cs)| {
            let first = cs[0];
            LinePlot {
                title: group.to_string(),
                x_label: first.x_label.clone(),
                y_label: first.y_label.clone(),
                series: cs
                    .iter()
                    .filter(|c| c.not_applicable.is_none())
                    .map(|c| series_of(c, &labels))
                    .collect(),
                ..Default::default()
            }
        })
        .filter(figures::lines::has_data)
        .collect();
    if panels.is_empty() {
        return None;
    }
    let mut notes: Vec<String> = Vec::new();
    for c in curves {
        if let Some(r) = &c.not_applicable {
            let n = format!("{}: not applicable ({r})", c.label);
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
    }
    let mut cap = caption;
    if panels.iter().any(figures::lines::uses_log2) {
        cap.push_str(" The x axis is in log2 scale.");
    }
    let cols = if panels.len() == 1 { 1 } else { 2 };
    let mut fig = figure(ids, &[kind], cap, || {
        figures::panel_plot(title, &panels, cols)
    });
    fig.notes = notes;
    let drawable: Vec<&Curve> = curves
        .iter()
        .copied()
        .filter(|c| c.not_applicable.is_none())
        .collect();
    fig.md_table = Some(curves_table(&drawable, true));
    Some(fig)
}

/// One line figure per group of curves (a line per label); curves marked
/// not-applicable are listed under the figure. `kind` goes into the id.
/// Groups without a drawable point get no figure.
pub(crate) fn curve_figures(
    ids: &mut FigureIds,
    kind: &str,
    curves: &[Curve],
    caption: impl Fn(&str, &[&Curve]) -> String,
) -> Vec<Block> {
    let mut out = Vec::new();
    for (group, cs) in group_by(curves, |c| c.group.clone()) {
        let labels = label_colours(&cs);
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
            series: cs
                .iter()
                .filter(|c| c.not_applicable.is_none())
                .map(|c| series_of(c, &labels))
                .collect(),
            ..Default::default()
        };
        let na: Vec<String> = cs
            .iter()
            .filter_map(|c| {
                c.not_applicable
                    .as_ref()
                    .map(|r| format!("{}: not applicable ({r})", c.label))
            })
            .collect();
        if !figures::lines::has_data(&plot) {
            let mut why = format!("No figure for {group}: no curve has a point to draw.");
            if !na.is_empty() {
                why = format!("No figure for {group}: {}", na.join("; "));
            }
            out.push(Block::Empty(why));
            continue;
        }
        let mut cap = caption(&group, &cs);
        if figures::lines::uses_log2(&plot) {
            cap.push_str(" The x axis is in log2 scale.");
        }
        let mut fig = figure(ids, &[kind, &group], cap, || figures::line_plot(&plot));
        fig.notes = na;
        let drawable: Vec<&Curve> = cs
            .iter()
            .copied()
            .filter(|c| c.not_applicable.is_none())
            .collect();
        fig.md_table = Some(curves_table(&drawable, false));
        out.push(Block::Figure(fig));
    }
    out
}

/// Markdown stand-in for a line figure: one row per x, one column per label
/// (`grouped`: one per group and label).
pub(crate) fn curves_table(curves: &[&Curve], grouped: bool) -> super::doc::Table {
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
    header.extend(curves.iter().map(|c| {
        if grouped {
            format!("{}: {}", c.group, c.label)
        } else {
            c.label.clone()
        }
    }));
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
