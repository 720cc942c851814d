//! Gradient attributions w.r.t. the one-hot input `x` `[n, t, vocab]`, reduced to one score
//! per position:
//!
//! * saliency: `Σ_v |∂f/∂x[t, v]|`;
//! * input × gradient: `Σ_v x[t, v] · ∂f/∂x[t, v]` (for one-hot `x`, the gradient at the token);
//! * integrated gradients (Sundararajan et al. 2017): `Σ_v (x − b)[t, v] · ∫₀¹ ∂f/∂x(b + α(x − b)) dα`,
//!   the integral over `steps` intervals of a grid denser near the baseline ([`alpha_at`]) by
//!   Simpson's rule ([`quadrature_weight`]), so that the attributions of a sequence add up to
//!   `f(x) − f(b)` (completeness) up to the quadrature error, which [`IgResult`] reports.

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

/// `∂f/∂x` and `f` for stacked copies of the batch: `inputs` is `[reps * n, t, vocab]` on the
/// host, row `r` belonging to example `r % n`. Returns the gradient (same layout) and `f` per row.
pub fn input_gradients(
    model: &Model,
    sel: &Selection,
    inputs: &[f32],
    vocab: usize,
) -> Result<(Vec<f32>, Vec<f64>), ExplainError> {
    let (n, t) = (sel.n, sel.t);
    let per_row = t * vocab;
    let rows = inputs.len() / per_row;
    let reps_per_pass = (ROWS_PER_PASS / n).max(1);
    let ad = model_device(model).autodiff();
    let mut grad = Vec::with_capacity(inputs.len());
    let mut scores = Vec::with_capacity(rows);
    for chunk in inputs.chunks(reps_per_pass * n * per_row) {
        let b = chunk.len() / per_row;
        let x: Tensor<3> =
            Tensor::from_data(TensorData::new(chunk.to_vec(), [b, t, vocab]), &ad).require_grad();
        let f = sel.score(model.forward_onehot(x.clone())?);
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
    let (g, _) = input_gradients(model, sel, &x, ex.vocab)?;
    Ok(reduce(ex, &x, &g, |_, g| g.abs()))
}

/// Input × gradient `Σ_v x · ∂f/∂x` per position.
pub fn input_x_gradient(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
) -> Result<Attribution, ExplainError> {
    let x = ex.onehot();
    let (g, _) = input_gradients(model, sel, &x, ex.vocab)?;
    Ok(reduce(ex, &x, &g, |x, g| x * g))
}

/// Integrated gradients with their completeness check values.
#[derive(Debug, Clone, PartialEq)]
pub struct IgResult {
    pub attribution: Attribution,
    /// `f(x)` per example.
    pub f_input: Vec<f64>,
    /// `f(baseline)` per example.
    pub f_baseline: Vec<f64>,
}

impl IgResult {
    /// Per example, `|Σ_t attribution − (f(x) − f(b))|`.
    pub fn completeness_gap(&self) -> Vec<f64> {
        (0..self.attribution.n)
            .map(|i| {
                let s: f64 = self.attribution.row(i).iter().map(|&a| a as f64).sum();
                (s - (self.f_input[i] - self.f_baseline[i])).abs()
            })
            .collect()
    }
}

/// Integrated gradients along the straight path from `baseline` to the input, over `steps`
/// intervals (`steps + 1` gradient evaluations per example); see the module docs.
pub fn integrated_gradients(
    model: &Model,
    ex: &Examples,
    sel: &Selection,
    steps: usize,
    baseline: Baseline,
) -> Result<IgResult, ExplainError> {
    if steps == 0 {
        return Err(ExplainError::Invalid("ig_steps must be at least 1".into()));
    }
    let x = ex.onehot();
    let b = baseline.value(ex.vocab);
    let mut path = Vec::with_capacity((steps + 1) * x.len());
    for k in 0..=steps {
        let alpha = alpha_at(k, steps) as f32;
        path.extend(x.iter().map(|&xi| b + alpha * (xi - b)));
    }
    let (g, f) = input_gradients(model, sel, &path, ex.vocab)?;
    let mut avg = vec![0f64; x.len()];
    for (k, gk) in g.chunks(x.len()).enumerate() {
        let w = quadrature_weight(k, steps);
        for (a, gi) in avg.iter_mut().zip(gk) {
            *a += w * *gi as f64;
        }
    }
    let contrib: Vec<f32> = avg
        .iter()
        .zip(&x)
        .map(|(a, xi)| (a * (*xi - b) as f64) as f32)
        .collect();
    let ones = vec![1f32; x.len()];
    let attribution = reduce(ex, &ones, &contrib, |_, c| c);
    Ok(IgResult {
        attribution,
        f_input: f[steps * ex.n..].to_vec(),
        f_baseline: f[..ex.n].to_vec(),
    })
}

/// The `k`-th of `steps + 1` points of the path, `α_k = (k / steps)³`.
///
/// Denser near the baseline than a uniform grid: a zero baseline sits at LayerNorm's singular
/// point for models that normalise the embedding first (Transformer with RoPE or ALiBi, which
/// add no position vector; linear RNN), where the integrand changes on a scale of
/// `√ε / ‖e‖ ≈ 10⁻³` near `α = 0`. The substitution `α = u³` keeps the trapezoid rule's
/// second order for smooth integrands (it integrates `3u² ∇f(u³)` on a uniform grid in `u`).
pub fn alpha_at(k: usize, steps: usize) -> f64 {
    (k as f64 / steps as f64).powi(3)
}

/// Weight of the gradient at `α_k` in `∫₀¹ ∇f(α) dα = ∫₀¹ 3u² ∇f(u³) du`: Simpson's rule in
/// `u` for an even number of steps, the trapezoid rule for an odd one.
pub fn quadrature_weight(k: usize, steps: usize) -> f64 {
    let h = 1.0 / steps as f64;
    let u = k as f64 * h;
    let c = if k == 0 || k == steps {
        if steps % 2 == 0 {
            1.0 / 3.0
        } else {
            0.5
        }
    } else if steps % 2 == 1 {
        1.0
    } else if k % 2 == 1 {
        4.0 / 3.0
    } else {
        2.0 / 3.0
    };
    c * h * 3.0 * u * u
}
