//! A whole LSTM layer over the sequence on host memory: forward with a tape, and
//! backpropagation through time by hand.
//!
//! Why: as an autodiff graph, an LSTM layer is ~10 nodes per time step, and for width 64
//! the bookkeeping of those nodes (allocation, dispatch, the backward walk) cost more than
//! the arithmetic. Here a layer is one call each way: per step one `[rows, H] x [H, 4H]`
//! product ([`super::host_gemm`]) plus a fused, vectorisable pointwise pass; the weight
//! gradient is one product over all steps at the end. Batch rows are independent in the
//! recurrence, so fixed row chunks run in parallel without changing any result bit.
//!
//! Layout: gates `[i, f, o, g]` per row of `4H`, tensors time-major `[T, B, ·]`. The input
//! `xp` already holds `x W_ih + b` for every step (one big product outside).

use rayon::prelude::*;

use super::fused::{sigmoid_fast, tanh_fast};
use super::host_gemm::{matmul, matmul_parallel, Mat};
pub use super::host_gemm::{row_chunks, Dims};
use super::simd::with_avx2;

/// What the backward pass needs from the forward pass.
#[derive(Debug)]
pub struct LstmTape {
    pub dims: Dims,
    /// `[T, B, H]`: the layer output (also the previous hidden state of the next step).
    pub out: Vec<f32>,
    chunks: Vec<Chunk>,
}

/// One row chunk's saved activations, each time-major over the chunk's rows.
#[derive(Debug)]
struct Chunk {
    start: usize,
    rows: usize,
    /// `[T, rows, 4H]` gate activations (after sigmoid/tanh).
    acts: Vec<f32>,
    /// `[T, rows, H]` cell states.
    c: Vec<f32>,
    /// `[T, rows, H]` `tanh` of the cell states.
    tc: Vec<f32>,
    /// `[T, rows, H]` hidden states (the chunk's part of `out`).
    hs: Vec<f32>,
}

/// Forward: `xp` `[T, B, 4H]`, `w` `[H, 4H]` (row-major, `h_{t-1} · w`) → tape with the output.
pub fn forward(xp: &[f32], w: &[f32], dims: Dims) -> LstmTape {
    forward_in_chunks(xp, w, dims, row_chunks(dims.b))
}

fn forward_in_chunks(xp: &[f32], w: &[f32], dims: Dims, split: Vec<(usize, usize)>) -> LstmTape {
    let Dims { t, b, h } = dims;
    assert!(t > 0 && b > 0, "empty sequence");
    assert_eq!(xp.len(), t * b * 4 * h, "xp shape");
    assert_eq!(w.len(), h * 4 * h, "w_hh shape");
    let chunks: Vec<Chunk> = split
        .into_par_iter()
        .map(|(start, rows)| forward_chunk(xp, w, dims, start, rows))
        .collect();
    let mut out = vec![0f32; t * b * h];
    for ch in &chunks {
        for s in 0..t {
            let dst = (s * b + ch.start) * h;
            out[dst..dst + ch.rows * h]
                .copy_from_slice(&ch.hs[s * ch.rows * h..(s + 1) * ch.rows * h]);
        }
    }
    LstmTape { dims, out, chunks }
}

fn forward_chunk(xp: &[f32], w: &[f32], dims: Dims, start: usize, rows: usize) -> Chunk {
    let Dims { t, b, h } = dims;
    let mut ch = Chunk {
        start,
        rows,
        acts: vec![0f32; t * rows * 4 * h],
        c: vec![0f32; t * rows * h],
        tc: vec![0f32; t * rows * h],
        hs: vec![0f32; t * rows * h],
    };
    let mut g = vec![0f32; rows * 4 * h];
    for s in 0..t {
        let src = (s * b + start) * 4 * h;
        g.copy_from_slice(&xp[src..src + rows * 4 * h]);
        if s > 0 {
            let prev = &ch.hs[(s - 1) * rows * h..s * rows * h];
            matmul(
                rows,
                4 * h,
                h,
                &mut g,
                true,
                Mat::rm(prev, h),
                Mat::rm(w, 4 * h),
            );
        }
        let (c_before, c_rest) = ch.c.split_at_mut(s * rows * h);
        let c_prev = (s > 0).then(|| &c_before[(s - 1) * rows * h..]);
        cell_forward(
            &g,
            c_prev,
            &mut ch.acts[s * rows * 4 * h..(s + 1) * rows * 4 * h],
            &mut c_rest[..rows * h],
            &mut ch.tc[s * rows * h..(s + 1) * rows * h],
            &mut ch.hs[s * rows * h..(s + 1) * rows * h],
            h,
        );
    }
    ch
}

with_avx2!(
    /// Pointwise cell for all rows of one step (AVX2+FMA build when the CPU has it).
    fn cell_forward(
        g: &[f32],
        c_prev: Option<&[f32]>,
        acts: &mut [f32],
        c: &mut [f32],
        tc: &mut [f32],
        hs: &mut [f32],
        h: usize,
    ) = cell_forward_body;
);

