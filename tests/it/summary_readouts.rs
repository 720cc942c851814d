//! `summarize` end to end with the issue-12 readouts: the printed summary
//! carries the rank agreement with Table 1 as a number, depth against length,
//! and length generalization beside the anchors; `summary.json` carries the
//! same rows, and the longest prefixes match `evaluate`'s per-position files
//! read back by hand.

use crate::common::Work;
use serde_json::Value;

const PIPELINE: &str = r#"
name: mini
stages:
  data:
    kind: automaton
    matrix: { task: [parity, dihedral, alternating] }
    params: { length: 6, fresh: true, test_size: 32, seed: 1 }
  train:
    kind: train
    needs: [data]
    matrix:
      model: [transformer, lstm]
      layers: [1, 2]
    where: 'model == "transformer" || layers == 1'
    params: { width: 8, heads: 2, pos: none, bos: true, steps: 6, batch_size: 8, lr: 0.01, warmup_steps: 2 }
  evaluate:
    kind: evaluate
    needs: [data, train]
  lengthgen:
    kind: length_generalize
    needs: [data, train]
    params: { factors: [1, 2], p1_values: [0.25], test_size: 16 }
  summary:
    kind: summarize
    gather: [data, train, evaluate, lengthgen]
"#;

fn longest_prefix(curve: &[Value]) -> u64 {
    curve
        .iter()
        .take_while(|a| a.as_f64().is_some_and(|a| a >= 0.9))
        .count() as u64
}

#[test]
fn the_summary_prints_and_records_the_new_readouts() {
    let w = Work::new();
    w.write("mini.yaml", PIPELINE);
    let run = w.run("mini.yaml", &[]).ok();
    let text = w.output("summary", "summary.txt");
    assert!(run.stdout.contains("Spearman rank correlation"), "{text}");
    // Three tasks of Table 1 were run: one ρ per threshold and seed statistic,
    // each a number or "undefined" (a constant side).
    let rho_lines: Vec<&str> = text.lines().filter(|l| l.contains("rho = ")).collect();
    assert_eq!(rho_lines.len(), 4, "{text}");
    for l in &rho_lines {
        let v = l.split("rho = ").nth(1).unwrap().split(' ').next().unwrap();
        assert!(v == "undefined" || v.parse::<f64>().is_ok(), "{l}");
        assert!(l.contains("over 3 tasks"), "{l}");
    }
    assert!(text.contains("Depth against length"), "{text}");
    assert!(text.contains("Past the training length T"), "{text}");
    assert!(text.contains("Parity at T under shifted inputs"), "{text}");

    let summary: Value = serde_json::from_str(&w.output("summary", "summary.json")).unwrap();
    assert_eq!(summary["paper_agreement"].as_array().unwrap().len(), 4);
    let rows = summary["depth_against_length"]["rows"].as_array().unwrap();
    // 3 tasks × (2 Transformer depths + 1 LSTM), one seed each.
    assert_eq!(rows.len(), 9, "{rows:?}");
    for r in rows {
        let task = match r["task"].as_str().unwrap() {
            "C_2" => "parity",
            "D_8" => "dihedral",
            "A_5" => "alternating",
            other => panic!("{other}"),
        };
        let model = r["arch"].as_str().unwrap();
        let layers = r["depth"].as_u64().unwrap();
        let curve: Value = serde_json::from_str(&w.output(
            &format!("evaluate[task={task},model={model},layers={layers}]"),
            "acc_by_position.json",
        ))
        .unwrap();
        let want = longest_prefix(curve.as_array().unwrap());
        assert_eq!(r["best"].as_u64(), Some(want), "{r}");
        assert_eq!(r["length"].as_u64(), Some(6));
    }
    let lg = summary["length_generalization"]["rows"].as_array().unwrap();
    // every model here runs past T (no learned positions, no MLP)
    assert_eq!(lg.len(), 9);
    assert!(summary["length_generalization"]["cannot_run_longer"]
        .as_array()
        .unwrap()
        .is_empty());
}
