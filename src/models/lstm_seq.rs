//! A whole LSTM layer over the sequence on host memory: forward with a tape, and
//! backpropagation through time by hand.
//!
//! Why: as an autodiff graph, an LSTM layer is ~10 nodes per time step, and for width 64
//! the bookkeeping of those nodes (allocation, dispatch, the backward walk) cost more than
//! the arithmetic. Here a layer is one call each way: per step one `[rows, H] x [H, 4H]`
//! product ([`super::host_gemm`]) plus a fused, vectorisable pointwise pass; the weight
//! gradient is one product over all steps at the end. Batch rows are independent in the
//! recurrence, so fixed row chunks ([`super::seq_chunks`]) run in parallel without changing
//! any result bit.
//!
//! Layout: gates `[i, f, o, g]` per row of `4H`, tensors time-major `[T, B, ·]`. The input
//! `xp` already holds `x W_ih + b` for every step (one big product outside).

use super::fused::{sigmoid_fast, tanh_fast};
use super::host_gemm::{matmul_rhs, transpose, Mat, Rhs};
use super::seq_chunks::{row_chunks, weight_grad, Chunk, Dims, Rows, RowsMut, Tape};
use super::simd::simd_kernel;

/// What the backward pass needs from the forward pass.
pub(crate) type LstmTape = Tape<Saved>;

/// One row chunk's activations besides its hidden states, time-major over its rows.
#[derive(Debug)]
pub struct Saved {
    /// `[T, rows, 4H]` gate activations (after sigmoid/tanh).
    acts: Vec<f32>,
    /// `[T, rows, H]` cell states.
    c: Vec<f32>,
    /// `[T, rows, H]` `tanh` of the cell states.
    tc: Vec<f32>,
}

/// Forward: `xp` `[T, B, 4H]`, `w` `[H, 4H]` (row-major, `h_{t-1} · w`) → tape with the output.
pub fn forward(xp: &[f32], w: &[f32], dims: Dims) -> LstmTape {
    forward_in_chunks(xp, w, dims, row_chunks(dims.b))
}

fn forward_in_chunks(xp: &[f32], w: &[f32], dims: Dims, split: Vec<Rows>) -> LstmTape {
    let Dims { t, b, h } = dims;
    assert!(t > 0 && b > 0, "empty sequence");
    assert_eq!(xp.len(), t * b * 4 * h, "xp shape");
    assert_eq!(w.len(), h * 4 * h, "w_hh shape");
    let w = Rhs::new(h, 4 * h, Mat::rm(w, 4 * h));
    Tape::record(dims, split, |rows| forward_chunk(xp, &w, dims, rows))
}

fn forward_chunk(xp: &[f32], w: &Rhs, dims: Dims, rows: Rows) -> Chunk<Saved> {
    let Dims { t, b, h } = dims;
    let n = rows.len;
    let mut hs = vec![0f32; t * n * h];
    let mut sv = Saved {
        acts: vec![0f32; t * n * 4 * h],
        c: vec![0f32; t * n * h],
        tc: vec![0f32; t * n * h],
    };
    let mut g = vec![0f32; n * 4 * h];
    for s in 0..t {
        g.copy_from_slice(&xp[rows.in_batch(s, b, 4 * h)]);
        if s > 0 {
            let prev = &hs[rows.step(s - 1, h)];
            matmul_rhs(n, &mut g, true, Mat::rm(prev, h), w);
        }
        let (c_before, c_rest) = sv.c.split_at_mut(s * n * h);
        let c_prev = (s > 0).then(|| &c_before[rows.step(s - 1, h)]);
        cell_forward(
            &g,
            c_prev,
            &mut sv.acts[rows.step(s, 4 * h)],
            &mut c_rest[..n * h],
            &mut sv.tc[rows.step(s, h)],
            &mut hs[rows.step(s, h)],
            h,
        );
    }
    Chunk {
        rows,
        hs,
        saved: sv,
    }
}

