//! `y = x W + b` as one autodiff op calling the matrix kernel directly (Flex backend).
//!
//! Why: on burn-flex every matmul output is allocated zeroed and then copied once more to
//! enforce alignment, the bias is a second op with its own output, and the backward pass
//! materialises transposes; for the width-64 models these copies cost ~10% of a step. Here
//! the forward is one product written straight into the bias-initialised output; the
//! backward is two products (`dX = dY Wᵀ`, `dW = Xᵀ dY`, transposes as strides) and a
//! column sum. Products split the output, never the inner dimension, across threads, so
//! the bits do not depend on the thread count.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};

use super::gelu_op::{gelu, gelu_in_place};
use super::host_gemm::{matmul_parallel, matmul_parallel_bias, Mat};
use super::recurrent_op::{contiguous, host, on_flex_f32};

#[backend_extension(Flex, Autodiff)]
pub(crate) trait LinearBackend: Backend {
    /// `x` `[..., in]`, `w` `[in, out]`, `b` `[out]` → `[..., out]`.
    fn linear_bias(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// `gelu(x w + b)`: the feed-forward layer and its activation as one op.
    fn linear_bias_gelu(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `layer.forward(x)`, through the host op on Flex (f32) when the layer has a bias.
pub fn forward<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    match &layer.bias {
        Some(b) if on_flex_f32(&x) => {
            Tensor::from_dispatch(<Dispatch as LinearBackend>::linear_bias(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                b.val().into_dispatch(),
            ))
        }
        _ => layer.forward(x),
    }
}

/// `gelu(layer.forward(x))`, as one host op on Flex (f32) when the layer has a bias.
///
/// Why fused: the activation then runs on the product while it is still in cache, and the
/// graph has one node (and one `[rows, out]` buffer) fewer; the backward scales the
/// incoming gradient by the stored GELU derivative before the two products.
pub(crate) fn forward_gelu<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    match &layer.bias {
        Some(b) if on_flex_f32(&x) => {
            Tensor::from_dispatch(<Dispatch as LinearBackend>::linear_bias_gelu(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                b.val().into_dispatch(),
            ))
        }
        _ => gelu(layer.forward(x)),
    }
}

/// `(rows, in, out)` and the output shape.
pub(super) fn dims(
    x: &FlexTensor,
    w: &FlexTensor,
    b: &FlexTensor,
) -> (usize, usize, usize, Vec<usize>) {
    let xs = x.layout().shape().to_vec();
    let ws = w.layout().shape();
    let (d_in, d_out) = (ws[0], ws[1]);
    assert_eq!(
        *xs.last().expect("x has dims"),
        d_in,
        "x and w disagree on in"
    );
    assert_eq!(b.layout().shape().num_elements(), d_out, "bias length");
    let rows = xs[..xs.len() - 1].iter().product();
    let mut out = xs;
    *out.last_mut().unwrap() = d_out;
    (rows, d_in, d_out, out)
}

fn forward_host(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor) -> FlexTensor {
    let (y, shape) = product_host(x, w, b);
    FlexTensor::from_data(TensorData::new(y, shape))
}

/// `gelu(x w + b)` and the GELU derivative at every output.
fn forward_gelu_host(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor) -> (FlexTensor, Vec<f32>) {
    let (mut y, shape) = product_host(x, w, b);
    let d = gelu_in_place(&mut y);
    (FlexTensor::from_data(TensorData::new(y, shape)), d)
}

/// `x w + b` as a host vector and its shape.
fn product_host(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor) -> (Vec<f32>, Vec<usize>) {
    let (n, d_in, d_out, shape) = dims(x, w, b);
    let y = matmul_parallel_bias(
        n,
        d_out,
        d_in,
        &host(b),
        Mat::rm(&host(x), d_in),
        Mat::rm(&host(w), d_out),
    );
    (y, shape)
}

impl LinearBackend for Flex {
    fn linear_bias(x: FlexTensor, w: FlexTensor, b: FlexTensor) -> FlexTensor {
        forward_host(&x, &w, &b)
    }

