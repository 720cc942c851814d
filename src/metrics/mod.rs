//! Evaluation metrics: classification (accuracy, precision/recall/F1,
//! macro-F1, confusion matrix) and regression (RMSE, MAE, MASE, skill
//! against persistence).

pub mod classification;
pub mod regression;

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    #[error("length mismatch: {a} true values but {b} predictions")]
    LengthMismatch { a: usize, b: usize },
    #[error("no values: a metric needs at least one")]
    Empty,
    #[error("label {label} at position {index} is outside 0..{n_classes}")]
    LabelOutOfRange {
        label: usize,
        index: usize,
        n_classes: usize,
    },
    #[error("{0}")]
    Undefined(String),
}
