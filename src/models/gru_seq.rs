//! A whole GRU layer (PyTorch semantics, `reset_after`) over the sequence on host memory:
//! forward with a tape, and backpropagation through time by hand.
//!
//! Same reasons and structure as [`super::lstm_seq`]. Gates `[r, z, n]` per row of `3H`:
//! `hp = h_{t-1} W_hh + b_hh`, `r, z = σ(x_r + hp_r), σ(x_z + hp_z)`,
//! `n = tanh(x_n + r ⊙ hp_n)`, `h_t = n + z ⊙ (h_{t-1} − n)`. The input `xp` holds
//! `x W_ih + b_ih` for every step.

use super::fused::{sigmoid_fast, tanh_fast};
use super::host_gemm::{matmul_rhs, transpose, Mat, Rhs};
use super::seq_chunks::{row_chunks, weight_grad, Chunk, Dims, Rows, RowsMut, Tape};
use super::simd::simd_kernel;

/// What the backward pass needs from the forward pass.
pub(crate) type GruTape = Tape<Saved>;

/// One row chunk's activations besides its hidden states: `[T, rows, 4H]` holding `r`, `z`,
/// `n` and `hp_n` (the recurrent part inside `n`).
#[derive(Debug)]
pub struct Saved {
    acts: Vec<f32>,
}

/// Forward: `xp` `[T, B, 3H]`, `w` `[H, 3H]`, `bias` `[3H]` → tape with the output.
pub fn forward(xp: &[f32], w: &[f32], bias: &[f32], dims: Dims) -> GruTape {
    let Dims { t, b, h } = dims;
    assert!(t > 0 && b > 0, "empty sequence");
    assert_eq!(xp.len(), t * b * 3 * h, "xp shape");
    assert_eq!(w.len(), h * 3 * h, "w_hh shape");
    assert_eq!(bias.len(), 3 * h, "b_hh shape");
    let w = Rhs::new(h, 3 * h, Mat::rm(w, 3 * h));
    Tape::record(dims, row_chunks(b), |rows| {
        forward_chunk(xp, &w, bias, dims, rows)
    })
}

fn forward_chunk(xp: &[f32], w: &Rhs, bias: &[f32], dims: Dims, rows: Rows) -> Chunk<Saved> {
    let Dims { t, b, h } = dims;
    let n = rows.len;
    let mut acts = vec![0f32; t * n * 4 * h];
    let mut hs = vec![0f32; t * n * h];
    let mut hp = vec![0f32; n * 3 * h];
    let zero_state = vec![0f32; n * h];
    for s in 0..t {
        for row in hp.chunks_mut(3 * h) {
            row.copy_from_slice(bias);
        }
        let (before, rest) = hs.split_at_mut(s * n * h);
        let prev = if s > 0 {
            &before[rows.step(s - 1, h)]
        } else {
            &zero_state[..]
        };
        if s > 0 {
            matmul_rhs(n, &mut hp, true, Mat::rm(prev, h), w);
        }
        cell_forward(
            &xp[rows.in_batch(s, b, 3 * h)],
            &hp,
            prev,
            &mut acts[rows.step(s, 4 * h)],
            &mut rest[..n * h],
            h,
        );
    }
    Chunk {
        rows,
        hs,
        saved: Saved { acts },
    }
}

simd_kernel!(
    fn cell_forward(
        x: &[f32],
        hp: &[f32],
        prev: &[f32],
        acts: &mut [f32],
        hs: &mut [f32],
        h: usize,
    ) {
        let rows = hs.len() / h;
        for r in 0..rows {
            let xr = &x[r * 3 * h..(r + 1) * 3 * h];
            let pr = &hp[r * 3 * h..(r + 1) * 3 * h];
            let hprev = &prev[r * h..(r + 1) * h];
            let hr = &mut hs[r * h..(r + 1) * h];
            let a = &mut acts[r * 4 * h..(r + 1) * 4 * h];
            let (ar, rest) = a.split_at_mut(h);
            let (az, rest) = rest.split_at_mut(h);
            let (an, ap) = rest.split_at_mut(h);
            // Per-gate slices of equal length: no bounds checks in the loop, so it vectorises.
            let (xr_r, rest) = xr.split_at(h);
            let (xr_z, xr_n) = rest.split_at(h);
            let (pr_r, rest) = pr.split_at(h);
            let (pr_z, pr_n) = rest.split_at(h);
            let (xr_n, pr_n, hprev) = (&xr_n[..h], &pr_n[..h], &hprev[..h]);
            let (ar, az, an, ap, hr) = (
                &mut ar[..h],
                &mut az[..h],
                &mut an[..h],
                &mut ap[..h],
                &mut hr[..h],
            );
            for j in 0..h {
                let rg = sigmoid_fast(xr_r[j] + pr_r[j]);
                let zg = sigmoid_fast(xr_z[j] + pr_z[j]);
                let hpn = pr_n[j];
                let ng = tanh_fast(xr_n[j] + rg * hpn);
                hr[j] = ng + zg * (hprev[j] - ng);
                ar[j] = rg;
                az[j] = zg;
                an[j] = ng;
                ap[j] = hpn;
            }
        }
    }
);

