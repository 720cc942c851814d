//! Statistics over seeds: mean, min, max and a 95% confidence interval; and
//! the log-log slope (growth exponent) that timing and the report fit.

use serde::{Deserialize, Serialize};

/// Summary of one metric over the seeds of a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// The 95% interval of the mean (Student's t with n − 1 degrees of
    /// freedom); `None` with a single value.
    pub ci95: Option<(f64, f64)>,
}

/// The 97.5% quantile of Student's t for `df` degrees of freedom (the factor of a
/// two-sided 95% interval): the printed table (3 decimals) up to 30, beyond it the
/// Cornish–Fisher expansion around the normal quantile (within 2e-6 from 30 on; the
/// normal 1.96 alone would make the interval ~4% too narrow at 31).
pub(crate) fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    const Z: f64 = 1.959_963_984_540_054;
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let (v, z2) = (df as f64, Z * Z);
            Z + Z * (z2 + 1.0) / (4.0 * v)
                + Z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * v * v)
                + Z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * v * v * v)
        }
    }
}

impl Spread {
    /// Half the width of [`Spread::ci95`]: `t_975(n − 1) · s / √n` with `s` the sample
    /// standard deviation; `None` with a single value.
    pub fn ci95_half_width(&self) -> Option<f64> {
        self.ci95.map(|(lo, hi)| 0.5 * (hi - lo))
    }

    /// `None` for an empty slice; NaN values are ignored.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ci95 = (n > 1).then(|| {
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let half = t_975(n - 1) * (var / n as f64).sqrt();
            (mean - half, mean + half)
        });
        Some(Spread {
            n,
            mean,
            min,
            max,
            ci95,
        })
    }
}

/// Least-squares slope of `ln y` against `ln x` (the growth exponent) over
/// the points where both are finite and positive; `None` with fewer than two
/// such points or when all their `x` are equal.
pub fn loglog_slope(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_by_hand() {
        // values 1, 2, 3: mean 2, sample sd 1, half-width 4.303 / sqrt(3)
        let s = Spread::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (3, 2.0, 1.0, 3.0));
        let (lo, hi) = s.ci95.unwrap();
        assert!((hi - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert!((2.0 - lo - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert!((s.ci95_half_width().unwrap() - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(Spread::of(&[0.5]).unwrap().ci95, None);
        assert_eq!(Spread::of(&[0.5]).unwrap().ci95_half_width(), None);
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn t_quantiles_match_printed_tables() {
        // Published two-sided 95% values (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.2),
        // on both sides of the switch from the table to the expansion at 30.
        for (df, t) in [
            (1, 12.706),
            (4, 2.776),
            (30, 2.042),
            (40, 2.021),
            (60, 2.000),
            (100, 1.984),
        ] {
            assert!(
                (t_975(df) - t).abs() < 6e-4,
                "df {df}: {} vs {t}",
                t_975(df)
            );
        }
        assert!((t_975(31) - 2.0395).abs() < 1e-4);
        assert!((t_975(1_000_000) - 1.95996).abs() < 1e-4);
        assert!(t_975(0).is_nan());
    }

    #[test]
    fn slope_of_a_power_law_is_its_exponent() {
        let pts: Vec<(f64, f64)> = [16.0, 64.0, 256.0, 1024.0]
            .iter()
            .map(|&x: &f64| (x, 3.0 * x.powf(1.7)))
            .collect();
        assert!((loglog_slope(&pts).unwrap() - 1.7).abs() < 1e-9);
        assert_eq!(loglog_slope(&pts[..1]), None);
        let pts: Vec<(f64, f64)> = (1..6)
            .map(|k| (2f64.powi(k), 3.0 * 2f64.powi(2 * k)))
            .collect();
        assert!((loglog_slope(&pts).unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(loglog_slope(&[(1.0, 1.0)]), None);
        // unusable points are skipped; equal x has no slope
        let mut with_bad = pts.clone();
        with_bad.extend([
            (0.0, 1.0),
            (4.0, -1.0),
            (f64::INFINITY, 2.0),
            (8.0, f64::NAN),
        ]);
        assert_eq!(loglog_slope(&with_bad), loglog_slope(&pts));
        assert_eq!(loglog_slope(&[(2.0, 1.0), (2.0, 5.0)]), None);
    }
}
