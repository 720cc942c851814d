//! The training recipe's knobs at value level: BOS token, no positional encoding (NoPE),
//! feed-forward width, AdamW betas and weight decay, the learning-rate floor, and random
//! training lengths.

use burn::module::{Module, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use seqlab::models::{Model, ModelConfig, ModelError};
use seqlab::train::{
    load_checkpoint, rng_turn, save_checkpoint, train, Batch, Batches, SplitMix64, TrainConfig,
    TrainError,
};

const V: usize = 3;
const C: usize = 4;

fn mcfg(json: &str) -> ModelConfig {
    serde_json::from_str(json).unwrap()
}

fn transformer(extra: &str) -> ModelConfig {
    mcfg(&format!(
        r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":16,"heads":2,"max_len":10{extra}}}"#
    ))
}

/// The model of `cfg` (depth 2 unless `extra` says otherwise) with weights drawn from
/// `seed`, all drawn while holding the device RNG (burn draws a parameter at its first
/// use, so one forward pass runs under the lock), so tests running beside this one
/// cannot interleave their draws.
fn build(cfg: &ModelConfig, seed: u64, dev: &Device) -> Model {
    let _turn = rng_turn();
    dev.seed(seed);
    let model = cfg.init(dev);
    model.forward(tokens(&[0], 1, 1, dev)).unwrap();
    model
}

fn tokens(v: &[u32], b: usize, t: usize, dev: &Device) -> Tensor<2, Int> {
    let v: Vec<i64> = v.iter().map(|&x| x as i64).collect();
    Tensor::from_data(TensorData::new(v, [b, t]), dev)
}

fn values<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.into_data().iter::<f32>().collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn bos_equals_prepending_the_token_by_hand() {
    // A model with `bos` and vocabulary V draws the same weights, in the same order, as one
    // without it and vocabulary V + 1 (and, with learned positions, one more table row):
    // so the BOS model must equal that model run on [V, x] with its first output dropped.
    let dev = Device::flex();
    let (b, t) = (3, 7);
    let x = crate::model_support::random_tokens(b, t, V, 5);
    let mut with_bos_token = Vec::new();
    for i in 0..b {
        with_bos_token.push(V as u32);
        with_bos_token.extend_from_slice(&x[i * t..(i + 1) * t]);
    }
    for pos in ["learned", "sinusoidal", "rope", "alibi", "none"] {
        let bos = build(
            &transformer(&format!(r#","pos":"{pos}","bos":true"#)),
            9,
            &dev,
        );
        let plain = mcfg(&format!(
            r#"{{"family":"transformer","vocab":{},"n_classes":{C},"width":16,"depth":2,"heads":2,"max_len":11,"pos":"{pos}"}}"#,
            V + 1
        ));
        let plain = build(&plain, 9, &dev);
        let got = bos.forward(tokens(&x, b, t, &dev)).unwrap();
        assert_eq!(
            got.dims(),
            [b, t, C],
            "{pos}: outputs keep the input length"
        );
        let full = plain
            .forward(tokens(&with_bos_token, b, t + 1, &dev))
            .unwrap();
        let want = values(full.narrow(1, 1, t));
        let d = max_diff(&values(got), &want);
        assert!(
            d <= 1e-6,
            "{pos}: BOS model differs from the hand-prepended run by {d}"
        );
        // Hidden states likewise leave the BOS position out.
        let h = bos.hidden_states(tokens(&x, b, t, &dev)).unwrap();
        let hp = plain
            .hidden_states(tokens(&with_bos_token, b, t + 1, &dev))
            .unwrap();
        assert_eq!(h.len(), 3);
        for (l, (a, p)) in h.into_iter().zip(hp).enumerate() {
            assert_eq!(a.dims(), [b, t, 16], "{pos} layer {l}");
            let d = max_diff(&values(a), &values(p.narrow(1, 1, t)));
            assert!(d <= 1e-6, "{pos} layer {l}: hidden states differ by {d}");
        }
    }
}

#[test]
fn bos_is_seen_by_the_first_position_and_maps_cover_the_inputs() {
    let dev = Device::flex();
    let (b, t) = (2, 5);
    let x = crate::model_support::random_tokens(b, t, V, 8);
    let Model::Transformer(m) = build(&transformer(r#","pos":"rope","bos":true"#), 4, &dev) else {
        panic!("a transformer config builds a transformer")
    };
    assert!(m.bos);
    let (_, full) = m.forward_with_attention(tokens(&x, b, t, &dev)).unwrap();
    for w in &full {
        // Heads 2, T + 1 positions; row 1 (the first input token) may look at column 0
        // (BOS) and itself only, and softmax gives both a positive weight.
        assert_eq!(w.dims(), [b, 2, t + 1, t + 1]);
        let v = values(w.clone());
        for bh in 0..b * 2 {
            let row1 = &v[(bh * (t + 1) + 1) * (t + 1)..(bh * (t + 1) + 2) * (t + 1)];
            assert!(row1[0] > 0.0, "the first token does not see BOS: {row1:?}");
            assert!((row1[0] + row1[1] - 1.0).abs() < 1e-5);
            assert!(row1[2..].iter().all(|&p| p == 0.0));
        }
    }
    // The model-level maps drop the BOS row and column: [T, T], rows sum to 1 − w(BOS).
    let model = Model::Transformer(m);
    let maps = model
        .attention_weights(tokens(&x, b, t, &dev))
        .unwrap()
        .unwrap();
    for (w, f) in maps.into_iter().zip(full) {
        assert_eq!(w.dims(), [b, 2, t, t]);
        let inner = values(f.clone().narrow(2, 1, t).narrow(3, 1, t));
        assert_eq!(values(w), inner);
        let bos_col = values(f.narrow(2, 1, t).narrow(3, 0, 1));
        for (r, wb) in inner.chunks(t).zip(bos_col) {
            let s: f32 = r.iter().sum();
            assert!((s + wb - 1.0).abs() < 1e-5 && wb > 0.0);
        }
    }
}

#[test]
fn bos_keeps_the_length_limit_onehot_path_and_checkpoints() {
    let dev = Device::flex();
    let cfg = transformer(r#","pos":"learned","bos":true"#);
    assert_eq!(cfg.max_len(), Some(10), "the limit counts input tokens");
    let model = build(&cfg, 2, &dev);
    let x = crate::model_support::random_tokens(2, 10, V, 1);
    let y = model.forward(tokens(&x, 2, 10, &dev)).unwrap();
    assert_eq!(y.dims(), [2, 10, C]);
    let long = crate::model_support::random_tokens(1, 11, V, 1);
    assert_eq!(
        model.forward(tokens(&long, 1, 11, &dev)).unwrap_err(),
        ModelError::TooLong {
            model: "transformer (learned positions)",
            got: 11,
            max_len: 10
        }
    );
    // One-hot rows over the V input tokens reproduce the token path.
    let mut oh = vec![0f32; 2 * 10 * V];
    for (k, &tok) in x.iter().enumerate() {
        oh[k * V + tok as usize] = 1.0;
    }
    let z = model
        .forward_onehot(Tensor::from_data(TensorData::new(oh, [2, 10, V]), &dev))
        .unwrap();
    let d = max_diff(&values(y.clone()), &values(z));
    assert!(d <= 1e-5, "one-hot path differs by {d}");
    // A checkpoint of a BOS model loads into the same config (the BOS row included).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    save_checkpoint(&model, &p).unwrap();
    let back = load_checkpoint(&cfg, &p, &dev).unwrap();
    assert_eq!(
        values(back.forward(tokens(&x, 2, 10, &dev)).unwrap()),
        values(y)
    );
    // Without the key a config has no BOS: existing model.json files keep their meaning.
    let ModelConfig::Transformer(old) = transformer("") else {
        unreachable!()
    };
    assert!(!old.bos);
}

#[test]
fn nope_is_order_blind_except_through_the_causal_mask() {
    let dev = Device::flex();
    // One layer: the last position attends to every token with weights that depend on
    // the tokens only, so permuting the tokens before it cannot change its output.
    let t = 8;
    let x: Vec<u32> = vec![0, 1, 2, 2, 1, 0, 0, 1];
    let mut shuffled = x.clone();
    shuffled[..t - 1].reverse();
    shuffled.swap(0, 3);
    assert_ne!(shuffled, x);
    let last = |m: &Model, v: &[u32]| -> Vec<f32> {
        values(
            m.forward(tokens(v, 1, t, &dev))
                .unwrap()
                .narrow(1, t - 1, 1),
        )
    };
    for (pos, order_blind) in [("none", true), ("learned", false), ("sinusoidal", false)] {
        let m = build(
            &transformer(&format!(r#","depth":1,"pos":"{pos}""#)),
            6,
            &dev,
        );
        let d = max_diff(&last(&m, &x), &last(&m, &shuffled));
        if order_blind {
            assert!(d <= 1e-5, "{pos}: the last output moved by {d}");
        } else {
            assert!(d > 1e-4, "{pos}: positions should make order matter ({d})");
        }
    }
    // Any depth: a constant input gives the same output at every position (every
    // position's representation is the same, and attention averages equal values).
    let m = build(&transformer(r#","pos":"none""#), 7, &dev);
    let y = values(m.forward(tokens(&[2; 6], 1, 6, &dev)).unwrap());
    for p in 1..6 {
        assert!(max_diff(&y[..C], &y[p * C..(p + 1) * C]) <= 1e-5);
    }
    // NoPE runs at any length (no table to outgrow).
    assert_eq!(transformer(r#","pos":"none""#).max_len(), None);
    let long = crate::model_support::random_tokens(1, 40, V, 2);
    assert_eq!(
        m.forward(tokens(&long, 1, 40, &dev)).unwrap().dims(),
        [1, 40, C]
    );
}

#[test]
fn d_ff_sets_the_feed_forward_width() {
    let dev = Device::flex();
    for (extra, want) in [("", 64), (r#","d_ff":24"#, 24)] {
        let Model::Transformer(m) = build(&transformer(extra), 1, &dev) else {
            unreachable!()
        };
        for block in &m.blocks {
            assert_eq!(block.ff1.weight.dims(), [16, want], "default is 4 · width");
            assert_eq!(block.ff2.weight.dims(), [want, 16]);
        }
    }
}

/// One parameter vector; its loss is `Σ w ⊙ g`, so the gradient is `g` exactly.
#[derive(Module, Debug)]
struct Weights {
    w: Param<Tensor<1>>,
}

#[test]
fn adamw_two_steps_by_hand() {
    let (b1, b2, eps, wd, lr) = (0.8f64, 0.9f64, 1e-8f64, 0.1f64, 0.05f64);
    let cfg: TrainConfig = serde_json::from_str(&format!(
        r#"{{"beta1":{b1},"beta2":{b2},"eps":{eps},"weight_decay":{wd}}}"#
    ))
    .unwrap();
    let dev = Device::flex().autodiff();
    let w0 = [1.0f64, -2.0, 0.5];
    let grads = [[0.3f64, -0.1, 2.0], [-0.6, -0.1, 1.0]];
    let mut model = Weights {
        w: Param::from_tensor(Tensor::from_data(
            TensorData::new(w0.iter().map(|&x| x as f32).collect::<Vec<_>>(), [3]),
            &dev,
        )),
    };
    let mut optim = cfg.optimizer().init();
    for g in &grads {
        let gt: Tensor<1> = Tensor::from_data(
            TensorData::new(g.iter().map(|&x| x as f32).collect::<Vec<_>>(), [3]),
            &dev,
        );
        let loss = (model.w.val() * gt).sum();
        let gp = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, gp);
    }
    // PyTorch's AdamW: w ← w (1 − lr λ) − lr m̂ / (√v̂ + ε), m̂ = m / (1 − β1^k),
    // v̂ = v / (1 − β2^k); with two different gradients the betas do not cancel.
    let by_hand = |b1: f64, b2: f64| -> Vec<f64> {
        (0..3)
            .map(|i| {
                let (mut w, mut m, mut v) = (w0[i], 0.0, 0.0);
                for (k, g) in grads.iter().enumerate() {
                    let k = k as i32 + 1;
                    m = b1 * m + (1.0 - b1) * g[i];
                    v = b2 * v + (1.0 - b2) * g[i] * g[i];
                    let (mh, vh) = (m / (1.0 - b1.powi(k)), v / (1.0 - b2.powi(k)));
                    w = w * (1.0 - lr * wd) - lr * mh / (vh.sqrt() + eps);
                }
                w
            })
            .collect()
    };
    let got = values(model.w.val());
    let want = by_hand(b1, b2);
    for i in 0..3 {
        let d = (got[i] as f64 - want[i]).abs();
        assert!(d < 1e-6, "w[{i}]: {} vs {} by hand", got[i], want[i]);
    }
    // With the default betas (0.9, 0.999) the same steps land elsewhere: the betas are used.
    let defaults = by_hand(0.9, 0.999);
    assert!((got[0] as f64 - defaults[0]).abs() > 1e-3);
}

#[test]
fn the_schedule_warms_up_then_decays_to_the_floor() {
    let cfg: TrainConfig =
        serde_json::from_str(r#"{"steps":110,"lr":0.002,"warmup_steps":10,"lr_floor_frac":0.05}"#)
            .unwrap();
    let s = cfg.schedule();
    let floor = 0.002 * 0.05;
    // Linear warm-up: step k (0-based) runs at peak · (k + 1) / warmup.
    assert!((s.lr(0) - 0.0002).abs() < 1e-15);
    assert!((s.lr(4) - 0.001).abs() < 1e-15);
    assert!((s.lr(9) - 0.002).abs() < 1e-15);
    // Cosine from the peak at step 10 to the floor at step 110: halfway is the mean, and
    // the floor holds from the end on.
    assert!((s.lr(10) - 0.002).abs() < 1e-15);
    assert!((s.lr(60) - (0.002 + floor) / 2.0).abs() < 1e-15);
    assert!((s.lr(110) - floor).abs() < 1e-15);
    assert!((s.lr(1000) - floor).abs() < 1e-15);
    // The last step taken (109) is one hundredth of the cosine above the floor.
    let last = floor + (0.002 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * 0.99).cos());
    assert!((s.lr(109) - last).abs() < 1e-15);
}

fn parity(b: usize, rng: &mut SplitMix64) -> Batch {
    crate::model_support::parity_batch(b, 8, rng)
}

#[test]
fn random_lengths_train_deterministically_and_check_their_bounds() {
    let mc = transformer(r#","pos":"none","bos":true"#);
    let run = |json: &str| {
        let tc: TrainConfig = serde_json::from_str(json).unwrap();
        train(
            &mc,
            &tc,
            Batches::Fresh(Box::new(parity)),
            None,
            &Device::flex(),
            |_| {},
        )
    };
    let base = r#""steps":6,"batch_size":8,"warmup_steps":2,"seed":3"#;
    let a = run(&format!(r#"{{{base},"min_length":2}}"#)).unwrap();
    let b = run(&format!(r#"{{{base},"min_length":2}}"#)).unwrap();
    let full = run(&format!("{{{base}}}")).unwrap();
    let losses = |o: &seqlab::train::TrainOutcome| -> Vec<u64> {
        o.curve.iter().map(|s| s.loss.to_bits()).collect()
    };
    assert_eq!(losses(&a), losses(&b), "same seed, same bits");
    assert_ne!(
        losses(&a),
        losses(&full),
        "random lengths change the batches"
    );
    assert!(a.curve.iter().all(|s| s.loss.is_finite()));
    for (json, what) in [
        (r#","min_length":9"#, "longer than"),
        (r#","min_length":0"#, "at least 1"),
    ] {
        match run(&format!("{{{base}{json}}}")) {
            Err(TrainError::Invalid(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("expected an invalid-configuration error, got {other:?}"),
        }
    }
}

#[test]
fn batch_prefix_by_hand() {
    let b = Batch::new(
        vec![1, 2, 3, 4, 5, 6],
        vec![0, 1, 0, 1, 1, 0],
        vec![1, 0, 1, 1, 1, 0],
        2,
        3,
    )
    .unwrap();
    let p = b.prefix(2).unwrap();
    assert_eq!((p.b, p.t), (2, 2));
    assert_eq!(p.inputs, vec![1, 2, 4, 5]);
    assert_eq!(p.mask, vec![1, 0, 1, 1]);
    assert_eq!(p.target, seqlab::train::Target::Classes(vec![0, 1, 1, 1]));
    assert_eq!(b.prefix(3).unwrap(), b);
    assert!(b.prefix(0).is_none() && b.prefix(4).is_none());
}

/// Not a test: the phase-A probe (issue 12). Parity at T = 16, width 64, 4 heads, 2
/// layers, lr 1e-3, at most 2,000 steps with early stopping at 99.5% training accuracy,
/// one seed; BOS and positions none / learned (`PROBE_VARIANTS`, default
/// `bos:none,bos:learned`; `nobos:rope` and the like for others). Prints accuracies and
/// wall time: `cargo test --release --test recipe_knobs -- --ignored --nocapture probe`
#[test]
#[ignore]
fn probe_parity_bos_and_positions() {
    use seqlab::datasets::automata::{try_generate, GenConfig, Task};
    use seqlab::train::{evaluate, SeqDataset};
    let gen = GenConfig {
        length: 16,
        ..GenConfig::default()
    };
    let test = try_generate(&Task::Parity, 2000, &gen, 12345).unwrap();
    let test = SeqDataset::new(test.inputs, test.labels, test.mask, test.n, test.t).unwrap();
    let tc: TrainConfig = serde_json::from_str(
        r#"{"steps":2000,"batch_size":64,"lr":0.001,"warmup_steps":200,"eval_every":50,"target_acc":0.995,"window":2,"seed":0}"#,
    )
    .unwrap();
    let variants =
        std::env::var("PROBE_VARIANTS").unwrap_or_else(|_| "bos:none,bos:learned".into());
    for v in variants.split(',') {
        let (bos, pos) = match v.split_once(':') {
            Some(("bos", pos)) => (true, pos),
            Some((_, pos)) => (false, pos),
            None => (false, v),
        };
        let mc = mcfg(&format!(
            r#"{{"family":"transformer","vocab":2,"n_classes":2,"width":64,"depth":2,"heads":4,"max_len":16,"pos":"{pos}","bos":{bos}}}"#
        ));
        let fresh = move |b: usize, rng: &mut SplitMix64| {
            let s = try_generate(&Task::Parity, b, &gen, rng.next_u64()).unwrap();
            Batch::new(s.inputs, s.labels, s.mask, s.n, s.t).unwrap()
        };
        let out = train(
            &mc,
            &tc,
            Batches::Fresh(Box::new(fresh)),
            None,
            &Device::flex(),
            |_| {},
        )
        .unwrap();
        let rep = evaluate(&out.model.valid(), &test, 256).unwrap();
        println!(
            "bos={bos} pos={pos}: test acc {:.2}% (seq {:.2}%), {} steps{}, {:.1} s",
            100.0 * rep.acc,
            100.0 * rep.seq_acc,
            out.steps_run,
            if out.stopped_early {
                " (early stop)"
            } else {
                ""
            },
            out.seconds
        );
    }
}
