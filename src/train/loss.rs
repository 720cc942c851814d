//! Masked cross-entropy and accuracy over supervised positions.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean cross-entropy over positions with `mask = 1`.
/// `logits` `[B, T, C]`, `labels` `[B, T]`, `mask` `[B, T]` of 0/1 floats.
/// Returns a scalar `[1]` (0 when nothing is masked in).
pub(crate) fn masked_cross_entropy(
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
pub(crate) fn masked_cross_entropy_sum(
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
pub(crate) fn masked_correct(
    logits: Tensor<3>,
    labels: Tensor<2, Int>,
    mask: Tensor<2>,
) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let pred: Tensor<2, Int> = logits.argmax(2).reshape([b, t]);
    (pred.equal(labels).float() * mask).sum()
}

/// Mean binary cross-entropy with logits over masked positions and all `K`
/// labels: `logits` `[B, T, K]`, `targets` `[B, K]` of 0/1 floats (one label
/// vector per sequence, the same at each of its masked positions), `mask`
/// `[B, T]`. Uses the stable form `max(x, 0) - x y + log(1 + e^{-|x|})`.
pub(crate) fn masked_bce_with_logits(
    logits: Tensor<3>,
    targets: Tensor<2>,
    mask: Tensor<2>,
) -> Tensor<1> {
    let [_, t, k] = logits.dims();
    let y: Tensor<3> = targets.unsqueeze_dim::<3>(1).repeat_dim(1, t);
    let per = logits.clone().clamp_min(0.0) - logits.clone() * y + logits.abs().neg().exp().log1p();
    let m: Tensor<3> = mask.clone().unsqueeze_dim::<3>(2).repeat_dim(2, k);
    let denom = mask.sum().clamp_min(1.0) * k as f64;
    (per * m).sum() / denom
}

/// Number of (masked position, label) pairs where `logit > 0` agrees with the
/// 0/1 target (a training monitor; F-max is the real score).
pub(crate) fn masked_multilabel_correct(
    logits: Tensor<3>,
    targets: Tensor<2>,
    mask: Tensor<2>,
) -> Tensor<1> {
    let [_, t, k] = logits.dims();
    let y: Tensor<3> = targets.unsqueeze_dim::<3>(1).repeat_dim(1, t);
    let pred = logits.greater_elem(0.0).float();
    let agree = pred.equal(y).float();
    let m: Tensor<3> = mask.unsqueeze_dim::<3>(2).repeat_dim(2, k);
    (agree * m).sum()
}

/// Mean squared error over masked positions and all `K` values: `pred` and
/// `targets` `[B, T, K]`, `mask` `[B, T]`.
pub(crate) fn masked_mse(pred: Tensor<3>, targets: Tensor<3>, mask: Tensor<2>) -> Tensor<1> {
    let [_, _, k] = pred.dims();
    let d = pred - targets;
    let m: Tensor<3> = mask.clone().unsqueeze_dim::<3>(2).repeat_dim(2, k);
    let denom = mask.sum().clamp_min(1.0) * k as f64;
    (d.clone() * d * m).sum() / denom
}
