//! Are the attributions faithful?
//!
//! * Deletion curve: for k = 0, 10, …, 100 % of the positions up to the target, blank the
//!   k % with the highest attribution (baseline rows, as in occlusion; ties: earlier first)
//!   and record how often the model still predicts the target class. A faithful attribution
//!   makes the accuracy fall fast: the smaller the area under the curve, the better.
//! * Ground truth: for automata whose state depends on known inputs, the fraction of the
//!   top-|G| attributed positions that lie in the ground-truth set G (precision@|G|),
//!   averaged over the examples with a non-empty G:
//!   - flip-flop: G = {the last write (token ≠ 0) at or before the target};
//!   - parity: G = {the positions of ones at or before the target};
//!   - gridworld: G = {the last position at or before the target after which the walk
//!     stands on a boundary cell (0 or n − 1)}.
//!
//!   Other tasks have no ground truth here (`None`).

use super::gradients::Baseline;
use super::occlusion::{scores, OcclusionScore};
use super::target::Selection;
use super::{Attribution, Examples, ExplainError};
use crate::datasets::automata::Task;
use crate::models::Model;

/// Deletion curve `(fraction deleted, accuracy)` at the given percentages, and its area.
pub fn deletion_curve(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
    attr: &Attribution,
    percents: &[u32],
    baseline: Baseline,
) -> Result<Vec<(f64, f64)>, ExplainError> {
    let (n, t, v) = (ex.n, ex.t, ex.vocab);
    let x = ex.onehot();
    let b = baseline.value(v);
    let mut inputs = Vec::with_capacity(percents.len() * x.len());
    for &pct in percents {
        let mut xk = x.clone();
        for i in 0..n {
            let eligible = sel.last_position(i) + 1;
            let k = ((pct.min(100) as f64 / 100.0) * eligible as f64).round() as usize;
            for p in attr.ranking(i, eligible).into_iter().take(k) {
                let row = (i * t + p) * v;
                xk[row..row + v].fill(b);
            }
        }
        inputs.extend(xk);
    }
    let (_, logits) = scores(model, sel, &inputs, v, OcclusionScore::Logit)?;
    let hits = sel.hits(&logits);
    Ok(percents
        .iter()
        .enumerate()
        .map(|(k, &pct)| {
            let acc = hits[k * n..(k + 1) * n].iter().sum::<f64>() / n as f64;
            (pct as f64 / 100.0, acc)
        })
        .collect())
}

/// Trapezoid area under a curve of `(x, y)` points sorted by `x`.
pub fn area(curve: &[(f64, f64)]) -> f64 {
    curve
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum()
}

/// The ground-truth positions per example (`None` where the set is empty).
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruth {
    pub description: &'static str,
    pub sets: Vec<Option<Vec<usize>>>,
}

/// Ground truth for `task`, or `None` when the task has none here or the target covers
/// several positions.
pub fn ground_truth(task: &Task, ex: &Examples, sel: &Selection) -> Option<GroundTruth> {
    if sel.targets.iter().any(|ts| ts.len() != 1) {
        return None;
    }
    let description = match task {
        Task::FlipFlop { .. } => "flip-flop: the last write (token != 0) at or before the target position",
        Task::Parity => "parity: the positions of ones at or before the target position",
        Task::Gridworld { .. } => "gridworld: the last position at or before the target after which the walk is on a boundary cell (0 or n-1)",
        _ => return None,
    };
    let sets = (0..ex.n)
        .map(|i| {
            let p = sel.targets[i][0].0;
            let toks = &ex.tokens_row(i)[..=p];
            let labels = &ex.labels_row(i)[..=p];
            let g: Vec<usize> = match *task {
                Task::FlipFlop { .. } => toks.iter().rposition(|&x| x != 0).into_iter().collect(),
                Task::Parity => (0..=p).filter(|&s| toks[s] == 1).collect(),
                Task::Gridworld { n } => labels
                    .iter()
                    .rposition(|&s| s == 0 || s as usize == n - 1)
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            (!g.is_empty()).then_some(g)
        })
        .collect();
    Some(GroundTruth { description, sets })
}

/// Mean precision@|G| of `attr` against `gt` over the examples with a ground truth, and the
/// same for a uniformly random ranking (`|G| / (target + 1)`); `None` if no example has one.
pub fn ground_truth_agreement(
    attr: &Attribution,
    gt: &GroundTruth,
    sel: &Selection,
) -> Option<(f64, f64)> {
    let (mut sum, mut chance, mut count) = (0.0, 0.0, 0usize);
    for (i, g) in gt.sets.iter().enumerate() {
        let Some(g) = g else { continue };
        let eligible = sel.last_position(i) + 1;
        let top = attr.ranking(i, eligible);
        let hit = top.iter().take(g.len()).filter(|p| g.contains(p)).count();
        sum += hit as f64 / g.len() as f64;
        chance += g.len() as f64 / eligible as f64;
        count += 1;
    }
    (count > 0).then(|| (sum / count as f64, chance / count as f64))
}
