//! Section 0: the introduction, the summary table of all trained models and
//! the training curves.

use super::{curve_figures, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::model::{ReportInput, ResultRow};
use crate::report::util::{acc_colour, opt_seconds, pct, text_on};

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = Vec::new();
    if !input.intro.trim().is_empty() {
        blocks.push(Block::Text(input.intro.clone()));
    }
    if input.results.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        let tasks = {
            let mut t: Vec<&str> = input.results.iter().map(|r| r.task.as_str()).collect();
            t.dedup();
            t.sort();
            t.dedup();
            t.len()
        };
        blocks.push(Block::Text(format!(
            "{} trained models on {} tasks. Accuracy is the per-position \
             accuracy on held-out sequences, in %, averaged over seeds; \
             [min, max] is the range over seeds and the 95% interval is over \
             the seed means.",
            input.results.len(),
            tasks
        )));
        blocks.push(Block::Table(results_table(&input.results)));
    }
    if !input.training_curves.is_empty() {
        blocks.push(Block::Heading("Training curves".into()));
        blocks.extend(curve_figures(
            ids,
            "training",
            &input.training_curves,
            |group, cs| {
                format!(
                    "Training curves for {group}: {} against {}, one line per model.",
                    cs[0].y_label, cs[0].x_label
                )
            },
        ));
    }
    make_section(0, "summary", blocks)
}

/// The params map as `k=v, k=v` (strings unquoted).
pub(crate) fn params_inline(p: &serde_json::Map<String, serde_json::Value>) -> String {
    p.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn results_table(rows: &[ResultRow]) -> Table {
    let header = [
        "task",
        "model",
        "mean acc %",
        "[min, max]",
        "95% CI",
        "seeds",
        "train time",
    ]
    .map(String::from)
    .to_vec();
    let rows = rows
        .iter()
        .map(|r| {
            let bg = acc_colour(r.acc_mean);
            let mut model = Cell::new(r.model.clone());
            if !r.params.is_empty() {
                model = model.with_title(params_inline(&r.params));
            }
            vec![
                Cell::new(r.task.clone()),
                model,
                if r.acc_mean.is_finite() {
                    Cell::coloured(pct(r.acc_mean), bg, text_on(bg))
                } else {
                    Cell::new(pct(r.acc_mean))
                },
                Cell::new(format!("[{}, {}]", pct(r.acc_min), pct(r.acc_max))),
                Cell::new(
                    r.ci95
                        .map(|(a, b)| format!("[{}, {}]", pct(a), pct(b)))
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::new(r.n_seeds.to_string()),
                Cell::new(opt_seconds(r.train_seconds)),
            ]
        })
        .collect();
    Table {
        caption: Some("All trained models".into()),
        header,
        rows,
        numeric: vec![2, 3, 4, 5, 6],
        note: None,
    }
}
