//! Permutation helpers for the S_n and A_n tasks.
//!
//! States are permutations of `0..n` stored as "state vectors" `s`; the label
//! is the position of `s` in the lexicographic list of all permutations
//! (Python's `itertools.permutations(range(n))` order). Ranking/unranking via
//! the Lehmer code avoids materialising n! vectors, so `step` stays cheap
//! even for S_8 and beyond.

/// Largest n for which n! fits in a `u32` state id (12! = 479 001 600).
pub(crate) const MAX_PERM_N: usize = 12;

/// n! as u64 (n ≤ 20).
pub(crate) fn factorial(n: usize) -> u64 {
    (1..=n as u64).product()
}

/// Lexicographic rank of permutation `p` of `0..p.len()` (Lehmer code).
pub fn rank(p: &[u8]) -> u64 {
    let n = p.len();
    let mut r = 0u64;
    for i in 0..n {
        // Number of later elements smaller than p[i] = digit of the Lehmer code.
        let smaller = p[i + 1..].iter().filter(|&&x| x < p[i]).count() as u64;
        r += smaller * factorial(n - 1 - i);
    }
    r
}

/// Inverse of [`rank`]: the permutation of `0..n` at lexicographic position `r`.
pub(crate) fn unrank(n: usize, mut r: u64) -> Vec<u8> {
    let mut pool: Vec<u8> = (0..n as u8).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let f = factorial(n - 1 - i);
        let d = (r / f) as usize;
        r %= f;
        out.push(pool.remove(d));
    }
    out
}

/// Apply an action given as an index list: `s'[i] = s[idx[i]]`.
///
/// This is what the authors' `np.eye(n)[idx].dot(s)` computes.
pub fn apply(s: &[u8], idx: &[u8]) -> Vec<u8> {
    idx.iter().map(|&j| s[j as usize]).collect()
}

/// True iff `p` is an even permutation (even number of inversions).
pub(crate) fn is_even(p: &[u8]) -> bool {
    let mut inv = 0usize;
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            if p[i] > p[j] {
                inv += 1;
            }
        }
    }
    inv.is_multiple_of(2)
}

/// Rank of an even permutation among the even permutations in lex order.
///
/// Why `rank / 2` works (n ≥ 2): in lex order, positions 2j and 2j+1 share
/// their first n−2 entries and differ by swapping the last two, so exactly
/// one of each pair is even and the even ones keep their relative order.
pub(crate) fn even_rank(p: &[u8]) -> u64 {
    debug_assert!(is_even(p));
    rank(p) / 2
}

/// Inverse of [`even_rank`]: the `r`-th even permutation in lex order.
pub(crate) fn even_unrank(n: usize, r: u64) -> Vec<u8> {
    let p = unrank(n, 2 * r);
    if is_even(&p) {
        p
    } else {
        unrank(n, 2 * r + 1)
    }
}

/// The identity index list (0, 1, …, n−1).
pub fn identity(n: usize) -> Vec<u8> {
    (0..n as u8).collect()
}

/// Shift-by-one index list (1, 2, …, n−1, 0).
pub fn shift(n: usize) -> Vec<u8> {
    (1..n as u8).chain(std::iter::once(0)).collect()
}

/// Swap-first-two index list (1, 0, 2, …, n−1).
pub fn swap(n: usize) -> Vec<u8> {
    let mut v = identity(n);
    v.swap(0, 1);
    v
}

/// Index list of S_n action `a` with `n_actions` generators.
///
/// `n_actions ≤ 3`: 0 = identity, 1 = shift, 2 = swap.
/// `n_actions > 3` (the authors' quirk): 0 = identity, 1 = shift, and slots
/// 2, 3, … take the permutations in lex order skipping identity and shift —
/// so the swap is *not* action 2 any more.
pub(crate) fn symmetric_action(n: usize, n_actions: usize, a: usize) -> Vec<u8> {
    match a {
        0 => identity(n),
        1 => shift(n),
        2 if n_actions <= 3 => swap(n),
        _ => {
            let shift_rank = rank(&shift(n));
            // Lex ranks 1, 2, … with the shift's rank skipped (identity is rank 0).
            let mut r = (a - 2) as u64 + 1;
            if r >= shift_rank {
                r += 1;
            }
            unrank(n, r)
        }
    }
}

