//! A synthetic ECG with known R-peak positions, for tests and demos: Gaussian
//! P, Q, R, S, T waves per beat, jittered RR intervals, baseline wander,
//! mains hum and white noise. Deterministic by seed.

use crate::rng::SplitMix64;

/// What the synthetic record looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticEcgConfig {
    /// Sampling rate, Hz.
    pub fs: f64,
    /// Record length, seconds.
    pub duration_s: f64,
    /// Mean RR interval, seconds.
    pub mean_rr_s: f64,
    /// RR intervals are uniform in mean ± this, seconds.
    pub rr_jitter_s: f64,
    /// R-wave amplitude, mV.
    pub r_amp: f64,
    /// Baseline wander amplitude (mV) and frequency (Hz).
    pub wander_amp: f64,
    pub wander_hz: f64,
    /// 50 Hz mains amplitude, mV.
    pub mains_amp: f64,
    /// White-noise standard deviation, mV.
    pub noise_sd: f64,
    /// Every k-th beat (k > 0) is an inverted, wider "ventricular" beat.
    pub ectopic_every: Option<usize>,
    pub seed: u64,
}

impl Default for SyntheticEcgConfig {
    fn default() -> Self {
        SyntheticEcgConfig {
            fs: 360.0,
            duration_s: 60.0,
            mean_rr_s: 0.8,
            rr_jitter_s: 0.12,
            r_amp: 1.0,
            wander_amp: 0.3,
            wander_hz: 0.25,
            mains_amp: 0.03,
            noise_sd: 0.03,
            ectopic_every: None,
            seed: 1,
        }
    }
}

/// A synthetic record and the sample index of every R peak in it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticEcg {
    pub signal: Vec<f64>,
    pub r_peaks: Vec<usize>,
}

/// Build a synthetic record. The first beat is at 0.6 s; beats stop 0.6 s
/// before the end so every one is complete.
pub fn synthetic_ecg(cfg: &SyntheticEcgConfig) -> SyntheticEcg {
    let fs = cfg.fs;
    let n = (cfg.duration_s * fs).round() as usize;
    let mut rng = SplitMix64::new(cfg.seed);
    let mut beats = Vec::new();
    let mut t = 0.6;
    while t < cfg.duration_s - 0.6 {
        beats.push(t);
        t += cfg.mean_rr_s + cfg.rr_jitter_s * (2.0 * rng.next_f64() - 1.0);
    }
    let mut x = vec![0.0; n];
    let mut add = |centre: f64, amp: f64, sigma: f64| {
        let lo = ((centre - 5.0 * sigma) * fs).floor().max(0.0) as usize;
        let hi = (((centre + 5.0 * sigma) * fs).ceil() as usize).min(n);
        for (i, v) in x.iter_mut().enumerate().take(hi).skip(lo) {
            let d = i as f64 / fs - centre;
            *v += amp * (-0.5 * (d / sigma).powi(2)).exp();
        }
    };
    let mut r_peaks = Vec::with_capacity(beats.len());
    for (k, &b) in beats.iter().enumerate() {
        let ectopic = cfg.ectopic_every.is_some_and(|e| e > 0 && (k + 1) % e == 0);
        let a = cfg.r_amp;
        if ectopic {
            // wide, inverted-then-positive complex, no P wave
            add(b - 0.03, -0.5 * a, 0.02);
            add(b, 1.1 * a, 0.022);
            add(b + 0.3, -0.35 * a, 0.05);
        } else {
            add(b - 0.16, 0.12 * a, 0.025);
            add(b - 0.025, -0.1 * a, 0.008);
            add(b, a, 0.011);
            add(b + 0.03, -0.25 * a, 0.01);
            add(b + 0.28, 0.3 * a, 0.045);
        }
        r_peaks.push((b * fs).round() as usize);
    }
    let two_pi = 2.0 * std::f64::consts::PI;
    for (i, v) in x.iter_mut().enumerate() {
        let t = i as f64 / fs;
        *v += cfg.wander_amp * (two_pi * cfg.wander_hz * t).sin()
            + cfg.mains_amp * (two_pi * 50.0 * t).sin()
            + cfg.noise_sd * rng.normal();
    }
    SyntheticEcg { signal: x, r_peaks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_sit_on_r_waves() {
        let cfg = SyntheticEcgConfig {
            noise_sd: 0.0,
            mains_amp: 0.0,
            wander_amp: 0.0,
            ..Default::default()
        };
        let s = synthetic_ecg(&cfg);
        assert_eq!(s.signal.len(), 21_600);
        assert!(
            s.r_peaks.len() > 60 && s.r_peaks.len() < 90,
            "{}",
            s.r_peaks.len()
        );
        for &p in &s.r_peaks {
            assert!(s.signal[p] > 0.9 && s.signal[p] >= s.signal[p - 1] - 1e-3);
        }
        assert_eq!(synthetic_ecg(&cfg), s);
    }
}
