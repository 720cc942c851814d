//! `report`: gather a study's cached results (train, evaluate,
//! length_generalize, timing, explain, automaton instances) into one
//! self-contained HTML page (`index.html`, figures as inline SVG) and
//! `report.md`, answering the study's questions (science.md §3).
//!
//! The page is published to `reports/<pipeline>/` (param `dir`) at the end of
//! every run, cached or not, as copies (editing them never touches the cache).
//! Changing only the report's params re-renders it from cached results.
//!
//! The provenance appendix shows upstream durations and the page its
//! generation time, so two renderings differ in those bits: `verify --rerun`
//! reports the report as differing, by design.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{JsonMap, ParamSchema, ParamSpec, ParamType, RunContext, Setting, StageKind};
use crate::datasets::npy::read_npy;
use crate::report::model as rm;
use crate::study::{aggregate, collect, min_depths, Axes, Cell, Group};

pub struct ReportKind {
    schema: ParamSchema,
}

const DEFAULT_INTRO: &str = "Liu et al. (2023) showed that shallow Transformers learn \
\"shortcuts\" to automata: instead of stepping a state through time like a recurrent \
network, they compute it in parallel with a depth that grows with the group's complexity. \
This page compares Transformers of several depths with LSTMs, MLPs and a diagonal linear RNN \
on those automata: accuracy by depth, behaviour past the training length and under shifted \
inputs, cost as sequences grow, and what each model looks at. Every number below was \
measured by this pipeline; the paper's numbers are shown beside ours for reference.";

impl ReportKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        ReportKind {
            schema: ParamSchema {
                params: vec![
                    p("title", ParamType::String, json!("How do Transformers implement recurrence?"), "page title"),
                    p("intro", ParamType::String, json!(DEFAULT_INTRO), "opening paragraph"),
                    p("notes", ParamType::StringList, json!([]), "caveats listed before the appendix"),
                    p("dir", ParamType::String, json!("reports/{pipeline}"), "where the page is published, relative to the working directory like the cache ({pipeline} = the pipeline's name)"),
                    p("explain_examples", ParamType::Int, json!(4), "example rows shown per explanation heatmap"),
                ],
                open: false,
            },
        }
    }
}

impl Default for ReportKind {
    fn default() -> Self {
        Self::new()
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn model_label(g: &Group) -> String {
    match g.depth {
        Some(d) => format!("{} L={d}", g.arch),
        None => g.arch.clone(),
    }
}

/// The cells of a group (same coordinates except the seed).
fn cells_of<'a>(cells: &'a [Cell], g: &Group, axes: &Axes) -> Vec<&'a Cell> {
    cells
        .iter()
        .filter(|c| {
            let mut k = c.coords.0.clone();
            k.shift_remove(&axes.seed);
            k.len() == g.coords.len() && k.iter().all(|(a, v)| g.coords.get(a) == Some(v))
        })
        .collect()
}

