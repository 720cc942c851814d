//! Gradient attributions w.r.t. the one-hot input `x` `[n, t, vocab]`, reduced to one score
//! per position:
//!
//! * saliency: `Σ_v |∂f/∂x[t, v]|`;
//! * input × gradient: `Σ_v x[t, v] · ∂f/∂x[t, v]` (for one-hot `x`, the gradient at the token);
//!
//! Integrated gradients are in [`super::integrated`].

use burn::tensor::{Tensor, TensorData};

use super::{host, Attribution, Examples, ExplainError, Selection};
use crate::models::Model;
use crate::train::model_device;

/// Sequences per forward/backward pass (bounds memory for long IG batches).
const ROWS_PER_PASS: usize = 256;

/// The reference input of integrated gradients (and of occlusion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// All-zero rows (no token).
    Zeros,
    /// `1 / vocab` everywhere (the average token).
    Uniform,
}

impl Baseline {
    pub fn parse(s: &str) -> Option<Baseline> {
        match s {
            "zeros" => Some(Baseline::Zeros),
            "uniform" => Some(Baseline::Uniform),
            _ => None,
        }
    }

    /// The value of every entry of a baseline row.
    pub fn value(&self, vocab: usize) -> f32 {
        match self {
            Baseline::Zeros => 0.0,
            Baseline::Uniform => 1.0 / vocab as f32,
        }
    }
}

/// `∂f/∂x` and `f` for rows of one-hot-like inputs: `inputs` is `[rows.len(), t, vocab]` on
/// the host, row `r` belonging to example `rows[r]` (whose target it is scored on). Returns the
/// gradient (same layout) and `f` per row.
pub(crate) fn input_gradients(
    model: &Model,
    sel: &Selection,
    inputs: &[f32],
    rows: &[usize],
    vocab: usize,
) -> Result<(Vec<f32>, Vec<f64>), ExplainError> {
    let t = sel.t;
    let per_row = t * vocab;
    assert_eq!(
        inputs.len(),
        rows.len() * per_row,
        "one example index per input row"
    );
    let ad = model_device(model).autodiff();
    let mut grad = Vec::with_capacity(inputs.len());
    let mut scores = Vec::with_capacity(rows.len());
    for (chunk, idx) in inputs
        .chunks(ROWS_PER_PASS * per_row)
        .zip(rows.chunks(ROWS_PER_PASS))
    {
        let b = idx.len();
        let x: Tensor<3> =
            Tensor::from_data(TensorData::new(chunk.to_vec(), [b, t, vocab]), &ad).require_grad();
        let f = sel.score(model.forward_onehot(x.clone())?, idx);
        let grads = f.clone().sum().backward();
        let g = x
            .grad(&grads)
            .ok_or_else(|| ExplainError::Invalid("the input received no gradient".into()))?;
        grad.extend(host(g));
        scores.extend(host(f).into_iter().map(f64::from));
    }
    Ok((grad, scores))
}

/// Reduces `[n, t, vocab]` values to `[n, t]` with `op(x, g)` summed over the vocabulary.
fn reduce(ex: &Examples, x: &[f32], g: &[f32], op: impl Fn(f32, f32) -> f32) -> Attribution {
    let v = ex.vocab;
    let values = x
        .chunks(v)
        .zip(g.chunks(v))
        .map(|(xr, gr)| xr.iter().zip(gr).map(|(a, b)| op(*a, *b)).sum())
        .collect();
    Attribution {
        n: ex.n,
        t: ex.t,
        values,
    }
}

/// Gradient saliency `Σ_v |∂f/∂x|` per position.
pub fn saliency(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
) -> Result<Attribution, ExplainError> {
    let x = ex.onehot();
    let rows: Vec<usize> = (0..ex.n).collect();
    let (g, _) = input_gradients(model, sel, &x, &rows, ex.vocab)?;
    Ok(reduce(ex, &x, &g, |_, g| g.abs()))
}

/// Input × gradient `Σ_v x · ∂f/∂x` per position.
pub fn input_x_gradient(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
) -> Result<Attribution, ExplainError> {
    let x = ex.onehot();
    let rows: Vec<usize> = (0..ex.n).collect();
    let (g, _) = input_gradients(model, sel, &x, &rows, ex.vocab)?;
    Ok(reduce(ex, &x, &g, |x, g| x * g))
}
