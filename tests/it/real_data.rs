//! Real-data stages on files the tests write: `fetch` (pinned local files),
//! `prices` (OHLCV → return windows) and `forecast` (scored against the
//! persistence baselines). No download happens here.

use crate::common::{counts, Work};

/// A Yahoo-layout CSV of `n` days of a deterministic random walk, and its
/// closing prices.
fn yahoo_csv(n: usize) -> (String, Vec<f64>) {
    let mut s = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    let mut x: u64 = 7;
    let mut p = 100.0f64;
    let mut closes = Vec::new();
    for d in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        p *= (0.02 * u).exp();
        let date = format!("2001-{:02}-{:02}", 1 + d / 28, 1 + d % 28);
        s.push_str(&format!("{date},{p:.6},{p:.6},{p:.6},{p:.6},{p:.6},1000\n"));
        closes.push(format!("{p:.6}").parse().unwrap());
    }
    (s, closes)
}

fn pipeline(pin: &str) -> String {
    format!(
        r#"
name: stocks-mini
stages:
  csv:
    kind: fetch
    params:
      source: {{ kind: local, path: data/prices.csv, blake3: {pin}, instructions: "write data/prices.csv" }}
  data:
    kind: prices
    needs: [csv]
    params: {{ ticker: TEST, window: 10, train_fraction: 0.8, bins: 8, clip: 3.0 }}
  train:
    kind: train
    needs: [data]
    params: {{ model: lstm, width: 8, steps: 20, batch_size: 16, eval_every: 10 }}
  forecast:
    kind: forecast
    needs: [data, train]
  report:
    kind: report
    gather: [data, train, forecast]
"#
    )
}

#[test]
fn prices_forecast_and_baselines_from_a_pinned_local_file() {
    let w = Work::new();
    let (csv, closes) = yahoo_csv(201);
    w.write("data/prices.csv", &csv);
    let pin = blake3::hash(csv.as_bytes()).to_hex().to_string();
    w.write("p.yaml", &pipeline(&pin));
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(5, 0, 0, 0));
    let page = std::fs::read_to_string(w.join("reports/stocks-mini/index.html")).unwrap();
    assert!(
        page.contains("TEST daily returns") && page.contains("skill vs last value"),
        "the real-data section is in the report"
    );

    // 200 returns, cut at 160: 40 test windows; the persistence RMSE is the
    // RMSE of r_t - r_{t-1} over the test days, computed here by hand.
    let r: Vec<f64> = closes.windows(2).map(|p| (p[1] / p[0]).ln()).collect();
    let cut = 160;
    let se: f64 = (cut..r.len()).map(|t| (r[t] - r[t - 1]).powi(2)).sum();
    let by_hand = (se / (r.len() - cut) as f64).sqrt();
    let m = &w.show("forecast")["metrics"];
    assert_eq!(m["n_forecasts"], 40, "{m}");
    let got = m["persistence_rmse"].as_f64().unwrap();
    // the file stores returns as f32
    assert!(
        (got - by_hand).abs() < 1e-6 * by_hand.max(1e-3) + 1e-7,
        "{got} vs {by_hand}"
    );
    let zero: f64 = ((cut..r.len()).map(|t| r[t] * r[t]).sum::<f64>() / 40.0).sqrt();
    assert!(
        (m["zero_rmse"].as_f64().unwrap() - zero).abs() < 1e-6,
        "{m}"
    );
    assert!(m["rmse"].as_f64().unwrap().is_finite());

    // The data set: 150 training windows of 10 tokens in 0..8.
    let task: serde_json::Value = serde_json::from_str(&w.output("data", "task.json")).unwrap();
    assert_eq!(
        (
            task["train_windows"].as_u64(),
            task["test_windows"].as_u64()
        ),
        (Some(150), Some(40))
    );
    assert_eq!(task["n_states"], 8);
}

