//! Classification metrics from a confusion matrix (rows = true class,
//! columns = predicted class).
//!
//! Zero division follows scikit-learn's default (`zero_division="warn"`,
//! which yields 0): precision is 0 for a class never predicted, recall is 0
//! for a class that never occurs, and F1 is 0 when precision + recall = 0.
//! Macro-F1 averages over the classes that occur in the true labels or in
//! the predictions (scikit-learn's behaviour when `labels` is not given);
//! [`ConfusionMatrix::macro_f1_all`] averages over all `n_classes`.

use super::{check_pairs, MetricError};

/// Counts of (true, predicted) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n_classes: usize,
    /// `counts[t][p]`: how many of true class t were predicted as p.
    counts: Vec<Vec<u64>>,
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// How many true labels are this class.
    pub support: u64,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl ConfusionMatrix {
    /// Count `y_true` against `y_pred`; labels must be < `n_classes`.
    pub fn new<T: Copy + Into<usize>>(
        y_true: &[T],
        y_pred: &[T],
        n_classes: usize,
    ) -> Result<Self, MetricError> {
        check_pairs(y_true, y_pred)?;
        let mut counts = vec![vec![0u64; n_classes]; n_classes];
        for (index, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
            let (t, p) = (t.into(), p.into());
            for label in [t, p] {
                if label >= n_classes {
                    return Err(MetricError::LabelOutOfRange {
                        label,
                        index,
                        n_classes,
                    });
                }
            }
            counts[t][p] += 1;
        }
        Ok(ConfusionMatrix { n_classes, counts })
    }

    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Rows = true class, columns = predicted class.
    pub fn counts(&self) -> &[Vec<u64>] {
        &self.counts
    }

    /// All pairs counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        ratio(
            (0..self.n_classes).map(|c| self.counts[c][c]).sum(),
            self.total(),
        )
    }

    fn predicted(&self, c: usize) -> u64 {
        self.counts.iter().map(|row| row[c]).sum()
    }

    fn support(&self, c: usize) -> u64 {
        self.counts[c].iter().sum()
    }

    /// Scores of class `c` (see the module docs for zero division).
    pub(crate) fn class_scores(&self, c: usize) -> ClassScores {
        let tp = self.counts[c][c];
        let precision = ratio(tp, self.predicted(c));
        let recall = ratio(tp, self.support(c));
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        ClassScores {
            precision,
            recall,
            f1,
            support: self.support(c),
        }
    }

    /// Scores of every class 0..n_classes.
    pub fn per_class(&self) -> Vec<ClassScores> {
        (0..self.n_classes).map(|c| self.class_scores(c)).collect()
    }

    /// Mean F1 over classes present in the true labels or the predictions.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<usize> = (0..self.n_classes)
            .filter(|&c| self.support(c) + self.predicted(c) > 0)
            .collect();
        present
            .iter()
            .map(|&c| self.class_scores(c).f1)
            .sum::<f64>()
            / present.len().max(1) as f64
    }

    /// Mean F1 over all n_classes (absent classes count as 0).
    pub fn macro_f1_all(&self) -> f64 {
        self.per_class().iter().map(|s| s.f1).sum::<f64>() / self.n_classes.max(1) as f64
    }

    /// F1 averaged with each class weighted by its support.
    pub fn weighted_f1(&self) -> f64 {
        let total = self.total() as f64;
        self.per_class()
            .iter()
            .map(|s| s.f1 * s.support as f64 / total)
            .sum()
    }
}

/// Fraction of positions where the labels agree.
pub fn accuracy<T: Copy + PartialEq>(y_true: &[T], y_pred: &[T]) -> Result<f64, MetricError> {
    check_pairs(y_true, y_pred)?;
    Ok(y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count() as f64 / y_true.len() as f64)
}

/// Macro-F1 as [`ConfusionMatrix::macro_f1`].
pub fn macro_f1<T: Copy + Into<usize>>(
    y_true: &[T],
    y_pred: &[T],
    n_classes: usize,
) -> Result<f64, MetricError> {
    Ok(ConfusionMatrix::new(y_true, y_pred, n_classes)?.macro_f1())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_three_classes_one_never_predicted() {
        // true:  0 0 0 1 1 2 2 2
        // pred:  0 0 1 1 0 1 1 0    class 2 is never predicted
        let t: [u8; 8] = [0, 0, 0, 1, 1, 2, 2, 2];
        let p: [u8; 8] = [0, 0, 1, 1, 0, 1, 1, 0];
        let cm = ConfusionMatrix::new(&t, &p, 3).unwrap();
        assert_eq!(cm.counts(), &[vec![2, 1, 0], vec![1, 1, 0], vec![1, 2, 0]]);
        assert!(close(cm.accuracy(), 3.0 / 8.0));
        assert!(close(accuracy(&t, &p).unwrap(), 3.0 / 8.0));
        let s = cm.per_class();
        // class 0: tp 2, predicted 4, support 3
        assert!(close(s[0].precision, 0.5) && close(s[0].recall, 2.0 / 3.0));
        assert!(close(s[0].f1, 2.0 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0))); // 4/7
                                                                              // class 1: tp 1, predicted 4, support 2
        assert!(
            close(s[1].precision, 0.25) && close(s[1].recall, 0.5) && close(s[1].f1, 1.0 / 3.0)
        );
        // class 2: never predicted → precision 0 (zero division), recall 0, F1 0
        assert_eq!(
            (s[2].precision, s[2].recall, s[2].f1, s[2].support),
            (0.0, 0.0, 0.0, 3)
        );
        assert!(close(cm.macro_f1(), (4.0 / 7.0 + 1.0 / 3.0 + 0.0) / 3.0));
        assert!(close(cm.weighted_f1(), (3.0 * 4.0 / 7.0 + 2.0 / 3.0) / 8.0));
    }

    #[test]
    fn absent_classes_and_errors() {
        // 4 classes, class 3 absent from both: macro over the 2 present
        let t: [usize; 4] = [0, 0, 1, 1];
        let p: [usize; 4] = [0, 0, 1, 1];
        let cm = ConfusionMatrix::new(&t, &p, 4).unwrap();
        assert_eq!(cm.macro_f1(), 1.0);
        assert_eq!(cm.macro_f1_all(), 0.5);
        assert_eq!(macro_f1(&t, &p, 4).unwrap(), 1.0);
        // always-majority classifier on 80/20 data
        let t: Vec<u8> = (0..10).map(|i| u8::from(i >= 8)).collect();
        let p = vec![0u8; 10];
        let cm = ConfusionMatrix::new(&t, &p, 2).unwrap();
        assert!(close(cm.accuracy(), 0.8));
        assert!(close(cm.macro_f1(), (2.0 * 0.8 / 1.8) / 2.0)); // class 0 F1 = 8/9, class 1 F1 = 0
        assert_eq!(
            ConfusionMatrix::new(&[0u8], &[0u8, 1], 2).unwrap_err(),
            MetricError::LengthMismatch { a: 1, b: 2 }
        );
        assert_eq!(
            ConfusionMatrix::new::<u8>(&[], &[], 2).unwrap_err(),
            MetricError::Empty
        );
        assert_eq!(
            ConfusionMatrix::new(&[0u8, 5], &[0u8, 0], 5)
                .unwrap_err()
                .to_string(),
            "label 5 at position 1 is outside 0..5"
        );
    }
}
