//! Causal multi-head attention core as one autodiff op with host kernels (Flex backend).
//!
//! Why: for T = 32, head dim 16, the tensor-op attention is ~15 graph nodes per layer
//! (reshape, permute, narrow, two batched matmuls of 256 tiny `32 x 16` products, scale,
//! bias, softmax, swap, reshape), and their copies, packing and bookkeeping cost far more
//! than the ~4 M multiply-adds. This op reads the fused q/k/v projection `[B, T, 3d]`
//! directly, computes `softmax(q kᵀ / √dh + bias) v` for the causal rows only, writes
//! `[B, T, d]` in the layout the output projection wants, and keeps the attention
//! probabilities for a handwritten backward. Batch items run in parallel; each is computed
//! by one thread in a fixed order, so the bits do not depend on the thread count.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;

use super::attention_kernels::{
    dots_across, lane_sum, max_of, transpose_head, weighted_cols, weighted_rows, LANES,
};
use super::fused::exp_fast;
use super::recurrent_op::{contiguous, host, on_flex_f32};
use super::simd::simd_kernel;

#[backend_extension(Flex, Autodiff)]
pub(crate) trait AttentionBackend: Backend {
    /// `qkv` `[B, T, 3d]` (q, k, v, each split into `heads` blocks of `d / heads`),
    /// `bias` `[1, hb, T, T]` (`hb` = 1 or `heads`; added to the scaled scores on and below
    /// the diagonal, which is all the op reads: it is causal by construction) → `[B, T, d]`.
    fn causal_attention(
        qkv: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        heads: usize,
    ) -> FloatTensor<Self>;
}

/// The op on Flex (f32); `None` elsewhere (callers keep their tensor-op attention).
pub(crate) fn causal_attention(qkv: Tensor<3>, bias: Tensor<4>, heads: usize) -> Option<Tensor<3>> {
    if !on_flex_f32(&qkv) {
        return None;
    }
    Some(Tensor::from_dispatch(
        <Dispatch as AttentionBackend>::causal_attention(
            qkv.into_dispatch(),
            bias.into_dispatch(),
            heads,
        ),
    ))
}

/// Shapes of one call.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub b: usize,
    pub t: usize,
    pub d: usize,
    pub heads: usize,
    /// Heads in the bias (1: shared by all heads).
    pub bias_heads: usize,
}

impl Dims {
    fn dh(&self) -> usize {
        self.d / self.heads
    }
    fn scale(&self) -> f32 {
        1.0 / (self.dh() as f32).sqrt()
    }
}

fn dims(qkv: &FlexTensor, bias: &FlexTensor, heads: usize) -> Dims {
    let s = qkv.layout().shape();
    let bs = bias.layout().shape();
    assert_eq!(s.num_dims(), 3, "qkv must be [B, T, 3d]");
    let (b, t, d) = (s[0], s[1], s[2] / 3);
    assert!(
        heads > 0 && d % heads == 0 && s[2] == 3 * d,
        "qkv width vs heads"
    );
    assert!(
        bs.num_dims() == 4 && bs[2] == t && bs[3] == t,
        "bias must be [1, hb, T, T]"
    );
    assert!(bs[1] == 1 || bs[1] == heads, "bias heads");
    Dims {
        b,
        t,
        d,
        heads,
        bias_heads: bs[1],
    }
}

/// Forward on host: returns the output `[B, T, d]` and the probabilities `[B, heads, T, T]`.
pub fn forward(qkv: &[f32], bias: &[f32], dm: Dims) -> (Vec<f32>, Vec<f32>) {
    let Dims { b, t, d, heads, .. } = dm;
    assert_eq!(qkv.len(), b * t * 3 * d, "qkv shape");
    assert_eq!(bias.len(), dm.bias_heads * t * t, "bias shape");
    let mut out = vec![0f32; b * t * d];
    let mut probs = vec![0f32; b * heads * t * t];
    out.par_chunks_mut(t * d)
        .zip(probs.par_chunks_mut(heads * t * t))
        .enumerate()
        .for_each(|(bi, (o, p))| {
            let x = &qkv[bi * t * 3 * d..(bi + 1) * t * 3 * d];
            forward_item_kernel(x, bias, dm, o, p)
        });
    (out, probs)
}

