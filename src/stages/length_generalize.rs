//! `length_generalize`: score a trained model on fresh test sets at other
//! lengths (factors of the training length T) and, for tasks with binary
//! inputs (parity, gridworld, C_2^k), under shifted input distributions
//! (other values of `p1`), at the training length.
//!
//! On real data labelled once per sequence (pfam, heartbeats) it crops the
//! test split instead, to factors of the training crop length.
//!
//! Use it as `needs: [data, train]`. A model that cannot run at a length
//! (learned absolute positions past their table, the MLP past its window)
//! records "not applicable" with the reason instead of failing.
//!
//! On an automaton each length also records the accuracy at the **last**
//! position (the state after all the inputs: the one output Delétang et al.
//! and Grazzi et al. score, so their numbers can stand beside ours) and the
//! mean accuracy over the positions **past** the training length only (the
//! per-position mean `acc` also counts the first T positions, which the model
//! was trained on).
//!
//! Outputs: `length_generalization.json` (the curves), `by_length.csv`,
//! `by_p1.csv`, and `metrics.json` with flat entries `acc_x<factor>`,
//! `acc_last_x<factor>`, `acc_past_x<factor>` (factors above 1) and
//! `acc_p1_<p1>` for `seqlab show` and `compare`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::common::trained_model;
use crate::datasets::automata::{try_generate, GenConfig, Task};
use crate::datasets::prefix::{crop_prefixes, label_positions};
use crate::datasets::SequenceData;
use crate::kind::task::AutomatonTask;
use crate::kind::{
    JsonMap, ParamIssue, ParamSchema, Params, RunContext, Setting, StageKind, TaskInfo,
};
use crate::models::{Model, ModelConfig};
use crate::train::{evaluate, SeqDataset};

fn d_factors() -> Vec<usize> {
    vec![1, 2, 4]
}
fn d_test_size() -> usize {
    500
}
fn d_batch_size() -> usize {
    128
}

/// Score a trained model on fresh test sets at other lengths (factors of the
/// training length T) and, for tasks with binary inputs, under other input
/// probabilities `p1`; on real data labelled once per sequence, on the test
/// split cropped to factors of the training crop. Use it as `needs: [data, train]`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LengthGeneralizeParams {
    /// test lengths as multiples of the training length T
    #[serde(default = "d_factors")]
    pub factors: Vec<usize>,
    /// input probabilities to test at length T (parity, gridworld, C_2^k only)
    #[serde(default)]
    pub p1_values: Vec<f64>,
    /// fresh test sequences per length and per p1
    #[serde(default = "d_test_size")]
    #[schemars(range(min = 1))]
    pub test_size: usize,
    /// sequences per forward pass
    #[serde(default = "d_batch_size")]
    #[schemars(range(min = 1))]
    pub batch_size: usize,
    /// generator seed (mixed with the length and p1)
    #[serde(default)]
    pub seed: u64,
}

impl Params for LengthGeneralizeParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        if self.factors.is_empty() || self.factors.contains(&0) {
            return Err(vec![ParamIssue::new(
                "factors",
                "`factors` must be a non-empty list of integers >= 1",
            )]);
        }
        if self.p1_values.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(vec![ParamIssue::new(
                "p1_values",
                "every p1 must lie in [0, 1]",
            )]);
        }
        Ok(())
    }
}

pub struct LengthGeneralizeKind {
    schema: ParamSchema,
}

impl LengthGeneralizeKind {
    pub fn new() -> Self {
        LengthGeneralizeKind {
            schema: ParamSchema::of::<LengthGeneralizeParams>(),
        }
    }
}

