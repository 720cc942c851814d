//! The `evaluate` kind on a `go_terms` data set: CAFA F-max of the model's
//! GO-term scores on the test proteins, beside the naive baseline.
//!
//! Scores are the sigmoids of the model's K outputs at each protein's last
//! residue, propagated to ancestors among the K terms (a parent scores at
//! least its best child; [`fmax`] propagates again over the whole graph,
//! which changes nothing). The ground truth is every propagated annotation of
//! each test protein (`test_truth.tsv`), not only the K columns, so a model
//! limited to K terms loses recall as CAFA would count it.
//!
//! F-max, IA-weighted and unweighted, per ontology and their mean, with
//! [`fmax::evaluate`] under cafaeval's rules (default [`FmaxConfig`]). Two
//! naive baselines: every test protein gets each term's training frequency,
//! over the same K terms (`naive_*`, the like-for-like comparison) and over
//! every training term (`naive_all_*`, CAFA's naive). Length view: the same
//! F-max on test proteins no longer than the training crop (`*_short`) and
//! longer (`*_long`).
//!
//! Chunked test proteins (`go_terms` with `policy: chunk`: `task.json` has
//! a `policy`, `test_protein.npy` names each test row's protein): each
//! protein's chunk scores are combined with the policy's `reduce` (max or
//! mean of the sigmoids) before propagation and F-max ([`protein_scores`]);
//! every row is at most one window long, so every family, the MLP included,
//! reads whole proteins. `go_eval.json` gets the `policy`, `test_view` says
//! how the proteins were read, and `metrics.json` adds `n_test_rows`.
//!
//! Under crop (the default, no `policy` in `task.json`) a model with a fixed
//! maximum length (the MLP: parameters per position, built for the training
//! crop) is scored on the first `max_len` residues of every test protein;
//! `go_eval.json` says so (`test_view`). The outputs under crop are what
//! they were before chunking existed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::datasets::npy::read_npy;
use crate::datasets::protein::crop::{aggregate_items, ChunkReduce};
use crate::datasets::protein::fmax::{self, FmaxConfig, FmaxReport};
use crate::datasets::protein::{ia, GoAnnotations, GoGraph, GoId, Predictions};
use crate::datasets::{SequenceData, Target};
use crate::kind::task::ChunkInfo;
use crate::kind::{RunContext, TaskInfo};
use crate::models::{Model, ModelConfig};
use crate::train::{masked_outputs, SeqDataset};

fn tsv_rows(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect())
}

fn go_id(s: &str, path: &Path) -> anyhow::Result<GoId> {
    GoId::parse(s).with_context(|| format!("{}: `{s}` is not a GO id", path.display()))
}

/// The first `max` positions of every row, the mask moved to each row's last
/// kept residue.
fn first_residues(d: &SequenceData, max: usize) -> SequenceData {
    let mut out = SequenceData {
        n: d.n,
        t: max,
        inputs: Vec::with_capacity(d.n * max),
        target: d.target.clone(),
        mask: Vec::with_capacity(d.n * max),
    };
    for r in 0..d.n {
        let row = &d.mask[r * d.t..(r + 1) * d.t];
        let len = row.iter().rposition(|&m| m != 0).map_or(d.t, |p| p + 1);
        let keep = len.min(max);
        out.inputs
            .extend_from_slice(&d.inputs[r * d.t..r * d.t + max.min(d.t)]);
        out.inputs.resize((r + 1) * max, 0);
        out.mask.extend((0..max).map(|i| u8::from(i + 1 == keep)));
    }
    out
}

/// Per-protein scores, `n_proteins x K` flat: the sigmoids of each row's
/// logits (`rows[i]`, for protein `protein_of[i]`), combined per protein with
/// `reduce`, then propagated (a term scores at least its best descendant
/// among the K; `ancestors[j]`: the columns of term j's ancestors). Reducing
/// first is what a protein-level prediction means: under `mean` a parent's
/// score is the larger of its own mean and its children's means, not the
/// mean of per-chunk maxima. One row per protein with `Max` is the crop path.
pub(crate) fn protein_scores(
    rows: &[Vec<f32>],
    protein_of: &[usize],
    n_proteins: usize,
    reduce: ChunkReduce,
    ancestors: &[Vec<usize>],
) -> Vec<f32> {
    let k = ancestors.len();
    let sig: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| r.iter().map(|&x| 1.0 / (1.0 + (-x).exp())).collect())
        .collect();
    let combined = aggregate_items(protein_of, &sig, n_proteins, reduce);
    let mut scores = vec![0f32; n_proteins * k];
    for (p, raw) in combined.iter().enumerate() {
        if raw.is_empty() {
            continue;
        }
        let s = &mut scores[p * k..(p + 1) * k];
        s.copy_from_slice(raw);
        for (j, anc) in ancestors.iter().enumerate() {
            for &a in anc {
                s[a] = s[a].max(raw[j]);
            }
        }
    }
    scores
}

