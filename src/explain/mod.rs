//! Explanations of a trained sequence model (science §5): which input positions a
//! prediction depends on, and what the layers represent.
//!
//! Every method works on a loaded [`Model`](crate::models::Model) and a batch of
//! [`Examples`], for a [`Target`]: the logit of the predicted class or of the true label, at
//! the last position (default) or at every position (each position's own target, averaged).
//! Attributions are per position, `[n, T]` ([`Attribution`]):
//!
//! * [`attention`]: attention maps and attention rollout (Transformer only);
//! * [`gradients`]: gradient saliency, input × gradient; [`integrated`]: integrated gradients;
//! * [`occlusion`]: the drop of the target score when a window of inputs is blanked;
//! * [`probes`]: linear read-outs of the automaton state from each layer's hidden states;
//! * [`faithfulness`]: deletion curves and agreement with the automaton's ground truth.
//!
//! Gradients are taken w.r.t. a real-valued one-hot input through
//! [`Model::forward_onehot`](crate::models::Model::forward_onehot) on the autodiff device;
//! the model's parameters stay on the plain device (constants for the graph). Use a model in
//! validation mode (`model.valid()`), so dropout is off. Nothing here draws from a device's
//! random state: results are deterministic.

pub mod attention;
pub mod faithfulness;
pub mod gradients;
pub mod integrated;
pub mod occlusion;
pub mod probes;
pub mod target;

pub use attention::{
    attention_maps, last_layer_attribution, rollout, rollout_attribution, AttentionMaps,
};
pub use faithfulness::{area, deletion_curve, ground_truth, ground_truth_agreement, GroundTruth};
pub use gradients::{input_x_gradient, saliency, Baseline};
pub use integrated::{integrated_gradients, IgResult};
pub use occlusion::{occlusion, OcclusionScore};
pub use probes::{probe_layers, ProbeLayer, ProbeReport, Ridge};
pub use target::{Examples, Selection, Target, TargetClass, TargetPos};

use crate::models::ModelError;

/// Errors of the explanation methods.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{0}")]
    Invalid(String),
}

/// One score per input position and example: row-major `[n, t]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub n: usize,
    pub t: usize,
    pub values: Vec<f32>,
}

impl Attribution {
    pub fn zeros(n: usize, t: usize) -> Attribution {
        Attribution {
            n,
            t,
            values: vec![0.0; n * t],
        }
    }

    /// Example `i`'s scores, one per position.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.t..(i + 1) * self.t]
    }

    /// Positions `0..limit` of example `i` by decreasing score (ties: earlier first).
    pub fn ranking(&self, i: usize, limit: usize) -> Vec<usize> {
        let row = self.row(i);
        let mut idx: Vec<usize> = (0..limit.min(self.t)).collect();
        idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        idx
    }
}

/// Host copy of a float tensor (any device).
pub(crate) fn host<const D: usize>(x: burn::tensor::Tensor<D>) -> Vec<f32> {
    x.inner().into_data().iter::<f32>().collect()
}
