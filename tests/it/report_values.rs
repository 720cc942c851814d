//! What the report is built from, value by value, on a small real run: the
//! report input's seed-averaged curves, results, minimum-depth rows,
//! depth-against-length rows, training seconds and cost models, each
//! recomputed here from the run's own artifacts (`seqlab show`, the cached
//! output files), not from the report code.

use serde_json::Value;

use crate::common::{counts, Work};
use crate::report_post::{data_marks, svgs};

const PIPELINE: &str = r#"
name: values
stages:
  data:
    kind: automaton
    matrix: { task: [flipflop] }
    params: { length: 8, train_size: 256, test_size: 64, seed: 1 }
  train:
    kind: train
    needs: [data]
    matrix:
      model: [transformer, lstm]
      layers: [1, 2]
      seed: [0, 1]
    where: 'model == "transformer" || layers == 1'
    params: { width: 16, heads: 2, pos: rope, steps: 25, batch_size: 16, lr: 0.01, warmup_steps: 5, eval_every: 10 }
  evaluate:
    kind: evaluate
    needs: [data, train]
  lengthgen:
    kind: length_generalize
    needs: [data, train]
    params: { factors: [1, 2], p1_values: [0.5], test_size: 32 }
  timing:
    kind: timing
    matrix: { model: [transformer, lstm] }
    params: { layers: 1, width: 8, lengths: [8, 16], batch_size: 2, repeats: 1 }
  report:
    kind: report
    gather: [data, train, evaluate, lengthgen, timing]
"#;

/// (model, layers) of the trained groups; each has seeds 0 and 1.
const GROUPS: [(&str, u32); 3] = [("transformer", 1), ("transformer", 2), ("lstm", 1)];

fn inst(stage: &str, model: &str, layers: u32, seed: u32) -> String {
    format!("{stage}[task=flipflop,model={model},layers={layers},seed={seed}]")
}

