//! Training loop: determinism, NaN handling, checkpoints, learning, early stopping, eval.

use crate::model_support;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use seqlab::train::{
    evaluate, load_checkpoint, save_checkpoint, train, Batches, StepInfo, TrainError,
};

use model_support::{cfg, tcfg};

fn logits(model: &seqlab::models::Model, x: &[u32], b: usize, t: usize) -> Vec<f32> {
    let dev = seqlab::train::model_device(model);
    let v: Vec<i64> = x.iter().map(|&x| x as i64).collect();
    let x: Tensor<2, Int> = Tensor::from_data(TensorData::new(v, [b, t]), &dev);
    model
        .forward(x)
        .unwrap()
        .into_data()
        .iter::<f32>()
        .collect()
}

#[test]
fn same_seed_gives_identical_checkpoints_and_curves() {
    let dir = tempfile::tempdir().unwrap();
    let data = model_support::parity_dataset(64, 8, 1);
    let models = [
        r#"{"family":"transformer","vocab":2,"n_classes":2,"width":16,"heads":2,"dropout":0.1}"#,
        r#"{"family":"lstm","vocab":2,"n_classes":2,"width":16,"depth":2,"dropout":0.1}"#,
    ];
    for (k, m) in models.iter().enumerate() {
        let mc = cfg(m);
        let tc = tcfg(r#"{"steps":12,"batch_size":16,"seed":7,"warmup_steps":3}"#);
        let mut files = Vec::new();
        let mut curves = Vec::new();
        for run in 0..2 {
            let out = model_support::train_on(&mc, &tc, &data).unwrap();
            let p = dir.path().join(format!("m{k}_{run}.safetensors"));
            save_checkpoint(&out.model, &p).unwrap();
            files.push(std::fs::read(&p).unwrap());
            curves.push(
                out.curve
                    .iter()
                    .map(|s| (s.loss.to_bits(), s.acc.to_bits()))
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(curves[0], curves[1], "{m}: loss curves differ");
        assert!(files[0] == files[1], "{m}: checkpoint bytes differ");
        // A different seed gives different weights.
        let tc2 = tcfg(r#"{"steps":12,"batch_size":16,"seed":8,"warmup_steps":3}"#);
        let out = model_support::train_on(&mc, &tc2, &data).unwrap();
        let p = dir.path().join(format!("m{k}_other.safetensors"));
        save_checkpoint(&out.model, &p).unwrap();
        assert!(std::fs::read(&p).unwrap() != files[0]);
    }
}

#[test]
fn huge_learning_rate_reports_the_failing_step() {
    let data = model_support::parity_dataset(32, 8, 2);
    let mc = cfg(r#"{"family":"lstm","vocab":2,"n_classes":2,"width":8}"#);
    let tc = tcfg(r#"{"steps":50,"batch_size":8,"lr":1e30,"warmup_steps":0,"grad_clip":null}"#);
    match model_support::train_on(&mc, &tc, &data) {
        Err(e @ TrainError::NonFinite { step, .. }) => {
            assert!(step >= 1 && step < 50, "step {step}");
            assert!(e.to_string().contains(&format!("step {step}")), "{e}");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn injected_nan_learning_rate_is_an_error_at_the_next_step() {
    // A NaN learning rate poisons the weights in the first update; the loss of step 1 is NaN.
    let data = model_support::parity_dataset(32, 8, 2);
    let mc = cfg(r#"{"family":"gru","vocab":2,"n_classes":2,"width":8}"#);
    let tc = tcfg(r#"{"steps":10,"batch_size":8,"lr":1e-3,"warmup_steps":0}"#);
    let mut tc_nan = tc.clone();
    tc_nan.lr = f64::NAN;
    match model_support::train_on(&mc, &tc_nan, &data) {
        Err(TrainError::NonFinite {
            step: 1,
            what: "loss",
            ..
        }) => {}
        other => panic!("expected NonFinite at step 1, got {other:?}"),
    }
}

#[test]
fn checkpoint_round_trip_gives_identical_logits() {
    let dir = tempfile::tempdir().unwrap();
    let data = model_support::parity_dataset(32, 8, 3);
    for m in [
        r#"{"family":"transformer","vocab":2,"n_classes":2,"width":16,"heads":2,"pos":"rope"}"#,
        r#"{"family":"lstm","vocab":2,"n_classes":2,"width":8,"impl":"stock"}"#,
        r#"{"family":"gru","vocab":2,"n_classes":2,"width":8}"#,
        r#"{"family":"mlp","vocab":2,"n_classes":2,"max_len":8,"width":8,"depth":2}"#,
        r#"{"family":"linear_rnn","vocab":2,"n_classes":2,"width":8,"negative_eigenvalues":true}"#,
    ] {
        let mc = cfg(m);
        let tc = tcfg(r#"{"steps":5,"batch_size":8}"#);
        let out = model_support::train_on(&mc, &tc, &data).unwrap();
        let trained = out.model.valid();
        let p = dir.path().join("ck.safetensors");
        save_checkpoint(&trained, &p).unwrap();
        let bytes1 = std::fs::read(&p).unwrap();
        save_checkpoint(&trained, &p).unwrap(); // overwrite works and is byte-stable
        assert_eq!(bytes1, std::fs::read(&p).unwrap(), "{m}");
        let dev = Device::flex();
        // A different init, fully replaced by the load (seeding takes the
        // process's RNG turn so it cannot disturb a training in another test).
        {
            let _turn = seqlab::train::rng_turn();
            dev.seed(999);
        }
        let loaded = load_checkpoint(&mc, &p, &dev).unwrap();
        let x = model_support::random_tokens(4, 8, 2, 5);
        assert_eq!(logits(&trained, &x, 4, 8), logits(&loaded, &x, 4, 8), "{m}");
        // Loading into the wrong architecture fails loudly.
        let wrong = cfg(r#"{"family":"gru","vocab":2,"n_classes":2,"width":8,"depth":2}"#);
        if mc.family() != "gru" {
            assert!(load_checkpoint(&wrong, &p, &dev).is_err(), "{m}");
        }
    }
}

#[test]
fn lstm_loss_falls_on_parity_t8() {
    let mc = cfg(r#"{"family":"lstm","vocab":2,"n_classes":2,"width":32}"#);
    let tc = tcfg(r#"{"steps":100,"batch_size":32,"lr":0.01,"warmup_steps":5,"seed":1}"#);
    let gen =
        |b: usize, rng: &mut seqlab::train::SplitMix64| model_support::parity_batch(b, 8, rng);
    let mut seen = Vec::new();
    let out = train(
        &mc,
        &tc,
        Batches::Fresh(Box::new(gen)),
        None,
        &Device::flex(),
        |s: &StepInfo| seen.push(s.step),
    )
    .unwrap();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    let first: f64 = out.curve[..10].iter().map(|s| s.loss).sum::<f64>() / 10.0;
    let last: f64 = out.curve[90..].iter().map(|s| s.loss).sum::<f64>() / 10.0;
    eprintln!("parity T=8 LSTM: loss {first:.4} -> {last:.4}");
    assert!(first > 0.6, "starts near ln 2: {first}");
    assert!(last < 0.5 * first, "loss fell from {first} to {last}");
    // The learning-rate schedule reaches the peak after warm-up and decays.
    assert!((out.curve[4].lr - 0.01).abs() < 1e-12);
    assert!(out.curve[99].lr < 0.0015);
}

#[test]
fn early_stop_and_evaluate() {
    let mc = cfg(r#"{"family":"lstm","vocab":2,"n_classes":2,"width":32}"#);
    let test = model_support::parity_dataset(200, 8, 77);
    let tc = tcfg(
        r#"{"steps":2000,"batch_size":32,"lr":0.01,"warmup_steps":5,"eval_every":20,"target_acc":0.99,"window":2}"#,
    );
    let gen =
        |b: usize, rng: &mut seqlab::train::SplitMix64| model_support::parity_batch(b, 8, rng);
    let out = train(
        &mc,
        &tc,
        Batches::Fresh(Box::new(gen)),
        Some(&test),
        &Device::flex(),
        |_| {},
    )
    .unwrap();
    assert!(out.stopped_early, "did not reach 99% in 2000 steps");
    let n = out.evals.len();
    assert!(out.evals[n - 2..]
        .iter()
        .all(|e| e.acc >= 0.99 && e.heldout));
    assert_eq!(out.steps_run, out.evals[n - 1].step);
    let rep = evaluate(&out.model.valid(), &test, 64).unwrap();
    eprintln!("early stop after {} steps: {rep:?}", out.steps_run);
    assert!(rep.acc >= 0.99);
    assert_eq!(rep.acc_by_pos.len(), 8);
    assert_eq!(rep.n_positions, 200 * 8);
    assert!(rep.seq_acc <= rep.acc + 1e-12 && rep.seq_acc > 0.9);
    assert!(rep.loss.is_finite() && rep.loss < 0.1);
    assert!(rep.latency_ms_median > 0.0 && rep.throughput_seq_per_s > 0.0);
    // Per-position accuracy averages to the overall accuracy (every position is scored).
    let mean: f64 = rep.acc_by_pos.iter().sum::<f64>() / 8.0;
    assert!((mean - rep.acc).abs() < 1e-9);
}
