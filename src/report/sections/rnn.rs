//! Section 2: where do RNNs win? Length generalization and shifted input
//! distributions (p1).

use super::{curve_figures, extremes_at_max_x, make_section, NO_DATA};
use crate::report::doc::{Block, FigureIds, Section};
use crate::report::model::ReportInput;

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
