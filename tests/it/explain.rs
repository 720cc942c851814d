//! Explanations: model hooks, gradient attributions, occlusion, attention, probes, the stage.

use crate::common::{counts, Work};
use crate::model_support;
use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor, TensorData};
use seqlab::datasets::automata::Task;
use seqlab::datasets::npy::read_npy;
use seqlab::datasets::SequenceData;
use seqlab::explain::{
    area, attention_maps, deletion_curve, ground_truth, ground_truth_agreement,
    integrated_gradients, occlusion, probe_layers, rollout, rollout_attribution, saliency,
    Attribution, Baseline, Examples, OcclusionScore, Target, TargetClass, TargetPos,
};
use seqlab::models::{Model, ModelConfig};
use seqlab::train::TrainConfig;
use serde_json::Value;

const V: usize = 4;
const C: usize = 3;

fn configs() -> Vec<ModelConfig> {
    [
        format!(r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":8,"depth":2,"heads":2,"max_len":16}}"#),
        format!(r#"{{"family":"transformer","vocab":{V},"n_classes":{C},"width":8,"depth":1,"heads":2,"pos":"rope"}}"#),
        format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":8,"depth":2}}"#),
        format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{C},"width":8,"depth":1,"impl":"stock"}}"#),
        format!(r#"{{"family":"gru","vocab":{V},"n_classes":{C},"width":8,"depth":2}}"#),
        format!(r#"{{"family":"mlp","vocab":{V},"n_classes":{C},"max_len":10,"width":8,"depth":2}}"#),
        format!(r#"{{"family":"linear_rnn","vocab":{V},"n_classes":{C},"width":8,"depth":2,"negative_eigenvalues":true}}"#),
    ]
    .iter()
    .map(|s| serde_json::from_str(s).unwrap())
    .collect()
}

fn tokens(v: &[u32], b: usize, t: usize, dev: &Device) -> Tensor<2, Int> {
    let v: Vec<i64> = v.iter().map(|&x| x as i64).collect();
    Tensor::from_data(TensorData::new(v, [b, t]), dev)
}

fn values<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.into_data().iter::<f32>().collect()
}

fn init(cfg: &ModelConfig, seed: u64, dev: &Device) -> Model {
    let _turn = seqlab::train::rng_turn();
    dev.seed(seed);
    cfg.init(dev)
}

#[test]
fn forward_onehot_equals_forward_for_every_family() {
    let dev = Device::flex();
    let (b, t) = (3, 10);
    let x = model_support::random_tokens(b, t, V, 11);
    for cfg in configs() {
        let model = init(&cfg, 2, &dev);
        let y = values(model.forward(tokens(&x, b, t, &dev)).unwrap());
        let oh = tokens(&x, b, t, &dev).one_hot::<3>(V).float();
        let z = values(model.forward_onehot(oh).unwrap());
        assert_eq!(y.len(), z.len());
        let err = y
            .iter()
            .zip(&z)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err <= 1e-5, "{}: max difference {err}", cfg.family());
        // And through the autodiff device, with plain parameters (how attributions run).
        let ad = dev.clone().autodiff();
        let oh = tokens(&x, b, t, &ad).one_hot::<3>(V).float().require_grad();
        let out = model.valid().forward_onehot(oh.clone()).unwrap();
        let w = values(out.clone().inner());
        let err = y
            .iter()
            .zip(&w)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            err <= 1e-5,
            "{} (autodiff): max difference {err}",
            cfg.family()
        );
        let g = out.sum().backward();
        let grad = oh.grad(&g).expect("a gradient w.r.t. the input");
        assert_eq!(grad.dims(), [b, t, V]);
        assert!(values(grad).iter().any(|v| *v != 0.0), "{}", cfg.family());
    }
}

#[test]
fn hidden_states_have_one_entry_per_layer() {
    let dev = Device::flex();
    let (b, t) = (2, 6);
    let x = model_support::random_tokens(b, t, V, 3);
    for cfg in configs() {
        let model = init(&cfg, 2, &dev);
        let h = model.hidden_states(tokens(&x, b, t, &dev)).unwrap();
        let depth = match &cfg {
            ModelConfig::Transformer(c) => c.depth,
            ModelConfig::Lstm(c) => c.depth,
            ModelConfig::Gru(c) => c.depth,
            ModelConfig::Mlp(c) => c.depth,
            ModelConfig::LinearRnn(c) => c.depth,
        };
        assert_eq!(h.len(), depth + 1, "{}", cfg.family());
        for s in &h {
            let [bb, tt, _] = s.dims();
            assert_eq!((bb, tt), (b, t), "{}", cfg.family());
        }
    }
}

