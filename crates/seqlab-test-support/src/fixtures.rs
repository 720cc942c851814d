//! A realistic [`ReportInput`] for tests, screenshots and as an example of
//! what the report stage should fill in. The numbers are made up but shaped
//! like real runs (T = 32, width 64, 3 seeds) and Liu et al.'s Table 1 is the
//! real one.

use serde_json::json;

use seqlab::report::model::*;
use seqlab::report::paper::liu_table1;
use seqlab::study::stats::loglog_slope;

/// (our task, the paper's name for it)
const TASKS: [(&str, &str); 6] = [
    ("parity", "C_2"),
    ("cyclic_3", "C_3"),
    ("dihedral_4", "D_8"),
    ("quaternion", "Q_8"),
    ("alternating_5", "A_5"),
    ("symmetric_5", "S_5"),
];
const DEPTHS: [u32; 6] = [1, 2, 3, 4, 6, 8];
/// Transformer mean accuracy over 3 seeds, per task and depth.
const TF_MEAN: [[f64; 6]; 6] = [
    [0.712, 0.962, 0.985, 0.993, 0.991, 0.996],
    [0.524, 0.881, 0.934, 0.975, 0.991, 0.994],
    [0.431, 0.903, 0.972, 0.988, 0.996, 0.998],
    [0.301, 0.452, 0.551, 0.583, 0.931, 0.987],
    [0.118, 0.212, 0.304, 0.433, 0.902, 0.971],
    [0.081, 0.112, 0.139, 0.188, 0.271, 0.483],
];

fn best_of(mean: f64) -> f64 {
    (mean + (1.0 - mean) * 0.45).min(1.0)
}

fn depth_table() -> Vec<DepthCell> {
    let mut out = Vec::new();
    for (i, (task, _)) in TASKS.iter().enumerate() {
        for (j, d) in DEPTHS.iter().enumerate() {
            out.push(DepthCell {
                task: task.to_string(),
                arch: "transformer".into(),
                depth: *d,
                acc_mean: TF_MEAN[i][j],
                acc_best: best_of(TF_MEAN[i][j]),
                n_seeds: 3,
            });
        }
    }
    for (i, (task, _)) in TASKS.iter().enumerate() {
        for d in [1u32, 2] {
            let m = if i == 5 {
                0.996
            } else {
                0.999 + 0.0002 * d as f64
            };
            out.push(DepthCell {
                task: task.to_string(),
                arch: "lstm".into(),
                depth: d,
                acc_mean: m.min(1.0),
                acc_best: 1.0,
                n_seeds: 3,
            });
        }
    }
    out
}

fn first_depth(pairs: impl Iterator<Item = (u32, f64)>, thr: f64) -> Option<u32> {
    pairs.filter(|(_, a)| *a >= thr).map(|(d, _)| d).min()
}

fn min_depth(cells: &[DepthCell], paper: &[PaperRow]) -> Vec<MinDepthRow> {
    let mut out = Vec::new();
    for thr in [0.95, 0.99] {
        for arch in ["transformer", "lstm"] {
            for (task, paper_name) in TASKS {
                let mine = || {
                    cells
                        .iter()
                        .filter(move |c| c.task == task && c.arch == arch)
                };
                let p = paper.iter().find(|r| r.task == paper_name);
                out.push(MinDepthRow {
                    task: task.into(),
                    arch: arch.into(),
                    threshold: thr,
                    best_of_seeds: first_depth(mine().map(|c| (c.depth, c.acc_best)), thr),
                    mean_over_seeds: first_depth(mine().map(|c| (c.depth, c.acc_mean)), thr),
                    paper: if arch == "transformer" {
                        p.and_then(|r| first_depth(r.acc_by_depth.iter().copied(), thr))
                    } else {
                        Some(1)
                    },
                });
            }
        }
    }
    out
}

type Params = serde_json::Map<String, serde_json::Value>;

