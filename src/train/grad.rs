//! Global-norm gradient clipping (PyTorch's `clip_grad_norm_`).
//!
//! burn's `GradientClipping::Norm` clips each parameter tensor by its own norm; the usual
//! recipe (and the PyTorch reference) clips the norm of *all* gradients together, which
//! keeps the update direction. The total norm is also the cheapest place to catch a
//! non-finite gradient.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

struct SumSquares<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SumSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum();
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads
                .register::<D>(param.id, g.mul_scalar(self.factor));
        }
    }
}

/// Global L2 norm of the gradients of `module`'s parameters.
pub(crate) fn grad_norm<M: Module>(module: &M, grads: &GradientsParams) -> f64 {
    let mut v = SumSquares { grads, total: None };
    module.visit(&mut v);
    match v.total {
        Some(t) => (t.into_scalar::<f32>() as f64).sqrt(),
        None => 0.0,
    }
}

/// Scales all gradients so their global norm is at most `max_norm`; returns the norm
/// before clipping (which may be non-finite: the caller decides what to do).
pub(crate) fn clip_global_norm<M: Module>(
    module: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> f64 {
    let norm = grad_norm(module, grads);
    if norm.is_finite() && norm > max_norm {
        let mut s = Scale {
            grads,
            factor: max_norm / (norm + 1e-6),
        };
        module.visit(&mut s);
    }
    norm
}