/// Mean over seeds of `(x, y)` points keyed by x.
fn mean_points(series: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut acc: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
    for s in series {
        for &(x, y) in s {
            let e = acc.entry(x.to_bits()).or_insert((x, 0.0, 0));
            e.1 += y;
            e.2 += 1;
        }
    }
    let mut out: Vec<(f64, f64)> = acc.values().map(|(x, s, n)| (*x, s / *n as f64)).collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// Length-generalization and p1 curves of one group, averaged over seeds.
fn generalization_curves(g: &Group, cells: &[&Cell]) -> (Option<rm::Curve>, Option<rm::Curve>) {
    let lgs: Vec<&Value> = cells
        .iter()
        .filter_map(|c| c.length_generalization.as_ref())
        .collect();
    if lgs.is_empty() {
        return (None, None);
    }
    let points = |key: &str, x: &str| -> Vec<Vec<(f64, f64)>> {
        lgs.iter()
            .map(|lg| {
                lg[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((p[x].as_f64()?, p["acc"].as_f64()?)))
                    .collect()
            })
            .collect()
    };
    let reason = lgs[0]["by_length"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|p| p["not_applicable"].as_str().map(str::to_string));
    let length = rm::Curve {
        title: format!("{}: accuracy vs test length", g.task),
        group: g.task.clone(),
        label: model_label(g),
        x_label: "test length T".into(),
        y_label: "accuracy".into(),
        points: mean_points(&points("by_length", "length")),
        not_applicable: reason,
    };
    let p1 = mean_points(&points("by_p1", "p1"));
    let p1 = (!p1.is_empty()).then(|| rm::Curve {
        title: format!("{}: accuracy vs p1 (Pr[input = 1])", g.task),
        group: g.task.clone(),
        label: model_label(g),
        x_label: "p1".into(),
        y_label: "accuracy".into(),
        points: p1,
        not_applicable: None,
    });
    (Some(length), p1)
}

fn training_curve(g: &Group, cell: &Cell) -> Option<rm::Curve> {
    let curve = read_json(&cell.train_dir.as_ref()?.join("curve.json"))?;
    let steps = curve["steps"].as_array()?;
    let every = (steps.len() / 100).max(1);
    let points = steps
        .iter()
        .step_by(every)
        .filter_map(|s| Some((s["step"].as_f64()? + 1.0, s["acc"].as_f64()?)))
        .collect();
    Some(rm::Curve {
        title: format!("{}: training accuracy", g.task),
        group: g.task.clone(),
        label: model_label(g),
        x_label: "step".into(),
        y_label: "training-batch accuracy".into(),
        points,
        not_applicable: None,
    })
}

/// Explanations and probes from one explain output directory.
fn explanations(
    g: &Group,
    dir: &Path,
    rows: usize,
) -> (Vec<rm::Explanation>, Option<rm::ProbeSeries>) {
    let mut out = Vec::new();
    let faith = read_json(&dir.join("faithfulness.json")).unwrap_or(Value::Null);
    let tokens: Vec<i64> = read_npy::<u32>(&dir.join("tokens.npy"))
        .map(|(_, v)| v.into_iter().map(i64::from).collect())
        .unwrap_or_default();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("attributions_") && n.ends_with(".npy"))
        })
        .collect();
    names.sort();
    for path in names {
        let method = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .trim_start_matches("attributions_")
            .to_string();
        let Ok((shape, values)) = read_npy::<f32>(&path) else {
            continue;
        };
        let (n, t) = (
            shape.first().copied().unwrap_or(0),
            shape.get(1).copied().unwrap_or(0),
        );
        if t == 0 {
            continue;
        }
        let values: Vec<Vec<f64>> = (0..n.min(rows))
            .map(|i| {
                values[i * t..(i + 1) * t]
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            })
            .collect();
        let m = &faith["methods"][&method];
        out.push(rm::Explanation {
            task: g.task.clone(),
            model: model_label(g),
            method,
            tokens: tokens.iter().take(t).copied().collect(),
            values,
            ground_truth: None,
            agreement: m["ground_truth_agreement"].as_f64(),
            deletion_auc: m["deletion_auc"].as_f64(),
        });
    }
    let probe = read_json(&dir.join("probes.json")).map(|p| rm::ProbeSeries {
        task: g.task.clone(),
        model: model_label(g),
        layer_acc: p["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| Some((l["layer"].as_u64()? as u32, l["acc"].as_f64()?)))
            .collect(),
        chance: p["chance"].as_f64().unwrap_or(0.0),
    });
    (out, probe)
}

