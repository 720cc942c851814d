//! `task.json` of the real data sets. Each struct lists its fields in the
//! order its kind has always written them: the file's bytes are part of the
//! data stage's output tree, so of every downstream cache key.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// A float a writer may have stored as `null` (serde_json writes NaN so).
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn nans_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|x| x.unwrap_or(f64::NAN))
        .collect())
}

/// `prices`: one ticker's binned daily log returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricesTask {
    pub ticker: String,
    /// The CSV read, by file name.
    pub source_file: Option<String>,
    pub n_states: usize,
    pub n_actions_vocab: usize,
    /// Returns per window.
    pub length: usize,
    pub fresh: bool,
    pub bins: usize,
    pub clip: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub scaler_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub scaler_std: f64,
    pub train_windows: usize,
    pub test_windows: usize,
    pub train_start: Option<String>,
    pub test_start: Option<String>,
    pub test_end: Option<String>,
    /// The training series' naive one-step MAE (MASE divides by it).
    #[serde(deserialize_with = "nan_if_null")]
    pub naive_mae_train: f64,
}

/// `heartbeats`: Kaggle ECG beats as amplitude tokens, labelled at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatsTask {
    /// `mitbih` or `ptb`.
    pub dataset: String,
    pub n_states: usize,
    pub n_actions_vocab: usize,
    /// Test beats' length.
    pub length: usize,
    /// Training beats' length (the crop).
    pub train_length: usize,
    pub fresh: bool,
    pub class_names: Vec<String>,
    pub train_class_counts: Vec<usize>,
    pub test_class_counts: Vec<usize>,
}

/// `ecg_record`: next-window forecasting on one raw record (real targets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcgRecordTask {
    /// `real`: the targets are vectors of reals.
    pub target: String,
    /// K, the values forecast per window.
    pub n_states: usize,
    pub n_actions_vocab: usize,
    pub length: usize,
    pub horizon: usize,
    pub fresh: bool,
    pub bins: usize,
    pub clip: f64,
    /// Sampling rate of the windows (Hz).
    pub fs: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub scaler_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub scaler_std: f64,
    pub train_windows: usize,
    pub test_windows: usize,
    /// Beats Pan–Tompkins found in the record.
    pub beats: usize,
    /// RMSE of holding the last sample, on the test positions.
    #[serde(deserialize_with = "nan_if_null")]
    pub persistence_rmse: f64,
    #[serde(deserialize_with = "nans_if_null")]
    pub persistence_rmse_by_step: Vec<f64>,
}

/// One Pfam family (one Stockholm file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PfamFamily {
    pub family: String,
    pub file: Option<String>,
    /// Its sequences in the training split.
    pub train: usize,
    pub sequences: usize,
}

/// `pfam`: family classification, labelled at the last residue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PfamTask {
    pub n_states: usize,
    pub n_actions_vocab: usize,
    pub length: usize,
    pub train_length: usize,
    pub fresh: bool,
    pub class_names: Vec<String>,
    pub families: Vec<PfamFamily>,
}

/// One label column of a `go_terms` data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoColumn {
    /// `GO:0008150`.
    pub id: String,
    pub name: Option<String>,
    /// `BPO`, `CCO` or `MFO`.
    pub ontology: Option<String>,
    /// Information accretion (0 for terms unseen in training).
    #[serde(deserialize_with = "nan_if_null")]
    pub ia: f64,
    pub train_count: usize,
}

/// How a protein's chunk scores are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reduce {
    /// Element-wise max over chunks.
    #[default]
    Max,
    /// Element-wise mean over chunks.
    Mean,
}

impl Reduce {
    pub(crate) fn chunk_reduce(self) -> crate::datasets::protein::crop::ChunkReduce {
        use crate::datasets::protein::crop::ChunkReduce;
        match self {
            Reduce::Max => ChunkReduce::Max,
            Reduce::Mean => ChunkReduce::Mean,
        }
    }
}

/// The only policy `task.json` records (crop is recorded as none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyTag {
    Chunk,
}

/// A `go_terms` data set cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChunkInfo {
    pub kind: PolicyTag,
    pub window: usize,
    pub stride: usize,
    pub reduce: Reduce,
}

/// `go_terms`: multi-label GO-term prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoTermsTask {
    /// K, the label columns.
    pub n_states: usize,
    pub n_actions_vocab: usize,
    pub length: usize,
    pub train_length: usize,
    /// The length a fixed-window model (the MLP) is built for.
    pub fixed_window: usize,
    pub crop: usize,
    pub max_len: usize,
    pub fresh: bool,
    pub terms: Vec<GoColumn>,
    pub terms_per_ontology: BTreeMap<String, usize>,
    pub top_k: usize,
    pub ia_source: String,
    pub ontology: String,
    pub ontology_terms: usize,
    pub ontology_version: Option<String>,
    pub train_proteins: usize,
    pub test_proteins: usize,
    pub test_longer_than_crop: usize,
    pub test_cut_to_max_len: usize,
    pub files: Vec<Option<String>>,
    pub notes: Vec<String>,
    /// Chunking (absent under crop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ChunkInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_rows: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_rows: Option<usize>,
}
