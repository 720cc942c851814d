//! The row-chunk layout shared by the whole-sequence recurrent ops ([`super::lstm_seq`],
//! [`super::gru_seq`]): which batch rows run together, how a chunk's time-major buffers
//! map into the batch-wide ones, and the one product that gives the recurrent weight
//! gradient.
//!
//! Batch rows are independent in a recurrence, so each chunk runs its steps on its own
//! (in parallel) and keeps its activations as `[T, rows, ·]`; the batch-wide tensors are
//! `[T, B, ·]`.

use std::ops::Range;

use rayon::prelude::*;

use super::host_gemm::{matmul_parallel, Mat};

/// Shapes of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub t: usize,
    pub b: usize,
    pub h: usize,
}

/// The batch rows `start..start + len`, processed together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    pub start: usize,
    pub len: usize,
}

impl Rows {
    /// This chunk's rows of step `s` in a batch-wide `[T, B, w]` buffer.
    pub(crate) fn in_batch(self, s: usize, b: usize, w: usize) -> Range<usize> {
        let first = s * b + self.start;
        first * w..(first + self.len) * w
    }

    /// Step `s` of this chunk's own `[T, len, w]` buffer.
    pub fn step(self, s: usize, w: usize) -> Range<usize> {
        s * self.len * w..(s + 1) * self.len * w
    }
}

/// Row chunks processed independently (in parallel when threads allow), in order.
///
/// 32-row chunks: on the AVX2 path the per-step product repacks `W_hh` on every call, so
/// taller chunks amortise it better (batch 64 gives one chunk per core on the 2-core
/// machines); the AVX-512 path packs it once per pass ([`super::host_gemm::Rhs`]).
/// Depends only on the batch size, never on the thread count: the matrix kernel may round a
/// row differently for another chunk height, so a thread-dependent split would make the
/// result bits depend on the machine's core count.
pub(crate) fn row_chunks(b: usize) -> Vec<Rows> {
    const ROWS: usize = 32;
    let n = b.div_ceil(ROWS).clamp(1, 8);
    let per = b.div_ceil(n);
    (0..n)
        .map(|i| Rows {
            start: i * per,
            len: per.min(b.saturating_sub(i * per)),
        })
        .filter(|r| r.len > 0)
        .collect()
}

/// A row chunk's saved forward state: its rows, its hidden states and what its layer's
/// backward pass needs besides (`S`), each time-major over the chunk's rows.
#[derive(Debug)]
pub struct Chunk<S> {
    pub rows: Rows,
    /// `[T, rows, H]` hidden states (the chunk's part of the layer output).
    pub hs: Vec<f32>,
    pub saved: S,
}

/// What a layer's backward pass needs from its forward pass: the output and each chunk's
/// saved state.
#[derive(Debug)]
pub struct Tape<S> {
    pub dims: Dims,
    /// `[T, B, H]`: the layer output (also the previous hidden state of the next step).
    pub out: Vec<f32>,
    chunks: Vec<Chunk<S>>,
}

impl<S: Send + Sync> Tape<S> {
    /// Runs `chunk` on every row range of `split` in parallel and gathers the output.
    pub fn record(
        dims: Dims,
        split: Vec<Rows>,
        chunk: impl Fn(Rows) -> Chunk<S> + Send + Sync,
    ) -> Self {
        let chunks: Vec<Chunk<S>> = split.into_par_iter().map(chunk).collect();
        let parts: Vec<(Rows, &[f32])> = chunks.iter().map(|c| (c.rows, &c.hs[..])).collect();
        let out = gather(dims.t, dims.b, dims.h, &parts);
        Tape { dims, out, chunks }
    }

    /// Runs `back` on every chunk in parallel, each writing its own rows of `N` zeroed
    /// batch-wide `[T, B, w]` buffers (written in place: no per-chunk buffers to gather
    /// afterwards, which was a serial copy); returns the buffers.
    pub fn backward<const N: usize>(
        &self,
        w: usize,
        back: impl Fn(&Chunk<S>, [RowsMut<'_>; N]) + Send + Sync,
    ) -> [Vec<f32>; N] {
        let Dims { t, b, .. } = self.dims;
        let mut outs: [Vec<f32>; N] = std::array::from_fn(|_| vec![0f32; t * b * w]);
        let ptrs: [SendPtr; N] = std::array::from_fn(|k| SendPtr(outs[k].as_mut_ptr()));
        self.chunks.par_iter().for_each(|c| {
            let views = ptrs.map(|p| RowsMut {
                base: p,
                t,
                b,
                w,
                rows: c.rows,
                _buf: std::marker::PhantomData,
            });
            back(c, views)
        });
        outs
    }

    #[cfg(test)]
    pub(crate) fn chunk_count(&self) -> usize {
        self.chunks.len()
    }
}

/// One chunk's rows of a batch-wide `[T, B, w]` buffer: each step's rows are one contiguous
/// block, and the chunks of [`row_chunks`] are disjoint, so each chunk may write its own.
pub struct RowsMut<'a> {
    base: SendPtr,
    t: usize,
    b: usize,
    w: usize,
    rows: Rows,
    _buf: std::marker::PhantomData<&'a mut [f32]>,
}

impl RowsMut<'_> {
    /// This chunk's `[rows, w]` block of step `s`.
    pub fn step(&mut self, s: usize) -> &mut [f32] {
        assert!(s < self.t, "step out of range");
        let range = self.rows.in_batch(s, self.b, self.w);
        // SAFETY: the buffer holds `[T, B, w]` (allocated by `Tape::backward`, alive for
        // `'a`), `s < T` and the chunk's rows lie inside the batch; no other chunk's view
        // covers these rows, and `&mut self` keeps this view's blocks unaliased.
        unsafe { std::slice::from_raw_parts_mut(self.base.0.add(range.start), range.len()) }
    }
}