/// Metrics a real-data table shows, in order, with their headings.
const REAL_METRICS: &[(&str, &str)] = &[
    ("acc", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("majority_acc", "majority class"),
    ("rmse", "RMSE"),
    ("persistence_rmse", "RMSE, last value"),
    ("zero_rmse", "RMSE, zero"),
    ("mase", "MASE"),
    ("skill_vs_persistence", "skill vs last value"),
    ("skill_vs_zero", "skill vs zero"),
    ("fmax_w_mean", "F-max IA-weighted, mean"),
    ("fmax_w_bpo", "weighted BPO"),
    ("fmax_w_cco", "weighted CCO"),
    ("fmax_w_mfo", "weighted MFO"),
    ("fmax_mean", "F-max unweighted, mean"),
    ("fmax_bpo", "unweighted BPO"),
    ("fmax_cco", "unweighted CCO"),
    ("fmax_mfo", "unweighted MFO"),
    ("fmax_w_mean_short", "weighted, proteins <= crop"),
    ("fmax_w_mean_long", "weighted, proteins > crop"),
];

/// Baselines whose metrics sit beside a model's under a prefix
/// (`naive_fmax_w_mean`): one extra row per section, from its first model.
const BASELINE_ROWS: &[(&str, &str)] = &[
    ("naive_", "naive: training frequency of the same terms"),
    (
        "naive_all_",
        "naive: training frequency of every term (CAFA)",
    ),
];

/// What the data set is, from its `task.json`.
fn real_data_text(info: &Value) -> String {
    match info["task"].as_str().unwrap_or_default() {
        "prices" => format!(
            "Next-day log returns of {} from windows of {} days; trained on {} windows up to {}, tested on {} days from {} to {}. The scaler saw the training period only. Forecasts are scored against repeating the last return and against a zero return (tomorrow's price = today's).",
            info["ticker"].as_str().unwrap_or("?"), info["length"], info["train_windows"], info["test_start"].as_str().unwrap_or("?"), info["test_windows"], info["test_start"].as_str().unwrap_or("?"), info["test_end"].as_str().unwrap_or("?")
        ),
        "heartbeats" => format!(
            "ECG beats ({}): classes {}; training beats cropped to {} samples, test beats whole ({}). Training class counts {}, test {}. Accuracy flatters the majority class, so macro-F1 is shown beside it.",
            info["dataset"].as_str().unwrap_or("?"), info["class_names"], info["train_length"], info["length"], info["train_class_counts"], info["test_class_counts"]
        ),
        "ecg_record" => format!(
            "A raw ECG record: {} beats found by Pan–Tompkins (drawn below). The record has no beat labels, so the models forecast: from {}-sample windows (125 Hz) they predict the next {} samples, a regression scored in standardised units against persistence (holding the last sample) on the last part of the record, which no model or scaler saw.",
            info["beats"], info["length"], info["horizon"]
        ),
        "go_terms" => format!(
            "GO-term prediction on {} Swiss-Prot proteins ({}): the {} most frequent training terms of each ontology (roots excluded; {} in all) after propagation over is_a + part_of with {} ({}), predicted at the last residue. Trained on the first {} residues, tested on {} proteins up to {} residues ({} longer than the crop). CAFA F-max per ontology, scores propagated to ancestors; IA {}. The naive rows give every test protein each term's training frequency.",
            info["train_proteins"].as_u64().unwrap_or(0) + info["test_proteins"].as_u64().unwrap_or(0), info["files"], info["top_k"], info["n_states"], info["ontology"].as_str().unwrap_or("?"), info["ontology_version"].as_str().unwrap_or("?"), info["crop"], info["test_proteins"], info["max_len"], info["test_longer_than_crop"], info["ia_source"].as_str().unwrap_or("?")
        ),
        "pfam" => format!(
            "Pfam family classification: {} families ({}), trained on the first {} residues of each sequence and tested on whole sequences (up to {}).",
            info["n_states"], info["class_names"], info["train_length"], info["length"]
        ),
        _ => String::new(),
    }
}

/// Beats shown in the figure of a record's detected beats.
const BEATS_SHOWN: usize = 8;

/// The detected beats of an `ecg_record` data set (its `beats.npy`): the
/// first [`BEATS_SHOWN`] and the pointwise median of all, each up to its own
/// length (the zero padding is not signal). Empty when the directory has no
/// beats, so other data sets pass through.
fn beat_curves(dir: &Path) -> Vec<rm::Curve> {
    let Ok((shape, flat)) = read_npy::<f32>(&dir.join("beats.npy")) else {
        return Vec::new();
    };
    let (n, len) = match shape[..] {
        [n, len] if n > 0 && len > 0 => (n, len),
        _ => return Vec::new(),
    };
    let lengths: Vec<usize> = read_json(&dir.join("beats.json"))
        .and_then(|j| {
            j["lengths"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_u64().map(|x| x as usize))
                    .collect()
            })
        })
        .unwrap_or_else(|| vec![len; n]);
    let ms = 1000.0 / crate::datasets::ecg::beats::KACHUEE_FS;
    let curve = |label: String, ys: &[f32], upto: usize| rm::Curve {
        title: format!("Detected beats ({n} in all), aligned at their R peak"),
        group: "detected beats".into(),
        label,
        x_label: "time after the R peak (ms)".into(),
        y_label: "amplitude, each beat scaled to [0, 1]".into(),
        points: ys[..upto.min(len)]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64 * ms, y as f64))
            .collect(),
        not_applicable: None,
    };
    let mut curves: Vec<rm::Curve> = (0..n.min(BEATS_SHOWN))
        .map(|i| {
            let upto = lengths.get(i).copied().unwrap_or(len);
            curve(
                format!("beat {}", i + 1),
                &flat[i * len..(i + 1) * len],
                upto,
            )
        })
        .collect();
    // The median at each time over the beats that last that long (padding is
    // not signal), drawn while at least half of them do.
    let median: Vec<f32> = (0..len)
        .map_while(|j| {
            let mut col: Vec<f32> = (0..n)
                .filter(|&i| lengths.get(i).copied().unwrap_or(len) > j)
                .map(|i| flat[i * len + j])
                .collect();
            (2 * col.len() >= n).then(|| {
                col.sort_by(f32::total_cmp);
                col[col.len() / 2]
            })
        })
        .collect();
    curves.push(curve("median of all beats".into(), &median, median.len()));
    curves
}

