//! The files published next to `index.html` so the page stays short:
//! `provenance.json` (every cached instance behind the page, full keys and
//! params) and `results.csv` (one row per trained model, for a spreadsheet).

use super::model::ReportInput;

pub(crate) const PROVENANCE_FILE: &str = "provenance.json";
pub(crate) const RESULTS_FILE: &str = "results.csv";

/// The linked files and what each holds (the appendix lists them).
pub(crate) const LINKED: [(&str, &str); 2] = [
    (
        PROVENANCE_FILE,
        "every cached instance behind this page: its kind, full cache key, params and duration, plus the versions",
    ),
    (
        RESULTS_FILE,
        "one row per trained model: task, model, training length, seeds, mean/min/max accuracy, 95% interval, training seconds",
    ),
];

/// `provenance.json`: the provenance rows and the versions.
pub(crate) fn provenance_json(input: &ReportInput) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "pipeline": input.pipeline,
        "versions": input.versions,
        "instances": input.provenance,
    }))?)
}

/// `results.csv`: one row per result (numbers as written, accuracies as
/// fractions; empty where unknown).
pub(crate) fn results_csv(input: &ReportInput) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "task",
        "model",
        "length",
        "n_seeds",
        "acc_mean",
        "acc_min",
        "acc_max",
        "ci95_lo",
        "ci95_hi",
        "train_seconds",
        "params",
    ])?;
    let num = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    for r in &input.results {
        w.write_record([
            r.task.clone(),
            r.model.clone(),
            r.length.map(|t| t.to_string()).unwrap_or_default(),
            r.n_seeds.to_string(),
            num(r.acc_mean),
            num(r.acc_min),
            num(r.acc_max),
            r.ci95.map(|c| num(c.0)).unwrap_or_default(),
            r.ci95.map(|c| num(c.1)).unwrap_or_default(),
            r.train_seconds.map(num).unwrap_or_default(),
            serde_json::to_string(&r.params)?,
        ])?;
    }
    Ok(String::from_utf8(
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    )?)
}