impl Default for LengthGeneralizeKind {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether the task's inputs are drawn with probability `p1`.
fn takes_p1(task: &Task) -> bool {
    matches!(
        task,
        Task::Parity | Task::Gridworld { .. } | Task::ProductC2 { .. }
    )
}

/// Why `config` cannot run at `length`, if it cannot.
fn not_applicable(config: &ModelConfig, length: usize) -> Option<String> {
    let max = config.max_len()?;
    if length <= max {
        return None;
    }
    Some(match config {
        ModelConfig::Mlp(_) => format!(
            "the MLP has weights for exactly {max} positions (no sharing over time), so it cannot read length {length}"
        ),
        ModelConfig::Transformer(_) => format!(
            "learned absolute positions end at {max}; there is no embedding for positions past it (length {length})"
        ),
        // No maximum length: returned above.
        ModelConfig::Lstm(_) | ModelConfig::Gru(_) | ModelConfig::LinearRnn(_) => return None,
    })
}

/// Accuracies of a model on one test condition.
struct Scores {
    /// Per position, over every position.
    acc: f64,
    seq_acc: f64,
    /// At the last position.
    last: f64,
    /// Per position, over the positions past `train_len` (NaN when none are).
    past: f64,
    /// Accuracy at each position.
    by_pos: Vec<f64>,
}

/// Accuracy of `model` on `n` fresh sequences drawn with `gen`.
fn score(
    model: &Model,
    task: &Task,
    gen: &GenConfig,
    n: usize,
    seed: u64,
    batch: usize,
    train_len: usize,
) -> anyhow::Result<Scores> {
    let s = try_generate(task, n, gen, seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let data = SeqDataset::new(s.inputs, s.labels, s.mask, s.n, s.t)?;
    let r = evaluate(model, &data, batch).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Scores {
        acc: r.acc,
        seq_acc: r.seq_acc,
        last: r.acc_by_pos.last().copied().unwrap_or(f64::NAN),
        past: past_mean(&r.acc_by_pos, train_len),
        by_pos: r.acc_by_pos,
    })
}

/// Mean of the per-position accuracies past the first `train_len` positions.
/// Every position of an automaton's fresh test set carries a label, so each
/// position weighs the same as in the per-position mean.
fn past_mean(acc_by_pos: &[f64], train_len: usize) -> f64 {
    let past: Vec<f64> = acc_by_pos
        .iter()
        .skip(train_len)
        .copied()
        .filter(|a| a.is_finite())
        .collect();
    if past.is_empty() {
        return f64::NAN;
    }
    past.iter().sum::<f64>() / past.len() as f64
}

/// A seed for one test condition, distinct per condition and from the
/// training and test streams.
fn condition_seed(base: u64, test_seed: u64, tag: u64) -> u64 {
    let h = blake3::hash(format!("lengthgen:{base}:{test_seed}:{tag}").as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

impl StageKind for LengthGeneralizeKind {
    fn name(&self) -> &'static str {
        "length_generalize"
    }

    fn version(&self) -> u32 {
        // 2: recurrent layers run as whole-sequence ops (other float bits).
        // 3: last-position and past-the-training-length accuracies. 4: LSTM
        // and GRU fold the embedding into the first input projection.
        4
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: LengthGeneralizeParams = ctx.params()?;
        let (data_dir, task_info) = ctx.data_set()?;
        let TaskInfo::Automaton(automaton) = &task_info else {
            return run_prefixes(ctx, &p, data_dir, &task_info);
        };
        run_automaton(ctx, &p, automaton)
    }
}

/// An automaton: fresh test sets at each length and p1.
fn run_automaton(
    ctx: &RunContext<'_>,
    p: &LengthGeneralizeParams,
    automaton: &AutomatonTask,
) -> anyhow::Result<()> {
    let task = automaton.params.task()?;
    let (config, model) = trained_model(ctx)?;
    let base_len = automaton.params.length;
    let test_seed = automaton.test_seed;
    let (seed, n, batch) = (p.seed, p.test_size, p.batch_size);
    let (factors, p1s) = (&p.factors, &p.p1_values);
    let total = (factors.len() + p1s.len()) as u64;
    let mut done = 0;

    let mut metrics = JsonMap::new();
    let mut by_length = Vec::new();
    let mut csv = String::from("factor,length,acc,seq_acc,acc_last,acc_past,not_applicable\n");
    for &f in factors {
        let length = base_len * f;
        ctx.progress
            .update(done, total, &format!("length {length}"));
        done += 1;
        if let Some(reason) = not_applicable(&config, length) {
            let _ = writeln!(csv, "{f},{length},,,,,\"{reason}\"");
            by_length.push(json!({ "factor": f, "length": length, "not_applicable": reason }));
            continue;
        }
        let gen = GenConfig {
            length,
            ..automaton.params.gen_config(1.0)
        };
        let s = score(
            &model,
            &task,
            &gen,
            n,
            condition_seed(seed, test_seed, f as u64),
            batch,
            base_len,
        )?;
        let past = s.past.is_finite().then_some(s.past);
        let past_text = past.map(|p| p.to_string()).unwrap_or_default();
        let _ = writeln!(
            csv,
            "{f},{length},{},{},{},{past_text},",
            s.acc, s.seq_acc, s.last
        );
        metrics.insert(format!("acc_x{f}"), json!(s.acc));
        metrics.insert(format!("acc_last_x{f}"), json!(s.last));
        if let Some(p) = past {
            metrics.insert(format!("acc_past_x{f}"), json!(p));
        }
        by_length.push(json!({
            "factor": f, "length": length, "acc": s.acc, "seq_acc": s.seq_acc,
            "acc_last": s.last, "acc_past": past, "acc_by_pos": s.by_pos,
        }));
    }
    std::fs::write(ctx.out_dir.join("by_length.csv"), csv)?;

    let mut by_p1 = Vec::new();
    let mut p1_note = Value::Null;
    let mut csv = String::from("p1,acc,seq_acc\n");
    if !p1s.is_empty() && !takes_p1(&task) {
        p1_note = json!(format!(
            "task `{}` has no p1: its inputs are not Bernoulli bits",
            automaton.params.task
        ));
    } else {
        for &q in p1s {
            ctx.progress.update(done, total, &format!("p1 {q}"));
            done += 1;
            let gen = GenConfig {
                p1: q,
                ..automaton.params.gen_config(1.0)
            };
            let Scores { acc, seq_acc, .. } = score(
                &model,
                &task,
                &gen,
                n,
                condition_seed(seed, test_seed, 1_000_000 + (q * 1e6) as u64),
                batch,
                base_len,
            )?;
            let _ = writeln!(csv, "{q},{acc},{seq_acc}");
            metrics.insert(format!("acc_p1_{q}"), json!(acc));
            by_p1.push(json!({ "p1": q, "acc": acc, "seq_acc": seq_acc }));
        }
    }
    std::fs::write(ctx.out_dir.join("by_p1.csv"), csv)?;
    let report = json!({
        "task": automaton.params.task, "train_length": base_len,
        "family": config.family(), "config": config,
        "by_length": by_length, "by_p1": by_p1, "p1_not_applicable": p1_note,
    });
    write_results(ctx, &report, &metrics)?;
    ctx.progress.update(total, total, "done");
    Ok(())
}

fn write_results(ctx: &RunContext<'_>, report: &Value, metrics: &JsonMap) -> anyhow::Result<()> {
    std::fs::write(
        ctx.out_dir.join("length_generalization.json"),
        serde_json::to_vec_pretty(report)?,
    )?;
    std::fs::write(
        ctx.out_dir.join("metrics.json"),
        serde_json::to_vec_pretty(metrics)?,
    )?;
    Ok(())
}

/// Real data labelled once per sequence (`pfam`, `heartbeats`): no new data
/// can be generated, so the test split itself is cropped to each factor x
/// the training crop length, up to whole sequences (where the curve stops).
/// `test_size` does not apply; every test sequence is scored.
fn run_prefixes(
    ctx: &RunContext<'_>,
    p: &LengthGeneralizeParams,
    data_dir: &Path,
    task_info: &TaskInfo,
) -> anyhow::Result<()> {
    let name = task_info.name();
    let test = SequenceData::load(data_dir, "test")?;
    let positions = label_positions(&test).with_context(|| {
        format!(
            "data set `{name}` in {} is neither an automaton nor labelled once per sequence at its end (like pfam, heartbeats): `length_generalize` cannot crop it; remove this stage for it",
            data_dir.display()
        )
    })?;
    let (config, model) = trained_model(ctx)?;
    let train_len = task_info
        .train_length()
        .filter(|&l| l > 0)
        .unwrap_or(test.t);
    let (batch, factors) = (p.batch_size, &p.factors);
    let mut metrics = JsonMap::new();
    let mut by_length = Vec::new();
    let mut csv = String::from("factor,length,acc,seq_acc,not_applicable\n");
    for (done, &f) in factors.iter().enumerate() {
        let length = (train_len * f).min(test.t);
        ctx.progress.update(
            done as u64,
            factors.len() as u64,
            &format!("length {length}"),
        );
        let whole = length == test.t;
        if let Some(reason) = not_applicable(&config, length) {
            let _ = writeln!(csv, "{f},{length},,,\"{reason}\"");
            by_length.push(
                json!({ "factor": f, "length": length, "whole": whole, "not_applicable": reason }),
            );
        } else {
            let d = crop_prefixes(&test, &positions, length)?;
            let labels = d.labels("length_generalize")?.to_vec();
            let data = SeqDataset::new(d.inputs, labels, d.mask, d.n, d.t)?;
            let r = evaluate(&model, &data, batch).map_err(|e| anyhow::anyhow!("{e}"))?;
            let _ = writeln!(csv, "{f},{length},{},{},", r.acc, r.seq_acc);
            metrics.insert(format!("acc_x{f}"), json!(r.acc));
            by_length.push(json!({ "factor": f, "length": length, "whole": whole, "acc": r.acc, "seq_acc": r.seq_acc }));
        }
        if whole {
            break; // longer crops are the same whole sequences
        }
    }
    std::fs::write(ctx.out_dir.join("by_length.csv"), csv)?;
    std::fs::write(ctx.out_dir.join("by_p1.csv"), "p1,acc,seq_acc\n")?;
    let p1_note =
        (!p.p1_values.is_empty()).then(|| format!("data set `{name}` has no p1: it is real data"));
    let report = json!({
        "task": name, "train_length": train_len, "test_sequences": test.n,
        "family": config.family(), "config": config, "cropped_from": "test split",
        "by_length": by_length, "by_p1": [], "p1_not_applicable": p1_note,
    });
    write_results(ctx, &report, &metrics)?;
    ctx.progress
        .update(factors.len() as u64, factors.len() as u64, "done");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::past_mean;

    #[test]
    fn past_mean_counts_only_positions_past_training() {
        let acc = [1.0, 1.0, 0.5, 0.75, f64::NAN, 0.25];
        // positions 3.. (0-based 2..): 0.5, 0.75, 0.25 (the unscored one left out)
        assert_eq!(past_mean(&acc, 2), 0.5);
        assert!(past_mean(&acc, 6).is_nan());
        assert_eq!(past_mean(&acc[..2], 0), 1.0);
    }
}
