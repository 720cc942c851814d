//! `summarize`: gather a sweep (its `train`, `evaluate`, `length_generalize`,
//! `timing` and `automaton` instances) into the study's tables: results
//! aggregated over seeds (mean, min, max, 95% interval), the smallest
//! Transformer depth reaching each threshold next to the paper's with their
//! Spearman rank correlation, depth against length (the longest accurate
//! prefix per depth), length generalization and shifted inputs beside the
//! published anchors, and time growth exponents.
//!
//! Outputs: `summary.json`, `results.csv` (one row per group of seeds),
//! `min_depth.csv`, and `summary.txt`, which `seqlab run` prints at the end.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::kind::{display, ParamSchema, Params, RunContext, StageKind};
use crate::study::prefix::THRESHOLD as PREFIX_THRESHOLD;
use crate::study::rank::MIN_TASKS_FOR_RHO;
use crate::study::tables::csv_field;
use crate::study::{
    aggregate, agreement_text, cannot_run_longer, collect, depth_against_length, depth_length_text,
    length_rows, length_text, min_depths, paper_agreement, summary_text, Axes,
};

fn d_task_axis() -> String {
    "task".into()
}
fn d_depth_axis() -> String {
    "layers".into()
}
fn d_seed_axis() -> String {
    "seed".into()
}
fn d_metric() -> String {
    "acc".into()
}
fn d_thresholds() -> Vec<f64> {
    vec![0.95, 0.99]
}

/// Gather a sweep (its `train`, `evaluate`, `length_generalize`, `timing`
/// and `automaton` instances) into the study's tables: results over seeds,
/// the smallest Transformer depth reaching each threshold next to the
/// paper's, and time growth exponents; `seqlab run` prints `summary.txt`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SummarizeParams {
    /// the coordinate naming the task
    #[serde(default = "d_task_axis")]
    pub task_axis: String,
    /// the coordinate giving the depth
    #[serde(default = "d_depth_axis")]
    pub depth_axis: String,
    /// the coordinate aggregated over
    #[serde(default = "d_seed_axis")]
    pub seed_axis: String,
    /// the metric the depth thresholds apply to
    #[serde(default = "d_metric")]
    pub metric: String,
    /// accuracy thresholds of the min-depth table
    #[serde(default = "d_thresholds")]
    pub thresholds: Vec<f64>,
}

impl Params for SummarizeParams {}

pub struct SummarizeKind {
    schema: ParamSchema,
}

impl SummarizeKind {
    pub fn new() -> Self {
        SummarizeKind {
            schema: ParamSchema::of::<SummarizeParams>(),
        }
    }
}

impl Default for SummarizeKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for SummarizeKind {
    fn name(&self) -> &'static str {
        "summarize"
    }

    fn version(&self) -> u32 {
        // 3: the Spearman agreement with Table 1, depth against length, and
        // length generalization beside the anchors (summary.txt, summary.json).
        3
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn printed_summary(&self) -> Option<&'static str> {
        Some("summary.txt")
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: SummarizeParams = ctx.params()?;
        let axes = Axes {
            task: p.task_axis,
            depth: p.depth_axis,
            seed: p.seed_axis,
        };
        let thresholds = p.thresholds;
        let collected = collect(ctx.inputs)?;
        if collected.cells.is_empty() && collected.timing.is_empty() {
            anyhow::bail!("nothing to summarize: gather `train`, `evaluate`, `length_generalize` or `timing` stages");
        }
        let groups = aggregate(&collected.cells, &axes);
        let min = min_depths(&groups, &p.metric, &thresholds);
        let agreement: Vec<_> = paper_agreement(&min)
            .into_iter()
            .filter(|a| a.tasks.len() >= MIN_TASKS_FOR_RHO)
            .collect();
        let depth_length = depth_against_length(&collected.cells, &axes, PREFIX_THRESHOLD);
        let lengths = length_rows(&groups);
        let cannot = cannot_run_longer(&groups, &lengths);
        let timing: Vec<(String, Option<f64>, Option<f64>)> = collected
            .timing
            .iter()
            .map(|t| {
                (
                    t.coords
                        .0
                        .values()
                        .map(display)
                        .collect::<Vec<_>>()
                        .join(" "),
                    t.timing["train_exponent"].as_f64(),
                    t.timing["infer_exponent"].as_f64(),
                )
            })
            .collect();

        let mut csv =
            String::from("task,model,depth,seeds,metric,mean,min,max,ci95_low,ci95_high\n");
        for g in &groups {
            for (m, sp) in &g.metrics {
                let (lo, hi) = sp.ci95.map_or((String::new(), String::new()), |(a, b)| {
                    (a.to_string(), b.to_string())
                });
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{m},{},{},{},{lo},{hi}",
                    csv_field(&g.task),
                    csv_field(&g.arch),
                    g.depth.map(|d| d.to_string()).unwrap_or_default(),
                    g.seeds.len(),
                    sp.mean,
                    sp.min,
                    sp.max
                );
            }
        }
        std::fs::write(ctx.out_dir.join("results.csv"), csv)?;
        let mut csv =
            String::from("task,model,threshold,best_of_seeds,mean_over_seeds,depths_tried,paper\n");
        let opt = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
        for m in &min {
            let tried: Vec<String> = m.depths_tried.iter().map(u32::to_string).collect();
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                csv_field(&m.task),
                csv_field(&m.arch),
                m.threshold,
                opt(m.best_of_seeds),
                opt(m.mean_over_seeds),
                csv_field(&tried.join(" ")),
                opt(m.paper)
            );
        }
        std::fs::write(ctx.out_dir.join("min_depth.csv"), csv)?;
        let timing_json: Vec<_> = collected
            .timing
            .iter()
            .map(|t| json!({ "coords": t.coords.0, "timing": t.timing }))
            .collect();
        let summary = json!({
            "axes": axes, "groups": groups, "min_depth": min, "paper_agreement": agreement,
            "depth_against_length": { "threshold": PREFIX_THRESHOLD, "rows": depth_length },
            "length_generalization": { "rows": lengths, "cannot_run_longer": cannot },
            "timing": timing_json,
        });
        std::fs::write(
            ctx.out_dir.join("summary.json"),
            serde_json::to_vec_pretty(&summary)?,
        )?;
        std::fs::write(
            ctx.out_dir.join("summary.txt"),
            summary_text(
                &groups,
                &min,
                &timing,
                &[
                    agreement_text(&agreement),
                    depth_length_text(&depth_length, PREFIX_THRESHOLD),
                    length_text(&lengths, &cannot),
                ],
            ),
        )?;
        Ok(())
    }
}
