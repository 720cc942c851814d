//! LayerNorm over the last dimension as one autodiff op with host kernels (Flex backend).
//!
//! Why: burn 0.22 has no autodiff rule for `layer_norm`, so under `Autodiff` it runs as its
//! decomposition (mean, subtract, square, mean, add ε, sqrt, divide, scale, shift): nine
//! graph nodes and their backward steps per call, five calls per Transformer forward. Here
//! one pass per row computes the output and saves the normalised input and `1/σ`; the
//! backward is the closed form `dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / σ` with `ĝ = dy ⊙ γ`.
//! Rows are processed in fixed blocks and the γ/β gradients summed block by block in order,
//! so the bits do not depend on the thread count.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::nn::LayerNorm;
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;

use super::attention_kernels::{dot, lane_sum};
use super::recurrent_op::{host, on_flex_f32};
use super::simd::simd_kernel;

/// ε of every LayerNorm the models build (burn's `LayerNormConfig` default, set explicitly
/// there so this op and the fallback agree: the module does not expose its ε).
pub(crate) const EPS: f64 = 1e-5;

/// Rows per parallel block (fixed: see the module docs).
const BLOCK: usize = 128;

#[backend_extension(Flex, Autodiff)]
pub(crate) trait LayerNormBackend: Backend {
    /// `x` `[..., d]`, `gamma`, `beta` `[d]` → `(x − μ) / √(σ² + ε) · γ + β` per row.
    fn layer_norm_rows(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `ln.forward(x)` (ε = [`EPS`]), through the host op on Flex (f32) when `ln` has a bias.
pub fn forward<const D: usize>(ln: &LayerNorm, x: Tensor<D>) -> Tensor<D> {
    match &ln.beta {
        Some(beta) if on_flex_f32(&x) => {
            Tensor::from_dispatch(<Dispatch as LayerNormBackend>::layer_norm_rows(
                x.into_dispatch(),
                ln.gamma.val().into_dispatch(),
                beta.val().into_dispatch(),
            ))
        }
        _ => ln.forward(x),
    }
}

/// Output, normalised input and `1/σ` per row.
fn forward_host(x: &[f32], gamma: &[f32], beta: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let d = gamma.len();
    let n = x.len() / d;
    let mut y = vec![0f32; n * d];
    let mut xhat = vec![0f32; n * d];
    let mut rstd = vec![0f32; n];
    y.par_chunks_mut(BLOCK * d)
        .zip(xhat.par_chunks_mut(BLOCK * d))
        .zip(rstd.par_chunks_mut(BLOCK))
        .zip(x.par_chunks(BLOCK * d))
        .for_each(|(((y, xh), rs), x)| forward_rows_kernel(x, gamma, beta, y, xh, rs));
    (y, xhat, rstd)
}

simd_kernel!(
    /// A block of rows: sums in lanes (see [`dot`]), then one vectorisable pass per row.
    fn forward_rows_kernel(
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        y: &mut [f32],
        xh: &mut [f32],
        rs: &mut [f32],
    ) {
        let d = gamma.len();
        for (((yr, hr), r), xr) in y
            .chunks_mut(d)
            .zip(xh.chunks_mut(d))
            .zip(rs.iter_mut())
            .zip(x.chunks(d))
        {
            let mean = lane_sum(xr) / d as f32;
            for (h, &v) in hr.iter_mut().zip(xr) {
                *h = v - mean;
            }
            let inv = 1.0 / (dot(hr, hr) / d as f32 + EPS as f32).sqrt();
            *r = inv;
            for (((yv, h), &g), &b) in yr.iter_mut().zip(hr.iter_mut()).zip(gamma).zip(beta) {
                *h *= inv;
                *yv = *h * g + b;
            }
        }
    }
);

simd_kernel!(
    /// A block of rows of the backward pass, accumulating the block's γ and β gradients.
    #[allow(clippy::too_many_arguments)]
    fn backward_rows_kernel(
        dx: &mut [f32],
        dy: &[f32],
        xh: &[f32],
        rs: &[f32],
        gamma: &[f32],
        dg: &mut [f32],
        db: &mut [f32],
        tmp: &mut [f32],
    ) {
        let d = gamma.len();
        for (((dxr, dyr), hr), &r) in dx.chunks_mut(d).zip(dy.chunks(d)).zip(xh.chunks(d)).zip(rs) {
            for ((t, &g), (&v, q)) in tmp.iter_mut().zip(gamma).zip(dyr.iter().zip(db.iter_mut())) {
                *t = v * g;
                *q += v;
            }
            for ((s, &v), &h) in dg.iter_mut().zip(dyr).zip(hr) {
                *s += v * h;
            }
            let m1 = lane_sum(tmp) / d as f32;
            let m2 = dot(tmp, hr) / d as f32;
            for ((o, &t), &h) in dxr.iter_mut().zip(tmp.iter()).zip(hr) {
                *o = (t - m1 - h * m2) * r;
            }
        }
    }
);

fn flex(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

impl LayerNormBackend for Flex {
    fn layer_norm_rows(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let (y, _, _) = forward_host(&host(&x), &host(&gamma), &host(&beta));
        flex(y, shape)
    }
}

/// Saved for the backward pass.
#[derive(Debug, Clone)]
pub(crate) struct LnState {
    shape: Vec<usize>,
    xhat: Arc<Vec<f32>>,
    rstd: Arc<Vec<f32>>,
    gamma: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct LayerNormBackward;

impl Backward<Flex, 3> for LayerNormBackward {
    type State = LnState;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_g, node_b] = ops.parents;
        let dy_t = grads.consume::<Flex>(&ops.node);
        let dy = host(&dy_t);
        let s = ops.state;
        let d = s.gamma.len();
        let n = s.rstd.len();
        let mut dx = vec![0f32; n * d];
        // Per block: dx rows and the block's partial γ and β gradients.
        let partials: Vec<(Vec<f32>, Vec<f32>)> = dx
            .par_chunks_mut(BLOCK * d)
            .zip(dy.par_chunks(BLOCK * d))
            .zip(s.xhat.par_chunks(BLOCK * d))
            .zip(s.rstd.par_chunks(BLOCK))
            .map(|(((dx, dy), xh), rs)| {
                let (mut dg, mut db) = (vec![0f32; d], vec![0f32; d]);
                let mut tmp = vec![0f32; d];
                backward_rows_kernel(dx, dy, xh, rs, &s.gamma, &mut dg, &mut db, &mut tmp);
                (dg, db)
            })
            .collect();
        let (mut dg, mut db) = (vec![0f32; d], vec![0f32; d]);
        for (pg, pb) in &partials {
            for j in 0..d {
                dg[j] += pg[j];
                db[j] += pb[j];
            }
        }
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, flex(dx, s.shape.clone()));
        }
        if let Some(node) = node_g {
            grads.register::<Flex>(node.id, flex(dg, vec![d]));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, flex(db, vec![d]));
        }
    }
}

