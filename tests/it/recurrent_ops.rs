//! The whole-sequence recurrent ops (one autodiff node per layer) against the step-by-step
//! layers they replace: values within 1e-5, gradients of every input and weight within 1e-4.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use seqlab::models::FastLstmLayer;

fn vals<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.into_data().iter::<f32>().collect()
}

/// `|a - b| <= tol * (|b| + 1e-2 · max|b|)`: relative, with a floor for entries near zero.
fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: all zero");
    for (k, (p, q)) in a.iter().zip(b).enumerate() {
        assert!(
            (p - q).abs() <= tol * (q.abs() + 1e-2 * scale),
            "{what}[{k}]: {p} vs {q}"
        );
    }
}

struct Grads {
    out: Vec<f32>,
    x: Vec<f32>,
    w_ih: Vec<f32>,
    b_ih: Vec<f32>,
    w_hh: Vec<f32>,
}

fn run_lstm(layer: &FastLstmLayer, x: &Tensor<3>, r: &Tensor<3>) -> Grads {
    let x = x.clone().require_grad();
    let y = layer.forward(x.clone());
    let grads = (y.clone() * r.clone()).sum().backward();
    let g = |t: Tensor<2>| vals(t.grad(&grads).expect("gradient"));
    Grads {
        out: vals(y),
        x: vals(x.grad(&grads).expect("x gradient")),
        w_ih: g(layer.w_ih.weight.val()),
        b_ih: vals(
            layer
                .w_ih
                .bias
                .as_ref()
                .unwrap()
                .val()
                .grad(&grads)
                .unwrap(),
        ),
        w_hh: g(layer.w_hh.weight.val()),
    }
}

#[test]
fn lstm_sequence_op_matches_step_by_step_layer() {
    let dev = Device::flex().autodiff();
    // The devices' RNG is shared by the tests running in parallel: hold the turn so
    // this test's data depend on its seed alone.
    let _turn = seqlab::train::rng_turn();
    dev.seed(11);
    // 37 rows: several row chunks of unequal size.
    let (b, t, d, h) = (37, 9, 5, 6);
    let seq = FastLstmLayer::new(d, h, &dev);
    assert!(seq.sequence, "the sequence op is the default");
    let mut step = seq.clone();
    step.sequence = false;
    let x = Tensor::<3>::random([b, t, d], Distribution::Uniform(-2.0, 2.0), &dev);
    let r = Tensor::<3>::random([b, t, h], Distribution::Uniform(-1.0, 1.0), &dev);
    // Otherwise the layer would silently take the step-by-step path compared against.
    assert!(seqlab::models::recurrent_op::on_flex_f32(&x));
    let a = run_lstm(&seq, &x, &r);
    let e = run_lstm(&step, &x, &r);
    assert_close(&a.out, &e.out, 1e-5, "output");
    assert_close(&a.x, &e.x, 1e-4, "grad x");
    assert_close(&a.w_ih, &e.w_ih, 1e-4, "grad w_ih");
    assert_close(&a.b_ih, &e.b_ih, 1e-4, "grad b_ih");
    assert_close(&a.w_hh, &e.w_hh, 1e-4, "grad w_hh");
    // The tensor-op cell (no host code at all) agrees too.
    let mut plain = step.clone();
    plain.fused = false;
    let p = run_lstm(&plain, &x, &r);
    assert_close(&a.out, &p.out, 1e-5, "output vs tensor ops");
    assert_close(&a.w_hh, &p.w_hh, 1e-4, "grad w_hh vs tensor ops");
}

#[test]
fn lstm_sequence_op_same_bits_with_and_without_autodiff() {
    let dev = Device::flex();
    // The devices' RNG is shared by the tests running in parallel: hold the turn so
    // this test's data depend on its seed alone.
    let _turn = seqlab::train::rng_turn();
    dev.seed(3);
    let layer = FastLstmLayer::new(4, 8, &dev);
    let x = Tensor::<3>::random([20, 7, 4], Distribution::Uniform(-1.0, 1.0), &dev);
    let inference = vals(layer.forward(x.clone()));
    let ad = dev.autodiff();
    let layer_ad = layer.clone().fork(&ad);
    let training = vals(layer_ad.forward(x.clone().to_device(&ad)));
    assert_eq!(inference, training);
    // Step by step gives (nearly) the same numbers: the op really is an LSTM.
    let mut step = layer.clone();
    step.sequence = false;
    assert_close(&inference, &vals(step.forward(x)), 1e-5, "inference output");
}

#[test]
fn gru_sequence_op_matches_step_by_step_layer() {
    use seqlab::models::GruLayer;
    let dev = Device::flex().autodiff();
    // The devices' RNG is shared by the tests running in parallel: hold the turn so
    // this test's data depend on its seed alone.
    let _turn = seqlab::train::rng_turn();
    dev.seed(12);
    let (b, t, d, h) = (37, 9, 5, 6);
    let seq = GruLayer::new(d, h, &dev);
    assert!(seq.sequence, "the sequence op is the default");
    let mut step = seq.clone();
    step.sequence = false;
    let x = Tensor::<3>::random([b, t, d], Distribution::Uniform(-2.0, 2.0), &dev);
    let r = Tensor::<3>::random([b, t, h], Distribution::Uniform(-1.0, 1.0), &dev);
    assert!(seqlab::models::recurrent_op::on_flex_f32(&x));
    let run = |layer: &GruLayer| {
        let x = x.clone().require_grad();
        let y = layer.forward(x.clone());
        let grads = (y.clone() * r.clone()).sum().backward();
        let g2 = |t: Tensor<2>| vals(t.grad(&grads).expect("gradient"));
        let g1 = |t: Tensor<1>| vals(t.grad(&grads).expect("gradient"));
        [
            vals(y),
            vals(x.grad(&grads).expect("x gradient")),
            g2(layer.w_ih.weight.val()),
            g1(layer.w_ih.bias.as_ref().unwrap().val()),
            g2(layer.w_hh.weight.val()),
            g1(layer.w_hh.bias.as_ref().unwrap().val()),
        ]
    };
    let a = run(&seq);
    let e = run(&step);
    let names = [
        "output",
        "grad x",
        "grad w_ih",
        "grad b_ih",
        "grad w_hh",
        "grad b_hh",
    ];
    for ((p, q), name) in a.iter().zip(&e).zip(names) {
        let tol = if name == "output" { 1e-5 } else { 1e-4 };
        assert_close(p, q, tol, name);
    }
}
