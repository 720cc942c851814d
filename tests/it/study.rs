//! The study through the engine, with tiny models and few steps: length
//! generalization (with "not applicable" for fixed-length models), timing,
//! seeds aggregated by `summarize`, `compare`, the published report, and the
//! rerun rules the study relies on (a new depth runs only its cells; a second
//! run executes nothing; a report-only edit re-renders only the report).

use std::time::Instant;

use crate::common::{counts, Work};

const PIPELINE: &str = r#"
name: mini
stages:
  data:
    kind: automaton
    matrix: { task: [parity, flipflop] }
    params: { length: 8, train_size: 256, test_size: 64, seed: 1 }
  train:
    kind: train
    needs: [data]
    matrix:
      model: [transformer, lstm, mlp]
      layers: [1, 2]
      seed: [0, 1]
    where: 'model == "transformer" || layers == 1'
    params: { width: 16, heads: 2, pos: rope, steps: 30, batch_size: 16, lr: 0.01, warmup_steps: 5, eval_every: 10 }
  evaluate:
    kind: evaluate
    needs: [data, train]
  lengthgen:
    kind: length_generalize
    needs: [data, train]
    params: { factors: [1, 2], p1_values: [0.1, 0.9], test_size: 32 }
  timing:
    kind: timing
    matrix: { model: [transformer, lstm] }
    params: { layers: 1, width: 8, lengths: [8, 16], batch_size: 2, repeats: 1 }
  explain:
    kind: explain
    needs: [data, train]
    where: 'seed == 0 && layers == 1'
    params: { n_examples: 2, ig_steps: 8, probe_sequences: 32 }
  summary:
    kind: summarize
    gather: [data, train, evaluate, lengthgen, timing]
  report:
    kind: report
    gather: [data, train, evaluate, lengthgen, timing, explain]
"#;

/// Instances: 2 data + 2×(2 transformer + 1 lstm + 1 mlp)×2 seeds = 16 train,
/// 16 evaluate, 16 lengthgen, 2 timing, 2×3 explain, summary, report.
const INSTANCES: usize = 2 + 16 * 3 + 2 + 6 + 2;