impl<C: CheckpointStrategy> LayerNormBackend for Autodiff<Flex, C> {
    fn layer_norm_rows(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match LayerNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, gp, bp) = (x.primitive(), gamma.primitive(), beta.primitive());
                let shape = xp.layout().shape().to_vec();
                let g = host(gp).into_owned();
                let (y, xhat, rstd) = forward_host(&host(xp), &g, &host(bp));
                let state = LnState {
                    shape: shape.clone(),
                    xhat: Arc::new(xhat),
                    rstd: Arc::new(rstd),
                    gamma: Arc::new(g),
                };
                prep.finish(state, flex(y, shape))
            }
            OpsKind::UnTracked(prep) => prep.finish(<Flex as LayerNormBackend>::layer_norm_rows(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::LayerNormConfig;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn matches_burn_layer_norm_values_and_gradients() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(2);
        let mut ln = LayerNormConfig::new(24).with_epsilon(EPS).init(&dev);
        // Non-trivial γ and β, so their gradients and their use are both checked.
        ln.gamma = Param::from_tensor(Tensor::random([24], Distribution::Normal(1.0, 0.5), &dev));
        ln.beta = Some(Param::from_tensor(Tensor::random(
            [24],
            Distribution::Normal(0.0, 0.5),
            &dev,
        )));
        // 300 rows: more than two blocks, the last one partial.
        let x =
            Tensor::<3>::random([3, 100, 24], Distribution::Normal(1.0, 2.0), &dev).require_grad();
        let r = Tensor::<3>::random([3, 100, 24], Distribution::Uniform(-1.0, 1.0), &dev);
        let run = |y: Tensor<3>| {
            let g = (y.clone() * r.clone()).sum().backward();
            let v1 = |t: Tensor<1>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            [
                y.into_data().iter::<f32>().collect::<Vec<f32>>(),
                x.grad(&g).unwrap().into_data().iter::<f32>().collect(),
                v1(ln.gamma.val().grad(&g).unwrap()),
                v1(ln.beta.as_ref().unwrap().val().grad(&g).unwrap()),
            ]
        };
        let a = run(forward(&ln, x.clone()));
        let e = run(ln.forward(x.clone()));
        for (k, (pa, pe)) in a.iter().zip(&e).enumerate() {
            let scale = pe.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(scale > 0.1, "part {k} is trivial");
            for (p, q) in pa.iter().zip(pe) {
                let tol = if k == 0 { 1e-5 } else { 1e-4 };
                assert!(
                    (p - q).abs() <= tol * (q.abs() + 1e-2 * scale),
                    "part {k}: {p} vs {q}"
                );
            }
        }
    }
}
