//! A real-valued series as a next-value forecasting data set of tokens:
//! values standardised by a scaler fitted on the training period only,
//! clipped and binned; a window ending at `e` reads values `e-w..e` and its
//! label at each position is the bin of the next value, so its last label is
//! value `e`. Used by the `prices` and `ecg_record` kinds; `forecast` scores
//! the models trained on it.

use std::path::Path;

use super::npy::write_npy;
use super::stock::features::{ChronoSplit, Scaler};
use super::SequenceData;

/// Equal-width binning of standardised values on [-clip, clip].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bins {
    pub n: usize,
    pub clip: f64,
}

impl Bins {
    pub fn of(&self, z: f64) -> u32 {
        let u = (z.clamp(-self.clip, self.clip) + self.clip) / (2.0 * self.clip);
        ((u * self.n as f64) as usize).min(self.n - 1) as u32
    }

    /// The centre of bin `b`, in standardised units.
    pub fn centre(&self, b: usize) -> f64 {
        -self.clip + (b as f64 + 0.5) * 2.0 * self.clip / self.n as f64
    }
}

/// Windows ending at each of `ends` (see the module docs).
pub fn windows(
    values: &[f64],
    ends: &[usize],
    window: usize,
    scaler: &Scaler,
    bins: Bins,
) -> SequenceData {
    let mut d = SequenceData::classes(
        ends.len(),
        window,
        Vec::with_capacity(ends.len() * window),
        Vec::new(),
        Vec::with_capacity(ends.len() * window),
    );
    let mut labels = Vec::with_capacity(ends.len() * window);
    for &e in ends {
        for i in e - window..e {
            // position i reads value i and is labelled with value i + 1
            d.inputs.push(bins.of(scaler.transform(values[i])));
            labels.push(bins.of(scaler.transform(values[i + 1])));
            d.mask.push(1);
        }
    }
    d.target = super::Target::Classes(labels);
    d
}

/// Writes the train and test splits of `split` (training windows end before
/// the cut, test windows at or after it; every `stride`-th end), plus
/// `test_next_value.npy` and `test_last_value.npy` (unscaled, f32, one per
/// test window). Returns the numbers of training and test windows.
pub fn write_splits(
    dir: &Path,
    values: &[f64],
    split: &ChronoSplit,
    scaler: &Scaler,
    bins: Bins,
    stride: usize,
) -> anyhow::Result<(usize, usize)> {
    let (w, cut, stride) = (split.window(), split.cut(), stride.max(1));
    let train_ends: Vec<usize> = (w..cut).step_by(stride).collect();
    let test_ends: Vec<usize> = (cut..values.len()).step_by(stride).collect();
    windows(values, &train_ends, w, scaler, bins).save(dir, "train")?;
    windows(values, &test_ends, w, scaler, bins).save(dir, "test")?;
    let next: Vec<f32> = test_ends.iter().map(|&e| values[e] as f32).collect();
    let last: Vec<f32> = test_ends.iter().map(|&e| values[e - 1] as f32).collect();
    write_npy(&dir.join("test_next_value.npy"), &[next.len()], &next)?;
    write_npy(&dir.join("test_last_value.npy"), &[last.len()], &last)?;
    Ok((train_ends.len(), test_ends.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_clipped_range() {
        let b = Bins { n: 4, clip: 2.0 };
        assert_eq!(
            [
                b.of(-9.0),
                b.of(-1.5),
                b.of(-0.1),
                b.of(0.1),
                b.of(1.99),
                b.of(9.0)
            ],
            [0, 0, 1, 2, 3, 3]
        );
        assert_eq!(b.centre(0), -1.5);
        assert_eq!(b.centre(3), 1.5);
    }
}