simd_kernel!(
    /// Monomorphised for common head widths: with `dh` a constant, the per-pair vector
    /// updates compile to a few straight-line SIMD instructions instead of loops with
    /// remainders.
    fn forward_item_kernel(x: &[f32], bias: &[f32], dm: Dims, o: &mut [f32], p: &mut [f32]) {
        match dm.dh() {
            8 => forward_item::<8>(x, bias, dm, o, p),
            16 => forward_item::<16>(x, bias, dm, o, p),
            32 => forward_item::<32>(x, bias, dm, o, p),
            64 => forward_item::<64>(x, bias, dm, o, p),
            _ => forward_item::<0>(x, bias, dm, o, p),
        }
    }
);

/// One batch item: `x` `[T, 3d]`, `o` `[T, d]`, `p` `[heads, T, T]` (zero above the diagonal).
#[inline(always)]
fn forward_item<const DH: usize>(x: &[f32], bias: &[f32], dm: Dims, o: &mut [f32], p: &mut [f32]) {
    let Dims { t, d, heads, .. } = dm;
    let dh = if DH > 0 { DH } else { dm.dh() };
    let scale = dm.scale();
    let w = 3 * d;
    let tp = t.next_multiple_of(LANES);
    let mut kt = vec![0f32; dh * tp];
    for hd in 0..heads {
        let hb = if dm.bias_heads == 1 { 0 } else { hd };
        let (qo, ko, vo) = (hd * dh, d + hd * dh, 2 * d + hd * dh);
        transpose_head(x, (w, ko, dh), t, tp, &mut kt);
        for i in 0..t {
            let q = &x[i * w + qo..i * w + qo + dh];
            let row = &mut p[(hd * t + i) * t..(hd * t + i) * t + i + 1];
            let brow = &bias[(hb * t + i) * t..(hb * t + i) * t + i + 1];
            dots_across::<DH>(q, &kt, tp, row);
            for (s, &bj) in row.iter_mut().zip(brow) {
                *s = *s * scale + bj;
            }
            let mx = max_of(row);
            // Separate passes: a running sum next to the exp would stop it vectorising.
            for v in row.iter_mut() {
                *v = exp_fast(*v - mx);
            }
            let inv = 1.0 / lane_sum(row);
            for v in row.iter_mut() {
                *v *= inv;
            }
        }
        // O = P V, row by row; see `weighted_rows`.
        let ph = &p[hd * t * t..(hd + 1) * t * t];
        let rows = |i: usize| &ph[i * t..i * t + i + 1];
        weighted_rows::<DH>((t, dh), rows, x, (w, vo), |i, v| {
            o[i * d + hd * dh..i * d + hd * dh + dh].copy_from_slice(v)
        });
    }
}

/// Backward on host: `dout` `[B, T, d]` → `dqkv` `[B, T, 3d]` (the bias gets no gradient).
pub fn backward(qkv: &[f32], probs: &[f32], dout: &[f32], dm: Dims) -> Vec<f32> {
    let Dims { b, t, d, heads, .. } = dm;
    assert_eq!(dout.len(), b * t * d, "dout shape");
    let mut dqkv = vec![0f32; b * t * 3 * d];
    dqkv.par_chunks_mut(t * 3 * d)
        .enumerate()
        .for_each(|(bi, dx)| {
            let x = &qkv[bi * t * 3 * d..(bi + 1) * t * 3 * d];
            let p = &probs[bi * heads * t * t..(bi + 1) * heads * t * t];
            let g = &dout[bi * t * d..(bi + 1) * t * d];
            backward_item_kernel(x, p, g, dm, dx)
        });
    dqkv
}

