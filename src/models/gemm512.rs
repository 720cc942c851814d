//! The matrix product of the AVX-512 path ([`super::isa`]): `dst (+)= a · b` with 16-lane
//! fused multiply-adds, giving the same bits as the `gemm` crate's AVX2 kernel.
//!
//! Why not the `gemm` crate's own AVX-512 kernel (its `x86-v4` feature): that feature
//! switches every `gemm` call in the process (burn-flex's too) to AVX-512 wherever the CPU
//! has it, with no way to ask for the AVX2 kernel, and its results round differently: a
//! cache shared by two kinds of machine would mix bits under one key.
//!
//! Same bits: `gemm` 0.19.0's AVX2 kernel computes every output element of its main path
//! as, per block of `kc` inner indices in order, one fused multiply-add chain from zero,
//! then stores it (first block, `dst` not read) or adds it to `dst` (one rounding). This
//! kernel does the same arithmetic with wider registers; [`k_block`] reads `kc` from the
//! same function `gemm` uses and sends the shapes `gemm` treats specially (tiny products,
//! matrix-vector, `k <= 2`) to `gemm` itself. A test compares the two bit for bit.
//!
//! Layout: `b` is packed into panels of 32 columns (`k` rows of two vectors, zero-padded
//! past `n`); `a` is read in place, so a 12 x 32 tile updates from two vector loads and 12
//! broadcasts per inner index in 24 accumulators. Per output element the arithmetic does not depend on the tiling, so rows
//! and columns may be split across calls or threads freely.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Rows of one register tile.
const MR: usize = 12;
/// Columns of one register tile (two 16-lane vectors).
const NR: usize = 32;

/// `b` `[k, n]` packed for [`product`]: panel `j` holds columns `32j..32j+32`, row by row.
pub(crate) struct PackedB {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs `b` with element `(p, j)` at `p * rs + j * cs`.
    pub fn new(k: usize, n: usize, b: &[f32], cs: usize, rs: usize) -> Self {
        let panels = n.div_ceil(NR);
        let mut data = vec![0f32; panels * k * NR];
        for (jp, panel) in data.chunks_exact_mut(k * NR).enumerate() {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            for (p, row) in panel.chunks_exact_mut(NR).enumerate() {
                let src = p * rs + j0 * cs;
                if cs == 1 {
                    row[..w].copy_from_slice(&b[src..src + w]);
                } else {
                    for (j, v) in row[..w].iter_mut().enumerate() {
                        *v = b[src + j * cs];
                    }
                }
            }
        }
        PackedB { k, n, data }
    }
}

/// `dst[rows x cols] (+)= a[rows x k] · b[k, col0..col0 + cols]`, `dst` row stride `dst_rs`
/// (its element `(0, 0)` is output column `col0`); `a`'s element `(i, p)` at
/// `i * a_rs + p * a_cs` (one of the two strides 1); the inner dimension in blocks of
/// `kc` ([`k_block`]). `col0` must be a multiple of 32.
///
/// # Safety
/// The CPU must have AVX-512F; `dst` must be valid for the `rows x cols` block it names,
/// and `a` must hold every element the view names.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn product(
    rows: usize,
    cols: usize,
    kc: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: &[f32],
    a_cs: usize,
    a_rs: usize,
    b: &PackedB,
    col0: usize,
) {
    debug_assert!(col0.is_multiple_of(NR) && col0 + cols <= b.n);
    let k = b.k;
    let kc = kc.max(1);
    if rows == 0 || cols == 0 || k == 0 {
        return;
    }
    let last = (rows - 1) * a_rs + (k - 1) * a_cs;
    assert!(a.len() > last, "lhs too small");
    // `a` is read in place: with one stride 1, a tile's broadcasts come from a few
    // contiguous streams (12 rows, or one run of 12 adjacent elements per inner index).
    assert!(a_cs == 1 || a_rs == 1, "lhs must have a unit stride");
    let mut i0 = 0;
    while i0 < rows {
        let mr = MR.min(rows - i0);
        let (block, cs, rs) = (a[i0 * a_rs..].as_ptr(), a_cs, a_rs);
        let mut j = 0;
        while j < cols {
            let w = NR.min(cols - j);
            let panel = &b.data[(col0 + j) / NR * k * NR..][..k * NR];
            let d = dst.add(i0 * dst_rs + j);
            let masks = (lane_mask(w), lane_mask(w.saturating_sub(16)));
            let mut k0 = 0;
            while k0 < k {
                let kb = kc.min(k - k0);
                let t = Tile {
                    k: kb,
                    a: block.add(k0 * cs),
                    a_cs: cs,
                    a_rs: rs,
                    panel: panel[k0 * NR..].as_ptr(),
                    dst: d,
                    dst_rs,
                    // The first block stores (or adds to `dst` when accumulating), later
                    // blocks add.
                    accumulate: accumulate || k0 > 0,
                    masks,
                };
                // SAFETY: the tile's rows, inner indices and columns lie inside `a` (checked
                // above), the panel and `dst`.
                match (mr, rs == 1) {
                    (12, true) => t.run::<12, true>(),
                    (12, false) => t.run::<12, false>(),
                    (11, true) => t.run::<11, true>(),
                    (11, false) => t.run::<11, false>(),
                    (10, true) => t.run::<10, true>(),
                    (10, false) => t.run::<10, false>(),
                    (9, true) => t.run::<9, true>(),
                    (9, false) => t.run::<9, false>(),
                    (8, true) => t.run::<8, true>(),
                    (8, false) => t.run::<8, false>(),
                    (7, true) => t.run::<7, true>(),
                    (7, false) => t.run::<7, false>(),
                    (6, true) => t.run::<6, true>(),
                    (6, false) => t.run::<6, false>(),
                    (5, true) => t.run::<5, true>(),
                    (5, false) => t.run::<5, false>(),
                    (4, true) => t.run::<4, true>(),
                    (4, false) => t.run::<4, false>(),
                    (3, true) => t.run::<3, true>(),
                    (3, false) => t.run::<3, false>(),
                    (2, true) => t.run::<2, true>(),
                    (2, false) => t.run::<2, false>(),
                    (_, true) => t.run::<1, true>(),
                    (_, false) => t.run::<1, false>(),
                }
                k0 += kb;
            }
            j += NR;
        }
        i0 += MR;
    }
}

