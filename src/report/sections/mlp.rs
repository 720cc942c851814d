//! Section 4: can an MLP (no weight sharing over time) keep up?

use super::summary::results_table;
use super::{curve_figures, make_section, NO_DATA};
use crate::report::doc::{Block, FigureIds, Section};
use crate::report::model::{Curve, ReportInput, ResultRow};
use crate::report::util::{finite_sorted_by_x, num, pct_sign};

pub fn is_mlp(name: &str) -> bool {
    name.trim().to_lowercase().starts_with("mlp")
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = vec![Block::Text(
        "An MLP sees the whole window at once with separate weights for every \
         position: it must learn the state update T times over, and it cannot \
         be run on a length it was not built for without re-windowing."
            .into(),
    )];
    let rows: Vec<ResultRow> = input
        .results
        .iter()
        .filter(|r| is_mlp(&r.model))
        .cloned()
        .collect();
    let curves: Vec<Curve> = input
        .length_curves
        .iter()
        .filter(|c| is_mlp(&c.label))
        .cloned()
        .collect();
    if !input.mlp_by_length.is_empty() {
        blocks.push(Block::Heading(
            "Accuracy against the training length".into(),
        ));
        let lines: Vec<String> = input.mlp_by_length.iter().filter_map(trend).collect();
        if !lines.is_empty() {
            blocks.push(Block::List(lines));
        }
        blocks.extend(curve_figures(
            ids,
            "mlp-trained-length",
            &input.mlp_by_length,
            |group, _| {
                format!("{group}: MLPs trained and tested at each length T (test accuracy).")
            },
        ));
    }
    if rows.is_empty() && curves.is_empty() && input.mlp_by_length.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
        return make_section(4, "q4-mlp", blocks);
    }
    if !rows.is_empty() {
        let lines = rows
            .iter()
            .map(|r| {
                let mut s = format!(
                    "MLP on {}: {} mean ({}, {} seeds)",
                    r.task,
                    pct_sign(r.acc_mean),
                    r.model,
                    r.n_seeds
                );
                let best_other = input
                    .results
                    .iter()
                    .filter(|o| o.task == r.task && !is_mlp(&o.model) && o.acc_mean.is_finite())
                    .max_by(|a, b| a.acc_mean.partial_cmp(&b.acc_mean).unwrap());
                if let Some(o) = best_other {
                    s.push_str(&format!(
                        "; best other model {} {}",
                        o.model,
                        pct_sign(o.acc_mean)
                    ));
                }
                s.push('.');
                s
            })
            .collect();
        blocks.push(Block::List(lines));
        let mut t = results_table(&rows);
        t.caption = Some("MLP results".into());
        blocks.push(Block::Table(t));
    }
    if !curves.is_empty() {
        blocks.push(Block::Heading("How the MLP fails as T grows".into()));
        let lines: Vec<String> = curves.iter().filter_map(trend).collect();
        if !lines.is_empty() {
            blocks.push(Block::List(lines));
        }
        // one figure for all MLPs: a line per (task, model)
        let combined: Vec<Curve> = curves
            .iter()
            .map(|c| Curve {
                title: "MLPs tested at other lengths".into(),
                group: "mlp".into(),
                label: format!("{} · {}", c.group, c.label),
                ..c.clone()
            })
            .collect();
        blocks.extend(curve_figures(ids, "mlp-length", &combined, |_, cs| {
            format!(
                "Every MLP tested at other lengths: {} against {}, one line per (task, model).",
                cs[0].y_label, cs[0].x_label
            )
        }));
    }
    make_section(4, "q4-mlp", blocks)
}

/// "mlp-3x256 on parity: 97.0% at T = 16, 50.9% at T = 512."
fn trend(c: &Curve) -> Option<String> {
    if let Some(r) = &c.not_applicable {
        return Some(format!("{} on {}: not applicable ({r}).", c.label, c.group));
    }
    let pts = finite_sorted_by_x(&c.points);
    let (a, b) = (pts.first()?, pts.last()?);
    let acc = c.y_label.to_lowercase().contains("acc");
    let f = |v: f64| if acc { pct_sign(v) } else { num(v) };
    Some(format!(
        "{} on {}: {} at {} = {}, {} at {} = {}.",
        c.label,
        c.group,
        f(a.1),
        c.x_label,
        num(a.0),
        f(b.1),
        c.x_label,
        num(b.0)
    ))
}
