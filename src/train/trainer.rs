//! The training loop: AdamW, warm-up + cosine learning rate, global-norm clipping,
//! the target's objective (cross-entropy, BCE or MSE: [`super::objective`]), early stopping, NaN detection and a per-step callback.
//!
//! Hand-written instead of burn-train's `Learner`: every step is visible (the callback
//! drives progress bars and curves), determinism is under our control (model seed on the
//! device, batch sampling on our own RNG), and failure modes become typed errors.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::data::{Batch, Batches, SeqDataset, SplitMix64, Target};
use super::eval::evaluate;
use super::grad::clip_global_norm;
use super::objective::{objective, Objective};
use super::schedule::LrSchedule;
use crate::models::{rng_turn, Model, ModelConfig, ModelError};

/// Training hyperparameters. A field left out of the JSON takes its value
/// from [`TrainConfig::default`], the one place they are written: the `train`
/// kind's params default to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub steps: usize,
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    pub warmup_steps: usize,
    /// Final learning rate of the cosine, as a fraction of `lr`.
    pub lr_floor_frac: f64,
    /// Decoupled weight decay (AdamW; PyTorch's default 0.01).
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Max global gradient norm; `None` disables clipping.
    pub grad_clip: Option<f64>,
    pub seed: u64,
    /// Evaluate (for early stopping) every this many steps.
    pub eval_every: usize,
    /// Stop once accuracy ≥ target for `window` consecutive evaluations.
    pub target_acc: Option<f64>,
    pub window: usize,
    /// Batch size for held-out evaluation during training.
    pub eval_batch: usize,
    /// Random lengths (Delétang et al.): when set, each training batch is cut to a
    /// length drawn uniformly from `min_length..=T` (T: the batch's length), with the
    /// sampler's generator. Per-position targets only; for the automata a cut row is a
    /// sample of the shorter length (for Dyck: a prefix of a balanced string). `None`:
    /// every batch at its full length (no draw, so the bits of runs without it stay).
    /// The generator's per-row `random_length` (padding, Liu et al.) supervises a causal
    /// model's positions alike (for `min_length` 1) but runs every batch at full length.
    pub min_length: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 1000,
            batch_size: 64,
            lr: 1e-3,
            warmup_steps: 100,
            lr_floor_frac: 0.1,
            weight_decay: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            grad_clip: Some(1.0),
            seed: 0,
            eval_every: 50,
            target_acc: None,
            window: 2,
            eval_batch: 256,
            min_length: None,
        }
    }
}

impl TrainConfig {
    pub fn schedule(&self) -> LrSchedule {
        LrSchedule {
            peak: self.lr,
            warmup: self.warmup_steps,
            total: self.steps,
            floor_frac: self.lr_floor_frac,
        }
    }

    /// The AdamW optimizer these settings describe (decoupled weight decay:
    /// `θ ← θ (1 − lr λ) − lr m̂ / (√v̂ + ε)`, as PyTorch's `AdamW`).
    pub fn optimizer(&self) -> AdamWConfig {
        AdamWConfig::new()
            .with_beta_1(self.beta1 as f32)
            .with_beta_2(self.beta2 as f32)
            .with_epsilon(self.eps as f32)
            .with_weight_decay(self.weight_decay as f32)
    }

    /// The settings `train` cannot run with, as a message naming the field.
    fn check(&self) -> Result<(), TrainError> {
        if self.batch_size == 0 || self.eval_every == 0 || self.window == 0 {
            return Err(TrainError::Invalid(
                "batch_size, eval_every and window must be > 0".into(),
            ));
        }
        if self.min_length == Some(0) {
            return Err(TrainError::Invalid(
                "min_length must be at least 1 (leave it out for full-length batches)".into(),
            ));
        }
        let unit = |x: f64| (0.0..1.0).contains(&x);
        if !unit(self.beta1) || !unit(self.beta2) {
            return Err(TrainError::Invalid(format!(
                "beta1 ({}) and beta2 ({}) must be in [0, 1)",
                self.beta1, self.beta2
            )));
        }
        if !(self.weight_decay >= 0.0 && self.lr_floor_frac >= 0.0) {
            return Err(TrainError::Invalid(format!(
                "weight_decay ({}) and lr_floor_frac ({}) must be ≥ 0",
                self.weight_decay, self.lr_floor_frac
            )));
        }
        Ok(())
    }
}

