//! Row-major `f32` matrix products on host slices, for the whole-sequence recurrent ops
//! and the fused linear ops.
//!
//! Why not burn's matmul: inside a recurrence each step's product is `[B, H] x [H, kH]`
//! (about a million multiply-adds); dispatching it as a tensor op costs more than the
//! arithmetic. The `gemm` crate is the kernel burn-flex itself uses, called directly; on
//! the AVX-512 path ([`super::isa`]) seqlab's own kernel ([`gemm512`]) runs instead.

#[cfg(target_arch = "x86_64")]
use super::gemm512;
use super::isa::{isa, Isa};

/// A row-major matrix view: `rows x cols` with element `(i, j)` at `i * ld + j`, or its
/// transpose (`trans`: element `(i, j)` at `j * ld + i`).
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub ld: usize,
    pub trans: bool,
}

impl<'a> Mat<'a> {
    /// A plain row-major matrix with `ld` elements per row.
    pub fn rm(data: &'a [f32], ld: usize) -> Self {
        Self {
            data,
            ld,
            trans: false,
        }
    }

    /// The transpose of the row-major matrix `data` (with `ld` elements per stored row).
    pub fn t(data: &'a [f32], ld: usize) -> Self {
        Self {
            data,
            ld,
            trans: true,
        }
    }

    /// The view from column `j0` on (same strides).
    fn cols_from(&self, j0: usize) -> Self {
        let (cs, _) = self.strides();
        Self {
            data: &self.data[j0 * cs as usize..],
            ..*self
        }
    }

    /// `(column stride, row stride)` as `gemm` wants them.
    fn strides(&self) -> (isize, isize) {
        if self.trans {
            (self.ld as isize, 1)
        } else {
            (1, self.ld as isize)
        }
    }

    /// Index one past the last element read for an `rows x cols` view.
    fn extent(&self, rows: usize, cols: usize) -> usize {
        if rows == 0 || cols == 0 {
            return 0;
        }
        let (cs, rs) = self.strides();
        (rows - 1) * rs as usize + (cols - 1) * cs as usize + 1
    }

    /// The `rows x cols` view starting at element `(i0, j0)`, as the kernel takes it.
    /// Panics when the view reaches past the data.
    fn operand(&self, i0: usize, j0: usize, rows: usize, cols: usize) -> Operand {
        let (cs, rs) = self.strides();
        let off = i0 * rs as usize + j0 * cs as usize;
        assert!(
            self.data.len() >= off + self.extent(rows, cols),
            "operand too small"
        );
        (self.data[off..].as_ptr(), cs, rs)
    }
}

impl Mat<'_> {
    /// Columns `j0..j0 + cols` of the `k`-row view, packed for [`gemm512`].
    #[cfg(target_arch = "x86_64")]
    fn packed(&self, j0: usize, k: usize, cols: usize) -> gemm512::PackedB {
        let (cs, rs) = self.strides();
        let (cs, rs) = (cs as usize, rs as usize);
        gemm512::PackedB::new(k, cols, &self.data[j0 * cs..], cs, rs)
    }
}

/// A matrix as `gemm` takes it: pointer to the first element, column stride, row stride.
pub(super) type Operand = (*const f32, isize, isize);

/// The right-hand side of one or many products (`k x n`), packed once for [`gemm512`] on
/// the AVX-512 path. A recurrence prepares its weight once per pass and reuses it at every
/// step.
pub(crate) struct Rhs<'a> {
    k: usize,
    n: usize,
    b: Mat<'a>,
    #[cfg(target_arch = "x86_64")]
    packed: Option<gemm512::PackedB>,
}

impl<'a> Rhs<'a> {
    /// `b` as the `k x n` right-hand side. Panics when the view reaches past the data.
    pub fn new(k: usize, n: usize, b: Mat<'a>) -> Self {
        b.operand(0, 0, k, n);
        Rhs {
            k,
            n,
            b,
            #[cfg(target_arch = "x86_64")]
            packed: (isa() == Isa::Avx512 && k > 0 && n > 0).then(|| b.packed(0, k, n)),
        }
    }

