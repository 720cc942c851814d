//! `train`: fit one model to a data set (its only `needs`: an `automaton` or a
//! real data set, with class, multi-label or real targets) with
//! AdamW, warm-up + cosine schedule, global-norm clipping and early stopping.
//!
//! Outputs: `model.safetensors` (byte-identical for the same seed and
//! backend; Python's safetensors reads it), `model.json` (the model config),
//! `metrics.json`, and the loss/accuracy curve as `curve.csv` and
//! `curve.json`. A NaN or infinite loss fails the stage naming the step, so no
//! cache entry is written.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, Setting,
    StageKind,
};
use crate::datasets::automata::try_generate;
use crate::datasets::SequenceData;
use crate::models::ModelConfig;
use crate::stages::automaton::{gen_config, task_of};
use crate::train::{backend, save_checkpoint, train, Batch, Batches, SeqDataset, TrainConfig};

pub const FAMILIES: &[&str] = &["transformer", "lstm", "gru", "mlp", "linear_rnn"];

/// Which model params each family uses; the others are dropped from the
/// resolved params so that, say, `heads` never reruns an LSTM.
fn family_params(family: &str) -> &'static [&'static str] {
    match family {
        "transformer" => &["layers", "width", "heads", "pos", "dropout"],
        "lstm" | "gru" => &["layers", "width"],
        "mlp" => &["layers", "width"],
        _ => &["layers", "width", "negative_eigenvalues"],
    }
}

const MODEL_PARAMS: &[&str] = &[
    "layers",
    "width",
    "heads",
    "pos",
    "dropout",
    "negative_eigenvalues",
];

pub struct TrainKind {
    schema: ParamSchema,
}

impl TrainKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        TrainKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required("model", ParamType::Choice(FAMILIES), "model family"),
                    p("layers", ParamType::Int, json!(1), "depth L"),
                    p("width", ParamType::Int, json!(64), "hidden width d"),
                    p("heads", ParamType::Int, json!(4), "attention heads (transformer)"),
                    p("pos", ParamType::Choice(&["learned", "sinusoidal", "rope", "alibi"]), json!("learned"), "positional encoding (transformer)"),
                    p("dropout", ParamType::Float, json!(0.0), "dropout (transformer)"),
                    p("negative_eigenvalues", ParamType::Bool, json!(false), "linear RNN gate in [-1, 1] instead of [0, 1]"),
                    p("steps", ParamType::Int, json!(1000), "optimizer steps (at most, with early stopping)"),
                    p("batch_size", ParamType::Int, json!(64), "sequences per step"),
                    p("lr", ParamType::Float, json!(0.001), "peak learning rate"),
                    p("warmup_steps", ParamType::Int, json!(100), "linear warm-up steps before the cosine decay"),
                    p("weight_decay", ParamType::Float, json!(0.01), "AdamW decoupled weight decay"),
                    p("grad_clip", ParamType::Float, json!(1.0), "maximum global gradient norm (0 disables)"),
                    p("seed", ParamType::Int, json!(0), "initialisation and batch-sampling seed"),
                    p("eval_every", ParamType::Int, json!(50), "steps between early-stopping checks"),
                    p("target_acc", ParamType::Float, json!(1.1), "stop once the training accuracy since the last check is at least this (above 1: never)"),
                    p("window", ParamType::Int, json!(2), "consecutive checks at the target before stopping"),
                ],
                open: false,
            },
        }
    }
}

impl Default for TrainKind {
    fn default() -> Self {
        Self::new()
    }
}

/// The `automaton` output among the inputs.
pub fn data_input<'a>(ctx: &'a RunContext<'_>) -> anyhow::Result<&'a Path> {
    ctx.inputs
        .iter()
        .find(|i| !i.gathered && i.path.join("task.json").is_file())
        .map(|i| i.path.as_path())
        .context(
            "this stage needs an `automaton` stage among its `needs` (no input has a task.json)",
        )
}

/// The model config for resolved train params and a task.
pub fn model_config(params: &JsonMap, task: &JsonMap) -> anyhow::Result<ModelConfig> {
    let family = params["model"].as_str().unwrap_or_default();
    let vocab = task["n_actions_vocab"]
        .as_u64()
        .context("task.json lacks n_actions_vocab")?;
    let classes = task["n_states"]
        .as_u64()
        .context("task.json lacks n_states")?;
    let length = task["length"].as_u64().context("task.json lacks length")?;
    let mut cfg = json!({ "family": family, "vocab": vocab, "n_classes": classes });
    let obj = cfg.as_object_mut().expect("an object");
    obj.insert("depth".into(), params["layers"].clone());
    obj.insert("width".into(), params["width"].clone());
    match family {
        "transformer" => {
            for k in ["heads", "pos", "dropout"] {
                obj.insert(k.into(), params[k].clone());
            }
            obj.insert("max_len".into(), json!(length));
        }
        "mlp" => {
            // Without weight sharing over time the MLP has parameters per
            // position: a data set may build it for its training window only
            // (`fixed_window`, the protein crop) rather than the test length.
            let window = task.get("fixed_window").and_then(|v| v.as_u64());
            obj.insert("max_len".into(), json!(window.unwrap_or(length)));
        }
        "linear_rnn" => {
            obj.insert(
                "negative_eigenvalues".into(),
                params["negative_eigenvalues"].clone(),
            );
        }
        _ => {}
    }
    serde_json::from_value(cfg).context("building the model configuration")
}