/// A batch cut to a random length in `min..=T` (see [`TrainConfig::min_length`]).
fn random_length(batch: Batch, min: usize, rng: &mut SplitMix64) -> Result<Batch, TrainError> {
    if min > batch.t {
        return Err(TrainError::Invalid(format!(
            "min_length {min} is longer than the training sequences ({})",
            batch.t
        )));
    }
    let len = min + rng.below(batch.t - min + 1);
    if len == batch.t {
        return Ok(batch);
    }
    batch.prefix(len).ok_or_else(|| {
        TrainError::Invalid(format!(
            "min_length needs targets given per position, not {} ones",
            batch.target.kind()
        ))
    })
}

/// What the callback sees after every optimizer step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// 0-based step index.
    pub step: usize,
    pub loss: f64,
    /// Accuracy of this training batch over masked positions.
    pub acc: f64,
    pub lr: f64,
}

/// One early-stopping evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Number of steps completed.
    pub step: usize,
    pub acc: f64,
    /// True if `acc` is held-out accuracy, false if the mean training-batch accuracy
    /// since the previous evaluation.
    pub heldout: bool,
}

/// Result of [`train`].
#[derive(Debug)]
pub struct TrainOutcome {
    /// The trained model, still on the autodiff device; use `.valid()` for inference.
    pub model: Model,
    pub steps_run: usize,
    pub stopped_early: bool,
    pub curve: Vec<StepInfo>,
    pub evals: Vec<EvalPoint>,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("non-finite {what} ({value}) at step {step}")]
    NonFinite {
        step: usize,
        what: &'static str,
        value: f64,
    },
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("invalid training configuration: {0}")]
    Invalid(String),
}

