//! `forecast`: score a model trained on a `prices` data set as a next-return
//! forecaster, beside the baselines that matter (science.md §4): repeating
//! the last return (persistence of returns) and a zero return (persistence of
//! the price, a random walk).
//!
//! The model's forecast is the expected return under its predicted
//! distribution over the return bins at the last position (bin centres,
//! unscaled with the training-period scaler). Metrics on unscaled log returns:
//! RMSE, MAE, MASE (MAE over the training series' naive one-step MAE) and the
//! skill `1 − MSE / MSE_baseline` against each baseline.
//!
//! Use it as `needs: [data, train]` with a `prices` data stage.

use anyhow::Context;
use burn::tensor::activation::softmax;
use serde_json::json;

use super::evaluate::trained_model;
use super::train::{data_input, read_json};
use super::{ParamSchema, ParamSpec, ParamType, RunContext, Setting, StageKind};
use crate::datasets::binned::Bins;
use crate::datasets::npy::read_npy;
use crate::datasets::SequenceData;
use crate::metrics::regression::{mae, mse, rmse};
use crate::train::{model_device, Batch};

pub struct ForecastKind {
    schema: ParamSchema,
}

impl ForecastKind {
    pub fn new() -> Self {
        ForecastKind {
            schema: ParamSchema {
                params: vec![ParamSpec::optional(
                    "batch_size",
                    ParamType::Int,
                    json!(256),
                    "windows per forward pass",
                )],
                open: false,
            },
        }
    }
}

impl Default for ForecastKind {
    fn default() -> Self {
        Self::new()
    }
}

/// RMSE, MAE, MASE of `pred` against `truth`.
fn scores(truth: &[f64], pred: &[f64], naive: f64) -> anyhow::Result<serde_json::Value> {
    let m = mae(truth, pred)?;
    Ok(json!({ "rmse": rmse(truth, pred)?, "mae": m, "mase": m / naive, "mse": mse(truth, pred)? }))
}

impl StageKind for ForecastKind {
    fn name(&self) -> &'static str {
        "forecast"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let data_dir = data_input(ctx)?;
        let info = read_json(&data_dir.join("task.json"))?;
        if !data_dir.join("test_next_value.npy").is_file() {
            anyhow::bail!("`forecast` needs a binned-series data stage (`prices`, `ecg_record`) among its `needs`");
        }
        let bins = Bins {
            n: info["bins"].as_u64().context("task.json lacks bins")? as usize,
            clip: info["clip"].as_f64().context("task.json lacks clip")?,
        };
        let (mean, std) = (
            info["scaler_mean"].as_f64().unwrap_or(0.0),
            info["scaler_std"].as_f64().unwrap_or(1.0),
        );
        let naive = info["naive_mae_train"].as_f64().unwrap_or(f64::NAN);
        let (_, model) = trained_model(ctx)?;
        let device = model_device(&model);
        let test = SequenceData::load(data_dir, "test")?;
        let truth: Vec<f64> = read_npy::<f32>(&data_dir.join("test_next_value.npy"))?
            .1
            .into_iter()
            .map(f64::from)
            .collect();
        let last: Vec<f64> = read_npy::<f32>(&data_dir.join("test_last_value.npy"))?
            .1
            .into_iter()
            .map(f64::from)
            .collect();
        let centres: Vec<f64> = (0..bins.n).map(|b| bins.centre(b) * std + mean).collect();
        let batch = ctx.params["batch_size"].as_u64().unwrap_or(256).max(1) as usize;
        let mut pred = Vec::with_capacity(test.n);
        let mut start = 0;
        while start < test.n {
            let b = (test.n - start).min(batch);
            let rows = start * test.t..(start + b) * test.t;
            let x = Batch::new(
                test.inputs[rows.clone()].to_vec(),
                test.labels("forecast")?[rows.clone()].to_vec(),
                test.mask[rows].to_vec(),
                b,
                test.t,
            )?
            .input_tensor(&device);
            let logits = model.forward(x)?;
            let [_, t, c] = logits.dims();
            let probs = softmax(logits.slice([0..b, t - 1..t, 0..c]).reshape([b, c]), 1);
            let p: Vec<f32> = probs
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            for row in p.chunks(c) {
                pred.push(row.iter().zip(&centres).map(|(q, v)| *q as f64 * v).sum());
            }
            start += b;
        }
        let zero = vec![0.0; truth.len()];
        let model_s = scores(&truth, &pred, naive)?;
        let persistence = scores(&truth, &last, naive)?;
        let zero_s = scores(&truth, &zero, naive)?;
        let skill = |base: &serde_json::Value| {
            1.0 - model_s["mse"].as_f64().unwrap_or(f64::NAN)
                / base["mse"].as_f64().unwrap_or(f64::NAN)
        };
        let metrics = json!({
            "rmse": model_s["rmse"], "mae": model_s["mae"], "mase": model_s["mase"],
            "persistence_rmse": persistence["rmse"], "persistence_mase": persistence["mase"],
            "zero_rmse": zero_s["rmse"], "zero_mase": zero_s["mase"],
            "skill_vs_persistence": skill(&persistence), "skill_vs_zero": skill(&zero_s),
            "n_forecasts": truth.len(),
        });
        std::fs::write(
            ctx.out_dir.join("metrics.json"),
            serde_json::to_vec_pretty(&metrics)?,
        )?;
        let mut csv = String::from("next_return,forecast,last_return\n");
        for ((y, f), l) in truth.iter().zip(&pred).zip(&last) {
            csv.push_str(&format!("{y},{f},{l}\n"));
        }
        std::fs::write(ctx.out_dir.join("forecasts.csv"), csv)?;
        tracing::info!(
            "{}: RMSE {:.5} (persistence {:.5}, zero {:.5})",
            ctx.instance,
            model_s["rmse"].as_f64().unwrap_or(f64::NAN),
            persistence["rmse"].as_f64().unwrap_or(f64::NAN),
            zero_s["rmse"].as_f64().unwrap_or(f64::NAN)
        );
        Ok(())
    }
}
