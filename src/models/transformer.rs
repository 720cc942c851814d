//! Causal pre-LayerNorm Transformer (GPT-2 style) with its own attention.
//!
//! The attention is written with the tensor API (fused q/k/v projection, scaled dot
//! product, additive causal bias, softmax) instead of `burn::nn::MultiHeadAttention`, so
//! RoPE can rotate q/k inside it, ALiBi can add its distance bias, and the weights come
//! back directly for attention maps.
//!
//! Position encodings (the study reports which was used; they decide length generalization):
//! * `learned`: absolute table of `max_len` rows; cannot run past `max_len` (error).
//! * `sinusoidal`: fixed sin/cos added to the embedding, computed for any length.
//! * `rope`: rotary encoding of q and k per head (head dim must be even), any length.
//! * `alibi`: per-head linear distance penalty on the scores (Press et al. 2022), any length.
//! * `none` (NoPE): no position signal at all; only the causal mask breaks the symmetry
//!   between positions (Kazemnejad et al. 2023), any length.
//!
//! `bos: true` prepends a beginning-of-sequence token (id `vocab`, its own embedding row)
//! inside every entry point and drops the model's output at it, so callers pass and get
//! back the same `T` positions as without it. It gives attention a fixed place to look:
//! with relative or no positions a causal layer cannot otherwise tell where the sequence
//! starts (science.md: the anchors all prepend one).

use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::attention_op;
use super::recurrent_op::on_flex_f32;
use super::ModelError;
use super::{layernorm_op, linear_op, linear_residual_op};

/// How positions enter the model; `none` adds no position signal (NoPE: a
/// causal model can still tell positions apart, through a BOS token or the
/// mask). (No doc comments on the variants: schemars would then describe the
/// enum as `oneOf`, and the params reference would lose its value list.)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PosEncoding {
    #[default]
    Learned,
    Sinusoidal,
    Rope,
    Alibi,
    None,
}

fn d_width() -> usize {
    64
}
fn d_depth() -> usize {
    2
}
fn d_heads() -> usize {
    4
}
fn d_max_len() -> usize {
    512
}

/// Transformer hyperparameters (`width` = d_model, `depth` = layers L).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformerConfig {
    pub vocab: usize,
    pub n_classes: usize,
    #[serde(default = "d_width")]
    pub width: usize,
    #[serde(default = "d_depth")]
    pub depth: usize,
    #[serde(default = "d_heads")]
    pub heads: usize,
    /// Feed-forward width; default `4 * width`.
    #[serde(default)]
    pub d_ff: Option<usize>,
    #[serde(default)]
    pub dropout: f64,
    #[serde(default)]
    pub pos: PosEncoding,
    /// Longest input the learned position table covers (only used by `pos: learned`;
    /// with `bos` the table has one more row, for the BOS position).
    #[serde(default = "d_max_len")]
    pub max_len: usize,
    /// Prepend a beginning-of-sequence token (see the module docs). Left out of the JSON
    /// when false, so configs written before it existed are written the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bos: bool,
}

impl TransformerConfig {
    /// A config with the defaults above (width 64, depth 2, 4 heads, learned positions).
    pub fn new(vocab: usize, n_classes: usize) -> Self {
        Self {
            vocab,
            n_classes,
            width: d_width(),
            depth: d_depth(),
            heads: d_heads(),
            d_ff: None,
            dropout: 0.0,
            pos: PosEncoding::Learned,
            max_len: d_max_len(),
            bos: false,
        }
    }

    pub fn init(&self, device: &Device) -> Transformer {
        let d = self.width;
        assert!(
            self.heads > 0 && d % self.heads == 0,
            "width {d} must be divisible by heads {}",
            self.heads
        );
        if self.pos == PosEncoding::Rope {
            assert!(
                (d / self.heads) % 2 == 0,
                "RoPE needs an even head dimension"
            );
        }
        let d_ff = self.d_ff.unwrap_or(4 * d);
        let blocks = (0..self.depth)
            .map(|_| Block {
                ln1: LayerNormConfig::new(d)
                    .with_epsilon(layernorm_op::EPS)
                    .init(device),
                qkv: LinearConfig::new(d, 3 * d).init(device),
                proj: LinearConfig::new(d, d).init(device),
                ln2: LayerNormConfig::new(d)
                    .with_epsilon(layernorm_op::EPS)
                    .init(device),
                ff1: LinearConfig::new(d, d_ff).init(device),
                ff2: LinearConfig::new(d_ff, d).init(device),
                drop: DropoutConfig::new(self.dropout).init(),
                heads: self.heads,
            })
            .collect();
        let extra = usize::from(self.bos);
        Transformer {
            tok: EmbeddingConfig::new(self.vocab + extra, d).init(device),
            pos_table: (self.pos == PosEncoding::Learned)
                .then(|| EmbeddingConfig::new(self.max_len + extra, d).init(device)),
            blocks,
            ln_f: LayerNormConfig::new(d)
                .with_epsilon(layernorm_op::EPS)
                .init(device),
            head: LinearConfig::new(d, self.n_classes).init(device),
            drop: DropoutConfig::new(self.dropout).init(),
            pos_kind: pos_code(self.pos),
            heads: self.heads,
            max_len: self.max_len,
            bos: self.bos,
        }
    }
}