/// Trains a fresh model described by `model_cfg`.
///
/// `device` is the plain device (e.g. `Device::flex()`); training runs on
/// `device.autodiff()`, seeded with `cfg.seed` before the model is built. Early stopping
/// uses `heldout` accuracy when given (class targets only), otherwise the mean
/// training-batch score between evaluations (accuracy, multi-label accuracy, or NaN
/// for real targets, which therefore never stop early).
pub fn train(
    model_cfg: &ModelConfig,
    cfg: &TrainConfig,
    mut batches: Batches<'_>,
    heldout: Option<&SeqDataset>,
    device: &Device,
    mut on_step: impl FnMut(&StepInfo),
) -> Result<TrainOutcome, TrainError> {
    cfg.check()?;
    // The device's random state (initial weights, dropout) is shared by the
    // whole process: two trainings at once would interleave its draws and
    // lose determinism, so trainings in one process take turns.
    let _turn = rng_turn();
    let start = Instant::now();
    let ad = device.clone().autodiff();
    ad.seed(cfg.seed);
    let mut model = model_cfg.init(&ad);
    let mut optim = cfg.optimizer().init();
    let sched = cfg.schedule();
    let mut rng = SplitMix64::new(cfg.seed);

    let mut curve = Vec::with_capacity(cfg.steps);
    let mut evals = Vec::new();
    let (mut acc_sum, mut acc_n, mut streak) = (0.0, 0usize, 0usize);
    let mut stopped_early = false;
    let mut steps_run = 0;

    for step in 0..cfg.steps {
        let mut batch = batches.next(cfg.batch_size, &mut rng);
        if let Some(min) = cfg.min_length {
            batch = random_length(batch, min, &mut rng)?;
        }
        let x = batch.input_tensor(&ad);
        let logits = model.forward(x)?;
        let Objective { loss, correct } =
            objective(logits, &batch, &ad).map_err(TrainError::Invalid)?;
        // One read-back for loss and batch score (no gradient through `correct`).
        let mut parts = vec![loss.clone().detach()];
        parts.extend(correct.as_ref().map(|(c, _)| c.clone()));
        let vals: Vec<f32> = Tensor::cat(parts, 0).into_data().iter::<f32>().collect();
        let loss_v = vals[0] as f64;
        if !loss_v.is_finite() {
            return Err(TrainError::NonFinite {
                step,
                what: "loss",
                value: loss_v,
            });
        }
        let acc = match &correct {
            Some((_, of)) => vals[1] as f64 / (*of).max(1) as f64,
            None => f64::NAN,
        };
        let lr = sched.lr(step);

        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        if let Some(max) = cfg.grad_clip {
            let norm = clip_global_norm(&model, &mut grads, max);
            if !norm.is_finite() {
                return Err(TrainError::NonFinite {
                    step,
                    what: "gradient norm",
                    value: norm,
                });
            }
        }
        model = optim.step(lr, model, grads);
        steps_run = step + 1;

        let info = StepInfo {
            step,
            loss: loss_v,
            acc,
            lr,
        };
        on_step(&info);
        curve.push(info);
        acc_sum += acc;
        acc_n += 1;

        if steps_run % cfg.eval_every == 0 {
            let (acc_eval, is_heldout) =
                match heldout.filter(|d| matches!(d.target, Target::Classes(_))) {
                    Some(d) => (evaluate(&model.valid(), d, cfg.eval_batch)?.acc, true),
                    None => (acc_sum / acc_n as f64, false),
                };
            acc_sum = 0.0;
            acc_n = 0;
            evals.push(EvalPoint {
                step: steps_run,
                acc: acc_eval,
                heldout: is_heldout,
            });
            if let Some(target) = cfg.target_acc {
                streak = if acc_eval >= target { streak + 1 } else { 0 };
                if streak >= cfg.window {
                    stopped_early = true;
                    break;
                }
            }
        }
    }
    Ok(TrainOutcome {
        model,
        steps_run,
        stopped_early,
        curve,
        evals,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row `i` of a 3 × 6 batch holds tokens `10 i + j` and labels `j`.
    fn batch() -> Batch {
        let (b, t) = (3, 6);
        let inputs = (0..b * t).map(|k| (10 * (k / t) + k % t) as u32).collect();
        let labels = (0..b * t).map(|k| (k % t) as u32).collect();
        Batch::new(inputs, labels, vec![1; b * t], b, t).unwrap()
    }

    #[test]
    fn random_lengths_cover_min_to_t_and_keep_prefixes() {
        let mut rng = SplitMix64::new(3);
        let mut seen = [0usize; 7];
        for _ in 0..600 {
            let cut = random_length(batch(), 2, &mut rng).unwrap();
            assert_eq!(cut.b, 3);
            let t = cut.t;
            seen[t] += 1;
            // Each row is the first t entries of the full row.
            let want: Vec<u32> = (0..3)
                .flat_map(|i| (0..t).map(move |j| (10 * i + j) as u32))
                .collect();
            assert_eq!(cut.inputs, want);
            assert_eq!(
                cut.target,
                Target::Classes((0..3).flat_map(|_| 0..t as u32).collect())
            );
            assert_eq!(cut.mask.len(), 3 * t);
        }
        // Lengths 2..=6, each about 1/5 of the draws; never 0 or 1.
        assert_eq!(&seen[..2], &[0, 0]);
        for (len, &n) in seen.iter().enumerate().skip(2) {
            assert!(
                (80..=160).contains(&n),
                "length {len} drawn {n} times of 600"
            );
        }
        assert!(random_length(batch(), 7, &mut rng).is_err());
        let multi = Batch::with_target(
            vec![0; 6],
            Target::MultiLabel {
                k: 2,
                labels: vec![0, 1],
            },
            vec![1; 6],
            1,
            6,
        )
        .unwrap();
        // A cut may land on the full length (no cut needed); some draw must fail.
        assert!((0..20).any(|_| random_length(multi.clone(), 1, &mut rng).is_err()));
    }

    #[test]
    fn invalid_recipe_settings_are_errors() {
        let bad = |json: &str| {
            let c: TrainConfig = serde_json::from_str(json).unwrap();
            c.check().is_err()
        };
        assert!(!bad("{}"));
        assert!(bad(r#"{"min_length": 0}"#));
        assert!(bad(r#"{"beta1": 1.0}"#));
        assert!(bad(r#"{"beta2": -0.1}"#));
        assert!(bad(r#"{"weight_decay": -0.01}"#));
        assert!(bad(r#"{"lr_floor_frac": -1}"#));
        assert!(!bad(
            r#"{"min_length": 1, "beta1": 0.0, "weight_decay": 0.0}"#
        ));
    }
}
