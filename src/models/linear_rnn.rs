//! Diagonal linear RNN in the minGRU style (Feng et al. 2024), science §6.
//!
//! Per layer: `h_t = a_t ⊙ h_{t-1} + (1 − a_t) ⊙ h̃_t` with `a_t = σ(W_a x_t)` and
//! `h̃_t = W_h x_t` (gates depend on the input only, so the recurrence is linear in `h`).
//! With `negative_eigenvalues` the gate is `a_t = 2σ(W_a x_t) − 1 ∈ [-1, 1]` (Grazzi et al.
//! 2025), which lets a single layer flip a state and so represent parity; with gates in
//! `[0, 1]` it cannot. A learned initial state `h_0` (per layer) gives the flip something
//! to act on.
//!
//! Because the recurrence is linear with input-only gates, it is computed as a parallel
//! prefix scan (Hillis–Steele, `ceil(log2 T)` levels of whole-tensor ops) instead of `T`
//! sequential steps: pairs `(A, B)` compose as `(A₂A₁, A₂B₁ + B₂)`.
//!
//! Layer block (pre-LN, residual): `x += W_o · scan(LN(x))`, then `x += MLP(LN(x))`.

use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, sigmoid};
use burn::tensor::{Device, Tensor};

use super::stack::{through_layers, EmbedStack};
use serde::{Deserialize, Serialize};

fn d_width() -> usize {
    64
}
fn d_depth() -> usize {
    1
}

/// Linear-RNN hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRnnConfig {
    pub vocab: usize,
    pub n_classes: usize,
    #[serde(default = "d_width")]
    pub width: usize,
    #[serde(default = "d_depth")]
    pub depth: usize,
    /// Gate range `[-1, 1]` instead of `[0, 1]`.
    #[serde(default)]
    pub negative_eigenvalues: bool,
}

impl LinearRnnConfig {
    pub fn new(vocab: usize, n_classes: usize) -> Self {
        Self {
            vocab,
            n_classes,
            width: d_width(),
            depth: d_depth(),
            negative_eigenvalues: false,
        }
    }

    pub fn init(&self, device: &Device) -> LinearRnn {
        let d = self.width;
        LinearRnn {
            emb: EmbeddingConfig::new(self.vocab, d).init(device),
            layers: (0..self.depth)
                .map(|_| LinearRnnLayer {
                    ln1: LayerNormConfig::new(d).init(device),
                    w_gate: LinearConfig::new(d, 2 * d).init(device),
                    h0: Param::from_tensor(Tensor::ones([d], device)),
                    w_out: LinearConfig::new(d, d).init(device),
                    ln2: LayerNormConfig::new(d).init(device),
                    ff1: LinearConfig::new(d, 2 * d).init(device),
                    ff2: LinearConfig::new(2 * d, d).init(device),
                    negative: self.negative_eigenvalues,
                })
                .collect(),
            ln_f: LayerNormConfig::new(d).init(device),
            head: LinearConfig::new(d, self.n_classes).init(device),
        }
    }
}

/// One minGRU-style block; see the module docs.
#[derive(Module, Debug)]
pub struct LinearRnnLayer {
    pub ln1: LayerNorm,
    /// Fused `[W_a | W_h]`: `[d, 2d]`.
    pub w_gate: Linear,
    /// Learned initial state `[d]` (initialised to 1).
    pub h0: Param<Tensor<1>>,
    pub w_out: Linear,
    pub ln2: LayerNorm,
    pub ff1: Linear,
    pub ff2: Linear,
    pub negative: bool,
}

impl LinearRnnLayer {
    /// `[B, T, d]` → `[B, T, d]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [_, _, d] = x.dims();
        let z = self.w_gate.forward(self.ln1.forward(x.clone()));
        let s = sigmoid(z.clone().narrow(2, 0, d));
        let a = if self.negative {
            s.mul_scalar(2.0).sub_scalar(1.0)
        } else {
            s
        };
        let cand = z.narrow(2, d, d);
        let b = (a.clone().neg().add_scalar(1.0)) * cand;
        let h = linear_scan(a, b, self.h0.val());
        let x = x + self.w_out.forward(h);
        let f = self
            .ff2
            .forward(gelu(self.ff1.forward(self.ln2.forward(x.clone()))));
        x + f
    }
}

/// `h_t = a_t ⊙ h_{t-1} + b_t` with `h_0 = h0`, for all `t`, by a Hillis–Steele scan.
/// `a`, `b`: `[B, T, d]`; `h0`: `[d]`. Output `[B, T, d]`.
pub(crate) fn linear_scan(a: Tensor<3>, b: Tensor<3>, h0: Tensor<1>) -> Tensor<3> {
    let [_, t, _] = a.dims();
    let (mut a, mut b) = (a, b);
    let mut k = 1;
    while k < t {
        // Positions >= k absorb the composite ending at position - k.
        let a_hi = a.clone().narrow(1, k, t - k);
        let a_lo = a.clone().narrow(1, 0, t - k);
        let b_lo = b.clone().narrow(1, 0, t - k);
        let b_hi = b.clone().narrow(1, k, t - k);
        b = Tensor::cat(vec![b.narrow(1, 0, k), b_hi + a_hi.clone() * b_lo], 1);
        a = Tensor::cat(vec![a.narrow(1, 0, k), a_hi * a_lo], 1);
        k *= 2;
    }
    // Now a_t = prod_{s<=t} a_s and b_t = the scan from a zero state.
    b + a * h0.unsqueeze::<3>()
}

/// Embedding → `depth` linear-RNN blocks → LayerNorm → readout.
#[derive(Module, Debug)]
pub struct LinearRnn {
    pub emb: Embedding,
    pub layers: Vec<LinearRnnLayer>,
    pub ln_f: LayerNorm,
    pub head: Linear,
}

impl EmbedStack for LinearRnn {
    fn embedding(&self) -> &Embedding {
        &self.emb
    }

    /// The block outputs recorded are the residual stream.
    fn run(&self, x: Tensor<3>, states: Option<&mut Vec<Tensor<3>>>) -> Tensor<3> {
        let n = self.layers.len();
        let x = through_layers(x, n, |i, x| self.layers[i].forward(x), None, states);
        self.head.forward(self.ln_f.forward(x))
    }
}