    /// `dst` block `rows x cols` (row stride `dst_rs`) `(+)= a[i0.., ..] · self[.., col0..]`.
    ///
    /// # Safety
    /// `dst` must be valid for the block; `a`'s rows were bounds-checked by the caller.
    #[allow(clippy::too_many_arguments)]
    unsafe fn product(
        &self,
        rows: usize,
        cols: usize,
        dst: *mut f32,
        dst_rs: usize,
        accumulate: bool,
        a: Mat,
        i0: usize,
        col0: usize,
    ) {
        let k = self.k;
        #[cfg(target_arch = "x86_64")]
        if let Some(packed) = &self.packed {
            let ((a_cs, a_rs), (b_cs, b_rs)) = (a.strides(), self.b.strides());
            let strides = |(cs, rs): (isize, isize)| (cs as usize, rs as usize);
            let plan = gemm512::k_block(
                rows,
                cols,
                k,
                dst_rs,
                strides((a_cs, a_rs)),
                strides((b_cs, b_rs)),
            );
            if let Some(kc) = plan {
                let a_view = &a.data[i0 * a_rs as usize..];
                let (a_cs, a_rs) = (a_cs as usize, a_rs as usize);
                // SAFETY: packed only on the AVX-512 path, whose CPU has AVX-512F.
                return if col0.is_multiple_of(32) {
                    gemm512::product(
                        rows, cols, kc, dst, dst_rs, accumulate, a_view, a_cs, a_rs, packed, col0,
                    )
                } else {
                    let part = self.b.packed(col0, k, cols);
                    gemm512::product(
                        rows, cols, kc, dst, dst_rs, accumulate, a_view, a_cs, a_rs, &part, 0,
                    )
                };
            }
        }
        let (a, b) = (a.operand(i0, 0, rows, k), self.b.operand(0, col0, k, cols));
        kernel(rows, cols, k, dst, dst_rs, accumulate, a, b)
    }
}

/// `dst[m x n] (+)= a[m x k] · b[k x n]`; `dst` is row-major with `n` columns.
///
/// Single-threaded on purpose: callers parallelise over independent batch rows, and the
/// result bits must not depend on the thread count.
pub(crate) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: Mat,
    b: Mat,
) {
    matmul_rhs(m, dst, accumulate, a, &Rhs::new(k, n, b))
}

