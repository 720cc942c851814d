//! Regression / forecasting metrics. Inputs may be `f32` or `f64`.
//!
//! - RMSE = √(mean (y − ŷ)²), MAE = mean |y − ŷ|.
//! - MASE (Hyndman & Koehler 2006) = MAE / (in-sample MAE of the naive
//!   one-step forecast on the training series, mean |y[t] − y[t−1]|).
//!   Below 1: better than the naive forecast was in-sample.
//! - Skill against persistence = 1 − MSE(model) / MSE(persistence): 1 is
//!   perfect, 0 no better than repeating the last value, negative worse.

use super::{check_pairs, MetricError};

/// The errors y − ŷ, after checking lengths.
fn errors<T: Copy + Into<f64>>(y: &[T], yhat: &[T]) -> Result<Vec<f64>, MetricError> {
    check_pairs(y, yhat)?;
    Ok(y.iter()
        .zip(yhat)
        .map(|(&a, &b)| a.into() - b.into())
        .collect())
}

/// Mean squared error.
pub fn mse<T: Copy + Into<f64>>(y: &[T], yhat: &[T]) -> Result<f64, MetricError> {
    Ok(errors(y, yhat)?.into_iter().map(|e| e * e).sum::<f64>() / y.len() as f64)
}

/// Root mean squared error.
pub fn rmse<T: Copy + Into<f64>>(y: &[T], yhat: &[T]) -> Result<f64, MetricError> {
    Ok(mse(y, yhat)?.sqrt())
}

/// Mean absolute error.
pub fn mae<T: Copy + Into<f64>>(y: &[T], yhat: &[T]) -> Result<f64, MetricError> {
    Ok(errors(y, yhat)?.into_iter().map(f64::abs).sum::<f64>() / y.len() as f64)
}

/// In-sample MAE of the naive one-step forecast: mean |x[t] − x[t−1]|.
pub fn naive_mae<T: Copy + Into<f64>>(train: &[T]) -> Result<f64, MetricError> {
    if train.len() < 2 {
        return Err(MetricError::Undefined(
            "the naive forecast needs a training series of at least 2 values".into(),
        ));
    }
    Ok(train
        .windows(2)
        .map(|w| (w[1].into() - w[0].into()).abs())
        .sum::<f64>()
        / (train.len() - 1) as f64)
}

/// Mean absolute scaled error against the training series' naive MAE.
pub fn mase<T: Copy + Into<f64>>(y: &[T], yhat: &[T], train: &[T]) -> Result<f64, MetricError> {
    let scale = naive_mae(train)?;
    if scale == 0.0 {
        return Err(MetricError::Undefined(
            "MASE is undefined: the training series is constant".into(),
        ));
    }
    Ok(mae(y, yhat)? / scale)
}

/// 1 − error(model) / error(reference) for any error measure.
pub(crate) fn skill_score(model_error: f64, reference_error: f64) -> Result<f64, MetricError> {
    if reference_error == 0.0 {
        return Err(MetricError::Undefined(
            "skill is undefined: the reference forecast is perfect".into(),
        ));
    }
    Ok(1.0 - model_error / reference_error)
}

/// MSE skill of `yhat` against the persistence forecast `y_persist`.
pub fn skill_vs_persistence<T: Copy + Into<f64>>(
    y: &[T],
    yhat: &[T],
    y_persist: &[T],
) -> Result<f64, MetricError> {
    skill_score(mse(y, yhat)?, mse(y, y_persist)?)
}

/// The persistence forecast of a series one step ahead: x[t−1] for each
/// t ≥ 1 (one shorter than `x`). Compare against `&x[1..]`.
pub fn persistence<T: Copy>(x: &[T]) -> Vec<T> {
    x[..x.len().saturating_sub(1)].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_errors() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let yhat = [1.0, 3.0, 1.0, 4.0]; // errors 0, −1, 2, 0
        assert!(close(mse(&y, &yhat).unwrap(), 5.0 / 4.0));
        assert!(close(rmse(&y, &yhat).unwrap(), (5.0f64 / 4.0).sqrt()));
        assert!(close(mae(&y, &yhat).unwrap(), 3.0 / 4.0));
        let yf: [f32; 2] = [1.0, 2.0];
        assert!(close(rmse(&yf, &[2.0f32, 2.0]).unwrap(), (0.5f64).sqrt()));
        assert_eq!(
            mae(&[1.0], &[1.0, 2.0]).unwrap_err(),
            MetricError::LengthMismatch { a: 1, b: 2 }
        );
        assert_eq!(mae::<f64>(&[], &[]).unwrap_err(), MetricError::Empty);
    }

    #[test]
    fn mase_and_skill_by_hand() {
        let train = [1.0, 3.0, 2.0, 5.0]; // naive diffs 2, 1, 3 → scale 2
        assert!(close(naive_mae(&train).unwrap(), 2.0));
        let y = [5.0, 6.0];
        let yhat = [4.0, 6.0]; // MAE 0.5
        assert!(close(mase(&y, &yhat, &train).unwrap(), 0.25));
        assert!(mase(&y, &yhat, &[1.0, 1.0]).is_err());
        // persistence of [5 (last train), 5, 6]: predicts 5 for 5 and 5 for 6
        let series = [5.0, 5.0, 6.0];
        let p = persistence(&series);
        assert_eq!(p, vec![5.0, 5.0]);
        // model MSE ((5−4)² + 0)/2 = 0.5, persistence MSE (0 + 1)/2 = 0.5 → skill 0
        assert!(close(
            skill_vs_persistence(&series[1..], &yhat, &p).unwrap(),
            0.0
        ));
        assert!(close(
            skill_vs_persistence(&[1.0, 2.0], &[1.0, 2.0], &[0.0, 0.0]).unwrap(),
            1.0
        ));
        assert!(close(skill_score(2.0, 1.0).unwrap(), -1.0));
        assert!(skill_score(1.0, 0.0).is_err());
    }
}
