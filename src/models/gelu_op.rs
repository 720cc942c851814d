//! Exact (erf) GELU as one autodiff op with a vectorised host kernel (Flex backend).
//!
//! Why: burn-flex evaluates `erf` through scalar libm calls and autodiff evaluates it again
//! (plus an `exp`) in the backward pass; in the width-64 Transformer that was ~10% of a
//! training step. Here the forward computes `y = x Φ(x)` and the derivative
//! `Φ(x) + x φ(x)` together in one vectorisable pass; the backward is one multiplication.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::tensor::{Tensor, TensorData};

use super::fused::exp_fast;
use super::recurrent_op::{host, on_flex_f32};
use super::simd::simd_kernel;

#[backend_extension(Flex, Autodiff)]
pub(crate) trait GeluBackend: Backend {
    /// `x Φ(x)` elementwise (the erf form, like PyTorch's default `GELU`).
    fn gelu_exact(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// GELU; the host op on Flex (f32), burn's `gelu` elsewhere.
pub(crate) fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if !on_flex_f32(&x) {
        return burn::tensor::activation::gelu(x);
    }
    Tensor::from_dispatch(<Dispatch as GeluBackend>::gelu_exact(x.into_dispatch()))
}

/// `erf` as a rational function on [-4, 4] (the Eigen/XLA float kernel; |error| < 2e-7;
/// beyond ±4, erf is ±1 to within f32 rounding).
#[inline(always)]
pub(crate) fn erf_fast(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906_3e-4;
    p = x2 * p + -2.954_600_1e-3;
    p = x2 * p + -1.609_603_3e-2;
    p *= x;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329_2e-3;
    q = x2 * q + -1.426_473_9e-2;
    p / q
}

/// Values and derivatives of GELU over a slice (AVX2+FMA build when the CPU has it).
fn gelu_host(x: &[f32], with_grad: bool) -> (Vec<f32>, Vec<f32>) {
    let mut y = vec![0f32; x.len()];
    let mut d = if with_grad {
        vec![0f32; x.len()]
    } else {
        Vec::new()
    };
    gelu_kernel(x, &mut y, &mut d);
    (y, d)
}

/// GELU over `z` in place, returning the derivative at each input (for an op that has
/// just produced `z`, e.g. the linear layer before the activation: no second buffer).
pub(crate) fn gelu_in_place(z: &mut [f32]) -> Vec<f32> {
    let mut d = vec![0f32; z.len()];
    gelu_in_place_kernel(z, &mut d);
    d
}

const INV_SQRT2: f32 = std::f32::consts::FRAC_1_SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_3;

simd_kernel!(
    fn gelu_in_place_kernel(z: &mut [f32], d: &mut [f32]) {
        for (z, d) in z.iter_mut().zip(d.iter_mut()) {
            let x = *z;
            let cdf = 0.5 * (1.0 + erf_fast(x * INV_SQRT2));
            *z = x * cdf;
            *d = cdf + x * INV_SQRT_2PI * exp_fast(-0.5 * x * x);
        }
    }
);

simd_kernel!(
    fn gelu_kernel(x: &[f32], y: &mut [f32], d: &mut [f32]) {
        if d.is_empty() {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = 0.5 * x * (1.0 + erf_fast(x * INV_SQRT2));
            }
            return;
        }
        for ((y, d), &x) in y.iter_mut().zip(d.iter_mut()).zip(x) {
            let cdf = 0.5 * (1.0 + erf_fast(x * INV_SQRT2));
            *y = x * cdf;
            *d = cdf + x * INV_SQRT_2PI * exp_fast(-0.5 * x * x);
        }
    }
);

fn flex_like(values: Vec<f32>, like: &FlexTensor) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, like.layout().shape().to_vec()))
}

impl GeluBackend for Flex {
    fn gelu_exact(x: FlexTensor) -> FlexTensor {
        let (y, _) = gelu_host(&host(&x), false);
        flex_like(y, &x)
    }
}

#[derive(Debug)]
struct GeluBackward;

impl Backward<Flex, 1> for GeluBackward {
    /// `dy/dx`, in the (contiguous) layout of the output.
    type State = Arc<Vec<f32>>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node {
            let g = host(&grad);
            let dx: Vec<f32> = g.iter().zip(ops.state.iter()).map(|(g, d)| g * d).collect();
            grads.register::<Flex>(node.id, flex_like(dx, &grad));
        }
    }
}

impl<C: CheckpointStrategy> GeluBackend for Autodiff<Flex, C> {
    fn gelu_exact(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match GeluBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = x.primitive();
                let (y, d) = gelu_host(&host(xp), true);
                let out = flex_like(y, xp);
                prep.finish(Arc::new(d), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as GeluBackend>::gelu_exact(x.into_primitive()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn erf_fast_is_accurate() {
        let mut x = -6.0f64;
        while x < 6.0 {
            let want = libm::erf(x);
            let got = erf_fast(x as f32) as f64;
            assert!((got - want).abs() < 4e-7, "erf({x}) = {got}, want {want}");
            x += 0.001;
        }
    }

    #[test]
    fn matches_burn_gelu_values_and_gradient() {
        let dev = Device::flex().autodiff();
        let _turn = crate::models::rng_turn();
        dev.seed(1);
        let x = Tensor::<2>::random([37, 19], Distribution::Normal(0.0, 3.0), &dev).require_grad();
        let r = Tensor::<2>::random([37, 19], Distribution::Uniform(-1.0, 1.0), &dev);
        let run = |y: Tensor<2>| {
            let g = (y.clone() * r.clone()).sum().backward();
            let v: Vec<f32> = y.into_data().iter::<f32>().collect();
            let d: Vec<f32> = x.grad(&g).unwrap().into_data().iter::<f32>().collect();
            (v, d)
        };
        let (ya, da) = run(gelu(x.clone()));
        let (yb, db) = run(burn::tensor::activation::gelu(x.clone()));
        for (a, b) in ya.iter().zip(&yb).chain(da.iter().zip(&db)) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!(ya.iter().any(|v| *v > 3.0) && ya.iter().any(|v| *v < -0.1));
    }
}
