//! Shapes, causality, attention weights, length limits and JSON configs for every family.

use crate::model_support;
use burn::tensor::{Device, Int, Tensor, TensorData};
use seqlab::models::{ModelConfig, ModelError};

const V: usize = 5;
const C: usize = 3;

fn configs() -> Vec<(String, ModelConfig)> {
    let mut v = Vec::new();
    for pos in ["learned", "sinusoidal", "rope", "alibi"] {
        v.push(format!(
            r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":16,"depth":2,"heads":2,"pos":"{pos}","max_len":32}}"#
        ));
    }
    v.push(format!(
        r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":12,"depth":2}}"#
    ));
    v.push(format!(
        r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":12,"depth":2,"impl":"stock"}}"#
    ));
    v.push(format!(
        r#"{{"family":"gru","vocab":{V},"n_classes":{C},"width":12,"depth":2}}"#
    ));
    v.push(format!(
        r#"{{"family":"mlp","vocab":{V},"n_classes":{C},"max_len":12,"width":16,"depth":2}}"#
    ));
    for neg in [false, true] {
        v.push(format!(
            r#"{{"family":"linear_rnn","vocab":{V},"n_classes":{C},"width":16,"depth":2,"negative_eigenvalues":{neg}}}"#
        ));
    }
    v.into_iter()
        .map(|s| {
            let cfg: ModelConfig = serde_json::from_str(&s).unwrap();
            (s, cfg)
        })
        .collect()
}

fn tokens(v: &[u32], b: usize, t: usize, dev: &Device) -> Tensor<2, Int> {
    let v: Vec<i64> = v.iter().map(|&x| x as i64).collect();
    Tensor::from_data(TensorData::new(v, [b, t]), dev)
}

fn values(x: Tensor<3>) -> Vec<f32> {
    x.into_data().iter::<f32>().collect()
}

#[test]
fn output_shapes_every_family() {
    // Seeding, initialising and drawing use the process-wide device RNG,
    // shared with the trainings of other tests in this binary: take turns.
    let _turn = seqlab::train::rng_turn();
    let dev = Device::flex();
    for (name, cfg) in configs() {
        dev.seed(1);
        let model = cfg.init(&dev);
        for t in [1, 7, 12] {
            let x = model_support::random_tokens(3, t, V, 5);
            let y = model.forward(tokens(&x, 3, t, &dev)).unwrap();
            assert_eq!(y.dims(), [3, t, C], "{name} T={t}");
            assert!(values(y).iter().all(|v| v.is_finite()), "{name}");
        }
    }
}

#[test]
fn causal_every_family() {
    let _turn = seqlab::train::rng_turn();
    let dev = Device::flex();
    let (b, t) = (3, 12);
    for (name, cfg) in configs() {
        dev.seed(2);
        let model = cfg.init(&dev);
        let x = model_support::random_tokens(b, t, V, 11);
        let base = values(model.forward(tokens(&x, b, t, &dev)).unwrap());
        for s in [0, 4, 11] {
            let mut x2 = x.clone();
            for i in 0..b {
                x2[i * t + s] = (x2[i * t + s] + 1) % V as u32;
            }
            let out = values(model.forward(tokens(&x2, b, t, &dev)).unwrap());
            let mut changed_at_s = false;
            for i in 0..b {
                for j in 0..t {
                    for k in 0..C {
                        let idx = (i * t + j) * C + k;
                        let d = (base[idx] - out[idx]).abs();
                        if j < s {
                            assert!(
                                d <= 1e-6,
                                "{name}: changing x_{s} moved logits at {j} by {d}"
                            );
                        } else if j == s && d > 1e-6 {
                            changed_at_s = true;
                        }
                    }
                }
            }
            assert!(
                changed_at_s,
                "{name}: changing x_{s} did not change the output at {s}"
            );
        }
    }
}