/// How the report labels a group's model.
fn label(model: &str, layers: u32) -> String {
    if model == "transformer" {
        format!("transformer L={layers}")
    } else {
        model.to_string()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// Mean over seeds of (x, y) series, at each x.
fn mean_series(series: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut xs: Vec<f64> = series.iter().flatten().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs.into_iter()
        .map(|x| {
            let ys: Vec<f64> = series
                .iter()
                .filter_map(|s| s.iter().find(|p| p.0 == x).map(|p| p.1))
                .collect();
            (x, ys.iter().sum::<f64>() / ys.len() as f64)
        })
        .collect()
}

fn points(v: &Value) -> Vec<(f64, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

fn assert_points(what: &str, got: &Value, want: &[(f64, f64)]) {
    let got = points(got);
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            close(g.0, w.0) && close(g.1, w.1),
            "{what}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn the_report_input_matches_values_recomputed_from_the_run() {
    let w = Work::new();
    w.write("values.yaml", PIPELINE);
    let run = w.run("values.yaml", &[]).ok();
    // data, 6 train, 6 evaluate, 6 lengthgen, 2 timing, report
    assert_eq!(run.summary(), counts(22, 0, 0, 0), "{}", run.text());
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("reports/values/report_input.json")).unwrap(),
    )
    .unwrap();
    let results = input["results"].as_array().unwrap();
    let find = |key: &str, field: &str, value: &str| -> Value {
        input[key]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[field] == value)
            .cloned()
            .unwrap_or_else(|| panic!("no {key} row with {field} = {value}"))
    };

    // Per group: accuracy over seeds, training seconds, curves.
    let mut best_by_depth: Vec<(u32, f64, f64)> = Vec::new();
    for (model, layers) in GROUPS {
        let seeds = [0, 1];
        let acc: Vec<f64> = seeds
            .iter()
            .map(|&s| {
                w.show(&inst("evaluate", model, layers, s))["metrics"]["acc"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        let secs: Vec<f64> = seeds
            .iter()
            .map(|&s| {
                w.show(&inst("train", model, layers, s))["duration"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        let name = label(model, layers);
        let row = results
            .iter()
            .find(|r| r["model"] == name.as_str())
            .unwrap_or_else(|| panic!("no result row {name}"));
        let mean = (acc[0] + acc[1]) / 2.0;
        assert!(
            close(row["acc_mean"].as_f64().unwrap(), mean),
            "{name}: {row}"
        );
        assert!(close(row["acc_min"].as_f64().unwrap(), acc[0].min(acc[1])));
        assert!(close(row["acc_max"].as_f64().unwrap(), acc[0].max(acc[1])));
        assert_eq!(row["n_seeds"], 2);
        assert_eq!(row["length"], 8);
        assert!(
            close(
                row["train_seconds"].as_f64().unwrap(),
                (secs[0] + secs[1]) / 2.0
            ),
            "{name}: {} vs {secs:?}",
            row["train_seconds"]
        );
        if model == "transformer" {
            best_by_depth.push((layers, acc[0].max(acc[1]), mean));
        }

        // the training curve: the mean over seeds at each logged step
        let curves: Vec<Vec<(f64, f64)>> = seeds
            .iter()
            .map(|&s| {
                let c: Value =
                    serde_json::from_str(&w.output(&inst("train", model, layers, s), "curve.json"))
                        .unwrap();
                c["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p["step"].as_f64().unwrap() + 1.0,
                            p["acc"].as_f64().unwrap(),
                        )
                    })
                    .collect()
            })
            .collect();
        let tc = find("training_curves", "label", &name);
        assert_points(
            &format!("{name} training curve"),
            &tc["points"],
            &mean_series(&curves),
        );

        // the length curve: the mean over seeds at each test length
        let lengths: Vec<Vec<(f64, f64)>> = seeds
            .iter()
            .map(|&s| {
                let lg: Value = serde_json::from_str(&w.output(
                    &inst("lengthgen", model, layers, s),
                    "length_generalization.json",
                ))
                .unwrap();
                lg["by_length"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|p| Some((p["length"].as_f64()?, p["acc"].as_f64()?)))
                    .collect()
            })
            .collect();
        let lc = find("length_curves", "label", &name);
        assert_points(
            &format!("{name} length curve"),
            &lc["points"],
            &mean_series(&lengths),
        );

        // depth against length: the best seed's longest prefix with
        // per-position accuracy >= 90%
        let prefixes: Vec<usize> = seeds
            .iter()
            .map(|&s| {
                let by_pos: Vec<f64> = serde_json::from_str::<Vec<Option<f64>>>(
                    &w.output(&inst("evaluate", model, layers, s), "acc_by_position.json"),
                )
                .unwrap()
                .into_iter()
                .map(|a| a.unwrap_or(f64::NAN))
                .collect();
                let mut n = 0;
                while n < by_pos.len() && by_pos[n] >= 0.9 {
                    n += 1;
                }
                n
            })
            .collect();
        let dl = input["depth_length"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["arch"] == model && r["depth"] == layers)
            .unwrap_or_else(|| panic!("no depth_length row for {name}"))
            .clone();
        assert_eq!(dl["best"], *prefixes.iter().max().unwrap(), "{name}: {dl}");
        assert_eq!(dl["worst"], *prefixes.iter().min().unwrap(), "{name}: {dl}");
        assert_eq!(dl["length"], 8);
    }

    // Minimum depths: the smallest depth whose best seed (mean over seeds)
    // reaches each threshold; the paper's flip-flop has no row, so no paper
    // depth; the depths tried.
    for thr in [0.95, 0.99] {
        let row = input["min_depth"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["threshold"].as_f64() == Some(thr))
            .unwrap_or_else(|| panic!("no min-depth row at {thr}"));
        let first = |f: &dyn Fn(&(u32, f64, f64)) -> f64| {
            best_by_depth
                .iter()
                .filter(|x| f(x) >= thr)
                .map(|x| x.0)
                .min()
        };
        assert_eq!(
            row["best_of_seeds"].as_u64().map(|d| d as u32),
            first(&|x| x.1),
            "{row}"
        );
        assert_eq!(
            row["mean_over_seeds"].as_u64().map(|d| d as u32),
            first(&|x| x.2),
            "{row}"
        );
        assert_eq!(row["arch"], "transformer");
        assert_eq!(row["depths_tried"], serde_json::json!([1, 2]));
        assert_eq!(row["paper"], Value::Null);
    }

    // Timing: the measured points, and the cost model's multiply-adds from
    // the timing params (L = 1, d = 8, d_ff = 4d, C = 2, B = 2).
    for (family, per_t, per_t2) in [
        // 3B·[L·(4d² + 2d·d_ff) + d·C]·T + 3B·2L·d·T²
        (
            "transformer",
            6.0 * (4.0 * 64.0 + 2.0 * 8.0 * 32.0 + 16.0),
            6.0 * 16.0,
        ),
        // 3B·((8L − 4)·d² + d·C)·T + 3·4V·d² (V = 2): the first layer's
        // input projection is a table of V rows, built once per batch
        ("lstm", 6.0 * (4.0 * 64.0 + 16.0), 0.0),
    ] {
        let per_batch = if family == "lstm" {
            3.0 * 4.0 * 2.0 * 64.0
        } else {
            0.0
        };
        let ts = input["timing"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["family"] == family && t["metric"] == "train step")
            .unwrap()
            .clone();
        assert_eq!(
            ts["cost"]["macs"],
            serde_json::json!([per_batch, per_t, per_t2]),
            "{family}"
        );
        let measured: Value =
            serde_json::from_str(&w.output(&format!("timing[model={family}]"), "timing.json"))
                .unwrap();
        let want: Vec<(f64, f64)> = measured["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["length"].as_f64().unwrap(),
                    p["train_step_ms"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_points(&format!("{family} timing"), &ts["points"], &want);
    }

    // The published page: every figure holds data marks; the linked files.
    let page = std::fs::read_to_string(w.join("reports/values/index.html")).unwrap();
    for (i, svg) in svgs(&page).iter().enumerate() {
        assert!(
            data_marks(svg).unwrap() > 0,
            "svg #{i} of the real page is empty"
        );
    }
    let prov: Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("reports/values/provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        prov["instances"].as_array().unwrap().len(),
        21,
        "every upstream instance"
    );
    let csv = std::fs::read_to_string(w.join("reports/values/results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + GROUPS.len());
}
