//! Test helpers: parity data (x ~ Bernoulli(p1), y_t = prefix sum mod 2, every label scored).
#![allow(dead_code)]

use seqlab::train::{Batch, SeqDataset, SplitMix64};

pub fn parity_batch(b: usize, t: usize, rng: &mut SplitMix64) -> Batch {
    let mut inputs = Vec::with_capacity(b * t);
    let mut labels = Vec::with_capacity(b * t);
    for _ in 0..b {
        let mut s = 0u32;
        for _ in 0..t {
            let x = (rng.unit() < 0.5) as u32;
            s ^= x;
            inputs.push(x);
            labels.push(s);
        }
    }
    Batch::new(inputs, labels, vec![1; b * t], b, t).unwrap()
}

pub fn parity_dataset(n: usize, t: usize, seed: u64) -> SeqDataset {
    let b = parity_batch(n, t, &mut SplitMix64::new(seed));
    SeqDataset::with_target(b.inputs, b.target, b.mask, n, t).unwrap()
}

/// Random tokens in `0..vocab`, `[b, t]` row-major.
pub fn random_tokens(b: usize, t: usize, vocab: usize, seed: u64) -> Vec<u32> {
    let mut rng = SplitMix64::new(seed);
    (0..b * t).map(|_| rng.below(vocab) as u32).collect()
}
