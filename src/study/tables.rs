//! The study's tables: results aggregated over seeds, and the smallest depth
//! at which each architecture reaches a threshold, next to the paper's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::collect::Cell;
use super::paper;
use super::stats::Spread;
use crate::kind::{display, Coords};

/// Which coordinates play which role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Axes {
    pub task: String,
    pub depth: String,
    pub seed: String,
}

impl Default for Axes {
    fn default() -> Self {
        Axes {
            task: "task".into(),
            depth: "layers".into(),
            seed: "seed".into(),
        }
    }
}

/// The cells that differ only in their seed, summarised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub task: String,
    pub arch: String,
    pub depth: Option<u32>,
    /// The coordinates without the seed.
    pub coords: BTreeMap<String, Value>,
    pub seeds: Vec<Value>,
    pub metrics: BTreeMap<String, Spread>,
}

/// Smallest depth reaching a threshold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinDepth {
    pub task: String,
    pub arch: String,
    pub threshold: f64,
    /// The best seed at that depth reaches it (how the paper reports it).
    pub best_of_seeds: Option<u32>,
    /// The mean over seeds reaches it.
    pub mean_over_seeds: Option<u32>,
    /// Depths that were tried.
    pub depths_tried: Vec<u32>,
    pub paper: Option<u32>,
}

/// Train params that configure the model; a family that does not use one
/// leaves it out of its `model.json`.
const MODEL_PARAMS: &[&str] = &[
    "heads",
    "pos",
    "dropout",
    "negative_eigenvalues",
    "width",
    "bos",
    "d_ff",
];

/// The architecture of a cell: every coordinate except task, depth and seed
/// (`model` by its value alone), leaving out model params the family does not
/// use: `transformer`, `linear_rnn neg-eig` (a true flag by its name, a false one left out).
pub(crate) fn arch_label(coords: &Coords, axes: &Axes, model_config: Option<&Value>) -> String {
    let mut parts = Vec::new();
    for (k, v) in &coords.0 {
        if *k == axes.task || *k == axes.depth || *k == axes.seed {
            continue;
        }
        let unused = model_config.is_some_and(|m| m.get(k.as_str()).is_none());
        if MODEL_PARAMS.contains(&k.as_str()) && unused {
            continue;
        }
        let short = match k.as_str() {
            "negative_eigenvalues" => "neg-eig",
            other => other,
        };
        // A boolean reads as a flag: shown when set, left out when not.
        match v {
            Value::Bool(true) => parts.push(short.to_string()),
            Value::Bool(false) => {}
            _ if k == "model" => parts.push(display(v)),
            _ => parts.push(format!("{short}={}", display(v))),
        }
    }
    if !coords.0.contains_key("model") {
        // A stage with a fixed model: name it by its config.
        let family = model_config
            .and_then(|m| m["family"].as_str())
            .unwrap_or("model");
        let mut head = family.to_string();
        // The positions from the config, unless an axis already names them.
        let pos = model_config.and_then(|m| m["pos"].as_str());
        if let (Some(pos), false) = (pos, coords.0.contains_key("pos")) {
            head.push_str(&format!(" pos={pos}"));
        }
        parts.insert(0, head);
    }
    parts.join(" ")
}

fn task_of(cell: &Cell, axes: &Axes) -> String {
    cell.task_label.clone().unwrap_or_else(|| {
        cell.coords
            .0
            .get(&axes.task)
            .map(display)
            .unwrap_or_else(|| "task".into())
    })
}

