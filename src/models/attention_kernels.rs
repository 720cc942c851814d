//! The per-row vector kernels of the attention op ([`super::attention_op`]): dot
//! products across positions, lane sums, the row maximum, and the weighted row and
//! column sums of the probabilities. Each keeps a fixed arithmetic order, so the bits do
//! not depend on the vector path or the thread count; `dot` and `lane_sum` also serve
//! the LayerNorm op.

/// Positions handled together by [`dots_across`].
pub(crate) const LANES: usize = 16;

/// `xt[l * tp + j] = x[j * w + off + l]`: one head's keys (or values) `[T, dh]` of the
/// item `x` `[T, w]` as `[dh, tp]`, so consecutive positions are adjacent.
#[inline(always)]
pub(super) fn transpose_head(
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
pub(super) fn dots_across<const DH: usize>(a: &[f32], xt: &[f32], tp: usize, out: &mut [f32]) {
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
pub(super) fn weighted_rows<'c, const DH: usize>(
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
pub(super) fn weighted_cols<'r, const DH: usize>(
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
pub(super) fn add_scaled<const N: usize>(acc: &mut [f32; N], c: f32, v: &[f32; N]) {
    for l in 0..N {
        acc[l] += c * v[l];
    }
}

/// The largest element (`-inf` for none; NaNs ignored), in 16 lanes: the maximum is exact,
/// so the order does not change it, and a serial comparison chain was slow.
#[inline(always)]
pub(super) fn max_of(a: &[f32]) -> f32 {
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
