//! Amino-acid tokens.
//!
//! | token | residue |
//! |---|---|
//! | 0 | padding ([`PAD`]) |
//! | 1..=20 | the 20 standard amino acids in alphabetical one-letter order `ACDEFGHIKLMNPQRSTVWY` (A = 1, C = 2, ..., Y = 20) |
//! | 21 | anything else ([`OTHER`]): B, J, O (pyrrolysine), U (selenocysteine), X, Z, `*`, gaps, ... |
//!
//! Lower-case letters map like upper-case ones. [`VOCAB_SIZE`] = 22.
//! Tokens are `u8` to keep long sequence sets small; widen at batch time.

/// Padding token.
pub(crate) const PAD: u8 = 0;
/// Token of every non-standard residue.
pub(crate) const OTHER: u8 = 21;
/// Number of distinct tokens (0..=21).
pub const VOCAB_SIZE: usize = 22;
/// The standard residues, token = position + 1.
pub(crate) const STANDARD: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";

const fn table() -> [u8; 256] {
    let mut t = [OTHER; 256];
    let mut i = 0;
    while i < 20 {
        let c = STANDARD[i];
        t[c as usize] = i as u8 + 1;
        t[c.to_ascii_lowercase() as usize] = i as u8 + 1;
        i += 1;
    }
    t
}

static TABLE: [u8; 256] = table();

/// The token of one residue byte.
pub fn token(residue: u8) -> u8 {
    TABLE[residue as usize]
}

/// Tokens of a sequence (one per byte; sequences are ASCII).
pub fn tokenize(sequence: &str) -> Vec<u8> {
    sequence.bytes().map(token).collect()
}

/// Tokens right-padded with [`PAD`] to `len`. Panics when the sequence is
/// longer than `len` — crop or chunk it first ([`super::crop`]).
pub fn tokenize_padded(sequence: &str, len: usize) -> Vec<u8> {
    assert!(
        sequence.len() <= len,
        "sequence of {} residues does not fit in {len}; crop or chunk it first",
        sequence.len()
    );
    let mut v = tokenize(sequence);
    v.resize(len, PAD);
    v
}

/// The residue letter of a token: `-` for padding, `X` for [`OTHER`].
pub fn residue(token: u8) -> char {
    match token {
        PAD => '-',
        1..=20 => STANDARD[token as usize - 1] as char,
        _ => 'X',
    }
}
