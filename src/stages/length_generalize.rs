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
//! Outputs: `length_generalization.json` (the curves), `by_length.csv`,
//! `by_p1.csv`, and `metrics.json` with flat entries `acc_x<factor>` and
//! `acc_p1_<p1>` for `seqlab show` and `compare`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use serde_json::{json, Value};

use super::evaluate::trained_model;
use super::train::{data_input, read_json};
use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, Setting,
    StageKind,
};
use crate::datasets::automata::{try_generate, Task};
use crate::datasets::prefix::{crop_prefixes, label_positions};
use crate::datasets::SequenceData;
use crate::models::{Model, ModelConfig};
use crate::stages::automaton::{gen_config, task_of};
use crate::train::{evaluate, SeqDataset};

pub struct LengthGeneralizeKind {
    schema: ParamSchema,
}

impl LengthGeneralizeKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        LengthGeneralizeKind {
            schema: ParamSchema {
                params: vec![
                    p(
                        "factors",
                        ParamType::IntList,
                        json!([1, 2, 4]),
                        "test lengths as multiples of the training length T",
                    ),
                    p(
                        "p1_values",
                        ParamType::FloatList,
                        json!([]),
                        "input probabilities to test at length T (parity, gridworld, C_2^k only)",
                    ),
                    p(
                        "test_size",
                        ParamType::Int,
                        json!(500),
                        "fresh test sequences per length and per p1",
                    ),
                    p(
                        "batch_size",
                        ParamType::Int,
                        json!(128),
                        "sequences per forward pass",
                    ),
                    p(
                        "seed",
                        ParamType::Int,
                        json!(0),
                        "generator seed (mixed with the length and p1)",
                    ),
                ],
                open: false,
            },
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
        _ => format!(
            "learned absolute positions end at {max}; there is no embedding for positions past it (length {length})"
        ),
    })
}

