//! The study's readouts the report carries beside its tables: the rank
//! agreement with Liu et al.'s Table 1, depth against length, length
//! generalization beside the published anchors, and the MLP against its
//! training length. The numbers are `summarize`'s ([`crate::study`]); this
//! only shapes them for the page.

use std::collections::BTreeMap;

use crate::report::model as rm;
use crate::study::anchors::{scaled_accuracy, Anchor};
use crate::study::prefix::THRESHOLD;
use crate::study::rank::MIN_TASKS_FOR_RHO;
use crate::study::{
    depth_against_length, length_rows, paper_agreement, Axes, Cell, Group, MinDepth,
};

fn anchor_text(a: &Anchor) -> String {
    if a.scaled {
        format!("{}: {:.3} scaled", a.source, a.value)
    } else {
        format!("{}: {:.1}%", a.source, 100.0 * a.value)
    }
}

/// Fills the readout fields of `input`.
pub(super) fn add_readouts(
    input: &mut rm::ReportInput,
    groups: &[Group],
    min: &[MinDepth],
    cells: &[Cell],
    axes: &Axes,
) {
    input.paper_agreement = paper_agreement(min)
        .into_iter()
        .filter(|a| a.tasks.len() >= MIN_TASKS_FOR_RHO)
        .map(|a| rm::AgreementRow {
            arch: a.arch,
            threshold: a.threshold,
            statistic: a.statistic.label().into(),
            rho: a.rho,
            tasks: a
                .tasks
                .into_iter()
                .map(|p| (p.task, p.ours, p.paper))
                .collect(),
            unreached_as: a.unreached_as,
        })
        .collect();

    // One line per (task, architecture, evaluated length), over depths.
    let mut lines: BTreeMap<(String, String, usize), Vec<(f64, f64)>> = BTreeMap::new();
    for r in depth_against_length(cells, axes, THRESHOLD) {
        if let Some(d) = r.depth {
            lines
                .entry((r.task, r.arch, r.length))
                .or_default()
                .push((d as f64, r.best as f64));
        }
    }
    input.depth_length = lines
        .into_iter()
        .filter(|(_, pts)| pts.len() > 1)
        .map(|((task, arch, t), points)| rm::Curve {
            title: format!("{task}: depth against length"),
            group: task,
            label: format!("{arch} T={t}"),
            x_label: "depth L".into(),
            y_label: format!("longest prefix with accuracy ≥ {:.0}%", 100.0 * THRESHOLD),
            points,
            not_applicable: None,
        })
        .collect();

    input.length_anchors = length_rows(groups)
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
        .collect();

    // The MLP at each training length: its test accuracy at that length.
    let mut mlp: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for g in groups.iter().filter(|g| g.arch.starts_with("mlp")) {
        let Some(acc) = g.metrics.get("acc") else {
            continue;
        };
        let t = cells
            .iter()
            .find(|c| {
                c.coords
                    .0
                    .iter()
                    .filter(|(k, _)| **k != axes.seed)
                    .all(|(k, v)| g.coords.get(k) == Some(v))
            })
            .and_then(|c| c.data_info.as_ref())
            .map(|i| i.length());
        if let Some(t) = t {
            mlp.entry(g.task.clone())
                .or_default()
                .push((t as f64, acc.mean));
        }
    }
    input.mlp_by_length = mlp
        .into_iter()
        .filter(|(_, pts)| pts.len() > 1)
        .map(|(task, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            rm::Curve {
                title: format!("{task}: MLP against its training length"),
                group: task,
                label: "mlp".into(),
                x_label: "training length T".into(),
                y_label: "accuracy".into(),
                points,
                not_applicable: None,
            }
        })
        .collect();
}
