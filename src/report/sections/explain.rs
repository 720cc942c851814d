//! Section 5: what do the models look at? Per task one attribution summary
//! (method × model, coloured by agreement with the automaton's ground truth,
//! deletion AUC in each cell) and a small gallery (one example, each model's
//! methods drawn over the same input, ground-truth positions outlined); the
//! linear probes per layer as one figure; per-model strips collapsed.

use super::findings::{and_list, family_rank, pc};
use super::{figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, Figure, FigureIds, Section, Table};
use crate::report::figures::strip::{MAX_COLS, MAX_ROWS};
use crate::report::figures::{
    heatmap_grid, panel_plot, strip, CellScale, Heatmap, LinePlot, Series, Strip,
};
use crate::report::model::{Explanation, ProbeSeries, ReportInput};
use crate::report::util::{group_by, palette, pct, pct_sign};

fn opt_num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{x:.3}"))
        .unwrap_or_else(|| "—".into())
}

/// A method's name as a column heading.
fn short_method(m: &str) -> String {
    match m {
        "input_x_gradient" => "input×grad".into(),
        "integrated_gradients" => "integ. grad.".into(),
        "attention_last_layer" => "attn (last)".into(),
        "attention_rollout" => "attn rollout".into(),
        other => other.replace('_', " "),
    }
}

/// The order methods are listed in (the random ranking, the reference,
/// last).
fn method_rank(m: &str) -> usize {
    const ORDER: [&str; 7] = [
        "saliency",
        "input_x_gradient",
        "integrated_gradients",
        "occlusion",
        "attention_last_layer",
        "attention_rollout",
        "random",
    ];
    ORDER
        .iter()
        .position(|x| *x == m)
        .unwrap_or(ORDER.len() - 1)
}

