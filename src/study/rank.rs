//! How well seqlab's minimum depths order the tasks the way the paper's do:
//! Spearman's rank correlation between the two, over the tasks run.
//!
//! A depth that never reaches the threshold is censored: all we know is that it lies
//! above every depth tried. It counts as **one more than the largest depth tried for any
//! task of the comparison**, so such tasks tie with each other at the top rank. Counting
//! it as one more than *its own* largest depth would rank unreached tasks by how many
//! depths the study could afford for them, not by anything measured; a failure on an easy
//! task (parity) then counts fully against the agreement, which is the honest direction.

use serde::{Deserialize, Serialize};

use super::tables::MinDepth;

/// Fewest tasks a rank correlation is shown over: two always give ±1.
pub(crate) const MIN_TASKS_FOR_RHO: usize = 3;

/// Ranks `1..=n` of `v` in ascending order, ties sharing the mean of the ranks they span
/// (the convention that makes Spearman's ρ the Pearson correlation of the ranks).
pub(crate) fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) hold ranks i+1..=j+1: their mean.
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ of paired values (Pearson correlation of their average ranks). `None`
/// when the lengths differ, with fewer than two pairs, with a non-finite value, or when
/// one side is constant (the correlation is undefined).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let n = x.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mean) * (b - mean);
        sxx += (a - mean).powi(2);
        syy += (b - mean).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Which seed statistic a minimum depth is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedStatistic {
    /// The best seed reaches the threshold (how the paper reports).
    BestOfSeeds,
    /// The mean over seeds reaches it.
    MeanOverSeeds,
}

impl SeedStatistic {
    pub fn label(self) -> &'static str {
        match self {
            SeedStatistic::BestOfSeeds => "best of seeds",
            SeedStatistic::MeanOverSeeds => "mean over seeds",
        }
    }

    fn of(self, m: &MinDepth) -> Option<u32> {
        match self {
            SeedStatistic::BestOfSeeds => m.best_of_seeds,
            SeedStatistic::MeanOverSeeds => m.mean_over_seeds,
        }
    }
}

/// One task's pair in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPair {
    pub task: String,
    /// seqlab's minimum depth; `None`: no depth tried reached the threshold.
    pub ours: Option<u32>,
    pub paper: u32,
}

/// seqlab's minimum depths against the paper's, for one architecture, threshold and
/// seed statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperAgreement {
    pub arch: String,
    pub threshold: f64,
    pub statistic: SeedStatistic,
    /// The tasks in the paper's table, in the order of the min-depth table.
    pub tasks: Vec<TaskPair>,
    /// The depth an unreached threshold counts as (see the module docs).
    pub unreached_as: u32,
    /// Spearman's ρ over `tasks`; `None` when undefined (see [`spearman`]).
    pub rho: Option<f64>,
}

/// One comparison per Transformer architecture, threshold and seed statistic, over the
/// tasks of `min` that the paper's table has.
pub fn paper_agreement(min: &[MinDepth]) -> Vec<PaperAgreement> {
    let mut keys: Vec<(String, f64)> = Vec::new();
    for m in min.iter().filter(|m| m.paper.is_some()) {
        if !keys.iter().any(|(a, t)| *a == m.arch && *t == m.threshold) {
            keys.push((m.arch.clone(), m.threshold));
        }
    }
    let mut out = Vec::new();
    for (arch, threshold) in keys {
        let rows: Vec<&MinDepth> = min
            .iter()
            .filter(|m| m.arch == arch && m.threshold == threshold && m.paper.is_some())
            .collect();
        let deepest = rows
            .iter()
            .flat_map(|m| m.depths_tried.iter().copied())
            .max()
            .unwrap_or(0);
        for statistic in [SeedStatistic::BestOfSeeds, SeedStatistic::MeanOverSeeds] {
            let tasks: Vec<TaskPair> = rows
                .iter()
                .map(|m| TaskPair {
                    task: m.task.clone(),
                    ours: statistic.of(m),
                    paper: m.paper.unwrap_or_default(),
                })
                .collect();
            let unreached_as = deepest + 1;
            let ours: Vec<f64> = tasks
                .iter()
                .map(|p| p.ours.unwrap_or(unreached_as) as f64)
                .collect();
            let paper: Vec<f64> = tasks.iter().map(|p| p.paper as f64).collect();
            out.push(PaperAgreement {
                arch: arch.clone(),
                threshold,
                statistic,
                rho: spearman(&ours, &paper),
                tasks,
                unreached_as,
            });
        }
    }
    out
}

/// The comparisons as printed lines, each saying how an unreached depth was counted.
pub fn agreement_text(agreements: &[PaperAgreement]) -> String {
    if agreements.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nSpearman rank correlation of the smallest depths with Liu et al. Table 1 (over the tasks run; \"none\" counts as one more than the deepest model tried, so unreached tasks tie at the top)\n",
    );
    for a in agreements {
        let rho = a
            .rho
            .map(|r| format!("{r:.2}"))
            .unwrap_or_else(|| "undefined".into());
        let pairs: Vec<String> = a
            .tasks
            .iter()
            .map(|p| {
                let ours = p
                    .ours
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| format!("none={}", a.unreached_as));
                format!("{} {ours}/{}", p.task, p.paper)
            })
            .collect();
        out.push_str(&format!(
            "{} {:.0}% {}: rho = {rho} over {} tasks (ours/paper: {})\n",
            a.arch,
            100.0 * a.threshold,
            a.statistic.label(),
            a.tasks.len(),
            pairs.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties() {
        // 10 20 20 30 → ranks 1, 2.5, 2.5, 4; order of input does not matter.
        assert_eq!(
            average_ranks(&[20.0, 10.0, 30.0, 20.0]),
            vec![2.5, 1.0, 4.0, 2.5]
        );
        assert_eq!(average_ranks(&[5.0, 5.0, 5.0]), vec![2.0, 2.0, 2.0]);
        assert_eq!(average_ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn spearman_without_ties_is_the_d_squared_formula() {
        // x ranks 1..5, y ranks 2 1 4 3 5: Σd² = 4, ρ = 1 − 6·4 / (5·24) = 0.8.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [20.0, 10.0, 40.0, 30.0, 50.0];
        assert!((spearman(&x, &y).unwrap() - 0.8).abs() < 1e-12);
        assert!((spearman(&x, &x).unwrap() - 1.0).abs() < 1e-12);
        let rev: Vec<f64> = x.iter().rev().copied().collect();
        assert!((spearman(&x, &rev).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&x, &[1.0; 5]), None);
        assert_eq!(spearman(&[1.0], &[2.0]), None);
        assert_eq!(spearman(&x, &y[..4]), None);
    }
}
