//! Test helpers: parity data (x ~ Bernoulli(p1), y_t = prefix sum mod 2, every label scored).
#![allow(dead_code)]

use burn::tensor::Device;
use seqlab::models::ModelConfig;
use seqlab::train::{
    train, Batch, Batches, SeqDataset, SplitMix64, TrainConfig, TrainError, TrainOutcome,
};

/// A model config from its JSON.
pub fn cfg(json: &str) -> ModelConfig {
    serde_json::from_str(json).unwrap()
}

/// A training config from its JSON.
pub fn tcfg(json: &str) -> TrainConfig {
    serde_json::from_str(json).unwrap()
}

/// [`train`] on the whole of `data` on the Flex CPU device: no held-out set,
/// nothing done per step.
pub fn train_on(
    model: &ModelConfig,
    recipe: &TrainConfig,
    data: &SeqDataset,
) -> Result<TrainOutcome, TrainError> {
    train(
        model,
        recipe,
        Batches::Dataset(data),
        None,
        &Device::flex(),
        |_| {},
    )
}

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
