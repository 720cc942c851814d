//! Stacked LSTM with a fast layer (PyTorch's strategy) and burn's stock layer for comparison.
//!
//! Why our own layer: burn's `nn::Lstm` runs eight small linears per time step (input and
//! hidden projection for each gate) and writes each step's output with `slice_assign` into
//! a `[B, T, H]` buffer (O(T²) copying under autodiff). [`FastLstmLayer`] computes the
//! input projections of all time steps in one `[B*T, in] x [in, 4H]` matmul, and per step
//! only one `[B, H] x [H, 4H]` matmul plus the gate arithmetic; outputs are stacked once.

use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::stack::{through_layers, EmbedStack};
use super::token_projection::{forward_folded, ProjectedLayer};
use super::{fused, linear_op, recurrent_op, swap_op};

/// Which LSTM layer implementation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LstmImpl {
    /// [`FastLstmLayer`] as one whole-sequence op ([`super::recurrent_op`]) on the Flex
    /// CPU backend, `Fused` elsewhere: default, fastest.
    #[default]
    Sequence,
    /// [`FastLstmLayer`] step by step with the host-fused cell ([`super::fused`]).
    Fused,
    /// [`FastLstmLayer`] with the cell written in burn tensor ops.
    Fast,
    /// `burn::nn::Lstm` (kept for benchmarks and cross-checks).
    Stock,
}

pub(crate) fn d_width() -> usize {
    64
}
pub(crate) fn d_depth() -> usize {
    1
}

/// LSTM hyperparameters: embedding → `depth` LSTM layers of `width` → linear readout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LstmConfig {
    pub vocab: usize,
    pub n_classes: usize,
    #[serde(default = "d_width")]
    pub width: usize,
    #[serde(default = "d_depth")]
    pub depth: usize,
    /// Dropout between layers (PyTorch semantics: not after the last layer).
    #[serde(default)]
    pub dropout: f64,
    #[serde(default, rename = "impl")]
    pub implementation: LstmImpl,
}

impl LstmConfig {
    pub fn new(vocab: usize, n_classes: usize) -> Self {
        Self {
            vocab,
            n_classes,
            width: d_width(),
            depth: d_depth(),
            dropout: 0.0,
            implementation: LstmImpl::default(),
        }
    }

    pub fn init(&self, device: &Device) -> Lstm {
        let h = self.width;
        let (layers, stock) = match self.implementation {
            LstmImpl::Fast | LstmImpl::Fused | LstmImpl::Sequence => (
                (0..self.depth)
                    .map(|_| {
                        let mut l = FastLstmLayer::new(h, h, device);
                        l.fused = self.implementation != LstmImpl::Fast;
                        l.sequence = self.implementation == LstmImpl::Sequence;
                        l
                    })
                    .collect(),
                Vec::new(),
            ),
            LstmImpl::Stock => (
                Vec::new(),
                (0..self.depth)
                    .map(|_| burn::nn::LstmConfig::new(h, h, true).init(device))
                    .collect(),
            ),
        };
        Lstm {
            emb: EmbeddingConfig::new(self.vocab, h).init(device),
            layers,
            stock,
            drop: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(h, self.n_classes).init(device),
        }
    }
}

/// The input projection `[in, gates·H]` (with bias, applied to all time steps at once) and
/// the recurrent projection `[H, gates·H]` (with a bias only if `hidden_bias`) of a gated
/// RNN layer, with PyTorch's default initialization: U(-1/sqrt(H), 1/sqrt(H)) for every
/// weight and bias.
pub(crate) fn rnn_projections(
    d_in: usize,
    hidden: usize,
    gates: usize,
    hidden_bias: bool,
    device: &Device,
) -> (Linear, Linear) {
    let k = 1.0 / (hidden as f64).sqrt();
    let init = Initializer::Uniform { min: -k, max: k };
    let w_ih = LinearConfig::new(d_in, gates * hidden)
        .with_initializer(init.clone())
        .init(device);
    let w_hh = LinearConfig::new(hidden, gates * hidden)
        .with_bias(hidden_bias)
        .with_initializer(init)
        .init(device);
    (w_ih, w_hh)
}

/// One LSTM layer, gates laid out `[i, f, o, g]` so one sigmoid covers `i, f, o`.
#[derive(Module, Debug)]
pub struct FastLstmLayer {
    /// `[in, 4H]` with bias: applied to all time steps at once.
    pub w_ih: Linear,
    /// `[H, 4H]` without bias (one bias suffices): the only per-step matmul.
    pub w_hh: Linear,
    /// Use the host-fused cell ([`super::fused`]) instead of tensor ops.
    pub fused: bool,
    /// Run the whole sequence as one op ([`super::recurrent_op`]) where the backend has it.
    pub sequence: bool,
}

