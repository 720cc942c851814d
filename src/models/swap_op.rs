//! `[A, B, C]` → `[B, A, C]` as a contiguous copy, in one autodiff op (Flex backend).
//!
//! Why: the recurrent layers run time-major (`[T, B, ·]`) between batch-major models parts.
//! burn's `swap_dims` is a strided view; the next host op then made it contiguous with
//! burn-flex's element-wise tiled copy, and the gradient coming back (a view again) was
//! copied the same way by the recurrent op and by the embedding's backward pass. Those copies
//! were single-threaded and a visible share of a small model's step. Here the copy moves
//! whole `C`-rows at once, forward and backward, so every consumer gets a contiguous tensor.
//! Only data moves: every value and every later product is the same as with `swap_dims`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::tensor::{Tensor, TensorData};

use super::recurrent_op::{host, on_flex_f32};

#[backend_extension(Flex, Autodiff)]
pub(crate) trait SwapBackend: Backend {
    /// `x` `[A, B, C]` → contiguous `[B, A, C]`.
    fn swap01(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// `x.swap_dims(0, 1)`, made contiguous by the host copy on Flex (f32).
pub(crate) fn swap01(x: Tensor<3>) -> Tensor<3> {
    if !on_flex_f32(&x) {
        return x.swap_dims(0, 1);
    }
    Tensor::from_dispatch(<Dispatch as SwapBackend>::swap01(x.into_dispatch()))
}

/// Row-major `[a, b, c]` values → row-major `[b, a, c]` values.
pub(crate) fn swap01_host(x: &[f32], a: usize, b: usize, c: usize) -> Vec<f32> {
    assert_eq!(x.len(), a * b * c, "x shape");
    let mut out = Vec::with_capacity(a * b * c);
    for j in 0..b {
        for i in 0..a {
            out.extend_from_slice(&x[(i * b + j) * c..][..c]);
        }
    }
    out
}

fn swap_flex(x: &FlexTensor) -> FlexTensor {
    let s = x.layout().shape();
    assert_eq!(s.num_dims(), 3, "swap01 takes a 3-d tensor");
    let (a, b, c) = (s[0], s[1], s[2]);
    let y = swap01_host(&host(x), a, b, c);
    FlexTensor::from_data(TensorData::new(y, vec![b, a, c]))
}

impl SwapBackend for Flex {
    fn swap01(x: FlexTensor) -> FlexTensor {
        swap_flex(&x)
    }
}

#[derive(Debug)]
struct Swap01Backward;

impl Backward<Flex, 1> for Swap01Backward {
    type State = ();

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = parent {
            grads.register::<Flex>(node.id, swap_flex(&grad));
        }
    }
}

impl<C: CheckpointStrategy> SwapBackend for Autodiff<Flex, C> {
    fn swap01(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let out = swap_flex(x.primitive());
        Swap01Backward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateless(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn equals_swap_dims_in_values_and_gradients() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(5);
        let x = Tensor::<3>::random([3, 4, 5], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let r = Tensor::<3>::random([4, 3, 5], Distribution::Normal(0.0, 1.0), &dev);
        let run = |y: Tensor<3>| {
            assert_eq!(y.dims(), [4, 3, 5]);
            let g = (y.clone() * r.clone()).sum().backward();
            let v = |t: Tensor<3>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            (v(y), v(x.grad(&g).unwrap()))
        };
        let got = run(swap01(x.clone()));
        let want = run(x.clone().swap_dims(0, 1));
        assert_eq!(got, want);
        // Element (i, j, k) of x lands at (j, i, k).
        let xs: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let ys = swap01_host(&xs, 2, 3, 4);
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    assert_eq!(ys[(j * 2 + i) * 4 + k], xs[(i * 3 + j) * 4 + k]);
                }
            }
        }
    }
}