#[test]
fn the_study_runs_summarizes_reports_and_reruns_only_what_changed() {
    let w = Work::new();
    w.write("mini.yaml", PIPELINE);
    let first = w.run("mini.yaml", &[]).ok();
    assert_eq!(
        first.summary(),
        counts(INSTANCES, 0, 0, 0),
        "{}",
        first.text()
    );

    // The summary is printed at the end of the run and aggregates 2 seeds.
    assert!(first.stdout.contains("== summary =="), "{}", first.text());
    let results = w.output("summary", "results.csv");
    let row = results
        .lines()
        .find(|l| l.starts_with("C_2,lstm,1,2,acc,"))
        .unwrap_or_else(|| panic!("no 2-seed LSTM row:\n{results}"));
    let f: Vec<f64> = row
        .split(',')
        .skip(5)
        .take(5)
        .map(|x| x.parse().unwrap())
        .collect();
    let (mean, min, max, lo, hi) = (f[0], f[1], f[2], f[3], f[4]);
    assert!(
        min <= mean && mean <= max && lo <= mean && mean <= hi,
        "{row}"
    );
    let a: f64 = w.show("evaluate[task=parity,model=lstm,layers=1,seed=0]")["metrics"]["acc"]
        .as_f64()
        .unwrap();
    let b: f64 = w.show("evaluate[task=parity,model=lstm,layers=1,seed=1]")["metrics"]["acc"]
        .as_f64()
        .unwrap();
    assert!(
        (mean - (a + b) / 2.0).abs() < 1e-12 && min == a.min(b) && max == a.max(b),
        "{row} vs {a} {b}"
    );
    let min_depth = w.output("summary", "min_depth.csv");
    assert!(min_depth.contains("C_2,transformer,0.99,"), "{min_depth}");

    // Length generalization: the MLP cannot run at 2T and says why; the
    // rope Transformer runs; parity gets p1 curves, flip-flop does not.
    let mlp = w.output(
        "lengthgen[task=parity,model=mlp,layers=1,seed=0]",
        "length_generalization.json",
    );
    let mlp: serde_json::Value = serde_json::from_str(&mlp).unwrap();
    assert_eq!(mlp["by_length"][1]["length"], 16);
    assert!(
        mlp["by_length"][1]["not_applicable"]
            .as_str()
            .unwrap()
            .contains("MLP"),
        "{mlp}"
    );
    assert!(mlp["by_length"][0]["acc"].as_f64().is_some());
    let tf: serde_json::Value = serde_json::from_str(&w.output(
        "lengthgen[task=parity,model=transformer,layers=2,seed=0]",
        "length_generalization.json",
    ))
    .unwrap();
    assert!(tf["by_length"][1]["acc"].as_f64().is_some(), "{tf}");
    assert_eq!(tf["by_p1"].as_array().unwrap().len(), 2);
    let ff: serde_json::Value = serde_json::from_str(&w.output(
        "lengthgen[task=flipflop,model=lstm,layers=1,seed=0]",
        "length_generalization.json",
    ))
    .unwrap();
    assert!(ff["by_p1"].as_array().unwrap().is_empty() && ff["p1_not_applicable"].is_string());

    // Timing: one point per length, and a fitted exponent.
    let timing: serde_json::Value =
        serde_json::from_str(&w.output("timing[model=lstm]", "timing.json")).unwrap();
    assert_eq!(timing["points"].as_array().unwrap().len(), 2);
    assert!(timing["train_exponent"].as_f64().is_some(), "{timing}");

    // The report is published with every section.
    let page =
        std::fs::read_to_string(w.join("reports/mini/index.html")).expect("published report");
    assert!(
        first.stdout.contains("report: reports/mini/index.html"),
        "{}",
        first.text()
    );
    for heading in [
        "How many layers",
        "Where do RNNs win",
        "sequence length",
        "MLP",
        "What do the models look at",
        "Real data",
        "Provenance",
    ] {
        assert!(page.contains(heading), "report lacks {heading:?}");
    }
    assert!(
        page.contains("train[task=parity,model=lstm,layers=1,seed=0]"),
        "provenance lists the trainings"
    );
    assert!(w.join("reports/mini/report.md").is_file());

    // The page as a browser shows it: no console errors, every figure drawn.
    if let Some(_chromium) =
        seqlab_test_support::browser::require_chromium().unwrap_or_else(|e| panic!("{e:#}"))
    {
        let check =
            seqlab_test_support::browser::check_in_browser(&w.join("reports/mini/index.html"))
                .unwrap();
        assert!(
            check.console_errors.is_empty(),
            "{:?}",
            check.console_errors
        );
        assert!(
            check.console_messages.is_empty(),
            "{:?}",
            check.console_messages
        );
        let figures = page.matches("<figure id=").count();
        assert!(figures >= 8, "only {figures} figures");
        assert_eq!(
            check.figures_with_svg.len(),
            figures,
            "figures without an svg"
        );
        let keep = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/study-report-screenshot.png");
        std::fs::copy(&check.screenshot, &keep).unwrap();
        println!("screenshot: {}", keep.display());
    }

    // A second run executes nothing, quickly, and republishes the report.
    std::fs::remove_dir_all(w.join("reports")).unwrap();
    let t0 = Instant::now();
    let again = w.run("mini.yaml", &[]).ok();
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(again.summary(), counts(0, INSTANCES, 0, 0));
    assert!(secs < 2.0, "a fully cached run took {secs:.2}s");
    assert!(w.join("reports/mini/index.html").is_file());

    // A new depth runs only its cells and what depends on them: per task and
    // seed one train, evaluate and lengthgen (2×2×3 = 12), no explain (layers
    // 3 is filtered out), then summary and report.
    let deeper = w
        .run("mini.yaml", &["--set", "train.matrix.layers=[1,2,3]"])
        .ok();
    assert_eq!(
        deeper.summary(),
        counts(12 + 2, INSTANCES - 2, 0, 0),
        "{}",
        deeper.text()
    );

    // Only the report's params changed: only the report re-renders.
    let retitled = w
        .run(
            "mini.yaml",
            &[
                "--set",
                "train.matrix.layers=[1,2,3]",
                "--set",
                "report.params.title=Renamed",
            ],
        )
        .ok();
    assert_eq!(
        retitled.summary(),
        counts(1, INSTANCES + 11, 0, 0),
        "{}",
        retitled.text()
    );
    assert!(std::fs::read_to_string(w.join("reports/mini/index.html"))
        .unwrap()
        .contains("Renamed"));

    // compare: one row per evaluate instance with its metrics, also as CSV.
    let cmp = w
        .seqlab(&[
            "compare",
            "mini.yaml",
            "--stage",
            "evaluate",
            "--csv",
            "cmp.csv",
        ])
        .ok();
    assert!(cmp.stdout.contains("seq_acc"), "{}", cmp.text());
    let csv = std::fs::read_to_string(w.join("cmp.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 16, "{csv}");
    assert!(csv.lines().next().unwrap().contains("acc"));

    // Length generalization is deterministic: re-execution gives the same bits.
    let v = w
        .seqlab(&[
            "verify",
            "--rerun",
            "lengthgen[task=parity,model=transformer,layers=1,seed=1]",
            "mini.yaml",
        ])
        .ok();
    assert!(v.stdout.contains("bit-identical"), "{}", v.text());
}

#[test]
fn compare_between_two_runs_shows_the_change() {
    let w = Work::new();
    w.write(
        "p.yaml",
        r#"
name: two
stages:
  data:
    kind: automaton
    params: { task: parity, length: 8, train_size: 128, test_size: 32, seed: 1 }
  train:
    kind: train
    needs: [data]
    params: { model: lstm, width: 8, steps: 5, batch_size: 8, eval_every: 5 }
  evaluate:
    kind: evaluate
    needs: [data, train]
"#,
    );
    w.run("p.yaml", &[]).ok();
    w.run("p.yaml", &["--set", "train.params.steps=25"]).ok();
    let log = w.seqlab(&["log", "--format", "json"]).ok().json();
    let mut runs: Vec<i64> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["run_id"].as_i64())
        .collect();
    runs.sort();
    runs.dedup();
    assert_eq!(runs.len(), 2, "{log:#}");
    let (a, b) = (runs[0].to_string(), runs[1].to_string());
    let out = w
        .seqlab(&["compare", "p.yaml", "--run", &a, "--run", &b])
        .ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("train") && l.contains("steps_run"))
        .unwrap_or_else(|| panic!("{}", out.text()));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[2..5], &["5", "25", "+20.0000"], "{line}");
}

