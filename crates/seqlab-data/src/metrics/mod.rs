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

/// Checks that true values and predictions pair up: the same length, and at
/// least one of each.
fn check_pairs<T, U>(y_true: &[T], y_pred: &[U]) -> Result<(), MetricError> {
    if y_true.len() != y_pred.len() {
        return Err(MetricError::LengthMismatch {
            a: y_true.len(),
            b: y_pred.len(),
        });
    }
    if y_true.is_empty() {
        return Err(MetricError::Empty);
    }
    Ok(())
}
