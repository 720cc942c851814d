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

use anyhow::bail;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::model_config;
use crate::datasets::automata::try_generate;
use crate::datasets::SequenceData;
use crate::kind::{ParamIssue, ParamSchema, Params, RunContext, Setting, StageKind};
use crate::models::{Family, ModelShape, PosEncoding};
use crate::train::{backend, save_checkpoint, train, Batch, Batches, SeqDataset, TrainConfig};

// The optimisation defaults are `TrainConfig`'s, written once there.
fn d_steps() -> usize {
    TrainConfig::default().steps
}
fn d_batch_size() -> usize {
    TrainConfig::default().batch_size
}
fn d_lr() -> f64 {
    TrainConfig::default().lr
}
fn d_warmup_steps() -> usize {
    TrainConfig::default().warmup_steps
}
fn d_weight_decay() -> f64 {
    TrainConfig::default().weight_decay
}
fn d_lr_floor_frac() -> f64 {
    TrainConfig::default().lr_floor_frac
}
fn d_beta1() -> f64 {
    TrainConfig::default().beta1
}
fn d_beta2() -> f64 {
    TrainConfig::default().beta2
}
fn d_min_length() -> Option<usize> {
    TrainConfig::default().min_length
}
fn d_grad_clip() -> f64 {
    TrainConfig::default().grad_clip.unwrap_or(0.0)
}
fn d_eval_every() -> usize {
    TrainConfig::default().eval_every
}
/// Above 1: never reached.
fn d_target_acc() -> f64 {
    TrainConfig::default().target_acc.unwrap_or(1.1)
}
fn d_window() -> usize {
    TrainConfig::default().window
}
fn d_layers() -> usize {
    1
}
fn d_width() -> usize {
    64
}
fn d_heads() -> usize {
    4
}

/// Fit one model to a data set (its only `needs`: an `automaton` or a real
/// data set, with class, multi-label or real targets) with AdamW, warm-up +
/// cosine schedule, global-norm clipping and early stopping.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    /// model family
    pub model: Family,
    /// depth L
    #[serde(default = "d_layers")]
    #[schemars(range(min = 1))]
    pub layers: usize,
    /// hidden width d
    #[serde(default = "d_width")]
    #[schemars(range(min = 1))]
    pub width: usize,
    /// attention heads (transformer)
    #[serde(default = "d_heads")]
    #[schemars(range(min = 1))]
    pub heads: usize,
    /// positional encoding (transformer); `none`: no position signal (NoPE)
    #[serde(default)]
    pub pos: PosEncoding,
    /// prepend a beginning-of-sequence token (transformer; labels and accuracy are the input positions' only)
    #[serde(default)]
    pub bos: bool,
    /// feed-forward width (transformer; null: 4 × width)
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub d_ff: Option<usize>,
    /// dropout probability (transformer), in [0, 1)
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub dropout: f64,
    /// linear RNN gate in [-1, 1] instead of [0, 1]
    #[serde(default)]
    pub negative_eigenvalues: bool,
    /// optimizer steps (at most, with early stopping)
    #[serde(default = "d_steps")]
    #[schemars(range(min = 1))]
    pub steps: usize,
    /// sequences per step
    #[serde(default = "d_batch_size")]
    #[schemars(range(min = 1))]
    pub batch_size: usize,
    /// peak learning rate
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// linear warm-up steps before the cosine decay
    #[serde(default = "d_warmup_steps")]
    pub warmup_steps: usize,
    /// final learning rate of the cosine decay, as a fraction of `lr`
    #[serde(default = "d_lr_floor_frac")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub lr_floor_frac: f64,
    /// AdamW decoupled weight decay
    #[serde(default = "d_weight_decay")]
    #[schemars(range(min = 0.0))]
    pub weight_decay: f64,
    /// AdamW first-moment decay β1, in [0, 1)
    #[serde(default = "d_beta1")]
    #[schemars(range(min = 0.0))]
    pub beta1: f64,
    /// AdamW second-moment decay β2, in [0, 1)
    #[serde(default = "d_beta2")]
    #[schemars(range(min = 0.0))]
    pub beta2: f64,
    /// random lengths: each training batch cut to a length drawn from min_length..=T (per-position targets; null: full length)
    #[serde(default = "d_min_length")]
    #[schemars(range(min = 1))]
    pub min_length: Option<usize>,
    /// maximum global gradient norm (0 disables)
    #[serde(default = "d_grad_clip")]
    pub grad_clip: f64,
    /// initialisation and batch-sampling seed
    #[serde(default)]
    pub seed: u64,
    /// steps between early-stopping checks
    #[serde(default = "d_eval_every")]
    #[schemars(range(min = 1))]
    pub eval_every: usize,
    /// stop once the training accuracy since the last check is at least this (above 1: never)
    #[serde(default = "d_target_acc")]
    pub target_acc: f64,
    /// consecutive checks at the target before stopping
    #[serde(default = "d_window")]
    #[schemars(range(min = 1))]
    pub window: usize,
}

