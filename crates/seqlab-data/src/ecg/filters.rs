//! Digital filters used by the ECG code: RBJ biquads (2nd-order Butterworth
//! low/high-pass), zero-phase forward–backward filtering, a centred moving
//! average, a centred 5-point derivative, and linear-interpolation
//! resampling.

/// A 2nd-order IIR section, coefficients normalised so a0 = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 3],
}

impl Biquad {
    /// Butterworth (Q = 1/√2) low-pass at `fc` Hz for sampling rate `fs`.
    pub(crate) fn lowpass(fc: f64, fs: f64) -> Self {
        let (cosw, alpha) = Self::omega(fc, fs);
        let b1 = 1.0 - cosw;
        Self::norm(
            [b1 / 2.0, b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * cosw, 1.0 - alpha],
        )
    }

    /// Butterworth (Q = 1/√2) high-pass at `fc` Hz for sampling rate `fs`.
    pub(crate) fn highpass(fc: f64, fs: f64) -> Self {
        let (cosw, alpha) = Self::omega(fc, fs);
        let b1 = 1.0 + cosw;
        Self::norm(
            [b1 / 2.0, -b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * cosw, 1.0 - alpha],
        )
    }

    fn omega(fc: f64, fs: f64) -> (f64, f64) {
        let w0 = 2.0 * std::f64::consts::PI * fc / fs;
        let q = std::f64::consts::FRAC_1_SQRT_2;
        (w0.cos(), w0.sin() / (2.0 * q))
    }

    fn norm(b: [f64; 3], a: [f64; 3]) -> Self {
        Biquad {
            b: [b[0] / a[0], b[1] / a[0], b[2] / a[0]],
            a: [1.0, a[1] / a[0], a[2] / a[0]],
        }
    }

    /// Run the filter causally over `x` (direct form II transposed),
    /// starting from the steady state for a constant input `x[0]`.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        let [b0, b1, b2] = self.b;
        let [_, a1, a2] = self.a;
        let mut y = Vec::with_capacity(x.len());
        let (mut z1, mut z2) = (0.0, 0.0);
        if let Some(&x0) = x.first() {
            // Steady state for constant input x0: output g·x0 with DC gain g.
            let g = (b0 + b1 + b2) / (1.0 + a1 + a2);
            let y0 = g * x0;
            z2 = b2 * x0 - a2 * y0;
            z1 = b1 * x0 - a1 * y0 + z2;
        }
        for &v in x {
            let out = b0 * v + z1;
            z1 = b1 * v - a1 * out + z2;
            z2 = b2 * v - a2 * out;
            y.push(out);
        }
        y
    }
}

/// Zero-phase filtering through a cascade of sections: odd-reflection
/// padding at both ends (up to `pad` samples), forward pass, backward pass,
/// padding removed. Like `scipy.signal.filtfilt` with `padtype="odd"`.
pub(crate) fn filtfilt(sections: &[Biquad], x: &[f64], pad: usize) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let pad = pad.min(n - 1);
    let mut ext = Vec::with_capacity(n + 2 * pad);
    for i in (1..=pad).rev() {
        ext.push(2.0 * x[0] - x[i]);
    }
    ext.extend_from_slice(x);
    for i in 1..=pad {
        ext.push(2.0 * x[n - 1] - x[n - 1 - i]);
    }
    for s in sections {
        ext = s.apply(&ext);
    }
    ext.reverse();
    for s in sections {
        ext = s.apply(&ext);
    }
    ext.reverse();
    ext[pad..pad + n].to_vec()
}

/// Band-pass `lo`–`hi` Hz: 2nd-order Butterworth high-pass then low-pass,
/// run forward and backward (4th-order magnitude, zero phase).
pub(crate) fn bandpass(x: &[f64], fs: f64, lo: f64, hi: f64) -> Vec<f64> {
    let sections = [Biquad::highpass(lo, fs), Biquad::lowpass(hi, fs)];
    filtfilt(&sections, x, (fs as usize).max(3))
}