/// Methods whose picture says something (the random ranking is the
/// reference of the numbers, not a picture).
fn shown(method: &str) -> bool {
    method != "random"
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn finding(es: &[Explanation], probes: &[ProbeSeries]) -> String {
    let mut parts = Vec::new();
    for (task, xs) in group_by(es, |e| e.task.clone()) {
        let best = xs
            .iter()
            .filter(|e| shown(&e.method))
            .filter_map(|e| Some((*e, e.agreement.filter(|a| a.is_finite())?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((e, a)) = best {
            let chance = e
                .agreement_chance
                .map(|c| format!("; a random ranking {c:.2}"))
                .unwrap_or_default();
            parts.push(format!(
                "on {task} the attribution closest to the ground truth is {} of {} (agreement {a:.2}{chance})",
                e.method.replace('_', " "),
                e.model,
            ));
        }
    }
    let mut s = if parts.is_empty() {
        String::from("No explained task has a ground truth to compare with")
    } else {
        let mut s = and_list(&parts);
        if let Some(c) = s.get(..1) {
            s = c.to_uppercase() + &s[1..];
        }
        s
    };
    s.push('.');
    // The most faithful method by deletion AUC, averaged over models.
    let mut by_method: Vec<(String, f64)> = group_by(es, |e| e.method.clone())
        .into_iter()
        .filter(|(m, _)| shown(m))
        .filter_map(|(m, xs)| {
            let v: Vec<f64> = xs
                .iter()
                .filter_map(|e| e.deletion_auc)
                .filter(|v| v.is_finite())
                .collect();
            Some((m, mean(&v)?))
        })
        .collect();
    by_method.sort_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((m, v)) = by_method.first() {
        s.push_str(&format!(
            " Deleting the top-attributed positions hurts the models most for {} (mean deletion AUC {v:.2}; lower = more faithful).",
            m.replace('_', " "),
        ));
    }
    if let Some(p) = probes
        .iter()
        .filter_map(|p| {
            let last = p.layer_acc.iter().max_by_key(|x| x.0)?;
            Some((p, last.1))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        s.push_str(&format!(
            " A linear probe reads the state from the last layer of {} on {} at {} (chance {}).",
            p.0.model,
            p.0.task,
            pc(p.1),
            pc(p.0.chance)
        ));
    }
    s
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let es = &input.explanations;
    let mut blocks = vec![Block::Finding(
        if es.is_empty() && input.probes.is_empty() {
            "No model was explained in this run, so the question is not answered here.".into()
        } else {
            finding(es, &input.probes)
        },
    )];
    blocks.push(Block::Text(
        "On an automaton we know which inputs matter: for flip-flop only the last write before \
         a position, for parity every 1 so far. Agreement is the fraction of the top-attributed \
         positions that are truly relevant (precision at the number of relevant positions; 1 = \
         perfect); deletion AUC is the area under the accuracy curve as the top-attributed \
         positions are blanked (lower = more faithful)."
            .into(),
    ));
    blocks.push(Block::Heading("Attributions".into()));
    if es.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    }
    for (task, xs) in group_by(es, |e| e.task.clone()) {
        match summary_figure(ids, &task, &xs) {
            Some(f) => blocks.push(Block::Figure(f)),
            None => blocks.push(Block::Empty(format!(
                "No summary figure for {task}: it has no ground truth here, so no agreement to \
                 colour by (deletion AUCs are in the table below)."
            ))),
        }
        if let Some(f) = gallery(ids, &task, &xs) {
            blocks.push(Block::Figure(f));
        }
    }
    if !es.is_empty() {
        let mut strips = vec![Block::Table(summary_table(es))];
        for e in es {
            if e.values.iter().any(|r| !r.is_empty()) {
                strips.push(Block::Figure(explanation_figure(ids, e)));
            }
        }
        blocks.push(Block::Details {
            summary: format!(
                "Every attribution: the table and {} strips (all examples, per model and method)",
                es.len()
            ),
            blocks: strips,
        });
    }
    blocks.push(Block::Heading("Linear probes per layer".into()));
    let probes: Vec<&ProbeSeries> = input
        .probes
        .iter()
        .filter(|p| p.layer_acc.iter().any(|x| x.1.is_finite()))
        .collect();
    if probes.is_empty() {
        blocks.push(Block::Empty(if input.probes.is_empty() {
            NO_DATA.to_string()
        } else {
            "No figure: the probes gave no accuracy.".to_string()
        }));
    } else {
        blocks.push(Block::Figure(probe_figure(ids, &probes)));
    }
    make_section(5, "q5-explain", blocks)
}

/// Method × model, coloured by agreement, deletion AUC in each cell.
fn summary_figure(ids: &mut FigureIds, task: &str, xs: &[&Explanation]) -> Option<Figure> {
    if !xs.iter().any(|e| e.agreement.is_some_and(f64::is_finite)) {
        return None;
    }
    let mut methods: Vec<String> = Vec::new();
    let mut models: Vec<String> = Vec::new();
    for e in xs {
        if !methods.contains(&e.method) {
            methods.push(e.method.clone());
        }
        if !models.contains(&e.model) {
            models.push(e.model.clone());
        }
    }
    methods.sort_by_key(|m| method_rank(m));
    models.sort_by_key(|m| family_rank(m));
    let find = |m: &str, model: &str| xs.iter().find(|e| e.method == m && e.model == model);
    // a row per model, a column per method (short headings)
    let hm = Heatmap {
        title: format!("{task}: agreement with the ground truth"),
        row_labels: models.clone(),
        col_labels: methods.iter().map(|m| short_method(m)).collect(),
        col_desc: "attribution method".into(),
        values: models
            .iter()
            .map(|md| {
                methods
                    .iter()
                    .map(|m| find(m, md).and_then(|e| e.agreement))
                    .collect()
            })
            .collect(),
        scale: CellScale::Fraction,
        sub: models
            .iter()
            .map(|md| {
                methods
                    .iter()
                    .map(|m| {
                        find(m, md)
                            .and_then(|e| e.deletion_auc)
                            .map(|a| format!("AUC {a:.2}"))
                    })
                    .collect()
            })
            .collect(),
    };
    let chance = xs
        .iter()
        .find_map(|e| e.agreement_chance)
        .map(|c| format!(" A random ranking agrees {c:.2} on average."))
        .unwrap_or_default();
    let caption = format!(
        "{task}: each model (rows) under each attribution method (columns), coloured by its \
         agreement with the ground-truth positions (1 = every top-attributed position is \
         relevant); the small number is the deletion AUC (lower = more faithful). Grey: the \
         method does not apply (attention needs a Transformer).{chance}"
    );
    let mut fig = figure(ids, &["explain-summary", task], caption, || {
        heatmap_grid("", std::slice::from_ref(&hm), 1)
    });
    fig.md_table = Some(summary_table(
        &xs.iter().map(|e| (*e).clone()).collect::<Vec<_>>(),
    ));
    Some(fig)
}

/// One example, every model's methods over the same input, ground truth
/// outlined. Models whose example differs (another test split) are left
/// out and named.
fn gallery(ids: &mut FigureIds, task: &str, xs: &[&Explanation]) -> Option<Figure> {
    let first = xs
        .iter()
        .find(|e| shown(&e.method) && !e.values.is_empty())?;
    let tokens = first.tokens.clone();
    let t = first.values[0].len();
    let gt_row: Option<Vec<bool>> = first.ground_truth.as_ref().and_then(|g| g.first().cloned());
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut groups = Vec::new();
    let mut gt = Vec::new();
    let mut left_out = Vec::new();
    let mut by_model = group_by(xs, |e| e.model.clone());
    by_model.sort_by_key(|(m, _)| family_rank(m));
    for (model, ms) in by_model {
        let mut ms: Vec<&&Explanation> = ms
            .iter()
            .copied()
            .filter(|e| shown(&e.method) && e.values.first().is_some_and(|r| r.len() == t))
            .collect();
        ms.sort_by_key(|e| method_rank(&e.method));
        if ms.is_empty() {
            continue;
        }
        if ms[0].tokens != tokens {
            left_out.push(model.clone());
            continue;
        }
        groups.push((values.len(), model.clone()));
        for e in ms {
            values.push(e.values[0].clone());
            labels.push(e.method.replace('_', " "));
            gt.push(gt_row.clone().unwrap_or_else(|| vec![false; t]));
        }
    }
    if values.is_empty() {
        return None;
    }
    let s = Strip {
        title: format!("{task}: one example, every model and method"),
        row_prefix: String::new(),
        tokens: tokens.clone(),
        values,
        ground_truth: gt_row.as_ref().map(|_| gt),
        row_labels: labels,
        groups,
    };
    let mut caption = format!(
        "{task}: the attributions of one test sequence (tokens on top) for the last position, \
         each row one method, each block one model; darker = more attribution, scaled per row."
    );
    if gt_row.is_some() {
        caption.push_str(" Outlined cells are the ground-truth relevant positions.");
    }
    let mut fig = figure(ids, &["explain-gallery", task], caption, || strip(&s));
    if !left_out.is_empty() {
        fig.notes.push(format!(
            "Left out (explained on another sequence): {}.",
            left_out.join(", ")
        ));
    }
    Some(fig)
}

fn summary_table(es: &[Explanation]) -> Table {
    Table {
        caption: Some("Attribution methods against the ground truth".into()),
        header: [
            "task",
            "model",
            "method",
            "agreement",
            "chance",
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
                    Cell::new(opt_num(e.agreement_chance)),
                    Cell::new(opt_num(e.deletion_auc)),
                    Cell::new(format!("{} × {}", e.values.len(), cols)),
                ]
            })
            .collect(),
        numeric: vec![3, 4, 5, 6],
        note: None,
    }
}

fn explanation_figure(ids: &mut FigureIds, e: &Explanation) -> Figure {
    let attention = e.method.to_lowercase().starts_with("attention");
    let cols = e.values.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut caption = format!("{} for {} on {}.", e.method, e.model, e.task);
    if let Some(a) = e.agreement {
        caption.push_str(&format!(" Agreement with the ground truth: {a:.2}."));
    }
    if let Some(d) = e.deletion_auc {
        caption.push_str(&format!(" Deletion AUC: {d:.2}."));
    }
    if e.ground_truth.is_some() {
        caption.push_str(" Outlined: the ground-truth relevant positions.");
    } else if e.agreement.is_none() {
        caption.push_str(" This task has no ground truth here.");
    }
    let s = Strip {
        title: format!("{} · {} · {}", e.task, e.model, e.method),
        row_prefix: if attention { "q".into() } else { "ex".into() },
        tokens: e.tokens.clone(),
        values: e.values.clone(),
        ground_truth: e.ground_truth.clone(),
        ..Default::default()
    };
    let mut fig = figure(
        ids,
        &["explain", &e.task, &e.model, &e.method],
        caption,
        || strip(&s),
    );
    if e.values.len() > MAX_ROWS || cols > MAX_COLS {
        fig.notes.push(format!(
            "Only the first {} rows and {} positions are drawn (of {} × {}).",
            MAX_ROWS.min(e.values.len()),
            MAX_COLS.min(cols),
            e.values.len(),
            cols
        ));
    }
    fig
}

fn probe_figure(ids: &mut FigureIds, ps: &[&ProbeSeries]) -> Figure {
    let mut models: Vec<String> = Vec::new();
    for p in ps {
        if !models.contains(&p.model) {
            models.push(p.model.clone());
        }
    }
    let mut chances = Vec::new();
    let panels: Vec<LinePlot> = group_by(ps, |p| p.task.clone())
        .into_iter()
        .map(|(task, xs)| {
            let chance = xs.iter().map(|p| p.chance).find(|c| c.is_finite());
            if let Some(c) = chance {
                chances.push(format!("{task} {}", pct_sign(c)));
            }
            LinePlot {
                title: task,
                x_label: "layer".into(),
                y_label: "probe accuracy".into(),
                series: xs
                    .iter()
                    .map(|p| Series {
                        label: p.model.clone(),
                        points: p.layer_acc.iter().map(|(l, a)| (*l as f64, *a)).collect(),
                        colour: palette(models.iter().position(|m| *m == p.model).unwrap_or(0)),
                        ..Default::default()
                    })
                    .collect(),
                hlines: chance
                    .map(|c| vec![(c, "chance".to_string(), (110, 110, 110))])
                    .unwrap_or_default(),
                log2_x: Some(false),
                integer_x: true,
                ..Default::default()
            }
        })
        .collect();
    let caption = format!(
        "Accuracy of a linear probe for the automaton state on each layer's output (layer 0 = \
         the embeddings), one panel per task, one line per model; dashed: chance ({}).",
        chances.join(", ")
    );
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let mut fig = figure(ids, &["probe"], caption, || panel_plot("", &panels, cols));
    let mut layers: Vec<u32> = ps
        .iter()
        .flat_map(|p| p.layer_acc.iter().map(|x| x.0))
        .collect();
    layers.sort_unstable();
    layers.dedup();
    let mut header = vec!["layer".to_string()];
    header.extend(ps.iter().map(|p| format!("{}: {}", p.task, p.model)));
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
        note: Some("probe accuracy in %".into()),
    });
    fig
}