fn pos_code(p: PosEncoding) -> usize {
    match p {
        PosEncoding::Learned => 0,
        PosEncoding::Sinusoidal => 1,
        PosEncoding::Rope => 2,
        PosEncoding::Alibi => 3,
        PosEncoding::None => 4,
    }
}

/// One pre-LN block: `x + attn(ln1(x))`, then `x + ff(ln2(x))`.
#[derive(Module, Debug)]
pub struct Block {
    pub ln1: LayerNorm,
    /// Fused q, k, v projection `[d, 3d]` (one matmul instead of three).
    pub qkv: Linear,
    pub proj: Linear,
    pub ln2: LayerNorm,
    pub ff1: Linear,
    pub ff2: Linear,
    pub drop: Dropout,
    pub heads: usize,
}

/// Causal Transformer; see the module docs.
#[derive(Module, Debug)]
pub struct Transformer {
    pub tok: Embedding,
    /// Learned absolute positions (`pos: learned` only).
    pub pos_table: Option<Embedding>,
    pub blocks: Vec<Block>,
    pub ln_f: LayerNorm,
    pub head: Linear,
    pub drop: Dropout,
    /// 0 learned, 1 sinusoidal, 2 rope, 3 alibi, 4 none (a plain integer: module fields
    /// must be modules or primitives).
    pub pos_kind: usize,
    pub heads: usize,
    /// Longest input (without the BOS token) the learned table covers.
    pub max_len: usize,
    /// A BOS token (the last row of `tok`) is prepended; its output is dropped. It is row
    /// and column 0 of the maps of [`Transformer::forward_with_attention`].
    pub bos: bool,
}

/// Per-forward constants: additive attention bias and RoPE tables.
struct AttnCtx {
    /// `[1 or heads, T, T]` as `[1, h, T, T]`: 0 where allowed (plus ALiBi), -inf above the diagonal.
    bias: Tensor<4>,
    /// `(cos, sin)` each `[1, 1, T, dh]` for RoPE.
    rope: Option<(Tensor<4>, Tensor<4>)>,
}

/// What one forward pass can report besides the logits.
pub(crate) struct Trace {
    pub logits: Tensor<3>,
    /// Attention weights per layer, each `[B, heads, T, T]` (when asked for).
    pub attention: Vec<Tensor<4>>,
    /// Residual stream after the embedding (positions added) and after every block, each
    /// `[B, T, d]` (when asked for).
    pub hidden: Vec<Tensor<3>>,
}

