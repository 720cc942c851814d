//! Sequence models behind one interface: tokens `[B, T]` (Int) → logits `[B, T, n_classes]`.
//!
//! Every model is causal: the logits at position `t` depend only on `x_1..x_t`, so one
//! forward pass labels every prefix (the automata tasks label every position).
//! [`ModelConfig`] is serde-(de)serializable so experiment files can describe models as
//! JSON, e.g. `{"family": "lstm", "vocab": 2, "n_classes": 2, "width": 64, "depth": 1}`.

mod attention_kernels;
pub mod attention_op;
mod build;
pub mod fused;
pub mod gelu_op;
#[cfg(target_arch = "x86_64")]
pub mod gemm512;
pub mod gru;
pub mod gru_seq;
pub mod host_gemm;
pub mod isa;
pub mod layernorm_op;
pub mod linear_op;
pub mod linear_residual_op;
pub mod linear_rnn;
pub mod lstm;
pub mod lstm_seq;
pub mod mlp;
pub mod recurrent_op;
pub mod seq_chunks;
mod simd;
pub mod stack;
pub mod swap_op;
mod token_projection;
pub mod transformer;
mod turn;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

pub use build::{DataShape, Family, ModelShape};
pub use gru::{Gru, GruConfig, GruLayer};
pub use linear_rnn::{LinearRnn, LinearRnnConfig};
pub use lstm::{FastLstmLayer, Lstm, LstmConfig, LstmImpl};
pub use mlp::{Mlp, MlpConfig};
pub use stack::EmbedStack;
pub use transformer::{PosEncoding, Transformer, TransformerConfig};
pub use turn::rng_turn;

/// Errors a forward pass can report instead of panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The model has a fixed trained length (MLP, learned positions) and the input is longer.
    #[error("{model} cannot run on sequences of length {got}: its maximum length is {max_len} (fixed at construction; it has no parameters for later positions)")]
    TooLong {
        model: &'static str,
        got: usize,
        max_len: usize,
    },
    /// The input is empty.
    #[error("empty input: batch {batch}, length {len}")]
    Empty { batch: usize, len: usize },
}

/// Model description; `family` selects the variant in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum ModelConfig {
    Transformer(TransformerConfig),
    Lstm(LstmConfig),
    Gru(GruConfig),
    Mlp(MlpConfig),
    LinearRnn(LinearRnnConfig),
}

impl ModelConfig {
    /// Builds the model on `device` (call `device.seed(s)` first for reproducible weights).
    pub fn init(&self, device: &Device) -> Model {
        match self {
            ModelConfig::Transformer(c) => Model::Transformer(c.init(device)),
            ModelConfig::Lstm(c) => Model::Lstm(c.init(device)),
            ModelConfig::Gru(c) => Model::Gru(c.init(device)),
            ModelConfig::Mlp(c) => Model::Mlp(c.init(device)),
            ModelConfig::LinearRnn(c) => Model::LinearRnn(c.init(device)),
        }
    }

    /// Input vocabulary size (tokens are `0..vocab`).
    pub fn vocab(&self) -> usize {
        match self {
            ModelConfig::Transformer(c) => c.vocab,
            ModelConfig::Lstm(c) => c.vocab,
            ModelConfig::Gru(c) => c.vocab,
            ModelConfig::Mlp(c) => c.vocab,
            ModelConfig::LinearRnn(c) => c.vocab,
        }
    }

    /// Number of output classes per position.
    pub fn n_classes(&self) -> usize {
        match self {
            ModelConfig::Transformer(c) => c.n_classes,
            ModelConfig::Lstm(c) => c.n_classes,
            ModelConfig::Gru(c) => c.n_classes,
            ModelConfig::Mlp(c) => c.n_classes,
            ModelConfig::LinearRnn(c) => c.n_classes,
        }
    }

    /// Longest sequence the model can process, if it has one (MLP; learned positions).
    pub fn max_len(&self) -> Option<usize> {
        match self {
            ModelConfig::Transformer(c) => match c.pos {
                PosEncoding::Learned => Some(c.max_len),
                _ => None,
            },
            ModelConfig::Mlp(c) => Some(c.max_len),
            ModelConfig::Lstm(_) | ModelConfig::Gru(_) | ModelConfig::LinearRnn(_) => None,
        }
    }