simd_kernel!(
    fn backward_item_kernel(x: &[f32], p: &[f32], g: &[f32], dm: Dims, dx: &mut [f32]) {
        match dm.dh() {
            8 => backward_item::<8>(x, p, g, dm, dx),
            16 => backward_item::<16>(x, p, g, dm, dx),
            32 => backward_item::<32>(x, p, g, dm, dx),
            64 => backward_item::<64>(x, p, g, dm, dx),
            _ => backward_item::<0>(x, p, g, dm, dx),
        }
    }
);

/// One batch item: `dV = Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(P ⊙ dP))`,
/// `dQ = dS K · s`, `dK = dSᵀ Q · s`, causal entries only.
#[inline(always)]
fn backward_item<const DH: usize>(x: &[f32], p: &[f32], g: &[f32], dm: Dims, dx: &mut [f32]) {
    let Dims { t, d, heads, .. } = dm;
    let dh = if DH > 0 { DH } else { dm.dh() };
    let scale = dm.scale();
    let w = 3 * d;
    let mut ds = vec![0f32; t * t];
    let mut pd = vec![0f32; t];
    let tp = t.next_multiple_of(LANES);
    let mut vt = vec![0f32; dh * tp];
    for hd in 0..heads {
        let (qo, ko, vo) = (hd * dh, d + hd * dh, 2 * d + hd * dh);
        transpose_head(x, (w, vo, dh), t, tp, &mut vt);
        for i in 0..t {
            let row = &p[(hd * t + i) * t..(hd * t + i) * t + i + 1];
            let go = &g[i * d + hd * dh..i * d + hd * dh + dh];
            let dsr = &mut ds[i * t..i * t + i + 1];
            dots_across::<DH>(go, &vt, tp, dsr);
            let pdr = &mut pd[..=i];
            for ((q, &pj), &dp) in pdr.iter_mut().zip(row).zip(dsr.iter()) {
                *q = pj * dp;
            }
            let rowdot = lane_sum(pdr);
            for (dsj, &pj) in dsr.iter_mut().zip(row) {
                *dsj = pj * (*dsj - rowdot) * scale;
            }
        }
        // dQ = dS K row by row, dV = Pᵀ dO and dK = dSᵀ Q column by column (each block of
        // dx is written only here and starts at zero).
        let rows = |i: usize| &ds[i * t..i * t + i + 1];
        weighted_rows::<DH>((t, dh), rows, x, (w, ko), |i, v| {
            dx[i * w + qo..i * w + qo + dh].copy_from_slice(v)
        });
        let ph = &p[hd * t * t..(hd + 1) * t * t];
        let go = |i: usize| &g[i * d + hd * dh..i * d + hd * dh + dh];
        weighted_cols::<DH>(
            (t, dh),
            |i, j| ph[i * t + j],
            go,
            |j, v| dx[j * w + vo..j * w + vo + dh].copy_from_slice(v),
        );
        let q = |i: usize| &x[i * w + qo..i * w + qo + dh];
        weighted_cols::<DH>(
            (t, dh),
            |i, j| ds[i * t + j],
            q,
            |j, v| dx[j * w + ko..j * w + ko + dh].copy_from_slice(v),
        );
    }
}