    fn linear_bias_gelu(x: FlexTensor, w: FlexTensor, b: FlexTensor) -> FlexTensor {
        let (y, _) = forward_gelu_host(&x, &w, &b);
        y
    }
}

#[derive(Debug)]
struct LinearBackward;

impl Backward<Flex, 3> for LinearBackward {
    /// The input and the weight (shared storage, no copies), and the GELU derivative at
    /// each output when the activation is fused.
    type State = (FlexTensor, FlexTensor, Option<Arc<Vec<f32>>>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy_t = grads.consume::<Flex>(&ops.node);
        let (x, w, gelu_d) = ops.state;
        let dy_host = host(&dy_t);
        let through_gelu: Vec<f32>;
        let dy: &[f32] = match gelu_d {
            // Through the activation first: dZ = dY ⊙ gelu'(Z).
            Some(d) => {
                through_gelu = dy_host.iter().zip(d.iter()).map(|(g, d)| g * d).collect();
                &through_gelu
            }
            None => &dy_host,
        };
        let ids = [node_x, node_w, node_b].map(|n| n.map(|n| n.id));
        register_grads(grads, ids, &x, &w, dy);
    }
}

/// Registers the gradients of `x`, `w` and `b` (where tracked) for `y = x w + b` with
/// incoming gradient `dy` (`[rows, out]`, contiguous).
///
/// The three are independent, so they run side by side on the pool (each product still
/// splits only by its own shapes, and the bias sum keeps its row order: same bits); run one
/// after the other, the bias sum and each product's fork were serial steps of the backward
/// pass.
pub(super) fn register_grads(
    grads: &mut Gradients,
    [node_x, node_w, node_b]: [Option<NodeId>; 3],
    x: &FlexTensor,
    w: &FlexTensor,
    dy: &[f32],
) {
    let xs = x.layout().shape().to_vec();
    let ws = w.layout().shape().to_vec();
    let (d_in, d_out) = (ws[0], ws[1]);
    let n = xs.iter().product::<usize>() / d_in;
    let dx = || {
        node_x.map(|_| {
            let mut dx = vec![0f32; n * d_in];
            // dX = dY · Wᵀ (W is [in, out] row-major: its transpose is a stride swap).
            matmul_parallel(
                n,
                d_in,
                d_out,
                &mut dx,
                false,
                Mat::rm(dy, d_out),
                Mat::t(&host(w), d_out),
            );
            dx
        })
    };
    let dw = || {
        node_w.map(|_| {
            let mut dw = vec![0f32; d_in * d_out];
            // dW = Xᵀ · dY, all rows as the inner dimension.
            matmul_parallel(
                d_in,
                d_out,
                n,
                &mut dw,
                false,
                Mat::t(&host(x), d_in),
                Mat::rm(dy, d_out),
            );
            dw
        })
    };
    let db = || {
        node_b.map(|_| {
            let mut db = vec![0f32; d_out];
            for row in dy.chunks(d_out) {
                for (s, v) in db.iter_mut().zip(row) {
                    *s += v;
                }
            }
            db
        })
    };
    let (dx, (dw, db)) = rayon::join(dx, || rayon::join(dw, db));
    if let (Some(node), Some(dx)) = (node_x, dx) {
        grads.register::<Flex>(node, FlexTensor::from_data(TensorData::new(dx, xs)));
    }
    if let (Some(node), Some(dw)) = (node_w, dw) {
        grads.register::<Flex>(node, FlexTensor::from_data(TensorData::new(dw, ws)));
    }
    if let (Some(node), Some(db)) = (node_b, db) {
        grads.register::<Flex>(node, FlexTensor::from_data(TensorData::new(db, [d_out])));
    }
}

impl<C: CheckpointStrategy> LinearBackend for Autodiff<Flex, C> {
    fn linear_bias(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        tracked::<C>(x, w, b, false)
    }

