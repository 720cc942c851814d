//! Fused recurrent-cell pointwise math on the host, with exact gradients.
//!
//! Why: on burn's flex backend `sigmoid`/`tanh` are scalar libm calls (~8 ns each), and
//! autodiff recomputes them in the backward pass; for a width-64 LSTM that was ~40% of a
//! training step. Here the whole pointwise part of a cell (gates, cell update, output) is
//! computed in one auto-vectorisable pass over host memory, together with its local
//! partial derivatives, and re-enters the autodiff graph as
//!
//! `y = Y + Σ D ⊙ (x − x.detach())`
//!
//! which has exactly the value `Y` (`x − x.detach()` is exactly 0) and exactly the
//! gradient `D` (the cell is elementwise per hidden unit, so its Jacobian is the
//! per-unit partials). The backward pass is then a few multiplications, no transcendental.

use burn::tensor::{Device, Tensor, TensorData};

use super::simd::simd_kernel;

const LOG2E: f32 = std::f32::consts::LOG2_E;
const ROUND_MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer

/// `e^x` (Cephes polynomial, ~2 ulp), branch-free so loops over it vectorise.
#[inline(always)]
pub(crate) fn exp_fast(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    // The integer n sits in the low mantissa bits of t: no float->int conversion needed.
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits((ni.wrapping_add(127) << 23) as u32)
}

#[inline(always)]
pub(crate) fn sigmoid_fast(x: f32) -> f32 {
    1.0 / (1.0 + exp_fast(-x))
}

/// `tanh`: `1 - 2/(e^{2x}+1)`, with a Taylor branch near 0 for relative accuracy.
#[inline(always)]
pub(crate) fn tanh_fast(x: f32) -> f32 {
    let big = 1.0 - 2.0 / (exp_fast(2.0 * x) + 1.0);
    let x2 = x * x;
    let small = x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))));
    if x.abs() < 0.1 {
        small
    } else {
        big
    }
}

/// Host values of one LSTM step, gates laid out `[i, f, o, g]` per row of `4H`.
pub(crate) struct LstmStep {
    /// `[B, 2, H]`: new cell state then new hidden state.
    pub y: Vec<f32>,
    /// `[B, 2, 4, H]`: ∂(c, h)/∂gate pre-activations.
    pub d_gates: Vec<f32>,
    /// `[B, 2, H]`: ∂(c, h)/∂c_prev.
    pub d_c: Vec<f32>,
}

/// LSTM pointwise step: `g` `[B, 4H]` pre-activations, `c` `[B, H]` previous cell (None = 0).
///
/// Dispatches to an AVX2+FMA build of the same code when the CPU has it (the crate is
/// compiled for baseline x86-64, where these loops only get SSE2).
pub(crate) fn lstm_step(g: &[f32], c: Option<&[f32]>, b: usize, h: usize) -> LstmStep {
    let zeros;
    let c = match c {
        Some(c) => c,
        None => {
            zeros = vec![0f32; b * h];
            &zeros
        }
    };
    assert_eq!(g.len(), b * 4 * h);
    assert_eq!(c.len(), b * h);
    let mut out = LstmStep {
        y: vec![0f32; b * 2 * h],
        d_gates: vec![0f32; b * 8 * h],
        d_c: vec![0f32; b * 2 * h],
    };
    lstm_step_kernel(g, c, b, h, &mut out);
    out
}

