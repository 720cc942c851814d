//! `prices`: daily OHLCV prices (Yahoo, bokeh, arch or vega CSV layouts) as a
//! sequence data set the `train`, `evaluate` and `forecast` kinds read.
//!
//! One ticker's log returns are cut once in time (`train_fraction`; every
//! test target lies after every training target), standardised by a scaler
//! fitted on the training period only, clipped to ±`clip` standard
//! deviations and binned into `bins` equal-width tokens. Each window of
//! `window` returns is a sequence whose label at every position is the bin of
//! the next return, so a causal model is a next-return forecaster; its
//! prediction at the last position is the forecast `forecast` scores.
//!
//! Outputs: the splits of [`crate::datasets::binned::write_splits`], and `task.json` (vocabulary, scaler, bin edges, dates, and
//! the training series' naive one-step MAE that MASE divides by).

use anyhow::Context;
use serde_json::json;

use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind,
};
use crate::datasets::binned::{write_splits, Bins};
use crate::datasets::stock::features::{returns_with_dates, ChronoSplit, PriceColumn, Scaler};
use crate::datasets::stock::ohlcv::load_ohlcv;
use crate::metrics::regression::naive_mae;

pub struct PricesKind {
    schema: ParamSchema,
}

impl PricesKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        PricesKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required(
                        "ticker",
                        ParamType::String,
                        "which ticker (for one-ticker files: any name, used as the label)",
                    ),
                    p(
                        "file",
                        ParamType::String,
                        json!(""),
                        "the CSV among the inputs (default: the only .csv or .csv.gz)",
                    ),
                    p(
                        "column",
                        ParamType::Choice(&["auto", "adj_close", "close"]),
                        json!("auto"),
                        "price column (auto: Adj Close when present)",
                    ),
                    p(
                        "window",
                        ParamType::Int,
                        json!(60),
                        "returns per input sequence",
                    ),
                    p(
                        "train_fraction",
                        ParamType::Float,
                        json!(0.9),
                        "share of the return series (oldest first) used for training",
                    ),
                    p(
                        "bins",
                        ParamType::Int,
                        json!(32),
                        "tokens: equal-width bins of the standardised return",
                    ),
                    p(
                        "clip",
                        ParamType::Float,
                        json!(4.0),
                        "standardised returns are clipped to ±clip before binning",
                    ),
                ],
                open: false,
            },
        }
    }
}

impl Default for PricesKind {
    fn default() -> Self {
        Self::new()
    }
}

fn input_file(ctx: &RunContext<'_>) -> anyhow::Result<std::path::PathBuf> {
    let wanted = ctx.params["file"].as_str().unwrap_or_default();
    let suffixes: &[&str] = if wanted.is_empty() {
        &[".csv", ".csv.gz"]
    } else {
        &[wanted]
    };
    match ctx.input_files(suffixes).as_slice() {
        [one] => Ok(one.clone()),
        [] if wanted.is_empty() => {
            anyhow::bail!("no price CSV among the inputs: add a `fetch` stage to `needs`")
        }
        [] => anyhow::bail!(
            "no file named `{wanted}` among the inputs: add a `fetch` stage to `needs`"
        ),
        _ => anyhow::bail!("several CSV files among the inputs; pick one with the `file` param"),
    }
}

impl StageKind for PricesKind {
    fn name(&self) -> &'static str {
        "prices"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        let bad = |param: &str, message: &str| {
            Err(vec![ParamIssue {
                param: param.into(),
                message: message.into(),
                help: None,
            }])
        };
        require_at_least(&params, &[("window", 2), ("bins", 2)])?;
        if !(params["clip"].as_f64().unwrap_or(0.0) > 0.0) {
            return bad("clip", "`clip` must be positive");
        }
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let path = input_file(ctx)?;
        let ticker = p["ticker"].as_str().unwrap_or_default();
        let file = load_ohlcv(&path, Some(ticker)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let series = file.get(ticker).map_err(|e| anyhow::anyhow!("{e}"))?;
        let column = match p["column"].as_str() {
            Some("adj_close") => PriceColumn::AdjClose,
            Some("close") => PriceColumn::Close,
            _ => PriceColumn::Auto,
        };
        let (values, dates) =
            returns_with_dates(series, column).map_err(|e| anyhow::anyhow!("{e}"))?;
        let window = p["window"].as_u64().unwrap_or(60) as usize;
        let split = ChronoSplit::with_dates(
            values.clone(),
            dates.clone(),
            p["train_fraction"].as_f64().unwrap_or(0.9),
            window,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scaler = Scaler::fit(&split.train());
        let bins = Bins {
            n: p["bins"].as_u64().unwrap_or(32) as usize,
            clip: p["clip"].as_f64().unwrap_or(4.0),
        };
        let cut = split.cut();
        let (n_train, n_test) = write_splits(ctx.out_dir, &values, &split, &scaler, bins, 1)?;
        let naive =
            naive_mae(split.train().values()).context("training series too short for MASE")?;
        let info = json!({
            "task": "prices", "ticker": ticker, "source_file": path.file_name().and_then(|n| n.to_str()),
            "n_states": bins.n, "n_actions_vocab": bins.n, "length": window,
            "fresh": false, "bins": bins.n, "clip": bins.clip,
            "scaler_mean": scaler.mean(), "scaler_std": scaler.std(),
            "train_windows": n_train, "test_windows": n_test,
            "train_start": dates.first().map(|d| d.to_string()),
            "test_start": dates.get(cut).map(|d| d.to_string()),
            "test_end": dates.last().map(|d| d.to_string()),
            "naive_mae_train": naive,
        });
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        tracing::info!(
            "{}: {n_train} training and {n_test} test windows of {window} returns",
            ctx.instance
        );
        Ok(())
    }
}