/// Centred moving average over `w` samples (w ≥ 1); near the ends the window
/// is cut to the samples that exist.
pub(crate) fn moving_average(x: &[f64], w: usize) -> Vec<f64> {
    let w = w.max(1);
    let n = x.len();
    let mut csum = Vec::with_capacity(n + 1);
    csum.push(0.0);
    for &v in x {
        csum.push(csum.last().unwrap() + v);
    }
    let before = (w - 1) / 2;
    let after = w - 1 - before;
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(before);
            let hi = (i + after + 1).min(n);
            (csum[hi] - csum[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Pan–Tompkins' 5-point derivative, centred (no delay):
/// y[n] = (−x[n−2] − 2x[n−1] + 2x[n+1] + x[n+2]) · fs / 8; ends clamped.
pub(crate) fn derivative5(x: &[f64], fs: f64) -> Vec<f64> {
    let n = x.len() as isize;
    let at = |i: isize| x[i.clamp(0, n - 1) as usize];
    (0..n)
        .map(|i| (-at(i - 2) - 2.0 * at(i - 1) + 2.0 * at(i + 1) + at(i + 2)) * fs / 8.0)
        .collect()
}

/// Resample by linear interpolation from `fs_in` to `fs_out`. Output sample
/// k sits at time k / fs_out; samples past the last input are not produced.
/// No anti-alias filter: fine for ECG going 360 → 125 Hz after the 0.5–40 Hz
/// content that matters, but not a general-purpose decimator.
pub fn resample_linear(x: &[f64], fs_in: f64, fs_out: f64) -> Vec<f64> {
    if x.is_empty() {
        return Vec::new();
    }
    let duration = (x.len() - 1) as f64 / fs_in;
    let n_out = (duration * fs_out).floor() as usize + 1;
    (0..n_out)
        .map(|k| {
            let t = k as f64 * fs_in / fs_out;
            let i = t.floor() as usize;
            if i + 1 >= x.len() {
                x[x.len() - 1]
            } else {
                let f = t - i as f64;
                x[i] * (1.0 - f) + x[i + 1] * f
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(f: f64, fs: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (2.0 * PI * f * i as f64 / fs).sin())
            .collect()
    }

    fn rms(x: &[f64]) -> f64 {
        (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn bandpass_passes_10hz_and_stops_others() {
        let fs = 360.0;
        let n = 3600;
        let mid = |x: Vec<f64>| rms(&bandpass(&x, fs, 5.0, 15.0)[720..2880]);
        let pass = mid(sine(10.0, fs, n));
        // sine RMS 1/√2 times the squared (forward + backward) gain of the
        // Butterworth pair at 10 Hz: (1/√(1+(5/10)⁴) · 1/√(1+(10/15)⁴))² ≈ 0.786
        let want = std::f64::consts::FRAC_1_SQRT_2
            * (1.0 / (1.0 + 0.0625f64) / (1.0 + (2.0f64 / 3.0).powi(4)));
        assert!((pass - want).abs() < 0.01, "{pass} vs {want}");
        assert!(mid(sine(0.3, fs, n)) < 0.01);
        assert!(mid(sine(60.0, fs, n)) < 0.02);
        // zero phase: the 10 Hz sine comes out aligned with the input
        let x = sine(10.0, fs, n);
        let y = bandpass(&x, fs, 5.0, 15.0);
        let corr: f64 = x[720..2880]
            .iter()
            .zip(&y[720..2880])
            .map(|(a, b)| a * b)
            .sum();
        assert!(corr > 0.0);
    }

    #[test]
    fn moving_average_and_derivative() {
        assert_eq!(
            moving_average(&[1.0, 2.0, 3.0, 4.0], 3),
            vec![1.5, 2.0, 3.0, 3.5]
        );
        let ramp: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let d = derivative5(&ramp, 8.0);
        assert!(d[2..8].iter().all(|&v| (v - 8.0).abs() < 1e-12)); // 1 per sample = fs per second
    }

    #[test]
    fn linear_resampling() {
        let x: Vec<f64> = (0..361).map(|i| i as f64).collect(); // 1 s at 360 Hz
        let y = resample_linear(&x, 360.0, 125.0);
        assert_eq!(y.len(), 126);
        assert!((y[1] - 2.88).abs() < 1e-12);
        assert!((y[125] - 360.0).abs() < 1e-9);
    }
}
