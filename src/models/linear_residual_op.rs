//! `r + x W + b` (a linear layer feeding a residual connection) as one autodiff op (Flex).
//!
//! Why: in the pre-LN Transformer both the attention projection and the second
//! feed-forward layer end in a residual add; as a separate op that add allocates another
//! `[rows, d]` output and a graph node whose backward only passes the gradient through.
//! Here the output starts as `r + b` and the product accumulates into it; the residual's
//! gradient is the incoming gradient itself (shared, no copy).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};

use super::host_gemm::{matmul_parallel, Mat};
use super::linear_op::{dims, register_grads};
use super::recurrent_op::{host, on_flex_f32};

#[backend_extension(Flex, Autodiff)]
pub(crate) trait LinearResidualBackend: Backend {
    /// `r + x w + b`: `x` `[..., in]`, `w` `[in, out]`, `b` `[out]`, `r` `[..., out]`.
    fn linear_bias_residual(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        r: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `r + layer.forward(x)`, as one host op on Flex (f32) when the layer has a bias.
pub fn forward<const D: usize>(layer: &Linear, x: Tensor<D>, r: Tensor<D>) -> Tensor<D> {
    match &layer.bias {
        Some(b) if on_flex_f32(&x) && on_flex_f32(&r) => {
            Tensor::from_dispatch(<Dispatch as LinearResidualBackend>::linear_bias_residual(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                b.val().into_dispatch(),
                r.into_dispatch(),
            ))
        }
        _ => r + layer.forward(x),
    }
}

fn forward_host(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor, r: &FlexTensor) -> FlexTensor {
    let (n, d_in, d_out, shape) = dims(x, w, b);
    assert_eq!(r.layout().shape().to_vec(), shape, "residual shape");
    let bias = host(b);
    let res = host(r);
    let mut y = Vec::with_capacity(n * d_out);
    for row in res.chunks(d_out) {
        y.extend(row.iter().zip(bias.iter()).map(|(r, b)| r + b));
    }
    matmul_parallel(
        n,
        d_out,
        d_in,
        &mut y,
        true,
        Mat::rm(&host(x), d_in),
        Mat::rm(&host(w), d_out),
    );
    FlexTensor::from_data(TensorData::new(y, shape))
}

impl LinearResidualBackend for Flex {
    fn linear_bias_residual(
        x: FlexTensor,
        w: FlexTensor,
        b: FlexTensor,
        r: FlexTensor,
    ) -> FlexTensor {
        forward_host(&x, &w, &b, &r)
    }
}

#[derive(Debug)]
struct LinearResidualBackward;

impl Backward<Flex, 4> for LinearResidualBackward {
    /// The input and the weight (shared storage, no copies).
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b, node_r] = ops.parents;
        let dy_t = grads.consume::<Flex>(&ops.node);
        let (x, w) = ops.state;
        let ids = [node_x, node_w, node_b].map(|n| n.map(|n| n.id));
        register_grads(grads, ids, &x, &w, &host(&dy_t));
        if let Some(node) = node_r {
            grads.register::<Flex>(node.id, dy_t);
        }
    }
}

impl<C: CheckpointStrategy> LinearResidualBackend for Autodiff<Flex, C> {
    fn linear_bias_residual(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        r: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match LinearResidualBackward
            .prepare::<C>([x.node(), w.node(), b.node(), r.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.primitive(), w.primitive());
                let y = forward_host(xp, wp, b.primitive(), r.primitive());
                prep.finish((xp.clone(), wp.clone()), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward_host(
                x.primitive(),
                w.primitive(),
                b.primitive(),
                r.primitive(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn matches_linear_plus_residual_values_and_gradients() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(9);
        let layer = LinearConfig::new(7, 5).init(&dev);
        let x = Tensor::<3>::random([4, 9, 7], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let res =
            Tensor::<3>::random([4, 9, 5], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let r = Tensor::<3>::random([4, 9, 5], Distribution::Uniform(-1.0, 1.0), &dev);
        let run = |y: Tensor<3>| {
            let g = (y.clone() * r.clone()).sum().backward();
            let v = |t: Tensor<3>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            let w = |t: Tensor<2>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            let b = |t: Tensor<1>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            [
                v(y),
                v(x.grad(&g).unwrap()),
                v(res.grad(&g).unwrap()),
                w(layer.weight.val().grad(&g).unwrap()),
                b(layer.bias.as_ref().unwrap().val().grad(&g).unwrap()),
            ]
        };
        let a = run(forward(&layer, x.clone(), res.clone()));
        let e = run(res.clone() + layer.forward(x.clone()));
        for (pa, pe) in a.iter().zip(&e) {
            assert_eq!(pa.len(), pe.len());
            for (p, q) in pa.iter().zip(pe) {
                assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
            }
        }
    }
}