/// Groups cells over seeds (in first-seen order) and summarises each metric.
pub fn aggregate(cells: &[Cell], axes: &Axes) -> Vec<Group> {
    let mut groups: Vec<(String, Group, BTreeMap<String, Vec<f64>>)> = Vec::new();
    for cell in cells {
        let mut key = cell.coords.clone();
        let seed = key.0.shift_remove(&axes.seed);
        let label = key.label();
        let idx = match groups.iter().position(|(l, _, _)| *l == label) {
            Some(i) => i,
            None => {
                groups.push((
                    label,
                    Group {
                        task: task_of(cell, axes),
                        arch: arch_label(&cell.coords, axes, cell.model_config.as_ref()),
                        depth: key
                            .0
                            .get(&axes.depth)
                            .and_then(Value::as_u64)
                            .map(|d| d as u32),
                        coords: key.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                        seeds: vec![],
                        metrics: BTreeMap::new(),
                    },
                    BTreeMap::new(),
                ));
                groups.len() - 1
            }
        };
        let (_, g, values) = &mut groups[idx];
        g.seeds.push(seed.unwrap_or(Value::Null));
        for (k, v) in &cell.metrics {
            values.entry(k.clone()).or_default().push(*v);
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(_, mut g, values)| {
            g.metrics = values
                .into_iter()
                .filter_map(|(k, v)| Spread::of(&v).map(|s| (k, s)))
                .collect();
            g
        })
        .collect();
    out.sort_by(|a, b| reading_order(a).cmp(&reading_order(b)));
    out
}

/// Tables read in the paper's task order (easy to hard), then Transformers
/// by depth, then the recurrent and other families.
fn reading_order(g: &Group) -> (usize, String, usize, String, u32) {
    let task_rank = paper::TABLE
        .iter()
        .position(|(l, _, _)| *l == g.task)
        .unwrap_or(paper::TABLE.len());
    const FAMILIES: [&str; 5] = ["transformer", "lstm", "gru", "linear_rnn", "mlp"];
    let family = g.arch.split(' ').next().unwrap_or_default();
    let arch_rank = FAMILIES
        .iter()
        .position(|f| *f == family)
        .unwrap_or(FAMILIES.len());
    (
        task_rank,
        g.task.clone(),
        arch_rank,
        g.arch.clone(),
        g.depth.unwrap_or(0),
    )
}

/// For every (task, architecture) with a depth axis: the smallest depth whose
/// `metric` reaches each threshold.
pub fn min_depths(groups: &[Group], metric: &str, thresholds: &[f64]) -> Vec<MinDepth> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for g in groups.iter().filter(|g| g.depth.is_some()) {
        let k = (g.task.clone(), g.arch.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for (task, arch) in keys {
        let mut by_depth: Vec<(u32, &Spread)> = groups
            .iter()
            .filter(|g| g.task == task && g.arch == arch)
            .filter_map(|g| Some((g.depth?, g.metrics.get(metric)?)))
            .collect();
        by_depth.sort_by_key(|(d, _)| *d);
        for &thr in thresholds {
            let first = |f: &dyn Fn(&Spread) -> f64| {
                by_depth.iter().find(|(_, s)| f(s) >= thr).map(|(d, _)| *d)
            };
            out.push(MinDepth {
                task: task.clone(),
                arch: arch.clone(),
                threshold: thr,
                best_of_seeds: first(&|s| s.max),
                mean_over_seeds: first(&|s| s.mean),
                depths_tried: by_depth.iter().map(|(d, _)| *d).collect(),
                paper: if arch.starts_with("transformer") {
                    paper::min_depth(&task, thr)
                } else {
                    None
                },
            });
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn spread_text(s: &Spread) -> String {
    if s.n > 1 {
        format!("{} [{}, {}]", pct(s.mean), pct(s.min), pct(s.max))
    } else {
        pct(s.mean)
    }
}

/// The metrics the results table shows, in order: accuracy, then the
/// length-generalization and p1-shift accuracies found in the groups.
pub(crate) fn shown_metrics(groups: &[Group]) -> Vec<String> {
    let mut extra: Vec<String> = groups
        .iter()
        .flat_map(|g| g.metrics.keys())
        .filter(|k| (k.starts_with("acc_x") && *k != "acc_x1") || k.starts_with("acc_p1_"))
        .cloned()
        .collect();
    extra.sort_by(|a, b| {
        let num = |s: &str| {
            s.rsplit(['x', '_'])
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        };
        (a.starts_with("acc_p1"), num(a))
            .partial_cmp(&(b.starts_with("acc_p1"), num(b)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    extra.dedup();
    let mut out = vec!["acc".to_string(), "seq_acc".to_string()];
    out.extend(extra);
    out
}

/// One CSV field, quoted when it holds a comma, a quote or a newline.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A plain-text table: header, then rows, columns padded.
pub(crate) fn text_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", c, w = width.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header);
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// The summary printed at the end of a run; `readouts` (already formatted
/// sections) go after the min-depth table and before the timing.
pub fn summary_text(
    groups: &[Group],
    min: &[MinDepth],
    timing: &[(String, Option<f64>, Option<f64>)],
    readouts: &[String],
) -> String {
    let metrics = shown_metrics(groups);
    let mut header = vec![
        "task".to_string(),
        "model".into(),
        "L".into(),
        "seeds".into(),
    ];
    header.extend(metrics.iter().cloned());
    header.push("steps".into());
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut r = vec![
                g.task.clone(),
                g.arch.clone(),
                g.depth.map(|d| d.to_string()).unwrap_or_default(),
                g.seeds.len().to_string(),
            ];
            for m in &metrics {
                r.push(
                    g.metrics
                        .get(m)
                        .map(spread_text)
                        .unwrap_or_else(|| "n/a".into()),
                );
            }
            r.push(
                g.metrics
                    .get("steps_run")
                    .map(|s| format!("{:.0}", s.mean))
                    .unwrap_or_default(),
            );
            r
        })
        .collect();
    let mut out = String::from(
        "Test accuracy (%) per position, mean over seeds [min, max]; acc_xK: at K times the training length; acc_p1_P: inputs with Pr[1] = P; n/a: not measured or not applicable\n",
    );
    out.push_str(&text_table(&header, &rows));
    if !min.is_empty() {
        out.push_str("\nSmallest depth reaching the threshold (best seed / mean over seeds; paper: Liu et al. Table 1, T = 100, width 512)\n");
        let header: Vec<String> = [
            "task",
            "model",
            "threshold",
            "best of seeds",
            "mean over seeds",
            "depths tried",
            "paper",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let none = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
        let rows: Vec<Vec<String>> = min
            .iter()
            .filter(|m| m.depths_tried.len() > 1 || m.arch.starts_with("transformer"))
            .map(|m| {
                vec![
                    m.task.clone(),
                    m.arch.clone(),
                    format!("{}%", pct(m.threshold)),
                    none(m.best_of_seeds),
                    none(m.mean_over_seeds),
                    m.depths_tried
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    m.paper.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out.push_str(&text_table(&header, &rows));
    }
    for r in readouts {
        out.push_str(r);
    }
    if !timing.is_empty() {
        out.push_str("\nGrowth of time with sequence length (log-log slope)\n");
        let header: Vec<String> = ["model", "train step", "inference"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let f = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into());
        let rows: Vec<Vec<String>> = timing
            .iter()
            .map(|(m, a, b)| vec![m.clone(), f(*a), f(*b)])
            .collect();
        out.push_str(&text_table(&header, &rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cell(task: &str, model: &str, layers: u32, seed: u32, acc: f64) -> Cell {
        let c = Coords::parse_label(&format!(
            "task={task},model={model},layers={layers},seed={seed}"
        ));
        let _ = json!(0);
        Cell {
            coords: c,
            metrics: [("acc".to_string(), acc)].into_iter().collect(),
            task_label: Some(if task == "parity" {
                "C_2".into()
            } else {
                task.into()
            }),
            ..Cell::default()
        }
    }

    #[test]
    fn groups_over_seeds_and_finds_min_depth() {
        let cells = vec![
            cell("parity", "transformer", 1, 0, 0.60),
            cell("parity", "transformer", 1, 1, 0.70),
            cell("parity", "transformer", 2, 0, 0.99),
            cell("parity", "transformer", 2, 1, 0.90),
            cell("parity", "transformer", 4, 0, 1.00),
            cell("parity", "transformer", 4, 1, 0.995),
            cell("parity", "lstm", 1, 0, 1.0),
        ];
        let groups = aggregate(&cells, &Axes::default());
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[0].arch, "transformer");
        assert_eq!(groups[0].seeds.len(), 2);
        assert!((groups[0].metrics["acc"].mean - 0.65).abs() < 1e-12);
        let min = min_depths(&groups, "acc", &[0.95, 0.99]);
        let t99 = min
            .iter()
            .find(|m| m.arch == "transformer" && m.threshold == 0.99)
            .unwrap();
        // best of seeds: L=2 has a 0.99 seed; mean: L=2 averages 0.945, L=4 0.9975
        assert_eq!((t99.best_of_seeds, t99.mean_over_seeds), (Some(2), Some(4)));
        assert_eq!(t99.paper, Some(2));
        let t95 = min
            .iter()
            .find(|m| m.arch == "transformer" && m.threshold == 0.95)
            .unwrap();
        assert_eq!((t95.best_of_seeds, t95.mean_over_seeds), (Some(2), Some(4)));
        let text = summary_text(&groups, &min, &[], &[]);
        assert!(text.contains("65.0 [60.0, 70.0]"), "{text}");
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arch_labels_read_as_flags_and_skip_unused_params() {
        let axes = Axes::default();
        let c = |l: &str| Coords::parse_label(l);
        let rnn = json!({"family": "linear_rnn", "negative_eigenvalues": true});
        assert_eq!(
            arch_label(
                &c("task=parity,model=linear_rnn,negative_eigenvalues=true,seed=0"),
                &axes,
                Some(&rnn)
            ),
            "linear_rnn neg-eig"
        );
        assert_eq!(
            arch_label(
                &c("task=parity,model=linear_rnn,negative_eigenvalues=false"),
                &axes,
                Some(&rnn)
            ),
            "linear_rnn"
        );
        // a transformer has no such param: the axis is left out, lr is not
        let tf = json!({"family": "transformer", "pos": "rope"});
        assert_eq!(
            arch_label(
                &c("model=transformer,layers=2,negative_eigenvalues=true,lr=0.1"),
                &axes,
                Some(&tf)
            ),
            "transformer lr=0.1"
        );
        // without a model axis the config names the family
        assert_eq!(
            arch_label(&c("task=parity,layers=2"), &axes, Some(&tf)),
            "transformer pos=rope"
        );
        // … and its positions once, when they are an axis too
        assert_eq!(
            arch_label(&c("task=parity,layers=2,pos=rope"), &axes, Some(&tf)),
            "transformer pos=rope"
        );
        // `bos` reads as a flag where the model has it, and drops out where it has not
        let tfb = json!({"family": "transformer", "bos": true, "d_ff": null});
        assert_eq!(
            arch_label(&c("model=transformer,bos=true,d_ff=128"), &axes, Some(&tfb)),
            "transformer bos d_ff=128"
        );
        let lstm = json!({"family": "lstm"});
        assert_eq!(
            arch_label(&c("model=lstm,bos=true,d_ff=128"), &axes, Some(&lstm)),
            "lstm"
        );
    }
}
