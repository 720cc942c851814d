//! The recipe knobs as `train` params (issue 12): each is keyed, reaches the
//! model or the optimizer, is null in the key of a family it does not apply
//! to, and a bad value is refused before anything runs, naming the param.

use crate::common::Work;
use seqlab::kind::{read_params, ParamSchema};
use seqlab::models::{Family, ModelConfig, PosEncoding};
use seqlab::stages::train::TrainParams;
use serde_json::{json, Value};

fn resolve(raw: Value) -> serde_json::Map<String, Value> {
    ParamSchema::of::<TrainParams>()
        .resolve(raw.as_object().unwrap())
        .unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn transformer_knobs_are_keyed_and_null_for_other_families() {
    let knobs = json!({
        "bos": true, "d_ff": 96, "pos": "none", "dropout": 0.1,
        "beta1": 0.8, "beta2": 0.98, "lr_floor_frac": 0.0,
        "weight_decay": 0.1, "warmup_steps": 7, "min_length": 3
    });
    let mut tf = knobs.clone();
    tf["model"] = json!("transformer");
    let c = resolve(tf);
    for (k, v) in knobs.as_object().unwrap() {
        let want = if v.is_f64() {
            json!(v.as_f64())
        } else {
            v.clone()
        };
        assert_eq!(c[k], want, "{k}");
    }
    // An LSTM has no BOS, feed-forward width, positions or dropout: null in its
    // key, so these axes never rerun it; the optimizer knobs apply to every family.
    let mut lstm = knobs.clone();
    lstm["model"] = json!("lstm");
    let c = resolve(lstm);
    for k in ["bos", "d_ff", "pos", "dropout", "heads"] {
        assert!(c[k].is_null(), "{k}: {c:?}");
    }
    for k in [
        "beta1",
        "beta2",
        "lr_floor_frac",
        "weight_decay",
        "warmup_steps",
        "min_length",
    ] {
        assert!(!c[k].is_null(), "{k}: {c:?}");
    }
    // Left out, the two optional knobs are null, and read back as "none".
    let c = resolve(json!({"model": "transformer"}));
    assert!(c["d_ff"].is_null() && c["min_length"].is_null(), "{c:?}");
    assert_eq!(c["bos"], json!(false));
}

#[test]
fn the_knobs_reach_the_optimizer_and_the_model() {
    let c = resolve(json!({
        "model": "transformer", "bos": true, "d_ff": 96, "pos": "none", "width": 32,
        "beta1": 0.8, "beta2": 0.98, "lr_floor_frac": 0.25, "weight_decay": 0.1,
        "warmup_steps": 7, "min_length": 3, "lr": 0.002
    }));
    let p: TrainParams = read_params(&c).unwrap();
    let t = p.train_config();
    assert_eq!(
        (t.beta1, t.beta2, t.lr_floor_frac, t.weight_decay),
        (0.8, 0.98, 0.25, 0.1)
    );
    assert_eq!((t.warmup_steps, t.min_length, t.lr), (7, Some(3), 0.002));
    // The schedule peaks after the warm-up and decays to the floor, 0.25 × 0.002.
    let s = t.schedule();
    assert!((s.lr(6) - 0.002).abs() < 1e-15);
    assert!((s.lr(t.steps) - 0.0005).abs() < 1e-15);
    let shape = p.shape();
    assert_eq!(
        (shape.family, shape.bos, shape.d_ff, shape.pos),
        (Family::Transformer, true, Some(96), PosEncoding::None)
    );
    let data = seqlab::models::DataShape {
        vocab: 2,
        n_classes: 2,
        length: 16,
        fixed_window: None,
    };
    match ModelConfig::for_data(&shape, &data) {
        ModelConfig::Transformer(m) => {
            assert_eq!((m.bos, m.d_ff, m.width), (true, Some(96), 32))
        }
        other => panic!("{other:?}"),
    }
}

/// `seqlab run` refuses the pipeline before running anything; stderr is returned.
fn refused(params: &str) -> String {
    let w = Work::new();
    w.write(
        "p.yaml",
        &format!(
            "name: x\nstages:\n  data:\n    kind: automaton\n    params: {{task: parity, length: 4, train_size: 8, test_size: 8}}\n  train:\n    kind: train\n    needs: [data]\n    params: {{{params}}}\n"
        ),
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(!r.stderr.contains("panicked"), "{}", r.text());
    r.stderr
}

#[test]
fn out_of_range_knobs_are_refused_naming_the_param() {
    let e = refused("model: transformer, beta2: 1.0, dropout: 1.0");
    assert!(e.contains("`beta2` must be below 1 (got 1)"), "{e}");
    assert!(e.contains("`dropout` must be below 1"), "{e}");
    let e = refused("model: transformer, min_length: 0");
    assert!(e.contains("p.yaml:9:"), "{e}");
    assert!(e.contains("`min_length` must be at least 1"), "{e}");
    let e = refused("model: lstm, weight_decay: -0.1, lr_floor_frac: 2");
    assert!(e.contains("`weight_decay` must be at least 0"), "{e}");
    assert!(e.contains("`lr_floor_frac` must be at most 1"), "{e}");
    let e = refused("model: transformer, pos: nonee");
    assert!(e.contains("did you mean `none`?"), "{e}");
}

/// `min_length` longer than the data's sequences fails the training with a
/// message naming it (the data's length is not known when the params are read).
#[test]
fn a_min_length_past_the_data_fails_the_stage_by_name() {
    let w = Work::new();
    w.write(
        "p.yaml",
        "name: x\nstages:\n  data:\n    kind: automaton\n    params: {task: parity, length: 4, train_size: 8, test_size: 8}\n  train:\n    kind: train\n    needs: [data]\n    params: {model: lstm, width: 8, steps: 2, batch_size: 4, min_length: 5}\n",
    );
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(!r.stderr.contains("panicked"), "{}", r.text());
    assert!(
        r.stderr
            .contains("min_length 5 is longer than the training sequences (4)"),
        "{}",
        r.text()
    );
}