#[test]
fn attention_rows_sum_to_one_and_are_causal() {
    let _turn = seqlab::train::rng_turn();
    let dev = Device::flex();
    let (b, t) = (2, 9);
    for (name, cfg) in configs()
        .into_iter()
        .filter(|(_, c)| c.family() == "transformer")
    {
        dev.seed(3);
        let model = cfg.init(&dev);
        let x = tokens(&model_support::random_tokens(b, t, V, 3), b, t, &dev);
        let ws = model.attention_weights(x).unwrap().unwrap();
        assert_eq!(ws.len(), 2, "{name}: one map per layer");
        for w in ws {
            assert_eq!(w.dims(), [b, 2, t, t]);
            let v: Vec<f32> = w.into_data().iter::<f32>().collect();
            for row in 0..b * 2 * t {
                let i = row % t;
                let r = &v[row * t..(row + 1) * t];
                let sum: f32 = r.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "{name}: row sums to {sum}");
                assert!(
                    r[i + 1..].iter().all(|&p| p == 0.0),
                    "{name}: weight above diagonal"
                );
            }
        }
    }
    let lstm: ModelConfig =
        serde_json::from_str(r#"{"family":"lstm","vocab":2,"n_classes":2}"#).unwrap();
    let m = lstm.init(&dev);
    assert!(m.attention_weights(tokens(&[0, 1], 1, 2, &dev)).is_none());
}

