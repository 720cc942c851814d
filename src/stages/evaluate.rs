//! `evaluate`: score a trained model on its data set's test split. For class
//! targets: per-position accuracy, whole-sequence accuracy, accuracy by
//! position, loss, and inference latency (median ms per batch) and
//! throughput. For GO terms (multi-label targets): CAFA F-max beside the naive
//! baseline ([`super::evaluate_go`]). For real targets: RMSE and MAE.
//!
//! Use it as `needs: [data, train]`: the two join on the data's coordinates.
//! `metrics.json` holds the accuracy figures (deterministic); latency and
//! throughput, which vary run to run, are in `timing.json`.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::trained_model;
use crate::datasets::{SequenceData, Target};
use crate::kind::{ParamSchema, Params, RunContext, Setting, StageKind, TaskInfo};
use crate::metrics::classification::ConfusionMatrix;
use crate::models::Model;
use crate::train::{evaluate, masked_outputs, SeqDataset};

fn d_batch_size() -> usize {
    256
}

/// Which split `evaluate` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Split {
    #[default]
    Test,
    Train,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Test => "test",
            Split::Train => "train",
        }
    }
}

/// Score a trained model on its data set's test split: accuracy (per
/// position, per sequence, by position), loss and latency for classes; CAFA
/// F-max for GO terms; RMSE and MAE for real targets. Use it as
/// `needs: [data, train]`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluateParams {
    /// sequences per forward pass
    #[serde(default = "d_batch_size")]
    #[schemars(range(min = 1))]
    pub batch_size: usize,
    /// which split to score
    #[serde(default)]
    pub split: Split,
}

impl Params for EvaluateParams {}

pub struct EvaluateKind {
    schema: ParamSchema,
}

impl EvaluateKind {
    pub fn new() -> Self {
        EvaluateKind {
            schema: ParamSchema::of::<EvaluateParams>(),
        }
    }
}

