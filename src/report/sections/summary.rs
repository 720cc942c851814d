//! Section 0: the introduction, every question's finding at a glance, and
//! (collapsed) the table of all trained models and the training curves.

use super::{make_section, panels_figure, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::model::{ReportInput, ResultRow};
use crate::report::util::{acc_colour, opt_seconds, pct, text_on};

pub fn section(input: &ReportInput, questions: &[Section], ids: &mut FigureIds) -> Section {
    let mut blocks = Vec::new();
    if !input.intro.trim().is_empty() {
        blocks.push(Block::Text(input.intro.clone()));
    }
    let glance: Vec<String> = questions
        .iter()
        .filter_map(|s| match s.blocks.first() {
            Some(Block::Finding(f)) => Some(format!("{} — {f}", short_title(&s.title))),
            _ => None,
        })
        .collect();
    if !glance.is_empty() {
        blocks.push(Block::Heading("Findings at a glance".into()));
        blocks.push(Block::List(glance));
    }
    if input.results.is_empty() {
        // a forecasting data set has no accuracy rows: its section has the table
        if input.real_data.is_empty() {
            blocks.push(Block::Empty(NO_DATA.into()));
        }
    } else {
        let tasks = {
            let mut t: Vec<&str> = input.results.iter().map(|r| r.task.as_str()).collect();
            t.sort();
            t.dedup();
            t.len()
        };
        blocks.push(Block::Details {
            summary: format!(
                "All {} trained models on {} tasks (table; also in results.csv)",
                input.results.len(),
                tasks
            ),
            blocks: vec![
                Block::Text(
                    "Accuracy is the per-position accuracy on held-out sequences, in %, \
                     averaged over seeds; [min, max] is the range over seeds and the 95% \
                     interval is over the seed means."
                        .into(),
                ),
                Block::Table(results_table(&input.results)),
            ],
        });
    }
    if !input.training_curves.is_empty() {
        let refs: Vec<&crate::report::model::Curve> = input.training_curves.iter().collect();
        let fig = panels_figure(
            ids,
            "training",
            "",
            &refs,
            format!(
                "Training curves: {} against {}, one panel per task, one line per model (mean over seeds).",
                input.training_curves[0].y_label, input.training_curves[0].x_label
            ),
        );
        if let Some(f) = fig {
            blocks.push(Block::Details {
                summary: "Training curves".into(),
                blocks: vec![Block::Figure(f)],
            });
        }
    }
    make_section(0, "summary", blocks)
}

/// A section title as a short label: "1. How many layers does a Transformer
/// need?" → "1. Layers".
fn short_title(title: &str) -> String {
    const SHORT: [(&str, &str); 6] = [
        ("1.", "1. Layers needed"),
        ("2.", "2. Where RNNs win"),
        ("3.", "3. Time vs length"),
        ("4.", "4. The MLP"),
        ("5.", "5. What models look at"),
        ("6.", "6. Real data"),
    ];
    let study = super::TITLES.contains(&title);
    SHORT
        .iter()
        .find(|(p, _)| study && title.starts_with(p))
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| title.to_string())
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
        "T",
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
                Cell::new(
                    r.length
                        .map(|t| t.to_string())
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
        numeric: vec![2, 3, 4, 5, 6, 7],
        note: None,
    }
}
