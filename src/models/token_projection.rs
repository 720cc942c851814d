//! A token embedding followed by a recurrent layer's input projection, folded into one
//! table: `E[tok] · W + b` equals `(E · W + b)[tok]`.
//!
//! Why: the input projection of the first recurrent layer is a `[B·T, d] × [d, G]` product
//! forward and two more of that size backward (`dX`, `dW`): for a 1-layer LSTM of width 64
//! on 2,048 positions it was about two thirds of all arithmetic in a step. With the table
//! (`[V, d] × [d, G]`, V the vocabulary: 16 in the automata study) each position only
//! gathers a row, and the backward pass adds each position's gradient into its token's row
//! (in position order, one thread: no thread-dependent bits) and runs two V-row products.
//! The same function as the unfolded layers; the float rounding differs (the weight
//! gradient sums per token first), which the `train` kind's version records.

use burn::nn::{Dropout, Embedding, Linear};
use burn::tensor::{Int, Tensor};

use super::stack::after_first_layer;
use super::{linear_op, swap_op};

/// A recurrent layer that starts with one input projection of every position.
pub(crate) trait ProjectedLayer {
    /// The input projection `[in, G]` with bias.
    fn input_projection(&self) -> &Linear;

    /// The rest of the layer, from the time-major projections `[T, B, G]` → `[B, T, H]`
    /// (zero initial state).
    fn recur(&self, xp: Tensor<3>) -> Tensor<3>;

    /// The whole layer, `[B, T, in]` → `[B, T, H]`: one product for every position,
    /// time-major so that each step is a contiguous slab, then the recurrence.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.recur(linear_op::forward(
            self.input_projection(),
            swap_op::swap01(x),
        ))
    }
}

/// Tokens → logits through `emb`, `layers` (with `between` after each but the last) and
/// `head`, the embedding folded into the first layer; `None` where folding does not pay
/// (a vocabulary as large as the batch's positions) or there are no layers.
pub(crate) fn forward_folded<L: ProjectedLayer>(
    emb: &Embedding,
    layers: &[L],
    between: &Dropout,
    head: &Linear,
    tokens: &Tensor<2, Int>,
) -> Option<Tensor<3>> {
    let first = layers.first()?;
    if !folding_pays(emb.weight.dims()[0], tokens) {
        return None;
    }
    let xp = time_major(emb, first.input_projection(), tokens.clone());
    let layer = |i: usize, x: Tensor<3>| layers[i].forward(x);
    let x = after_first_layer(first.recur(xp), layers.len(), layer, Some(between));
    Some(linear_op::forward(head, x))
}

/// Whether folding pays: the table has `vocab` rows, the unfolded product one per position.
fn folding_pays(vocab: usize, tokens: &Tensor<2, Int>) -> bool {
    let [b, t] = tokens.dims();
    vocab < b * t
}

/// `proj(emb(tokens))` time-major: tokens `[B, T]` → `[T, B, G]` (G = `proj`'s outputs).
fn time_major(emb: &Embedding, proj: &Linear, tokens: Tensor<2, Int>) -> Tensor<3> {
    let [b, t] = tokens.dims();
    let [v, d] = emb.weight.dims();
    let [_, g] = proj.weight.dims();
    let table: Tensor<2> =
        linear_op::forward(proj, emb.weight.val().reshape([1, v, d])).reshape([v, g]);
    let positions = tokens.swap_dims(0, 1).reshape([t * b]);
    table.select(0, positions).reshape([t, b, g])
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, TensorData};

    use super::*;
    use crate::models::{EmbedStack, GruConfig, LstmConfig};

    const V: usize = 7;

    fn tokens(b: usize, t: usize, dev: &Device) -> Tensor<2, Int> {
        let x: Vec<i64> = (0..b * t).map(|i| ((i * 5 + i / 3) % V) as i64).collect();
        Tensor::from_data(TensorData::new(x, [b, t]), dev)
    }

    fn vals<const D: usize>(x: Tensor<D>) -> Vec<f32> {
        x.into_data().iter::<f32>().collect()
    }

    fn assert_close(what: &str, a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (p, q) in a.iter().zip(b) {
            assert!(
                (p - q).abs() <= 2e-5 * (1.0 + q.abs()),
                "{what}: {p} vs {q}"
            );
        }
    }

    /// Folded and unfolded paths of one model: outputs and the gradients of the embedding
    /// and of the first layer's input projection, for `L = Σ r ⊙ logits`.
    fn both_paths<M: EmbedStack>(
        model: &M,
        w_ih: &Linear,
        dev: &Device,
        seed: u64,
    ) -> [[Vec<f32>; 4]; 2] {
        let toks = tokens(4, 9, dev);
        let r = {
            let _turn = crate::models::rng_turn();
            dev.seed(99);
            Tensor::<3>::random([4, 9, V], Distribution::Uniform(-1.0, 1.0), dev)
        };
        let grads = |y: Tensor<3>| {
            let g = (y.clone() * r.clone()).sum().backward();
            [
                vals(y),
                vals(model.embedding().weight.val().grad(&g).unwrap()),
                vals(w_ih.weight.val().grad(&g).unwrap()),
                vals(w_ih.bias.as_ref().unwrap().val().grad(&g).unwrap()),
            ]
        };
        let run = |folded: bool| {
            // Same dropout masks on both paths: the same seed, the same draws in order.
            let _turn = crate::models::rng_turn();
            dev.seed(seed);
            let y = if folded {
                model.forward(toks.clone())
            } else {
                model.run(model.embedding().forward(toks.clone()), None)
            };
            grads(y)
        };
        // burn draws a parameter's initial values at its first use: a throw-away run makes
        // both compared runs start from the same weights and the same dropout stream.
        run(false);
        [run(true), run(false)]
    }

    #[test]
    fn folded_embedding_matches_the_layers_it_replaces() {
        let dev = Device::flex().autodiff();
        for dropout in [0.0, 0.4] {
            let lstm = {
                let _turn = crate::models::rng_turn();
                dev.seed(1);
                let mut cfg = LstmConfig::new(V, V);
                (cfg.depth, cfg.dropout) = (2, dropout);
                cfg.init(&dev)
            };
            let gru = {
                let _turn = crate::models::rng_turn();
                dev.seed(2);
                let mut cfg = GruConfig::new(V, V);
                (cfg.depth, cfg.dropout) = (2, dropout);
                cfg.init(&dev)
            };
            let cases = [
                ("lstm", both_paths(&lstm, &lstm.layers[0].w_ih, &dev, 5)),
                ("gru", both_paths(&gru, &gru.layers[0].w_ih, &dev, 5)),
            ];
            for (name, [folded, plain]) in cases {
                for (k, what) in ["logits", "dE", "dW_ih", "db_ih"].iter().enumerate() {
                    assert!(plain[k].iter().any(|v| v.abs() > 1e-3), "{name} {what}");
                    assert_close(
                        &format!("{name} {what} (dropout {dropout})"),
                        &folded[k],
                        &plain[k],
                    );
                }
            }
        }
    }

    #[test]
    fn folds_only_when_the_table_is_smaller_than_the_positions() {
        let dev = Device::flex();
        assert!(folding_pays(16, &tokens(4, 5, &dev)));
        assert!(!folding_pays(20, &tokens(4, 5, &dev)));
    }
}
