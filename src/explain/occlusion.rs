//! Occlusion (Zeiler & Fergus 2014) over time windows: blank the one-hot rows of a window of
//! `window` positions (replace them by the baseline), and attribute the drop of the target
//! score `f(x) − f(x_occluded)` to every position of the window; where windows overlap the
//! drops are averaged. Windows start every `stride` positions, and one more window ends at the
//! last position when the strides do not reach it, so every position is covered.

use burn::tensor::{Tensor, TensorData};

use super::gradients::Baseline;
use super::target::Selection;
use super::{host, Attribution, Examples, ExplainError};
use crate::models::Model;
use crate::train::model_device;

/// Sequences per forward pass.
const ROWS_PER_PASS: usize = 512;

/// Which score the drop is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcclusionScore {
    /// The target logit(s).
    Logit,
    /// The softmax probability of the target class(es).
    Probability,
}

/// Window start positions for a sequence of length `t`.
pub(crate) fn window_starts(t: usize, window: usize, stride: usize) -> Vec<usize> {
    let window = window.clamp(1, t);
    let mut starts: Vec<usize> = (0..=t - window).step_by(stride.max(1)).collect();
    if starts.last() != Some(&(t - window)) {
        starts.push(t - window);
    }
    starts
}

/// Target scores of stacked, possibly modified one-hot inputs `[rows, t, vocab]` (row `r` is
/// example `r % n`).
pub fn scores(
    model: &Model,
    sel: &Selection,
    inputs: &[f32],
    vocab: usize,
    score: OcclusionScore,
) -> Result<(Vec<f64>, Vec<f32>), ExplainError> {
    let (n, t) = (sel.n, sel.t);
    let per_row = t * vocab;
    let device = model_device(model);
    let mut f = Vec::new();
    let mut logits_all = Vec::new();
    for chunk in inputs.chunks((ROWS_PER_PASS / n).max(1) * n * per_row) {
        let b = chunk.len() / per_row;
        let x: Tensor<3> =
            Tensor::from_data(TensorData::new(chunk.to_vec(), [b, t, vocab]), &device);
        let logits = model.forward_onehot(x)?;
        let logits = match score {
            OcclusionScore::Logit => logits,
            OcclusionScore::Probability => burn::tensor::activation::softmax(logits, 2),
        };
        let l = host(logits);
        f.extend(sel.score_host(&l));
        logits_all.extend(l);
    }
    Ok((f, logits_all))
}

/// Occlusion attributions; see the module docs.
pub fn occlusion(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
    window: usize,
    stride: usize,
    baseline: Baseline,
    score: OcclusionScore,
) -> Result<Attribution, ExplainError> {
    if window == 0 || stride == 0 {
        return Err(ExplainError::Invalid(
            "occlusion window and stride must be at least 1".into(),
        ));
    }
    let (n, t, v) = (ex.n, ex.t, ex.vocab);
    let window = window.min(t);
    let x = ex.onehot();
    let b = baseline.value(v);
    let starts = window_starts(t, window, stride);
    // Copy 0 is the unmodified input; copy k + 1 blanks window k.
    let mut inputs = x.clone();
    for &s in &starts {
        let mut xk = x.clone();
        for i in 0..n {
            for p in s..s + window {
                let row = (i * t + p) * v;
                xk[row..row + v].fill(b);
            }
        }
        inputs.extend(xk);
    }
    let (f, _) = scores(model, sel, &inputs, v, score)?;
    let mut sum = vec![0f64; n * t];
    let mut count = vec![0u32; n * t];
    for (k, &s) in starts.iter().enumerate() {
        for i in 0..n {
            let drop = f[i] - f[(k + 1) * n + i];
            for p in s..s + window {
                sum[i * t + p] += drop;
                count[i * t + p] += 1;
            }
        }
    }
    let values = sum
        .iter()
        .zip(&count)
        .map(|(s, c)| if *c > 0 { (*s / *c as f64) as f32 } else { 0.0 })
        .collect();
    Ok(Attribution { n, t, values })
}