#[test]
fn timing_instances_run_alone() {
    let w = Work::new();
    w.write(
        "t.yaml",
        r#"
name: alone
stages:
  data:
    kind: automaton
    matrix: { seed: [1, 2, 3] }
    params: { task: parity, length: 8, train_size: 64, test_size: 16 }
  train:
    kind: train
    needs: [data]
    params: { model: lstm, width: 8, steps: 40, batch_size: 8, eval_every: 10 }
  timing:
    kind: timing
    matrix: { model: [lstm, gru, transformer] }
    params: { layers: 1, width: 8, lengths: [8, 32], batch_size: 2, repeats: 2 }
"#,
    );
    w.run("t.yaml", &["--jobs", "2"]).ok();
    let log = w.seqlab(&["log", "--format", "json"]).ok().json();
    let spans: Vec<(String, f64, f64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["instance"].as_str().unwrap().to_string(),
                e["started"].as_f64().unwrap(),
                e["ended"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(spans.len(), 9, "{log:#}");
    for (name, s, e) in spans.iter().filter(|(n, _, _)| n.starts_with("timing")) {
        for (other, s2, e2) in spans.iter().filter(|(n, _, _)| n != name) {
            assert!(
                e2 <= s || s2 >= e,
                "{other} [{s2}, {e2}] overlaps {name} [{s}, {e}]"
            );
        }
    }
}