pub fn read_json(path: &Path) -> anyhow::Result<JsonMap> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
}

impl StageKind for TrainKind {
    fn name(&self) -> &'static str {
        "train"
    }

    fn version(&self) -> u32 {
        // 2: any target kind (BCE for GO terms, MSE), the MLP's `fixed_window`;
        // recurrent layers and attention run as whole-sequence ops (other float bits).
        2
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn needs_process(&self) -> bool {
        true
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let mut params = self.schema.resolve(raw)?;
        let family = params["model"].as_str().unwrap_or_default().to_string();
        for k in MODEL_PARAMS {
            if !family_params(&family).contains(k) {
                params.insert(k.to_string(), Value::Null);
            }
        }
        require_at_least(
            &params,
            &[
                ("steps", 1),
                ("batch_size", 1),
                ("eval_every", 1),
                ("window", 1),
                ("width", 1),
                ("layers", 1),
            ],
        )?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let data_dir = data_input(ctx)?;
        let task_info = read_json(&data_dir.join("task.json"))?;
        let model_cfg = model_config(p, &task_info)?;
        let clip = p["grad_clip"].as_f64().unwrap_or(0.0);
        let target = p["target_acc"].as_f64().unwrap_or(1.1);
        let cfg: TrainConfig = serde_json::from_value(json!({
            "steps": p["steps"], "batch_size": p["batch_size"], "lr": p["lr"],
            "warmup_steps": p["warmup_steps"], "weight_decay": p["weight_decay"],
            "grad_clip": if clip > 0.0 { json!(clip) } else { Value::Null },
            "seed": p["seed"], "eval_every": p["eval_every"],
            "target_acc": if target <= 1.0 { json!(target) } else { Value::Null },
            "window": p["window"],
        }))?;
        let device = backend::device(&ctx.settings.backend)?;
        let fresh = task_info
            .get("fresh")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let fixed;
        let batches = if fresh {
            let task = task_of(&task_info)?;
            let gen = gen_config(&task_info, task_info["p_reveal"].as_f64().unwrap_or(1.0));
            Batches::Fresh(Box::new(move |b, rng| {
                let s = try_generate(&task, b, &gen, rng.next_u64())
                    .expect("validated generator settings");
                Batch::new(s.inputs, s.labels, s.mask, s.n, s.t)
                    .expect("generator shapes are consistent")
            }))
        } else {
            let d = SequenceData::load(data_dir, "train")?;
            fixed = SeqDataset::from_data(d)?;
            Batches::Dataset(&fixed)
        };
        let steps = cfg.steps as u64;
        let started = std::time::Instant::now();
        let outcome = train(&model_cfg, &cfg, batches, None, &device, |s| {
            if s.step % 5 == 0 || s.step + 1 == steps as usize {
                ctx.progress.update(
                    s.step as u64 + 1,
                    steps,
                    &format!("loss {:.4} acc {:.3}", s.loss, s.acc),
                );
            }
        })
        .map_err(|e| anyhow::anyhow!("training {} failed: {e}", ctx.instance))?;
        let seconds = started.elapsed().as_secs_f64();
        let last = outcome.curve.last().copied();
        if last.is_none() {
            bail!("training ran no step");
        }
        save_checkpoint(&outcome.model, &ctx.out_dir.join("model.safetensors"))?;
        std::fs::write(
            ctx.out_dir.join("model.json"),
            serde_json::to_vec_pretty(&model_cfg)?,
        )?;
        let tail = &outcome.curve[outcome.curve.len().saturating_sub(cfg.eval_every)..];
        // Only deterministic values go into the outputs (so `verify --rerun`
        // can demand identical bits); the duration is in the execution record.
        let metrics = json!({
            "final_loss": last.map(|s| s.loss),
            "train_acc": tail.iter().map(|s| s.acc).sum::<f64>() / tail.len() as f64,
            "steps_run": outcome.steps_run,
            "stopped_early": if outcome.stopped_early { 1 } else { 0 },
        });
        std::fs::write(
            ctx.out_dir.join("metrics.json"),
            serde_json::to_vec_pretty(&metrics)?,
        )?;
        tracing::info!(
            "{}: {} steps in {:.1}s ({:.1} steps/s), final loss {:.4}",
            ctx.instance,
            outcome.steps_run,
            seconds,
            outcome.steps_run as f64 / seconds.max(1e-9),
            last.map(|s| s.loss).unwrap_or(f64::NAN)
        );
        let mut csv = String::from("step,loss,acc,lr\n");
        for s in &outcome.curve {
            let _ = writeln!(csv, "{},{},{},{}", s.step, s.loss, s.acc, s.lr);
        }
        std::fs::write(ctx.out_dir.join("curve.csv"), csv)?;
        std::fs::write(
            ctx.out_dir.join("curve.json"),
            serde_json::to_vec(&json!({ "steps": outcome.curve, "checks": outcome.evals }))?,
        )?;
        Ok(())
    }
}
