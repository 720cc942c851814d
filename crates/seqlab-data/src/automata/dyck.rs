//! Stack encoding for the bounded Dyck task Dyck(k, m).
//!
//! The authors' generator has no Dyck task ("TODO: add Dyck"), so this
//! numbering is ours, chosen so that push/pop are O(1) arithmetic:
//!
//! * stacks are ordered first by depth d = 0, 1, …, m, then, within a depth,
//!   as base-k numbers whose most significant digit is the **bottom** bracket;
//! * id = offset(d) + Σ_{i<d} s_i · k^(d−1−i), offset(d) = Σ_{j<d} k^j.
//!
//! So the empty stack is 0 and, for k = 2, m = 2: `0 = [], 1 = [0], 2 = [1],
//! 3 = [0,0], 4 = [0,1], 5 = [1,0], 6 = [1,1]` (listed bottom → top).

/// Number of stacks of depth ≤ m over k bracket types: Σ_{d=0}^{m} k^d.
/// Returns `None` on u64 overflow.
pub(crate) fn n_stacks(k: usize, m: usize) -> Option<u64> {
    let mut total = 0u64;
    let mut pow = 1u64;
    for _ in 0..=m {
        total = total.checked_add(pow)?;
        pow = pow.checked_mul(k as u64)?;
    }
    Some(total)
}

/// Decoded view of a stack id: its depth and its within-depth code
/// (the base-k number of its contents; the top bracket is `code % k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stack {
    pub depth: usize,
    pub code: u64,
}

/// Split a stack id into (depth, code).
pub(crate) fn decode(k: usize, id: u64) -> Stack {
    let k = k as u64;
    let (mut depth, mut offset, mut width) = (0usize, 0u64, 1u64);
    while id >= offset + width {
        offset += width;
        width *= k;
        depth += 1;
    }
    Stack {
        depth,
        code: id - offset,
    }
}

/// Inverse of [`decode`].
pub(crate) fn encode(k: usize, s: Stack) -> u64 {
    n_stacks(k, s.depth).expect("depth checked at construction") - (k as u64).pow(s.depth as u32)
        + s.code
}

/// Top bracket type, or `None` for the empty stack.
pub fn top(k: usize, s: Stack) -> Option<usize> {
    (s.depth > 0).then(|| (s.code % k as u64) as usize)
}

/// Push bracket type `t` (caller checks depth < m).
pub fn push(k: usize, s: Stack, t: usize) -> Stack {
    Stack {
        depth: s.depth + 1,
        code: s.code * k as u64 + t as u64,
    }
}

/// Pop the top bracket (caller checks depth > 0).
pub fn pop(k: usize, s: Stack) -> Stack {
    Stack {
        depth: s.depth - 1,
        code: s.code / k as u64,
    }
}

/// Contents bottom → top, for tests and debugging.
pub fn contents(k: usize, s: Stack) -> Vec<usize> {
    let mut v = Vec::with_capacity(s.depth);
    let mut c = s.code;
    for _ in 0..s.depth {
        v.push((c % k as u64) as usize);
        c /= k as u64;
    }
    v.reverse();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k2_m2_enumeration() {
        let want: Vec<Vec<usize>> = vec![
            vec![],
            vec![0],
            vec![1],
            vec![0, 0],
            vec![0, 1],
            vec![1, 0],
            vec![1, 1],
        ];
        assert_eq!(n_stacks(2, 2), Some(7));
        for (id, c) in want.iter().enumerate() {
            let s = decode(2, id as u64);
            assert_eq!(&contents(2, s), c, "id {id}");
            assert_eq!(encode(2, s), id as u64);
        }
    }

    #[test]
    fn k1_is_a_counter() {
        // Dyck(1, m): stack of depth d has id d.
        assert_eq!(n_stacks(1, 4), Some(5));
        for d in 0..=4u64 {
            assert_eq!(decode(1, d).depth as u64, d);
        }
    }

    #[test]
    fn push_pop_roundtrip() {
        let k = 3;
        let s = decode(k, 0);
        let s = push(k, s, 2);
        let s = push(k, s, 1);
        assert_eq!(contents(k, s), vec![2, 1]);
        assert_eq!(top(k, s), Some(1));
        // ids: offset(2) = 1 + 3 = 4, code = 2*3 + 1 = 7 → 11.
        assert_eq!(encode(k, s), 11);
        let s = pop(k, s);
        assert_eq!(contents(k, s), vec![2]);
        assert_eq!(encode(k, s), 3);
        assert_eq!(top(k, pop(k, s)), None);
    }
}