/// [`matmul`] with a prepared right-hand side.
pub(crate) fn matmul_rhs(m: usize, dst: &mut [f32], accumulate: bool, a: Mat, b: &Rhs) {
    let (n, k) = (b.n, b.k);
    assert!(dst.len() >= m * n, "dst too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    a.operand(0, 0, m, k);
    // SAFETY: `dst` holds `m x n`; `a` was bounds-checked above, `b` by `Rhs::new`.
    unsafe { b.product(m, n, dst.as_mut_ptr(), n, accumulate, a, 0, 0) }
}

/// [`matmul`] on the rayon pool, for one large product.
///
/// Why not `gemm`'s own rayon mode: for these shapes (a few thousand rows, 64–256 columns)
/// its tile scheduling woke the pool for many small tasks; two halves of the output (rows,
/// or columns when there are few rows), each a single-threaded call, is one fork per
/// product. The split depends only on the shapes, never the inner dimension, so the bits
/// do not depend on the thread count.
pub(crate) fn matmul_parallel(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: Mat,
    b: Mat,
) {
    assert!(dst.len() >= m * n, "dst too small");
    // SAFETY: `dst` holds `m x n` initialised values.
    unsafe { split_product(m, n, k, dst.as_mut_ptr(), accumulate, None, a, b) }
}

/// `bias + a · b` (`bias` added to every row) as a new `m x n` row-major buffer, split like
/// [`matmul_parallel`]; each half writes the bias into its own block before its product, so
/// filling the output is not a serial pass before the fork. Same bits as filling `dst` with
/// the bias rows and calling `matmul_parallel(.., accumulate = true, ..)`.
pub(crate) fn matmul_parallel_bias(
    m: usize,
    n: usize,
    k: usize,
    bias: &[f32],
    a: Mat,
    b: Mat,
) -> Vec<f32> {
    assert_eq!(bias.len(), n, "bias length");
    let mut dst = Vec::<f32>::with_capacity(m * n);
    // SAFETY: the buffer has room for `m x n`; `split_product` writes the bias into every
    // element (each half its block) before reading any, so all are initialised after it.
    unsafe {
        split_product(m, n, k, dst.as_mut_ptr(), true, Some(bias), a, b);
        dst.set_len(m * n);
    }
    dst
}

/// The body of [`matmul_parallel`]: `dst (+)= a · b`, where with `bias` each block is first
/// set to the bias rows (then `accumulate` must be true).
///
/// # Safety
/// `dst` must be valid for `m x n` writes, and initialised unless `bias` is given.
#[allow(clippy::too_many_arguments)]
unsafe fn split_product(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    accumulate: bool,
    bias: Option<&[f32]>,
    a: Mat,
    b: Mat,
) {
    let dst_ptr = SendPtr(dst);
    // The block of `rows x cols` from `(i0, j0)`, set to the bias where given.
    let init = |i0: usize, rows: usize, j0: usize, cols: usize| {
        if let Some(bias) = bias {
            for i in i0..i0 + rows {
                // SAFETY: row `i`, columns `j0..j0 + cols` lie inside `dst` and belong to
                // the caller's block.
                let row = unsafe { std::slice::from_raw_parts_mut(dst_ptr.at(i * n + j0), cols) };
                row.copy_from_slice(&bias[j0..j0 + cols]);
            }
        }
    };
    // Small products are not worth waking the pool for.
    if m * n * k < 1 << 18 || (m < 16 && n < 16) {
        init(0, m, 0, n);
        // SAFETY: `dst` holds `m x n`, now initialised.
        let dst = unsafe { std::slice::from_raw_parts_mut(dst, m * n) };
        return matmul(m, n, k, dst, accumulate, a, b);
    }
    a.operand(0, 0, m, k);
    b.operand(0, 0, k, n);
    let half = |len: usize, unit: usize| (len / 2).div_ceil(unit) * unit;
    if m >= n {
        let b = Rhs::new(k, n, b);
        // Rows: the halves of `dst` and of `a` are disjoint, `b` is shared. (Both paths
        // split alike: `gemm`'s blocking, which the AVX-512 kernel follows, depends on the
        // shapes of each call.)
        let m0 = half(m, 8);
        let run = |i0: usize, rows: usize| {
            init(i0, rows, 0, n);
            // SAFETY: the rows [i0, i0 + rows) of dst belong to this call only.
            unsafe { b.product(rows, n, dst_ptr.at(i0 * n), n, accumulate, a, i0, 0) }
        };
        rayon::join(|| run(0, m0), || run(m0, m - m0));
    } else {
        // Columns: each half writes its own columns of every `dst` row, and packs only its
        // own columns of `b` (here `b` is the large operand, e.g. `dY` of a weight gradient:
        // packing it whole before the fork was serial work). The kernel sees the same
        // 32-column panels either way, so the bits do not change.
        let n0 = half(n, 8);
        let run = |j0: usize, cols: usize| {
            init(0, m, j0, cols);
            let part = Rhs::new(k, cols, b.cols_from(j0));
            // SAFETY: the columns [j0, j0 + cols) of dst belong to this call only.
            unsafe { part.product(m, cols, dst_ptr.at(j0), n, accumulate, a, 0, 0) }
        };
        rayon::join(|| run(0, n0), || run(n0, n - n0));
    }
}

/// A destination pointer shared by the two halves of a split product (disjoint writes).
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: each user writes a disjoint region.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}
impl SendPtr {
    fn at(self, off: usize) -> *mut f32 {
        // SAFETY: callers stay inside the destination slice.
        unsafe { self.0.add(off) }
    }
}

