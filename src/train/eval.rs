//! Evaluation: accuracy (per position, per sequence, by position), loss, latency, throughput.

use std::time::Instant;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::data::{SeqDataset, Target};
use super::loss::masked_cross_entropy_sum;
use crate::models::{Model, ModelError};

/// Evaluation summary over a data set (masked positions only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Fraction of masked positions predicted correctly.
    pub acc: f64,
    /// Fraction of sequences (with at least one masked position) whose masked positions
    /// are all correct.
    pub seq_acc: f64,
    /// Accuracy at each position `0..T` (NaN where no position is masked).
    pub acc_by_pos: Vec<f64>,
    /// Mean cross-entropy per masked position (nats).
    pub loss: f64,
    /// Median wall time of one batch's forward pass + prediction read-back, in ms.
    pub latency_ms_median: f64,
    /// Sequences per second over the timed forward passes.
    pub throughput_seq_per_s: f64,
    pub n_sequences: usize,
    pub n_positions: usize,
    /// (true class, predicted class) at every masked position, in order.
    #[serde(skip)]
    pub predictions: Vec<(u32, u32)>,
}

/// The device a model's parameters live on.
pub fn model_device(model: &Model) -> Device {
    model
        .devices()
        .into_iter()
        .next()
        .expect("model has parameters")
}

/// Evaluates `model` (use `model.valid()` for a trained model: no autodiff, no dropout)
/// on `data` in order, `batch` sequences at a time. Class targets only (a
/// programming error otherwise): multi-label and real targets are scored from
/// [`masked_outputs`] by their own metrics (F-max, RMSE).
pub fn evaluate(model: &Model, data: &SeqDataset, batch: usize) -> Result<EvalReport, ModelError> {
    assert!(
        matches!(data.target, Target::Classes(_)),
        "evaluate scores class targets, not {} ones: use masked_outputs",
        data.target.kind()
    );
    let device = model_device(model);
    let batch = batch.max(1);
    let t = data.t;
    let (mut correct, mut total) = (0usize, 0usize);
    let (mut seq_ok, mut seq_n) = (0usize, 0usize);
    let mut pos_c = vec![0usize; t];
    let mut pos_n = vec![0usize; t];
    let mut loss_sum = 0.0f64;
    let mut predictions = Vec::new();
    let mut lat = Vec::new();
    let mut timed = 0.0f64;
    let mut start = 0;
    while start < data.n {
        let b = data.slice(start, batch);
        start += b.b;
        let x = b.input_tensor(&device);
        let t0 = Instant::now();
        let logits = model.forward(x)?;
        let pred: Tensor<2, Int> = logits.clone().argmax(2).reshape([b.b, t]);
        let pred: Vec<i64> = pred.into_data().iter::<i64>().collect();
        let dt = t0.elapsed().as_secs_f64();
        lat.push(dt * 1e3);
        timed += dt;
        let l = masked_cross_entropy_sum(logits, b.label_tensor(&device), b.mask_tensor(&device));
        let Target::Classes(labels) = &b.target else {
            unreachable!("checked above")
        };
        loss_sum += l.into_scalar::<f32>() as f64;
        for i in 0..b.b {
            let mut all = true;
            let mut any = false;
            for j in 0..t {
                let k = i * t + j;
                if b.mask[k] == 0 {
                    continue;
                }
                any = true;
                predictions.push((labels[k], pred[k] as u32));
                let ok = pred[k] == labels[k] as i64;
                correct += ok as usize;
                total += 1;
                pos_c[j] += ok as usize;
                pos_n[j] += 1;
                all &= ok;
            }
            if any {
                seq_n += 1;
                seq_ok += all as usize;
            }
        }
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = if lat.is_empty() {
        0.0
    } else if lat.len() % 2 == 1 {
        lat[lat.len() / 2]
    } else {
        0.5 * (lat[lat.len() / 2 - 1] + lat[lat.len() / 2])
    };
    let ratio = |a: usize, b: usize| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    Ok(EvalReport {
        acc: ratio(correct, total),
        seq_acc: ratio(seq_ok, seq_n),
        acc_by_pos: pos_c
            .iter()
            .zip(&pos_n)
            .map(|(&c, &n)| ratio(c, n))
            .collect(),
        loss: if total == 0 {
            f64::NAN
        } else {
            loss_sum / total as f64
        },
        latency_ms_median: median,
        throughput_seq_per_s: if timed > 0.0 {
            data.n as f64 / timed
        } else {
            0.0
        },
        n_sequences: data.n,
        n_positions: total,
        predictions,
    })
}

/// A model's raw outputs (logits or values) at every masked position.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedOutputs {
    /// Outputs per position (the model's `n_classes`).
    pub k: usize,
    /// (sequence, position) of each masked position, in data order.
    pub at: Vec<(usize, usize)>,
    /// `at.len() × k`, row-major.
    pub values: Vec<f32>,
}

impl MaskedOutputs {
    /// The outputs at the `i`-th masked position.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.k..(i + 1) * self.k]
    }
}

/// Runs `model` over `data` in order, `batch` sequences at a time, and keeps
/// its outputs at the masked positions (any target kind).
pub fn masked_outputs(
    model: &Model,
    data: &SeqDataset,
    batch: usize,
) -> Result<MaskedOutputs, ModelError> {
    let device = model_device(model);
    let mut out = MaskedOutputs {
        k: 0,
        at: Vec::new(),
        values: Vec::new(),
    };
    let mut start = 0;
    while start < data.n {
        let b = data.slice(start, batch.max(1));
        let logits = model.forward(b.input_tensor(&device))?;
        let [_, t, k] = logits.dims();
        out.k = k;
        let v: Vec<f32> = logits.into_data().iter::<f32>().collect();
        for i in 0..b.b {
            for j in 0..t {
                if b.mask[i * t + j] != 0 {
                    out.at.push((start + i, j));
                    out.values
                        .extend_from_slice(&v[(i * t + j) * k..(i * t + j + 1) * k]);
                }
            }
        }
        start += b.b;
    }
    Ok(out)
}