/// Each test row's protein from `test_protein.npy`, checked against the
/// split's rows and the `n` proteins of `test_proteins.tsv`.
fn row_proteins(data_dir: &Path, rows: usize, n: usize) -> anyhow::Result<Vec<usize>> {
    let path = data_dir.join("test_protein.npy");
    let (shape, map) = read_npy::<u32>(&path).with_context(|| {
        format!(
            "reading {} (task.json says the test proteins are chunked; rerun the `go_terms` stage)",
            path.display()
        )
    })?;
    let map: Vec<usize> = map.into_iter().map(|x| x as usize).collect();
    let mut seen = vec![false; n];
    for &p in &map {
        if p >= n {
            bail!("{}: protein index {p} is past the {n} proteins of test_proteins.tsv; rerun the `go_terms` stage", path.display());
        }
        seen[p] = true;
    }
    if shape != [rows] || seen.contains(&false) {
        bail!("{}: {shape:?} entries for {rows} test rows, or a protein of test_proteins.tsv without a row; rerun the `go_terms` stage", path.display());
    }
    Ok(map)
}

/// Flat metrics of one report: `<prefix>fmax[_w]_<aspect>` and `_mean`.
fn flat(m: &mut Map<String, Value>, prefix: &str, suffix: &str, r: &FmaxReport) {
    let w = if r.weighted { "_w" } else { "" };
    for a in &r.aspects {
        m.insert(
            format!("{prefix}fmax{w}_{}{suffix}", a.aspect.code().to_lowercase()),
            json!(a.fmax),
        );
    }
    m.insert(format!("{prefix}fmax{w}_mean{suffix}"), json!(r.mean_fmax));
}

/// The reports without their 99-point curves (for the summary file).
fn brief(r: &FmaxReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    for a in v["aspects"].as_array_mut().into_iter().flatten() {
        a.as_object_mut().map(|o| o.remove("curve"));
    }
    v
}

