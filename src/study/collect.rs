//! Read a sweep's gathered results back: one [`Cell`] per trained model
//! (its coordinates and the metrics of its train, evaluate and
//! length-generalization instances), plus timing series.
//!
//! A gathering stage receives one directory per upstream instance, named by
//! its coordinates (`task=parity,model=lstm,layers=1`); what an instance is
//! follows from its files, so the summary does not care what the stages are
//! called.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use super::paper::task_label;
use crate::datasets::automata::Task;
use crate::kind::{Coords, InputDir, TaskInfo};

/// One trained model's results.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub coords: Coords,
    /// Merged `metrics.json` values of the instances with these coordinates.
    pub metrics: BTreeMap<String, f64>,
    /// The paper's name for the task (from the data's `task.json`).
    pub task_label: Option<String>,
    /// The data stage's `task.json` (automaton or real data set).
    pub data_info: Option<TaskInfo>,
    /// The data stage's output directory (e.g. an ECG record's `beats.npy`).
    pub data_dir: Option<PathBuf>,
    /// The train instance's output directory (curves, model).
    pub train_dir: Option<PathBuf>,
    /// The train instance's `model.json`.
    pub model_config: Option<Value>,
    /// `length_generalization.json`, when a length_generalize instance ran.
    pub length_generalization: Option<Value>,
    /// The evaluate instance's output directory.
    pub evaluate_dir: Option<PathBuf>,
    /// Its per-position test accuracy (`acc_by_position.json`, position 1 first; NaN
    /// where no label was scored), the curve of the depth-against-length readout.
    pub acc_by_pos: Option<Vec<f64>>,
    /// Other per-model outputs (explain) by file name → directory.
    pub extra_dirs: Vec<PathBuf>,
}

/// A `timing` instance's results.
#[derive(Debug, Clone)]
pub struct TimingResult {
    pub coords: Coords,
    pub timing: Value,
}

/// Everything gathered.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub cells: Vec<Cell>,
    pub timing: Vec<TimingResult>,
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

fn numbers(v: &Value) -> impl Iterator<Item = (String, f64)> + '_ {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, x)| x.as_f64().map(|f| (k.clone(), f)))
}

/// A JSON array of accuracies as numbers (`null`, how NaN is written, back to NaN).
fn accuracy_curve(v: &Value) -> Vec<f64> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// A readable name for a real data set (`None` for automata).
pub(crate) fn real_data_label(info: &TaskInfo) -> Option<String> {
    Some(match info {
        TaskInfo::Prices(t) => format!("{} daily returns", t.ticker),
        TaskInfo::Heartbeats(t) => format!("ECG heartbeats ({})", t.dataset),
        TaskInfo::EcgRecord(_) => "ECG record, next window".to_string(),
        TaskInfo::Pfam(_) => "Pfam families".to_string(),
        TaskInfo::GoTerms(_) => "GO terms (Swiss-Prot)".to_string(),
        TaskInfo::Automaton(_) => return None,
    })
}

/// Reads every gathered input directory.
pub fn collect(inputs: &[InputDir]) -> anyhow::Result<Collected> {
    let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
    let mut data: Vec<(Coords, String)> = Vec::new();
    let mut infos: Vec<(Coords, TaskInfo, PathBuf)> = Vec::new();
    let mut out = Collected::default();
    for input in inputs.iter().filter(|i| i.gathered) {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&input.path)
            .with_context(|| format!("listing {}", input.path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("_");
            let coords = Coords::from_dir_name(name);
            if dir.join("task.json").is_file() && !dir.join("model.safetensors").is_file() {
                let info = TaskInfo::read_dir(&dir)?;
                if let Some(Ok(task)) = info.automaton().map(|a| a.params.task()) {
                    data.push((coords.clone(), task_label(&task)));
                }
                infos.push((coords, info, dir.clone()));
                continue;
            }
            if dir.join("timing.json").is_file() && !dir.join("acc_by_position.json").is_file() {
                out.timing.push(TimingResult {
                    coords,
                    timing: read_json(&dir.join("timing.json"))?,
                });
                continue;
            }
            let cell = cells.entry(coords.label()).or_insert_with(|| Cell {
                coords: coords.clone(),
                ..Cell::default()
            });
            if dir.join("metrics.json").is_file() {
                cell.metrics
                    .extend(numbers(&read_json(&dir.join("metrics.json"))?));
            }
            if dir.join("model.safetensors").is_file() {
                cell.train_dir = Some(dir.clone());
                if dir.join("model.json").is_file() {
                    cell.model_config = Some(read_json(&dir.join("model.json"))?);
                }
            } else if dir.join("length_generalization.json").is_file() {
                cell.length_generalization =
                    Some(read_json(&dir.join("length_generalization.json"))?);
            } else if dir.join("acc_by_position.json").is_file() {
                cell.evaluate_dir = Some(dir.clone());
                cell.acc_by_pos = Some(accuracy_curve(&read_json(
                    &dir.join("acc_by_position.json"),
                )?));
            } else {
                cell.extra_dirs.push(dir.clone());
            }
        }
    }
    for cell in cells.values_mut() {
        let matches = |c: &Coords| {
            c.0.keys().all(|k| cell.coords.0.contains_key(k)) && c.compatible(&cell.coords)
        };
        // The most specific data instance: `task=parity` beats a data set
        // without coordinates that every cell would match.
        let source = infos
            .iter()
            .filter(|(c, _, _)| matches(c))
            .max_by_key(|(c, _, _)| c.0.len());
        cell.data_info = source.map(|(_, v, _)| v.clone());
        cell.data_dir = source.map(|(_, _, d)| d.clone());
        let real = cell.data_info.as_ref().and_then(real_data_label);
        cell.task_label = real.or_else(|| {
            data.iter()
                .find(|(c, _)| matches(c))
                .map(|(_, l)| l.clone())
                .or_else(|| {
                    // Without a gathered data stage, name the task by its axis.
                    cell.coords
                        .0
                        .get("task")
                        .and_then(Value::as_str)
                        .and_then(|t| {
                            Task::from_params(t, &Default::default())
                                .ok()
                                .map(|t| task_label(&t))
                        })
                })
        });
    }
    out.cells = cells.into_values().collect();
    Ok(out)
}
