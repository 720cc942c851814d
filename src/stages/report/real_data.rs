//! Section 6 of the report: one table per real data set with its baselines,
//! plus what only real data has (an ECG record's detected beats, a
//! forecast's error by step ahead).

use std::path::Path;

use serde_json::Value;

use super::input::{cells_of, model_label, read_json};
use crate::datasets::npy::read_npy;
use crate::kind::task::GoTermsTask;
use crate::kind::TaskInfo;
use crate::report::model as rm;
use crate::study::{Axes, Cell, Group};

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

/// A value as JSON prints it (lists as `["a","b"]`, absent as `null`).
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// What the data set is, from its `task.json`.
fn real_data_text(info: &TaskInfo) -> String {
    let or_q = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".into());
    match info {
        TaskInfo::Prices(t) => format!(
            "Next-day log returns of {} from windows of {} days; trained on {} windows up to {}, tested on {} days from {} to {}. The scaler saw the training period only. Forecasts are scored against repeating the last return and against a zero return (tomorrow's price = today's).",
            t.ticker, t.length, t.train_windows, or_q(&t.test_start), t.test_windows, or_q(&t.test_start), or_q(&t.test_end)
        ),
        TaskInfo::Heartbeats(t) => format!(
            "ECG beats ({}): classes {}; training beats cropped to {} samples, test beats whole ({}). Training class counts {}, test {}. Accuracy flatters the majority class, so macro-F1 is shown beside it.",
            t.dataset, json(&t.class_names), t.train_length, t.length, json(&t.train_class_counts), json(&t.test_class_counts)
        ),
        TaskInfo::EcgRecord(t) => format!(
            "A raw ECG record: {} beats found by Pan–Tompkins (drawn under “More figures”). The record has no beat labels, so the models forecast: from {}-sample windows (125 Hz) they predict the next {} samples, a regression scored in standardised units against persistence (holding the last sample) on the last part of the record, which no model or scaler saw.",
            t.beats, t.length, t.horizon
        ),
        TaskInfo::GoTerms(t) => format!(
            "GO-term prediction on {} Swiss-Prot proteins ({}): the {} most frequent training terms of each ontology (roots excluded; {} in all) after propagation over is_a + part_of with {} ({}), predicted at the last residue. {} CAFA F-max per ontology, scores propagated to ancestors; IA {}. The naive rows give every test protein each term's training frequency.",
            t.train_proteins + t.test_proteins, json(&t.files), t.top_k, t.n_states, t.ontology, or_q(&t.ontology_version), go_policy_text(t), t.ia_source
        ),
        TaskInfo::Pfam(t) => format!(
            "Pfam family classification: {} families ({}), trained on the first {} residues of each sequence and tested on whole sequences (up to {}).",
            t.n_states, json(&t.class_names), t.train_length, t.length
        ),
        TaskInfo::Automaton(_) => String::new(),
    }
}

