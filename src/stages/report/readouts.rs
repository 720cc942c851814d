//! Length generalization beside the published anchors (Delétang et al.,
//! Grazzi et al.), as the report carries it. The numbers are `summarize`'s
//! ([`crate::study`]); this only shapes them for the page.

use crate::report::model as rm;
use crate::study::anchors::{scaled_accuracy, Anchor};
use crate::study::{length_rows, Group};

fn anchor_text(a: &Anchor) -> String {
    if a.scaled {
        format!("{}: {:.3} scaled", a.source, a.value)
    } else {
        format!("{}: {:.1}%", a.source, 100.0 * a.value)
    }
}

/// One row per (task, model): last-position accuracy at each multiple of the
/// training length, Grazzi's scaled accuracy on parity, and the anchors.
pub(super) fn length_anchors(groups: &[Group]) -> Vec<rm::LengthAnchorRow> {
    length_rows(groups)
        .into_iter()
        .map(|r| rm::LengthAnchorRow {
            model: match r.depth {
                Some(d) => format!("{} L={d}", r.arch),
                None => r.arch.clone(),
            },
            n_seeds: r.seeds as u32,
            scaled: (r.task == "C_2")
                .then(|| r.last.last().map(|(_, mean, _)| scaled_accuracy(*mean, 2)))
                .flatten(),
            last: r.last.iter().map(|(f, mean, _)| (*f, *mean)).collect(),
            anchors: r.anchors.iter().map(anchor_text).collect(),
            task: r.task,
        })
        .collect()
}