/// A forecast's RMSE at each step ahead (its `regression.json`), and
/// persistence's once per section (when `existing` lacks it).
fn step_curves(model: &str, r: &Value, existing: &[rm::Curve]) -> Vec<rm::Curve> {
    let curve = |label: &str, key: &str| {
        let points: Vec<(f64, f64)> = r[key]
            .as_array()?
            .iter()
            .enumerate()
            .filter_map(|(j, v)| Some(((j + 1) as f64, v.as_f64()?)))
            .collect();
        (!points.is_empty()).then(|| rm::Curve {
            title: "Forecast error by step ahead".into(),
            group: "forecast error by step".into(),
            label: label.into(),
            x_label: "samples ahead".into(),
            y_label: "RMSE (standardised)".into(),
            points,
            not_applicable: None,
        })
    };
    let mut out: Vec<rm::Curve> = curve(model, "rmse_by_step").into_iter().collect();
    if !existing.iter().any(|c| c.label == "persistence") {
        out.extend(curve("persistence", "persistence_rmse_by_step"));
    }
    out
}

/// One section per real data set among the groups.
fn real_data_sections(groups: &[Group], cells: &[Cell], axes: &Axes) -> Vec<rm::RealDataSection> {
    let mut out: Vec<rm::RealDataSection> = Vec::new();
    for g in groups {
        let cs = cells_of(cells, g, axes);
        let Some(info) = cs.first().and_then(|c| c.data_info.clone()) else {
            continue;
        };
        if crate::study::collect::real_data_label(&info).is_none() {
            continue;
        }
        let shown: Vec<&(&str, &str)> = REAL_METRICS
            .iter()
            .filter(|(k, _)| g.metrics.contains_key(*k))
            .collect();
        let idx = match out.iter().position(|s| s.dataset == g.task) {
            Some(i) => i,
            None => {
                let mut header = vec!["model".to_string()];
                header.extend(shown.iter().map(|(_, h)| h.to_string()));
                let beats = cs.first().and_then(|c| c.data_dir.as_deref());
                out.push(rm::RealDataSection {
                    dataset: g.task.clone(),
                    text: real_data_text(&info),
                    table_header: header,
                    table_rows: Vec::new(),
                    curves: beats.map(beat_curves).unwrap_or_default(),
                });
                out.len() - 1
            }
        };
        let mut row = vec![model_label(g)];
        for (k, _) in &shown {
            let v = g.metrics[*k].mean;
            row.push(if k.ends_with("acc") || *k == "macro_f1" {
                format!("{:.1}%", 100.0 * v)
            } else {
                format!("{v:.4}")
            });
        }
        out[idx].table_rows.push(row);
        let regression = cs.first().and_then(|c| {
            let dir = c
                .extra_dirs
                .iter()
                .find(|d| d.join("regression.json").is_file())?;
            read_json(&dir.join("regression.json"))
        });
        if let Some(r) = regression {
            let curves = step_curves(&model_label(g), &r, &out[idx].curves);
            out[idx].curves.extend(curves);
        }
        let fmt = |k: &str, v: f64| {
            if k.ends_with("acc") || k == "macro_f1" {
                format!("{:.1}%", 100.0 * v)
            } else {
                format!("{v:.4}")
            }
        };
        // Baselines once per section, the first time a model carries them.
        for (prefix, label) in BASELINE_ROWS {
            let has = shown
                .iter()
                .any(|(k, _)| g.metrics.contains_key(&format!("{prefix}{k}")));
            if !has || out[idx].table_rows.iter().any(|r| r[0] == *label) {
                continue;
            }
            let mut row = vec![label.to_string()];
            for (k, _) in &shown {
                row.push(
                    g.metrics
                        .get(&format!("{prefix}{k}"))
                        .map_or("–".to_string(), |s| fmt(k, s.mean)),
                );
            }
            out[idx].table_rows.push(row);
        }
    }
    // Baseline rows last, below every model.
    for s in &mut out {
        let (base, models): (Vec<_>, Vec<_>) = s
            .table_rows
            .drain(..)
            .partition(|r| BASELINE_ROWS.iter().any(|(_, l)| r[0] == *l));
        s.table_rows = models.into_iter().chain(base).collect();
    }
    out
}