/// How a `go_terms` data set reads long proteins (its `policy`; none is crop).
fn go_policy_text(t: &GoTermsTask) -> String {
    match &t.policy {
        Some(pol) => format!(
            "Chunked: training and test proteins cut into windows of {} residues starting every {} (the last aligned to the protein's end; {} training and {} test rows, {} of the {} test proteins longer than {}), each window labelled with its protein's terms; a test protein's window scores are combined by {} before propagation, so every model, the MLP included, reads whole proteins.",
            pol.window, pol.stride, json(&t.train_rows), json(&t.test_rows), t.test_longer_than_crop, t.test_proteins, t.crop, pol.reduce.chunk_reduce().name()
        ),
        // The text before chunking existed, word for word.
        None => format!(
            "Trained on the first {} residues, tested on {} proteins up to {} residues ({} longer than the crop).",
            t.crop, t.test_proteins, t.max_len, t.test_longer_than_crop
        ),
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

/// The metric a data set is judged by, every model's mean over seeds and
/// the baselines beside them; `None` when the groups lack the metric.
fn headline(info: &TaskInfo, groups: &[&Group]) -> Option<rm::RealHeadline> {
    // (metric key, name, higher is better, percent, baselines (key, name))
    let (key, metric, higher, percent, bases): (&str, &str, bool, bool, Vec<(&str, &str)>) =
        match info {
            TaskInfo::Heartbeats(_) | TaskInfo::Pfam(_) => {
                if groups.iter().any(|g| g.metrics.contains_key("macro_f1")) {
                    ("macro_f1", "macro-F1", true, true, vec![])
                } else {
                    (
                        "acc",
                        "accuracy",
                        true,
                        true,
                        vec![("majority_acc", "always the majority class")],
                    )
                }
            }
            TaskInfo::Prices(_) => (
                "rmse",
                "RMSE of the next-day log return",
                false,
                false,
                vec![
                    ("persistence_rmse", "repeat the last return"),
                    ("zero_rmse", "zero return (tomorrow's price = today's)"),
                ],
            ),
            TaskInfo::EcgRecord(_) => (
                "rmse",
                "RMSE of the next window (standardised)",
                false,
                false,
                vec![
                    ("persistence_rmse", "persistence (hold the last sample)"),
                    ("zero_rmse", "zero (the training mean)"),
                ],
            ),
            TaskInfo::GoTerms(_) => (
                "fmax_w_mean",
                "IA-weighted F-max (mean of BPO, CCO, MFO)",
                true,
                false,
                vec![
                    (
                        "naive_fmax_w_mean",
                        "naive: training frequency of the same terms",
                    ),
                    (
                        "naive_all_fmax_w_mean",
                        "naive: training frequency of every term (CAFA)",
                    ),
                ],
            ),
            TaskInfo::Automaton(_) => return None,
        };
    let models: Vec<(String, f64)> = groups
        .iter()
        .filter_map(|g| Some((model_label(g), g.metrics.get(key)?.mean)))
        .collect();
    if models.is_empty() {
        return None;
    }
    let mut baselines: Vec<(String, f64)> = bases
        .iter()
        .filter_map(|(k, name)| {
            let v = groups.iter().find_map(|g| g.metrics.get(*k))?.mean;
            Some((name.to_string(), v))
        })
        .collect();
    // The majority class's macro-F1: it predicts one class always, so that
    // class has precision p (its share) and recall 1, F1 = 2p / (1 + p),
    // and every other class F1 = 0.
    if key == "macro_f1" {
        let k = info.class_names().map(|c| c.len()).unwrap_or(0);
        if let Some(p) = groups
            .iter()
            .find_map(|g| g.metrics.get("majority_acc"))
            .map(|s| s.mean)
            .filter(|_| k > 0)
        {
            baselines.push((
                "always the majority class".into(),
                2.0 * p / (1.0 + p) / k as f64,
            ));
        }
    }
    Some(rm::RealHeadline {
        metric: metric.into(),
        higher_is_better: higher,
        percent,
        models,
        baselines,
    })
}

/// One section per real data set among the groups.
pub(super) fn real_data_sections(
    groups: &[Group],
    cells: &[Cell],
    axes: &Axes,
) -> Vec<rm::RealDataSection> {
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
            Some(i) => {
                // A `policy` matrix puts crop and chunk rows in one section:
                // say how each reads long proteins.
                if let TaskInfo::GoTerms(t) = &info {
                    let policy = go_policy_text(t);
                    if !out[i].text.contains(&policy) {
                        let joined = match t.policy {
                            None => format!("Cropped: t{}", policy.trim_start_matches('T')),
                            Some(_) => policy,
                        };
                        out[i].text = format!("{} {joined}", out[i].text);
                    }
                }
                i
            }
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
                    headline: None,
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
    for s in &mut out {
        let gs: Vec<&Group> = groups.iter().filter(|g| g.task == s.dataset).collect();
        let info = gs.first().and_then(|g| {
            cells_of(cells, g, axes)
                .first()
                .and_then(|c| c.data_info.clone())
        });
        s.headline = info.and_then(|i| headline(&i, &gs));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::npy::write_npy;
    use serde_json::json;

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
