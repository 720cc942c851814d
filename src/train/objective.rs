//! The training objective of each [`Target`] kind: the loss to minimise and
//! the training-batch score the trainer reports and early-stops on.
//!
//! | target | loss | score |
//! |---|---|---|
//! | classes per position | masked cross-entropy | accuracy at masked positions |
//! | multi-label per sequence | masked BCE with logits | label accuracy at logit > 0 |
//! | real values per position | masked MSE | none (NaN; the loss is the score) |
//!
//! The model's `n_classes` outputs are the classes' logits, the `K` labels'
//! logits, or the `K` predicted values, so their number must match `K`.

use burn::tensor::{Device, Tensor, TensorData};

use super::data::{Batch, Target};
use super::loss::{
    masked_bce_with_logits, masked_correct, masked_cross_entropy, masked_mse,
    masked_multilabel_correct,
};

/// A batch's loss, and its score's numerator and denominator (`None` when
/// the target has no accuracy).
pub(crate) struct Objective {
    pub loss: Tensor<1>,
    pub correct: Option<(Tensor<1>, usize)>,
}

/// The target's values as a float tensor: `[b, K]` for multi-label targets,
/// `[b, t, K]` flattened to `[b, t*K]` for real ones. `None` for classes.
fn float_target(batch: &Batch, device: &Device) -> Option<(Tensor<2>, usize)> {
    match &batch.target {
        Target::Classes(_) => None,
        Target::MultiLabel { k, labels } => {
            let v: Vec<f32> = labels.iter().map(|&x| f32::from(x)).collect();
            Some((
                Tensor::from_data(TensorData::new(v, [batch.b, *k]), device),
                *k,
            ))
        }
        Target::Real { k, values } => Some((
            Tensor::from_data(
                TensorData::new(values.clone(), [batch.b, batch.t * k]),
                device,
            ),
            *k,
        )),
    }
}

/// The loss and score of `logits` `[b, t, C]` on `batch`. Errors when `C`
/// does not match the target's `K`.
pub(crate) fn objective(
    logits: Tensor<3>,
    batch: &Batch,
    device: &Device,
) -> Result<Objective, String> {
    let m = batch.mask_tensor(device);
    let [b, t, c] = logits.dims();
    if let Some((y, k)) = float_target(batch, device) {
        if k != c {
            return Err(format!(
                "the model has {c} outputs but the {} target has K = {k} values; build the model with n_classes = {k}",
                batch.target.kind()
            ));
        }
        return Ok(match batch.target {
            Target::MultiLabel { .. } => Objective {
                loss: masked_bce_with_logits(logits.clone(), y.clone(), m.clone()),
                correct: Some((
                    masked_multilabel_correct(logits.detach(), y, m),
                    batch.n_masked() * k,
                )),
            },
            _ => Objective {
                loss: masked_mse(logits, y.reshape([b, t, k]), m),
                correct: None,
            },
        });
    }
    let y = batch.label_tensor(device);
    Ok(Objective {
        loss: masked_cross_entropy(logits.clone(), y.clone(), m.clone()),
        correct: Some((masked_correct(logits.detach(), y, m), batch.n_masked())),
    })
}
