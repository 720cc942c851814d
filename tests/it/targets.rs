//! Multi-label (BCE) and real-valued (MSE) targets through the trainer: the
//! loss falls on tiny synthetic tasks, predictions are sane, and the same
//! seed gives the same bits.

use crate::model_support;
use burn::module::Module;
use seqlab::train::{masked_outputs, save_checkpoint, SeqDataset, SplitMix64, Target};

use model_support::{cfg, tcfg};

/// Tokens in 1..=5 over T = 4; label j (K = 3) = "token j+1 occurs" (41%
/// absent), read at the last position.
fn occurs(n: usize, seed: u64) -> SeqDataset {
    let (t, k) = (4, 3);
    let mut rng = SplitMix64::new(seed);
    let (mut inputs, mut mask, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let row: Vec<u32> = (0..t).map(|_| 1 + rng.below(5) as u32).collect();
        for j in 0..k {
            labels.push(u8::from(row.contains(&(j as u32 + 1))));
        }
        mask.extend((0..t).map(|i| u8::from(i + 1 == t)));
        inputs.extend(row);
    }
    SeqDataset::with_target(inputs, Target::MultiLabel { k, labels }, mask, n, t).unwrap()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn bce_training_loss_falls_on_a_multi_label_task_and_is_deterministic() {
    let data = occurs(256, 1);
    let mc = cfg(r#"{"family":"gru","vocab":6,"n_classes":3,"width":16,"depth":1}"#);
    let tc = tcfg(r#"{"steps":150,"batch_size":32,"lr":0.01,"seed":3,"warmup_steps":10}"#);
    let run = || model_support::train_on(&mc, &tc, &data).unwrap();
    let out = run();
    let losses: Vec<f64> = out.curve.iter().map(|s| s.loss).collect();
    let (first, last) = (mean(&losses[..10]), mean(&losses[losses.len() - 10..]));
    assert!(
        (first - std::f64::consts::LN_2).abs() < 0.1,
        "BCE starts near ln 2: {first}"
    );
    assert!(last < 0.5 * first, "loss falls: {first} -> {last}");
    let acc = mean(
        &out.curve[out.curve.len() - 10..]
            .iter()
            .map(|s| s.acc)
            .collect::<Vec<_>>(),
    );
    assert!(acc > 0.9, "label accuracy at logit > 0: {acc}");

    // Held-out predictions: sigmoid > 0.5 matches the labels.
    let test = occurs(64, 99);
    let o = masked_outputs(&out.model.valid(), &test, 32).unwrap();
    assert_eq!((o.k, o.at.len()), (3, 64));
    assert!(
        o.at.iter().all(|&(_, pos)| pos == 3),
        "read at the last position"
    );
    let Target::MultiLabel { labels, .. } = &test.target else {
        unreachable!()
    };
    let right = (0..64 * 3)
        .filter(|&i| (o.values[i] > 0.0) == (labels[i] == 1))
        .count();
    assert!(
        right as f64 / 192.0 > 0.9,
        "held-out label accuracy {right}/192"
    );

    // Same seed, same bits.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    save_checkpoint(&out.model, &a).unwrap();
    let again = run();
    save_checkpoint(&again.model, &b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let bits =
        |c: &[seqlab::train::StepInfo]| c.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&out.curve), bits(&again.curve));
}

/// Tokens in {1, 2} over T = 8; K = 2 values per position: the running share
/// of 2s so far, and 1 - that share.
fn running_share(n: usize, seed: u64) -> SeqDataset {
    let (t, k) = (8, 2);
    let mut rng = SplitMix64::new(seed);
    let (mut inputs, mut values) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let mut twos = 0.0f32;
        for i in 0..t {
            let x = 1 + u32::from(rng.unit() < 0.5);
            twos += (x == 2) as u32 as f32;
            let share = twos / (i + 1) as f32;
            inputs.push(x);
            values.extend([share, 1.0 - share]);
        }
    }
    let target = Target::Real { k, values };
    SeqDataset::with_target(inputs, target, vec![1; n * t], n, t).unwrap()
}

#[test]
fn mse_regression_head_learns_a_running_mean() {
    let data = running_share(256, 5);
    let mc = cfg(r#"{"family":"lstm","vocab":3,"n_classes":2,"width":16,"depth":1}"#);
    let tc = tcfg(r#"{"steps":200,"batch_size":32,"lr":0.01,"seed":1,"warmup_steps":10}"#);
    let out = model_support::train_on(&mc, &tc, &data).unwrap();
    let losses: Vec<f64> = out.curve.iter().map(|s| s.loss).collect();
    let (first, last) = (mean(&losses[..10]), mean(&losses[losses.len() - 10..]));
    assert!(last < 0.2 * first, "MSE falls: {first} -> {last}");
    assert!(
        out.curve.iter().all(|s| s.acc.is_nan()),
        "no accuracy for real targets"
    );

    let test = running_share(64, 77);
    let o = masked_outputs(&out.model.valid(), &test, 64).unwrap();
    assert_eq!((o.k, o.at.len()), (2, 64 * 8));
    let Target::Real { values, .. } = &test.target else {
        unreachable!()
    };
    let se: f64 = o
        .values
        .iter()
        .zip(values)
        .map(|(&p, &y)| (p as f64 - y as f64).powi(2))
        .sum();
    let rmse = (se / values.len() as f64).sqrt();
    // Predicting the constant 0.5 gives RMSE ~0.25 here; the model tracks the mean.
    assert!(rmse < 0.1, "RMSE {rmse}");
    assert!(
        o.values.iter().all(|v| (-0.3..1.3).contains(v)),
        "values stay in range"
    );
}

#[test]
fn a_model_with_the_wrong_number_of_outputs_is_a_clear_error() {
    let data = occurs(16, 1);
    let mc = cfg(r#"{"family":"gru","vocab":6,"n_classes":5,"width":8,"depth":1}"#);
    let tc = tcfg(r#"{"steps":2,"batch_size":4}"#);
    let e = model_support::train_on(&mc, &tc, &data).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("5 outputs") && e.contains("K = 3"), "{e}");
}
