//! The report's input ([`rm::ReportInput`]) from a study's gathered results:
//! tables, curves, explanations and provenance.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::real_data::real_data_sections;
use super::ReportParams;
use crate::datasets::npy::read_npy;
use crate::kind::{RunContext, TaskInfo};
use crate::report::model as rm;
use crate::report::sections::findings::{family, split_length};
use crate::study::{
    aggregate, collect, depth_against_length, min_depths, paper_agreement, Axes, Cell, Group,
};

pub(super) fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// A group's model as the page names it: the architecture without the
/// training-length coordinate (shown as T beside it), with its depth where
/// depth is the question (a Transformer, or another family deeper than 1).
pub(super) fn model_label(g: &Group) -> String {
    let arch = split_length(&g.arch).0;
    match g.depth {
        Some(1) if family(&arch) != "transformer" => arch,
        Some(d) => format!("{arch} L={d}"),
        None => arch,
    }
}

/// The training length T of a group's cells (the automaton's length, where
/// the data is an automaton; else the `length` coordinate).
fn train_length(cells: &[&Cell]) -> Option<u32> {
    cells
        .iter()
        .find_map(|c| match c.data_info.as_ref()? {
            TaskInfo::Automaton(a) => Some(a.params.length as u32),
            _ => None,
        })
        .or_else(|| {
            cells
                .first()
                .and_then(|c| c.coords.0.get("length")?.as_u64())
                .map(|t| t as u32)
        })
}

/// The cells of a group (same coordinates except the seed).
pub(super) fn cells_of<'a>(cells: &'a [Cell], g: &Group, axes: &Axes) -> Vec<&'a Cell> {
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
                    .filter_map(|pt| Some((pt[x].as_f64()?, pt["acc"].as_f64()?)))
                    .collect()
            })
            .collect()
    };
    let reason = lgs[0]["by_length"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|pt| pt["not_applicable"].as_str().map(str::to_string));
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

/// The training curve of a group: the mean over its seeds at each logged
/// step (a seed that stopped early counts until its last step), thinned to
/// about 100 points.
fn training_curve(g: &Group, cells: &[&Cell]) -> Option<rm::Curve> {
    let series: Vec<Vec<(f64, f64)>> = cells
        .iter()
        .filter_map(|c| {
            let curve = read_json(&c.train_dir.as_ref()?.join("curve.json"))?;
            Some(
                curve["steps"]
                    .as_array()?
                    .iter()
                    .filter_map(|s| Some((s["step"].as_f64()? + 1.0, s["acc"].as_f64()?)))
                    .collect(),
            )
        })
        .collect();
    let all = mean_points(&series);
    if all.is_empty() {
        return None;
    }
    let every = (all.len() / 100).max(1);
    let last = all.len() - 1;
    let points = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == last)
        .map(|(_, p)| p)
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

/// The ground-truth positions of each explained example, as the explain
/// stage scored them (same rule, same targets): `None` when the task has no
/// ground truth or the files are missing.
fn ground_truth(info: Option<&TaskInfo>, dir: &Path) -> Option<Vec<Vec<bool>>> {
    let auto = info?.automaton()?;
    let task = auto.params.task().ok()?;
    let (shape, tokens) = read_npy::<u32>(&dir.join("tokens.npy")).ok()?;
    let (_, labels) = read_npy::<u32>(&dir.join("labels.npy")).ok()?;
    let (n, t) = (*shape.first()?, *shape.get(1)?);
    let summary = read_json(&dir.join("explain.json"))?;
    let targets: Vec<Vec<(usize, usize)>> =
        serde_json::from_value(summary["targets"].clone()).ok()?;
    let vocab = tokens.iter().copied().max().map_or(1, |m| m as usize + 1);
    let ex = crate::explain::Examples::new(tokens, labels, n, t, vocab).ok()?;
    let sel = crate::explain::Selection {
        n,
        t,
        classes: 0,
        weights: Vec::new(),
        targets,
    };
    let gt = crate::explain::ground_truth(&task, &ex, &sel)?;
    Some(
        gt.sets
            .iter()
            .map(|set| {
                let mut row = vec![false; t];
                for &p in set.iter().flatten() {
                    if p < t {
                        row[p] = true;
                    }
                }
                row
            })
            .collect(),
    )
}