/// One single-threaded kernel call on raw operands; `dst` is row-major with row stride
/// `dst_rs`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: Operand,
    b: Operand,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        a.0,
        a.1,
        a.2,
        b.0,
        b.1,
        b.2,
        1.0,
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        m: usize,
        n: usize,
        k: usize,
        a: &dyn Fn(usize, usize) -> f32,
        b: &dyn Fn(usize, usize) -> f32,
    ) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a(i, p) * b(p, j)).sum();
            }
        }
        out
    }

    #[test]
    fn parallel_product_splits_rows_and_columns_correctly() {
        // Tall (row split, transposed lhs) and wide (column split, transposed rhs), with
        // accumulation; each against the naive product, and repeated calls bit-identical.
        for &(m, n, k) in &[(300, 24, 100), (24, 300, 100), (64, 96, 3000)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect(); // [k, m]
            let bt: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect(); // [n, k]
            let mut par = vec![0.5f32; m * n];
            matmul_parallel(m, n, k, &mut par, true, Mat::t(&a, m), Mat::t(&bt, k));
            let want = naive(m, n, k, &|i, p| a[p * m + i], &|p, j| bt[j * k + p]);
            for (d, w) in par.iter().zip(&want) {
                assert!((d - (w + 0.5)).abs() < 1e-3, "{d} vs {}", w + 0.5);
            }
            let mut again = vec![0.5f32; m * n];
            matmul_parallel(m, n, k, &mut again, true, Mat::t(&a, m), Mat::t(&bt, k));
            assert_eq!(par, again);
        }
    }

    #[test]
    fn bias_product_equals_filling_the_bias_then_accumulating() {
        // Row split, column split (transposed lhs, as a weight gradient) and the small
        // single-call path; bit-identical to the two-pass form.
        for &(m, n, k, lhs_t) in &[
            (300, 24, 100, false),
            (24, 300, 100, true),
            (5, 7, 3, false),
        ] {
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect(); // [k, n]
            let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.5 - 3.0).collect();
            let lhs = if lhs_t { Mat::t(&a, m) } else { Mat::rm(&a, k) };
            let got = matmul_parallel_bias(m, n, k, &bias, lhs, Mat::rm(&b, n));
            let mut want: Vec<f32> = (0..m).flat_map(|_| bias.iter().copied()).collect();
            matmul_parallel(m, n, k, &mut want, true, lhs, Mat::rm(&b, n));
            assert_eq!(got, want, "m {m} n {n} k {k}");
            let a_at = |i: usize, p: usize| if lhs_t { a[p * m + i] } else { a[i * k + p] };
            let naive = naive(m, n, k, &a_at, &|p, j| b[p * n + j]);
            for (i, (g, w)) in got.iter().zip(&naive).enumerate() {
                let w = w + bias[i % n];
                assert!((g - w).abs() < 1e-3 * (1.0 + w.abs()), "{g} vs {w}");
            }
        }
    }

    #[test]
    fn matches_naive_product_with_transposes_and_accumulation() {
        let (m, n, k) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.11).cos()).collect(); // [n, k]
        let mut dst = vec![1f32; m * n];
        matmul(m, n, k, &mut dst, true, Mat::rm(&a, k), Mat::t(&bt, k));
        let want = naive(m, n, k, &|i, p| a[i * k + p], &|p, j| bt[j * k + p]);
        for (d, w) in dst.iter().zip(&want) {
            assert!((d - (w + 1.0)).abs() < 1e-5, "{d} vs {}", w + 1.0);
        }
        // Transposed lhs: a stored as [k, m].
        let at: Vec<f32> = (0..k * m).map(|i| (i as f32 * 0.29).sin()).collect();
        matmul(m, n, k, &mut dst, false, Mat::t(&at, m), Mat::t(&bt, k));
        let want = naive(m, n, k, &|i, p| at[p * m + i], &|p, j| bt[j * k + p]);
        for (d, w) in dst.iter().zip(&want) {
            assert!((d - w).abs() < 1e-5, "{d} vs {w}");
        }
    }
}