/// Index list of A_n action `a` (0 = identity; a = x−1 is the 3-cycle with
/// `idx[0] = 1, idx[1] = x, idx[x] = 0` for x = 2 … n−1).
pub(crate) fn alternating_action(n: usize, a: usize) -> Vec<u8> {
    let mut idx = identity(n);
    if a > 0 {
        let x = a + 1;
        idx[0] = 1;
        idx[1] = x as u8;
        idx[x] = 0;
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force lex list, independent of the Lehmer code.
    fn brute_lex(n: usize) -> Vec<Vec<u8>> {
        fn rec(pool: &mut Vec<u8>, cur: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
            if pool.is_empty() {
                out.push(cur.clone());
                return;
            }
            for i in 0..pool.len() {
                let x = pool.remove(i);
                cur.push(x);
                rec(pool, cur, out);
                cur.pop();
                pool.insert(i, x);
            }
        }
        let mut out = vec![];
        rec(&mut identity(n), &mut vec![], &mut out);
        out
    }

    #[test]
    fn s3_lex_order() {
        let want: Vec<Vec<u8>> = vec![
            vec![0, 1, 2],
            vec![0, 2, 1],
            vec![1, 0, 2],
            vec![1, 2, 0],
            vec![2, 0, 1],
            vec![2, 1, 0],
        ];
        for (r, p) in want.iter().enumerate() {
            assert_eq!(rank(p), r as u64);
            assert_eq!(&unrank(3, r as u64), p);
        }
    }

    #[test]
    fn rank_matches_brute_force_up_to_6() {
        for n in 1..=6 {
            let all = brute_lex(n);
            assert_eq!(all.len() as u64, factorial(n));
            let mut even_seen = 0u64;
            for (r, p) in all.iter().enumerate() {
                assert_eq!(rank(p), r as u64);
                assert_eq!(&unrank(n, r as u64), p);
                if n >= 2 && is_even(p) {
                    assert_eq!(even_rank(p), even_seen, "n={n} p={p:?}");
                    assert_eq!(&even_unrank(n, even_seen), p);
                    even_seen += 1;
                }
            }
            if n >= 2 {
                assert_eq!(even_seen, factorial(n) / 2);
            }
        }
    }

    #[test]
    fn apply_is_gather() {
        // s = (2,0,1), idx = shift (1,2,0) → s' = (s[1], s[2], s[0]) = (0,1,2)
        assert_eq!(apply(&[2, 0, 1], &[1, 2, 0]), vec![0, 1, 2]);
    }

    #[test]
    fn symmetric_quirk_n3_n5_actions() {
        // S_3 lex: 012, 021, 102, 120(=shift), 201, 210.
        // n_actions = 5: id, shift, then lex skipping id & shift: 021, 102, 201.
        let got: Vec<Vec<u8>> = (0..5).map(|a| symmetric_action(3, 5, a)).collect();
        assert_eq!(
            got,
            vec![
                vec![0, 1, 2],
                vec![1, 2, 0],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![2, 0, 1]
            ]
        );
        // n_actions = 3: the plain swap in slot 2.
        assert_eq!(symmetric_action(3, 3, 2), vec![1, 0, 2]);
        // n_actions = 6 uses every non-id, non-shift perm; the last is 210.
        assert_eq!(symmetric_action(3, 6, 5), vec![2, 1, 0]);
    }

    #[test]
    fn symmetric_quirk_n5_n5_actions() {
        // S_5, n_actions = 5: id, shift (1,2,3,4,0), then lex ranks 1, 2, 3:
        // 01243, 01324, 01342 (shift is rank 33 so nothing is skipped here).
        let got: Vec<Vec<u8>> = (0..5).map(|a| symmetric_action(5, 5, a)).collect();
        assert_eq!(
            got,
            vec![
                vec![0, 1, 2, 3, 4],
                vec![1, 2, 3, 4, 0],
                vec![0, 1, 2, 4, 3],
                vec![0, 1, 3, 2, 4],
                vec![0, 1, 3, 4, 2]
            ]
        );
        assert_eq!(rank(&shift(5)), 33);
    }

    #[test]
    fn alternating_actions_are_even_3_cycles() {
        // A_5 action 3 (x = 4): idx = (1, 4, 2, 3, 0).
        assert_eq!(alternating_action(5, 3), vec![1, 4, 2, 3, 0]);
        assert_eq!(alternating_action(4, 1), vec![1, 2, 0, 3]);
        for a in 0..4 {
            assert!(is_even(&alternating_action(5, a)));
        }
    }
}
