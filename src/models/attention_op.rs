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

/// Positions handled together by [`dots_across`].
const LANES: usize = 16;

/// `xt[l * tp + j] = x[j * w + off + l]`: one head's keys (or values) `[T, dh]` of the
/// item `x` `[T, w]` as `[dh, tp]`, so consecutive positions are adjacent.
#[inline(always)]
fn transpose_head(
    x: &[f32],
    (w, off, dh): (usize, usize, usize),
    t: usize,
    tp: usize,
    xt: &mut [f32],
) {
    for j in 0..t {
        for (l, &v) in x[j * w + off..j * w + off + dh].iter().enumerate() {
            xt[l * tp + j] = v;
        }
    }
}

/// `out[j] = dot(a, row j of the transposed xt)` for `j < out.len()`, with exactly the
/// arithmetic of [`dot`] (8 lane sums over the chunks of 8 in order, the same tree, then
/// the tail), vectorised across 16 positions instead of within one dot product: the
/// horizontal sum of each short dot product cost more than its multiplications.
#[inline(always)]
fn dots_across<const DH: usize>(a: &[f32], xt: &[f32], tp: usize, out: &mut [f32]) {
    let dh = if DH > 0 { DH } else { a.len() };
    let a = &a[..dh];
    let n8 = dh / 8 * 8;
    for (c, chunk) in out.chunks_mut(LANES).enumerate() {
        let j0 = c * LANES;
        let col = |kk: usize| -> &[f32; LANES] {
            xt[kk * tp + j0..kk * tp + j0 + LANES]
                .try_into()
                .expect("LANES elements")
        };
        // Lane `l`'s running sum over the chunks of 8, one local array per lane (a loop over
        // `l` kept all eight in memory and did not vectorise).
        // (A function, not a closure: a closure that is not inlined is compiled without the
        // kernel's target features.)
        #[inline(always)]
        fn chain(
            a: &[f32],
            n8: usize,
            l: usize,
            xt: &[f32],
            (tp, j0): (usize, usize),
        ) -> [f32; LANES] {
            let mut acc = [0f32; LANES];
            for c8 in (0..n8).step_by(8) {
                let kk = c8 + l;
                let col = xt[kk * tp + j0..kk * tp + j0 + LANES].try_into();
                add_scaled(&mut acc, a[kk], col.expect("LANES elements"));
            }
            acc
        }
        let at = (tp, j0);
        let acc = [
            chain(a, n8, 0, xt, at),
            chain(a, n8, 1, xt, at),
            chain(a, n8, 2, xt, at),
            chain(a, n8, 3, xt, at),
            chain(a, n8, 4, xt, at),
            chain(a, n8, 5, xt, at),
            chain(a, n8, 6, xt, at),
            chain(a, n8, 7, xt, at),
        ];
        let mut sum = [0f32; LANES];
        for jj in 0..LANES {
            sum[jj] = ((acc[0][jj] + acc[4][jj]) + (acc[1][jj] + acc[5][jj]))
                + ((acc[2][jj] + acc[6][jj]) + (acc[3][jj] + acc[7][jj]));
        }
        for (kk, &av) in a.iter().enumerate().skip(n8) {
            let xr = col(kk);
            for jj in 0..LANES {
                sum[jj] += av * xr[jj];
            }
        }
        chunk.copy_from_slice(&sum[..chunk.len()]);
    }
}

/// Dot product in 8 independent lanes (a single running sum is a serial dependency chain
/// that cannot use SIMD without reassociation, which Rust never does on its own).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let n = a.len() / 8 * 8;
    for (ca, cb) in a[..n].chunks_exact(8).zip(b[..n].chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for k in n..a.len() {
        s += a[k] * b[k];
    }
    s
}

/// Sum in 8 lanes (see [`dot`]).
#[inline(always)]
pub(crate) fn lane_sum(a: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let n = a.len() / 8 * 8;
    for c in a[..n].chunks_exact(8) {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for v in &a[n..] {
        s += v;
    }
    s
}

/// For every row `i < t` (`c(i)` has `i + 1` coefficients, the causal triangle):
/// `put(i, Σ_j c(i)[j] · x[j * w + off..][..dh])`, summed from zero
/// in order of `j` (as a zeroed output and one [`axpy`] per `j` would). Four rows at a time
/// in registers for a known head width: one row's sum is a chain of dependent additions,
/// four independent chains overlap.
#[inline(always)]
fn weighted_rows<'c, const DH: usize>(
    (t, dh): (usize, usize),
    c: impl Fn(usize) -> &'c [f32],
    x: &[f32],
    (w, off): (usize, usize),
    mut put: impl FnMut(usize, &[f32]),
) {
    let row = |j: usize| &x[j * w + off..j * w + off + dh];
    let mut i0 = 0;
    if DH > 0 {
        let vrow = |j: usize| -> &[f32; DH] { row(j).try_into().expect("DH elements") };
        while i0 + 4 <= t {
            let (c0, c1, c2, c3) = (c(i0), c(i0 + 1), c(i0 + 2), c(i0 + 3));
            let n = c0.len();
            // The causal triangle: each row has one term more than the row before.
            assert!(c1.len() == n + 1 && c2.len() == n + 2 && c3.len() == n + 3);
            // Four named accumulators (a runtime-indexed array would live in memory).
            let (mut a0, mut a1, mut a2, mut a3) = ([0f32; DH], [0f32; DH], [0f32; DH], [0f32; DH]);
            for j in 0..n {
                let v = vrow(j);
                add_scaled(&mut a0, c0[j], v);
                add_scaled(&mut a1, c1[j], v);
                add_scaled(&mut a2, c2[j], v);
                add_scaled(&mut a3, c3[j], v);
            }
            add_scaled(&mut a1, c1[n], vrow(n));
            add_scaled(&mut a2, c2[n], vrow(n));
            add_scaled(&mut a2, c2[n + 1], vrow(n + 1));
            add_scaled(&mut a3, c3[n], vrow(n));
            add_scaled(&mut a3, c3[n + 1], vrow(n + 1));
            add_scaled(&mut a3, c3[n + 2], vrow(n + 2));
            put(i0, &a0);
            put(i0 + 1, &a1);
            put(i0 + 2, &a2);
            put(i0 + 3, &a3);
            i0 += 4;
        }
    }
    let mut out = vec![0f32; dh];
    for i in i0..t {
        out.fill(0.0);
        for (j, &cj) in c(i).iter().enumerate() {
            axpy(cj, row(j), &mut out);
        }
        put(i, &out);
    }
}

