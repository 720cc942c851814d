//! Length generalization readouts (issue 12): `length_generalize`'s
//! last-position and past-the-training-length accuracies checked against its
//! own per-position curve, and the summary's rows beside the anchors
//! recomputed by hand from a fixture of gathered metrics.

use crate::common::Work;
use seqlab::kind::Coords;
use seqlab::study::anchors::scaled_accuracy;
use seqlab::study::{aggregate, cannot_run_longer, length_rows, length_text, Axes, Cell};
use serde_json::Value;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The last-position and past-T accuracies are the last entry and the mean of the
/// entries after T of the same per-position curve, and the per-position mean is the
/// curve's mean (every position of a fresh automaton test set is labelled, and every
/// sequence has the same length).
#[test]
fn last_and_past_accuracies_agree_with_the_per_position_curve() {
    let w = Work::new();
    w.write(
        "p.yaml",
        "name: x\nstages:\n  data:\n    kind: automaton\n    params: {task: parity, length: 4, fresh: true, test_size: 16, seed: 1}\n  train:\n    kind: train\n    needs: [data]\n    params: {model: lstm, width: 8, steps: 20, batch_size: 16, lr: 0.01, warmup_steps: 2}\n  lengthgen:\n    kind: length_generalize\n    needs: [data, train]\n    params: {factors: [1, 3], test_size: 40}\n",
    );
    w.run("p.yaml", &[]).ok();
    let lg: Value = serde_json::from_str(&w.output("lengthgen", "length_generalization.json"))
        .expect("length_generalization.json");
    let metrics: Value = serde_json::from_str(&w.output("lengthgen", "metrics.json")).unwrap();
    let rows = lg["by_length"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let f = row["factor"].as_u64().unwrap();
        let curve: Vec<f64> = row["acc_by_pos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        assert_eq!(curve.len() as u64, 4 * f);
        let last = row["acc_last"].as_f64().unwrap();
        assert_eq!(last, *curve.last().unwrap());
        assert_eq!(metrics[format!("acc_last_x{f}")].as_f64(), Some(last));
        // 40 sequences: each position's accuracy is a multiple of 1/40.
        assert!((last * 40.0 - (last * 40.0).round()).abs() < 1e-9, "{last}");
        let acc = row["acc"].as_f64().unwrap();
        assert!((acc - mean(&curve)).abs() < 1e-12, "{acc} vs {curve:?}");
        if f == 1 {
            assert!(row["acc_past"].is_null(), "{row}");
            assert!(metrics.get("acc_past_x1").is_none());
        } else {
            let past = row["acc_past"].as_f64().unwrap();
            assert!((past - mean(&curve[4..])).abs() < 1e-12);
            assert_eq!(metrics["acc_past_x3"].as_f64(), Some(past));
        }
    }
    let csv = w.output("lengthgen", "by_length.csv");
    assert!(
        csv.starts_with("factor,length,acc,seq_acc,acc_last,acc_past,not_applicable\n"),
        "{csv}"
    );
}

/// task, model, negative_eigenvalues, seed, then metric=value pairs.
const RUNS: &[(&str, &str, bool, u32, &[(&str, f64)])] = &[
    (
        "C_2",
        "transformer",
        false,
        0,
        &[
            ("acc_x1", 1.0),
            ("acc_last_x2", 0.50),
            ("acc_last_x4", 0.52),
            ("acc_past_x4", 0.60),
            ("acc_p1_0.05", 0.70),
        ],
    ),
    (
        "C_2",
        "transformer",
        false,
        1,
        &[
            ("acc_x1", 1.0),
            ("acc_last_x2", 0.56),
            ("acc_last_x4", 0.48),
            ("acc_past_x4", 0.58),
            ("acc_p1_0.05", 0.80),
        ],
    ),
    (
        "C_2",
        "linear_rnn",
        true,
        0,
        &[("acc_x1", 1.0), ("acc_last_x2", 1.0), ("acc_last_x4", 0.99)],
    ),
    // An MLP cannot run past T: length_generalize records acc_x1 only.
    ("C_2", "mlp", false, 0, &[("acc_x1", 0.9)]),
    (
        "A_5",
        "lstm",
        false,
        0,
        &[("acc_x1", 1.0), ("acc_last_x2", 1.0), ("acc_last_x4", 1.0)],
    ),
];

fn cells() -> Vec<Cell> {
    RUNS.iter()
        .map(|(task, model, neg, seed, metrics)| Cell {
            coords: Coords::parse_label(&format!(
                "task={task},model={model},negative_eigenvalues={neg},seed={seed}"
            )),
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            task_label: Some(task.to_string()),
            model_config: Some(serde_json::json!({
                "family": model,
                "negative_eigenvalues": neg,
            })),
            ..Cell::default()
        })
        .collect()
}

#[test]
fn rows_beside_the_anchors_by_hand() {
    let groups = aggregate(&cells(), &Axes::default());
    let rows = length_rows(&groups);
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.task.as_str(), r.arch.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("C_2", "transformer"),
            ("C_2", "linear_rnn neg-eig"),
            ("A_5", "lstm")
        ]
    );
    let tf = &rows[0];
    assert_eq!(tf.seeds, 2);
    // means over the two seeds, and the best seed
    assert_eq!(tf.last.len(), 2);
    let (f2, m2, b2) = tf.last[0];
    let (f4, m4, b4) = tf.last[1];
    assert_eq!((f2, f4), (2, 4));
    assert!((m2 - 0.53).abs() < 1e-12 && b2 == 0.56);
    assert!((m4 - 0.50).abs() < 1e-12 && b4 == 0.52);
    assert!((tf.past[0].1 - 0.59).abs() < 1e-12);
    assert_eq!(tf.p1.len(), 1);
    assert!((tf.p1[0].1 - 0.75).abs() < 1e-12);
    // Delétang's 52.0% and Grazzi's 0.022 for a Transformer; Grazzi's 1.000 for
    // the linear RNN with negative eigenvalues; no anchors off parity.
    let vals = |i: usize| -> Vec<f64> { rows[i].anchors.iter().map(|a| a.value).collect() };
    assert_eq!(vals(0), vec![0.520, 0.022]);
    assert_eq!(vals(1), vec![1.0]);
    assert!(rows[2].anchors.is_empty());
    // The MLP ran only at T.
    assert_eq!(cannot_run_longer(&groups, &rows), vec!["mlp".to_string()]);

    // Grazzi's scale on parity: 2·acc − 1; 0.50 → 0.000, 0.99 → 0.980.
    assert_eq!(scaled_accuracy(0.5, 2), 0.0);
    let text = length_text(&rows, &cannot_run_longer(&groups, &rows));
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start} line in\n{text}"))
            .to_string()
    };
    let tf_line = line("C_2   transformer");
    assert!(tf_line.contains("53.0 [56.0]"), "{tf_line}");
    assert!(tf_line.contains("50.0 [52.0]"), "{tf_line}");
    assert!(tf_line.contains(" 0.000 "), "{tf_line}");
    let rnn_line = line("C_2   linear_rnn neg-eig");
    assert!(rnn_line.contains(" 0.980 "), "{rnn_line}");
    assert!(rnn_line.contains("1.000 scaled"), "{rnn_line}");
    assert!(line("A_5").contains(" - "), "no scaled figure off parity");
    assert!(text.contains("Cannot run past T"), "{text}");
    // p1 table: the Transformer's 75.0 at p1 = 0.05.
    assert!(text.contains("p1=0.05"), "{text}");
    assert!(line("transformer  ").contains("75.0"), "{text}");
}
