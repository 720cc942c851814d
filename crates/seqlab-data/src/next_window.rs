//! A real-valued series as a next-window regression data set: the models
//! read binned tokens (as in [`super::binned`]: standardised by a scaler fitted
//! on the training period only, clipped, binned) and predict real values.
//!
//! A window ending at `e` reads values `e-w..e`; position `i` (reading value
//! `i`) has the `horizon` standardised values `i+1..=i+horizon` as its target,
//! so the last position forecasts the window `e..e+horizon`. Training windows
//! supervise every position (more signal from the same data); test windows
//! only the last, the forecast itself. Persistence (repeat value `e-1` for the
//! whole window) is the baseline, computed on exactly the scored positions.

use std::path::Path;

use super::binned::Bins;
use super::stock::features::{ChronoSplit, Scaler};
use super::{SequenceData, Target};

/// Window, forecast horizon and stride between window ends, in samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextWindow {
    pub window: usize,
    pub horizon: usize,
    pub stride: usize,
}

/// What [`write_splits`] wrote, with the persistence baseline on the test
/// split (standardised units).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub train_windows: usize,
    pub test_windows: usize,
    pub persistence_rmse: f64,
    /// RMSE of persistence at each step `1..=horizon` ahead.
    pub persistence_rmse_by_step: Vec<f64>,
}

/// The windows ending at `ends`; `all_positions` supervises every position,
/// otherwise only the last.
pub fn windows(
    values: &[f64],
    ends: &[usize],
    cfg: NextWindow,
    scaler: &Scaler,
    bins: Bins,
    all_positions: bool,
) -> SequenceData {
    let (w, h) = (cfg.window, cfg.horizon);
    let mut inputs = Vec::with_capacity(ends.len() * w);
    let mut mask = Vec::with_capacity(ends.len() * w);
    let mut targets = Vec::with_capacity(ends.len() * w * h);
    for &e in ends {
        for i in e - w..e {
            inputs.push(bins.of(scaler.transform(values[i])));
            mask.push(u8::from(all_positions || i + 1 == e));
            targets.extend((i + 1..=i + h).map(|j| scaler.transform(values[j]) as f32));
        }
    }
    SequenceData {
        n: ends.len(),
        t: w,
        inputs,
        target: Target::Real {
            k: h,
            values: targets,
        },
        mask,
    }
}

/// Writes the train and test splits: training windows (and their targets)
/// end before the split's cut, test windows start their forecast at or after
/// it; every `stride`-th end.
pub fn write_splits(
    dir: &Path,
    values: &[f64],
    split: &ChronoSplit,
    scaler: &Scaler,
    bins: Bins,
    cfg: NextWindow,
) -> anyhow::Result<Written> {
    let (w, h, cut, stride) = (cfg.window, cfg.horizon, split.cut(), cfg.stride.max(1));
    if values.len() < cut + h || cut < w + h {
        anyhow::bail!(
            "the series ({} values, training part {cut}) is too short for windows of {w} and a horizon of {h}: lower `window` or `horizon`",
            values.len()
        );
    }
    let train_ends: Vec<usize> = (w..=cut - h).step_by(stride).collect();
    let test_ends: Vec<usize> = (cut..=values.len() - h).step_by(stride).collect();
    windows(values, &train_ends, cfg, scaler, bins, true).save(dir, "train")?;
    windows(values, &test_ends, cfg, scaler, bins, false).save(dir, "test")?;
    let mut se = vec![0.0f64; h];
    for &e in &test_ends {
        let last = scaler.transform(values[e - 1]);
        for (j, s) in se.iter_mut().enumerate() {
            let d = scaler.transform(values[e + j]) - last;
            *s += d * d;
        }
    }
    let n = test_ends.len().max(1) as f64;
    Ok(Written {
        train_windows: train_ends.len(),
        test_windows: test_ends.len(),
        persistence_rmse: (se.iter().sum::<f64>() / (n * h as f64)).sqrt(),
        persistence_rmse_by_step: se.iter().map(|s| (s / n).sqrt()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ramp 0..20, cut at 10, and its scaler (fitted on 0..9).
    fn ramp() -> (Vec<f64>, ChronoSplit, Scaler) {
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        let split = ChronoSplit::new(values.clone(), 0.5, 3).unwrap();
        let scaler = Scaler::fit(&split.train());
        (values, split, scaler)
    }

    const BINS: Bins = Bins { n: 8, clip: 50.0 };

    #[test]
    fn targets_are_the_next_values_and_tests_score_the_last_position() {
        let (values, _, scaler) = ramp();
        let cfg = NextWindow {
            window: 3,
            horizon: 2,
            stride: 1,
        };
        let d = windows(&values, &[3, 5], cfg, &scaler, BINS, false);
        let Target::Real { k, values: y } = &d.target else {
            panic!("real")
        };
        assert_eq!((d.n, d.t, *k), (2, 3, 2));
        // window ending at 3 reads 0,1,2; position 0 targets 1,2 ... position 2 targets 3,4
        let z = |v: f64| scaler.transform(v) as f32;
        let want: Vec<f32> = [1., 2., 2., 3., 3., 4., 3., 4., 4., 5., 5., 6.]
            .map(z)
            .to_vec();
        assert_eq!(y, &want);
        assert_eq!(d.mask, vec![0, 0, 1, 0, 0, 1]);
        assert_eq!(
            windows(&values, &[3], cfg, &scaler, BINS, true).mask,
            vec![1, 1, 1]
        );
    }

    #[test]
    fn splits_keep_training_targets_before_the_cut_and_score_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let (values, split, scaler) = ramp();
        let cfg = NextWindow {
            window: 4,
            horizon: 3,
            stride: 1,
        };
        let w = write_splits(dir.path(), &values, &split, &scaler, BINS, cfg).unwrap();
        // cut 10: training ends 4..=7 (targets reach value 9), test ends 10..=17
        assert_eq!((w.train_windows, w.test_windows), (4, 8));
        // a ramp: persistence is off by j (in units of the scaler's std) at step j
        let s = scaler.std();
        for (j, r) in w.persistence_rmse_by_step.iter().enumerate() {
            assert!(
                (r - (j + 1) as f64 / s).abs() < 1e-12,
                "{:?}",
                w.persistence_rmse_by_step
            );
        }
        assert!((w.persistence_rmse - (14.0f64 / 3.0).sqrt() / s).abs() < 1e-12);
        let train = SequenceData::load(dir.path(), "train").unwrap();
        let Target::Real { values: y, .. } = &train.target else {
            panic!("real")
        };
        let max = y.iter().copied().fold(f32::MIN, f32::max);
        assert_eq!(
            max,
            scaler.transform(9.0) as f32,
            "no training target past the cut"
        );
        assert!(write_splits(dir.path(), &values[..12], &split, &scaler, BINS, cfg).is_err());
    }
}
