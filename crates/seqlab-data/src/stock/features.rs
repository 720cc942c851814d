//! Log-return features for next-day forecasting, split chronologically, with
//! a standardising [`Scaler`] that cannot see the test period.
//!
//! The leak the Kaggle LSTM notebook makes (fitting its scaler on the whole
//! series) is impossible by construction here: [`Scaler::fit`] takes only a
//! [`TrainPeriod`], and the only way to get one is
//! [`ChronoSplit::train`], which hands out the values before the cut. A
//! `TrainPeriod` cannot be built by hand:
//!
//! ```compile_fail
//! use seqlab_data::stock::features::{Scaler, TrainPeriod};
//! let everything = vec![0.1, -0.2, 0.3];
//! let s = Scaler::fit(&TrainPeriod { values: &everything }); // private field
//! ```
//!
//! Windows: a window of `w` consecutive returns predicts the next return.
//! Training targets lie before the cut; test targets at or after it (their
//! input windows may reach back into the training period — past data).

use super::date::Date;
use super::ohlcv::Series;
use crate::error::DataError;

/// Which price the returns are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriceColumn {
    /// `Adj Close` when every bar has one, else `Close`.
    #[default]
    Auto,
    AdjClose,
    Close,
    Open,
    High,
    Low,
}

/// The chosen price column of `series`, oldest first.
pub fn prices(series: &Series, col: PriceColumn) -> Result<Vec<f64>, DataError> {
    let col = match col {
        PriceColumn::Auto if series.has_adj_close() => PriceColumn::AdjClose,
        PriceColumn::Auto => PriceColumn::Close,
        c => c,
    };
    series
        .bars
        .iter()
        .map(|b| match col {
            PriceColumn::AdjClose => b.adj_close.ok_or_else(|| {
                DataError::Invalid(format!(
                    "{}: no Adj Close on {}; use PriceColumn::Close or Auto",
                    series.ticker, b.date
                ))
            }),
            PriceColumn::Close | PriceColumn::Auto => Ok(b.close),
            PriceColumn::Open => Ok(b.open),
            PriceColumn::High => Ok(b.high),
            PriceColumn::Low => Ok(b.low),
        })
        .collect()
}

/// ln(p[t+1] / p[t]) for each consecutive pair (one fewer than the prices).
pub(crate) fn log_returns(prices: &[f64]) -> Result<Vec<f64>, DataError> {
    if let Some(i) = prices.iter().position(|&p| !(p.is_finite() && p > 0.0)) {
        return Err(DataError::Invalid(format!(
            "price #{i} is {}: log returns need finite positive prices",
            prices[i]
        )));
    }
    Ok(prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect())
}

/// Log returns of `series` with the date of each (the later day).
pub fn returns_with_dates(
    series: &Series,
    col: PriceColumn,
) -> Result<(Vec<f64>, Vec<Date>), DataError> {
    let r = log_returns(&prices(series, col)?)?;
    let d = series.bars.iter().skip(1).map(|b| b.date).collect();
    Ok((r, d))
}

/// The training part of a [`ChronoSplit`]: only the split can make one.
#[derive(Debug, Clone, Copy)]
pub struct TrainPeriod<'a> {
    values: &'a [f64],
}

impl TrainPeriod<'_> {
    /// The training values (read-only).
    pub fn values(&self) -> &[f64] {
        self.values
    }
}

/// Standardisation z = (x − mean) / std, fitted on the training period only.
/// `std` is the population standard deviation (ddof = 0, as scikit-learn's
/// `StandardScaler`); a constant training period gets std 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaler {
    mean: f64,
    std: f64,
}

impl Scaler {
    /// Fit on the training period: the one way to make a scaler.
    pub fn fit(train: &TrainPeriod<'_>) -> Scaler {
        let v = train.values;
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let std = var.sqrt();
        Scaler {
            mean,
            std: if std > 0.0 && std.is_finite() {
                std
            } else {
                1.0
            },
        }
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    pub fn std(&self) -> f64 {
        self.std
    }

    /// Standardise one value.
    pub(crate) fn transform(&self, x: f64) -> f64 {
        (x - self.mean) / self.std
    }

    /// Undo [`Scaler::transform`].
    pub fn inverse(&self, z: f64) -> f64 {
        z * self.std + self.mean
    }
}

/// Scaled windows and their targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReturnWindows {
    /// `w` scaled returns per window.
    pub inputs: Vec<Vec<f32>>,
    /// The scaled next return.
    pub targets: Vec<f32>,
    /// The next return, unscaled.
    pub raw_targets: Vec<f64>,
    /// Index of each target in the return series.
    pub target_index: Vec<usize>,
}