    fn linear_bias_gelu(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        tracked::<C>(x, w, b, true)
    }
}

/// One autodiff node for `xW + b`, then GELU when `gelu` (keeping its derivative for
/// the backward pass).
fn tracked<C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<Flex, C>>,
    w: FloatTensor<Autodiff<Flex, C>>,
    b: FloatTensor<Autodiff<Flex, C>>,
    gelu: bool,
) -> FloatTensor<Autodiff<Flex, C>> {
    let host = |x, w, b| {
        if gelu {
            let (y, d) = forward_gelu_host(x, w, b);
            (y, Some(Arc::new(d)))
        } else {
            (forward_host(x, w, b), None)
        }
    };
    match LinearBackward
        .prepare::<C>([x.node(), w.node(), b.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            // The input contiguous once, for both passes (a transposed view, e.g. an RNN's
            // time-major input, would be copied by each).
            let (xp, wp, bp) = (contiguous(x.primitive()), w.primitive(), b.primitive());
            let (y, d) = host(&xp, wp, bp);
            prep.finish((xp, wp.clone(), d), y)
        }
        OpsKind::UnTracked(prep) => {
            prep.finish(host(x.primitive(), w.primitive(), b.primitive()).0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn matches_burn_linear_values_and_gradients() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(8);
        let layer = LinearConfig::new(7, 5).init(&dev);
        let x = Tensor::<3>::random([4, 9, 7], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let r = Tensor::<3>::random([4, 9, 5], Distribution::Uniform(-1.0, 1.0), &dev);
        let run = |y: Tensor<3>| {
            let g = (y.clone() * r.clone()).sum().backward();
            let v = |t: Tensor<2>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
            [
                y.into_data().iter::<f32>().collect::<Vec<f32>>(),
                x.grad(&g).unwrap().into_data().iter::<f32>().collect(),
                v(layer.weight.val().grad(&g).unwrap()),
                layer
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(&g)
                    .unwrap()
                    .into_data()
                    .iter::<f32>()
                    .collect(),
            ]
        };
        // A transposed (non-contiguous) input exercises the copy path too.
        let a = run(forward(&layer, x.clone()));
        let e = run(layer.forward(x.clone()));
        for (pa, pe) in a.iter().zip(&e) {
            for (p, q) in pa.iter().zip(pe) {
                assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
            }
        }
        // The fused activation against linear, then burn's GELU.
        let a = run(forward_gelu(&layer, x.clone()));
        let e = run(burn::tensor::activation::gelu(layer.forward(x.clone())));
        for (pa, pe) in a.iter().zip(&e) {
            for (p, q) in pa.iter().zip(pe) {
                assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
            }
        }
        let xt = x.clone().swap_dims(0, 1);
        let got: Vec<f32> = forward(&layer, xt.clone())
            .into_data()
            .iter::<f32>()
            .collect();
        let want: Vec<f32> = layer.forward(xt).into_data().iter::<f32>().collect();
        for (p, q) in got.iter().zip(&want) {
            assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{p} vs {q}");
        }
    }

    #[test]
    fn same_bits_with_one_or_two_threads() {
        // Shapes of the bench Transformer's ff1, large enough for the split products.
        let run = |threads: usize| -> Vec<Vec<f32>> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let dev = Device::flex().autodiff();
                let _turn = crate::models::rng_turn();
                dev.seed(3);
                let layer = LinearConfig::new(64, 256).init(&dev);
                let x = Tensor::<3>::random([64, 32, 64], Distribution::Normal(0.0, 1.0), &dev)
                    .require_grad();
                let y = forward_gelu(&layer, x.clone());
                let g = (y.clone() * y.clone()).sum().backward();
                let v = |t: Tensor<2>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
                vec![
                    y.into_data().iter::<f32>().collect(),
                    x.grad(&g).unwrap().into_data().iter::<f32>().collect(),
                    v(layer.weight.val().grad(&g).unwrap()),
                ]
            })
        };
        assert_eq!(run(1), run(2));
    }
}