/// Which model params each family uses.
fn family_params(family: Family) -> &'static [&'static str] {
    match family {
        Family::Transformer => &["layers", "width", "heads", "pos", "bos", "d_ff", "dropout"],
        Family::Lstm | Family::Gru | Family::Mlp => &["layers", "width"],
        Family::LinearRnn => &["layers", "width", "negative_eigenvalues"],
    }
}

const MODEL_PARAMS: &[&str] = &[
    "layers",
    "width",
    "heads",
    "pos",
    "bos",
    "d_ff",
    "dropout",
    "negative_eigenvalues",
];

impl TrainParams {
    /// The model part.
    pub fn shape(&self) -> ModelShape {
        ModelShape {
            family: self.model,
            layers: self.layers,
            width: self.width,
            heads: self.heads,
            pos: self.pos,
            dropout: self.dropout,
            bos: self.bos,
            d_ff: self.d_ff,
            negative_eigenvalues: self.negative_eigenvalues,
        }
    }

    /// The optimisation part.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            steps: self.steps,
            batch_size: self.batch_size,
            lr: self.lr,
            warmup_steps: self.warmup_steps,
            lr_floor_frac: self.lr_floor_frac,
            weight_decay: self.weight_decay,
            beta1: self.beta1,
            beta2: self.beta2,
            min_length: self.min_length,
            grad_clip: (self.grad_clip > 0.0).then_some(self.grad_clip),
            seed: self.seed,
            eval_every: self.eval_every,
            target_acc: (self.target_acc <= 1.0).then_some(self.target_acc),
            window: self.window,
            ..TrainConfig::default()
        }
    }
}

impl Params for TrainParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        // Bounds a schema range cannot say (open at 1).
        let below_one: Vec<ParamIssue> = [
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("dropout", self.dropout),
        ]
        .into_iter()
        .filter(|(_, v)| *v >= 1.0)
        .map(|(k, v)| ParamIssue::new(k, format!("`{k}` must be below 1 (got {v})")))
        .collect();
        if !below_one.is_empty() {
            return Err(below_one);
        }
        match self.model {
            Family::Transformer => transformer_fits(self.width, self.heads, self.pos),
            Family::Lstm | Family::Gru | Family::Mlp | Family::LinearRnn => Ok(()),
        }
    }

    /// Another family's model params, so that, say, `heads` never reruns
    /// an LSTM.
    fn unused(&self) -> Vec<&'static str> {
        let used = family_params(self.model);
        MODEL_PARAMS
            .iter()
            .copied()
            .filter(|k| !used.contains(k))
            .collect()
    }
}

/// What a Transformer's constructor would otherwise refuse by panicking:
/// heads that do not divide the width, and RoPE on an odd head size.
pub(crate) fn transformer_fits(
    width: usize,
    heads: usize,
    pos: PosEncoding,
) -> Result<(), Vec<ParamIssue>> {
    if width % heads != 0 {
        return Err(vec![ParamIssue::new(
            "heads",
            format!("the width ({width}) must be a multiple of `heads` ({heads})"),
        )]);
    }
    if pos == PosEncoding::Rope && (width / heads) % 2 != 0 {
        return Err(vec![ParamIssue::new(
            "pos",
            format!("`rope` needs an even head size; width / heads = {width} / {heads} is odd"),
        )]);
    }
    Ok(())
}

pub struct TrainKind {
    schema: ParamSchema,
}

impl TrainKind {
    pub fn new() -> Self {
        TrainKind {
            schema: ParamSchema::of::<TrainParams>(),
        }
    }
}

impl Default for TrainKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for TrainKind {
    fn name(&self) -> &'static str {
        "train"
    }

    fn version(&self) -> u32 {
        // 2: any target kind (BCE for GO terms, MSE), the MLP's `fixed_window`;
        // recurrent layers and attention run as whole-sequence ops (other float bits).
        // 3: LSTM and GRU fold the embedding into the first input projection (other
        // float bits).
        3
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

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: TrainParams = ctx.params()?;
        let (data_dir, task_info) = ctx.data_set()?;
        let model_cfg = model_config(&p.shape(), &task_info);
        let cfg = p.train_config();
        let device = backend::device(ctx.settings.backend)?;
        let fixed;
        let batches = if let Some(a) = task_info.fresh_automaton() {
            let task = a.task()?;
            let gen = a.gen_config(a.p_reveal);
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