#[inline(always)]
fn cell_forward_body(
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

/// Backward: `dout` `[T, B, H]` (gradient of the output) → (`dxp` `[T, B, 4H]`, `dw` `[H, 4H]`).
pub fn backward(tape: &LstmTape, w: &[f32], dout: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let Dims { t, b, h } = tape.dims;
    assert_eq!(dout.len(), t * b * h, "dout shape");
    // Wᵀ once, row-major: the per-step product then reads contiguous rows (the kernel
    // packs a strided transpose noticeably slower).
    let wt = transpose(w, h, 4 * h);
    let dgs: Vec<Vec<f32>> = tape
        .chunks
        .par_iter()
        .map(|ch| backward_chunk(ch, &wt, dout, tape.dims))
        .collect();
    let mut dxp = vec![0f32; t * b * 4 * h];
    for (ch, dg) in tape.chunks.iter().zip(&dgs) {
        let n = ch.rows * 4 * h;
        for s in 0..t {
            let dst = (s * b + ch.start) * 4 * h;
            dxp[dst..dst + n].copy_from_slice(&dg[s * n..(s + 1) * n]);
        }
    }
    // dW = Σ_{s ≥ 1} h_{s-1}ᵀ · dG_s: one product with all steps and rows as the inner dimension.
    let mut dw = vec![0f32; h * 4 * h];
    let k = (t - 1) * b;
    matmul_parallel(
        h,
        4 * h,
        k,
        &mut dw,
        false,
        Mat::t(&tape.out, h),
        Mat::rm(&dxp[b * 4 * h..], 4 * h),
    );
    (dxp, dw)
}

/// `[rows, cols]` row-major → `[cols, rows]` row-major.
pub(crate) fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; rows * cols];
    for (i, row) in a.chunks(cols).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j * rows + i] = v;
        }
    }
    out
}

/// One chunk's BPTT; `wt` is `W_hhᵀ` `[4H, H]`.
fn backward_chunk(ch: &Chunk, wt: &[f32], dout: &[f32], dims: Dims) -> Vec<f32> {
    let Dims { t, b, h } = dims;
    let rows = ch.rows;
    let mut dg = vec![0f32; t * rows * 4 * h];
    let mut dh_next = vec![0f32; rows * h];
    let mut dc = vec![0f32; rows * h];
    for s in (0..t).rev() {
        let src = (s * b + ch.start) * h;
        let c_prev = (s > 0).then(|| &ch.c[(s - 1) * rows * h..s * rows * h]);
        let dgs = &mut dg[s * rows * 4 * h..(s + 1) * rows * 4 * h];
        cell_backward(
            &dout[src..src + rows * h],
            &dh_next,
            &mut dc,
            &ch.acts[s * rows * 4 * h..(s + 1) * rows * 4 * h],
            &ch.tc[s * rows * h..(s + 1) * rows * h],
            c_prev,
            dgs,
            h,
        );
        if s > 0 {
            matmul(
                rows,
                h,
                4 * h,
                &mut dh_next,
                false,
                Mat::rm(dgs, 4 * h),
                Mat::rm(wt, h),
            );
        }
    }
    dg
}

with_avx2!(
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
    ) = cell_backward_body;
);

/// One step of BPTT through the pointwise cell; `dc` carries ∂L/∂c from step `s+1` in and
/// ∂L/∂c_{s-1} out.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cell_backward_body(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32 * 2654435761u32 ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn chunks_cover_the_batch() {
        for b in [1, 5, 16, 17, 37, 64, 1000] {
            let c = row_chunks(b);
            assert_eq!(c[0].0, 0);
            assert_eq!(c.iter().map(|x| x.1).sum::<usize>(), b, "b = {b}");
            for w in c.windows(2) {
                assert_eq!(w[0].0 + w[0].1, w[1].0);
            }
        }
        assert_eq!(row_chunks(64).len(), 2);
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
        let whole = forward_in_chunks(&xp, &w, dims, vec![(0, dims.b)]);
        assert!(split.chunks.len() > 1);
        assert_close(&split.out, &whole.out);
        let (dxa, dwa) = backward(&split, &w, &dout);
        let (dxb, dwb) = backward(&whole, &w, &dout);
        assert_close(&dxa, &dxb);
        assert_close(&dwa, &dwb);
        assert!(dwa.iter().any(|v| v.abs() > 1e-3));
        // Same input, same bits (the parallel chunks never share an accumulation).
        let again = forward(&xp, &w, dims);
        assert_eq!(split.out, again.out);
        let (dxc, dwc) = backward(&again, &w, &dout);
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
        let (_, dw) = backward(&forward(&xp, &w, dims), &w, &dout);
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