/// Scores the model on the GO test split and writes `metrics.json`,
/// `go_eval.json`, `fmax_curves.json` and `predictions.tsv`.
pub fn run(
    ctx: &RunContext<'_>,
    data_dir: &Path,
    task: &TaskInfo,
    config: &ModelConfig,
    model: &Model,
    split: &str,
    batch: usize,
) -> anyhow::Result<()> {
    if split != "test" {
        bail!("GO F-max is scored on the test split (the ground truth is test_truth.tsv); remove `split: {split}`");
    }
    let TaskInfo::GoTerms(task) = task else {
        bail!(
            "{}: the test split has multi-label targets, but the data set is `{}`, not `go_terms`",
            data_dir.display(),
            task.name()
        );
    };
    let graph =
        GoGraph::read(&data_dir.join("go_subset.obo")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ia_w = ia::read(&data_dir.join("ia.tsv")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let columns: Vec<GoId> = task
        .terms
        .iter()
        .map(|t| go_id(&t.id, &data_dir.join(TaskInfo::FILE)))
        .collect::<anyhow::Result<_>>()?;
    let lengths_path = data_dir.join("test_proteins.tsv");
    let proteins: Vec<(String, usize)> = tsv_rows(&lengths_path)?
        .into_iter()
        .map(|r| {
            let len = r.get(1).and_then(|x| x.parse().ok()).with_context(|| {
                format!(
                    "{}: row for {} lacks a length",
                    lengths_path.display(),
                    r[0]
                )
            })?;
            Ok((r[0].clone(), len))
        })
        .collect::<anyhow::Result<_>>()?;
    let truth_path = data_dir.join("test_truth.tsv");
    let mut truth = GoAnnotations::new();
    for r in tsv_rows(&truth_path)? {
        let t = go_id(r.get(1).map_or("", |s| s.as_str()), &truth_path)?;
        let aspect = graph
            .aspect(t)
            .with_context(|| format!("{}: {t} is not in go_subset.obo", truth_path.display()))?;
        truth.insert(&r[0], t, aspect);
    }
    let freq_path = data_dir.join("train_frequencies.tsv");
    let freq: Vec<(GoId, f64)> = tsv_rows(&freq_path)?
        .iter()
        .map(|r| Ok((go_id(&r[0], &freq_path)?, r[2].parse::<f64>()?)))
        .collect::<anyhow::Result<_>>()?;

    // The test split, cut for a model built for a fixed length (never
    // under chunk: rows are at most the window the model was built for).
    let chunk: Option<ChunkInfo> = task.policy;
    let mut d = SequenceData::load(data_dir, "test")?;
    let protein_of = match chunk {
        Some(_) => row_proteins(data_dir, d.n, proteins.len())?,
        None => (0..d.n).collect(),
    };
    let mut test_view = match chunk {
        Some(c) => format!("whole proteins in chunks of {} residues starting every {} (the last aligned to the protein's end), each protein's chunk scores combined by {}", c.window, c.stride, c.reduce.chunk_reduce().name()),
        None => format!("whole proteins up to {} residues", d.t),
    };
    if let Some(max) = config.max_len().filter(|&m| m < d.t) {
        d = first_residues(&d, max);
        test_view = format!("the first {max} residues of each protein: the {} model has parameters only for its training length", config.family());
    }
    if (chunk.is_none() && d.n != proteins.len())
        || !matches!(&d.target, Target::MultiLabel { k, .. } if *k == columns.len())
    {
        bail!("{}: the test split does not match test_proteins.tsv and task.json (rerun the `go_terms` stage)", data_dir.display());
    }
    let n_rows = d.n;
    let out = masked_outputs(model, &SeqDataset::from_data(d)?, batch)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if out.k != columns.len()
        || out.at.len() != n_rows
        || out.at.iter().enumerate().any(|(i, &(r, _))| r != i)
    {
        bail!("the model gives {} outputs at {} positions; the GO task needs {} at one position per test row ({n_rows} rows)", out.k, out.at.len(), columns.len());
    }
    let col_of: BTreeMap<GoId, usize> = columns.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let ancestors: Vec<Vec<usize>> = columns
        .iter()
        .map(|&t| {
            graph
                .ancestors(t)
                .iter()
                .filter_map(|a| col_of.get(a).copied())
                .collect()
        })
        .collect();
    let k = columns.len();
    let rows: Vec<Vec<f32>> = (0..n_rows).map(|i| out.row(i).to_vec()).collect();
    let reduce = chunk.map_or(ChunkReduce::Max, |c| c.reduce.chunk_reduce());
    let scores = protein_scores(&rows, &protein_of, proteins.len(), reduce, &ancestors);
    let names: Vec<String> = proteins.iter().map(|p| p.0.clone()).collect();
    let model_pred = Predictions::from_dense(&names, &columns, &scores);
    let mut naive = Predictions::new();
    let mut naive_all = Predictions::new();
    let in_columns: HashSet<GoId> = columns.iter().copied().collect();
    for p in &names {
        for &(t, f) in &freq {
            naive_all.insert(p, t, f);
            if in_columns.contains(&t) {
                naive.insert(p, t, f);
            }
        }
    }

    let crop = task.crop;
    let subset = |keep: &dyn Fn(usize) -> bool| {
        let mut s = GoAnnotations::new();
        for (p, len) in &proteins {
            if keep(*len) {
                for &t in truth.terms(p).into_iter().flatten() {
                    s.insert(p, t, graph.aspect(t).expect("checked above"));
                }
            }
        }
        s
    };
    let short = subset(&|len| len <= crop);
    let long = subset(&|len| len > crop);
    let cfg = FmaxConfig::default();
    let mut metrics = Map::new();
    let mut reports = Map::new();
    let mut curves = Map::new();
    for (name, pred) in [
        ("", &model_pred),
        ("naive_", &naive),
        ("naive_all_", &naive_all),
    ] {
        for (suffix, gt) in [("", &truth), ("_short", &short), ("_long", &long)] {
            if gt.is_empty() || (name == "naive_all_" && !suffix.is_empty()) {
                continue;
            }
            for ia in [Some(&ia_w), None] {
                let r = fmax::evaluate(&graph, gt, pred, ia, &cfg);
                flat(&mut metrics, name, suffix, &r);
                let key = format!(
                    "{}{}{suffix}",
                    if name.is_empty() { "model_" } else { name },
                    if r.weighted { "weighted" } else { "unweighted" }
                );
                reports.insert(key.clone(), brief(&r));
                if suffix.is_empty() {
                    curves.insert(key, serde_json::to_value(&r)?);
                }
            }
        }
    }
    metrics.insert("n_test".into(), json!(proteins.len()));
    metrics.insert("n_short".into(), json!(short.len()));
    metrics.insert("n_long".into(), json!(long.len()));
    if chunk.is_some() {
        metrics.insert("n_test_rows".into(), json!(n_rows));
    }
    std::fs::write(
        ctx.out_dir.join("metrics.json"),
        serde_json::to_vec_pretty(&metrics)?,
    )?;
    let mut summary = json!({
        "test_view": test_view, "ia_source": task.ia_source, "crop": crop,
        "n_terms": k, "reports": reports,
        "baselines": {
            "naive": "each test protein scores each of the K label terms with its training frequency",
            "naive_all": "each test protein scores every training term with its training frequency (CAFA's naive)",
        },
    });
    if let Some(c) = chunk {
        summary["policy"] = json!({ "kind": "chunk", "window": c.window, "stride": c.stride, "reduce": c.reduce.chunk_reduce().name(), "test_rows": n_rows });
    }
    std::fs::write(
        ctx.out_dir.join("go_eval.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    std::fs::write(
        ctx.out_dir.join("fmax_curves.json"),
        serde_json::to_vec(&curves)?,
    )?;
    let mut tsv = Vec::new();
    model_pred.write_tsv(&mut tsv)?;
    std::fs::write(ctx.out_dir.join("predictions.tsv"), tsv)?;
    tracing::info!(
        "{}: F-max IA-weighted {:.3} (naive {:.3}), unweighted {:.3} (naive {:.3})",
        ctx.instance,
        metrics["fmax_w_mean"].as_f64().unwrap_or(f64::NAN),
        metrics["naive_fmax_w_mean"].as_f64().unwrap_or(f64::NAN),
        metrics["fmax_mean"].as_f64().unwrap_or(f64::NAN),
        metrics["naive_fmax_mean"].as_f64().unwrap_or(f64::NAN),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logit(p: f32) -> f32 {
        (p / (1.0 - p)).ln()
    }

    /// Column 0 is the parent of column 1. Protein 1 has two chunks (rows 0
    /// and 2), protein 0 one (row 1).
    fn scores(reduce: ChunkReduce) -> Vec<f32> {
        let rows = vec![
            vec![logit(0.2), logit(0.8)],
            vec![logit(0.5), logit(0.3)],
            vec![logit(0.6), logit(0.1)],
        ];
        protein_scores(&rows, &[1, 0, 1], 2, reduce, &[vec![], vec![0]])
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    #[test]
    fn chunk_scores_are_reduced_per_protein_then_propagated() {
        // Max: protein 1 = (max(.2, .6), max(.8, .1)) = (.6, .8); the parent
        // then takes its child's .8.
        let max = scores(ChunkReduce::Max);
        assert!(close(&max, &[0.5, 0.3, 0.8, 0.8]), "{max:?}");
        // Mean: (.4, .45), the parent .45. Propagating each chunk first would
        // give the parent mean(.8, .6) = .7 instead.
        let mean = scores(ChunkReduce::Mean);
        assert!(close(&mean, &[0.5, 0.3, 0.45, 0.45]), "{mean:?}");
    }

    #[test]
    fn one_row_per_protein_is_the_propagated_sigmoid() {
        let rows = vec![vec![logit(0.25), logit(0.75)]];
        let s = protein_scores(&rows, &[0], 1, ChunkReduce::Mean, &[vec![], vec![0]]);
        assert!(close(&s, &[0.75, 0.75]), "{s:?}");
    }
}