impl Default for EvaluateKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for EvaluateKind {
    fn name(&self) -> &'static str {
        "evaluate"
    }

    fn version(&self) -> u32 {
        // 3: any target kind (GO F-max, regression); recurrent layers and
        // attention run as whole-sequence ops (other float bits). 4: LSTM and
        // GRU fold the embedding into the first input projection (other bits).
        4
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: EvaluateParams = ctx.params()?;
        let (data_dir, task) = ctx.data_set()?;
        let (config, model) = trained_model(ctx)?;
        let (split, batch) = (p.split.name(), p.batch_size);
        let d = SequenceData::load(data_dir, split)?;
        match d.target {
            Target::Classes(_) => {}
            Target::MultiLabel { .. } => {
                return super::evaluate_go::run(ctx, data_dir, &task, &config, &model, split, batch)
            }
            Target::Real { .. } => return regression(ctx, &task, &model, d, batch),
        }
        let data = SeqDataset::from_data(d)?;
        let r = evaluate(&model, &data, batch).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut metrics = json!({
            "acc": r.acc, "seq_acc": r.seq_acc, "loss": r.loss,
            "n_sequences": r.n_sequences, "n_positions": r.n_positions,
        });
        // Labelled classes (real data sets name them): macro-F1, per-class
        // scores and the confusion matrix, since accuracy alone flatters a
        // majority class (always-N scores 82.8% on MIT-BIH).
        if let Some(names) = task.class_names() {
            let (truth, pred): (Vec<usize>, Vec<usize>) = r
                .predictions
                .iter()
                .map(|&(t, p)| (t as usize, p as usize))
                .unzip();
            let cm = ConfusionMatrix::new(&truth, &pred, names.len())?;
            metrics["macro_f1"] = json!(cm.macro_f1());
            // The baseline every classifier must beat: always the most
            // frequent test class.
            let majority = cm
                .counts()
                .iter()
                .map(|row| row.iter().sum::<u64>())
                .max()
                .unwrap_or(0);
            metrics["majority_acc"] = json!(majority as f64 / cm.total().max(1) as f64);
            let per_class: Vec<_> = names
                .iter()
                .zip(cm.per_class())
                .map(|(n, s)| json!({ "class": n, "precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support }))
                .collect();
            std::fs::write(
                ctx.out_dir.join("classification.json"),
                serde_json::to_vec_pretty(
                    &json!({ "classes": names, "per_class": per_class, "confusion": cm.counts(), "macro_f1": cm.macro_f1() }),
                )?,
            )?;
        }
        std::fs::write(
            ctx.out_dir.join("metrics.json"),
            serde_json::to_vec_pretty(&metrics)?,
        )?;
        let timing = json!({ "latency_ms_median": r.latency_ms_median, "throughput_seq_per_s": r.throughput_seq_per_s, "batch_size": batch });
        std::fs::write(
            ctx.out_dir.join("timing.json"),
            serde_json::to_vec_pretty(&timing)?,
        )?;
        let mut csv = String::from("position,acc\n");
        for (t, a) in r.acc_by_pos.iter().enumerate() {
            let _ = writeln!(csv, "{},{a}", t + 1);
        }
        std::fs::write(ctx.out_dir.join("acc_by_position.csv"), csv)?;
        std::fs::write(
            ctx.out_dir.join("acc_by_position.json"),
            serde_json::to_vec(&r.acc_by_pos)?,
        )?;
        tracing::info!(
            "{}: accuracy {:.4}, sequence accuracy {:.4}",
            ctx.instance,
            r.acc,
            r.seq_acc
        );
        Ok(())
    }
}

/// RMSE and MAE over the masked positions and all K values of a real target,
/// beside the RMSE of predicting 0 (the scale to compare against) and, when
/// the data set states one (`persistence_rmse` in its task.json, computed on
/// the same positions), persistence and the skill against it. The RMSE at
/// each of the K steps goes to `regression.json`.
fn regression(
    ctx: &RunContext<'_>,
    task: &TaskInfo,
    model: &Model,
    d: SequenceData,
    batch: usize,
) -> anyhow::Result<()> {
    let Target::Real { k, values } = &d.target else {
        unreachable!("called for real targets")
    };
    let (k, values, t) = (*k, values.clone(), d.t);
    let out = masked_outputs(model, &SeqDataset::from_data(d)?, batch)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if out.k != k {
        anyhow::bail!(
            "the model gives {} outputs per position; the targets have K = {k}",
            out.k
        );
    }
    let (mut ae, mut zero) = (0.0f64, 0.0f64);
    let mut se = vec![0.0f64; k];
    for (i, &(row, pos)) in out.at.iter().enumerate() {
        let want = &values[(row * t + pos) * k..(row * t + pos + 1) * k];
        for (j, (&p, &y)) in out.row(i).iter().zip(want).enumerate() {
            let e = f64::from(p) - f64::from(y);
            se[j] += e * e;
            ae += e.abs();
            zero += f64::from(y) * f64::from(y);
        }
    }
    let rows = out.at.len().max(1) as f64;
    let n_f = rows * k as f64;
    let rmse = (se.iter().sum::<f64>() / n_f).sqrt();
    let zero_rmse = (zero / n_f).sqrt();
    let mut metrics = json!({
        "rmse": rmse, "mae": ae / n_f, "zero_rmse": zero_rmse,
        "skill_vs_zero": 1.0 - rmse / zero_rmse,
        "n_positions": out.at.len(), "n_values": out.at.len() * k,
    });
    let persistence = match task {
        TaskInfo::EcgRecord(t) => Some(t),
        TaskInfo::Automaton(_)
        | TaskInfo::Prices(_)
        | TaskInfo::Heartbeats(_)
        | TaskInfo::Pfam(_)
        | TaskInfo::GoTerms(_) => None,
    };
    if let Some(p) = persistence
        .map(|t| t.persistence_rmse)
        .filter(|p| !p.is_nan())
    {
        metrics["persistence_rmse"] = json!(p);
        metrics["skill_vs_persistence"] = json!(1.0 - rmse / p);
    }
    let by_step: Vec<f64> = se.iter().map(|s| (s / rows).sqrt()).collect();
    std::fs::write(
        ctx.out_dir.join("regression.json"),
        serde_json::to_vec_pretty(&json!({
            "rmse_by_step": by_step,
            "persistence_rmse_by_step": persistence.map(|t| &t.persistence_rmse_by_step),
        }))?,
    )?;
    std::fs::write(
        ctx.out_dir.join("metrics.json"),
        serde_json::to_vec_pretty(&metrics)?,
    )?;
    tracing::info!(
        "{}: RMSE {rmse:.4} (standardised){}",
        ctx.instance,
        metrics
            .get("persistence_rmse")
            .and_then(|p| p.as_f64())
            .map(|p| format!(", persistence {p:.4}"))
            .unwrap_or_default()
    );
    Ok(())
}
