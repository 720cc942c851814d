//! Section 5: what do the models look at? Attribution strips against the
//! automata's ground truth, and linear probes per layer.

use super::{figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, Figure, FigureIds, Section, Table};
use crate::report::figures::strip::{MAX_COLS, MAX_ROWS};
use crate::report::figures::{line_plot, strip, LinePlot, Series, Strip};
use crate::report::model::{Explanation, ProbeSeries, ReportInput};
use crate::report::util::{group_by, num, palette, pct, pct_sign};

fn opt_num(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "—".into())
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = vec![Block::Text(
        "On an automaton we know which inputs matter: for flip-flop only the \
         last write before a position, for parity every 1 so far. Each strip \
         shows one attribution method for one model, a row per example (or per \
         query position for attention), darker = more attribution; outlined \
         cells are the truly relevant positions. Agreement is the overlap \
         between the top-attributed and the relevant positions (1 = perfect); \
         deletion AUC is the area under the accuracy curve as the top-attributed \
         positions are removed (lower = more faithful)."
            .into(),
    )];
    blocks.push(Block::Heading("Attributions".into()));
    if input.explanations.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        blocks.push(Block::Table(summary_table(&input.explanations)));
        for e in &input.explanations {
            blocks.push(Block::Figure(explanation_figure(ids, e)));
        }
    }
    blocks.push(Block::Heading("Linear probes per layer".into()));
    if input.probes.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        blocks.push(Block::Text(
            "A linear probe reads the automaton's state from each layer's hidden \
             vectors; the layer where it becomes decodable shows where the model \
             computes it."
                .into(),
        ));
        for (task, ps) in group_by(&input.probes, |p| p.task.clone()) {
            blocks.push(Block::Figure(probe_figure(ids, &task, &ps)));
        }
    }
    make_section(5, "q5-explain", blocks)
}

fn summary_table(es: &[Explanation]) -> Table {
    Table {
        caption: Some("Attribution methods against the ground truth".into()),
        header: [
            "task",
            "model",
            "method",
            "agreement",
            "deletion AUC",
            "rows × positions",
        ]
        .map(String::from)
        .to_vec(),
        rows: es
            .iter()
            .map(|e| {
                let cols = e.values.iter().map(|r| r.len()).max().unwrap_or(0);
                vec![
                    Cell::new(e.task.clone()),
                    Cell::new(e.model.clone()),
                    Cell::new(e.method.clone()),
                    Cell::new(opt_num(e.agreement)),
                    Cell::new(opt_num(e.deletion_auc)),
                    Cell::new(format!("{} × {}", e.values.len(), cols)),
                ]
            })
            .collect(),
        numeric: vec![3, 4, 5],
        note: None,
    }
}

fn explanation_figure(ids: &mut FigureIds, e: &Explanation) -> Figure {
    let attention = e.method.to_lowercase().starts_with("attention");
    let cols = e.values.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut caption = format!("{} for {} on {}.", e.method, e.model, e.task);
    if let Some(a) = e.agreement {
        caption.push_str(&format!(" Agreement with ground truth: {}.", num(a)));
    }
    if let Some(d) = e.deletion_auc {
        caption.push_str(&format!(" Deletion AUC: {}.", num(d)));
    }
    if e.ground_truth.is_none() {
        caption.push_str(" No ground truth supplied.");
    }
    let s = Strip {
        title: format!("{} · {} · {}", e.task, e.model, e.method),
        row_prefix: if attention { "q".into() } else { "ex".into() },
        tokens: e.tokens.clone(),
        values: e.values.clone(),
        ground_truth: e.ground_truth.clone(),
    };
    let mut fig = figure(
        ids,
        &["explain", &e.task, &e.model, &e.method],
        caption,
        || strip(&s),
    );
    if e.values.is_empty() {
        fig.notes
            .push("No attribution values were supplied.".into());
    }
    if e.values.len() > MAX_ROWS || cols > MAX_COLS {
        fig.notes.push(format!(
            "Only the first {} rows and {} positions are drawn (of {} × {}).",
            MAX_ROWS.min(e.values.len()),
            MAX_COLS.min(cols),
            e.values.len(),
            cols
        ));
    }
    let drawn_tokens = e.tokens.len() == cols.clamp(1, MAX_COLS) && (860 / cols.max(1)) >= 14;
    if !e.tokens.is_empty() && !drawn_tokens {
        let shown: Vec<String> = e.tokens.iter().take(64).map(|t| t.to_string()).collect();
        let more = if e.tokens.len() > 64 { " …" } else { "" };
        fig.notes
            .push(format!("Input tokens: {}{more}", shown.join(" ")));
    }
    fig
}

fn probe_figure(ids: &mut FigureIds, task: &str, ps: &[&ProbeSeries]) -> Figure {
    let mut chances: Vec<f64> = Vec::new();
    for p in ps {
        if p.chance.is_finite() && !chances.iter().any(|c| (c - p.chance).abs() < 1e-12) {
            chances.push(p.chance);
        }
    }
    let plot = LinePlot {
        title: format!("{task}: probe accuracy by layer"),
        x_label: "layer".into(),
        y_label: "probe accuracy".into(),
        series: ps
            .iter()
            .enumerate()
            .map(|(i, p)| Series {
                label: p.model.clone(),
                points: p.layer_acc.iter().map(|(l, a)| (*l as f64, *a)).collect(),
                colour: palette(i),
                dashed: false,
            })
            .collect(),
        hlines: chances
            .iter()
            .map(|c| (*c, format!("chance ({})", pct_sign(*c)), (110, 110, 110)))
            .collect(),
        log2_x: Some(false),
        y_range: None,
        integer_x: true,
    };
    let caption = format!(
        "Accuracy of a linear probe for the automaton state of {task} on each \
         layer's output (layer 0 = embeddings), one line per model; dashed: chance."
    );
    let mut fig = figure(ids, &["probe", task], caption, || line_plot(&plot));
    let mut layers: Vec<u32> = ps
        .iter()
        .flat_map(|p| p.layer_acc.iter().map(|x| x.0))
        .collect();
    layers.sort_unstable();
    layers.dedup();
    let mut header = vec!["layer".to_string()];
    header.extend(ps.iter().map(|p| p.model.clone()));
    fig.md_table = Some(Table {
        caption: None,
        header,
        rows: layers
            .iter()
            .map(|l| {
                let mut row = vec![Cell::new(l.to_string())];
                row.extend(ps.iter().map(|p| {
                    Cell::new(
                        p.layer_acc
                            .iter()
                            .find(|x| x.0 == *l)
                            .map(|x| pct(x.1))
                            .unwrap_or_else(|| "—".into()),
                    )
                }));
                row
            })
            .collect(),
        numeric: (0..=ps.len()).collect(),
        note: Some(format!(
            "probe accuracy in %; chance {}",
            chances
                .iter()
                .map(|c| pct_sign(*c))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    });
    fig
}
