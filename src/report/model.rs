//! The report's input: one JSON-serializable value that the report stage fills
//! from cached results.
//!
//! Conventions (the renderer relies on them):
//! - Every accuracy (`acc_*`, `PaperRow::acc_by_depth`, curve y values labelled
//!   accuracy, `ProbeSeries`, `MinDepthRow::threshold`) is a **fraction in
//!   [0, 1]**; the page prints it as a percentage with one decimal (0.9731 ->
//!   "97.3"). The paper's 77.6 % is therefore stored as 0.776.
//! - Non-finite numbers (NaN, inf) are tolerated: they are drawn as missing and
//!   printed as "n/a", never a panic.
//! - Order is kept: tables and legends list things in the order given here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportInput {
    /// e.g. "automata: how do Transformers implement recurrence?"
    pub title: String,
    /// pipeline name
    pub pipeline: String,
    /// markdown-ish plain paragraph(s); blank lines separate paragraphs,
    /// `code` spans are kept as code.
    pub intro: String,
    /// accuracy vs depth
    pub depth_table: Vec<DepthCell>,
    /// Liu et al. Table 1 rows for comparison
    pub paper_table: Vec<PaperRow>,
    pub min_depth: Vec<MinDepthRow>,
    /// past the training length, beside Delétang's and Grazzi's numbers
    pub length_anchors: Vec<LengthAnchorRow>,
    /// one row per trained model (all archs), for the summary table
    pub results: Vec<ResultRow>,
    /// x = test length, y = accuracy; one per (task, model)
    pub length_curves: Vec<Curve>,
    /// x = p1, y = accuracy
    pub p1_curves: Vec<Curve>,
    pub timing: Vec<TimingSeries>,
    /// x = step, y = train accuracy (or loss; say in y_label)
    pub training_curves: Vec<Curve>,
    pub explanations: Vec<Explanation>,
    pub probes: Vec<ProbeSeries>,
    /// question 6; may be empty -> the section says "not run in this pipeline"
    pub real_data: Vec<RealDataSection>,
    pub provenance: Vec<ProvenanceRow>,
    pub versions: Versions,
    /// caveats (e.g. "measured; differs from paper because T=32, width 64")
    pub notes: Vec<String>,

    // Study readouts (issues 12 and 14), together so that merging them with
    // the `science` branch's fields happens in one place. The `length`
    // fields of `DepthCell`, `ResultRow` and `MinDepthRow`, `CostModel` and
    // `RealHeadline` below belong to the same change.
    /// Merrill et al.'s depth against length: per (task, arch, depth,
    /// training length T) the longest prefix whose per-position accuracy
    /// stays at or above 90%
    pub depth_length: Vec<crate::study::DepthLength>,
    /// Spearman's rank correlation of the minimum depths with Liu et al.'s,
    /// per architecture, threshold and seed statistic
    pub paper_agreement: Vec<crate::study::PaperAgreement>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthCell {
    pub task: String,
    pub arch: String,
    pub depth: u32,
    pub acc_mean: f64,
    pub acc_best: f64,
    pub n_seeds: u32,
    /// the training length T, where the data says
    #[serde(default)]
    pub length: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaperRow {
    pub task: String,
    /// (depth L, accuracy as a fraction)
    #[serde(default)]
    pub acc_by_depth: Vec<(u32, f64)>,
    #[serde(default)]
    pub min_depth_99: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MinDepthRow {
    pub task: String,
    pub arch: String,
    /// e.g. 0.95 or 0.99
    pub threshold: f64,
    /// None: no depth tried reached the threshold
    #[serde(default)]
    pub best_of_seeds: Option<u32>,
    #[serde(default)]
    pub mean_over_seeds: Option<u32>,
    #[serde(default)]
    pub paper: Option<u32>,
    /// the depths that were trained
    #[serde(default)]
    pub depths_tried: Vec<u32>,
    /// the training length T
    #[serde(default)]
    pub length: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LengthAnchorRow {
    pub task: String,
    /// e.g. "transformer pos=none bos L=2"
    pub model: String,
    pub n_seeds: u32,
    /// (factor K, mean accuracy at the last position at K·T)
    #[serde(default)]
    pub last: Vec<(u32, f64)>,
    /// parity: Grazzi et al.'s scaled accuracy at the largest factor
    #[serde(default)]
    pub scaled: Option<f64>,
    /// e.g. "Delétang et al. 2023: 52.0%"
    #[serde(default)]
    pub anchors: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub task: String,
    pub model: String,
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub acc_mean: f64,
    pub acc_min: f64,
    pub acc_max: f64,
    #[serde(default)]
    pub ci95: Option<(f64, f64)>,
    pub n_seeds: u32,
    #[serde(default)]
    pub train_seconds: Option<f64>,
    /// the training length T, where the data says
    #[serde(default)]
    pub length: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub title: String,
    /// e.g. the task; one figure per group
    pub group: String,
    /// legend entry, e.g. "transformer L=2"
    pub label: String,
    pub x_label: String,
    pub y_label: String,
    #[serde(default)]
    pub points: Vec<(f64, f64)>,
    /// reason; drawn as a note under the figure, no line
    #[serde(default)]
    pub not_applicable: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimingSeries {
    pub family: String,
    /// "train step" | "inference"
    pub metric: String,
    /// (T, milliseconds)
    #[serde(default)]
    pub points: Vec<(f64, f64)>,
    /// log-log slope; when None the renderer fits one and says so
    #[serde(default)]
    pub exponent: Option<f64>,
    /// what the family's shapes say the step costs
    #[serde(default)]
    pub cost: Option<CostModel>,
}

/// The work and the sequential depth of one model family as functions of the
/// sequence length T, from its shapes (layers L, width d, ...). The renderer
/// fits one constant per family (milliseconds per multiply-add) and draws
/// `constant × macs(T)` over the measured times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    /// multiply-adds of one training step (forward and backward, the whole
    /// batch): `macs[0] + macs[1]·T + macs[2]·T²`
    pub macs: [f64; 3],
    /// the same for one inference call (forward only)
    pub infer_macs: [f64; 3],
    /// the work as a formula, e.g. "3B·L·(4d² + 2d·d_ff)·T + 6B·L·d·T²"
    pub formula: String,
    /// operations that must run one after another in a forward pass:
    /// `steps[0] + steps[1]·T + steps[2]·⌈log2 T⌉`
    pub steps: [f64; 3],
    /// the same as a formula, e.g. "L" or "L·T"
    pub steps_formula: String,
    /// the shapes it was computed from, e.g. "L = 2, d = 64, d_ff = 256, B = 8"
    pub shapes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub task: String,
    pub model: String,
    /// saliency, input_x_gradient, integrated_gradients, occlusion,
    /// attention_rollout, attention L{l}H{h}
    pub method: String,
    #[serde(default)]
    pub tokens: Vec<i64>,
    /// rows = examples (or query positions for attention), cols = positions
    #[serde(default)]
    pub values: Vec<Vec<f64>>,
    /// same shape, marks true-relevant positions
    #[serde(default)]
    pub ground_truth: Option<Vec<Vec<bool>>>,
    #[serde(default)]
    pub agreement: Option<f64>,
    #[serde(default)]
    pub deletion_auc: Option<f64>,
    /// the agreement a random ranking would get
    #[serde(default)]
    pub agreement_chance: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeSeries {
    pub task: String,
    pub model: String,
    /// (layer, probe accuracy)
    #[serde(default)]
    pub layer_acc: Vec<(u32, f64)>,
    pub chance: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RealDataSection {
    pub dataset: String,
    pub text: String,
    #[serde(default)]
    pub table_header: Vec<String>,
    #[serde(default)]
    pub table_rows: Vec<Vec<String>>,
    #[serde(default)]
    pub curves: Vec<Curve>,
    /// the one number the data set is judged by, per model and per baseline
    #[serde(default)]
    pub headline: Option<RealHeadline>,
}

/// A real data set's main metric for every model beside its baselines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RealHeadline {
    /// e.g. "macro-F1" or "RMSE of next-day log returns"
    pub metric: String,
    pub higher_is_better: bool,
    /// values are fractions printed as percentages
    #[serde(default)]
    pub percent: bool,
    /// (model, mean over seeds)
    pub models: Vec<(String, f64)>,
    /// (baseline, value)
    pub baselines: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceRow {
    pub instance: String,
    pub kind: String,
    pub cache_key: String,
    #[serde(default)]
    pub params: serde_json::Value,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Versions {
    pub seqlab: String,
    pub burn: String,
    pub backend: String,
    pub generated_at: String,
}

/// What [`render`](super::render) produces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub html: String,
    pub markdown: String,
    /// ids of the `<figure>` elements in the html, in page order
    pub figures: Vec<String>,
    /// files published next to the page: (name, content)
    pub files: Vec<(String, String)>,
}