simd_kernel!(
    /// Pointwise cell for all rows of one step.
    fn cell_forward(
        g: &[f32],
        c_prev: Option<&[f32]>,
        acts: &mut [f32],
        c: &mut [f32],
        tc: &mut [f32],
        hs: &mut [f32],
        h: usize,
    ) {
        let rows = c.len() / h;
        for r in 0..rows {
            let gr = &g[r * 4 * h..(r + 1) * 4 * h];
            let ar = &mut acts[r * 4 * h..(r + 1) * 4 * h];
            for (a, &x) in ar[..3 * h].iter_mut().zip(&gr[..3 * h]) {
                *a = sigmoid_fast(x);
            }
            for (a, &x) in ar[3 * h..].iter_mut().zip(&gr[3 * h..]) {
                *a = tanh_fast(x);
            }
            let (i, rest) = ar.split_at(h);
            let (f, rest) = rest.split_at(h);
            let (o, gg) = rest.split_at(h);
            let cr = &mut c[r * h..(r + 1) * h];
            match c_prev {
                Some(cp) => {
                    let cp = &cp[r * h..(r + 1) * h];
                    for j in 0..h {
                        cr[j] = f[j] * cp[j] + i[j] * gg[j];
                    }
                }
                None => {
                    for j in 0..h {
                        cr[j] = i[j] * gg[j];
                    }
                }
            }
            let tr = &mut tc[r * h..(r + 1) * h];
            for (t, &x) in tr.iter_mut().zip(cr.iter()) {
                *t = tanh_fast(x);
            }
            for ((y, &oj), &tj) in hs[r * h..(r + 1) * h].iter_mut().zip(o).zip(tr.iter()) {
                *y = oj * tj;
            }
        }
    }
);

/// Backward: `dout` `[T, B, H]` (gradient of the output) → (`dxp` `[T, B, 4H]`, `dw` `[H, 4H]`);
/// `out` is the forward output (`tape.out`, or wherever the caller moved it).
pub fn backward(tape: &LstmTape, out: &[f32], w: &[f32], dout: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let Dims { t, b, h } = tape.dims;
    assert_eq!(dout.len(), t * b * h, "dout shape");
    // Wᵀ once, row-major: the per-step product then reads contiguous rows (the kernel
    // packs a strided transpose noticeably slower).
    let wt = transpose(w, h, 4 * h);
    let wt = Rhs::new(4 * h, h, Mat::rm(&wt, h));
    let [dxp] = tape.backward(4 * h, |ch, [dg]| {
        backward_chunk(ch, &wt, dout, tape.dims, dg)
    });
    let dw = weight_grad(out, &dxp, tape.dims, 4 * h);
    (dxp, dw)
}

/// One chunk's BPTT into its rows of `dg` (`[T, B, 4H]`); `wt` is `W_hhᵀ` `[4H, H]`.
fn backward_chunk(ch: &Chunk<Saved>, wt: &Rhs, dout: &[f32], dims: Dims, mut dg: RowsMut) {
    let Dims { t, b, h } = dims;
    let rows = ch.rows;
    let n = rows.len;
    let mut dh_next = vec![0f32; n * h];
    let mut dc = vec![0f32; n * h];
    for s in (0..t).rev() {
        let c_prev = (s > 0).then(|| &ch.saved.c[rows.step(s - 1, h)]);
        let dgs = dg.step(s);
        cell_backward(
            &dout[rows.in_batch(s, b, h)],
            &dh_next,
            &mut dc,
            &ch.saved.acts[rows.step(s, 4 * h)],
            &ch.saved.tc[rows.step(s, h)],
            c_prev,
            dgs,
            h,
        );
        if s > 0 {
            matmul_rhs(n, &mut dh_next, false, Mat::rm(dgs, 4 * h), wt);
        }
    }
}

