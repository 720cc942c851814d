//! Masked cross-entropy and accuracy over supervised positions.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean cross-entropy over positions with `mask = 1`.
/// `logits` `[B, T, C]`, `labels` `[B, T]`, `mask` `[B, T]` of 0/1 floats.
/// Returns a scalar `[1]` (0 when nothing is masked in).
pub fn masked_cross_entropy(
    logits: Tensor<3>,
    labels: Tensor<2, Int>,
    mask: Tensor<2>,
) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let logp = log_softmax(logits, 2);
    let picked: Tensor<2> = logp.gather(2, labels.unsqueeze_dim(2)).reshape([b, t]);
    let denom = mask.clone().sum().clamp_min(1.0);
    (picked * mask).sum().neg() / denom
}

/// Sum of per-position cross-entropy over masked positions (for evaluation means).
pub fn masked_cross_entropy_sum(
    logits: Tensor<3>,
    labels: Tensor<2, Int>,
    mask: Tensor<2>,
) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let logp = log_softmax(logits, 2);
    let picked: Tensor<2> = logp.gather(2, labels.unsqueeze_dim(2)).reshape([b, t]);
    (picked * mask).sum().neg()
}

/// Number of correct argmax predictions at masked positions (as a float scalar `[1]`).
pub fn masked_correct(logits: Tensor<3>, labels: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let pred: Tensor<2, Int> = logits.argmax(2).reshape([b, t]);
    (pred.equal(labels).float() * mask).sum()
}
