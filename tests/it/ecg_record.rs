//! The raw-ECG path end to end on a synthetic record the test writes: beats
//! found and drawn, next-window regression scored against persistence.

use crate::common::{counts, Work};
use seqlab::datasets::ecg::npz::{write_npz, NpyArray, NpyData};
use seqlab::datasets::ecg::synthetic::{synthetic_ecg, SyntheticEcgConfig};

const PIPELINE: &str = r#"
name: ecg-record-mini
stages:
  record:
    kind: fetch
    params:
      source: { kind: local, path: data/ecg.npz, blake3: PIN, instructions: "write data/ecg.npz" }
  data:
    kind: ecg_record
    needs: [record]
    params: { window: 32, horizon: 4, stride: 8, train_fraction: 0.75, bins: 16 }
  train:
    kind: train
    needs: [data]
    params: { model: gru, width: 16, steps: 40, batch_size: 16, lr: 0.01, warmup_steps: 4, eval_every: 20 }
  evaluate:
    kind: evaluate
    needs: [data, train]
  report:
    kind: report
    gather: [data, train, evaluate]
"#;

#[test]
fn a_record_gives_beats_and_a_next_window_forecast_scored_against_persistence() {
    let w = Work::new();
    let ecg = synthetic_ecg(&SyntheticEcgConfig {
        duration_s: 40.0,
        ..Default::default()
    });
    let arr = NpyArray {
        shape: vec![ecg.signal.len()],
        data: NpyData::F64(ecg.signal.clone()),
    };
    let bytes = write_npz(&[("ecg", &arr)]);
    std::fs::create_dir_all(w.join("data")).unwrap();
    std::fs::write(w.join("data/ecg.npz"), &bytes).unwrap();
    let pin = blake3::hash(&bytes).to_hex().to_string();
    w.write("p.yaml", &PIPELINE.replace("PIN", &pin));
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(5, 0, 0, 0));

    let task: serde_json::Value = serde_json::from_str(&w.output("data", "task.json")).unwrap();
    let beats = task["beats"].as_u64().unwrap() as usize;
    let peaks = ecg.r_peaks.len();
    assert!(
        beats + 1 >= peaks && beats <= peaks,
        "{beats} beats, {peaks} R peaks"
    );
    assert_eq!(
        (task["horizon"].as_u64(), task["n_states"].as_u64()),
        (Some(4), Some(4))
    );

    // Scored on the last position of each test window: the same positions
    // persistence was scored on, so the skill is comparable.
    let m = &w.show("evaluate")["metrics"];
    let (rmse, pers) = (
        m["rmse"].as_f64().unwrap(),
        m["persistence_rmse"].as_f64().unwrap(),
    );
    assert_eq!(pers, task["persistence_rmse"].as_f64().unwrap());
    assert_eq!(m["n_positions"], task["test_windows"], "{m}");
    assert!((m["skill_vs_persistence"].as_f64().unwrap() - (1.0 - rmse / pers)).abs() < 1e-12);
    assert!(rmse.is_finite() && rmse > 0.0 && pers > 0.0, "{m}");
    let r: serde_json::Value =
        serde_json::from_str(&w.output("evaluate", "regression.json")).unwrap();
    assert_eq!(r["rmse_by_step"].as_array().unwrap().len(), 4);
    // Persistence gets worse with every step ahead on a signal with beats.
    let p: Vec<f64> = r["persistence_rmse_by_step"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(p.windows(2).all(|s| s[0] < s[1]), "{p:?}");

    let html = std::fs::read_to_string(w.join("reports/ecg-record-mini/index.html")).unwrap();
    assert!(html.contains("Detected beats"), "no beats figure");
    assert!(
        html.contains("Forecast error by step ahead"),
        "no error-by-step figure"
    );
}