fn flex(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

impl AttentionBackend for Flex {
    fn causal_attention(qkv: FlexTensor, bias: FlexTensor, heads: usize) -> FlexTensor {
        let dm = dims(&qkv, &bias, heads);
        let (out, _) = forward(&host(&qkv), &host(&bias), dm);
        flex(out, &[dm.b, dm.t, dm.d])
    }
}

/// Saved for the backward pass: the input and the attention probabilities.
#[derive(Debug, Clone)]
pub(crate) struct AttentionState {
    dims: Dims,
    /// The input, contiguous (a second handle on its storage, not a copy).
    qkv: FlexTensor,
    probs: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct AttentionBackward;

impl Backward<Flex, 1> for AttentionBackward {
    type State = AttentionState;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let dout = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node {
            let s = ops.state;
            let dqkv = backward(&host(&s.qkv), &s.probs, &host(&dout), s.dims);
            grads.register::<Flex>(node.id, flex(dqkv, &[s.dims.b, s.dims.t, 3 * s.dims.d]));
        }
    }
}

impl<C: CheckpointStrategy> AttentionBackend for Autodiff<Flex, C> {
    fn causal_attention(
        qkv: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        heads: usize,
    ) -> FloatTensor<Self> {
        // The bias is a constant: only `qkv` is a parent.
        match AttentionBackward
            .prepare::<C>([qkv.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (x, bias) = (qkv.primitive(), bias.primitive());
                let dm = dims(x, bias, heads);
                let x = contiguous(x);
                let (out, probs) = forward(&host(&x), &host(bias), dm);
                let state = AttentionState {
                    dims: dm,
                    qkv: x,
                    probs: Arc::new(probs),
                };
                prep.finish(state, flex(out, &[dm.b, dm.t, dm.d]))
            }
            OpsKind::UnTracked(prep) => prep.finish(<Flex as AttentionBackend>::causal_attention(
                qkv.into_primitive(),
                bias.into_primitive(),
                heads,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::activation::softmax;
    use burn::tensor::{Device, Distribution};

    /// The tensor-op attention this op replaces (as in `transformer.rs`).
    fn reference(qkv: Tensor<3>, bias: Tensor<4>, h: usize) -> Tensor<3> {
        let [b, t, w] = qkv.dims();
        let (d, dh) = (w / 3, w / 3 / h);
        let qkv = qkv.reshape([b, t, 3, h, dh]).permute([2, 0, 3, 1, 4]);
        let part = |i: usize| -> Tensor<4> { qkv.clone().narrow(0, i, 1).reshape([b, h, t, dh]) };
        let (q, k, v) = (part(0), part(1), part(2));
        let scores = q.matmul(k.transpose()).mul_scalar(1.0 / (dh as f64).sqrt());
        let w = softmax(scores + bias, 3);
        w.matmul(v).swap_dims(1, 2).reshape([b, t, d])
    }

    fn causal_bias(hb: usize, t: usize, dev: &Device) -> Tensor<4> {
        let mut v = vec![0f32; hb * t * t];
        for hi in 0..hb {
            for i in 0..t {
                for j in 0..t {
                    v[(hi * t + i) * t + j] = if j > i {
                        f32::NEG_INFINITY
                    } else {
                        -0.3 * (hi + 1) as f32 * (i - j) as f32
                    };
                }
            }
        }
        Tensor::from_data(TensorData::new(v, [1, hb, t, t]), dev)
    }

    fn vals<const D: usize>(x: Tensor<D>) -> Vec<f32> {
        x.into_data().iter::<f32>().collect()
    }

    #[test]
    fn matches_tensor_attention_values_and_gradients() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(5);
        // dh = 4 takes the generic kernel, dh = 16 a monomorphised one.
        for (b, t, h, dh, hb) in [(5, 11, 3, 4, 1), (5, 11, 3, 4, 3), (3, 13, 2, 16, 2)] {
            let qkv = Tensor::<3>::random([b, t, 3 * h * dh], Distribution::Normal(0.0, 1.5), &dev)
                .require_grad();
            let r = Tensor::<3>::random([b, t, h * dh], Distribution::Uniform(-1.0, 1.0), &dev);
            let bias = causal_bias(hb, t, &dev);
            let run = |y: Tensor<3>| {
                let g = (y.clone() * r.clone()).sum().backward();
                (vals(y), vals(qkv.grad(&g).unwrap()))
            };
            let (ya, ga) = run(causal_attention(qkv.clone(), bias.clone(), h).unwrap());
            let (yb, gb) = run(reference(qkv.clone(), bias, h));
            let scale = gb.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (a, e) in ya.iter().zip(&yb) {
                assert!((a - e).abs() <= 1e-5 * (1.0 + e.abs()), "out: {a} vs {e}");
            }
            for (a, e) in ga.iter().zip(&gb) {
                assert!(
                    (a - e).abs() <= 1e-4 * (e.abs() + 1e-2 * scale),
                    "grad: {a} vs {e}"
                );
            }
            assert!(scale > 0.1);
        }
    }
}