/// The inner-dimension block `gemm` 0.19.0's AVX2 kernel uses for
/// `dst[m x n] (+)= a · b` with `dst` row-major (row stride `dst_rs`), `a`'s and `b`'s
/// strides given as `(column stride, row stride)`; `None` where `gemm` takes one of its
/// special paths (whose rounding this kernel does not reproduce): call `gemm` there.
pub(crate) fn k_block(
    m: usize,
    n: usize,
    k: usize,
    dst_rs: usize,
    a: (usize, usize),
    b: (usize, usize),
) -> Option<usize> {
    use gemm_f32::microkernel::fma::f32::{MR_DIV_N, NR as GEMM_NR};
    // `gemm::gemm` solves the transposed problem when the destination's column stride (1)
    // is smaller than its row stride: then `b` is its left-hand side.
    let (m, n, lhs_cs, rhs_rs) = if 1 < dst_rs {
        (n, m, b.1, a.0)
    } else {
        (m, n, a.0, b.1)
    };
    // `k <= 2`: vector outer products; `m` or `n` of 1: matrix-vector kernels; up to 256
    // outputs with contiguous inner rows: horizontal (dot-product) kernels.
    if m == 0
        || n == 0
        || k <= 2
        || m <= 1
        || n <= 1
        || (lhs_cs == 1 && rhs_rs == 1 && m * n <= 256)
    {
        return None;
    }
    Some(if m <= 64 && n <= 64 {
        k.min(512)
    } else {
        // AVX2: 8 lanes, `MR_DIV_N` vectors of rows, `GEMM_NR` columns per register tile.
        gemm_common::cache::kernel_params(m, n, k, MR_DIV_N * 8, GEMM_NR, 4).kc
    })
}

/// The first `w` of 16 lanes (all 16 for `w >= 16`).
fn lane_mask(w: usize) -> u16 {
    if w >= 16 {
        u16::MAX
    } else {
        (1u16 << w) - 1
    }
}

/// One register tile: `dst[R x 32] (+)= a[R x k] · panel[k x 32]`, the panel packed with
/// row stride 32, `a`'s element `(i, p)` at `i * a_rs + p * a_cs`.
#[cfg(target_arch = "x86_64")]
struct Tile {
    k: usize,
    a: *const f32,
    a_cs: usize,
    a_rs: usize,
    panel: *const f32,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    /// Lanes of the two column vectors that lie inside `dst`.
    masks: (u16, u16),
}

