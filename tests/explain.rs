//! Explanations: model hooks, gradient attributions, occlusion, attention, probes, the stage.

mod model_support;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use seqlab::explain::{integrated_gradients, Baseline, Examples, Target, TargetClass, TargetPos};
use seqlab::models::ModelConfig;

const V: usize = 4;
const C: usize = 3;

fn configs() -> Vec<ModelConfig> {
    [
        format!(r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":8,"depth":2,"heads":2,"max_len":16}}"#),
        format!(r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":8,"depth":1,"heads":2,"pos":"rope"}}"#),
        format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":8,"depth":2}}"#),
        format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":8,"depth":1,"impl":"stock"}}"#),
        format!(r#"{{"family":"gru","vocab":{V},"n_classes":{C},"width":8,"depth":2}}"#),
        format!(r#"{{"family":"mlp","vocab":{V},"n_classes":{C},"max_len":10,"width":8,"depth":2}}"#),
        format!(r#"{{"family":"linear_rnn","vocab":{V},"n_classes":{C},"width":8,"depth":2,"negative_eigenvalues":true}}"#),
    ]
    .iter()
    .map(|s| serde_json::from_str(s).unwrap())
    .collect()
}

fn tokens(v: &[u32], b: usize, t: usize, dev: &Device) -> Tensor<2, Int> {
    let v: Vec<i64> = v.iter().map(|&x| x as i64).collect();
    Tensor::from_data(TensorData::new(v, [b, t]), dev)
}

fn values<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.into_data().iter::<f32>().collect()
}

fn init(cfg: &ModelConfig, seed: u64, dev: &Device) -> seqlab::models::Model {
    let _turn = seqlab::train::rng_turn();
    dev.seed(seed);
    cfg.init(dev)
}

#[test]
fn forward_onehot_equals_forward_for_every_family() {
    let dev = Device::flex();
    let (b, t) = (3, 10);
    let x = model_support::random_tokens(b, t, V, 11);
    for cfg in configs() {
        let model = init(&cfg, 2, &dev);
        let y = values(model.forward(tokens(&x, b, t, &dev)).unwrap());
        let oh = tokens(&x, b, t, &dev).one_hot::<3>(V).float();
        let z = values(model.forward_onehot(oh).unwrap());
        assert_eq!(y.len(), z.len());
        let err = y
            .iter()
            .zip(&z)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err <= 1e-5, "{}: max difference {err}", cfg.family());
        // And through the autodiff device, with plain parameters (how attributions run).
        let ad = dev.clone().autodiff();
        let oh = tokens(&x, b, t, &ad).one_hot::<3>(V).float().require_grad();
        let out = model.valid().forward_onehot(oh.clone()).unwrap();
        let w = values(out.clone().inner());
        let err = y
            .iter()
            .zip(&w)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            err <= 1e-5,
            "{} (autodiff): max difference {err}",
            cfg.family()
        );
        let g = out.sum().backward();
        let grad = oh.grad(&g).expect("a gradient w.r.t. the input");
        assert_eq!(grad.dims(), [b, t, V]);
        assert!(values(grad).iter().any(|v| *v != 0.0), "{}", cfg.family());
    }
}

#[test]
fn hidden_states_have_one_entry_per_layer() {
    let dev = Device::flex();
    let (b, t) = (2, 6);
    let x = model_support::random_tokens(b, t, V, 3);
    for cfg in configs() {
        let model = init(&cfg, 2, &dev);
        let h = model.hidden_states(tokens(&x, b, t, &dev)).unwrap();
        let depth = match &cfg {
            ModelConfig::Transformer(c) => c.depth,
            ModelConfig::Lstm(c) => c.depth,
            ModelConfig::Gru(c) => c.depth,
            ModelConfig::Mlp(c) => c.depth,
            ModelConfig::LinearRnn(c) => c.depth,
        };
        assert_eq!(h.len(), depth + 1, "{}", cfg.family());
        for s in &h {
            let [bb, tt, _] = s.dims();
            assert_eq!((bb, tt), (b, t), "{}", cfg.family());
        }
    }
}

fn examples(b: usize, t: usize, vocab: usize, seed: u64) -> Examples {
    let x = model_support::random_tokens(b, t, vocab, seed);
    let labels = vec![0; b * t];
    Examples::new(x, labels, b, t, vocab).unwrap()
}

#[test]
fn integrated_gradients_are_complete() {
    let dev = Device::flex();
    let ex = examples(4, 8, V, 21);
    let (mut checked, mut worst) = (0, 0f64);
    for cfg in configs() {
        let model = init(&cfg, 5, &dev).valid();
        for target in [
            Target::default(),
            Target {
                class: TargetClass::Label,
                pos: TargetPos::Every,
            },
        ] {
            let sel = target.resolve(&model, &ex).unwrap();
            for baseline in [Baseline::Zeros, Baseline::Uniform] {
                let ig = integrated_gradients(&model, &ex, &sel, 64, baseline).unwrap();
                for (i, gap) in ig.completeness_gap().iter().enumerate() {
                    let delta = ig.f_input[i] - ig.f_baseline[i];
                    assert!(
                        *gap <= 0.01 * delta.abs().max(0.05),
                        "{} {target:?} {baseline:?} example {i}: Σ attributions off by {gap}, f(x) − f(b) = {delta}",
                        cfg.family()
                    );
                    if delta.abs() > 0.05 {
                        checked += 1;
                        worst = worst.max(gap / delta.abs());
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "too few examples with a sizeable f(x) − f(b): {checked}"
    );
    eprintln!("{checked} examples with |f(x) − f(b)| > 0.05; worst relative gap {worst:.2e}");
}
