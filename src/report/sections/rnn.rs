//! Section 2: where do RNNs win? Length generalization and shifted input
//! distributions (p1), each one figure with a panel per task, set beside the
//! anchors (Delétang et al., Grazzi et al., Liu et al.).

use super::findings::{and_list, family, pc, split_length};
use super::{make_section, panels_figure, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::model::{Curve, LengthAnchorRow, ReportInput};
use crate::report::util::{finite_sorted_by_x, group_by, num, pct};

fn is_recurrent(label: &str) -> bool {
    matches!(family(label), "lstm" | "gru" | "linear_rnn")
}

/// A curve's label without the training-length coordinate.
fn clean(c: &Curve) -> Curve {
    Curve {
        label: split_length(&c.label).0,
        ..c.clone()
    }
}

/// y at `x` (exactly) of a curve.
fn at(c: &Curve, x: f64) -> Option<f64> {
    c.points
        .iter()
        .find(|p| p.0 == x && p.1.is_finite())
        .map(|p| p.1)
}

/// The best curve of a set at `x`.
fn best_at<'a>(cs: &[&'a Curve], x: f64) -> Option<(&'a Curve, f64)> {
    cs.iter()
        .filter_map(|c| Some((*c, at(c, x)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// "L=3" for a Transformer label, else the label itself.
fn short(label: &str) -> String {
    if family(label) == "transformer" {
        let rest = label.trim_start_matches("transformer").trim();
        if rest.is_empty() {
            "Transformer".into()
        } else {
            rest.to_string()
        }
    } else {
        label.to_string()
    }
}

/// "At 4× the training length (T = 16 → 64) the best recurrent model keeps
/// 100.0% on C_2 (lstm) against 63.5% for the best Transformer (L=3); ..."
fn length_sentence(curves: &[Curve]) -> Option<String> {
    let mut parts = Vec::new();
    let mut span: Option<(f64, f64)> = None;
    for (task, cs) in group_by(curves, |c| c.group.clone()) {
        let ok: Vec<&Curve> = cs
            .iter()
            .copied()
            .filter(|c| c.not_applicable.is_none())
            .collect();
        let xs: Vec<f64> = ok
            .iter()
            .flat_map(|c| finite_sorted_by_x(&c.points))
            .map(|p| p.0)
            .collect();
        let (Some(lo), Some(hi)) = (
            xs.iter().copied().reduce(f64::min),
            xs.iter().copied().reduce(f64::max),
        ) else {
            continue;
        };
        if hi <= lo {
            continue;
        }
        let rec: Vec<&Curve> = ok
            .iter()
            .copied()
            .filter(|c| is_recurrent(&c.label))
            .collect();
        let tf: Vec<&Curve> = ok
            .iter()
            .copied()
            .filter(|c| family(&c.label) == "transformer")
            .collect();
        let (r, t) = (best_at(&rec, hi), best_at(&tf, hi));
        let own_span = if span.is_some_and(|s| s != (lo, hi)) {
            format!(" (T = {} → {})", num(lo), num(hi))
        } else {
            String::new()
        };
        span.get_or_insert((lo, hi));
        let s = match (r, t) {
            (Some((rc, rv)), Some((tc, tv))) => format!(
                "{task}{own_span} {} ({}) against {} ({})",
                pc(rv),
                rc.label,
                pc(tv),
                short(&tc.label)
            ),
            (Some((rc, rv)), None) => format!("{task}{own_span} {} ({})", pc(rv), rc.label),
            (None, Some((tc, tv))) => format!("{task}{own_span} {} ({})", pc(tv), short(&tc.label)),
            (None, None) => continue,
        };
        parts.push(s);
    }
    let (lo, hi) = span?;
    Some(format!(
        "At {}× the training length (T = {} → {}), the best recurrent model against the best \
         Transformer: {}.",
        num(hi / lo),
        num(lo),
        num(hi),
        parts.join("; ")
    ))
}

/// "Shifting p1 at test time, the best Transformer falls to 76.6% on C_2
/// (L=3, p1 = 0.95), the best recurrent model to 100.0% (lstm)."
fn p1_sentence(curves: &[Curve]) -> Option<String> {
    let mut parts = Vec::new();
    for (task, cs) in group_by(curves, |c| c.group.clone()) {
        // for each model its lowest accuracy over p1; the best model's lowest
        let worst = |pred: &dyn Fn(&str) -> bool| -> Option<(String, f64, f64)> {
            cs.iter()
                .filter(|c| c.not_applicable.is_none() && pred(&c.label))
                .filter_map(|c| {
                    let lowest = finite_sorted_by_x(&c.points)
                        .into_iter()
                        .min_by(|a, b| a.1.total_cmp(&b.1))?;
                    Some((c.label.clone(), lowest.0, lowest.1))
                })
                .max_by(|a, b| a.2.total_cmp(&b.2))
        };
        let mut bits = Vec::new();
        if let Some((l, x, v)) = worst(&|l| family(l) == "transformer") {
            bits.push(format!(
                "the best Transformer falls to {} ({}, p1 = {})",
                pc(v),
                short(&l),
                num(x)
            ));
        }
        if let Some((l, x, v)) = worst(&|l| is_recurrent(l)) {
            bits.push(format!(
                "the best recurrent model to {} ({l}, p1 = {})",
                pc(v),
                num(x)
            ));
        }
        if !bits.is_empty() {
            parts.push(format!("on {task} {}", bits.join(", ")));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "With the input mix shifted at test time, {}.",
        parts.join("; ")
    ))
}

/// The anchors, with a sentence on whether ours agree, where parity was run:
/// from the last-position rows (what the anchors score) when there are any,
/// else from the per-position length curves.
fn anchors(length: &[Curve], rows: &[LengthAnchorRow]) -> String {
    let mut s = String::from(
        "Anchors: Delétang et al. (2023), trained on lengths ≤ 40 and tested on 41–500, report \
         Transformers near chance on parity (52%) and LSTMs at 100%; Grazzi et al. (2025, Table \
         3) report scaled accuracy 1.000 for a diagonal linear RNN with eigenvalues in [−1, 1], \
         0.000 with [0, 1] and 0.022 for a Transformer.",
    );
    let (checks, how) = match last_position_checks(rows) {
        Some(checks) => (checks, " at the last position,"),
        None => (curve_checks(length), ""),
    };
    if !checks.is_empty() {
        s.push_str(&format!(" Here,{how} {}.", and_list(&checks)));
    }
    s
}

/// Per-position accuracy at the longest test length of the parity curves.
fn curve_checks(length: &[Curve]) -> Vec<String> {
    let parity: Vec<&Curve> = length
        .iter()
        .filter(|c| c.group == "C_2" || c.group.eq_ignore_ascii_case("parity"))
        .filter(|c| c.not_applicable.is_none())
        .collect();
    let Some(hi) = parity
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .reduce(f64::max)
    else {
        return Vec::new();
    };
    let best = |pick: &dyn Fn(&str) -> bool| {
        let cs: Vec<&Curve> = parity.iter().copied().filter(|c| pick(&c.label)).collect();
        best_at(&cs, hi).map(|(c, v)| (c.label.clone(), v))
    };
    parity_checks(&best, &format!("at T = {}", num(hi)))
}

/// Our parity figures beside the anchors: the best Transformer against
/// Delétang et al., the linear RNN with and without negative eigenvalues
/// against Grazzi et al.'s scaled accuracy. `best` gives the best (label,
/// accuracy) among the labels a predicate picks; `at` says where.
fn parity_checks(
    best: &dyn Fn(&dyn Fn(&str) -> bool) -> Option<(String, f64)>,
    at: &str,
) -> Vec<String> {
    let mut checks = Vec::new();
    if let Some((label, v)) = best(&|l| family(l) == "transformer") {
        checks.push(format!(
            "the best Transformer on parity ({}) is at {} {at} (chance 50%; {} Delétang et al.'s 52%)",
            short(&label),
            pc(v),
            if v < 0.75 { "in line with" } else { "unlike" }
        ));
    }
    for (neg, paper) in [(true, "1.000"), (false, "0.000")] {
        let pick = |l: &str| family(l) == "linear_rnn" && l.contains("neg-eig") == neg;
        if let Some((label, v)) = best(&pick) {
            // Grazzi et al.'s scaled accuracy: 0 = chance (1/2), 1 = perfect
            let scaled = (v - 0.5) / 0.5;
            let ok = if neg { scaled >= 0.9 } else { scaled <= 0.1 };
            checks.push(format!(
                "{label} is at {} {at}, scaled accuracy {scaled:.3} ({} Grazzi et al.'s {paper})",
                pc(v),
                if ok { "in line with" } else { "unlike" }
            ));
        }
    }
    checks
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let length: Vec<Curve> = input.length_curves.iter().map(clean).collect();
    let p1: Vec<Curve> = input.p1_curves.iter().map(clean).collect();
    let mut finding = Vec::new();
    finding.extend(length_sentence(&length));
    finding.extend(p1_sentence(&p1));
    let mut blocks = vec![Block::Finding(if finding.is_empty() {
        "No model was tested away from its training conditions in this run, so the question is \
         not answered here."
            .into()
    } else {
        finding.join(" ")
    })];

    blocks.push(Block::Heading("Length generalization".into()));
    let refs: Vec<&Curve> = length.iter().collect();
    match panels_figure(
        ids,
        "length",
        "",
        &refs,
        "Test accuracy against the test length, one panel per task, one line per model trained on \
         it (mean over seeds); the first point is the training length."
            .into(),
    ) {
        Some(f) => blocks.push(Block::Figure(f)),
        None if length.is_empty() => blocks.push(Block::Empty(NO_DATA.into())),
        None => blocks.push(Block::Empty(
            "No figure: no model could be run at another length (each curve is not applicable)."
                .into(),
        )),
    }
    blocks.push(Block::Text(anchors(&length, &input.length_anchors)));
    // The rows the published numbers speak of (parity) in view; every task
    // behind a fold.
    let published: Vec<LengthAnchorRow> = input
        .length_anchors
        .iter()
        .filter(|r| !r.anchors.is_empty())
        .cloned()
        .collect();
    if !published.is_empty() {
        blocks.push(Block::Table(anchor_table(&published, true)));
    }
    if input.length_anchors.len() > published.len() {
        blocks.push(Block::Details {
            summary: "Every task at the last position past the training length".into(),
            blocks: vec![Block::Table(anchor_table(&input.length_anchors, false))],
        });
    }

    blocks.push(Block::Heading("Shifted input distribution (p1)".into()));
    let refs: Vec<&Curve> = p1.iter().collect();
    match panels_figure(
        ids,
        "p1",
        "",
        &refs,
        "Test accuracy when the probability of a 1 at test time (p1) moves away from the \
         training value 0.5, one panel per task. Liu et al. report a Transformer near 0.82 at \
         p1 = 0.05 and 0.85 at 0.95 on parity, an LSTM near 1.00 everywhere."
            .into(),
    ) {
        Some(f) => blocks.push(Block::Figure(f)),
        None => blocks.push(Block::Empty(
            "No figure: no task in this run has a binary input whose mix can be shifted (parity)."
                .into(),
        )),
    }
    make_section(2, "q2-rnn", blocks)
}

/// Accuracy at the last position (the state after all the inputs, what
/// Delétang et al. and Grazzi et al. score) past the training length,
/// beside the published anchors.
fn anchor_table(rows: &[LengthAnchorRow], with_published: bool) -> Table {
    let mut factors: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.last.iter().map(|(f, _)| *f))
        .collect();
    factors.sort_unstable();
    factors.dedup();
    let mut header = vec!["task".to_string(), "model".into(), "seeds".into()];
    header.extend(factors.iter().map(|f| format!("{f}T (%)")));
    header.push("scaled".into());
    if with_published {
        header.push("published".into());
    }
    let numeric = (2..3 + factors.len() + 1).collect();
    Table {
        caption: Some(
            "Past the training length: accuracy at the last position (the state after all the \
             inputs) at K·T; scaled: (acc − 1/2) / (1/2) on parity, 0 = chance"
                .into(),
        ),
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
                if with_published {
                    row.push(Cell::new(r.anchors.join("; ")));
                }
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

/// On parity, from the last-position rows at the largest multiple of the
/// training length; `None` without parity rows.
fn last_position_checks(rows: &[LengthAnchorRow]) -> Option<Vec<String>> {
    let parity: Vec<&LengthAnchorRow> = rows
        .iter()
        .filter(|r| r.task == "C_2" || r.task.eq_ignore_ascii_case("parity"))
        .collect();
    let far = parity
        .iter()
        .flat_map(|r| r.last.iter().map(|p| p.0))
        .max()?;
    let best = |pick: &dyn Fn(&str) -> bool| {
        parity
            .iter()
            .filter(|r| pick(&r.model))
            .filter_map(|r| Some((r.model.clone(), r.last.iter().find(|p| p.0 == far)?.1)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    Some(parity_checks(
        &best,
        &format!("at {far}× the training length"),
    ))
}
