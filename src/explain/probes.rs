//! Linear probes: can the automaton's state be read linearly from a layer's hidden states?
//!
//! For each representation of [`Model::hidden_states`] (0 = the input embedding, `l` = after
//! layer `l`), a ridge-regularised least-squares map from the hidden vector at a position to
//! the one-hot state at that position is fitted in closed form (f64, Cholesky) on the first
//! half of the sequences, and its argmax accuracy reported on the second half. Features are
//! centred on the training half; the ridge is `ridge · trace(XᵀX) / d`, scale-free.
//! Deterministic: no sampling, no device random state.

use serde::Serialize;

use super::{host, ExplainError};
use crate::datasets::SequenceData;
use crate::models::Model;
use crate::train::model_device;
use burn::tensor::{Int, Tensor, TensorData};

/// Sequences per forward pass.
const ROWS_PER_PASS: usize = 128;

/// One layer's probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeLayer {
    pub layer: usize,
    /// Width of the representation.
    pub dim: usize,
    /// Accuracy on the held-out half.
    pub acc: f64,
    /// Accuracy on the fitting half.
    pub train_acc: f64,
}

/// Probes of every layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReport {
    pub layers: Vec<ProbeLayer>,
    /// Held-out accuracy of always answering the fitting half's most frequent state.
    pub chance: f64,
    pub n_classes: usize,
    /// Positions used to fit and to score.
    pub n_fit: usize,
    pub n_test: usize,
}

/// Fits and scores a probe per layer on the sequences of `data` (labels = states); positions
/// with `mask == 0` are left out. The first `n / 2` sequences fit, the rest score.
pub fn probe_layers(
    model: &Model,
    data: &SequenceData,
    n_classes: usize,
    ridge: f64,
) -> Result<ProbeReport, ExplainError> {
    let (n, t) = (data.n, data.t);
    let labels = data
        .labels("probes")
        .map_err(|e| ExplainError::Invalid(e.to_string()))?;
    let tokens = &data.inputs;
    let mask = (data.mask.len() == n * t).then_some(data.mask.as_slice());
    if n < 2 || tokens.len() != n * t || labels.len() != n * t {
        return Err(ExplainError::Invalid(format!(
            "probes need at least 2 sequences of [n, t] tokens and labels (n {n}, t {t})"
        )));
    }
    if let Some(bad) = labels.iter().find(|&&y| y as usize >= n_classes) {
        return Err(ExplainError::Invalid(format!(
            "label {bad} is outside 0..{n_classes}"
        )));
    }
    let device = model_device(model);
    let n_fit_seq = n / 2;
    // Per layer: (dim, features of fitting rows, features of test rows).
    let mut feats: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::new();
    let keep = |i: usize, p: usize| mask.is_none_or(|m| m[i * t + p] != 0);
    let mut start = 0;
    while start < n {
        let b = ROWS_PER_PASS.min(n - start);
        let v: Vec<i64> = tokens[start * t..(start + b) * t]
            .iter()
            .map(|&x| x as i64)
            .collect();
        let x: Tensor<2, Int> = Tensor::from_data(TensorData::new(v, [b, t]), &device);
        let states = model.hidden_states(x)?;
        if feats.is_empty() {
            feats = states
                .iter()
                .map(|s| (s.dims()[2], Vec::new(), Vec::new()))
                .collect();
        }
        for (layer, s) in states.into_iter().enumerate() {
            let d = feats[layer].0;
            let h = host(s);
            for i in 0..b {
                let seq = start + i;
                for p in 0..t {
                    if !keep(seq, p) {
                        continue;
                    }
                    let row = h[(i * t + p) * d..(i * t + p + 1) * d]
                        .iter()
                        .map(|&x| x as f64);
                    if seq < n_fit_seq {
                        feats[layer].1.extend(row);
                    } else {
                        feats[layer].2.extend(row);
                    }
                }
            }
        }
        start += b;
    }
    let ys = |range: std::ops::Range<usize>| -> Vec<usize> {
        range
            .flat_map(|i| (0..t).map(move |p| (i, p)))
            .filter(|&(i, p)| keep(i, p))
            .map(|(i, p)| labels[i * t + p] as usize)
            .collect()
    };
    let y_fit = ys(0..n_fit_seq);
    let y_test = ys(n_fit_seq..n);
    if y_fit.is_empty() || y_test.is_empty() {
        return Err(ExplainError::Invalid(
            "probes: no labelled positions".into(),
        ));
    }
    let mut counts = vec![0usize; n_classes];
    y_fit.iter().for_each(|&y| counts[y] += 1);
    let majority = (0..n_classes)
        .max_by_key(|&c| (counts[c], usize::MAX - c))
        .unwrap_or(0);
    let chance = y_test.iter().filter(|&&y| y == majority).count() as f64 / y_test.len() as f64;
    let layers = feats
        .iter()
        .enumerate()
        .map(|(layer, (d, fit, test))| {
            let probe = Ridge::fit(fit, &y_fit, *d, n_classes, ridge);
            ProbeLayer {
                layer,
                dim: *d,
                acc: probe.accuracy(test, &y_test),
                train_acc: probe.accuracy(fit, &y_fit),
            }
        })
        .collect();
    Ok(ProbeReport {
        layers,
        chance,
        n_classes,
        n_fit: y_fit.len(),
        n_test: y_test.len(),
    })
}