#[cfg(target_arch = "x86_64")]
impl Tile {
    /// `R` rows; `COLS`: `a_rs == 1` (a tile's row elements are adjacent), else `a_cs == 1`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn run<const R: usize, const COLS: bool>(self) {
        let mut c0 = [_mm512_setzero_ps(); R];
        let mut c1 = [_mm512_setzero_ps(); R];
        let rows: [*const f32; R] = std::array::from_fn(|i| self.a.add(i * self.a_rs));
        for p in 0..self.k {
            let b0 = _mm512_loadu_ps(self.panel.add(p * NR));
            let b1 = _mm512_loadu_ps(self.panel.add(p * NR + 16));
            let col = self.a.add(p * self.a_cs);
            for i in 0..R {
                let v = if COLS { *col.add(i) } else { *rows[i].add(p) };
                let av = _mm512_set1_ps(v);
                c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
            }
        }
        let (m0, m1) = self.masks;
        for i in 0..R {
            let d = self.dst.add(i * self.dst_rs);
            let (mut v0, mut v1) = (c0[i], c1[i]);
            if self.accumulate {
                v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, d), v0);
                v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, d.add(16)), v1);
            }
            _mm512_mask_storeu_ps(d, m0, v0);
            _mm512_mask_storeu_ps(d.add(16), m1, v1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::host_gemm;
    use super::super::isa::{detected, Isa};
    use super::*;

    /// `dst (+)= a · b` through `gemm` (the AVX2 path's kernel on an AVX-512 machine too:
    /// seqlab builds `gemm` without `x86-v4`).
    #[allow(clippy::too_many_arguments)]
    fn via_gemm(
        (m, n, k): (usize, usize, usize),
        dst: &mut [f32],
        dst_rs: usize,
        accumulate: bool,
        a: &[f32],
        (a_cs, a_rs): (usize, usize),
        b: &[f32],
        (b_cs, b_rs): (usize, usize),
    ) {
        let op = |x: &[f32], cs: usize, rs: usize| (x.as_ptr(), cs as isize, rs as isize);
        // SAFETY: the callers size every buffer for the views they name.
        unsafe {
            let d = dst.as_mut_ptr();
            host_gemm::kernel(
                m,
                n,
                k,
                d,
                dst_rs,
                accumulate,
                op(a, a_cs, a_rs),
                op(b, b_cs, b_rs),
            )
        }
    }

    #[test]
    fn same_bits_as_gemm_on_every_shape_and_layout() {
        if detected() != Isa::Avx512 {
            return; // nothing to run this kernel on
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dims = [1, 2, 3, 5, 12, 13, 16, 31, 32, 33, 64, 65, 100, 192, 256];
        let ks = [1, 2, 3, 17, 64, 255, 300, 512, 513, 700, 1984, 2048, 4100];
        let (mut blocked, mut split) = (0, 0);
        for case in 0..400 {
            let m = dims[next() as usize % dims.len()];
            let n = dims[next() as usize % dims.len()];
            let k = ks[next() as usize % ks.len()];
            if m * n * k > 1 << 24 {
                continue;
            }
            let (ta, tb, accumulate) = (next() % 2 == 0, next() % 2 == 0, next() % 3 == 0);
            let pad = (next() % 3) as usize; // extra destination columns (a column-split half)
            let dst_rs = n + pad;
            let val = |i: usize, s: f32| ((i as f32 * s).sin() * 1.37).fract();
            let a: Vec<f32> = (0..m * k).map(|i| val(i, 0.71)).collect();
            let b: Vec<f32> = (0..k * n).map(|i| val(i, 0.37)).collect();
            let a_st = if ta { (m, 1) } else { (1, k) };
            let b_st = if tb { (k, 1) } else { (1, n) };
            let init: Vec<f32> = (0..m * dst_rs).map(|i| val(i, 0.13)).collect();
            let mut want = init.clone();
            via_gemm((m, n, k), &mut want, dst_rs, accumulate, &a, a_st, &b, b_st);
            let mut got = init.clone();
            match k_block(m, n, k, dst_rs, a_st, b_st) {
                Some(kc) => {
                    blocked += 1;
                    split += usize::from(kc < k);
                    let packed = PackedB::new(k, n, &b, b_st.0, b_st.1);
                    // SAFETY: AVX-512F detected; `got` holds m rows of stride dst_rs.
                    unsafe {
                        let (a_cs, a_rs) = a_st;
                        let d = got.as_mut_ptr();
                        product(m, n, kc, d, dst_rs, accumulate, &a, a_cs, a_rs, &packed, 0)
                    }
                }
                None => via_gemm((m, n, k), &mut got, dst_rs, accumulate, &a, a_st, &b, b_st),
            }
            let same = got
                .iter()
                .zip(&want)
                .all(|(g, w)| g.to_bits() == w.to_bits());
            assert!(
                same,
                "case {case}: m {m} n {n} k {k} ta {ta} tb {tb} acc {accumulate} pad {pad}"
            );
        }
        assert!(
            blocked > 100 && split > 10,
            "{blocked} blocked, {split} split"
        );
    }

    #[test]
    fn matches_a_naive_product_on_every_tile_edge() {
        if detected() != Isa::Avx512 {
            return; // nothing to run this kernel on
        }
        for &(m, n, k) in &[
            (1, 1, 1),
            (13, 33, 5),
            (25, 70, 64),
            (12, 32, 3),
            (7, 16, 9),
        ] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.25)
                .collect();
            let bt: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.5)
                .collect(); // [n, k]
            let packed = PackedB::new(k, n, &bt, k, 1);
            for accumulate in [false, true] {
                let mut dst = vec![1.5f32; m * n + 3];
                // SAFETY: AVX-512F detected; dst holds m x n (plus a guard tail).
                unsafe {
                    product(
                        m,
                        n,
                        k,
                        dst.as_mut_ptr(),
                        n,
                        accumulate,
                        &a,
                        1,
                        k,
                        &packed,
                        0,
                    );
                }
                for i in 0..m {
                    for j in 0..n {
                        // Small integers times quarters: every sum is exact in f32.
                        let want: f32 = (0..k).map(|p| a[i * k + p] * bt[j * k + p]).sum();
                        let want = if accumulate { want + 1.5 } else { want };
                        assert_eq!(dst[i * n + j], want, "({m},{n},{k}) at ({i},{j})");
                    }
                }
                assert_eq!(&dst[m * n..], &[1.5; 3], "wrote past the block");
            }
        }
    }
}