#[test]
fn a_wrong_pin_fails_and_caches_nothing() {
    let w = Work::new();
    let (csv, _) = yahoo_csv(50);
    w.write("data/prices.csv", &csv);
    let wrong = "0".repeat(64);
    w.write("p.yaml", &pipeline(&wrong));
    let r = w.run("p.yaml", &[]);
    assert_ne!(r.code, 0);
    let actual = blake3::hash(csv.as_bytes()).to_hex().to_string();
    assert!(
        r.text().contains(&wrong) && r.text().contains(&actual),
        "{}",
        r.text()
    );
    let st = w.status("p.yaml", &[]);
    assert!(st.iter().all(|s| s.state == "never-run"), "{st:?}");
}

#[test]
fn a_missing_local_file_says_how_to_get_it() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(&"ab".repeat(32)));
    let r = w.run("p.yaml", &[]);
    assert_ne!(r.code, 0);
    assert!(r.text().contains("write data/prices.csv"), "{}", r.text());
}

/// A Kaggle-shaped heartbeat CSV: no header, 187 samples then the label.
/// Class c's beats peak at sample 20 + 30c, so the class is learnable.
fn heartbeat_csv(n_per_class: usize, classes: usize, seed: u64) -> String {
    let mut s = String::new();
    let mut x = seed;
    for i in 0..n_per_class * classes {
        let c = i % classes;
        let mut row = Vec::with_capacity(188);
        for t in 0..187 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((x >> 40) as f64 / (1u64 << 24) as f64) * 0.05;
            let peak = (-((t as f64 - (20 + 30 * c) as f64).powi(2)) / 20.0).exp();
            row.push(format!("{:.18e}", (0.2 + 0.7 * peak + noise).min(1.0)));
        }
        row.push(format!("{:.18e}", c as f64));
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

const ECG: &str = r#"
name: ecg-mini
stages:
  data:
    kind: heartbeats
    params: { dataset: mitbih, dir: data/heartbeat, bins: 16, crop: 120 }
  train:
    kind: train
    needs: [data]
    params: { model: lstm, width: 16, steps: 60, batch_size: 32, lr: 0.01, warmup_steps: 5, eval_every: 20 }
  evaluate:
    kind: evaluate
    needs: [data, train]
  lengthgen:
    kind: length_generalize
    needs: [data, train]
    params: { factors: [1, 2, 4] }
"#;

#[test]
fn ecg_pipeline_runs_on_a_kaggle_shaped_file_and_names_the_steps_when_it_is_missing() {
    let w = Work::new();
    w.write("ecg.yaml", ECG);
    // Missing files: the run fails with the Kaggle download steps.
    let r = w.run("ecg.yaml", &[]);
    assert_ne!(r.code, 0);
    assert!(
        r.text()
            .contains("kaggle datasets download -d shayanfazeli/heartbeat"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("mitbih_train.csv"), "{}", r.text());

    w.write("data/heartbeat/mitbih_train.csv", &heartbeat_csv(40, 5, 1));
    w.write("data/heartbeat/mitbih_test.csv", &heartbeat_csv(10, 5, 2));
    assert_eq!(w.run("ecg.yaml", &[]).ok().summary(), counts(4, 0, 0, 0));
    let task: serde_json::Value = serde_json::from_str(&w.output("data", "task.json")).unwrap();
    assert_eq!(
        task["train_class_counts"],
        serde_json::json!([40, 40, 40, 40, 40])
    );
    assert_eq!(
        (task["train_length"].as_u64(), task["length"].as_u64()),
        (Some(120), Some(187))
    );
    // Trained on 120-sample crops, scored on whole beats, one label each.
    let m = &w.show("evaluate")["metrics"];
    assert_eq!(m["n_positions"], 50, "{m}");
    let f1 = m["macro_f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&f1), "{m}");
    let cls: serde_json::Value =
        serde_json::from_str(&w.output("evaluate", "classification.json")).unwrap();
    let total: u64 = cls["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 50);
    // Length view: the test beats cropped to the training length, then whole
    // (where the curve stops: x4 would be the same whole beats); whole beats
    // score exactly what `evaluate` scored.
    let lg: serde_json::Value =
        serde_json::from_str(&w.output("lengthgen", "length_generalization.json")).unwrap();
    let by = lg["by_length"].as_array().unwrap();
    let lengths: Vec<u64> = by.iter().map(|p| p["length"].as_u64().unwrap()).collect();
    assert_eq!(lengths, vec![120, 187], "{lg}");
    assert_eq!(by[1]["whole"], true);
    assert_eq!(by[1]["acc"].as_f64(), m["acc"].as_f64(), "{lg}");
    assert!((0.0..=1.0).contains(&by[0]["acc"].as_f64().unwrap()));

    // The files are in the key: an unchanged file reruns nothing, an edited
    // one reruns the data stage (and, as its artifact changed, the rest).
    assert_eq!(w.run("ecg.yaml", &[]).ok().summary(), counts(0, 4, 0, 0));
    w.write("data/heartbeat/mitbih_test.csv", &heartbeat_csv(10, 5, 3));
    assert_eq!(w.run("ecg.yaml", &[]).ok().summary(), counts(4, 0, 0, 0));
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect()
}

fn stockholm(acc: &str, seqs: &[(&str, &str)]) -> String {
    let mut s = format!("# STOCKHOLM 1.0\n#=GF ID {acc}\n#=GF AC {acc}.1\n");
    for (name, seq) in seqs {
        s.push_str(&format!("{name} {seq}\n"));
    }
    s.push_str("//\n");
    s
}

#[test]
fn pfam_families_from_stockholm_files_crop_training_and_label_the_last_residue() {
    let w = Work::new();
    let a: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                format!("A{i}/1-12"),
                format!(
                    "MKV..LLA-{}{}GGA",
                    "W".repeat(i % 3 + 1),
                    "-".repeat(2 - i % 3)
                ),
            )
        })
        .collect();
    let b: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                format!("B{i}/1-12"),
                format!(
                    "PPDE-EKK..{}{}RRT",
                    "C".repeat(i % 4 + 1),
                    "-".repeat(3 - i % 4)
                ),
            )
        })
        .collect();
    let fa = stockholm("PF90001", &refs(&a));
    let fb = stockholm("PF90002", &refs(&b));
    w.write("sto/a.sto", &fa);
    w.write("sto/b.sto", &fb);
    let pin = |t: &str| blake3::hash(t.as_bytes()).to_hex().to_string();
    w.write(
        "p.yaml",
        &format!(
            r#"
name: pfam-mini
stages:
  fam_a:
    kind: fetch
    params: {{ source: {{ kind: local, path: sto/a.sto, blake3: {}, instructions: "-" }} }}
  fam_b:
    kind: fetch
    params: {{ source: {{ kind: local, path: sto/b.sto, blake3: {}, instructions: "-" }} }}
  data:
    kind: pfam
    needs: [fam_a, fam_b]
    params: {{ train_fraction: 0.6, crop: 5, max_len: 64, seed: 1 }}
  train:
    kind: train
    needs: [data]
    params: {{ model: lstm, width: 8, steps: 30, batch_size: 8, eval_every: 10 }}
  evaluate:
    kind: evaluate
    needs: [data, train]
"#,
            pin(&fa),
            pin(&fb)
        ),
    );
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(5, 0, 0, 0));
    let task: serde_json::Value = serde_json::from_str(&w.output("data", "task.json")).unwrap();
    assert_eq!(
        task["class_names"],
        serde_json::json!(["PF90001.1", "PF90002.1"])
    );
    // 6 of 10 per family train, cropped to 5 residues; tests keep whole
    // sequences (gaps stripped: 10 to 12 and 11 to 14 residues).
    assert_eq!(task["train_length"], 5);
    let len = task["length"].as_u64().unwrap();
    assert!((10..=14).contains(&len), "{task}");
    let m = &w.show("evaluate")["metrics"];
    assert_eq!(m["n_positions"], 8, "one label per test sequence: {m}");
    assert_eq!(m["majority_acc"], 0.5, "{m}");
    assert!(m["macro_f1"].as_f64().is_some());
}