/// Backward: `dout` `[T, B, H]` → (`dxp` `[T, B, 3H]`, `dw` `[H, 3H]`, `db` `[3H]`).
/// `out` is the forward output (`tape.out`, or wherever the caller moved it).
pub fn backward(
    tape: &GruTape,
    out: &[f32],
    w: &[f32],
    dout: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let Dims { t, b, h } = tape.dims;
    assert_eq!(dout.len(), t * b * h, "dout shape");
    // Wᵀ once, row-major (see `lstm_seq::backward`).
    let wt = transpose(w, h, 3 * h);
    let wt = Rhs::new(3 * h, h, Mat::rm(&wt, h));
    let [dxp, dhp] = tape.backward(3 * h, |ch, [dxp, dhp]| {
        backward_chunk(ch, &wt, dout, tape.dims, dxp, dhp)
    });
    // h_0 = 0 adds nothing to dW; db sums over every step and row.
    let dw = weight_grad(out, &dhp, tape.dims, 3 * h);
    let mut db = vec![0f32; 3 * h];
    for row in dhp.chunks(3 * h) {
        for (d, v) in db.iter_mut().zip(row) {
            *d += v;
        }
    }
    (dxp, dw, db)
}

/// One chunk's BPTT (`wt` = `W_hhᵀ` `[3H, H]`) into its rows of `dxp` and `dhp` (gradient
/// of `hp`), both `[T, B, 3H]`.
fn backward_chunk(
    ch: &Chunk<Saved>,
    wt: &Rhs,
    dout: &[f32],
    dims: Dims,
    mut dxp: RowsMut,
    mut dhp: RowsMut,
) {
    let Dims { t, b, h } = dims;
    let rows = ch.rows;
    let n = rows.len;
    let mut dh_next = vec![0f32; n * h];
    let zero_state = vec![0f32; n * h];
    for s in (0..t).rev() {
        let prev = if s > 0 {
            &ch.hs[rows.step(s - 1, h)]
        } else {
            &zero_state[..]
        };
        let dps = dhp.step(s);
        cell_backward(
            &dout[rows.in_batch(s, b, h)],
            &mut dh_next,
            prev,
            &ch.saved.acts[rows.step(s, 4 * h)],
            dxp.step(s),
            dps,
            h,
        );
        if s > 0 {
            matmul_rhs(n, &mut dh_next, true, Mat::rm(dps, 3 * h), wt);
        }
    }
}

simd_kernel!(
    /// One step through the pointwise cell. `dh` holds the gradient reaching `h_s` from
    /// step `s+1` on entry and the direct part of ∂L/∂h_{s-1} (`dh ⊙ z`) on exit; the
    /// caller adds the part through `hp`.
    fn cell_backward(
        dout: &[f32],
        dh: &mut [f32],
        prev: &[f32],
        acts: &[f32],
        dx: &mut [f32],
        dp: &mut [f32],
        h: usize,
    ) {
        let rows = dh.len() / h;
        for r in 0..rows {
            let a = &acts[r * 4 * h..(r + 1) * 4 * h];
            let (ar, rest) = a.split_at(h);
            let (az, rest) = rest.split_at(h);
            let (an, ap) = rest.split_at(h);
            let dor = &dout[r * h..(r + 1) * h];
            let hprev = &prev[r * h..(r + 1) * h];
            let dhr = &mut dh[r * h..(r + 1) * h];
            let dxr = &mut dx[r * 3 * h..(r + 1) * 3 * h];
            let dpr = &mut dp[r * 3 * h..(r + 1) * 3 * h];
            for j in 0..h {
                let g = dor[j] + dhr[j];
                let (rg, zg, ng, hpn) = (ar[j], az[j], an[j], ap[j]);
                let dz = g * (hprev[j] - ng) * zg * (1.0 - zg);
                let dn = g * (1.0 - zg) * (1.0 - ng * ng);
                let dr = dn * hpn * rg * (1.0 - rg);
                dxr[j] = dr;
                dxr[h + j] = dz;
                dxr[2 * h + j] = dn;
                dpr[j] = dr;
                dpr[h + j] = dz;
                dpr[2 * h + j] = dn * rg;
                dhr[j] = g * zg;
            }
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2654435761) ^ seed) % 2001)
            .map(|v| v as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn gradients_match_finite_differences() {
        // L = Σ dout ⊙ out in f64, perturbing inputs, recurrent weights and biases.
        let dims = Dims { t: 4, b: 3, h: 3 };
        let xp = data(dims.t * dims.b * 3 * dims.h, 1);
        let w = data(dims.h * 3 * dims.h, 2);
        let bias = data(3 * dims.h, 3);
        let dout = data(dims.t * dims.b * dims.h, 4);
        let loss = |xp: &[f32], w: &[f32], bias: &[f32]| -> f64 {
            let tape = forward(xp, w, bias, dims);
            tape.out
                .iter()
                .zip(&dout)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum()
        };
        let tape = forward(&xp, &w, &bias, dims);
        let (dxp, dw, db) = backward(&tape, &tape.out, &w, &dout);
        let eps = 1e-2f32;
        let fd = |f: &dyn Fn(f32) -> f64| (f(eps) - f(-eps)) / (2.0 * eps as f64);
        let check = |fd: f64, got: f32, what: &str| {
            assert!(
                (fd - got as f64).abs() < 2e-3 * (1.0 + fd.abs()),
                "{what}: {fd} vs {got}"
            );
        };
        for k in [0, 4, 8, 26] {
            let g = fd(&|e| {
                let mut w2 = w.clone();
                w2[k] += e;
                loss(&xp, &w2, &bias)
            });
            check(g, dw[k], &format!("w[{k}]"));
        }
        for k in [0, 5, 8] {
            let g = fd(&|e| {
                let mut b2 = bias.clone();
                b2[k] += e;
                loss(&xp, &w, &b2)
            });
            check(g, db[k], &format!("b[{k}]"));
        }
        for k in [0, 13, 50, 107] {
            let g = fd(&|e| {
                let mut x2 = xp.clone();
                x2[k] += e;
                loss(&x2, &w, &bias)
            });
            check(g, dxp[k], &format!("xp[{k}]"));
        }
    }
}
