//! Attention maps and attention rollout (Abnar & Zuidema 2020), Transformer only.
//!
//! Rollout: per layer, average the heads, add the identity for the residual connection and
//! renormalise the rows, `Â_l = (A_l + I) / 2`; then multiply through the layers,
//! `R = Â_L ⋯ Â_1`. Row `i` of `R` says how much of position `i`'s final representation
//! flows from each input position; rows sum to 1. Whether attention explains a prediction
//! is contested (science §5): the faithfulness checks apply to these as to any attribution.

use super::target::Selection;
use super::{host, Attribution, Examples, ExplainError};
use crate::models::Model;
use crate::train::model_device;

/// Attention weights of every layer and head, row-major `[layers, n, heads, t, t]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionMaps {
    pub layers: usize,
    pub heads: usize,
    pub n: usize,
    pub t: usize,
    pub weights: Vec<f32>,
}

impl AttentionMaps {
    /// Example `i`'s maps, `[layers, heads, t, t]`.
    pub fn example(&self, i: usize) -> Vec<f32> {
        let per = self.heads * self.t * self.t;
        (0..self.layers)
            .flat_map(|l| {
                let at = (l * self.n + i) * per;
                self.weights[at..at + per].iter().copied()
            })
            .collect()
    }

    /// Layer `l`'s map for example `i`, averaged over heads, `[t, t]`.
    pub fn head_mean(&self, l: usize, i: usize) -> Vec<f64> {
        let tt = self.t * self.t;
        let at = (l * self.n + i) * self.heads * tt;
        let mut m = vec![0f64; tt];
        for h in 0..self.heads {
            for (a, w) in m
                .iter_mut()
                .zip(&self.weights[at + h * tt..at + (h + 1) * tt])
            {
                *a += *w as f64 / self.heads as f64;
            }
        }
        m
    }
}

/// Attention maps of `model` on `ex`; `None` for families without attention.
pub fn attention_maps(model: &Model, ex: &Examples) -> Option<Result<AttentionMaps, ExplainError>> {
    let device = model_device(model);
    let maps = model.attention_weights(ex.token_tensor(&device))?;
    Some(maps.map_err(ExplainError::from).map(|layers| {
        let n_layers = layers.len();
        let heads = layers.first().map(|w| w.dims()[1]).unwrap_or(0);
        AttentionMaps {
            layers: n_layers,
            heads,
            n: ex.n,
            t: ex.t,
            weights: layers.into_iter().flat_map(host).collect(),
        }
    }))
}

/// Attention rollout per example, `[n, t, t]` (rows sum to 1).
pub fn rollout(maps: &AttentionMaps) -> Vec<f32> {
    let t = maps.t;
    let mut out = Vec::with_capacity(maps.n * t * t);
    for i in 0..maps.n {
        let mut r = identity(t);
        for l in 0..maps.layers {
            let mut a = maps.head_mean(l, i);
            for (q, row) in a.chunks_mut(t).enumerate() {
                row[q] += 1.0;
                let s: f64 = row.iter().sum();
                row.iter_mut().for_each(|x| *x /= s);
            }
            r = matmul(&a, &r, t);
        }
        out.extend(r.iter().map(|&x| x as f32));
    }
    out
}

/// The rollout rows of the target positions (weighted like the target) as attributions.
pub fn rollout_attribution(maps: &AttentionMaps, sel: &Selection) -> Attribution {
    let t = maps.t;
    let r = rollout(maps);
    rows_as_attribution(sel, t, |i, p| {
        r[(i * t + p) * t..(i * t + p + 1) * t]
            .iter()
            .map(|&x| x as f64)
            .collect()
    })
}

/// The last layer's head-averaged attention rows of the target positions as attributions.
pub fn last_layer_attribution(maps: &AttentionMaps, sel: &Selection) -> Attribution {
    let t = maps.t;
    rows_as_attribution(sel, t, |i, p| {
        maps.head_mean(maps.layers - 1, i)[p * t..(p + 1) * t].to_vec()
    })
}

fn rows_as_attribution(
    sel: &Selection,
    t: usize,
    row: impl Fn(usize, usize) -> Vec<f64>,
) -> Attribution {
    let mut a = Attribution::zeros(sel.n, t);
    for (i, targets) in sel.targets.iter().enumerate() {
        let w = 1.0 / targets.len() as f64;
        let mut acc = vec![0f64; t];
        for &(p, _) in targets {
            for (x, y) in acc.iter_mut().zip(row(i, p)) {
                *x += w * y;
            }
        }
        a.values[i * t..(i + 1) * t]
            .iter_mut()
            .zip(acc)
            .for_each(|(d, s)| *d = s as f32);
    }
    a
}

fn identity(t: usize) -> Vec<f64> {
    let mut m = vec![0f64; t * t];
    for i in 0..t {
        m[i * t + i] = 1.0;
    }
    m
}

/// `a · b` for `[t, t]` row-major matrices.
fn matmul(a: &[f64], b: &[f64], t: usize) -> Vec<f64> {
    let mut c = vec![0f64; t * t];
    for i in 0..t {
        for k in 0..t {
            let aik = a[i * t + k];
            if aik != 0.0 {
                for j in 0..t {
                    c[i * t + j] += aik * b[k * t + j];
                }
            }
        }
    }
    c
}