/// Accuracy of `model` on `n` fresh sequences drawn with `gen` overrides.
fn score(
    model: &Model,
    task: &Task,
    task_info: &JsonMap,
    overrides: &[(&str, Value)],
    n: usize,
    seed: u64,
    batch: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut info = task_info.clone();
    for (k, v) in overrides {
        info.insert(k.to_string(), v.clone());
    }
    let gen = gen_config(&info, 1.0);
    let s = try_generate(task, n, &gen, seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let data = SeqDataset::new(s.inputs, s.labels, s.mask, s.n, s.t)?;
    let r = evaluate(model, &data, batch).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((r.acc, r.seq_acc))
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
        2
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        let issue = |param: &str, message: String| {
            Err(vec![ParamIssue {
                param: param.into(),
                message,
                help: None,
            }])
        };
        let factors = params["factors"].as_array().cloned().unwrap_or_default();
        if factors.is_empty() || factors.iter().any(|f| f.as_i64().unwrap_or(0) < 1) {
            return issue(
                "factors",
                "`factors` must be a non-empty list of integers >= 1".into(),
            );
        }
        let p1s = params["p1_values"].as_array().cloned().unwrap_or_default();
        if p1s
            .iter()
            .any(|p| !(0.0..=1.0).contains(&p.as_f64().unwrap_or(-1.0)))
        {
            return issue("p1_values", "every p1 must lie in [0, 1]".into());
        }
        require_at_least(&params, &[("test_size", 1), ("batch_size", 1)])?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let data_dir = data_input(ctx)?;
        let task_info = read_json(&data_dir.join("task.json"))?;
        let Ok(task) = task_of(&task_info) else {
            return run_prefixes(ctx, data_dir, &task_info);
        };
        let (config, model) = trained_model(ctx)?;
        let base_len = task_info["length"].as_u64().unwrap_or(32) as usize;
        let test_seed = task_info["test_seed"].as_u64().unwrap_or(0);
        let seed = p["seed"].as_u64().unwrap_or(0);
        let n = p["test_size"].as_u64().unwrap_or(500) as usize;
        let (batch, factors) = batch_and_factors(p);
        let p1s: Vec<f64> = p["p1_values"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        let total = (factors.len() + p1s.len()) as u64;
        let mut done = 0;

        let mut metrics = JsonMap::new();
        let mut by_length = Vec::new();
        let mut csv = String::from("factor,length,acc,seq_acc,not_applicable\n");
        for &f in &factors {
            let length = base_len * f as usize;
            ctx.progress
                .update(done, total, &format!("length {length}"));
            done += 1;
            if let Some(reason) = not_applicable(&config, length) {
                let _ = writeln!(csv, "{f},{length},,,\"{reason}\"");
                by_length.push(json!({ "factor": f, "length": length, "not_applicable": reason }));
                continue;
            }
            let (acc, seq_acc) = score(
                &model,
                &task,
                &task_info,
                &[("length", json!(length))],
                n,
                condition_seed(seed, test_seed, f),
                batch,
            )?;
            let _ = writeln!(csv, "{f},{length},{acc},{seq_acc},");
            metrics.insert(format!("acc_x{f}"), json!(acc));
            by_length
                .push(json!({ "factor": f, "length": length, "acc": acc, "seq_acc": seq_acc }));
        }
        std::fs::write(ctx.out_dir.join("by_length.csv"), csv)?;

        let mut by_p1 = Vec::new();
        let mut p1_note = Value::Null;
        let mut csv = String::from("p1,acc,seq_acc\n");
        if !p1s.is_empty() && !takes_p1(&task) {
            p1_note = json!(format!(
                "task `{}` has no p1: its inputs are not Bernoulli bits",
                task_info["task"].as_str().unwrap_or("?")
            ));
        } else {
            for &q in &p1s {
                ctx.progress.update(done, total, &format!("p1 {q}"));
                done += 1;
                let (acc, seq_acc) = score(
                    &model,
                    &task,
                    &task_info,
                    &[("p1", json!(q))],
                    n,
                    condition_seed(seed, test_seed, 1_000_000 + (q * 1e6) as u64),
                    batch,
                )?;
                let _ = writeln!(csv, "{q},{acc},{seq_acc}");
                metrics.insert(format!("acc_p1_{q}"), json!(acc));
                by_p1.push(json!({ "p1": q, "acc": acc, "seq_acc": seq_acc }));
            }
        }
        std::fs::write(ctx.out_dir.join("by_p1.csv"), csv)?;
        let report = json!({
            "task": task_info["task"], "train_length": base_len,
            "family": config.family(), "config": config,
            "by_length": by_length, "by_p1": by_p1, "p1_not_applicable": p1_note,
        });
        write_results(ctx, &report, &metrics)?;
        ctx.progress.update(total, total, "done");
        Ok(())
    }
}

/// The `batch_size` and `factors` params, as both paths read them.
fn batch_and_factors(p: &JsonMap) -> (usize, Vec<u64>) {
    let batch = p["batch_size"].as_u64().unwrap_or(128) as usize;
    let factors = p["factors"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    (batch, factors)
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
fn run_prefixes(ctx: &RunContext<'_>, data_dir: &Path, task_info: &JsonMap) -> anyhow::Result<()> {
    let p = ctx.params;
    let name = task_info["task"].as_str().unwrap_or("?");
    let test = SequenceData::load(data_dir, "test")?;
    let positions = label_positions(&test).with_context(|| {
        format!(
            "data set `{name}` in {} is neither an automaton nor labelled once per sequence at its end (like pfam, heartbeats): `length_generalize` cannot crop it; remove this stage for it",
            data_dir.display()
        )
    })?;
    let (config, model) = trained_model(ctx)?;
    let train_len = task_info["train_length"]
        .as_u64()
        .filter(|&l| l > 0)
        .map_or(test.t, |l| l as usize);
    let (batch, factors) = batch_and_factors(p);
    let mut metrics = JsonMap::new();
    let mut by_length = Vec::new();
    let mut csv = String::from("factor,length,acc,seq_acc,not_applicable\n");
    for (done, &f) in factors.iter().enumerate() {
        let length = (train_len * f as usize).min(test.t);
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
    let p1_note = (!p["p1_values"].as_array().is_none_or(Vec::is_empty))
        .then(|| format!("data set `{name}` has no p1: it is real data"));
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