simd_kernel!(
    fn lstm_step_kernel(g: &[f32], c: &[f32], b: usize, h: usize, out: &mut LstmStep) {
        let mut act = vec![0f32; 4 * h];
        let mut tc = vec![0f32; h];
        for r in 0..b {
            let gr = &g[r * 4 * h..(r + 1) * 4 * h];
            let cp = &c[r * h..(r + 1) * h];
            for (a, &x) in act[..3 * h].iter_mut().zip(&gr[..3 * h]) {
                *a = sigmoid_fast(x);
            }
            for (a, &x) in act[3 * h..].iter_mut().zip(&gr[3 * h..]) {
                *a = tanh_fast(x);
            }
            let (i, rest) = act.split_at(h);
            let (f, rest) = rest.split_at(h);
            let (o, gg) = rest.split_at(h);
            let (yc, yh) = out.y[r * 2 * h..(r + 1) * 2 * h].split_at_mut(h);
            for j in 0..h {
                yc[j] = f[j] * cp[j] + i[j] * gg[j];
            }
            for (t, &x) in tc.iter_mut().zip(yc.iter()) {
                *t = tanh_fast(x);
            }
            let (dcc, dch) = out.d_c[r * 2 * h..(r + 1) * 2 * h].split_at_mut(h);
            let (dgc, dgh) = out.d_gates[r * 8 * h..(r + 1) * 8 * h].split_at_mut(4 * h);
            let (dgc_i, rest) = dgc.split_at_mut(h);
            let (dgc_f, rest) = rest.split_at_mut(h);
            let (dgc_o, dgc_g) = rest.split_at_mut(h);
            let (dgh_i, rest) = dgh.split_at_mut(h);
            let (dgh_f, rest) = rest.split_at_mut(h);
            let (dgh_o, dgh_g) = rest.split_at_mut(h);
            for j in 0..h {
                let (ij, fj, oj, gj, tj) = (i[j], f[j], o[j], gg[j], tc[j]);
                yh[j] = oj * tj;
                let dc_i = gj * ij * (1.0 - ij);
                let dc_f = cp[j] * fj * (1.0 - fj);
                let dc_g = ij * (1.0 - gj * gj);
                dgc_i[j] = dc_i;
                dgc_f[j] = dc_f;
                dgc_o[j] = 0.0;
                dgc_g[j] = dc_g;
                dcc[j] = fj;
                let q = oj * (1.0 - tj * tj);
                dgh_i[j] = q * dc_i;
                dgh_f[j] = q * dc_f;
                dgh_o[j] = tj * oj * (1.0 - oj);
                dgh_g[j] = q * dc_g;
                dch[j] = q * fj;
            }
        }
    }
);

/// Host copy of a float tensor.
pub fn host(x: &Tensor<2>) -> Vec<f32> {
    x.clone()
        .inner()
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 tensor")
}

/// `x − x.detach()`: exactly zero, with gradient 1 (the identity) w.r.t. `x`.
pub fn delta<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone() - x.detach()
}

/// Builds the LSTM step outputs `(c, h)`, each `[B, H]`, on the graph.
pub(crate) fn lstm_step_tensors(
    g: Tensor<2>,
    c_prev: Option<Tensor<2>>,
    step: &LstmStep,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let [b, four_h] = g.dims();
    let h = four_h / 4;
    let mut out: Tensor<3> = Tensor::from_data(TensorData::new(step.y.clone(), [b, 2, h]), device);
    if g.is_autodiff() {
        let dg: Tensor<4> =
            Tensor::from_data(TensorData::new(step.d_gates.clone(), [b, 2, 4, h]), device);
        let lin: Tensor<4> = (delta(g).reshape([b, 1, 4, h]) * dg).sum_dim(2);
        out = out + lin.reshape([b, 2, h]);
        if let Some(c) = c_prev {
            let dc: Tensor<3> =
                Tensor::from_data(TensorData::new(step.d_c.clone(), [b, 2, h]), device);
            out = out + delta(c).reshape([b, 1, h]) * dc;
        }
    }
    let c = out.clone().narrow(1, 0, 1).reshape([b, h]);
    let hh = out.narrow(1, 1, 1).reshape([b, h]);
    (c, hh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_functions_are_accurate() {
        let mut x = -30.0f32;
        while x < 30.0 {
            let e = (exp_fast(x) - x.exp()).abs() / x.exp();
            assert!(e < 1e-6, "exp {x}: {e}");
            assert!(
                (sigmoid_fast(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6,
                "sigmoid {x}"
            );
            let t = tanh_fast(x);
            assert!(
                (t - x.tanh()).abs() <= 1e-6 * x.tanh().abs().max(1e-1),
                "tanh {x}: {t} vs {}",
                x.tanh()
            );
            x += 0.0137;
        }
        let tiny = sigmoid_fast(-200.0);
        assert!((0.0..1e-37).contains(&tiny), "{tiny}");
        assert_eq!(tanh_fast(100.0), 1.0);
        assert_eq!(tanh_fast(-100.0), -1.0);
    }
}
