//! Position-wise MLP without weight sharing over time (science §3 question 4).
//!
//! For each output position `t` the input is the one-hot window of the prefix `x_1..x_t`,
//! zero-padded to the fixed length `max_len` (flattened, `max_len * vocab` features), fed
//! through a hidden layer of its own and a readout of its own. All positions are computed
//! in one matmul: the one-hot input `[B, T*V]` times a first-layer weight `[T*V, T*H]` whose
//! blocks `(s, t)` with `s > t` are masked to zero (block lower-triangular), so the output
//! at `t` only sees `s ≤ t`; the per-position readouts are one batched matmul `[T, H, C]`.
//!
//! The model has parameters only for positions `< max_len`: it cannot run on longer
//! inputs, and `forward` returns [`ModelError::TooLong`] instead. Shorter inputs are zero
//! padded (identical to the training view of a prefix). Parameter count grows as
//! `max_len² · vocab · hidden / 2` (the masked half is stored too).

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::{Bool, Device, Distribution, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::ModelError;

fn d_hidden() -> usize {
    64
}
fn d_depth() -> usize {
    1
}

/// MLP hyperparameters; `width` is the hidden size per position, `depth` the number of
/// hidden layers per position (the first one reads the prefix window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    pub vocab: usize,
    pub n_classes: usize,
    /// Trained (and maximal) sequence length.
    pub max_len: usize,
    #[serde(default = "d_hidden")]
    pub width: usize,
    #[serde(default = "d_depth")]
    pub depth: usize,
}

impl MlpConfig {
    pub fn new(vocab: usize, n_classes: usize, max_len: usize) -> Self {
        Self {
            vocab,
            n_classes,
            max_len,
            width: d_hidden(),
            depth: d_depth(),
        }
    }

    pub fn init(&self, device: &Device) -> Mlp {
        let (t, v, h, c) = (self.max_len, self.vocab, self.width, self.n_classes);
        assert!(self.depth >= 1, "MLP depth must be >= 1");
        // Output position t sees t+1 active one-hot rows: scale U(-1,1) by 1/sqrt(t+1) so the
        // pre-activation variance is the same at every position.
        let scale: Vec<f32> = (0..t).map(|i| 1.0 / ((i + 1) as f32).sqrt()).collect();
        let scale = Tensor::<4>::from_data(TensorData::new(scale, [1, 1, t, 1]), device);
        let w_in =
            Tensor::<4>::random([t, v, t, h], Distribution::Uniform(-1.0, 1.0), device) * scale;
        let uni = |shape: [usize; 3], fan: usize| {
            let k = 1.0 / (fan as f64).sqrt();
            Param::from_tensor(Tensor::<3>::random(
                shape,
                Distribution::Uniform(-k, k),
                device,
            ))
        };
        let hidden = (1..self.depth).map(|_| uni([t, h, h], h)).collect();
        let hidden_b = (1..self.depth)
            .map(|_| Param::from_tensor(Tensor::<2>::zeros([t, h], device)))
            .collect();
        Mlp {
            w_in: Param::from_tensor(w_in),
            b_in: Param::from_tensor(Tensor::zeros([t, h], device)),
            hidden,
            hidden_b,
            w_out: uni([t, h, c], h),
            b_out: Param::from_tensor(Tensor::zeros([t, c], device)),
            max_len: t,
            vocab: v,
        }
    }
}

/// See the module docs.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `[T(in position), V, T(out position), H]`; blocks with in > out are masked in `forward`.
    pub w_in: Param<Tensor<4>>,
    pub b_in: Param<Tensor<2>>,
    /// Extra per-position hidden layers `[T, H, H]`.
    pub hidden: Vec<Param<Tensor<3>>>,
    pub hidden_b: Vec<Param<Tensor<2>>>,
    /// Per-position readout `[T, H, C]`.
    pub w_out: Param<Tensor<3>>,
    pub b_out: Param<Tensor<2>>,
    pub max_len: usize,
    pub vocab: usize,
}

impl Mlp {
    /// Tokens `[B, T]` (T ≤ max_len) → logits `[B, T, C]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Result<Tensor<3>, ModelError> {
        self.forward_onehot(tokens.one_hot::<3>(self.vocab).float())
    }

    /// Real-valued token encodings `[B, T, V]` (T ≤ max_len) → logits `[B, T, C]`;
    /// one-hot rows reproduce `forward`.
    pub fn forward_onehot(&self, x: Tensor<3>) -> Result<Tensor<3>, ModelError> {
        self.run(x, None)
    }

    /// The input encoding `[B, T, V]` (layer 0), then every hidden layer `[B, T, H]`.
    pub fn hidden_states(&self, tokens: Tensor<2, Int>) -> Result<Vec<Tensor<3>>, ModelError> {
        let x: Tensor<3> = tokens.one_hot::<3>(self.vocab).float();
        let mut states = vec![x.clone()];
        self.run(x, Some(&mut states))?;
        Ok(states)
    }

    fn run(
        &self,
        x: Tensor<3>,
        mut states: Option<&mut Vec<Tensor<3>>>,
    ) -> Result<Tensor<3>, ModelError> {
        let [b, t, _] = x.dims();
        let (tm, v) = (self.max_len, self.vocab);
        if t > tm {
            return Err(ModelError::TooLong {
                model: "mlp",
                got: t,
                max_len: tm,
            });
        }
        let device = x.device();
        let w = self.w_in.val();
        let [_, _, _, h] = w.dims();
        // Block-causal mask: input position s may feed output position t only if s <= t.
        let mask = Tensor::<2, Bool>::triu_mask([tm, tm], 0, &device) // [s, t]: true where s > t
            .reshape([tm, 1, tm, 1])
            .expand([tm, v, tm, h]);
        let w = w.mask_fill(mask, 0.0).reshape([tm * v, tm * h]);
        let mut x = x; // [B, T, V]
        if t < tm {
            x = Tensor::cat(vec![x, Tensor::zeros([b, tm - t, v], &device)], 1);
        }
        let hid =
            x.reshape([b, tm * v]).matmul(w).reshape([b, tm, h]) + self.b_in.val().unsqueeze();
        let mut hid = relu(hid).swap_dims(0, 1); // [T, B, H]
        let mut keep = |hid: &Tensor<3>| {
            if let Some(s) = states.as_deref_mut() {
                s.push(hid.clone().swap_dims(0, 1).narrow(1, 0, t));
            }
        };
        keep(&hid);
        for (wk, bk) in self.hidden.iter().zip(&self.hidden_b) {
            hid = relu(hid.matmul(wk.val()) + bk.val().unsqueeze_dim(1));
            keep(&hid);
        }
        let out = hid.matmul(self.w_out.val()) + self.b_out.val().unsqueeze_dim(1); // [T, B, C]
        Ok(out.swap_dims(0, 1).narrow(1, 0, t))
    }
}