impl Transformer {
    /// Tokens `[B, T]` → logits `[B, T, n_classes]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Result<Tensor<3>, ModelError> {
        self.run(self.embed(tokens), false, false).map(|r| r.logits)
    }

    /// Real-valued token encodings `[B, T, vocab]` (one-hot rows reproduce `forward`) → logits.
    pub fn forward_onehot(&self, x: Tensor<3>) -> Result<Tensor<3>, ModelError> {
        self.run(self.embed_onehot(x), false, false)
            .map(|r| r.logits)
    }

    /// Logits plus attention weights per layer, each `[B, heads, T', T']`, where `T'` counts
    /// the BOS position when the model has one (it is row and column 0); see
    /// [`crate::models::Model::attention_weights`] for maps over the input tokens only.
    pub fn forward_with_attention(
        &self,
        tokens: Tensor<2, Int>,
    ) -> Result<(Tensor<3>, Vec<Tensor<4>>), ModelError> {
        self.run(self.embed(tokens), true, false)
            .map(|r| (r.logits, r.attention))
    }

    /// Residual stream after the embedding and after every block (see [`Trace::hidden`]),
    /// at the input positions (a BOS position is dropped).
    pub fn hidden_states(&self, tokens: Tensor<2, Int>) -> Result<Vec<Tensor<3>>, ModelError> {
        self.run(self.embed(tokens), false, true).map(|r| r.hidden)
    }

    /// Token embeddings `[B, T, d]`, with the BOS row in front when the model has one.
    fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.with_bos(self.tok.forward(tokens))
    }

    /// `x [B, T, V] · E [V, d]`: the embedding lookup as a product (equal for one-hot rows;
    /// the BOS row is not an input token, so it is not part of `E` here).
    fn embed_onehot(&self, x: Tensor<3>) -> Tensor<3> {
        let mut e = self.tok.weight.val();
        if self.bos {
            e = e.narrow(0, 0, x.dims()[2]);
        }
        self.with_bos(x.matmul(e.unsqueeze::<3>()))
    }

    /// Prepends the BOS embedding (the last row of the table) to `x` `[B, T, d]`.
    fn with_bos(&self, x: Tensor<3>) -> Tensor<3> {
        if !self.bos {
            return x;
        }
        let [b, _, d] = x.dims();
        let [rows, _] = self.tok.weight.dims();
        let e: Tensor<3> = self
            .tok
            .weight
            .val()
            .narrow(0, rows - 1, 1)
            .unsqueeze::<3>()
            .expand([b, 1, d]);
        Tensor::cat(vec![e, x], 1)
    }

    /// From token embeddings `[B, T, d]`: positions, blocks, readout.
    /// With BOS, `x` already has it at position 0; the logits and hidden states returned
    /// leave it out again.
    fn run(&self, x: Tensor<3>, keep: bool, hidden: bool) -> Result<Trace, ModelError> {
        let [_, t, d] = x.dims();
        let extra = usize::from(self.bos);
        let device = x.device();
        let mut x = x;
        match self.pos_kind {
            0 => {
                if t > self.max_len + extra {
                    return Err(ModelError::TooLong {
                        model: "transformer (learned positions)",
                        got: t - extra,
                        max_len: self.max_len,
                    });
                }
                let table = self.pos_table.as_ref().expect("learned table").weight.val();
                x = x + table.narrow(0, 0, t).unsqueeze::<3>();
            }
            1 => x = x + sinusoids(t, d, &device).unsqueeze::<3>(),
            _ => {}
        }
        let x0 = self.drop.forward(x);
        let ctx = AttnCtx {
            bias: attention_bias(t, self.heads, self.pos_kind == 3, &device),
            rope: (self.pos_kind == 2).then(|| rope_tables(t, d / self.heads, &device)),
        };
        let mut weights = Vec::new();
        let mut states = Vec::new();
        let mut x = x0;
        for block in &self.blocks {
            if hidden {
                states.push(x.clone());
            }
            let (y, w) = block.forward(x, &ctx, keep);
            x = y;
            if let Some(w) = w {
                weights.push(w);
            }
        }
        if hidden {
            states.push(x.clone());
        }
        let logits = linear_op::forward(&self.head, layernorm_op::forward(&self.ln_f, x));
        let inputs_only = |y: Tensor<3>| {
            if extra == 0 {
                y
            } else {
                y.narrow(1, extra, t - extra)
            }
        };
        Ok(Trace {
            logits: inputs_only(logits),
            attention: weights,
            hidden: states.into_iter().map(inputs_only).collect(),
        })
    }
}

impl Block {
    fn forward(&self, x: Tensor<3>, ctx: &AttnCtx, keep: bool) -> (Tensor<3>, Option<Tensor<4>>) {
        // Without dropout the residual adds fold into the projections (one op each).
        let fold = self.drop.prob == 0.0;
        let (a, w) = self.attention(layernorm_op::forward(&self.ln1, x.clone()), ctx, keep);
        let x = match a {
            Attended::Projected(a) => x + self.drop.forward(a),
            Attended::Heads(o) if fold => linear_residual_op::forward(&self.proj, o, x),
            Attended::Heads(o) => x + self.drop.forward(linear_op::forward(&self.proj, o)),
        };
        let h = linear_op::forward_gelu(&self.ff1, layernorm_op::forward(&self.ln2, x.clone()));
        let x = if fold {
            linear_residual_op::forward(&self.ff2, h, x)
        } else {
            x.clone() + self.drop.forward(linear_op::forward(&self.ff2, h))
        };
        (x, w)
    }

