//! Length generalization and shifted inputs beside the published anchors.
//!
//! `length_generalize` scores each model at multiples of its training length T;
//! the **last position** (the state after all the inputs) is the one output
//! Delétang et al. (2023) and Grazzi et al. (2025) score, so it is the figure set
//! beside theirs. Grazzi et al. report *scaled* accuracy, 0 at chance and 1 when
//! perfect; on parity chance is 1/2, so scaled = 2 · acc − 1, printed beside
//! theirs in the same scale. The settings differ (they train on lengths up to 40
//! and test at 40–256 or 41–500; the study trains at one T and tests at 2T and
//! 4T), so the anchors say which way a family goes, not a number to match.

use serde::Serialize;

use super::tables::{text_table, Group};

/// One published figure for a model family on parity past the training length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Anchor {
    /// Who measured it, and how, in a few words.
    pub source: &'static str,
    /// Accuracy (a fraction; Delétang et al.) or scaled accuracy (Grazzi et al.).
    pub value: f64,
    /// Whether `value` is scaled accuracy (0 = chance).
    pub scaled: bool,
}

const DELETANG: &str = "Delétang et al. 2023";
const GRAZZI: &str = "Grazzi et al. 2025 Tab. 3";

/// The anchors for a family on parity, by its architecture label's first words.
pub(crate) fn parity_anchors(arch: &str) -> Vec<Anchor> {
    let a = |source, value, scaled| Anchor {
        source,
        value,
        scaled,
    };
    let family = arch.split(' ').next().unwrap_or_default();
    let neg = arch.split(' ').any(|w| w == "neg-eig");
    match family {
        "transformer" => vec![a(DELETANG, 0.520, false), a(GRAZZI, 0.022, true)],
        "lstm" => vec![a(DELETANG, 1.0, false), a(GRAZZI, 1.0, true)],
        // Diagonal linear RNNs: Mamba's gate range [-1, 1] or [0, 1].
        "linear_rnn" if neg => vec![a(GRAZZI, 1.0, true)],
        "linear_rnn" => vec![a(GRAZZI, 0.0, true)],
        _ => vec![],
    }
}

/// Grazzi et al.'s scaled accuracy: 0 at chance (`1 / classes`), 1 when perfect.
pub fn scaled_accuracy(acc: f64, classes: usize) -> f64 {
    let chance = 1.0 / classes as f64;
    (acc - chance) / (1.0 - chance)
}

/// One (task, architecture, depth) past its training length and under other p1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LengthRow {
    pub task: String,
    pub arch: String,
    pub depth: Option<u32>,
    pub seeds: usize,
    /// (factor K, mean over seeds of the last-position accuracy at K · T, best seed's).
    pub last: Vec<(u32, f64, f64)>,
    /// (factor K, mean over seeds of the per-position accuracy past T at K · T).
    pub past: Vec<(u32, f64)>,
    /// (p1, mean per-position accuracy at T with inputs drawn with Pr[1] = p1).
    pub p1: Vec<(f64, f64)>,
    /// Parity only: anchors for this family.
    pub anchors: Vec<Anchor>,
}

fn suffix_number(key: &str, prefix: &str) -> Option<f64> {
    key.strip_prefix(prefix)?.parse().ok()
}

/// The rows of every group with a last-position accuracy past its training length
/// (models that cannot run longer have none: they are listed apart by
/// [`length_text`]).
pub fn length_rows(groups: &[Group]) -> Vec<LengthRow> {
    groups
        .iter()
        .filter_map(|g| {
            let mut last: Vec<(u32, f64, f64)> = g
                .metrics
                .iter()
                .filter_map(|(k, s)| {
                    let f = suffix_number(k, "acc_last_x")?;
                    (f > 1.0).then_some((f as u32, s.mean, s.max))
                })
                .collect();
            if last.is_empty() {
                return None;
            }
            last.sort_by_key(|(f, _, _)| *f);
            let mut past: Vec<(u32, f64)> = g
                .metrics
                .iter()
                .filter_map(|(k, s)| Some((suffix_number(k, "acc_past_x")? as u32, s.mean)))
                .collect();
            past.sort_by_key(|(f, _)| *f);
            let mut p1: Vec<(f64, f64)> = g
                .metrics
                .iter()
                .filter_map(|(k, s)| Some((suffix_number(k, "acc_p1_")?, s.mean)))
                .collect();
            p1.sort_by(|a, b| a.0.total_cmp(&b.0));
            Some(LengthRow {
                task: g.task.clone(),
                arch: g.arch.clone(),
                depth: g.depth,
                seeds: g.seeds.len(),
                last,
                past,
                p1,
                anchors: if g.task == "C_2" {
                    parity_anchors(&g.arch)
                } else {
                    vec![]
                },
            })
        })
        .collect()
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}", 100.0 * x)
    } else {
        "n/a".into()
    }
}