/// Builds the report's input from the gathered results.
pub fn build_input(ctx: &RunContext<'_>) -> anyhow::Result<rm::ReportInput> {
    let p = ctx.params;
    let axes = Axes::default();
    let collected = collect(ctx.inputs)?;
    let groups = aggregate(&collected.cells, &axes);
    let seconds: BTreeMap<String, f64> = ctx
        .upstream
        .iter()
        .filter(|u| u.kind == "train")
        .filter_map(|u| Some((u.instance.clone(), u.seconds?)))
        .collect();
    let mut input = rm::ReportInput {
        title: p["title"].as_str().unwrap_or_default().to_string(),
        pipeline: ctx.pipeline.to_string(),
        intro: p["intro"].as_str().unwrap_or_default().to_string(),
        ..Default::default()
    };
    let tasks: Vec<String> = groups.iter().map(|g| g.task.clone()).collect();
    input.paper_table = crate::report::paper::liu_table1()
        .into_iter()
        .filter(|r| tasks.contains(&r.task))
        .collect();
    let rows = p["explain_examples"].as_u64().unwrap_or(4) as usize;
    for g in &groups {
        let cells = cells_of(&collected.cells, g, &axes);
        let Some(acc) = g.metrics.get("acc") else {
            continue;
        };
        if let Some(d) = g.depth {
            input.depth_table.push(rm::DepthCell {
                task: g.task.clone(),
                arch: g.arch.clone(),
                depth: d,
                acc_mean: acc.mean,
                acc_best: acc.max,
                n_seeds: acc.n as u32,
            });
        }
        let train_s: Vec<f64> = cells
            .iter()
            .filter_map(|c| seconds.get(&c.coords.instance_name("train")).copied())
            .collect();
        input.results.push(rm::ResultRow {
            task: g.task.clone(),
            model: model_label(g),
            params: g
                .coords
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            acc_mean: acc.mean,
            acc_min: acc.min,
            acc_max: acc.max,
            ci95: acc.ci95,
            n_seeds: acc.n as u32,
            train_seconds: (!train_s.is_empty())
                .then(|| train_s.iter().sum::<f64>() / train_s.len() as f64),
        });
        let (length, p1) = generalization_curves(g, &cells);
        input.length_curves.extend(length);
        input.p1_curves.extend(p1);
        if let Some(c) = cells.first().and_then(|c| training_curve(g, c)) {
            input.training_curves.push(c);
        }
        if let Some(dir) = cells.first().and_then(|c| {
            c.extra_dirs
                .iter()
                .find(|d| d.join("explain.json").is_file())
        }) {
            let (ex, probe) = explanations(g, dir, rows);
            input.explanations.extend(ex);
            input.probes.extend(probe);
        }
    }
    input.real_data = real_data_sections(&groups, &collected.cells, &axes);
    // A real data set's accuracy-by-crop-length curves belong to its own
    // section, not beside the automata's.
    let (real, automata): (Vec<rm::Curve>, Vec<rm::Curve>) =
        std::mem::take(&mut input.length_curves)
            .into_iter()
            .partition(|c| input.real_data.iter().any(|s| s.dataset == c.group));
    input.length_curves = automata;
    for c in real {
        if let Some(s) = input.real_data.iter_mut().find(|s| s.dataset == c.group) {
            s.curves.push(c);
        }
    }
    input.min_depth = min_depths(&groups, "acc", &[0.95, 0.99])
        .into_iter()
        .filter(|m| m.arch.starts_with("transformer"))
        .map(|m| rm::MinDepthRow {
            task: m.task,
            arch: m.arch,
            threshold: m.threshold,
            best_of_seeds: m.best_of_seeds,
            mean_over_seeds: m.mean_over_seeds,
            paper: m.paper,
        })
        .collect();
    for t in &collected.timing {
        let family = t.timing["family"].as_str().unwrap_or("model").to_string();
        for (metric, key, exp) in [
            ("train step", "train_step_ms", "train_exponent"),
            ("inference", "infer_ms", "infer_exponent"),
        ] {
            input.timing.push(rm::TimingSeries {
                family: family.clone(),
                metric: metric.into(),
                points: t.timing["points"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|pt| Some((pt["length"].as_f64()?, pt[key].as_f64()?)))
                    .collect(),
                exponent: t.timing[exp].as_f64(),
            });
        }
    }
    input.provenance = ctx
        .upstream
        .iter()
        .map(|u| rm::ProvenanceRow {
            instance: u.instance.clone(),
            kind: u.kind.clone(),
            cache_key: u.key.clone().unwrap_or_else(|| format!("tree {}", u.tree)),
            params: Value::Object(u.params.clone()),
            duration_s: u.seconds,
        })
        .collect();
    input.versions = rm::Versions {
        seqlab: env!("CARGO_PKG_VERSION").into(),
        burn: crate::BURN_VERSION.into(),
        backend: ctx.settings.backend.clone(),
        generated_at: crate::cache::index::now_utc_text(),
    };
    input.notes = p["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    Ok(input)
}

/// Where the report of `params` is published, relative to the working directory.
pub fn publish_dir(params: &JsonMap, pipeline: &str) -> PathBuf {
    PathBuf::from(
        params["dir"]
            .as_str()
            .unwrap_or("reports/{pipeline}")
            .replace("{pipeline}", pipeline),
    )
}

impl StageKind for ReportKind {
    fn name(&self) -> &'static str {
        "report"
    }

    fn version(&self) -> u32 {
        4
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn wants_provenance(&self) -> bool {
        true
    }

    fn publish_dir(&self, params: &JsonMap, pipeline: &str) -> Option<PathBuf> {
        Some(publish_dir(params, pipeline))
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let input = build_input(ctx)?;
        std::fs::write(
            ctx.out_dir.join("report_input.json"),
            serde_json::to_vec_pretty(&input)?,
        )?;
        let rendered = crate::report::write(&input, ctx.out_dir)?;
        tracing::info!("{}: {} figures", ctx.instance, rendered.figures.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::npy::write_npy;

    #[test]
    fn beat_figure_draws_eight_beats_and_the_median_without_padding() {
        let dir = tempfile::tempdir().unwrap();
        // 10 beats of 6 samples: beat i is i/10 everywhere, but the first
        // two end after 2 samples (then zero padding).
        let (n, len) = (10, 6);
        let flat: Vec<f32> = (0..n)
            .flat_map(|i| {
                (0..len).map(move |j| {
                    if i < 2 && j >= 2 {
                        0.0
                    } else {
                        i as f32 / 10.0
                    }
                })
            })
            .collect();
        write_npy(&dir.path().join("beats.npy"), &[n, len], &flat).unwrap();
        let lengths: Vec<usize> = (0..n).map(|i| if i < 2 { 2 } else { len }).collect();
        std::fs::write(
            dir.path().join("beats.json"),
            json!({ "lengths": lengths }).to_string(),
        )
        .unwrap();
        let curves = beat_curves(dir.path());
        assert_eq!(curves.len(), BEATS_SHOWN + 1);
        assert_eq!(curves[0].points.len(), 2, "beat 1 stops at its length");
        assert_eq!(curves[2].points.len(), 6);
        assert_eq!(
            curves[2].points[1],
            (8.0, 0.2f32 as f64),
            "x in ms at 125 Hz"
        );
        let median = &curves[BEATS_SHOWN];
        // positions 0-1: median of 0.0..0.9 -> the upper middle, 0.5;
        // later ones: of beats 2..9 only -> 0.6
        assert!(
            (median.points[0].1 - 0.5).abs() < 1e-6,
            "{:?}",
            median.points
        );
        assert!(
            (median.points[5].1 - 0.6).abs() < 1e-6,
            "{:?}",
            median.points
        );
        assert!(beat_curves(&dir.path().join("absent")).is_empty());
    }
}