/// Explanations and probes from one explain output directory.
fn explanations(
    g: &Group,
    dir: &Path,
    rows: usize,
    info: Option<&TaskInfo>,
) -> (Vec<rm::Explanation>, Option<rm::ProbeSeries>) {
    let mut out = Vec::new();
    let faith = read_json(&dir.join("faithfulness.json")).unwrap_or(Value::Null);
    let tokens: Vec<i64> = read_npy::<u32>(&dir.join("tokens.npy"))
        .map(|(_, v)| v.into_iter().map(i64::from).collect())
        .unwrap_or_default();
    let gt = ground_truth(info, dir);
    let chance = faith["ground_truth_chance"].as_f64();
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
            ground_truth: gt
                .as_ref()
                .filter(|g| g.len() >= values.len())
                .map(|g| g[..values.len()].to_vec()),
            values,
            agreement: m["ground_truth_agreement"].as_f64(),
            deletion_auc: m["deletion_auc"].as_f64(),
            agreement_chance: chance,
        });
    }
    let probe = read_json(&dir.join("probes.json")).map(|probes| rm::ProbeSeries {
        task: g.task.clone(),
        model: model_label(g),
        layer_acc: probes["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| Some((l["layer"].as_u64()? as u32, l["acc"].as_f64()?)))
            .collect(),
        chance: probes["chance"].as_f64().unwrap_or(0.0),
    });
    (out, probe)
}

/// Builds the report's input from the gathered results.
pub fn build_input(ctx: &RunContext<'_>, p: &ReportParams) -> anyhow::Result<rm::ReportInput> {
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
        title: p.title.clone(),
        pipeline: ctx.pipeline.to_string(),
        intro: p.intro.clone(),
        ..Default::default()
    };
    let tasks: Vec<String> = groups.iter().map(|g| g.task.clone()).collect();
    input.paper_table = crate::report::paper::liu_table1()
        .into_iter()
        .filter(|r| tasks.contains(&r.task))
        .collect();
    let rows = p.explain_examples;
    for g in &groups {
        let cells = cells_of(&collected.cells, g, &axes);
        let Some(acc) = g.metrics.get("acc") else {
            continue;
        };
        let length = train_length(&cells);
        if let Some(d) = g.depth {
            input.depth_table.push(rm::DepthCell {
                task: g.task.clone(),
                arch: split_length(&g.arch).0,
                depth: d,
                acc_mean: acc.mean,
                acc_best: acc.max,
                n_seeds: acc.n as u32,
                length,
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
            length,
        });
        let (length, p1) = generalization_curves(g, &cells);
        input.length_curves.extend(length);
        input.p1_curves.extend(p1);
        if let Some(c) = training_curve(g, &cells) {
            input.training_curves.push(c);
        }
        let explained = cells.iter().find_map(|c| {
            let dir = c
                .extra_dirs
                .iter()
                .find(|d| d.join("explain.json").is_file())?;
            Some((dir, c.data_info.as_ref()))
        });
        if let Some((dir, info)) = explained {
            let (ex, probe) = explanations(g, dir, rows, info);
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
    let mut min = min_depths(&groups, "acc", &[0.95, 0.99]);
    // A length axis labels an architecture `length=16 transformer`: give
    // such Transformers the paper's depth too (the study's tables only
    // recognise labels that start with the family).
    for m in min.iter_mut().filter(|m| m.paper.is_none()) {
        if family(&m.arch) == "transformer" {
            m.paper = crate::study::paper::min_depth(&m.task, m.threshold);
        }
    }
    input.length_anchors = super::readouts::length_anchors(&groups);
    input.paper_agreement = paper_agreement(&min)
        .into_iter()
        .filter(|a| family(&a.arch) == "transformer")
        .collect();
    input.min_depth = min
        .into_iter()
        .filter(|m| family(&m.arch) == "transformer")
        .map(|m| {
            let (arch, length) = split_length(&m.arch);
            rm::MinDepthRow {
                task: m.task,
                arch,
                threshold: m.threshold,
                best_of_seeds: m.best_of_seeds,
                mean_over_seeds: m.mean_over_seeds,
                paper: m.paper,
                depths_tried: m.depths_tried,
                length,
            }
        })
        .collect();
    input.depth_length =
        depth_against_length(&collected.cells, &axes, crate::study::prefix::THRESHOLD)
            .into_iter()
            .map(|mut r| {
                // the length is the row's own field
                r.arch = split_length(&r.arch).0;
                r
            })
            .collect();
    for t in &collected.timing {
        let family = t.timing["family"].as_str().unwrap_or("model").to_string();
        // the shapes the instance built: its params
        let cost = ctx
            .upstream
            .iter()
            .filter(|u| u.kind == "timing")
            .find(|u| {
                u.params.get("model").and_then(Value::as_str) == Some(family.as_str())
                    && t.coords
                        .0
                        .iter()
                        .all(|(k, v)| u.params.get(k).is_none_or(|p| p == v) || k == "model")
            })
            .and_then(|u| super::cost::cost_model(&u.params));
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
                cost: cost.clone(),
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
        backend: ctx.settings.backend.as_str().into(),
        generated_at: crate::clock::now_utc_text(),
    };
    input.notes = p.notes.clone();
    Ok(input)
}