/// For every column `j < t`: `put(j, Σ_{i ≥ j} c(i, j) · row(i))` (the causal triangle
/// read down a column), summed from zero in order of `i`, as one update per `(i, j)` in
/// row order would; four columns at a time in registers.
#[inline(always)]
fn weighted_cols<'r, const DH: usize>(
    (t, dh): (usize, usize),
    c: impl Fn(usize, usize) -> f32,
    row: impl Fn(usize) -> &'r [f32],
    mut put: impl FnMut(usize, &[f32]),
) {
    let mut j0 = 0;
    if DH > 0 {
        let vrow = |i: usize| -> &[f32; DH] { row(i).try_into().expect("DH elements") };
        while j0 + 4 <= t {
            let (mut a0, mut a1, mut a2, mut a3) = ([0f32; DH], [0f32; DH], [0f32; DH], [0f32; DH]);
            // Rows j0, j0 + 1, j0 + 2 reach only the columns up to their own index.
            let v = vrow(j0);
            add_scaled(&mut a0, c(j0, j0), v);
            let v = vrow(j0 + 1);
            add_scaled(&mut a0, c(j0 + 1, j0), v);
            add_scaled(&mut a1, c(j0 + 1, j0 + 1), v);
            let v = vrow(j0 + 2);
            add_scaled(&mut a0, c(j0 + 2, j0), v);
            add_scaled(&mut a1, c(j0 + 2, j0 + 1), v);
            add_scaled(&mut a2, c(j0 + 2, j0 + 2), v);
            for i in j0 + 3..t {
                let v = vrow(i);
                add_scaled(&mut a0, c(i, j0), v);
                add_scaled(&mut a1, c(i, j0 + 1), v);
                add_scaled(&mut a2, c(i, j0 + 2), v);
                add_scaled(&mut a3, c(i, j0 + 3), v);
            }
            put(j0, &a0);
            put(j0 + 1, &a1);
            put(j0 + 2, &a2);
            put(j0 + 3, &a3);
            j0 += 4;
        }
    }
    let mut out = vec![0f32; dh];
    for j in j0..t {
        out.fill(0.0);
        for i in j..t {
            axpy(c(i, j), row(i), &mut out);
        }
        put(j, &out);
    }
}

/// `acc += c · v`, lane by lane (fixed sizes, so it compiles to whole-register operations).
#[inline(always)]
fn add_scaled<const N: usize>(acc: &mut [f32; N], c: f32, v: &[f32; N]) {
    for l in 0..N {
        acc[l] += c * v[l];
    }
}

/// The largest element (`-inf` for none; NaNs ignored), in 16 lanes: the maximum is exact,
/// so the order does not change it, and a serial comparison chain was slow.
#[inline(always)]
fn max_of(a: &[f32]) -> f32 {
    // `if v > m` rather than `f32::max`: compiles to a vector compare and blend; it only
    // differs from `max` in which of two equal zeros it keeps, and `exp(v - max)` does not
    // see the sign of a zero.
    #[inline(always)]
    fn larger(m: &mut [f32; LANES], c: &[f32; LANES]) {
        for l in 0..LANES {
            m[l] = if c[l] > m[l] { c[l] } else { m[l] };
        }
    }
    let mut m = [f32::NEG_INFINITY; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for c in &mut chunks {
        larger(&mut m, c.try_into().expect("LANES elements"));
    }
    let mut tail = [f32::NEG_INFINITY; LANES];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    larger(&mut m, &tail);
    let mut half = LANES / 2;
    while half > 0 {
        for l in 0..half {
            m[l] = if m[l + half] > m[l] {
                m[l + half]
            } else {
                m[l]
            };
        }
        half /= 2;
    }
    m[0]
}

/// `y += a x`.
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
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
