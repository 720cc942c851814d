//! Integrated gradients (Sundararajan et al. 2017) with adaptive quadrature.
//!
//! `IG_t = Σ_v (x − b)[t, v] · ∫₀¹ ∂f/∂x[t, v](b + α(x − b)) dα`, which by completeness adds
//! up to `f(x) − f(b)`. The integral is a trapezoid sum over a grid of `α`:
//!
//! * the initial grid has `steps` intervals, denser near the baseline, `α_k = (k / steps)³`
//!   ([`alpha_at`]): a zero baseline sits at LayerNorm's singular point for models that
//!   normalise the embedding first (a Transformer with RoPE or ALiBi adds no position vector;
//!   the linear RNN), where the integrand changes on a scale of `√ε / ‖e‖ ≈ 10⁻³` near `α = 0`;
//! * trained models can change their prediction abruptly along the path (a jump of several
//!   logits within `Δα ≈ 0.01`), which no fixed grid of tens of points resolves. Every forward
//!   pass also gives `f` at the grid points, so each interval's error is known:
//!   `|trapezoid(interval) − (f(α_{j+1}) − f(α_j))|`. The intervals with the largest errors
//!   are bisected, in rounds, until the errors of an example add up to at most
//!   [`TOLERANCE`] `· max(|f(x) − f(b)|, FLOOR)` or the example has used [`MAX_FACTOR`] `· steps`
//!   more gradient evaluations. The sum of the interval errors bounds the completeness gap,
//!   which [`IgResult`] reports with the number of evaluations.

use super::gradients::{input_gradients, Baseline};
use super::{Attribution, Examples, ExplainError, Selection};
use crate::models::Model;

/// Target completeness error, relative to `|f(x) − f(b)|`.
pub(crate) const TOLERANCE: f64 = 2e-3;
/// Absolute floor of the scale the tolerance applies to (logit units).
pub(crate) const FLOOR: f64 = 0.1;
/// At most this many times `steps` extra gradient evaluations per example.
pub(crate) const MAX_FACTOR: usize = 16;
/// Refinement rounds at most.
const MAX_ROUNDS: usize = 24;

/// Integrated gradients with their completeness check values.
#[derive(Debug, Clone, PartialEq)]
pub struct IgResult {
    pub attribution: Attribution,
    /// `f(x)` per example.
    pub f_input: Vec<f64>,
    /// `f(baseline)` per example.
    pub f_baseline: Vec<f64>,
    /// Gradient evaluations per example (`steps + 1` without refinement).
    pub evaluations: Vec<usize>,
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

/// The `k`-th of `steps + 1` points of the initial grid, `α_k = (k / steps)³`.
pub(crate) fn alpha_at(k: usize, steps: usize) -> f64 {
    (k as f64 / steps as f64).powi(3)
}

/// One evaluated point of the path.
struct Point {
    alpha: f64,
    f: f64,
    /// `Σ_v ∂f/∂x[t, v] · (x − b)[t, v]` per position.
    c: Vec<f64>,
}

/// Trapezoid estimate of `f(b.α) − f(a.α)` per position.
fn trapezoid<'a>(a: &'a Point, b: &'a Point) -> impl Iterator<Item = f64> + 'a {
    let h = (b.alpha - a.alpha) / 2.0;
    a.c.iter().zip(&b.c).map(move |(x, y)| h * (x + y))
}

fn interval_error(a: &Point, b: &Point) -> f64 {
    (trapezoid(a, b).sum::<f64>() - (b.f - a.f)).abs()
}

/// Integrated gradients along the straight path from `baseline` to the input; see the module
/// docs for the grid and its refinement.
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
    let (n, t, v) = (ex.n, ex.t, ex.vocab);
    let x = ex.onehot();
    let b = baseline.value(v);
    let per = t * v;
    // Gradients at (example, α) pairs, as path points.
    let eval = |pairs: &[(usize, f64)]| -> Result<Vec<Point>, ExplainError> {
        let mut inputs = Vec::with_capacity(pairs.len() * per);
        for &(i, a) in pairs {
            let xi = &x[i * per..(i + 1) * per];
            inputs.extend(xi.iter().map(|&xv| b + a as f32 * (xv - b)));
        }
        let rows: Vec<usize> = pairs.iter().map(|p| p.0).collect();
        let (g, f) = input_gradients(model, sel, &inputs, &rows, v)?;
        Ok(pairs
            .iter()
            .enumerate()
            .map(|(r, &(i, alpha))| {
                let xi = &x[i * per..(i + 1) * per];
                let gr = &g[r * per..(r + 1) * per];
                let c = (0..t)
                    .map(|p| {
                        (0..v)
                            .map(|k| gr[p * v + k] as f64 * (xi[p * v + k] - b) as f64)
                            .sum()
                    })
                    .collect();
                Point { alpha, f: f[r], c }
            })
            .collect())
    };
    let initial: Vec<(usize, f64)> = (0..n)
        .flat_map(|i| (0..=steps).map(move |k| (i, alpha_at(k, steps))))
        .collect();
    let mut paths: Vec<Vec<Point>> = Vec::with_capacity(n);
    let mut points = eval(&initial)?.into_iter();
    for _ in 0..n {
        paths.push(points.by_ref().take(steps + 1).collect());
    }
    let budget = (MAX_FACTOR + 1) * steps + 1;
    for _ in 0..MAX_ROUNDS {
        let mut pairs = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let delta = path[path.len() - 1].f - path[0].f;
            let tol = TOLERANCE * delta.abs().max(FLOOR);
            let mut errs: Vec<(f64, usize)> = path
                .windows(2)
                .enumerate()
                .map(|(j, w)| (interval_error(&w[0], &w[1]), j))
                .collect();
            let mut total: f64 = errs.iter().map(|e| e.0).sum();
            if total <= tol {
                continue;
            }
            errs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let room = budget.saturating_sub(path.len()).min(steps);
            for &(e, j) in errs.iter().take(room) {
                if total <= tol / 2.0 {
                    break;
                }
                pairs.push((i, (path[j].alpha + path[j + 1].alpha) / 2.0));
                total -= e;
            }
        }
        if pairs.is_empty() {
            break;
        }
        for (pt, &(i, _)) in eval(&pairs)?.into_iter().zip(&pairs) {
            paths[i].push(pt);
        }
        for path in &mut paths {
            path.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
        }
    }
    let mut attribution = Attribution::zeros(n, t);
    for (i, path) in paths.iter().enumerate() {
        let mut acc = vec![0f64; t];
        for w in path.windows(2) {
            acc.iter_mut()
                .zip(trapezoid(&w[0], &w[1]))
                .for_each(|(a, d)| *a += d);
        }
        attribution.values[i * t..(i + 1) * t]
            .iter_mut()
            .zip(acc)
            .for_each(|(o, a)| *o = a as f32);
    }
    Ok(IgResult {
        attribution,
        f_input: paths.iter().map(|p| p[p.len() - 1].f).collect(),
        f_baseline: paths.iter().map(|p| p[0].f).collect(),
        evaluations: paths.iter().map(Vec::len).collect(),
    })
}
