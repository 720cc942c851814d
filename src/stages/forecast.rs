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

use burn::tensor::activation::softmax;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::trained_model;
use crate::datasets::binned::Bins;
use crate::datasets::npy::read_npy;
use crate::datasets::SequenceData;
use crate::kind::{ParamSchema, Params, RunContext, Setting, StageKind, TaskInfo};
use crate::metrics::regression::{mae, mse, rmse};
use crate::train::{model_device, Batch};

fn d_batch_size() -> usize {
    256
}

/// Score a model trained on a `prices` data set as a next-return
/// forecaster, beside repeating the last return and a zero return: RMSE,
/// MAE, MASE and skill. Use it as `needs: [data, train]`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForecastParams {
    /// windows per forward pass
    #[serde(default = "d_batch_size")]
    pub batch_size: usize,
}

impl Params for ForecastParams {}

pub struct ForecastKind {
    schema: ParamSchema,
}

impl ForecastKind {
    pub fn new() -> Self {
        ForecastKind {
            schema: ParamSchema::of::<ForecastParams>(),
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
        // 2: LSTM and GRU fold the embedding into the first input projection
        // (other float bits).
        2
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: ForecastParams = ctx.params()?;
        let (data_dir, info) = ctx.data_set()?;
        let TaskInfo::Prices(info) = info else {
            anyhow::bail!(
                "`forecast` needs a `prices` data stage among its `needs` (this one is `{}`)",
                info.name()
            );
        };
        if !data_dir.join("test_next_value.npy").is_file() {
            anyhow::bail!(
                "`forecast` needs a binned-series data stage (`prices`) among its `needs`"
            );
        }
        let bins = Bins {
            n: info.bins,
            clip: info.clip,
        };
        let (mean, std) = (info.scaler_mean, info.scaler_std);
        let naive = info.naive_mae_train;
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
        let batch = p.batch_size.max(1);
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
