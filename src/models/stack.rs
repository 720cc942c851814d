//! What the models built as embedding → layers → readout (LSTM, GRU, linear RNN) share:
//! their three entry points (tokens, real-valued encodings, per-layer representations)
//! and the walk through the layers that records those representations.

use burn::nn::{Dropout, Embedding};
use burn::tensor::{Int, Tensor};

/// An embedding followed by layers and a readout; each family says how to run its layers
/// ([`EmbedStack::run`]) and gets the entry points [`super::Model`] dispatches to.
pub trait EmbedStack {
    /// The token embedding `[vocab, width]`.
    fn embedding(&self) -> &Embedding;

    /// From embeddings `[B, T, width]`: the layers and the readout → logits. Pushes the
    /// input and every layer's output to `states` when given (see [`through_layers`]).
    fn run(&self, x: Tensor<3>, states: Option<&mut Vec<Tensor<3>>>) -> Tensor<3>;

    /// Tokens `[B, T]` → logits `[B, T, n_classes]`.
    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.run(self.embedding().forward(tokens), None)
    }

    /// Real-valued token encodings `[B, T, vocab]` → logits (one-hot rows reproduce
    /// [`EmbedStack::forward`]).
    fn forward_onehot(&self, x: Tensor<3>) -> Tensor<3> {
        self.run(onehot_embed(x, self.embedding()), None)
    }

    /// Embedding output, then every layer's output, each `[B, T, width]`.
    fn hidden_states(&self, tokens: Tensor<2, Int>) -> Vec<Tensor<3>> {
        let mut states = Vec::new();
        self.run(self.embedding().forward(tokens), Some(&mut states));
        states
    }
}

/// `x [B, T, V] · E [V, d]`: an embedding lookup as a product (equal for one-hot rows).
pub(crate) fn onehot_embed(x: Tensor<3>, emb: &Embedding) -> Tensor<3> {
    x.matmul(emb.weight.val().unsqueeze::<3>())
}

/// `x` through `n` layers (`layer(i, x)`), with `between` (dropout) after every layer but
/// the last (PyTorch's semantics); pushes `x` and each layer's output (before dropout) to
/// `states` when given.
pub(crate) fn through_layers(
    mut x: Tensor<3>,
    n: usize,
    layer: impl Fn(usize, Tensor<3>) -> Tensor<3>,
    between: Option<&Dropout>,
    mut states: Option<&mut Vec<Tensor<3>>>,
) -> Tensor<3> {
    if let Some(s) = states.as_deref_mut() {
        s.push(x.clone());
    }
    for i in 0..n {
        x = layer(i, x);
        if let Some(s) = states.as_deref_mut() {
            s.push(x.clone());
        }
        if let Some(drop) = between.filter(|_| i + 1 < n) {
            x = drop.forward(x);
        }
    }
    x
}

/// [`through_layers`] after layer 0 has run (its output `x0`): `between` then layer `i` for
/// each `i` in `1..n`, the same order of layers and dropouts; records no states.
pub(crate) fn after_first_layer(
    x0: Tensor<3>,
    n: usize,
    layer: impl Fn(usize, Tensor<3>) -> Tensor<3>,
    between: Option<&Dropout>,
) -> Tensor<3> {
    (1..n).fold(x0, |x, i| {
        let x = match between {
            Some(drop) => drop.forward(x),
            None => x,
        };
        layer(i, x)
    })
}