impl ReturnWindows {
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The persistence forecast of each target (the last input return,
    /// unscaled).
    pub fn persistence(&self, scaler: &Scaler) -> Vec<f64> {
        self.inputs
            .iter()
            .map(|w| scaler.inverse(*w.last().unwrap() as f64))
            .collect()
    }
}

/// A return series cut once: everything before `cut` trains, the rest tests.
#[derive(Debug, Clone, PartialEq)]
pub struct ChronoSplit {
    values: Vec<f64>,
    dates: Option<Vec<Date>>,
    cut: usize,
    window: usize,
}

impl ChronoSplit {
    /// Cut at floor(n · train_fraction); needs room for at least one
    /// training window (`cut > window`) and one test target.
    pub fn new(values: Vec<f64>, train_fraction: f64, window: usize) -> Result<Self, DataError> {
        if !(train_fraction > 0.0 && train_fraction < 1.0) {
            return Err(DataError::Invalid(format!(
                "train_fraction must be in (0, 1), got {train_fraction}"
            )));
        }
        if window == 0 {
            return Err(DataError::Invalid("window must be at least 1".into()));
        }
        let n = values.len();
        let cut = (n as f64 * train_fraction).floor() as usize;
        if cut <= window || cut >= n {
            return Err(DataError::Invalid(format!(
                "{n} returns cut at {cut} leave no training window of {window} or no test day; use more data, a smaller window or another fraction"
            )));
        }
        Ok(ChronoSplit {
            values,
            dates: None,
            cut,
            window,
        })
    }

    /// Like [`ChronoSplit::new`] with the date of each return kept.
    pub fn with_dates(
        values: Vec<f64>,
        dates: Vec<Date>,
        train_fraction: f64,
        window: usize,
    ) -> Result<Self, DataError> {
        if dates.len() != values.len() {
            return Err(DataError::Invalid(format!(
                "{} dates for {} returns",
                dates.len(),
                values.len()
            )));
        }
        let mut s = Self::new(values, train_fraction, window)?;
        s.dates = Some(dates);
        Ok(s)
    }

    /// Index of the first test return.
    pub fn cut(&self) -> usize {
        self.cut
    }

    /// Window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The first test day, when dates were given.
    pub fn test_start_date(&self) -> Option<Date> {
        self.dates.as_ref().map(|d| d[self.cut])
    }

    /// The training period, the only input [`Scaler::fit`] takes.
    pub fn train(&self) -> TrainPeriod<'_> {
        TrainPeriod {
            values: &self.values[..self.cut],
        }
    }

    /// The test-period returns.
    pub fn test_values(&self) -> &[f64] {
        &self.values[self.cut..]
    }

    fn windows(&self, scaler: &Scaler, targets: std::ops::Range<usize>) -> ReturnWindows {
        let mut out = ReturnWindows::default();
        for t in targets {
            out.inputs.push(
                self.values[t - self.window..t]
                    .iter()
                    .map(|&x| scaler.transform(x) as f32)
                    .collect(),
            );
            out.targets.push(scaler.transform(self.values[t]) as f32);
            out.raw_targets.push(self.values[t]);
            out.target_index.push(t);
        }
        out
    }

    /// Training windows: targets window..cut.
    pub fn train_windows(&self, scaler: &Scaler) -> ReturnWindows {
        self.windows(scaler, self.window..self.cut)
    }