    fn attention(&self, x: Tensor<3>, ctx: &AttnCtx, keep: bool) -> (Attended, Option<Tensor<4>>) {
        let [b, t, d] = x.dims();
        let h = self.heads;
        let dh = d / h;
        // One op on Flex when neither the weights nor RoPE are needed (training, logits).
        if !keep && ctx.rope.is_none() && on_flex_f32(&x) {
            let qkv = linear_op::forward(&self.qkv, x);
            let out =
                attention_op::causal_attention(qkv, ctx.bias.clone(), h).expect("checked: on Flex");
            return (Attended::Heads(out), None);
        }
        // [B, T, 3d] -> [B, T, 3, h, dh] -> [3, B, h, T, dh]
        let qkv = self
            .qkv
            .forward(x)
            .reshape([b, t, 3, h, dh])
            .permute([2, 0, 3, 1, 4]);
        let part = |i: usize| -> Tensor<4> { qkv.clone().narrow(0, i, 1).reshape([b, h, t, dh]) };
        let (mut q, mut k, v) = (part(0), part(1), part(2));
        if let Some((cos, sin)) = &ctx.rope {
            q = apply_rope(q, cos, sin);
            k = apply_rope(k, cos, sin);
        }
        let scores = q.matmul(k.transpose()).mul_scalar(1.0 / (dh as f64).sqrt());
        let w = softmax(scores + ctx.bias.clone(), 3);
        let out = w.clone().matmul(v).swap_dims(1, 2).reshape([b, t, d]);
        (
            Attended::Projected(linear_op::forward(&self.proj, out)),
            keep.then_some(w),
        )
    }
}

/// The attention output: the heads before the output projection (so the caller can fold
/// the residual add into it), or already projected.
enum Attended {
    Heads(Tensor<3>),
    Projected(Tensor<3>),
}

/// Causal additive bias `[1, h', T, T]` (h' = heads with ALiBi, else 1): 0 on and below the
/// diagonal (minus `m_h * (i - j)` with ALiBi), -inf above. Exact zeros after softmax keep
/// the model strictly causal.
fn attention_bias(t: usize, heads: usize, alibi: bool, device: &Device) -> Tensor<4> {
    let hh = if alibi { heads } else { 1 };
    let mut v = vec![0f32; hh * t * t];
    for hi in 0..hh {
        // Press et al.: slopes 2^(-8 (h+1) / H).
        let m = if alibi {
            2f32.powf(-8.0 * (hi as f32 + 1.0) / heads as f32)
        } else {
            0.0
        };
        for i in 0..t {
            for j in 0..t {
                v[(hi * t + i) * t + j] = if j > i {
                    f32::NEG_INFINITY
                } else {
                    -m * (i - j) as f32
                };
            }
        }
    }
    Tensor::from_data(TensorData::new(v, [1, hh, t, t]), device)
}

/// Sinusoidal table `[T, d]` (Vaswani et al.): sin on even, cos on odd features.
pub(crate) fn sinusoids(t: usize, d: usize, device: &Device) -> Tensor<2> {
    let mut v = vec![0f32; t * d];
    for p in 0..t {
        for i in 0..d {
            let k = (i / 2) as f64;
            let angle = p as f64 / 10000f64.powf(2.0 * k / d as f64);
            v[p * d + i] = if i % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    Tensor::from_data(TensorData::new(v, [t, d]), device)
}

/// RoPE tables (rotate-half convention, as in GPT-NeoX / LLaMA): cos and sin `[1, 1, T, dh]`.
fn rope_tables(t: usize, dh: usize, device: &Device) -> (Tensor<4>, Tensor<4>) {
    let half = dh / 2;
    let mut c = vec![0f32; t * dh];
    let mut s = vec![0f32; t * dh];
    for p in 0..t {
        for i in 0..dh {
            let freq = 1.0 / 10000f64.powf((i % half) as f64 * 2.0 / dh as f64);
            let a = p as f64 * freq;
            c[p * dh + i] = a.cos() as f32;
            s[p * dh + i] = a.sin() as f32;
        }
    }
    (
        Tensor::from_data(TensorData::new(c, [1, 1, t, dh]), device),
        Tensor::from_data(TensorData::new(s, [1, 1, t, dh]), device),
    )
}

/// `x * cos + rotate_half(x) * sin` with `rotate_half([a, b]) = [-b, a]`.
fn apply_rope(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
    let [_, _, _, dh] = x.dims();
    let half = dh / 2;
    let a = x.clone().narrow(3, 0, half);
    let b = x.clone().narrow(3, half, half);
    let rot = Tensor::cat(vec![b.neg(), a], 3);
    x * cos.clone() + rot * sin.clone()
}