impl FastLstmLayer {
    pub fn new(d_in: usize, hidden: usize, device: &Device) -> Self {
        let (w_ih, w_hh) = rnn_projections(d_in, hidden, 4, false, device);
        Self {
            w_ih,
            w_hh,
            fused: true,
            sequence: true,
        }
    }

    /// `[B, T, in]` → `[B, T, H]` (zero initial state).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        ProjectedLayer::forward(self, x)
    }

    /// Per step: `g = x_t W_ih + b + h W_hh` on the graph, then the fused host cell.
    fn forward_fused(&self, xp: Tensor<3>, w_hh: Tensor<2>) -> Tensor<3> {
        let [t, b, four_h] = xp.dims();
        let hid = four_h / 4;
        let device = xp.device();
        let mut outs = Vec::with_capacity(t);
        let mut h: Option<Tensor<2>> = None;
        let mut c: Option<(Tensor<2>, Vec<f32>)> = None;
        for xt in xp.iter_dim(0) {
            let xt: Tensor<2> = xt.reshape([b, four_h]);
            let g = match &h {
                Some(h) => xt + h.clone().matmul(w_hh.clone()),
                None => xt,
            };
            let step =
                fused::lstm_step(&fused::host(&g), c.as_ref().map(|c| c.1.as_slice()), b, hid);
            let (c_new, h_new) = fused::lstm_step_tensors(g, c.map(|c| c.0), &step, &device);
            let c_host: Vec<f32> = step
                .y
                .chunks(2 * hid)
                .flat_map(|row| row[..hid].iter().copied())
                .collect();
            c = Some((c_new, c_host));
            h = Some(h_new.clone());
            outs.push(h_new);
        }
        Tensor::stack(outs, 1)
    }
}

impl ProjectedLayer for FastLstmLayer {
    fn input_projection(&self) -> &Linear {
        &self.w_ih
    }

    /// From `xp` `[T, B, 4H]` (bias included).
    fn recur(&self, xp: Tensor<3>) -> Tensor<3> {
        let [t, b, _] = xp.dims();
        let [hid, _] = self.w_hh.weight.dims();
        let w_hh = self.w_hh.weight.val();
        if self.sequence {
            if let Some(out) = recurrent_op::lstm_sequence(xp.clone(), w_hh.clone()) {
                return swap_op::swap01(out);
            }
        }
        if self.fused {
            return self.forward_fused(xp, w_hh);
        }
        let mut outs = Vec::with_capacity(t);
        let mut h: Option<Tensor<2>> = None;
        let mut c: Option<Tensor<2>> = None;
        for xt in xp.iter_dim(0) {
            let xt: Tensor<2> = xt.reshape([b, 4 * hid]);
            // h_0 = 0: skip the recurrent matmul at the first step.
            let g = match &h {
                Some(h) => xt + h.clone().matmul(w_hh.clone()),
                None => xt,
            };
            let ifo = sigmoid(g.clone().narrow(1, 0, 3 * hid));
            let gg = tanh(g.narrow(1, 3 * hid, hid));
            let i = ifo.clone().narrow(1, 0, hid);
            let o = ifo.clone().narrow(1, 2 * hid, hid);
            let c_new = match c {
                Some(c) => ifo.narrow(1, hid, hid) * c + i * gg,
                None => i * gg,
            };
            let h_new = o * tanh(c_new.clone());
            c = Some(c_new);
            h = Some(h_new.clone());
            outs.push(h_new);
        }
        Tensor::stack(outs, 1)
    }
}

/// Embedding → stacked LSTM → linear readout at every position.
#[derive(Module, Debug)]
pub struct Lstm {
    pub emb: Embedding,
    pub layers: Vec<FastLstmLayer>,
    /// burn's stock layers (`impl: stock`); empty otherwise.
    pub stock: Vec<burn::nn::Lstm>,
    pub drop: Dropout,
    pub head: Linear,
}

impl EmbedStack for Lstm {
    fn embedding(&self) -> &Embedding {
        &self.emb
    }

    /// Tokens → logits, with the embedding folded into the first layer's input projection
    /// ([`super::token_projection`]) where that pays.
    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        // burn's stock layers (`impl: stock`) have no separate input projection.
        let folded = if self.stock.is_empty() {
            forward_folded(&self.emb, &self.layers, &self.drop, &self.head, &tokens)
        } else {
            None
        };
        folded.unwrap_or_else(|| self.run(self.emb.forward(tokens), None))
    }

    fn run(&self, x: Tensor<3>, states: Option<&mut Vec<Tensor<3>>>) -> Tensor<3> {
        let fast = self.layers.len();
        let layer = |i: usize, x: Tensor<3>| match self.layers.get(i) {
            Some(l) => l.forward(x),
            None => self.stock[i - fast].forward(x, None).0,
        };
        let n = fast + self.stock.len();
        let x = through_layers(x, n, layer, Some(&self.drop), states);
        linear_op::forward(&self.head, x)
    }
}