#[test]
fn fixed_length_models_refuse_longer_inputs() {
    let _turn = seqlab::train::rng_turn();
    let dev = Device::flex();
    let mlp: ModelConfig =
        serde_json::from_str(r#"{"family":"mlp","vocab":2,"n_classes":2,"max_len":8}"#).unwrap();
    let m = mlp.init(&dev);
    let x = model_support::random_tokens(2, 9, 2, 1);
    match m.forward(tokens(&x, 2, 9, &dev)) {
        Err(ModelError::TooLong {
            got: 9, max_len: 8, ..
        }) => {}
        other => panic!("expected TooLong, got {other:?}"),
    }
    assert_eq!(mlp.max_len(), Some(8));

    let tr: ModelConfig = serde_json::from_str(
        r#"{"family":"transformer","vocab":2,"n_classes":2,"width":8,"heads":2,"max_len":8}"#,
    )
    .unwrap();
    let m = tr.init(&dev);
    assert!(matches!(
        m.forward(tokens(&x, 2, 9, &dev)),
        Err(ModelError::TooLong {
            got: 9,
            max_len: 8,
            ..
        })
    ));
    // Sinusoidal / RoPE / ALiBi have no length limit.
    for pos in ["sinusoidal", "rope", "alibi"] {
        let c: ModelConfig = serde_json::from_str(&format!(
            r#"{{"family":"transformer","vocab":2,"n_classes":2,"width":8,"heads":2,"max_len":8,"pos":"{pos}"}}"#
        ))
        .unwrap();
        assert_eq!(c.max_len(), None);
        let y = c.init(&dev).forward(tokens(&x, 2, 9, &dev)).unwrap();
        assert_eq!(y.dims(), [2, 9, 2]);
    }
}

#[test]
fn config_json_round_trip_and_errors() {
    for (s, cfg) in configs() {
        let back: ModelConfig =
            serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg, "{s}");
    }
    assert!(serde_json::from_str::<ModelConfig>(
        r#"{"family":"lstm","vocab":2,"n_classes":2,"widht":3}"#
    )
    .is_err());
    assert!(
        serde_json::from_str::<ModelConfig>(r#"{"family":"cnn","vocab":2,"n_classes":2}"#).is_err()
    );
}

#[test]
fn fast_lstm_matches_reference_recurrence() {
    // Check FastLstmLayer against a scalar re-implementation of the LSTM equations.
    use seqlab::models::FastLstmLayer;
    let dev = Device::flex();
    let _turn = seqlab::train::rng_turn();
    dev.seed(9);
    let (b, t, d, h) = (2, 4, 3, 5);
    let layer = FastLstmLayer::new(d, h, &dev);
    let x = Tensor::<3>::random(
        [b, t, d],
        burn::tensor::Distribution::Uniform(-1.0, 1.0),
        &dev,
    );
    let out: Vec<f32> = layer.forward(x.clone()).into_data().iter::<f32>().collect();
    let xv: Vec<f32> = x.into_data().iter::<f32>().collect();
    let wih: Vec<f32> = layer.w_ih.weight.val().into_data().iter::<f32>().collect();
    let bih: Vec<f32> = layer
        .w_ih
        .bias
        .as_ref()
        .unwrap()
        .val()
        .into_data()
        .iter::<f32>()
        .collect();
    let whh: Vec<f32> = layer.w_hh.weight.val().into_data().iter::<f32>().collect();
    let sig = |v: f32| 1.0 / (1.0 + (-v).exp());
    for bi in 0..b {
        let (mut hs, mut cs) = (vec![0f32; h], vec![0f32; h]);
        for ti in 0..t {
            let mut g = bih.clone();
            for (o, gv) in g.iter_mut().enumerate() {
                for i in 0..d {
                    *gv += xv[(bi * t + ti) * d + i] * wih[i * 4 * h + o];
                }
                for i in 0..h {
                    *gv += hs[i] * whh[i * 4 * h + o];
                }
            }
            for j in 0..h {
                let (ig, fg, og, cg) = (
                    sig(g[j]),
                    sig(g[h + j]),
                    sig(g[2 * h + j]),
                    g[3 * h + j].tanh(),
                );
                cs[j] = fg * cs[j] + ig * cg;
                hs[j] = og * cs[j].tanh();
                let got = out[(bi * t + ti) * h + j];
                assert!(
                    (got - hs[j]).abs() < 1e-5,
                    "b{bi} t{ti} j{j}: {got} vs {}",
                    hs[j]
                );
            }
        }
    }
}

#[test]
fn fused_lstm_cell_matches_tensor_ops_values_and_gradients() {
    use seqlab::models::{EmbedStack, LstmConfig, LstmImpl};
    let dev = Device::flex().autodiff();
    let _turn = seqlab::train::rng_turn();
    dev.seed(4);
    let mut cfg = LstmConfig::new(V, C);
    cfg.width = 16;
    cfg.depth = 2;
    cfg.implementation = LstmImpl::Fused;
    let fused = cfg.init(&dev);
    let mut plain = fused.clone();
    for l in plain.layers.iter_mut() {
        l.fused = false;
    }
    let x = model_support::random_tokens(3, 10, V, 8);
    let run = |m: &seqlab::models::Lstm| {
        let y = m.forward(tokens(&x, 3, 10, &dev));
        // A loss that weights every logit differently.
        let wv: Vec<f32> = model_support::random_tokens(3, 10 * C, 7, 3)
            .iter()
            .map(|&v| v as f32 - 3.0)
            .collect();
        let w = Tensor::<3>::from_data(TensorData::new(wv, [3, 10, C]), &dev);
        let grads = (y.clone() * w).sum().backward();
        let gw: Vec<f32> = m.layers[0]
            .w_hh
            .weight
            .val()
            .grad(&grads)
            .unwrap()
            .into_data()
            .iter::<f32>()
            .collect();
        let gi: Vec<f32> = m.layers[1]
            .w_ih
            .weight
            .val()
            .grad(&grads)
            .unwrap()
            .into_data()
            .iter::<f32>()
            .collect();
        (values(y), gw, gi)
    };
    let (ya, ga, ia) = run(&fused);
    let (yb, gb, ib) = run(&plain);
    let close = |a: &[f32], b: &[f32], what: &str| {
        for (p, q) in a.iter().zip(b) {
            assert!(
                (p - q).abs() <= 2e-5 * (1.0 + q.abs()),
                "{what}: {p} vs {q}"
            );
        }
    };
    close(&ya, &yb, "logits");
    close(&ga, &gb, "grad w_hh layer 0");
    close(&ia, &ib, "grad w_ih layer 1");
}