fn examples(b: usize, t: usize, vocab: usize, seed: u64) -> Examples {
    let x = model_support::random_tokens(b, t, vocab, seed);
    let labels = vec![0; b * t];
    Examples::new(x, labels, b, t, vocab).unwrap()
}

#[test]
fn integrated_gradients_are_complete() {
    let dev = Device::flex();
    let ex = examples(4, 8, V, 21);
    let (mut checked, mut worst) = (0, 0f64);
    for cfg in configs() {
        let model = init(&cfg, 5, &dev).valid();
        for target in [
            Target::default(),
            Target {
                class: TargetClass::Label,
                pos: TargetPos::Every,
            },
        ] {
            let sel = target.resolve(&model, &ex).unwrap();
            for baseline in [Baseline::Zeros, Baseline::Uniform] {
                let ig = integrated_gradients(&model, &ex, &sel, 64, baseline).unwrap();
                for (i, gap) in ig.completeness_gap().iter().enumerate() {
                    let delta = ig.f_input[i] - ig.f_baseline[i];
                    assert!(
                        *gap <= 0.01 * delta.abs().max(0.05),
                        "{} {target:?} {baseline:?} example {i}: Σ attributions off by {gap}, f(x) − f(b) = {delta}",
                        cfg.family()
                    );
                    if delta.abs() > 0.05 {
                        checked += 1;
                        worst = worst.max(gap / delta.abs());
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "too few examples with a sizeable f(x) − f(b): {checked}"
    );
    eprintln!("{checked} examples with |f(x) − f(b)| > 0.05; worst relative gap {worst:.2e}");
}

/// An MLP whose output at the last position depends on input position `k` only: every
/// first-layer block from another input position is zero.
fn mlp_reading_only(k: usize, t: usize, dev: &Device) -> Model {
    let cfg: ModelConfig = serde_json::from_str(&format!(
        r#"{{"family":"mlp","vocab":{V},"n_classes":2,"max_len":{t},"width":8}}"#
    ))
    .unwrap();
    let Model::Mlp(mut m) = init(&cfg, 9, dev) else {
        unreachable!()
    };
    let dims = m.w_in.val().dims(); // [T(in), V, T(out), H]
    let mut w = values(m.w_in.val());
    let block = dims[1] * dims[2] * dims[3];
    for s in (0..t).filter(|&s| s != k) {
        w[s * block..(s + 1) * block].fill(0.0);
    }
    m.w_in = Param::from_tensor(Tensor::from_data(TensorData::new(w, dims), dev));
    Model::Mlp(m)
}

#[test]
fn attributions_find_the_only_position_that_matters() {
    let dev = Device::flex();
    let (t, k) = (8, 3);
    let model = mlp_reading_only(k, t, &dev);
    let ex = examples(6, t, V, 4);
    let sel = Target::default().resolve(&model, &ex).unwrap();
    let prob = OcclusionScore::Probability;
    let occ = occlusion(&model, &ex, &sel, 1, 1, Baseline::Zeros, prob).unwrap();
    let sal = saliency(&model, &ex, &sel).unwrap();
    let ig = integrated_gradients(&model, &ex, &sel, 64, Baseline::Zeros).unwrap();
    let mut informative = 0;
    for i in 0..ex.n {
        for p in (0..t).filter(|&p| p != k) {
            assert_eq!(occ.row(i)[p], 0.0, "occlusion, example {i} position {p}");
            assert_eq!(sal.row(i)[p], 0.0, "saliency, example {i} position {p}");
            assert_eq!(
                ig.attribution.row(i)[p],
                0.0,
                "IG, example {i} position {p}"
            );
        }
        // Blanking position k makes both classes equally likely: the predicted one loses.
        if occ.row(i)[k] > 1e-4 {
            informative += 1;
            assert_eq!(occ.ranking(i, t)[0], k, "example {i}: {:?}", occ.row(i));
        }
        assert!(occ.row(i)[k] >= 0.0, "example {i}: {:?}", occ.row(i));
        let delta = (ig.f_input[i] - ig.f_baseline[i]) as f32;
        assert!((ig.attribution.row(i)[k] - delta).abs() <= 1e-3 * delta.abs().max(1.0));
    }
    assert!(informative >= 4, "position {k} barely matters: {occ:?}");

    // Windows of 3 every 2 positions (starts 0, 2, 4 and 5): position k = 3 is only in the
    // window starting at 2, its neighbours 2 and 4 in one more window each (drop 0 there).
    let logit = OcclusionScore::Logit;
    let one = occlusion(&model, &ex, &sel, 1, 1, Baseline::Zeros, logit).unwrap();
    let wide = occlusion(&model, &ex, &sel, 3, 2, Baseline::Zeros, logit).unwrap();
    for i in 0..ex.n {
        let d = one.row(i)[k];
        let expect = [0.0, 0.0, d / 2.0, d, d / 2.0, 0.0, 0.0, 0.0];
        for (p, e) in expect.iter().enumerate() {
            assert!(
                (wide.row(i)[p] - e).abs() <= 1e-6,
                "example {i}: {:?} vs {expect:?}",
                wide.row(i)
            );
        }
    }
}

#[test]
fn deletion_curves_follow_the_ranking() {
    let dev = Device::flex();
    let (t, k) = (10, 6);
    let model = mlp_reading_only(k, t, &dev);
    let ex = examples(16, t, V, 8);
    let sel = Target::default().resolve(&model, &ex).unwrap();
    let percents: Vec<u32> = (0..=10).map(|i| i * 10).collect();
    // Blanking everything: the model sees no token, the prediction is class 0 (a tie or not).
    let blank = deletion_curve(
        &model,
        &ex,
        &sel,
        &Attribution::zeros(ex.n, t),
        &[100],
        Baseline::Zeros,
    )
    .unwrap()[0]
        .1;
    assert!(blank < 1.0, "blanking every input changes no prediction");
    let mut best = Attribution::zeros(ex.n, t);
    let mut worst = Attribution::zeros(ex.n, t);
    for i in 0..ex.n {
        best.values[i * t + k] = 1.0;
        worst.values[i * t + k] = -1.0;
    }
    let good = deletion_curve(&model, &ex, &sel, &best, &percents, Baseline::Zeros).unwrap();
    let bad = deletion_curve(&model, &ex, &sel, &worst, &percents, Baseline::Zeros).unwrap();
    assert_eq!(good[0], (0.0, 1.0));
    for (j, (&(pg, ag), &(pb, ab))) in good.iter().zip(&bad).enumerate() {
        assert_eq!(pg, pb);
        assert_eq!(ag, if j == 0 { 1.0 } else { blank }, "{good:?}");
        assert_eq!(ab, if j == 10 { blank } else { 1.0 }, "{bad:?}");
    }
    assert!(area(&good) < area(&bad));
}

#[test]
fn ground_truth_sets_and_agreement() {
    let dev = Device::flex();
    let model = init(
        &serde_json::from_str(r#"{"family":"gru","vocab":3,"n_classes":5,"width":4}"#).unwrap(),
        1,
        &dev,
    );
    let task_labels = |task: &Task, toks: &[u32]| task.label_sequence(toks);
    let cases: [(Task, Vec<u32>, Vec<usize>); 4] = [
        (Task::FlipFlop { n: 2 }, vec![0, 2, 0, 1, 0, 0], vec![3]),
        (Task::Parity, vec![1, 0, 0, 1, 1, 0], vec![0, 3, 4]),
        // Cells 0..=2: R R L R R L → 1 2 1 2 2 1; last boundary (cell 2) after position 4.
        (Task::Gridworld { n: 3 }, vec![1, 1, 0, 1, 1, 0], vec![4]),
        (Task::FlipFlop { n: 2 }, vec![0, 0, 0, 0, 0, 0], vec![]),
    ];
    for (task, toks, want) in cases {
        let labels = task_labels(&task, &toks);
        let ex = Examples::new(toks.clone(), labels, 1, 6, 3).unwrap();
        let sel = Target::default().resolve(&model, &ex).unwrap();
        let gt = ground_truth(&task, &ex, &sel).expect("a task with ground truth");
        let g = gt.sets[0].clone().unwrap_or_default();
        assert_eq!(g, want, "{task:?} {toks:?}");
        if want.is_empty() {
            assert_eq!(
                ground_truth_agreement(&Attribution::zeros(1, 6), &gt, &sel),
                None
            );
            continue;
        }
        // An attribution that ranks exactly G first agrees fully; one that ranks G last, not.
        let mut a = Attribution::zeros(1, 6);
        for &p in &want {
            a.values[p] = 1.0;
        }
        assert_eq!(ground_truth_agreement(&a, &gt, &sel).unwrap().0, 1.0);
        a.values.iter_mut().for_each(|v| *v = -*v);
        assert_eq!(ground_truth_agreement(&a, &gt, &sel).unwrap().0, 0.0);
    }
    let ex = Examples::new(vec![0; 6], vec![0; 6], 1, 6, 3).unwrap();
    let sel = Target::default().resolve(&model, &ex).unwrap();
    assert!(ground_truth(&Task::Quaternion, &ex, &sel).is_none());
}

#[test]
fn targets_follow_each_sequences_valid_length() {
    let dev = Device::flex();
    let model = init(&configs()[2], 1, &dev);
    let mask = [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]].concat();
    let ex = examples(2, 5, V, 3).with_mask(&mask).unwrap();
    assert_eq!(ex.lengths, vec![3, 5]);
    let last = Target {
        class: TargetClass::Label,
        pos: TargetPos::Last,
    };
    let sel = last.resolve(&model, &ex).unwrap();
    assert_eq!(sel.targets, vec![vec![(2, 0)], vec![(4, 0)]]);
    let every = Target {
        class: TargetClass::Predicted,
        pos: TargetPos::Every,
    };
    let sel = every.resolve(&model, &ex).unwrap();
    assert_eq!(sel.targets[0].len(), 3);
    assert_eq!(sel.targets[1].len(), 5);
    let w: f32 = sel.weights[..5 * C].iter().sum();
    assert!((w - 1.0).abs() < 1e-6, "weights of example 0 sum to {w}");
}

#[test]
fn attention_rows_and_rollout_rows_sum_to_one() {
    let dev = Device::flex();
    let ex = examples(3, 7, V, 13);
    for cfg in configs() {
        let model = init(&cfg, 3, &dev);
        let Some(maps) = attention_maps(&model, &ex) else {
            assert_ne!(cfg.family(), "transformer");
            continue;
        };
        let maps = maps.unwrap();
        let t = ex.t;
        assert_eq!(maps.weights.len(), maps.layers * ex.n * maps.heads * t * t);
        let check = |name: &str, m: &[f32]| {
            for (r, row) in m.chunks(t).enumerate() {
                let s: f32 = row.iter().sum();
                assert!((s - 1.0).abs() < 1e-5, "{name} row {r} sums to {s}");
                let q = r % t;
                assert!(
                    row[q + 1..].iter().all(|&x| x == 0.0),
                    "{name} row {r} is not causal"
                );
            }
        };
        check("attention", &maps.weights);
        let roll = rollout(&maps);
        check("rollout", &roll);
        // One layer by hand: (mean over heads + I) / 2, for example 1.
        let a = maps.head_mean(0, 1);
        let mut r1 = vec![0f64; t * t];
        for q in 0..t {
            for j in 0..t {
                r1[q * t + j] = (a[q * t + j] + (q == j) as u8 as f64) / 2.0;
            }
        }
        if maps.layers == 1 {
            for (x, y) in roll[t * t..2 * t * t].iter().zip(&r1) {
                assert!((*x as f64 - y).abs() < 1e-6);
            }
        }
        let sel = Target::default().resolve(&model, &ex).unwrap();
        let attr = rollout_attribution(&maps, &sel);
        assert_eq!(attr.row(2), &roll[2 * t * t + (t - 1) * t..3 * t * t]);
    }
}

#[test]
fn probes_read_parity_from_a_trained_lstm_but_not_from_its_embedding() {
    let t = 8;
    let data = model_support::parity_dataset(512, t, 17);
    let cfg: ModelConfig =
        serde_json::from_str(r#"{"family":"lstm","vocab":2,"n_classes":2,"width":16}"#).unwrap();
    let tc: TrainConfig = serde_json::from_str(
        r#"{"steps":300,"batch_size":32,"lr":0.02,"warmup_steps":20,"seed":1}"#,
    )
    .unwrap();
    let out = model_support::train_on(&cfg, &tc, &data).unwrap();
    let model = out.model.valid();
    let test = model_support::parity_dataset(400, t, 99);
    let test = SequenceData::classes(
        test.n,
        test.t,
        test.inputs,
        test.target.classes("test").unwrap().to_vec(),
        test.mask,
    );
    let acc = seqlab::train::evaluate(&model, &data, 256).unwrap().acc;
    let report = probe_layers(&model, &test, 2, 1e-3).unwrap();
    assert_eq!(report.layers.len(), 2);
    let (emb, last) = (report.layers[0].acc, report.layers[1].acc);
    eprintln!(
        "model acc {acc:.3}; probes: embedding {emb:.3}, layer 1 {last:.3}, chance {:.3}",
        report.chance
    );
    assert!((report.chance - 0.5).abs() < 0.05, "{report:?}");
    assert!(last > report.chance + 0.3, "{report:?}");
    // The embedding holds only the current token: independent of the parity before it, except
    // at position 0 where the state is the token (so about 0.5 + 0.5 / T is expected).
    assert!((emb - report.chance).abs() < 0.1, "{report:?}");
    assert!(acc > 0.95, "the LSTM did not learn parity: {acc}");
}

const PIPELINE: &str = r#"
name: explain
stages:
  data:
    kind: automaton
    params: { task: flipflop, length: 8, train_size: 256, test_size: 48, seed: 2 }
  train:
    kind: train
    needs: [data]
    matrix: { model: [lstm, transformer] }
    params: { width: 8, layers: 1, heads: 2, steps: 20, batch_size: 16, lr: 0.01, warmup_steps: 2, eval_every: 10 }
  explain:
    kind: explain
    needs: [data, train]
    params: { n_examples: 4, ig_steps: 16, probe_sequences: 40 }
  explain_every:
    kind: explain
    needs: [data, train]
    params: { n_examples: 3, ig_steps: 8, ig_baseline: uniform, occlusion_window: 3, occlusion_stride: 2, target: label, position: every, probe_sequences: 0 }
"#;

#[test]
fn the_stage_writes_every_output_with_its_shape() {
    let w = Work::new();
    w.write("p.yaml", PIPELINE);
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(7, 0, 0, 0));
    for family in ["lstm", "transformer"] {
        // Every position's own label: no single ground-truth position, no probes asked for.
        let inst = format!("explain_every[model={family}]");
        let summary: Value = serde_json::from_str(&w.output(&inst, "explain.json")).unwrap();
        assert_eq!(
            summary["targets"][0].as_array().unwrap().len(),
            8,
            "{summary}"
        );
        assert!(summary["not_applicable"]["probes"].is_string(), "{summary}");
        let faith: Value = serde_json::from_str(&w.output(&inst, "faithfulness.json")).unwrap();
        assert!(faith["ground_truth"].is_null(), "{faith}");
        assert!(faith["methods"]["occlusion"]["ground_truth_agreement"].is_null());
        let occ = w.show(&inst)["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "attributions_occlusion.npy");
        assert!(occ);
    }
    for family in ["lstm", "transformer"] {
        let inst = format!("explain[model={family}]");
        let files = w.show(&inst)["files"].clone();
        let path = |name: &str| -> std::path::PathBuf {
            let f = files.as_array().unwrap().iter().find(|f| f["path"] == name);
            let f = f.unwrap_or_else(|| panic!("{inst} has no {name}: {files:#}"));
            f["object"].as_str().unwrap().into()
        };
        let shape_u32 = |name: &str| read_npy::<u32>(&path(name)).unwrap().0;
        let f32s = |name: &str| read_npy::<f32>(&path(name)).unwrap();
        assert_eq!(shape_u32("tokens.npy"), vec![4, 8]);
        assert_eq!(shape_u32("labels.npy"), vec![4, 8]);
        let summary: Value = serde_json::from_str(&w.output(&inst, "explain.json")).unwrap();
        let methods: Vec<&str> = summary["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let mut want = vec![
            "saliency",
            "input_x_gradient",
            "integrated_gradients",
            "occlusion",
            "random",
        ];
        if family == "transformer" {
            want.extend(["attention_last_layer", "attention_rollout"]);
            assert_eq!(f32s("attention.npy").0, vec![1, 2, 8, 8]);
            let (shape, roll) = f32s("rollout.npy");
            assert_eq!(shape, vec![8, 8]);
            for row in roll.chunks(8) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
        } else {
            assert!(
                summary["not_applicable"]["attention_rollout"].is_string(),
                "{summary}"
            );
            assert!(files
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["path"] != "attention.npy"));
        }
        assert_eq!(methods, want, "{summary}");
        for m in &want {
            let (shape, v) = f32s(&format!("attributions_{m}.npy"));
            assert_eq!(shape, vec![4, 8], "{m}");
            assert!(v.iter().all(|x| x.is_finite()), "{m}");
            let svg = w.output(&inst, &format!("attributions_{m}.svg"));
            assert!(svg.starts_with("<svg") && svg.contains(*m), "{m}");
        }
        let faith: Value = serde_json::from_str(&w.output(&inst, "faithfulness.json")).unwrap();
        assert_eq!(faith["task"], "flipflop");
        assert!(faith["ground_truth"]
            .as_str()
            .unwrap()
            .contains("last write"));
        for m in &want {
            let f = &faith["methods"][m];
            let curve = f["deletion_curve"].as_array().unwrap();
            assert_eq!(curve.len(), 11, "{m}");
            assert_eq!(
                curve[0][1], 1.0,
                "{m}: predicted targets hold on the intact input"
            );
            let auc = f["deletion_auc"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&auc), "{m}: {auc}");
            let agree = f["ground_truth_agreement"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&agree), "{m}: {agree}");
        }
        let probes: Value = serde_json::from_str(&w.output(&inst, "probes.json")).unwrap();
        let layers = probes["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 2, "{probes}");
        for (l, layer) in layers.iter().enumerate() {
            assert_eq!(layer["layer"], l);
            assert!((0.0..=1.0).contains(&layer["acc"].as_f64().unwrap()));
        }
        assert!(probes["chance"].as_f64().is_some());
    }
    // Cached on a second run; re-executing gives the same bits.
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(0, 7, 0, 0));
    let r = w
        .seqlab(&["verify", "--rerun", "explain[model=transformer]", "p.yaml"])
        .ok();
    assert!(r.stdout.contains("bit-identical"), "{}", r.text());
}

#[test]
fn integrated_gradients_stay_complete_on_trained_models() {
    // Trained models change their prediction abruptly along the path; a fixed grid of 64
    // intervals is off by more than f(x) − f(b) itself on these. The refinement is not.
    let t = 12;
    let data = model_support::parity_dataset(256, t, 5);
    let tc: TrainConfig = serde_json::from_str(
        r#"{"steps":150,"batch_size":32,"lr":0.02,"warmup_steps":10,"seed":3}"#,
    )
    .unwrap();
    let x = model_support::random_tokens(6, t, 2, 8);
    let ex = Examples::new(x, vec![0; 6 * t], 6, t, 2).unwrap();
    for m in [
        r#"{"family":"transformer","vocab":2,"n_classes":2,"width":16,"heads":2,"depth":2}"#,
        r#"{"family":"lstm","vocab":2,"n_classes":2,"width":16}"#,
    ] {
        let cfg: ModelConfig = serde_json::from_str(m).unwrap();
        let out = model_support::train_on(&cfg, &tc, &data);
        let model = out.unwrap().model.valid();
        let sel = Target::default().resolve(&model, &ex).unwrap();
        let ig = integrated_gradients(&model, &ex, &sel, 64, Baseline::Zeros).unwrap();
        for (i, gap) in ig.completeness_gap().iter().enumerate() {
            let delta = ig.f_input[i] - ig.f_baseline[i];
            assert!(
                *gap <= 0.01 * delta.abs().max(0.05),
                "{m} example {i}: Σ attributions off by {gap}, f(x) − f(b) = {delta}, {} evaluations",
                ig.evaluations[i]
            );
        }
        eprintln!(
            "{}: gradient evaluations {:?}",
            cfg.family(),
            ig.evaluations
        );
    }
}