/// The printed section: last-position accuracy past the training length (mean
/// over seeds, best seed in brackets), parity's scaled accuracy and the anchors,
/// then parity under shifted p1 beside Liu et al.'s figure.
pub fn length_text(rows: &[LengthRow], not_applicable: &[String]) -> String {
    if rows.is_empty() && not_applicable.is_empty() {
        return String::new();
    }
    let mut factors: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.last.iter().map(|(f, _, _)| *f))
        .collect();
    factors.sort_unstable();
    factors.dedup();
    let mut header: Vec<String> = vec!["task".into(), "model".into(), "L".into(), "seeds".into()];
    for f in &factors {
        header.push(format!("last@{f}T"));
    }
    if let Some(f) = factors.last() {
        header.push(format!("past-T@{f}T"));
        header.push(format!("scaled@{f}T"));
    }
    header.push("anchors (parity past training length)".into());
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.task.clone(),
                r.arch.clone(),
                r.depth.map(|d| d.to_string()).unwrap_or_default(),
                r.seeds.to_string(),
            ];
            for f in &factors {
                row.push(match r.last.iter().find(|(g, _, _)| g == f) {
                    Some((_, mean, best)) if r.seeds > 1 => {
                        format!("{} [{}]", pct(*mean), pct(*best))
                    }
                    Some((_, mean, _)) => pct(*mean),
                    None => "n/a".into(),
                });
            }
            if let Some(f) = factors.last() {
                row.push(
                    r.past
                        .iter()
                        .find(|(g, _)| g == f)
                        .map(|(_, a)| pct(*a))
                        .unwrap_or_else(|| "n/a".into()),
                );
                let last = r.last.iter().find(|(g, _, _)| g == f);
                row.push(match (r.task.as_str(), last) {
                    ("C_2", Some((_, mean, _))) => format!("{:.3}", scaled_accuracy(*mean, 2)),
                    _ => "-".into(),
                });
            }
            let anchors: Vec<String> = r
                .anchors
                .iter()
                .map(|a| {
                    if a.scaled {
                        format!("{} {:.3} scaled", a.source, a.value)
                    } else {
                        format!("{} {}%", a.source, pct(a.value))
                    }
                })
                .collect();
            row.push(if anchors.is_empty() {
                "-".into()
            } else {
                anchors.join("; ")
            });
            row
        })
        .collect();
    let mut out = String::from(
        "\nPast the training length T: accuracy (%) at the last position (the state after all the inputs, the output Delétang et al. and Grazzi et al. score) at K·T, mean over seeds [best]; past-T: per-position accuracy over the positions after T only; scaled: Grazzi et al.'s scale, (acc − 1/2) / (1/2) on parity, 0 = chance. Anchors: Delétang et al. 2023 (train ≤ 40, test 41–500, best of 10 seeds × 3 learning rates), Grazzi et al. 2025 Table 3 (train 3–40, test 40–256, best of 3; Transformer 0.022, diagonal linear RNN in [−1, 1] 1.000, in [0, 1] 0.000, sLSTM 1.000)\n",
    );
    out.push_str(&text_table(&header, &table));
    if !not_applicable.is_empty() {
        out.push_str(&format!(
            "Cannot run past T (learned absolute positions, or an MLP's fixed window): {}\n",
            not_applicable.join(", ")
        ));
    }
    let parity: Vec<&LengthRow> = rows
        .iter()
        .filter(|r| r.task == "C_2" && !r.p1.is_empty())
        .collect();
    if !parity.is_empty() {
        out.push_str("\nParity at T under shifted inputs: per-position accuracy (%) when Pr[1] = p1 (trained at 0.5), mean over seeds. Liu et al. (T = 40, read off their figure): Transformer ≈ 82 at p1 = 0.05, 99 at 0.5, 85 at 0.95; LSTM ≈ 100 everywhere\n");
        let mut ps: Vec<f64> = parity
            .iter()
            .flat_map(|r| r.p1.iter().map(|(p, _)| *p))
            .collect();
        ps.sort_by(f64::total_cmp);
        ps.dedup();
        let mut header: Vec<String> = vec!["model".into(), "L".into()];
        header.extend(ps.iter().map(|p| format!("p1={p}")));
        let table: Vec<Vec<String>> = parity
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.arch.clone(),
                    r.depth.map(|d| d.to_string()).unwrap_or_default(),
                ];
                for p in &ps {
                    row.push(
                        r.p1.iter()
                            .find(|(q, _)| q == p)
                            .map(|(_, a)| pct(*a))
                            .unwrap_or_else(|| "n/a".into()),
                    );
                }
                row
            })
            .collect();
        out.push_str(&text_table(&header, &table));
    }
    out
}

/// The architectures with models that could not run past T at all.
pub fn cannot_run_longer(groups: &[Group], rows: &[LengthRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in groups {
        let has_lengthgen = g.metrics.contains_key("acc_x1");
        let ran_longer = rows
            .iter()
            .any(|r| r.task == g.task && r.arch == g.arch && r.depth == g.depth);
        if has_lengthgen && !ran_longer && !out.contains(&g.arch) {
            out.push(g.arch.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_accuracy_by_hand() {
        assert_eq!(scaled_accuracy(0.5, 2), 0.0);
        assert_eq!(scaled_accuracy(1.0, 2), 1.0);
        assert_eq!(scaled_accuracy(0.511, 2), 0.02200000000000002);
        assert!((scaled_accuracy(0.25, 4) - 0.0).abs() < 1e-15);
    }

    #[test]
    fn anchors_follow_the_family() {
        assert_eq!(parity_anchors("transformer pos=none bos").len(), 2);
        assert_eq!(parity_anchors("linear_rnn neg-eig")[0].value, 1.0);
        assert_eq!(parity_anchors("linear_rnn")[0].value, 0.0);
        assert!(parity_anchors("gru").is_empty());
        assert!(parity_anchors("mlp").is_empty());
    }
}