    /// Test windows: targets cut..n, all strictly after every training target.
    pub fn test_windows(&self, scaler: &Scaler) -> ReturnWindows {
        self.windows(scaler, self.cut..self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use crate::stock::ohlcv::Bar;

    fn walk(n: usize, seed: u64) -> Vec<f64> {
        let mut r = SplitMix64::new(seed);
        let mut p = 100.0;
        (0..n)
            .map(|_| {
                p *= (0.0003 + 0.015 * r.normal()).exp();
                p
            })
            .collect()
    }

    fn hand_mean_std(v: &[f64]) -> (f64, f64) {
        let mut s = 0.0;
        for x in v {
            s += x;
        }
        let m = s / v.len() as f64;
        let mut ss = 0.0;
        for x in v {
            ss += (x - m) * (x - m);
        }
        (m, (ss / v.len() as f64).sqrt())
    }

    /// Fails if the stock scaler ever sees test-period data.
    #[test]
    fn scaler_never_sees_test_period_data() {
        let prices = walk(1000, 3);
        let r = log_returns(&prices).unwrap();
        let split = ChronoSplit::new(r.clone(), 0.8, 60).unwrap();
        let cut = split.cut();
        assert_eq!(cut, 799);
        let sc = Scaler::fit(&split.train());
        let (m, s) = hand_mean_std(&r[..cut]);
        assert!(
            (sc.mean() - m).abs() < 1e-15 && (sc.std() - s).abs() < 1e-15,
            "{sc:?} vs {m} {s}"
        );

        // spike every test-period return to 1e9: the fitted scaler must not move
        let mut spiked = r.clone();
        spiked[cut..].iter_mut().for_each(|v| *v = 1e9);
        let sc2 = Scaler::fit(&ChronoSplit::new(spiked.clone(), 0.8, 60).unwrap().train());
        assert_eq!(sc, sc2, "the scaler saw test-period data");

        // the same end to end from prices: spike the prices after the cut
        // (return i uses prices i and i+1, so train returns use prices ..=cut)
        let mut p2 = prices.clone();
        p2[cut + 1..].iter_mut().for_each(|v| *v = 1e9);
        let sc3 = Scaler::fit(
            &ChronoSplit::new(log_returns(&p2).unwrap(), 0.8, 60)
                .unwrap()
                .train(),
        );
        assert_eq!(sc, sc3, "the scaler saw test-period prices");

        // and the test windows are scaled with the training scaler, not refit
        let split2 = ChronoSplit::new(spiked, 0.8, 60).unwrap();
        let te = split2.test_windows(&sc2);
        assert_eq!(te.targets[0], ((1e9 - m) / s) as f32);
        assert_eq!(te.inputs[0][59], ((r[cut - 1] - m) / s) as f32);
    }

    #[test]
    fn windows_are_chronological() {
        let r: Vec<f64> = (0..200).map(|i| i as f64 * 0.001).collect();
        let split = ChronoSplit::new(r.clone(), 0.75, 20).unwrap();
        let sc = Scaler::fit(&split.train());
        let tr = split.train_windows(&sc);
        let te = split.test_windows(&sc);
        assert_eq!(tr.len(), 150 - 20);
        assert_eq!(te.len(), 50);
        assert_eq!(*tr.target_index.last().unwrap(), 149);
        assert_eq!(te.target_index[0], 150);
        assert!(tr.target_index.iter().max() < te.target_index.iter().min());
        assert_eq!(te.raw_targets[0], r[150]);
        assert_eq!(tr.inputs[0].len(), 20);
        assert!((sc.inverse(tr.inputs[3][19] as f64) - r[22]).abs() < 1e-6);
        let pers = te.persistence(&sc);
        assert!((pers[0] - r[149]).abs() < 1e-6);
        assert_eq!(split.test_values().len(), 50);
        assert!(ChronoSplit::new(r.clone(), 0.05, 20).is_err());
        assert!(ChronoSplit::new(r, 1.0, 20).is_err());
    }

    #[test]
    fn prices_and_returns_by_hand() {
        let bar = |d: u8, close: f64, adj: Option<f64>| Bar {
            date: Date::new(2020, 1, d).unwrap(),
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close,
            adj_close: adj,
            volume: 0.0,
        };
        let s = Series {
            ticker: "X".into(),
            bars: vec![
                bar(2, 10.0, Some(5.0)),
                bar(3, 20.0, Some(10.0)),
                bar(6, 10.0, Some(5.0)),
            ],
        };
        assert_eq!(prices(&s, PriceColumn::Auto).unwrap(), vec![5.0, 10.0, 5.0]);
        assert_eq!(
            prices(&s, PriceColumn::Close).unwrap(),
            vec![10.0, 20.0, 10.0]
        );
        let (r, d) = returns_with_dates(&s, PriceColumn::Auto).unwrap();
        assert!((r[0] - 2f64.ln()).abs() < 1e-15 && (r[1] + 2f64.ln()).abs() < 1e-15);
        assert_eq!(d[1].to_string(), "2020-01-06");
        let s2 = Series {
            ticker: "Y".into(),
            bars: vec![bar(2, 10.0, None), bar(3, 20.0, Some(1.0))],
        };
        assert_eq!(prices(&s2, PriceColumn::Auto).unwrap(), vec![10.0, 20.0]);
        assert!(prices(&s2, PriceColumn::AdjClose).is_err());
        assert!(log_returns(&[1.0, 0.0]).is_err());
        let sc = Scaler::fit(&ChronoSplit::new(vec![0.5; 10], 0.5, 2).unwrap().train());
        assert_eq!((sc.mean(), sc.std()), (0.5, 1.0));
        let split = ChronoSplit::with_dates(r.clone(), d.clone(), 0.5, 0);
        assert!(split.is_err()); // window 0
    }
}