fn params(pairs: &[(&str, serde_json::Value)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn results() -> Vec<ResultRow> {
    let mut out = Vec::new();
    // (model, params, per-task mean accuracy, seconds)
    type Model = (&'static str, Params, [f64; 6], f64);
    let models: Vec<Model> = vec![
        (
            "transformer L=2",
            params(&[
                ("layers", json!(2)),
                ("d_model", json!(64)),
                ("heads", json!(4)),
                ("pos", json!("sinusoidal")),
            ]),
            [0.962, 0.881, 0.903, 0.452, 0.212, 0.112],
            41.0,
        ),
        (
            "transformer L=4",
            params(&[
                ("layers", json!(4)),
                ("d_model", json!(64)),
                ("heads", json!(4)),
                ("pos", json!("sinusoidal")),
            ]),
            [0.993, 0.975, 0.988, 0.583, 0.433, 0.188],
            77.5,
        ),
        (
            "lstm",
            params(&[("layers", json!(1)), ("hidden", json!(64))]),
            [0.9994, 0.9991, 0.9990, 0.9987, 0.9979, 0.996],
            129.0,
        ),
        (
            "gru",
            params(&[("layers", json!(1)), ("hidden", json!(64))]),
            [0.9996, 0.9992, 0.9989, 0.9983, 0.9971, 0.993],
            118.0,
        ),
        (
            "linear-rnn (neg. eig.)",
            params(&[
                ("layers", json!(2)),
                ("d_model", json!(64)),
                ("eigen", json!("[-1, 1]")),
            ]),
            [0.998, 0.957, 0.941, 0.702, 0.655, 0.412],
            35.2,
        ),
        (
            "mlp-3x256",
            params(&[("hidden", json!([256, 256, 256])), ("window", json!(32))]),
            [0.613, 0.447, 0.398, 0.231, 0.094, 0.061],
            12.4,
        ),
    ];
    for (model, p, accs, secs) in models {
        for (i, (task, _)) in TASKS.iter().enumerate() {
            let m = accs[i];
            let spread = ((1.0 - m) * 0.3).max(0.0005);
            out.push(ResultRow {
                task: task.to_string(),
                model: model.into(),
                params: p.clone(),
                acc_mean: m,
                acc_min: (m - spread).max(0.0),
                acc_max: (m + spread * 0.7).min(1.0),
                ci95: Some(((m - spread * 1.3).max(0.0), (m + spread * 1.1).min(1.0))),
                n_seeds: 3,
                train_seconds: Some(secs * (1.0 + 0.1 * i as f64)),
            });
        }
    }
    out
}

fn curve(title: &str, group: &str, label: &str, x: &str, y: &str, pts: Vec<(f64, f64)>) -> Curve {
    Curve {
        title: title.into(),
        group: group.into(),
        label: label.into(),
        x_label: x.into(),
        y_label: y.into(),
        points: pts,
        not_applicable: None,
    }
}

fn length_curves() -> Vec<Curve> {
    let lens = [32.0, 64.0, 128.0, 256.0, 512.0];
    let mut out = Vec::new();
    for (group, tf, mlp) in [
        (
            "parity",
            [0.993, 0.71, 0.55, 0.51, 0.50],
            [0.613, 0.57, 0.53, 0.51, 0.50],
        ),
        (
            "dihedral_4",
            [0.988, 0.64, 0.41, 0.29, 0.22],
            [0.398, 0.31, 0.24, 0.19, 0.16],
        ),
    ] {
        let title = format!("{group}: trained at T = 32, tested longer");
        let mk = |label: &str, ys: [f64; 5]| {
            curve(
                &title,
                group,
                label,
                "test length T",
                "accuracy",
                lens.iter().copied().zip(ys).collect(),
            )
        };
        out.push(mk("transformer L=4 (sinusoidal)", tf));
        let mut na = mk("transformer L=4 (learned abs.)", [0.0; 5]);
        na.points.clear();
        na.not_applicable =
            Some("learned absolute positions cannot run past the trained length 32".into());
        out.push(na);
        out.push(mk("lstm", [0.9994, 0.9993, 0.9990, 0.9987, 0.9981]));
        out.push(mk("gru", [0.9996, 0.9995, 0.9991, 0.9985, 0.9979]));
        out.push(mk(
            "mingru (positive gates)",
            [0.97, 0.81, 0.66, 0.57, 0.53],
        ));
        out.push(mk(
            "linear-rnn (neg. eig.)",
            [0.998, 0.997, 0.995, 0.992, 0.988],
        ));
        out.push(mk("mlp-3x256", mlp));
    }
    out
}

fn p1_curves() -> Vec<Curve> {
    let ps = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
    let title = "parity: trained at p1 = 0.5, tested at other p1";
    let mk = |label: &str, f: &dyn Fn(f64) -> f64| {
        curve(
            title,
            "parity",
            label,
            "p1 = Pr[x = 1]",
            "accuracy",
            ps.iter().map(|&p| (p, f(p))).collect(),
        )
    };
    vec![
        mk("transformer L=4", &|p: f64| {
            0.993 - 0.75 * (p - 0.5).powi(2) - 0.1 * (p - 0.5).max(0.0).powi(2)
        }),
        mk("lstm", &|p: f64| 0.9995 - 0.002 * (p - 0.5).abs()),
        mk("gru", &|p: f64| 0.9993 - 0.003 * (p - 0.5).abs()),
        mk("mlp-3x256", &|p: f64| 0.613 - 0.2 * (p - 0.5).abs()),
    ]
}

fn timing() -> Vec<TimingSeries> {
    let ts: Vec<f64> = (4..=10).map(|k| 2f64.powi(k)).collect();
    let mut out = Vec::new();
    // (family, train: (coef, exponent), inference: (coef, exponent), give the exponent?)
    let fams = [
        ("transformer", (0.9, 1.62), (0.12, 1.45), true),
        ("lstm", (1.6, 1.0), (0.35, 0.98), true),
        ("gru", (1.4, 1.0), (0.30, 0.99), true),
        ("linear-rnn", (0.7, 0.92), (0.10, 0.85), true),
        ("mlp", (0.2, 0.55), (0.02, 0.5), false),
    ];
    for (fam, train, inf, given) in fams {
        for (metric, (c, e)) in [("train step", train), ("inference", inf)] {
            let points: Vec<(f64, f64)> = ts
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    (
                        t,
                        c * (t / 16.0).powf(e) * (1.0 + 0.04 * ((i * 7 % 5) as f64 - 2.0)),
                    )
                })
                .collect();
            let exponent = if given { loglog_slope(&points) } else { None };
            out.push(TimingSeries {
                family: fam.into(),
                metric: metric.into(),
                points,
                exponent,
            });
        }
    }
    out
}

fn training_curves() -> Vec<Curve> {
    let steps: Vec<f64> = (0..=20).map(|k| k as f64 * 100.0).collect();
    let mk = |label: &str, lo: f64, hi: f64, mid: f64| {
        curve(
            "parity: training accuracy",
            "parity",
            label,
            "step",
            "train accuracy",
            steps
                .iter()
                .map(|&s| (s, lo + (hi - lo) / (1.0 + (-(s - mid) / 150.0).exp())))
                .collect(),
        )
    };
    vec![
        mk("transformer L=4", 0.5, 0.995, 700.0),
        mk("lstm", 0.5, 0.9995, 300.0),
        mk("mlp-3x256", 0.5, 0.64, 500.0),
    ]
}

fn explanations() -> Vec<Explanation> {
    // flip-flop: 0 = read, 1..3 = write
    let ff: Vec<i64> = vec![2, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0];
    let n = ff.len();
    let last_write = |t: usize| (0..=t).rev().find(|&i| ff[i] != 0).unwrap_or(0);
    let attn: Vec<Vec<f64>> = (0..n)
        .map(|t| {
            let lw = last_write(t);
            let mut row: Vec<f64> = (0..n)
                .map(|i| {
                    if i <= t {
                        0.02 + 0.01 * ((i * 3 + t) % 4) as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            row[lw] += 0.8;
            row[t] += 0.1;
            let s: f64 = row.iter().sum();
            row.iter().map(|v| v / s).collect()
        })
        .collect();
    let gt_attn: Vec<Vec<bool>> = (0..n)
        .map(|t| (0..n).map(|i| i == last_write(t)).collect())
        .collect();
    // integrated gradients for the last position, 4 examples (rows), same
    // ground truth rule
    let ig_rows = 4;
    let ig: Vec<Vec<f64>> = (0..ig_rows)
        .map(|e| {
            let lw = last_write(n - 1 - 3 * e);
            (0..n)
                .map(|i| {
                    if i == lw {
                        0.9
                    } else {
                        0.08 * (((i * 5 + e * 3) % 7) as f64 - 3.0) / 3.0
                    }
                })
                .collect()
        })
        .collect();
    let gt_ig: Vec<Vec<bool>> = (0..ig_rows)
        .map(|e| (0..n).map(|i| i == last_write(n - 1 - 3 * e)).collect())
        .collect();
    // parity, T = 24, saliency at the last position: every 1 matters
    let par: Vec<i64> = (0..24).map(|i| ((i * 7 + 3) % 5 < 2) as i64).collect();
    let sal: Vec<Vec<f64>> = (0..3)
        .map(|e| {
            par.iter()
                .enumerate()
                .map(|(i, &x)| {
                    0.15 + 0.6 * x as f64 * (0.5 + 0.5 * (((i + e) % 4) as f64 / 3.0))
                        + 0.1 * (i as f64 / 24.0)
                })
                .collect()
        })
        .collect();
    let gt_par: Vec<Vec<bool>> = (0..3)
        .map(|_| par.iter().map(|&x| x == 1).collect())
        .collect();
    vec![
        Explanation {
            task: "flipflop_3".into(),
            model: "transformer L=2".into(),
            method: "attention L1H0".into(),
            tokens: ff.clone(),
            values: attn,
            ground_truth: Some(gt_attn),
            agreement: Some(0.94),
            deletion_auc: None,
        },
        Explanation {
            task: "flipflop_3".into(),
            model: "lstm".into(),
            method: "integrated_gradients".into(),
            tokens: ff,
            values: ig,
            ground_truth: Some(gt_ig),
            agreement: Some(0.88),
            deletion_auc: Some(0.213),
        },
        Explanation {
            task: "parity".into(),
            model: "transformer L=4".into(),
            method: "saliency".into(),
            tokens: par,
            values: sal,
            ground_truth: Some(gt_par),
            agreement: Some(0.71),
            deletion_auc: Some(0.388),
        },
    ]
}

fn probes() -> Vec<ProbeSeries> {
    let p = |task: &str, model: &str, accs: &[f64], chance: f64| ProbeSeries {
        task: task.into(),
        model: model.into(),
        layer_acc: accs
            .iter()
            .enumerate()
            .map(|(l, a)| (l as u32, *a))
            .collect(),
        chance,
    };
    vec![
        p(
            "parity",
            "transformer L=4",
            &[0.50, 0.56, 0.74, 0.95, 0.993],
            0.5,
        ),
        p("parity", "lstm", &[0.50, 0.9996], 0.5),
        p(
            "quaternion",
            "transformer L=6",
            &[0.125, 0.21, 0.33, 0.41, 0.62, 0.88, 0.984],
            0.125,
        ),
        p("quaternion", "lstm", &[0.125, 0.998], 0.125),
    ]
}

fn real_data() -> Vec<RealDataSection> {
    let epochs: Vec<f64> = (1..=10).map(|e| e as f64).collect();
    let mk = |label: &str, end: f64, rate: f64| {
        curve(
            "MIT-BIH: validation macro-F1",
            "mit-bih",
            label,
            "epoch",
            "macro-F1 (fraction)",
            epochs
                .iter()
                .map(|&e| (e, end * (1.0 - (-rate * e).exp())))
                .collect(),
        )
    };
    vec![RealDataSection {
        dataset: "ECG heartbeats (MIT-BIH)".into(),
        text: "Beats of 187 samples at 125 Hz, five classes (N, S, V, F, Q). \
               Always predicting N gives 82.8% accuracy, so macro-F1 is the number to read."
            .into(),
        table_header: vec![
            "model".into(),
            "accuracy %".into(),
            "macro-F1".into(),
            "params".into(),
        ],
        table_rows: vec![
            vec!["always N".into(), "82.8".into(), "0.181".into(), "0".into()],
            vec!["lstm".into(), "98.1".into(), "0.902".into(), "52k".into()],
            vec![
                "transformer L=4".into(),
                "97.6".into(),
                "0.884".into(),
                "201k".into(),
            ],
            vec![
                "Kachuee et al. 2018 (CNN)".into(),
                "93.4".into(),
                "—".into(),
                "—".into(),
            ],
        ],
        curves: vec![mk("lstm", 0.902, 0.45), mk("transformer L=4", 0.884, 0.3)],
    }]
}

/// A short hex digest (FNV-1a, repeated) standing in for a blake3 cache key.
fn fake_key(s: &str) -> String {
    let mut out = String::new();
    let mut h: u64 = 0xcbf29ce484222325;
    for round in 0..4u8 {
        for b in s.bytes().chain([round]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

fn provenance() -> Vec<ProvenanceRow> {
    let mut out = vec![ProvenanceRow {
        instance: "data/parity/T32".into(),
        kind: "dataset".into(),
        cache_key: fake_key("data/parity/T32"),
        params: json!({"task": "parity", "T": 32, "n_train": 20000, "p1": 0.5}),
        duration_s: Some(0.8),
    }];
    for (model, secs) in [
        ("transformer-L4", 77.5),
        ("lstm", 129.0),
        ("mlp-3x256", 12.4),
    ] {
        for seed in 0..3 {
            let inst = format!("train/parity/{model}/seed{seed}");
            out.push(ProvenanceRow {
                cache_key: fake_key(&inst),
                instance: inst,
                kind: "train".into(),
                params: json!({"model": model, "seed": seed, "steps": 2000, "lr": 0.001, "batch": 64}),
                duration_s: Some(secs + seed as f64 * 1.7),
            });
        }
    }
    out.push(ProvenanceRow {
        instance: "eval/parity/length-sweep".into(),
        kind: "eval".into(),
        cache_key: fake_key("eval/parity/length-sweep"),
        params: json!({"lengths": [32, 64, 128, 256, 512]}),
        duration_s: Some(21.3),
    });
    out
}

/// The fixture: every part of the page filled, realistic numbers.
pub fn sample_input() -> ReportInput {
    let paper = liu_table1();
    let depth = depth_table();
    ReportInput {
        title: "automata: how do Transformers implement recurrence?".into(),
        pipeline: "automata".into(),
        intro: "We train Transformers of depth 1-8, LSTMs, GRUs, a linear RNN with \
                negative eigenvalues and MLPs on the semiautomata of Liu et al. (2023), \
                with sequences of length T = 32, width 64 and 3 seeds per setting, and ask \
                the six questions of the study.\n\nAll numbers below come from the \
                content-addressed cache; the appendix lists every cached instance. Run \
                `seqlab run pipelines/automata.yaml` to rebuild this page."
            .into(),
        min_depth: min_depth(&depth, &paper),
        paper_agreement: vec![AgreementRow {
            arch: "transformer".into(),
            threshold: 0.99,
            statistic: "best of seeds".into(),
            rho: Some(0.95),
            tasks: vec![
                ("C_2".into(), Some(2), 2),
                ("D_8".into(), Some(2), 3),
                ("A_5".into(), Some(5), 7),
                ("S_5".into(), None, 13),
            ],
            unreached_as: 7,
        }],
        depth_length: ["A_5", "S_5"]
            .iter()
            .flat_map(|task| {
                [16.0, 32.0].map(|t| Curve {
                    title: format!("{task}: depth against length"),
                    group: task.to_string(),
                    label: format!("transformer T={t}"),
                    x_label: "depth L".into(),
                    y_label: "longest prefix ≥ 90%".into(),
                    points: (1..=6)
                        .map(|l| (l as f64, (t * l as f64 / 6.0).min(t).floor()))
                        .collect(),
                    not_applicable: None,
                })
            })
            .collect(),
        length_anchors: vec![
            LengthAnchorRow {
                task: "C_2".into(),
                model: "transformer pos=none bos L=2".into(),
                n_seeds: 2,
                last: vec![(2, 0.53), (4, 0.51)],
                scaled: Some(0.02),
                anchors: vec!["Delétang et al. 2023 52.0%".into()],
            },
            LengthAnchorRow {
                task: "C_2".into(),
                model: "linear_rnn neg-eig".into(),
                n_seeds: 1,
                last: vec![(2, 1.0), (4, 1.0)],
                scaled: Some(1.0),
                anchors: vec!["Grazzi et al. 2025 Tab. 3 1.000 scaled".into()],
            },
        ],
        mlp_by_length: vec![Curve {
            title: "C_2: MLP against training length".into(),
            group: "C_2".into(),
            label: "mlp".into(),
            x_label: "training length T".into(),
            y_label: "accuracy".into(),
            points: vec![(8.0, 0.99), (16.0, 0.81), (32.0, 0.62)],
            not_applicable: None,
        }],
        depth_table: depth,
        paper_table: paper,
        results: results(),
        length_curves: length_curves(),
        p1_curves: p1_curves(),
        timing: timing(),
        training_curves: training_curves(),
        explanations: explanations(),
        probes: probes(),
        real_data: real_data(),
        provenance: provenance(),
        versions: Versions {
            seqlab: "0.1.0".into(),
            burn: "0.22.1".into(),
            backend: "flex (CPU, f32)".into(),
            generated_at: "2026-05-01T12:00:00Z".into(),
        },
        notes: vec![
            "Measured here; differs from the paper because T = 32 and width 64 (paper: T = 100, width 512).".into(),
            "Best of 3 seeds, where the paper takes the best of 20 runs.".into(),
            "Transformers use sinusoidal positions unless the label says otherwise; learned absolute positions cannot be tested past the trained length.".into(),
        ],
    }
}
