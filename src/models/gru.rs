//! Stacked GRU (PyTorch semantics, `reset_after`) with batched input projections.
//!
//! Same strategy as [`super::lstm::FastLstmLayer`]: all input projections in one matmul,
//! per step one `[B, H] x [H, 3H]` matmul. Gates `[r, z, n]`:
//! `r, z = σ(x_r + h_r), σ(x_z + h_z)`, `n = tanh(x_n + r ⊙ (W_hn h + b_hn))`,
//! `h' = n + z ⊙ (h − n)` (= `(1 − z) ⊙ n + z ⊙ h`).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::lstm::{d_depth, d_width, rnn_projections};
use super::stack::{through_layers, EmbedStack};
use super::token_projection::{forward_folded, ProjectedLayer};
use super::{linear_op, recurrent_op, swap_op};

/// GRU hyperparameters: embedding → `depth` GRU layers of `width` → linear readout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GruConfig {
    pub vocab: usize,
    pub n_classes: usize,
    #[serde(default = "d_width")]
    pub width: usize,
    #[serde(default = "d_depth")]
    pub depth: usize,
    /// Dropout between layers (not after the last).
    #[serde(default)]
    pub dropout: f64,
}

impl GruConfig {
    pub fn new(vocab: usize, n_classes: usize) -> Self {
        Self {
            vocab,
            n_classes,
            width: d_width(),
            depth: d_depth(),
            dropout: 0.0,
        }
    }

    pub fn init(&self, device: &Device) -> Gru {
        let h = self.width;
        Gru {
            emb: EmbeddingConfig::new(self.vocab, h).init(device),
            layers: (0..self.depth)
                .map(|_| GruLayer::new(h, h, device))
                .collect(),
            drop: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(h, self.n_classes).init(device),
        }
    }
}

/// One GRU layer.
#[derive(Module, Debug)]
pub struct GruLayer {
    /// `[in, 3H]` + bias, applied to all time steps at once.
    pub w_ih: Linear,
    /// `[H, 3H]` + bias (`b_hn` must sit inside `r ⊙ (...)`, so the hidden bias is kept).
    pub w_hh: Linear,
    /// Run the whole sequence as one op ([`super::recurrent_op`]) where the backend has it.
    pub sequence: bool,
}

impl GruLayer {
    pub fn new(d_in: usize, hidden: usize, device: &Device) -> Self {
        let (w_ih, w_hh) = rnn_projections(d_in, hidden, 3, true, device);
        Self {
            w_ih,
            w_hh,
            sequence: true,
        }
    }

    /// `[B, T, in]` → `[B, T, H]` (zero initial state).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        ProjectedLayer::forward(self, x)
    }
}

impl ProjectedLayer for GruLayer {
    fn input_projection(&self) -> &Linear {
        &self.w_ih
    }

    /// From `xp` `[T, B, 3H]` (bias included).
    fn recur(&self, xp: Tensor<3>) -> Tensor<3> {
        let [t, b, _] = xp.dims();
        let [hid, _] = self.w_hh.weight.dims();
        if self.sequence {
            let (w, b) = (
                self.w_hh.weight.val(),
                self.w_hh.bias.as_ref().map(|b| b.val()),
            );
            if let Some(out) = b.and_then(|b| recurrent_op::gru_sequence(xp.clone(), w, b)) {
                return swap_op::swap01(out);
            }
        }
        let mut h: Tensor<2> = Tensor::zeros([b, hid], &xp.device());
        let mut outs = Vec::with_capacity(t);
        for xt in xp.iter_dim(0) {
            let xt: Tensor<2> = xt.reshape([b, 3 * hid]);
            let hp = self.w_hh.forward(h.clone()); // [B, 3H]
            let rz = sigmoid(xt.clone().narrow(1, 0, 2 * hid) + hp.clone().narrow(1, 0, 2 * hid));
            let r = rz.clone().narrow(1, 0, hid);
            let z = rz.narrow(1, hid, hid);
            let n = tanh(xt.narrow(1, 2 * hid, hid) + r * hp.narrow(1, 2 * hid, hid));
            h = n.clone() + z * (h - n);
            outs.push(h.clone());
        }
        Tensor::stack(outs, 1)
    }
}

/// Embedding → stacked GRU → linear readout at every position.
#[derive(Module, Debug)]
pub struct Gru {
    pub emb: Embedding,
    pub layers: Vec<GruLayer>,
    pub drop: Dropout,
    pub head: Linear,
}

impl EmbedStack for Gru {
    fn embedding(&self) -> &Embedding {
        &self.emb
    }

    /// Tokens → logits, with the embedding folded into the first layer's input projection
    /// ([`super::token_projection`]) where that pays.
    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        forward_folded(&self.emb, &self.layers, &self.drop, &self.head, &tokens)
            .unwrap_or_else(|| self.run(self.emb.forward(tokens), None))
    }

    fn run(&self, x: Tensor<3>, states: Option<&mut Vec<Tensor<3>>>) -> Tensor<3> {
        let x = through_layers(
            x,
            self.layers.len(),
            |i, x| self.layers[i].forward(x),
            Some(&self.drop),
            states,
        );
        linear_op::forward(&self.head, x)
    }
}