    /// Short family name (`"transformer"`, `"lstm"`, ...).
    pub fn family(&self) -> &'static str {
        match self {
            ModelConfig::Transformer(_) => "transformer",
            ModelConfig::Lstm(_) => "lstm",
            ModelConfig::Gru(_) => "gru",
            ModelConfig::Mlp(_) => "mlp",
            ModelConfig::LinearRnn(_) => "linear_rnn",
        }
    }
}

/// Any seqlab model. An enum (rather than a trait object) so that burn's `Module`
/// derive covers every family: optimizers, `valid()`, checkpoints work uniformly.
#[derive(Module, Debug)]
pub enum Model {
    Transformer(Transformer),
    Lstm(Lstm),
    Gru(Gru),
    Mlp(Mlp),
    LinearRnn(LinearRnn),
}

impl Model {
    /// Tokens `[B, T]` → logits `[B, T, n_classes]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Result<Tensor<3>, ModelError> {
        let [b, t] = tokens.dims();
        if b == 0 || t == 0 {
            return Err(ModelError::Empty { batch: b, len: t });
        }
        match self {
            Model::Transformer(m) => m.forward(tokens),
            Model::Lstm(m) => Ok(m.forward(tokens)),
            Model::Gru(m) => Ok(m.forward(tokens)),
            Model::Mlp(m) => m.forward(tokens),
            Model::LinearRnn(m) => Ok(m.forward(tokens)),
        }
    }

    /// Real-valued token encodings `[B, T, vocab]` → logits `[B, T, n_classes]`.
    ///
    /// With `x = one_hot(tokens)` this equals [`Model::forward`]: every family's embedding
    /// lookup is replaced by the product `x · E` (the MLP reads one-hot rows anyway). It is
    /// the differentiable entry point for input attributions (gradients w.r.t. `x`).
    pub fn forward_onehot(&self, x: Tensor<3>) -> Result<Tensor<3>, ModelError> {
        let [b, t, _] = x.dims();
        if b == 0 || t == 0 {
            return Err(ModelError::Empty { batch: b, len: t });
        }
        match self {
            Model::Transformer(m) => m.forward_onehot(x),
            Model::Lstm(m) => Ok(m.forward_onehot(x)),
            Model::Gru(m) => Ok(m.forward_onehot(x)),
            Model::Mlp(m) => m.forward_onehot(x),
            Model::LinearRnn(m) => Ok(m.forward_onehot(x)),
        }
    }

    /// Representations for probes: index 0 is the input representation (the embedding,
    /// plus positions for a Transformer; the one-hot input for the MLP), index `l` the output
    /// of layer `l` (`1..=L`), each `[B, T, d_l]`.
    pub fn hidden_states(&self, tokens: Tensor<2, Int>) -> Result<Vec<Tensor<3>>, ModelError> {
        let [b, t] = tokens.dims();
        if b == 0 || t == 0 {
            return Err(ModelError::Empty { batch: b, len: t });
        }
        match self {
            Model::Transformer(m) => m.hidden_states(tokens),
            Model::Lstm(m) => Ok(m.hidden_states(tokens)),
            Model::Gru(m) => Ok(m.hidden_states(tokens)),
            Model::Mlp(m) => m.hidden_states(tokens),
            Model::LinearRnn(m) => Ok(m.hidden_states(tokens)),
        }
    }

    /// Attention weights per layer, each `[B, heads, T, T]` (rows sum to 1; entries above
    /// the diagonal are 0). `None` for families without attention.
    ///
    /// With a BOS token the maps cover the input tokens only: the BOS row (its output is
    /// dropped) and column are left out, so a row sums to 1 minus the weight that position
    /// puts on the BOS token.
    pub fn attention_weights(
        &self,
        tokens: Tensor<2, Int>,
    ) -> Option<Result<Vec<Tensor<4>>, ModelError>> {
        match self {
            Model::Transformer(m) => Some(m.forward_with_attention(tokens).map(|(_, ws)| {
                if !m.bos {
                    return ws;
                }
                ws.into_iter()
                    .map(|w| {
                        let t = w.dims()[2] - 1;
                        w.narrow(2, 1, t).narrow(3, 1, t)
                    })
                    .collect()
            })),
            Model::Lstm(_) | Model::Gru(_) | Model::Mlp(_) | Model::LinearRnn(_) => None,
        }
    }
}
