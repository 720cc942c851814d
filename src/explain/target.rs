//! What is explained: a batch of sequences ([`Examples`]) and the scalar per sequence whose
//! dependence on the inputs the methods measure ([`Target`] → [`Selection`]).
//!
//! "Last" and "every" positions respect each sequence's valid length (padded sequences of
//! `random_length` data end early).

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{host, ExplainError};
use crate::models::Model;

/// Sequences to explain: tokens and true labels (automaton states), row-major `[n, t]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    pub n: usize,
    pub t: usize,
    pub vocab: usize,
    pub tokens: Vec<u32>,
    pub labels: Vec<u32>,
    /// Valid length of each sequence (`t` unless padded): the last target position is
    /// `lengths[i] - 1`.
    pub lengths: Vec<usize>,
}

impl Examples {
    pub fn new(
        tokens: Vec<u32>,
        labels: Vec<u32>,
        n: usize,
        t: usize,
        vocab: usize,
    ) -> Result<Examples, ExplainError> {
        if n == 0 || t == 0 || tokens.len() != n * t || labels.len() != n * t {
            return Err(ExplainError::Invalid(format!(
                "examples must be non-empty [n, t] arrays: n {n}, t {t}, {} tokens, {} labels",
                tokens.len(),
                labels.len()
            )));
        }
        if let Some(bad) = tokens.iter().find(|&&x| x as usize >= vocab) {
            return Err(ExplainError::Invalid(format!(
                "token {bad} is outside the vocabulary 0..{vocab}"
            )));
        }
        Ok(Examples {
            n,
            t,
            vocab,
            tokens,
            labels,
            lengths: vec![t; n],
        })
    }

    /// Sets the valid lengths from a `[n, t]` label mask (padding is masked): each sequence
    /// ends at its last supervised position (or at `t` if it has none).
    pub fn with_mask(mut self, mask: &[u8]) -> Result<Examples, ExplainError> {
        if mask.len() != self.n * self.t {
            return Err(ExplainError::Invalid(format!(
                "mask has {} entries for [{}, {}] examples",
                mask.len(),
                self.n,
                self.t
            )));
        }
        self.lengths = mask
            .chunks(self.t)
            .map(|m| m.iter().rposition(|&v| v != 0).map_or(self.t, |p| p + 1))
            .collect();
        Ok(self)
    }

    pub(crate) fn tokens_row(&self, i: usize) -> &[u32] {
        &self.tokens[i * self.t..(i + 1) * self.t]
    }

    pub(crate) fn labels_row(&self, i: usize) -> &[u32] {
        &self.labels[i * self.t..(i + 1) * self.t]
    }

    pub(crate) fn token_tensor(&self, device: &Device) -> Tensor<2, Int> {
        let v: Vec<i64> = self.tokens.iter().map(|&x| x as i64).collect();
        Tensor::from_data(TensorData::new(v, [self.n, self.t]), device)
    }

    /// One-hot rows on the host, `[n, t, vocab]`.
    pub(crate) fn onehot(&self) -> Vec<f32> {
        let mut x = vec![0f32; self.n * self.t * self.vocab];
        for (i, &tok) in self.tokens.iter().enumerate() {
            x[i * self.vocab + tok as usize] = 1.0;
        }
        x
    }
}

/// Whose logit is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetClass {
    /// The class the model predicts on the unmodified input.
    Predicted,
    /// The true label (automaton state).
    Label,
}

/// At which position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetPos {
    /// The last valid position of each sequence.
    Last,
    /// A fixed position (0-based).
    At(usize),
    /// Every valid position with its own target class, the logits averaged.
    Every,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub class: TargetClass,
    pub pos: TargetPos,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            class: TargetClass::Predicted,
            pos: TargetPos::Last,
        }
    }
}

/// A resolved target: the weights `w[i, t, c]` with `f_i(x) = Σ_{t,c} w[i,t,c] · logits[i,t,c]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub n: usize,
    pub t: usize,
    pub classes: usize,
    /// Row-major `[n, t, classes]`.
    pub weights: Vec<f32>,
    /// Per example, the `(position, class)` pairs the target covers.
    pub targets: Vec<Vec<(usize, usize)>>,
}

