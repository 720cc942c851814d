//! Row-major `f32` matrix products on host slices, for the whole-sequence recurrent ops.
//!
//! Why not burn's matmul: inside a recurrence each step's product is `[B, H] x [H, kH]`
//! (about a million multiply-adds); dispatching it as a tensor op costs more than the
//! arithmetic. The `gemm` crate is the kernel burn-flex itself uses, called directly.

/// Shapes of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub t: usize,
    pub b: usize,
    pub h: usize,
}

/// Row ranges `(start, len)` processed independently (in parallel when threads allow).
///
/// 32-row chunks: the per-step product repacks `W_hh` on every call, so taller chunks
/// amortise it better (batch 64 gives one chunk per core on the 2-core machines).
/// Depends only on the batch size, never on the thread count: the matrix kernel may round a
/// row differently for another chunk height, so a thread-dependent split would make the
/// result bits depend on the machine's core count.
pub fn row_chunks(b: usize) -> Vec<(usize, usize)> {
    const ROWS: usize = 32;
    let n = b.div_ceil(ROWS).clamp(1, 8);
    let per = b.div_ceil(n);
    (0..n)
        .map(|i| (i * per, per.min(b.saturating_sub(i * per))))
        .filter(|&(_, len)| len > 0)
        .collect()
}

/// A row-major matrix view: `rows x cols` with element `(i, j)` at `i * ld + j`, or its
/// transpose (`trans`: element `(i, j)` at `j * ld + i`).
#[derive(Clone, Copy)]
pub struct Mat<'a> {
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
}

/// `dst[m x n] (+)= a[m x k] · b[k x n]`; `dst` is row-major with `n` columns.
///
/// Single-threaded on purpose: callers parallelise over independent batch rows, and the
/// result bits must not depend on the thread count.
pub fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, a: Mat, b: Mat) {
    product(m, n, k, dst, accumulate, a, b, gemm::Parallelism::None)
}

/// [`matmul`] on the rayon pool, for one large product.
///
/// Why not `gemm`'s own rayon mode: for these shapes (a few thousand rows, 64–256 columns)
/// its tile scheduling woke the pool for many small tasks; two halves of the output (rows,
/// or columns when there are few rows), each a single-threaded call, is one fork per
/// product. The split depends only on the shapes, never the inner dimension, so the bits
/// do not depend on the thread count.
pub fn matmul_parallel(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: Mat,
    b: Mat,
) {
    // Small products are not worth waking the pool for.
    if m * n * k < 1 << 18 || (m < 16 && n < 16) {
        return matmul(m, n, k, dst, accumulate, a, b);
    }
    assert!(dst.len() >= m * n, "dst too small");
    assert!(a.data.len() >= a.extent(m, k), "lhs too small");
    assert!(b.data.len() >= b.extent(k, n), "rhs too small");
    let dst_ptr = SendPtr(dst.as_mut_ptr());
    let half = |len: usize, unit: usize| (len / 2).div_ceil(unit) * unit;
    if m >= n {
        // Rows: the halves of `dst` and of `a` are disjoint, `b` is shared.
        let m0 = half(m, 8);
        let (a_cs, a_rs) = a.strides();
        let run = |i0: usize, rows: usize| {
            let a_off = &a.data[i0 * a_rs as usize..];
            // SAFETY: the rows [i0, i0 + rows) of dst belong to this call only.
            unsafe {
                raw(
                    rows,
                    n,
                    k,
                    dst_ptr.at(i0 * n),
                    n,
                    accumulate,
                    (a_off.as_ptr(), a_cs, a_rs),
                    b,
                )
            }
        };
        rayon::join(|| run(0, m0), || run(m0, m - m0));
    } else {
        // Columns: each half writes its own columns of every `dst` row.
        let n0 = half(n, 8);
        let (b_cs, b_rs) = b.strides();
        let run = |j0: usize, cols: usize| {
            let b_off = &b.data[j0 * b_cs as usize..];
            // SAFETY: the columns [j0, j0 + cols) of dst belong to this call only.
            unsafe {
                raw_b(
                    m,
                    cols,
                    k,
                    dst_ptr.at(j0),
                    n,
                    accumulate,
                    a,
                    (b_off.as_ptr(), b_cs, b_rs),
                )
            }
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

/// One single-threaded kernel call on raw operands (`(ptr, col stride, row stride)`).
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: (*const f32, isize, isize),
    b: (*const f32, isize, isize),
) {
    if m == 0 || n == 0 {
        return;
    }
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

#[allow(clippy::too_many_arguments)]
unsafe fn raw(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: (*const f32, isize, isize),
    b: Mat,
) {
    let (b_cs, b_rs) = b.strides();
    kernel(
        m,
        n,
        k,
        dst,
        dst_rs,
        accumulate,
        a,
        (b.data.as_ptr(), b_cs, b_rs),
    )
}

#[allow(clippy::too_many_arguments)]
unsafe fn raw_b(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: Mat,
    b: (*const f32, isize, isize),
) {
    let (a_cs, a_rs) = a.strides();
    kernel(
        m,
        n,
        k,
        dst,
        dst_rs,
        accumulate,
        (a.data.as_ptr(), a_cs, a_rs),
        b,
    )
}

#[allow(clippy::too_many_arguments)]
fn product(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: Mat,
    b: Mat,
    par: gemm::Parallelism,
) {
    assert!(dst.len() >= m * n, "dst too small");
    assert!(a.data.len() >= a.extent(m, k), "lhs too small");
    assert!(b.data.len() >= b.extent(k, n), "rhs too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    let (a_cs, a_rs) = a.strides();
    let (b_cs, b_rs) = b.strides();
    // SAFETY: the asserts above bound every index gemm reads or writes.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
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
