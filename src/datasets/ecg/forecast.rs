//! Next-window forecasting on a raw signal: an input window of `w` samples
//! predicts the next `h` samples.
//!
//! The chronological split cuts the signal at `cut = floor(n · train_fraction)`:
//! a training window lies wholly before `cut` (inputs and targets); a test
//! window's targets lie wholly at or after `cut`, while its inputs may reach
//! back before `cut` — that is past data, known at forecast time. No target
//! is ever in both sets.

use crate::datasets::error::DataError;

/// Windows and their targets, plus where each window starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastWindows {
    pub inputs: Vec<Vec<f32>>,
    pub targets: Vec<Vec<f32>>,
    /// Index in the signal of each window's first input sample.
    pub starts: Vec<usize>,
}

impl ForecastWindows {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn push(&mut self, x: &[f32], s: usize, w: usize, h: usize) {
        self.inputs.push(x[s..s + w].to_vec());
        self.targets.push(x[s + w..s + w + h].to_vec());
        self.starts.push(s);
    }
}

/// A chronological train/test split of forecasting windows.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSplit {
    pub train: ForecastWindows,
    pub test: ForecastWindows,
    /// First sample index of the test period.
    pub cut: usize,
}

/// Every window of `signal` with `w` inputs and `h` targets, window starts
/// `stride` apart (0, stride, 2·stride, …).
pub fn make_windows(signal: &[f32], w: usize, h: usize, stride: usize) -> ForecastWindows {
    let mut out = ForecastWindows::default();
    let stride = stride.max(1);
    if w == 0 || h == 0 || signal.len() < w + h {
        return out;
    }
    let mut s = 0;
    while s + w + h <= signal.len() {
        out.push(signal, s, w, h);
        s += stride;
    }
    out
}

/// Chronological split; see the module docs. Errors if a fraction outside
/// (0, 1) or a split leaves either side without a window.
pub fn chronological_split(
    signal: &[f32],
    w: usize,
    h: usize,
    stride: usize,
    train_fraction: f64,
) -> Result<ForecastSplit, DataError> {
    if !(train_fraction > 0.0 && train_fraction < 1.0) {
        return Err(DataError::Invalid(format!(
            "train_fraction must be in (0, 1), got {train_fraction}"
        )));
    }
    if w == 0 || h == 0 {
        return Err(DataError::Invalid(
            "window w and horizon h must be at least 1".into(),
        ));
    }
    let n = signal.len();
    let cut = (n as f64 * train_fraction).floor() as usize;
    let stride = stride.max(1);
    let train = make_windows(&signal[..cut], w, h, stride);
    let mut test = ForecastWindows::default();
    // test targets start at cut, cut + stride, …; inputs are the w before.
    let mut t = cut.max(w);
    while t + h <= n {
        test.push(signal, t - w, w, h);
        t += stride;
    }
    if train.is_empty() || test.is_empty() {
        return Err(DataError::Invalid(format!(
            "a split of {n} samples at {cut} leaves {} train and {} test windows (w = {w}, h = {h}); use a longer signal or smaller windows",
            train.len(),
            test.len()
        )));
    }
    Ok(ForecastSplit { train, test, cut })
}

/// The persistence baseline: the last input value repeated `h` times.
pub fn persistence_forecast(input: &[f32], h: usize) -> Vec<f32> {
    vec![input.last().copied().unwrap_or(0.0); h]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_by_hand() {
        let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let w = make_windows(&x, 3, 2, 2);
        assert_eq!(w.starts, vec![0, 2, 4]);
        assert_eq!(w.inputs[1], vec![2.0, 3.0, 4.0]);
        assert_eq!(w.targets[1], vec![5.0, 6.0]);
        assert!(make_windows(&x, 8, 3, 1).is_empty());
    }

    #[test]
    fn chronological_split_keeps_test_strictly_later() {
        let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let s = chronological_split(&x, 10, 5, 1, 0.8).unwrap();
        assert_eq!(s.cut, 80);
        let last_train_target = s
            .train
            .targets
            .iter()
            .flatten()
            .cloned()
            .fold(0.0, f32::max);
        let first_test_target = s
            .test
            .targets
            .iter()
            .flatten()
            .cloned()
            .fold(f32::MAX, f32::min);
        assert_eq!(last_train_target, 79.0);
        assert_eq!(first_test_target, 80.0);
        assert_eq!(s.train.len(), 80 - 15 + 1);
        assert_eq!(s.test.len(), 100 - 5 - 80 + 1);
        assert_eq!(
            s.test.inputs[0],
            (70..80).map(|i| i as f32).collect::<Vec<_>>()
        );
        assert!(chronological_split(&x, 10, 5, 1, 1.0).is_err());
        assert!(chronological_split(&x, 90, 5, 1, 0.5).is_err());
    }

    #[test]
    fn persistence_repeats_last_value() {
        assert_eq!(persistence_forecast(&[1.0, 2.0, 3.5], 3), vec![3.5; 3]);
    }
}