/// A fitted linear read-out: `scores = (x − mean) · w + bias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ridge {
    pub d: usize,
    pub classes: usize,
    pub mean: Vec<f64>,
    /// `[d, classes]`.
    pub w: Vec<f64>,
    pub bias: Vec<f64>,
}

impl Ridge {
    /// Least squares to one-hot targets with ridge `ridge · trace(XᵀX) / d` on centred features
    /// `x` `[m, d]`.
    pub fn fit(x: &[f64], y: &[usize], d: usize, classes: usize, ridge: f64) -> Ridge {
        let m = y.len();
        let mut mean = vec![0f64; d];
        for row in x.chunks(d) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(a, v)| *a += v / m as f64);
        }
        let mut bias = vec![0f64; classes];
        y.iter().for_each(|&c| bias[c] += 1.0 / m as f64);
        let mut g = vec![0f64; d * d];
        let mut rhs = vec![0f64; d * classes];
        let mut xc = vec![0f64; d];
        for (row, &c) in x.chunks(d).zip(y) {
            xc.iter_mut()
                .zip(row.iter().zip(&mean))
                .for_each(|(o, (v, mu))| *o = v - mu);
            for a in 0..d {
                let xa = xc[a];
                if xa == 0.0 {
                    continue;
                }
                for b in a..d {
                    g[a * d + b] += xa * xc[b];
                }
                for k in 0..classes {
                    rhs[a * classes + k] += xa * ((k == c) as u8 as f64 - bias[k]);
                }
            }
        }
        for a in 0..d {
            for b in 0..a {
                g[a * d + b] = g[b * d + a];
            }
        }
        let trace: f64 = (0..d).map(|a| g[a * d + a]).sum();
        let lambda = ridge.max(0.0) * trace / d.max(1) as f64 + 1e-9;
        for a in 0..d {
            g[a * d + a] += lambda;
        }
        let w = cholesky_solve(&mut g, &rhs, d, classes);
        Ridge {
            d,
            classes,
            mean,
            w,
            bias,
        }
    }

    /// The predicted class of each row of `x` `[m, d]`.
    pub(crate) fn predict(&self, x: &[f64]) -> Vec<usize> {
        x.chunks(self.d)
            .map(|row| {
                let mut s = self.bias.clone();
                for (a, (v, mu)) in row.iter().zip(&self.mean).enumerate() {
                    let xa = v - mu;
                    for (k, sk) in s.iter_mut().enumerate() {
                        *sk += xa * self.w[a * self.classes + k];
                    }
                }
                (0..self.classes).fold(0, |best, k| if s[k] > s[best] { k } else { best })
            })
            .collect()
    }

    pub fn accuracy(&self, x: &[f64], y: &[usize]) -> f64 {
        let p = self.predict(x);
        p.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
    }
}

/// Solves `G W = B` for symmetric positive definite `G` `[d, d]` (overwritten by its
/// Cholesky factor) and `B` `[d, k]`.
fn cholesky_solve(g: &mut [f64], b: &[f64], d: usize, k: usize) -> Vec<f64> {
    for j in 0..d {
        let mut s = g[j * d + j];
        for p in 0..j {
            s -= g[j * d + p] * g[j * d + p];
        }
        let ljj = s.max(1e-300).sqrt();
        g[j * d + j] = ljj;
        for i in j + 1..d {
            let mut s = g[i * d + j];
            for p in 0..j {
                s -= g[i * d + p] * g[j * d + p];
            }
            g[i * d + j] = s / ljj;
        }
    }
    let mut w = b.to_vec();
    for c in 0..k {
        // L z = b, then Lᵀ w = z.
        for i in 0..d {
            let mut s = w[i * k + c];
            for p in 0..i {
                s -= g[i * d + p] * w[p * k + c];
            }
            w[i * k + c] = s / g[i * d + i];
        }
        for i in (0..d).rev() {
            let mut s = w[i * k + c];
            for p in i + 1..d {
                s -= g[p * d + i] * w[p * k + c];
            }
            w[i * k + c] = s / g[i * d + i];
        }
    }
    w
}