/// A batch-wide buffer's start, shared by the chunks that write disjoint rows of it.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: only used through `RowsMut`, whose views are disjoint.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// The chunks' `[T, rows, w]` buffers as one `[T, B, w]` buffer. `parts` must tile the
/// batch in order (as [`row_chunks`] does); the output is filled by appending, never zeroed.
pub fn gather(t: usize, b: usize, w: usize, parts: &[(Rows, &[f32])]) -> Vec<f32> {
    let mut next = 0;
    for (r, buf) in parts {
        assert_eq!(r.start, next, "chunks must tile the batch in order");
        assert_eq!(buf.len(), t * r.len * w, "chunk buffer shape");
        next += r.len;
    }
    assert_eq!(next, b, "chunks must cover the batch");
    let mut out = Vec::with_capacity(t * b * w);
    for s in 0..t {
        for (r, buf) in parts {
            out.extend_from_slice(&buf[r.step(s, w)]);
        }
    }
    out
}

/// `dW = Σ_{s ≥ 1} h_{s-1}ᵀ · dG_s` (`[H, gw]`) from the layer output `hs` `[T, B, H]` and the
/// gradient of the recurrent pre-activations `dg` `[T, B, gw]`: the zero initial state adds
/// nothing, so it is one product whose inner dimension runs over all later steps and rows.
pub(crate) fn weight_grad(hs: &[f32], dg: &[f32], dims: Dims, gw: usize) -> Vec<f32> {
    let Dims { t, b, h } = dims;
    let mut dw = vec![0f32; h * gw];
    matmul_parallel(
        h,
        gw,
        (t - 1) * b,
        &mut dw,
        false,
        Mat::t(hs, h),
        Mat::rm(&dg[b * gw..], gw),
    );
    dw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_batch() {
        for b in [1, 5, 16, 17, 37, 64, 1000] {
            let c = row_chunks(b);
            assert_eq!(c[0].start, 0);
            assert_eq!(c.iter().map(|r| r.len).sum::<usize>(), b, "b = {b}");
            for w in c.windows(2) {
                assert_eq!(w[0].start + w[0].len, w[1].start);
            }
        }
        assert_eq!(row_chunks(64).len(), 2);
    }

    #[test]
    fn gather_places_each_chunk_row_at_its_batch_row() {
        let (t, b, w) = (3, 5, 2);
        let chunks = [Rows { start: 0, len: 2 }, Rows { start: 2, len: 3 }];
        // Element (s, row, j) of the batch holds 100 s + 10 row + j.
        let bufs: Vec<Vec<f32>> = chunks
            .iter()
            .map(|r| {
                (0..t)
                    .flat_map(|s| {
                        (r.start..r.start + r.len).flat_map(move |row| {
                            (0..w).map(move |j| (100 * s + 10 * row + j) as f32)
                        })
                    })
                    .collect()
            })
            .collect();
        let parts: Vec<(Rows, &[f32])> = chunks
            .iter()
            .copied()
            .zip(bufs.iter().map(|v| &v[..]))
            .collect();
        let out = gather(t, b, w, &parts);
        for s in 0..t {
            for row in 0..b {
                for j in 0..w {
                    assert_eq!(out[(s * b + row) * w + j], (100 * s + 10 * row + j) as f32);
                }
            }
        }
        assert_eq!(
            &out[chunks[1].in_batch(1, b, w)],
            &bufs[1][chunks[1].step(1, w)]
        );
    }

    #[test]
    fn weight_grad_sums_the_products_of_consecutive_steps() {
        let dims = Dims { t: 4, b: 3, h: 2 };
        let gw = 5;
        let hs: Vec<f32> = (0..dims.t * dims.b * dims.h)
            .map(|i| (i as f32 * 0.7).sin())
            .collect();
        let dg: Vec<f32> = (0..dims.t * dims.b * gw)
            .map(|i| (i as f32 * 0.3).cos())
            .collect();
        let dw = weight_grad(&hs, &dg, dims, gw);
        for i in 0..dims.h {
            for j in 0..gw {
                let mut want = 0f64;
                for s in 1..dims.t {
                    for r in 0..dims.b {
                        let hp = hs[((s - 1) * dims.b + r) * dims.h + i] as f64;
                        want += hp * dg[(s * dims.b + r) * gw + j] as f64;
                    }
                }
                assert!((dw[i * gw + j] as f64 - want).abs() < 1e-5, "dw[{i},{j}]");
            }
        }
    }
}