simd_kernel!(
    /// One step of BPTT through the pointwise cell; `dc` carries ∂L/∂c from step `s+1` in
    /// and ∂L/∂c_{s-1} out.
    #[allow(clippy::too_many_arguments)]
    fn cell_backward(
        dout: &[f32],
        dh_next: &[f32],
        dc: &mut [f32],
        acts: &[f32],
        tc: &[f32],
        c_prev: Option<&[f32]>,
        dg: &mut [f32],
        h: usize,
    ) {
        let rows = dc.len() / h;
        // c_0 = 0: a zero row keeps the inner loop branch-free (and vectorised).
        let zero_row = vec![0f32; h];
        for r in 0..rows {
            let a = &acts[r * 4 * h..(r + 1) * 4 * h];
            let (i, rest) = a.split_at(h);
            let (f, rest) = rest.split_at(h);
            let (o, gg) = rest.split_at(h);
            let d = &mut dg[r * 4 * h..(r + 1) * 4 * h];
            let (di, rest) = d.split_at_mut(h);
            let (df, rest) = rest.split_at_mut(h);
            let (dout_g, dgg) = rest.split_at_mut(h);
            let dor = &dout[r * h..(r + 1) * h];
            let dnr = &dh_next[r * h..(r + 1) * h];
            let tr = &tc[r * h..(r + 1) * h];
            let dcr = &mut dc[r * h..(r + 1) * h];
            let cp = c_prev.map_or(&zero_row[..], |c| &c[r * h..(r + 1) * h]);
            for j in 0..h {
                let dh = dor[j] + dnr[j];
                let (ij, fj, oj, gj, tj) = (i[j], f[j], o[j], gg[j], tr[j]);
                let dcs = dcr[j] + dh * oj * (1.0 - tj * tj);
                let cpj = cp[j];
                di[j] = dcs * gj * ij * (1.0 - ij);
                df[j] = dcs * cpj * fj * (1.0 - fj);
                dout_g[j] = dh * tj * oj * (1.0 - oj);
                dgg[j] = dcs * ij * (1.0 - gj * gj);
                dcr[j] = dcs * fj;
            }
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32 * 2654435761u32 ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        for (p, q) in a.iter().zip(b) {
            assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
        }
    }

    #[test]
    fn row_split_is_deterministic_and_equivalent() {
        let dims = Dims { t: 6, b: 37, h: 8 };
        let xp = data(dims.t * dims.b * 4 * dims.h, 1);
        let w: Vec<f32> = data(dims.h * 4 * dims.h, 2)
            .iter()
            .map(|v| v * 0.4)
            .collect();
        let dout = data(dims.t * dims.b * dims.h, 3);
        let split = forward(&xp, &w, dims);
        let whole = forward_in_chunks(
            &xp,
            &w,
            dims,
            vec![Rows {
                start: 0,
                len: dims.b,
            }],
        );
        assert!(split.chunk_count() > 1);
        assert_close(&split.out, &whole.out);
        let (dxa, dwa) = backward(&split, &split.out, &w, &dout);
        let (dxb, dwb) = backward(&whole, &whole.out, &w, &dout);
        assert_close(&dxa, &dxb);
        assert_close(&dwa, &dwb);
        assert!(dwa.iter().any(|v| v.abs() > 1e-3));
        // Same input, same bits (the parallel chunks never share an accumulation).
        let again = forward(&xp, &w, dims);
        assert_eq!(split.out, again.out);
        let (dxc, dwc) = backward(&again, &again.out, &w, &dout);
        assert!(dxa == dxc && dwa == dwc);
    }

    #[test]
    fn weight_gradient_matches_finite_differences() {
        // f64 reference of L = Σ dout ⊙ out, perturbing one recurrent weight at a time.
        let dims = Dims { t: 4, b: 3, h: 3 };
        let xp = data(dims.t * dims.b * 4 * dims.h, 5);
        let w: Vec<f32> = data(dims.h * 4 * dims.h, 6);
        let dout = data(dims.t * dims.b * dims.h, 7);
        let loss = |w: &[f32]| -> f64 {
            let tape = forward(&xp, w, dims);
            tape.out
                .iter()
                .zip(&dout)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum()
        };
        let tape = forward(&xp, &w, dims);
        let (_, dw) = backward(&tape, &tape.out, &w, &dout);
        for k in [0, 5, 13, 35] {
            let eps = 1e-2f32;
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[k] += eps;
            wm[k] -= eps;
            let fd = (loss(&wp) - loss(&wm)) / (2.0 * eps as f64);
            assert!(
                (fd - dw[k] as f64).abs() < 2e-3 * (1.0 + fd.abs()),
                "w[{k}]: {fd} vs {}",
                dw[k]
            );
        }
    }
}
