//! `seqlab compare`: metrics and params side by side, across the instances of
//! a sweep (what `dvc exp show` gives) or between two recorded runs (what
//! `dvc metrics diff` gives), as a terminal table or CSV.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::cache::Cache;
use crate::exec::{run_plan, RunOptions};
use crate::kind::{display, Settings};
use crate::plan::Plan;
use crate::study::tables::{csv_field, text_table};

/// A table of text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn text(&self) -> String {
        text_table(&self.header, &self.rows)
    }

    pub fn csv(&self) -> String {
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            out.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

/// The flat numeric `metrics.json` of an output tree, if it has one.
pub(crate) fn tree_metrics(cache: &Cache, tree: &str) -> Option<BTreeMap<String, f64>> {
    let bytes = cache.store.read_file(tree, "metrics.json").ok()??;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    Some(
        v.as_object()?
            .iter()
            .filter_map(|(k, x)| x.as_f64().map(|f| (k.clone(), f)))
            .collect(),
    )
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e12 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

/// One row per cached instance of `stages` (all stages with metrics when
/// empty): the coordinates and params that vary between the rows, then every
/// metric. Instances not yet run are listed with empty metrics.
pub fn sweep(
    cache: &Cache,
    plan: &Plan,
    settings: &Settings,
    stages: &[String],
) -> anyhow::Result<Table> {
    let opts = RunOptions {
        dry_run: true,
        settings: settings.clone(),
        jobs: 1,
        ..RunOptions::default()
    };
    let report = run_plan(cache, plan, &opts)?;
    let mut rows = Vec::new();
    for (inst, o) in plan.instances.iter().zip(&report.outcomes) {
        if !stages.is_empty() && !stages.contains(&inst.stage) {
            continue;
        }
        let metrics = o.tree().and_then(|t| tree_metrics(cache, t));
        if stages.is_empty() && metrics.is_none() {
            continue;
        }
        rows.push((inst, metrics.unwrap_or_default(), o.tree().is_some()));
    }
    // Columns: params that differ between rows (coordinates included).
    let mut varying: Vec<String> = Vec::new();
    for (inst, _, _) in &rows {
        for k in inst.params.keys() {
            if k == "cmd" || varying.contains(k) {
                continue;
            }
            let first = rows[0].0.params.get(k);
            if rows.iter().any(|(i, _, _)| i.params.get(k) != first) {
                varying.push(k.clone());
            }
        }
    }
    let metric_names: BTreeSet<String> = rows
        .iter()
        .flat_map(|(_, m, _)| m.keys().cloned())
        .collect();
    let mut header = vec!["instance".to_string()];
    header.extend(varying.iter().cloned());
    header.extend(metric_names.iter().cloned());
    let rows = rows
        .iter()
        .map(|(inst, m, cached)| {
            let mut r = vec![inst.name.clone()];
            for k in &varying {
                r.push(inst.params.get(k).map(display).unwrap_or_default());
            }
            for k in &metric_names {
                r.push(match m.get(k) {
                    Some(v) => number(*v),
                    None if !cached => "(not run)".into(),
                    None => String::new(),
                });
            }
            r
        })
        .collect();
    Ok(Table { header, rows })
}

/// Every metric of every instance recorded in either run: its value in each
/// and the change (`dvc metrics diff`).
pub(crate) fn between_runs(
    cache: &Cache,
    a: i64,
    b: i64,
    stages: &[String],
) -> anyhow::Result<Table> {
    let index = cache.index()?;
    let load = |run: i64| -> anyhow::Result<BTreeMap<String, BTreeMap<String, f64>>> {
        let results = index.run_results(run)?;
        if results.is_empty() {
            anyhow::bail!("run {run} has no recorded results (see `seqlab log` for run ids)");
        }
        Ok(results
            .into_iter()
            .filter(|(inst, _)| {
                stages.is_empty()
                    || stages
                        .iter()
                        .any(|s| inst == s || inst.starts_with(&format!("{s}[")))
            })
            .filter_map(|(inst, tree)| tree_metrics(cache, &tree).map(|m| (inst, m)))
            .collect())
    };
    let (ma, mb) = (load(a)?, load(b)?);
    let instances: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    let header = [
        "instance",
        "metric",
        &format!("run {a}"),
        &format!("run {b}"),
        "change",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = Vec::new();
    for inst in instances {
        let empty = BTreeMap::new();
        let (x, y) = (
            ma.get(inst).unwrap_or(&empty),
            mb.get(inst).unwrap_or(&empty),
        );
        let names: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for n in names {
            let (va, vb) = (x.get(n), y.get(n));
            let show = |v: Option<&f64>| v.map(|v| number(*v)).unwrap_or_else(|| "-".into());
            let change = match (va, vb) {
                (Some(p), Some(q)) if p == q => "0".into(),
                (Some(p), Some(q)) => format!("{:+.4}", q - p),
                _ => "-".into(),
            };
            rows.push(vec![inst.clone(), n.clone(), show(va), show(vb), change]);
        }
    }
    Ok(Table { header, rows })
}