impl Target {
    /// Fixes the target classes (running the model once for `Predicted`).
    pub fn resolve(&self, model: &Model, ex: &Examples) -> Result<Selection, ExplainError> {
        if let TargetPos::At(p) = self.pos {
            if p >= ex.t {
                return Err(ExplainError::Invalid(format!(
                    "target position {p} is past the sequence length {}",
                    ex.t
                )));
            }
        }
        let device = crate::train::model_device(model);
        let logits = model.forward(ex.token_tensor(&device))?;
        let [_, _, c] = logits.dims();
        let pred = argmax_rows(&host(logits), c);
        let mut weights = vec![0f32; ex.n * ex.t * c];
        let mut targets = Vec::with_capacity(ex.n);
        for i in 0..ex.n {
            let len = ex.lengths[i].clamp(1, ex.t);
            let positions: Vec<usize> = match self.pos {
                TargetPos::Last => vec![len - 1],
                TargetPos::At(p) => vec![p],
                TargetPos::Every => (0..len).collect(),
            };
            let w = 1.0 / positions.len() as f32;
            let mut row = Vec::with_capacity(positions.len());
            for &p in &positions {
                let class = match self.class {
                    TargetClass::Predicted => pred[i * ex.t + p],
                    TargetClass::Label => ex.labels[i * ex.t + p] as usize,
                };
                if class >= c {
                    return Err(ExplainError::Invalid(format!(
                        "label {class} is outside the model's {c} classes"
                    )));
                }
                weights[(i * ex.t + p) * c + class] = w;
                row.push((p, class));
            }
            targets.push(row);
        }
        Ok(Selection {
            n: ex.n,
            t: ex.t,
            classes: c,
            weights,
            targets,
        })
    }
}

impl Selection {
    /// The weights for rows that belong to examples `rows[r]`, `[rows.len(), t, classes]`.
    pub fn tensor(&self, rows: &[usize], device: &Device) -> Tensor<3> {
        let per = self.t * self.classes;
        let v: Vec<f32> = rows
            .iter()
            .flat_map(|&i| self.weights[i * per..(i + 1) * per].iter().copied())
            .collect();
        Tensor::from_data(
            TensorData::new(v, [rows.len(), self.t, self.classes]),
            device,
        )
    }

    /// `f` for every row of `logits` `[rows.len(), t, classes]`, row `r` being example `rows[r]`.
    pub fn score(&self, logits: Tensor<3>, rows: &[usize]) -> Tensor<1> {
        let [b, t, c] = logits.dims();
        let w = self.tensor(rows, &logits.device());
        (logits * w).reshape([b, t * c]).sum_dim(1).reshape([b])
    }

    /// `f` on host logits `[reps * n, t, classes]`, per row.
    pub(crate) fn score_host(&self, logits: &[f32]) -> Vec<f64> {
        let per = self.t * self.classes;
        logits
            .chunks(per)
            .enumerate()
            .map(|(r, l)| {
                let w = &self.weights[(r % self.n) * per..(r % self.n + 1) * per];
                l.iter().zip(w).map(|(a, b)| *a as f64 * *b as f64).sum()
            })
            .collect()
    }

    /// Fraction of the covered `(position, class)` pairs the logits still predict, per row.
    pub(crate) fn hits(&self, logits: &[f32]) -> Vec<f64> {
        let pred = argmax_rows(logits, self.classes);
        (0..pred.len() / self.t)
            .map(|r| {
                let ts = &self.targets[r % self.n];
                let ok = ts
                    .iter()
                    .filter(|(p, c)| pred[r * self.t + p] == *c)
                    .count();
                ok as f64 / ts.len() as f64
            })
            .collect()
    }

    /// The last position any target covers for example `i` (attributions past it are 0 for
    /// a causal model).
    pub(crate) fn last_position(&self, i: usize) -> usize {
        self.targets[i].iter().map(|(p, _)| *p).max().unwrap_or(0)
    }
}

/// Argmax over the last axis of row-major `[.., c]` values (ties: the lowest class).
pub(crate) fn argmax_rows(v: &[f32], c: usize) -> Vec<usize> {
    v.chunks(c)
        .map(|row| {
            let mut best = 0;
            for (k, x) in row.iter().enumerate() {
                if *x > row[best] {
                    best = k;
                }
            }
            best
        })
        .collect()
}
