//! Section 2: where do RNNs win? Length generalization and shifted input
//! distributions (p1).

use super::{curve_figures, extremes_at_max_x, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::model::{LengthAnchorRow, ReportInput};
use crate::report::util::pct;

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = vec![Block::Text(
        "A recurrent network steps the automaton's state, so it has no reason to \
         fail on longer sequences or on a different input mix; a Transformer's \
         shortcut is fitted to the training distribution. Each figure tests the \
         models trained on one task away from their training conditions; models \
         that cannot be evaluated there are listed under the figure with the reason."
            .into(),
    )];

    blocks.push(Block::Heading("Length generalization".into()));
    if input.length_curves.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        let ex = extremes_at_max_x(&input.length_curves);
        if !ex.is_empty() {
            blocks.push(Block::List(ex));
        }
        blocks.extend(curve_figures(
            ids,
            "length",
            &input.length_curves,
            |group, cs| {
                format!(
                    "{group}: {} against {} for every model trained on it.",
                    cs[0].y_label, cs[0].x_label
                )
            },
        ));
    }

    if !input.length_anchors.is_empty() {
        blocks.push(Block::Table(anchor_table(&input.length_anchors)));
    }

    blocks.push(Block::Heading("Shifted input distribution (p1)".into()));
    if input.p1_curves.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        let ex = extremes_at_max_x(&input.p1_curves);
        if !ex.is_empty() {
            blocks.push(Block::List(ex));
        }
        blocks.extend(curve_figures(ids, "p1", &input.p1_curves, |group, cs| {
            format!(
                "{group}: {} when the probability of a 1 at test time ({}) moves \
                 away from the training value.",
                cs[0].y_label, cs[0].x_label
            )
        }));
    }
    make_section(2, "q2-rnn", blocks)
}

/// Accuracy at the last position past the training length, beside the
/// published anchors (parity).
fn anchor_table(rows: &[LengthAnchorRow]) -> Table {
    let mut factors: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.last.iter().map(|(f, _)| *f))
        .collect();
    factors.sort_unstable();
    factors.dedup();
    let mut header = vec!["task".to_string(), "model".into(), "seeds".into()];
    header.extend(factors.iter().map(|f| format!("last position at {f}T (%)")));
    header.push("scaled (0 = chance)".into());
    header.push("published".into());
    let numeric = (2..3 + factors.len() + 1).collect();
    Table {
        caption: Some("Past the training length: the state after all the inputs".into()),
        header,
        rows: rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::new(r.task.clone()),
                    Cell::new(r.model.clone()),
                    Cell::new(r.n_seeds.to_string()),
                ];
                for f in &factors {
                    row.push(Cell::new(
                        r.last
                            .iter()
                            .find(|(g, _)| g == f)
                            .map(|(_, a)| pct(*a))
                            .unwrap_or_else(|| "n/a".into()),
                    ));
                }
                row.push(Cell::new(
                    r.scaled
                        .map(|v| format!("{v:.3}"))
                        .unwrap_or_else(|| "-".into()),
                ));
                row.push(Cell::new(if r.anchors.is_empty() {
                    "-".to_string()
                } else {
                    r.anchors.join("; ")
                }));
                row
            })
            .collect(),
        numeric,
        note: Some(
            "Delétang et al. 2023 train on lengths ≤ 40 and test 41–500; Grazzi et al. 2025 \
             (Table 3, scaled accuracy) train on 3–40 and test 40–256. Ours: one training \
             length T, tested at K·T."
                .into(),
        ),
    }
}
